//! Journal records and replay: patches survive a record round trip; a snapshot plus records replays to
//! what applying the same patches directly gives; damaged records are errors (or unknown records), never a
//! panic; and the in-memory storage keeps the `JournalStorage` contract (epochs, positions, compaction).

mod support;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use session_core::{
    Epoch, ErrorKind, Journal, JournalPosition, JournalStorage, MemoryStorage, Patch, Record,
    Session, SessionStorage,
};
use support::{change, patch_of, small_session, Change};

/// The records of `patches` in `epoch`.
fn records(epoch: Epoch, patches: &[Patch]) -> Vec<Bytes> {
    patches
        .iter()
        .map(|patch| Bytes::from(Record::encode_patch(epoch, patch).expect("encodes")))
        .collect()
}

fn patches(changes: &[Vec<Change>]) -> Vec<Patch> {
    changes.iter().map(|changes| patch_of(changes)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn patches_round_trip_through_records(changes in vec(change(), 0..30)) {
        let patch = patch_of(&changes);
        let epoch = Epoch::random();
        let bytes = Record::encode_patch(epoch, &patch).unwrap();
        prop_assert_eq!(Record::decode(&bytes).unwrap(), (epoch, Record::Patch(Box::new(patch))));
        prop_assert_eq!(Record::length_at(&[&bytes[..], b"next"].concat()), Some(bytes.len()));
    }

    #[test]
    fn a_snapshot_and_its_records_replay_to_the_patches_applied(
        session in small_session(),
        changes in vec(vec(change(), 0..8), 0..12),
        compacted in 0usize..12,
    ) {
        let patches = patches(&changes);
        let mut direct = session.clone();
        for patch in &patches {
            direct.apply(patch);
        }
        let start = JournalPosition::start();
        // A snapshot that already includes the first `compacted` records, followed by all of them: the
        // reader must skip the included ones.
        let compacted = compacted.min(patches.len());
        let mut partial = session.clone();
        for patch in &patches[..compacted] {
            partial.apply(patch);
        }
        let position = JournalPosition { epoch: start.epoch, next: compacted as u64 };
        let journal = Journal {
            snapshot: Bytes::from(partial.encode_snapshot(&position).unwrap()),
            base: 0,
            records: records(start.epoch, &patches),
        };
        let replayed = journal.replay().unwrap();
        prop_assert_eq!(&replayed.session, &direct);
        prop_assert_eq!(replayed.position, Some(JournalPosition { epoch: start.epoch, next: patches.len() as u64 }));
        prop_assert_eq!(replayed.first_unknown, None);
    }

    #[test]
    fn damaged_records_are_errors_never_panics(
        changes in vec(change(), 0..10),
        cut in any::<prop::sample::Index>(),
        flips in vec((any::<prop::sample::Index>(), 1..=255u8), 1..4),
        fix_checksum in any::<bool>(),
    ) {
        let bytes = Record::encode_patch(Epoch::random(), &patch_of(&changes)).unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(Record::decode(&bytes[..cut]).is_err());
        prop_assert_eq!(Record::length_at(&bytes[..cut]), None);
        let mut mutated = bytes.clone();
        for (at, xor) in flips {
            let at = at.index(mutated.len());
            mutated[at] ^= xor;
        }
        if fix_checksum {
            let end = mutated.len() - 4;
            let crc = crc32c::crc32c(&mutated[..end]);
            mutated[end..].copy_from_slice(&crc.to_le_bytes());
        }
        // Whatever decodes must encode again to what it decoded from, or be an unknown record.
        if let Ok((epoch, Record::Patch(patch))) = Record::decode(&mutated) {
            let again = Record::encode_patch(epoch, &patch).unwrap();
            prop_assert_eq!(Record::decode(&again).unwrap(), (epoch, Record::Patch(patch)));
        }
    }

    #[test]
    fn random_bytes_never_panic_as_records(data in vec(any::<u8>(), 0..512)) {
        let _ = Record::decode(&data);
        let _ = Record::length_at(&data);
    }
}

#[test]
fn records_of_another_epoch_are_never_applied() {
    let mut session = Session::new();
    session.home_dc = Some(1);
    let position = JournalPosition::start();
    let mut patch = Patch::new();
    patch.set_home_dc(Some(5));
    let journal = Journal {
        snapshot: Bytes::from(session.encode_snapshot(&position).unwrap()),
        base: 0,
        records: records(Epoch::random(), &[patch]),
    };
    let replayed = journal.replay().unwrap();
    assert_eq!(replayed.session.home_dc, Some(1));
    assert_eq!(replayed.applied, 0);
}

#[test]
fn a_record_of_an_unknown_kind_is_kept_and_marked() {
    let position = JournalPosition::start();
    let mut unknown = Record::encode_patch(position.epoch, &Patch::new()).unwrap();
    unknown[6] = 0x99; // kind 0x0099
    let end = unknown.len() - 4;
    let crc = crc32c::crc32c(&unknown[..end]);
    unknown[end..].copy_from_slice(&crc.to_le_bytes());
    let mut later = Patch::new();
    later.set_api_id(Some(7));
    let journal = Journal {
        snapshot: Bytes::from(Session::new().encode_snapshot(&position).unwrap()),
        base: 0,
        records: vec![
            Bytes::from(unknown),
            Bytes::from(Record::encode_patch(position.epoch, &later).unwrap()),
        ],
    };
    let replayed = journal.replay().unwrap();
    assert_eq!(replayed.first_unknown, Some(0));
    assert_eq!(replayed.session.api_id, Some(7));
    assert_eq!(replayed.position.map(|p| p.next), Some(2));
}

#[test]
fn a_journal_that_starts_after_what_the_snapshot_includes_is_corrupt() {
    let position = JournalPosition::start();
    let journal = Journal {
        snapshot: Bytes::from(Session::new().encode_snapshot(&position).unwrap()),
        base: 3,
        records: Vec::new(),
    };
    assert!(journal.replay().is_err());
}

#[test]
fn the_snapshot_position_is_found_without_decoding_the_session() {
    let session = support_session();
    let position = JournalPosition {
        epoch: Epoch::from_bytes([7; 16]),
        next: 42,
    };
    let snapshot = session.encode_snapshot(&position).unwrap();
    assert_eq!(
        Session::snapshot_position(&snapshot).unwrap(),
        Some(position)
    );
    assert_eq!(
        Session::decode_snapshot(&snapshot).unwrap(),
        (session.clone(), Some(position))
    );
    assert_eq!(Session::decode(&snapshot).unwrap(), session);
    assert_eq!(
        Session::snapshot_position(&session.encode().unwrap()).unwrap(),
        None
    );
}

fn support_session() -> Session {
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.api_id = Some(1);
    session
}

/// The memory storage's journal, end to end: start, append, load, compact, replace.
#[tokio::test]
async fn the_memory_storage_keeps_the_journal_contract() {
    let storage = MemoryStorage::new();
    let session = support_session();
    let start = JournalPosition::start();

    // A plain session has no journal: appends conflict.
    storage
        .store(Bytes::from(session.encode().unwrap()))
        .await
        .unwrap();
    let record = Bytes::from(Record::encode_patch(start.epoch, &Patch::new()).unwrap());
    let err = storage
        .append(start.epoch, record.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);

    // Storing a snapshot with a position starts the journal.
    storage
        .store(Bytes::from(session.encode_snapshot(&start).unwrap()))
        .await
        .unwrap();
    let mut changes = Vec::new();
    for dc in 1..=4 {
        let mut patch = Patch::new();
        patch.set_home_dc(Some(dc));
        let bytes = Bytes::from(Record::encode_patch(start.epoch, &patch).unwrap());
        assert_eq!(
            storage.append(start.epoch, bytes).await.unwrap(),
            dc as u64 - 1
        );
        changes.push(patch);
    }
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!((journal.base, journal.records.len()), (0, 4));
    let replayed = journal.replay().unwrap();
    assert_eq!(replayed.session.home_dc, Some(4));

    // A plain load sees every change.
    let loaded = Session::decode(&storage.load().await.unwrap().unwrap()).unwrap();
    assert_eq!(loaded.home_dc, Some(4));

    // Compacting through record 2 drops exactly records 0 and 1.
    let mut through_two = session.clone();
    through_two.apply(&changes[0]);
    through_two.apply(&changes[1]);
    let position = JournalPosition {
        epoch: start.epoch,
        next: 2,
    };
    storage
        .compact(
            Bytes::from(through_two.encode_snapshot(&position).unwrap()),
            position,
        )
        .await
        .unwrap();
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!((journal.base, journal.records.len()), (2, 2));
    assert_eq!(journal.replay().unwrap().session.home_dc, Some(4));

    // Compacting beyond the last record, or in another epoch, conflicts and changes nothing.
    let beyond = JournalPosition {
        epoch: start.epoch,
        next: 9,
    };
    let err = storage
        .compact(
            Bytes::from(session.encode_snapshot(&beyond).unwrap()),
            beyond,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let other = JournalPosition::start();
    let err = storage
        .compact(Bytes::from(session.encode_snapshot(&other).unwrap()), other)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);

    // A plain store replaces snapshot and journal: the old epoch's appends conflict.
    storage
        .store(Bytes::from(session.encode().unwrap()))
        .await
        .unwrap();
    let err = storage.append(start.epoch, record).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert!(journal.records.is_empty());
}

/// A patch with a change of every kind, for the golden record.
fn every_change() -> Patch {
    use session_core::{DcEntry, DcKey, Peer, PeerId, PeerKind, UpdateCounters, User};
    let full = session_conformance::fixtures::full();
    let mut patch = Patch::new();
    patch
        .set_home_dc(Some(4))
        .set_test_mode(true)
        .set_api_id(None)
        .set_takeout_id(Some(77))
        .set_created_at(Some(1_700_000_000))
        .set_updated_at(Some(1_700_000_100))
        .set_user(Some(User {
            id: 123_456_789,
            bot: false,
            username: Some("alice_test".into()),
            dc: Some(4),
        }))
        .set_device(full.device.clone())
        .set_dcs(vec![DcEntry::new(2)])
        .upsert_dc(full.dcs[0].clone())
        .remove_dc(DcKey {
            id: 5,
            media_only: true,
            cdn: false,
        })
        .clear_update_state()
        .set_update_counters(UpdateCounters {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 42,
        })
        .set_channel_pts(1_234_567_890, 555)
        .remove_channel(42)
        .upsert_peer(
            PeerId::User(987_654_321),
            Peer {
                kind: PeerKind::Bot,
                access_hash: Some(2_222_222_222_222_222_222),
                username: Some("bob_bot".into()),
                ..Peer::default()
            },
        )
        .remove_peer(PeerId::Channel(1_234_567_890));
    patch
}

/// The golden files pin the journal's bytes: a snapshot with a position and a patch record with a change
/// of every kind. Regenerate with `TGSESSION_BLESS=1 cargo test -p session-core --test journal` and explain
/// the change in docs/FORMAT.md.
#[test]
fn golden_journal_files_match_encoder_and_decoder() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let epoch = Epoch::from_bytes(*b"0123456789abcdef");
    let position = JournalPosition { epoch, next: 7 };
    let full = session_conformance::fixtures::full();
    let patch = every_change();
    let cases = [
        ("snapshot.tgs", full.encode_snapshot(&position).unwrap()),
        ("patch.tgj", Record::encode_patch(epoch, &patch).unwrap()),
    ];
    for (name, encoded) in cases {
        let path = dir.join(name);
        if std::env::var_os("TGSESSION_BLESS").is_some() {
            std::fs::write(&path, &encoded).unwrap();
        }
        let golden = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            encoded == golden,
            "{name}: the encoder no longer produces the golden bytes"
        );
    }
    let snapshot = std::fs::read(dir.join("snapshot.tgs")).unwrap();
    assert_eq!(
        Session::decode_snapshot(&snapshot).unwrap(),
        (full, Some(position))
    );
    let record = std::fs::read(dir.join("patch.tgj")).unwrap();
    assert_eq!(
        Record::decode(&record).unwrap(),
        (epoch, Record::Patch(Box::new(patch)))
    );
}
