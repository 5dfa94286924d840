//! `conformance_tests!` and the one list of cases that both the macro and the `run_*` functions expand.

/// Generates one `#[test]` per conformance case, named after the case.
///
/// ```text
/// conformance_tests!(harness_expr);                    // the core cases (SessionStorage)
/// conformance_tests!(harness_expr, delete);            // + the SessionDelete cases
/// conformance_tests!(harness_expr, versioned);         // + the VersionedStorage cases
/// conformance_tests!(harness_expr, delete, versioned); // + both, and the cases that need both
/// ```
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
    ($harness:expr $(,)?) => {
        $crate::__cases!(core; test $harness);
    };
    ($harness:expr, delete $(,)?) => {
        $crate::__cases!(core; test $harness);
        $crate::__cases!(delete; test $harness);
    };
    ($harness:expr, versioned $(,)?) => {
        $crate::__cases!(core; test $harness);
        $crate::__cases!(versioned; test $harness);
    };
    ($harness:expr, delete, versioned $(,)?) => {
        $crate::__cases!(core; test $harness);
        $crate::__cases!(delete; test $harness);
        $crate::__cases!(versioned; test $harness);
        $crate::__cases!(delete_versioned; test $harness);
    };
    ($harness:expr, versioned, delete $(,)?) => {
        $crate::conformance_tests!($harness, delete, versioned);
    };
}

/// The cases of each group, in the order the `run_*` functions run them; hands them to `__each!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __cases {
    (core; $($how:tt)*) => {
        $crate::__each!([
            absent_load
            round_trip
            empty_value
            overwrite_long_then_short
            all_byte_values
            large_value
            slot_isolation
            visibility_across_handles
            persistence_across_reopen
            concurrent_stores
            session_round_trip
        ] $($how)*);
    };
    (delete; $($how:tt)*) => {
        $crate::__each!([
            delete_then_load_is_absent
            delete_is_idempotent
            delete_leaves_other_slots
            store_after_delete
            delete_seen_by_other_handle
            delete_survives_reopen
        ] $($how)*);
    };
    (versioned; $($how:tt)*) => {
        $crate::__each!([
            load_versioned_absent
            load_versioned_sees_plain_store
            store_if_absent_creates
            store_if_absent_on_present_conflicts
            store_if_stale_version_conflicts
            store_if_current_version_succeeds
            plain_store_makes_version_stale
            versioned_counter_race
        ] $($how)*);
    };
    (delete_versioned; $($how:tt)*) => {
        $crate::__each!([
            delete_makes_version_stale
        ] $($how)*);
    };
}

/// Expands a list of cases either into tests (`test <harness expression>`) or into awaited calls inside an
/// async function (`run <harness reference>`).
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
    ([$($case:ident)*] run $harness:expr) => {
        $(
            $crate::cases::$case($harness).await;
        )*
    };
}
