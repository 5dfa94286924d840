//! Property tests of patches: `Patch::between` turns any session into any other, a patch is its changes
//! applied one by one, and merging two patches is applying them in turn.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use session_core::Patch;
use support::{change, patch_of, small_session};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn between_turns_one_session_into_the_other(old in small_session(), new in small_session()) {
        let patch = Patch::between(&old, &new);
        let mut applied = old.clone();
        applied.apply(&patch);
        prop_assert_eq!(&applied, &new);
        prop_assert!(Patch::between(&new, &new).is_empty());
    }

    #[test]
    fn a_patch_is_its_changes_applied_one_by_one(
        session in small_session(),
        changes in vec(change(), 0..30),
    ) {
        let mut one_by_one = session.clone();
        for change in &changes {
            one_by_one.apply(&patch_of(std::slice::from_ref(change)));
        }
        let mut at_once = session;
        at_once.apply(&patch_of(&changes));
        prop_assert_eq!(at_once, one_by_one);
    }

    #[test]
    fn merging_patches_is_applying_them_in_turn(
        session in small_session(),
        first in vec(change(), 0..20),
        second in vec(change(), 0..20),
    ) {
        let (first, second) = (patch_of(&first), patch_of(&second));
        let mut in_turn = session.clone();
        in_turn.apply(&first);
        in_turn.apply(&second);
        let mut merged = first;
        merged.merge(second);
        let mut at_once = session;
        at_once.apply(&merged);
        prop_assert_eq!(at_once, in_turn);
    }
}
