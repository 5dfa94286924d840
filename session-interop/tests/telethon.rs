//! Telethon `StringSession`: the real Telethon 1.45 vector reads as the vectors' account and writes back to
//! the same bytes, IPv6 strings round trip, everything the string cannot hold is reported, malformed strings
//! are rejected with the reason, and no truncated or mutated string makes the reader panic or return garbage.

mod support;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use proptest::prelude::*;
use session_core::Session;
use session_interop::{read, write, Format, InteropError, WriteOptions};
use support::{
    any_string_session, assert_every_truncation_is_rejected, assert_malformed, assert_mentions,
    assert_only_the_home_dc_is_kept, assert_string_round_trip, check_string_accepted, mutate,
    string_edits, vector_session,
};

const VECTOR: &[u8] = include_bytes!("vectors/telethon_string_ipv4.txt");
const FORMAT: Format = Format::TelethonString;

/// A Telethon string of the raw fields, as Telethon encodes them.
fn encode(dc: u8, ip: &[u8], port: u16, key: &[u8]) -> String {
    let mut raw = vec![dc];
    raw.extend_from_slice(ip);
    raw.extend_from_slice(&port.to_be_bytes());
    raw.extend_from_slice(key);
    format!("1{}", URL_SAFE.encode(raw))
}

fn write_string(session: &Session) -> Result<session_interop::Exported, InteropError> {
    write(FORMAT, session, &WriteOptions::default())
}

fn ipv6_session(addr: &str) -> Session {
    let mut session = vector_session();
    session.dcs[0].ipv4 = None;
    session.dcs[0].ipv6 = Some(addr.parse().unwrap());
    session
}

#[test]
fn the_vector_reads_as_the_vectors_account() {
    let imported = read(FORMAT, VECTOR).unwrap();
    assert_eq!(imported.session, vector_session());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    let key = imported.session.home_auth_key().unwrap();
    assert_eq!(key.id().to_string(), "32d1586ea457dfc8");
}

#[test]
fn writing_the_vector_session_gives_the_vectors_bytes() {
    assert_eq!(VECTOR.len(), 353);
    let session = read(FORMAT, VECTOR).unwrap().session;
    let exported = write_string(&session).unwrap();
    assert_eq!(&exported.bytes[..], VECTOR);
    assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
}

#[test]
fn surrounding_whitespace_such_as_a_final_newline_is_ignored() {
    let mut text = b"  ".to_vec();
    text.extend_from_slice(VECTOR);
    text.extend_from_slice(b"\r\n");
    assert_eq!(read(FORMAT, &text).unwrap().session, vector_session());
}

#[test]
fn ipv6_strings_are_369_characters_and_round_trip() {
    let session = ipv6_session("[2001:67c:4e8:f002::a]:443");
    let exported = write_string(&session).unwrap();
    assert_eq!(exported.bytes.len(), 369);
    assert!(exported.dropped.is_empty());
    assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
}

#[test]
fn with_both_addresses_ipv4_is_written_and_ipv6_reported() {
    let mut session = vector_session();
    session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    let exported = write_string(&session).unwrap();
    assert_eq!(&exported.bytes[..], VECTOR);
    assert_mentions(&exported.dropped, &["IPv6 address of DC 2"]);
}

#[test]
fn everything_but_the_home_dc_is_reported_dropped() {
    assert_only_the_home_dc_is_kept(FORMAT, VECTOR);
}

#[test]
fn a_session_without_a_key_is_refused_not_written_empty() {
    let mut session = vector_session();
    session.dcs[0].auth_key = None;
    for session in [session, Session::new()] {
        match write_string(&session) {
            Err(InteropError::MissingField { field, .. }) => {
                assert!(
                    field == "auth key for its home DC" || field == "home DC",
                    "{field}"
                )
            }
            other => panic!("expected MissingField, got {other:?}"),
        }
    }

    // Telethon's empty string is not read either: it holds nothing, and empty input must not look like Telethon.
    assert_malformed(read(FORMAT, b""), FORMAT, "empty");
    assert_malformed(read(FORMAT, b" \n"), FORMAT, "empty");
}

