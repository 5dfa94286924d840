//! Fuzzes the section parser of `Session::decode`: the input becomes the body of a correctly framed and
//! checksummed encoding, so mutations are not all stopped by the checksum. Same properties as `decode`.
//!
//! Run from `session-core/`: `cargo fuzz run decode_body`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::codec::{FORMAT_VERSION, MAGIC};
use session_core::Session;

fuzz_target!(|body: &[u8]| {
    let Ok(body_len) = u32::try_from(body.len()) else {
        return;
    };
    let mut data = MAGIC.to_vec();
    data.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    data.extend_from_slice(&0u16.to_le_bytes());
    data.extend_from_slice(&body_len.to_le_bytes());
    data.extend_from_slice(body);
    let checksum = crc32c::crc32c(&data);
    data.extend_from_slice(&checksum.to_le_bytes());
    if let Ok(session) = Session::decode(&data) {
        let again = session.encode().expect("a decoded session must encode");
        assert_eq!(again, data, "a decoded session re-encoded to other bytes");
    }
});
