//! Fuzzes `Session::decode`: any input must give `Ok` or `Err`, never a panic, a hang or a runaway allocation,
//! and whatever decodes must re-encode to exactly the same bytes.
//!
//! Run from `session-core/`: `cargo fuzz run decode` (add `-- -max_total_time=600` for a bounded run; seed
//! the corpus with `tests/golden/*.tgs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::Session;

fuzz_target!(|data: &[u8]| {
    if let Ok(session) = Session::decode(data) {
        let again = session.encode().expect("a decoded session must encode");
        assert_eq!(again, data, "a decoded session re-encoded to other bytes");
    }
});
