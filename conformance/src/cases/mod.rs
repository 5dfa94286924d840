//! Every conformance case, as a public async function taking the [`Harness`](crate::Harness).
//!
//! Each case uses fresh random slot names, gives up after [`CASE_TIMEOUT`](crate::CASE_TIMEOUT), and panics
//! with ``conformance case `<name>` failed: <what differed>`` when the storage breaks the rule it checks.
//! Errors of the storage fail the case with their `Display` and sources.
//!
//! - Core ([`run_all`](crate::run_all)): [`absent_load`], [`round_trip`], [`empty_value`],
//!   [`overwrite_long_then_short`], [`all_byte_values`], [`values_that_look_like_other_formats`],
//!   [`large_value`],
//!   [`value_lengths_around_boundaries`], [`slot_isolation`], [`slot_names_across_the_alphabet`],
//!   [`visibility_across_handles`], [`no_stale_value_after_another_handle_writes`],
//!   [`persistence_across_reopen`], [`concurrent_stores`], [`readers_never_see_a_mix`],
//!   [`stores_on_different_slots_at_once`], [`handles_agree_after_concurrent_stores`],
//!   [`session_round_trip`], [`random_operations`].
//! - Delete ([`run_delete`](crate::run_delete)): [`delete_then_load_is_absent`], [`delete_is_idempotent`],
//!   [`delete_leaves_other_slots`], [`store_after_delete`], [`empty_value_after_delete`],
//!   [`delete_seen_by_other_handle`], [`delete_survives_reopen`], [`delete_racing_loads_and_stores`],
//!   [`random_operations_with_delete`].
//! - Versioned ([`run_versioned`](crate::run_versioned)): [`load_versioned_absent`],
//!   [`load_versioned_sees_plain_store`], [`store_if_absent_creates`],
//!   [`store_if_absent_on_present_conflicts`], [`store_if_stale_version_conflicts`],
//!   [`store_if_current_version_succeeds`], [`store_if_version_on_never_written_slot_conflicts`],
//!   [`store_if_on_an_empty_value`], [`plain_store_makes_version_stale`],
//!   [`no_stale_version_after_another_handle_writes`], [`store_if_is_atomic_against_store`],
//!   [`versioned_counter_race`], [`versions_name_their_values_under_concurrency`],
//!   [`store_if_of_the_same_bytes`], [`store_if_keeps_values_whole`],
//!   [`versions_tell_apart_values_one_byte_apart`], [`versions_survive_reopen`],
//!   [`versions_never_repeat_across_reopen`], [`random_operations_versioned`].
//! - Delete and versioned ([`run_delete_versioned`](crate::run_delete_versioned)):
//!   [`delete_makes_version_stale`], [`load_versioned_after_delete`], [`store_if_after_delete`],
//!   [`store_if_is_atomic_against_delete`], [`random_operations_all`].
//! - Journal ([`run_journal`](crate::run_journal)): [`journal_of_an_absent_slot`],
//!   [`journal_needs_a_snapshot_with_a_position`], [`empty_journal_loads_the_snapshot`],
//!   [`records_keep_their_order`], [`unknown_records_are_kept`], [`store_replaces_the_journal`],
//!   [`compaction_drops_exactly_what_it_includes`], [`journal_survives_reopen`],
//!   [`concurrent_appends_are_all_kept`], [`compaction_racing_appends_loses_nothing`],
//!   [`store_racing_appends_replaces_them`]; with [`VersionedStorage`](session_core::VersionedStorage)
//!   too ([`run_journal_versioned`](crate::run_journal_versioned)): [`appends_change_the_version`].
//! - Lease ([`run_lease`](crate::run_lease)): [`lease_of_a_fresh_slot`],
//!   [`one_holder_among_racing_acquirers`], [`renew_keeps_the_lease`],
//!   [`lapsed_lease_is_taken_after_the_delay`], [`stale_holder_cannot_write`],
//!   [`release_lets_the_next_holder_in`], [`break_fences_the_holder`], [`fenced_writes_act_as_plain_writes`],
//!   [`tokens_never_repeat_across_reopen`]; with [`JournalStorage`](session_core::JournalStorage) too
//!   ([`run_lease_journal`](crate::run_lease_journal)): [`journal_writes_are_fenced`]; with
//!   [`Harness::crash`](crate::Harness::crash) ([`run_crash_lease`](crate::run_crash_lease)):
//!   [`tokens_never_repeat_across_crash`].
//! - Crash ([`run_crash`](crate::run_crash) and its `_delete` / `_versioned` variants; need
//!   [`Harness::crash`](crate::Harness::crash)): [`crash_keeps_acknowledged_stores`],
//!   [`crash_keeps_deletes`], [`crash_keeps_versions`], [`crash_keeps_the_journal`]
//!   ([`run_crash_journal`](crate::run_crash_journal)).

