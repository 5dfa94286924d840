//! Property tests of the codec: random sessions round-trip exactly; random, mutated and truncated encodings
//! decode to `Err` or to a session that re-encodes to the same bytes, never a panic.

mod support;

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use session_core::Session;
use support::session;

/// Decodes `data`; whatever decodes must re-encode to exactly `data` (the format has one encoding per session).
fn check_decode(data: &[u8]) {
    if let Ok(session) = Session::decode(data) {
        let again = session.encode().expect("a decoded session encodes");
        assert_eq!(again, data, "a decoded session re-encodes to other bytes");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_round_trip_exactly(session in session()) {
        let bytes = session.encode().unwrap();
        prop_assert_eq!(Session::decode(&bytes).unwrap(), session.clone());
        prop_assert_eq!(session.encode().unwrap(), bytes);
    }

    #[test]
    fn random_bytes_never_panic(data in vec(any::<u8>(), 0..2048)) {
        check_decode(&data);
    }

    #[test]
    fn random_bodies_with_valid_frames_never_panic(body in vec(any::<u8>(), 0..1024)) {
        // Framing checks pass, so the section parser sees arbitrary bytes.
        let mut data = session_core::codec::MAGIC.to_vec();
        data.extend_from_slice(&1u16.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        data.extend_from_slice(&(body.len() as u32).to_le_bytes());
        data.extend_from_slice(&body);
        let crc = crc32c::crc32c(&data);
        data.extend_from_slice(&crc.to_le_bytes());
        check_decode(&data);
    }

    #[test]
    fn truncated_encodings_are_errors(session in session(), cut in any::<prop::sample::Index>()) {
        let bytes = session.encode().unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(Session::decode(&bytes[..cut]).is_err());
    }

    #[test]
    fn mutated_encodings_never_panic(
        session in session(),
        flips in vec((any::<prop::sample::Index>(), 1..=255u8), 1..4),
        fix_checksum in any::<bool>(),
    ) {
        let mut bytes = session.encode().unwrap();
        // Each position is flipped at most once, so flips never cancel out.
        let flips: BTreeMap<usize, u8> = flips.into_iter().map(|(at, xor)| (at.index(bytes.len()), xor)).collect();
        for (i, xor) in flips {
            bytes[i] ^= xor;
        }
        if fix_checksum && bytes.len() >= 20 {
            // Recompute the checksum so the mutation reaches the section parser.
            let end = bytes.len() - 4;
            let crc = crc32c::crc32c(&bytes[..end]);
            bytes[end..].copy_from_slice(&crc.to_le_bytes());
        } else {
            prop_assert!(Session::decode(&bytes).is_err(), "a mutation went unnoticed by the checksum");
        }
        check_decode(&bytes);
    }
}
