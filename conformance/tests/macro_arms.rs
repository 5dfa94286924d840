//! Every arm of `conformance_tests!` expands to working tests (the arm with both extensions in its usual
//! order runs in `session-core`'s tests).

use session_conformance::MemoryHarness;

/// `conformance_tests!(h)`: the core cases.
mod core_only {
    session_conformance::conformance_tests!(super::MemoryHarness::new());
}

/// `conformance_tests!(h, delete)`.
mod with_delete {
    session_conformance::conformance_tests!(super::MemoryHarness::new(), delete);
}

/// `conformance_tests!(h, versioned)`, with a trailing comma.
mod with_versioned {
    session_conformance::conformance_tests!(super::MemoryHarness::new(), versioned,);
}

/// `conformance_tests!(h, versioned, delete)`: both, in the other order.
mod with_both_reversed {
    session_conformance::conformance_tests!(super::MemoryHarness::new(), versioned, delete);
}