#[test]
fn an_all_zero_key_means_no_key() {
    let ip = [149, 154, 167, 51];
    let imported = read(FORMAT, encode(2, &ip, 443, &[0; 256]).as_bytes()).unwrap();
    assert_eq!(imported.session.dcs[0].auth_key, None);
    assert_eq!(imported.session.home_dc, Some(2));
    // Telethon saves such a session as the empty string; the writer refuses it.
    assert!(matches!(
        write_string(&imported.session),
        Err(InteropError::MissingField { .. })
    ));
}

#[test]
fn malformed_strings_are_rejected_with_the_reason() {
    let key: Vec<u8> = (0..=255).collect();
    let v4 = [149, 154, 167, 51];
    let v6: [u8; 16] = "2001:67c:4e8:f002::a"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let vector = std::str::from_utf8(VECTOR).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (vector.replacen('1', "2", 1), "version character"),
        (vector[1..].to_owned(), "version character"),
        (vector.replace('-', "+"), "alphabet"),
        (vector.trim_end_matches('=').to_owned(), "base64"),
        (encode(2, &v4, 443, &[&key[..], &[1]].concat()), "264 bytes"),
        (encode(2, &v4, 443, &key[..255]), "262 bytes"),
        (encode(0, &v4, 443, &key), "DC id 0"),
        (encode(2, &v4, 0, &key), "port 0"),
        (encode(2, &[0, 2, 58, 58], 443, &key), "0.0.0.0/8"),
        (encode(2, &[255; 4], 443, &key), "broadcast"),
        (encode(2, &[224, 0, 0, 1], 443, &key), "multicast"),
        (encode(2, &[0; 16], 443, &key), "unspecified"),
        (
            encode(2, &std::net::Ipv6Addr::LOCALHOST.octets(), 443, &key),
            "global unicast",
        ),
        (encode(2, &[0xfd; 16], 443, &key), "global unicast"),
        (encode(2, &v6, 0, &key), "port 0"),
    ];
    for (text, reason) in cases {
        let result = read(FORMAT, text.as_bytes());
        if let Err(err) = &result {
            let message = err.to_string();
            assert!(
                !message.contains(&text[1..20]),
                "the error quotes the input: {message}"
            );
        }
        assert_malformed(result, FORMAT, reason);
    }
}

#[test]
fn sessions_the_string_cannot_hold_are_refused() {
    let mut big_dc = vector_session();
    big_dc.home_dc = Some(300);
    big_dc.dcs[0].id = 300;
    assert!(matches!(
        write_string(&big_dc),
        Err(InteropError::Unwritable { .. })
    ));

    let mut no_address = vector_session();
    no_address.dcs[0].ipv4 = None;
    assert!(matches!(
        write_string(&no_address),
        Err(InteropError::MissingField { .. })
    ));

    for addr in ["0.0.0.0:443", "149.154.167.51:0"] {
        let mut bad = vector_session();
        bad.dcs[0].ipv4 = Some(addr.parse().unwrap());
        assert!(
            matches!(write_string(&bad), Err(InteropError::Unwritable { .. })),
            "{addr}"
        );
    }
    // Telethon could hold it, but the string could not be told apart from GramJS's: refused, not mangled.
    assert!(matches!(
        write_string(&ipv6_session("[fd00::1]:443")),
        Err(InteropError::Unwritable { .. })
    ));
}

#[test]
fn every_truncation_is_rejected() {
    assert_every_truncation_is_rejected(FORMAT, VECTOR);
}

proptest! {
    #[test]
    fn mutated_vectors_never_panic_and_never_give_garbage(
        edits in string_edits(VECTOR.len(), b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    ) {
        check_string_accepted(FORMAT, &mutate(VECTOR, &edits));
    }

    #[test]
    fn written_strings_read_back_the_same(
        session in any_string_session(0x2000..=0x3fff, 1..=u16::MAX)
    ) {
        let text = assert_string_round_trip(FORMAT, &session);
        let len = if session.dcs[0].ipv4.is_some() { 353 } else { 369 };
        prop_assert_eq!(text.len(), len);
    }
}