mod atomicity;
mod concurrency;
mod delete;
mod interleave;
mod journal;
mod lease;
mod race;
mod restart;
mod slots;
mod values;
mod versioned;

pub use self::atomicity::{store_if_is_atomic_against_delete, store_if_is_atomic_against_store};
pub use self::concurrency::{
    concurrent_stores, handles_agree_after_concurrent_stores, readers_never_see_a_mix,
    stores_on_different_slots_at_once,
};
pub use self::delete::{
    delete_is_idempotent, delete_leaves_other_slots, delete_racing_loads_and_stores,
    delete_seen_by_other_handle, delete_survives_reopen, delete_then_load_is_absent,
    empty_value_after_delete, store_after_delete,
};
pub use self::journal::{
    appends_change_the_version, compaction_drops_exactly_what_it_includes,
    compaction_racing_appends_loses_nothing, concurrent_appends_are_all_kept,
    crash_keeps_the_journal, empty_journal_loads_the_snapshot,
    journal_needs_a_snapshot_with_a_position, journal_of_an_absent_slot, journal_survives_reopen,
    records_keep_their_order, store_racing_appends_replaces_them, store_replaces_the_journal,
    unknown_records_are_kept,
};
pub use self::lease::{
    break_fences_the_holder, fenced_writes_act_as_plain_writes, journal_writes_are_fenced,
    lapsed_lease_is_taken_after_the_delay, lease_of_a_fresh_slot,
    one_holder_among_racing_acquirers, release_lets_the_next_holder_in, renew_keeps_the_lease,
    stale_holder_cannot_write, tokens_never_repeat_across_crash, tokens_never_repeat_across_reopen,
};
pub use self::race::{versioned_counter_race, versions_name_their_values_under_concurrency};
pub use self::restart::{
    crash_keeps_acknowledged_stores, crash_keeps_deletes, crash_keeps_versions,
    versions_never_repeat_across_reopen, versions_survive_reopen,
};
pub use self::slots::{
    no_stale_value_after_another_handle_writes, persistence_across_reopen, slot_isolation,
    slot_names_across_the_alphabet, visibility_across_handles,
};
pub use self::values::{
    absent_load, all_byte_values, empty_value, large_value, overwrite_long_then_short, round_trip,
    session_round_trip, value_lengths_around_boundaries, values_that_look_like_other_formats,
};
pub use self::versioned::{
    delete_makes_version_stale, load_versioned_absent, load_versioned_after_delete,
    load_versioned_sees_plain_store, no_stale_version_after_another_handle_writes,
    plain_store_makes_version_stale, store_if_absent_creates, store_if_absent_on_present_conflicts,
    store_if_after_delete, store_if_current_version_succeeds, store_if_keeps_values_whole,
    store_if_of_the_same_bytes, store_if_on_an_empty_value, store_if_stale_version_conflicts,
    store_if_version_on_never_written_slot_conflicts, versions_tell_apart_values_one_byte_apart,
};
pub use crate::model::{
    random_operations, random_operations_all, random_operations_versioned,
    random_operations_with_delete,
};
