//! GramJS `StringSession`: the real GramJS 2.26.22 vector reads as the vectors' account and writes back to the
//! same bytes, IPv6 addresses round trip, ports GramJS cannot save are refused or worked around, malformed
//! strings are rejected with the reason, and no truncated or mutated string makes the reader panic or return
//! garbage.

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::prelude::*;
use session_core::Session;
use session_interop::{read, write, Exported, Format, InteropError, WriteOptions};
use support::{
    any_string_session, assert_every_truncation_is_rejected, assert_malformed, assert_mentions,
    assert_only_the_home_dc_is_kept, assert_string_round_trip, check_string_accepted, mutate,
    string_edits, vector_session,
};

const VECTOR: &[u8] = include_bytes!("vectors/gramjs_2.26.22_string_ipv4.txt");
const FORMAT: Format = Format::GramjsString;

/// A GramJS string of the raw fields, as GramJS encodes them (the address length is given separately so
/// tests can lie about it).
fn encode(dc: u8, addr_len: i16, addr: &str, port: i16, key: &[u8]) -> String {
    let mut raw = vec![dc];
    raw.extend_from_slice(&addr_len.to_be_bytes());
    raw.extend_from_slice(addr.as_bytes());
    raw.extend_from_slice(&port.to_be_bytes());
    raw.extend_from_slice(key);
    format!("1{}", STANDARD.encode(raw))
}

fn write_string(session: &Session) -> Result<Exported, InteropError> {
    write(FORMAT, session, &WriteOptions::default())
}

fn unwritable_reason(result: Result<Exported, InteropError>) -> String {
    match result {
        Err(InteropError::Unwritable { reason, .. }) => reason,
        other => panic!("expected Unwritable, got {other:?}"),
    }
}

#[test]
fn the_vector_reads_as_the_vectors_account() {
    let imported = read(FORMAT, VECTOR).unwrap();
    assert_eq!(imported.session, vector_session());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
}

#[test]
fn writing_the_vector_session_gives_the_vectors_bytes() {
    let session = read(FORMAT, VECTOR).unwrap().session;
    let exported = write_string(&session).unwrap();
    assert_eq!(&exported.bytes[..], VECTOR);
    assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
}

#[test]
fn ipv6_addresses_are_written_as_text_and_round_trip() {
    let mut session = vector_session();
    session.dcs[0].ipv4 = None;
    session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    let exported = write_string(&session).unwrap();
    assert!(exported.dropped.is_empty());
    let expected = encode(
        2,
        20,
        "2001:67c:4e8:f002::a",
        443,
        vector_key_bytes().as_slice(),
    );
    assert_eq!(&exported.bytes[..], expected.as_bytes());
    assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
}

fn vector_key_bytes() -> Vec<u8> {
    (0..=255).collect()
}

#[test]
fn everything_but_the_home_dc_is_reported_dropped() {
    assert_only_the_home_dc_is_kept(FORMAT, VECTOR);
}

#[test]
fn a_port_above_32767_is_refused_when_it_is_the_only_address() {
    let mut session = vector_session();
    session.dcs[0].ipv4 = Some("149.154.167.51:40000".parse().unwrap());
    let reason = unwritable_reason(write_string(&session));
    assert!(
        reason.contains("40000") && reason.contains("32767"),
        "{reason}"
    );

    // With an IPv6 address whose port fits, that one is written and the IPv4 address reported.
    session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    let exported = write_string(&session).unwrap();
    assert_mentions(&exported.dropped, &["IPv4 address of DC 2"]);
    let dc = &read(FORMAT, &exported.bytes).unwrap().session.dcs[0];
    assert_eq!((dc.ipv4, dc.ipv6), (None, session.dcs[0].ipv6));

    // Both too big: refused.
    session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:65000".parse().unwrap());
    assert!(unwritable_reason(write_string(&session)).contains("32767"));

    // 32767 itself fits.
    session.dcs[0].ipv6 = None;
    session.dcs[0].ipv4 = Some("149.154.167.51:32767".parse().unwrap());
    let exported = write_string(&session).unwrap();
    assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
}

