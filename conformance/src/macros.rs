//! `conformance_tests!` and the one list of cases that both the macro and the `run_*` functions expand.

/// Generates one `#[test]` per conformance case, named after the case.
///
/// ```text
/// conformance_tests!(harness_expr);                           // the core cases (SessionStorage)
/// conformance_tests!(harness_expr, delete);                   // + the SessionDelete cases
/// conformance_tests!(harness_expr, versioned);                // + the VersionedStorage cases
/// conformance_tests!(harness_expr, delete, versioned);        // + both, and the cases that need both
/// conformance_tests!(harness_expr, delete, versioned, crash); // + the crash cases (Harness::crash)
/// conformance_tests!(harness_expr, journal);                  // + the JournalStorage cases
/// conformance_tests!(harness_expr, lease);                    // + the LeaseStorage cases
/// ```
///
/// The words after the harness may come in any order. Without `crash`, the crash cases of the listed traits
/// are generated as ignored tests (`cargo test` lists them as ignored, never as passed); list `crash` once
/// the harness implements [`Harness::crash`](crate::Harness::crash).
///
/// `harness_expr` is any expression of a type implementing [`Harness`](crate::Harness); every test evaluates
/// it afresh (inside the test's runtime, so it may spawn tasks), so each test gets its own harness. Each
/// test runs on its own multi-thread Tokio runtime with two workers, as
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` would; the calling crate needs no Tokio
/// dependency of its own. Invoke the macro once per module: the test names are the case names.
///
/// See the [crate documentation](crate) for a complete example.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr $(, $flag:ident)* $(,)?) => {
        $crate::__flags!($harness; [no no no no no]; $($flag)*);
    };
}

/// Reads the words of [`conformance_tests!`] into five flags (delete, versioned, crash, journal, lease).
#[doc(hidden)]
#[macro_export]
macro_rules! __flags {
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; delete $($rest:ident)*) => {
        $crate::__flags!($h; [yes $v $c $j $l]; $($rest)*);
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; versioned $($rest:ident)*) => {
        $crate::__flags!($h; [$d yes $c $j $l]; $($rest)*);
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; crash $($rest:ident)*) => {
        $crate::__flags!($h; [$d $v yes $j $l]; $($rest)*);
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; journal $($rest:ident)*) => {
        $crate::__flags!($h; [$d $v $c yes $l]; $($rest)*);
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; lease $($rest:ident)*) => {
        $crate::__flags!($h; [$d $v $c $j yes]; $($rest)*);
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident]; $other:ident $($rest:ident)*) => {
        compile_error!(concat!(
            "conformance_tests!: unknown word `", stringify!($other),
            "`; use delete, versioned, crash, journal or lease"
        ));
    };
    ($h:expr; [$d:ident $v:ident $c:ident $j:ident $l:ident];) => {
        $crate::__cases!(core; test $h);
        $crate::__when!([$d] $crate::__cases!(delete; test $h););
        $crate::__when!([$v] $crate::__cases!(versioned; test $h););
        $crate::__when!([$d $v] $crate::__cases!(delete_versioned; test $h););
        $crate::__when!([$j] $crate::__cases!(journal; test $h););
        $crate::__when!([$j $v] $crate::__cases!(journal_versioned; test $h););
        $crate::__when!([$l] $crate::__cases!(lease; test $h););
        $crate::__when!([$l $j] $crate::__cases!(lease_journal; test $h););
        $crate::__crash!([$c] crash $h);
        $crate::__when!([$d] $crate::__crash!([$c] crash_delete $h););
        $crate::__when!([$v] $crate::__crash!([$c] crash_versioned $h););
        $crate::__when!([$j] $crate::__crash!([$c] crash_journal $h););
        $crate::__when!([$l] $crate::__crash!([$c] crash_lease $h););
    };
}

/// Generates the crash cases of `group` as tests when `crash` was listed, as ignored tests otherwise.
#[doc(hidden)]
#[macro_export]
macro_rules! __crash {
    ([yes] $group:ident $h:expr) => {
        $crate::__cases!($group; test $h);
    };
    ([no] $group:ident $h:expr) => {
        $crate::__cases!($group; ignored $h);
    };
}

/// Expands the items after the flags when every flag is `yes`.
#[doc(hidden)]
#[macro_export]
macro_rules! __when {
    ([$(yes)*] $($items:tt)*) => {
        $($items)*
    };
    ([$($flag:ident)*] $($items:tt)*) => {};
}

