//! Fuzzes `Record::decode` and `Record::length_at`: any input must give `Ok` or `Err`, never a panic, a hang
//! or a runaway allocation, and a decoded patch must encode to a record that decodes to the same patch.
//!
//! Run from `session-core/`: `cargo fuzz run decode_record` (seed the corpus with `tests/golden/*.tgj`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::Record;

fuzz_target!(|data: &[u8]| {
    let _ = Record::length_at(data);
    if let Ok((epoch, Record::Patch(patch))) = Record::decode(data) {
        let again = Record::encode_patch(epoch, &patch).expect("a decoded patch must encode");
        assert_eq!(
            Record::decode(&again).expect("a re-encoded record must decode"),
            (epoch, Record::Patch(patch))
        );
    }
});