#[test]
fn sessions_without_what_the_string_needs_are_refused() {
    let mut no_key = vector_session();
    no_key.dcs[0].auth_key = None;
    assert!(matches!(
        write_string(&no_key),
        Err(InteropError::MissingField {
            field: "auth key for its home DC",
            ..
        })
    ));
    assert!(matches!(
        write_string(&Session::new()),
        Err(InteropError::MissingField {
            field: "home DC",
            ..
        })
    ));
    let mut no_address = vector_session();
    no_address.dcs[0].ipv4 = None;
    assert!(matches!(
        write_string(&no_address),
        Err(InteropError::MissingField {
            field: "address for its home DC",
            ..
        })
    ));
    let mut big_dc = vector_session();
    big_dc.home_dc = Some(10_002);
    big_dc.dcs[0].id = 10_002;
    assert!(unwritable_reason(write_string(&big_dc)).contains("10002"));
    let mut unspecified = vector_session();
    unspecified.dcs[0].ipv4 = Some("0.0.0.0:443".parse().unwrap());
    unwritable_reason(write_string(&unspecified));
}

#[test]
fn malformed_strings_are_rejected_with_the_reason() {
    let key = vector_key_bytes();
    let ip = "149.154.167.51";
    let vector = std::str::from_utf8(VECTOR).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (vector.replacen('1', "2", 1), "version character"),
        (vector.replace('+', "-"), "alphabet"),
        (vector.trim_end_matches('=').to_owned(), "base64"),
        (encode(2, 13, ip, 443, &key), "an address of 13 characters"),
        (encode(2, 15, ip, 443, &key), "an address of 15 characters"),
        (encode(2, -14, ip, 443, &key), "address length of -14"),
        (encode(2, 0, "", 443, &key), "address length of 0"),
        (
            encode(2, 14, ip, 443, &[&key[..], &[0]].concat()),
            "276 bytes",
        ),
        (encode(2, 14, ip, 443, &key[..255]), "274 bytes"),
        (encode(2, 1, "", 0, &[]), "5 bytes once decoded"),
        (encode(0, 14, ip, 443, &key), "DC id 0"),
        (
            encode(2, 14, "149.154.167.5x", 443, &key),
            "not an IPv4 or IPv6",
        ),
        (
            encode(2, 16, "[2001:67c:4e8::]", 443, &key),
            "not an IPv4 or IPv6",
        ),
        (
            encode(2, 18, "149.154.167.51:443", 443, &key),
            "not an IPv4 or IPv6",
        ),
        (encode(2, 2, "::", 443, &key), "unspecified"),
        (encode(2, 7, "0.2.3.4", 443, &key), "0.0.0.0/8"),
        (encode(2, 14, ip, 0, &key), "port 0"),
        (encode(2, 14, ip, -443, &key), "port -443"),
        (encode(2, 14, ip, 443, &[0; 256]), "all zeros"),
    ];
    for (text, reason) in cases {
        assert_malformed(read(FORMAT, text.as_bytes()), FORMAT, reason);
    }
}

#[test]
fn every_truncation_is_rejected() {
    assert_every_truncation_is_rejected(FORMAT, VECTOR);
}

proptest! {
    #[test]
    fn mutated_vectors_never_panic_and_never_give_garbage(
        edits in string_edits(VECTOR.len(), b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    ) {
        check_string_accepted(FORMAT, &mutate(VECTOR, &edits));
    }

    #[test]
    fn written_strings_read_back_the_same(session in any_string_session(1..=0xfeff, 1..=32767)) {
        assert_string_round_trip(FORMAT, &session);
    }

    #[test]
    fn arbitrary_fields_never_panic(
        dc in any::<u8>(), len in any::<i16>(), addr in "[0-9a-f.:]{0,46}", port in any::<i16>(),
        key_len in 250usize..260
    ) {
        check_string_accepted(FORMAT, encode(dc, len, &addr, port, &vec![7; key_len]).as_bytes());
    }
}