/// The cases of each group, in the order the `run_*` functions run them; hands them to `__each!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __cases {
    (core; $($how:tt)*) => {
        $crate::__each! {[
            absent_load
            round_trip
            empty_value
            overwrite_long_then_short
            all_byte_values
            values_that_look_like_other_formats
            large_value
            value_lengths_around_boundaries
            slot_isolation
            slot_names_across_the_alphabet
            visibility_across_handles
            no_stale_value_after_another_handle_writes
            persistence_across_reopen
            concurrent_stores
            readers_never_see_a_mix
            stores_on_different_slots_at_once
            handles_agree_after_concurrent_stores
            session_round_trip
            random_operations
        ] $($how)*}
    };
    (delete; $($how:tt)*) => {
        $crate::__each! {[
            delete_then_load_is_absent
            delete_is_idempotent
            delete_leaves_other_slots
            store_after_delete
            empty_value_after_delete
            delete_seen_by_other_handle
            delete_survives_reopen
            delete_racing_loads_and_stores
            random_operations_with_delete
        ] $($how)*}
    };
    (versioned; $($how:tt)*) => {
        $crate::__each! {[
            load_versioned_absent
            load_versioned_sees_plain_store
            store_if_absent_creates
            store_if_absent_on_present_conflicts
            store_if_stale_version_conflicts
            store_if_current_version_succeeds
            store_if_version_on_never_written_slot_conflicts
            store_if_on_an_empty_value
            plain_store_makes_version_stale
            no_stale_version_after_another_handle_writes
            store_if_is_atomic_against_store
            versioned_counter_race
            versions_name_their_values_under_concurrency
            store_if_of_the_same_bytes
            store_if_keeps_values_whole
            versions_tell_apart_values_one_byte_apart
            versions_survive_reopen
            versions_never_repeat_across_reopen
            random_operations_versioned
        ] $($how)*}
    };
    (delete_versioned; $($how:tt)*) => {
        $crate::__each! {[
            delete_makes_version_stale
            load_versioned_after_delete
            store_if_after_delete
            store_if_is_atomic_against_delete
            random_operations_all
        ] $($how)*}
    };
    (journal; $($how:tt)*) => {
        $crate::__each! {[
            journal_of_an_absent_slot
            journal_needs_a_snapshot_with_a_position
            empty_journal_loads_the_snapshot
            records_keep_their_order
            unknown_records_are_kept
            store_replaces_the_journal
            compaction_drops_exactly_what_it_includes
            journal_survives_reopen
            concurrent_appends_are_all_kept
            compaction_racing_appends_loses_nothing
            store_racing_appends_replaces_them
        ] $($how)*}
    };
    (lease; $($how:tt)*) => {
        $crate::__each! {[
            lease_of_a_fresh_slot
            one_holder_among_racing_acquirers
            renew_keeps_the_lease
            lapsed_lease_is_taken_after_the_delay
            stale_holder_cannot_write
            release_lets_the_next_holder_in
            break_fences_the_holder
            fenced_writes_act_as_plain_writes
            tokens_never_repeat_across_reopen
        ] $($how)*}
    };
    (lease_journal; $($how:tt)*) => {
        $crate::__each! {[
            journal_writes_are_fenced
        ] $($how)*}
    };
    (crash_lease; $($how:tt)*) => {
        $crate::__each! {[
            tokens_never_repeat_across_crash
        ] $($how)*}
    };
    (journal_versioned; $($how:tt)*) => {
        $crate::__each! {[
            appends_change_the_version
        ] $($how)*}
    };
    (crash; $($how:tt)*) => {
        $crate::__each! {[
            crash_keeps_acknowledged_stores
        ] $($how)*}
    };
    (crash_delete; $($how:tt)*) => {
        $crate::__each! {[
            crash_keeps_deletes
        ] $($how)*}
    };
    (crash_versioned; $($how:tt)*) => {
        $crate::__each! {[
            crash_keeps_versions
        ] $($how)*}
    };
    (crash_journal; $($how:tt)*) => {
        $crate::__each! {[
            crash_keeps_the_journal
        ] $($how)*}
    };
}

/// Expands a list of cases into tests (`test <harness expression>`), ignored tests (`ignored <harness
/// expression>`, for crash cases of a harness that cannot crash), awaited calls inside an async function
/// (`run <harness reference>`), or an array of their names (`names`).
#[doc(hidden)]
#[macro_export]
macro_rules! __each {
    ([$($case:ident)*] test $harness:expr) => {
        $(
            #[test]
            fn $case() {
                $crate::__private::block_on(async {
                    let harness = $harness;
                    $crate::cases::$case(&harness).await;
                });
            }
        )*
    };
    ([$($case:ident)*] ignored $harness:expr) => {
        $(
            #[test]
            #[ignore = "not run: the harness does not simulate crashes (implement Harness::crash, then add \
                        `crash` to conformance_tests!)"]
            fn $case() {
                $crate::__private::block_on(async {
                    let harness = $harness;
                    $crate::cases::$case(&harness).await;
                });
            }
        )*
    };
    ([$($case:ident)*] run $harness:expr) => {
        $(
            $crate::cases::$case($harness).await;
        )*
    };
    ([$($case:ident)*] names) => {
        [$(stringify!($case)),*]
    };
}
