//! Every conformance case, as a public async function taking the [`Harness`](crate::Harness).
//!
//! Each case uses fresh random slot names, gives up after [`CASE_TIMEOUT`](crate::CASE_TIMEOUT), and panics
//! with ``conformance case `<name>` failed: <what differed>`` when the storage breaks the rule it checks.
//! Errors of the storage fail the case with their `Display` and sources.
//!
//! - Core ([`run_all`](crate::run_all)): [`absent_load`], [`round_trip`], [`empty_value`],
//!   [`overwrite_long_then_short`], [`all_byte_values`], [`large_value`], [`slot_isolation`],
//!   [`visibility_across_handles`], [`persistence_across_reopen`], [`concurrent_stores`],
//!   [`session_round_trip`].
//! - Delete ([`run_delete`](crate::run_delete)): [`delete_then_load_is_absent`], [`delete_is_idempotent`],
//!   [`delete_leaves_other_slots`], [`store_after_delete`], [`delete_seen_by_other_handle`],
//!   [`delete_survives_reopen`].
//! - Versioned ([`run_versioned`](crate::run_versioned)): [`load_versioned_absent`],
//!   [`load_versioned_sees_plain_store`], [`store_if_absent_creates`],
//!   [`store_if_absent_on_present_conflicts`], [`store_if_stale_version_conflicts`],
//!   [`store_if_current_version_succeeds`], [`plain_store_makes_version_stale`], [`versioned_counter_race`].
//! - Delete and versioned ([`run_delete_versioned`](crate::run_delete_versioned)):
//!   [`delete_makes_version_stale`].

mod concurrency;
mod delete;
mod race;
mod slots;
mod values;
mod versioned;

pub use self::concurrency::concurrent_stores;
pub use self::delete::{
    delete_is_idempotent, delete_leaves_other_slots, delete_seen_by_other_handle,
    delete_survives_reopen, delete_then_load_is_absent, store_after_delete,
};
pub use self::race::versioned_counter_race;
pub use self::slots::{persistence_across_reopen, slot_isolation, visibility_across_handles};
pub use self::values::{
    absent_load, all_byte_values, empty_value, large_value, overwrite_long_then_short, round_trip,
    session_round_trip,
};
pub use self::versioned::{
    delete_makes_version_stale, load_versioned_absent, load_versioned_sees_plain_store,
    plain_store_makes_version_stale, store_if_absent_creates, store_if_absent_on_present_conflicts,
    store_if_current_version_succeeds, store_if_stale_version_conflicts,
};
