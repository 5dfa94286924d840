//! ferogram's portable `StringSession`: the real ferogram-session 0.6.6 vectors of both versions read as the
//! vectors' account, the version-2 one writes back to the same bytes, IPv6 strings round trip, what the
//! string cannot hold is reported, malformed strings are rejected with the reason, and no truncated or mutated
//! string makes the reader panic or return garbage.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use session_core::{Session, User};
use session_interop::{read, write, Format, InteropError, WriteOptions};
use support::{
    any_string_session, assert_every_truncation_is_rejected, assert_malformed, assert_mentions,
    assert_string_round_trip, check_string_accepted, full_session, mutate, string_edits,
    vector_session, vector_user, DROPPED_BY_ALL,
};

const V2: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_string.txt");
const V1: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_string_v1.txt");
const FORMAT: Format = Format::FerogramString;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The vectors' account as a ferogram string holds it: the home DC and the user's id.
fn vector_account() -> Session {
    let mut session = vector_session();
    session.user = Some(vector_user());
    session
}

/// A ferogram string of the raw fields: `extra` is version 1's salt, sequence number and layer.
fn encode(
    version: u8,
    dc: u8,
    ip: &[u8],
    port: u16,
    user: i64,
    extra: &[u8],
    key: &[u8],
) -> String {
    let mut raw = vec![version, dc, if ip.len() == 4 { 4 } else { 6 }];
    raw.extend_from_slice(ip);
    raw.extend_from_slice(&port.to_be_bytes());
    raw.extend_from_slice(&user.to_be_bytes());
    raw.extend_from_slice(extra);
    raw.extend_from_slice(key);
    URL_SAFE_NO_PAD.encode(raw)
}

fn write_string(session: &Session) -> Result<session_interop::Exported, InteropError> {
    write(FORMAT, session, &WriteOptions::default())
}

#[test]
fn the_version_2_vector_reads_as_the_vectors_account_and_writes_back_the_same() {
    let imported = read(FORMAT, V2).unwrap();
    assert_eq!(imported.session, vector_account());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    let key = imported.session.home_auth_key().unwrap();
    assert_eq!(key.id().to_string(), "32d1586ea457dfc8");
    let exported = write_string(&imported.session).unwrap();
    assert_eq!(&exported.bytes[..], V2);
    assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
}

#[test]
fn the_version_1_vector_adds_the_salt_and_drops_sequence_and_layer() {
    let imported = read(FORMAT, V1).unwrap();
    let mut expected = vector_account();
    expected.dcs[0].server_salt = 0x0102_0304_0506_0708;
    assert_eq!(imported.session, expected);
    assert_mentions(&imported.dropped, &["sequence number and API layer"]);
    assert_eq!(imported.dropped.len(), 1);
    // Written back, it is ferogram's current form: version 2, which has no place for the salt.
    let exported = write_string(&imported.session).unwrap();
    assert_eq!(&exported.bytes[..], V2);
    assert_mentions(&exported.dropped, &["server salt of DC 2"]);
}

#[test]
fn surrounding_whitespace_such_as_a_final_newline_is_ignored() {
    let mut text = b" ".to_vec();
    text.extend_from_slice(V2);
    text.extend_from_slice(b"\n");
    assert_eq!(read(FORMAT, &text).unwrap().session, vector_account());
}

#[test]
fn everything_but_the_home_dc_and_the_user_id_is_reported_dropped() {
    let exported = write_string(&full_session()).unwrap();
    let back = read(FORMAT, &exported.bytes).unwrap().session;
    assert_eq!(back.user, Some(vector_user()));
    assert_mentions(&exported.dropped, &DROPPED_BY_ALL);
    assert_mentions(
        &exported.dropped,
        &[
            "auth key of DC 4",
            "address of DC 4",
            "IPv6 address of DC 2",
            "bot flag",
            "logged-in user's username",
            "logged-in user's DC (4)",
            "update state",
            "4 cached peers",
            "api id",
            "takeout id",
        ],
    );
    // Without a user, the id is 0, which reads back as no user.
    let exported = write_string(&vector_session()).unwrap();
    assert_eq!(
        read(FORMAT, &exported.bytes).unwrap().session,
        vector_session()
    );
}

#[test]
fn sessions_the_string_cannot_hold_are_refused() {
    let mut no_key = vector_session();
    no_key.dcs[0].auth_key = None;
    let mut no_address = vector_session();
    no_address.dcs[0].ipv4 = None;
    for session in [no_key, no_address, Session::new()] {
        assert!(matches!(
            write_string(&session),
            Err(InteropError::MissingField { .. })
        ));
    }
    let mut big_dc = vector_session();
    big_dc.home_dc = Some(300);
    big_dc.dcs[0].id = 300;
    let mut local_v6 = vector_session();
    local_v6.dcs[0].ipv4 = None;
    local_v6.dcs[0].ipv6 = Some("[fd00::1]:443".parse().unwrap());
    for session in [big_dc, local_v6] {
        assert!(matches!(
            write_string(&session),
            Err(InteropError::Unwritable { .. })
        ));
    }
}

#[test]
fn malformed_strings_are_rejected_with_the_reason() {
    let key: Vec<u8> = (0..=255).collect();
    let v4 = [149, 154, 167, 51];
    let v1_extra = [0u8; 16];
    let user = 123_456_789;
    let cases: Vec<(String, &str)> = vec![
        (encode(3, 2, &v4, 443, user, &[], &key), "version byte 3"),
        (encode(0, 2, &v4, 443, user, &[], &key), "version byte 0"),
        (
            encode(2, 2, &v4, 443, user, &[], &key[..255]),
            "the input ends",
        ),
        (
            encode(2, 2, &v4, 443, user, &[1], &key),
            "1 bytes after the end",
        ),
        (encode(1, 2, &v4, 443, user, &[], &key), "the input ends"),
        (
            encode(2, 2, &v4, 443, user, &v1_extra, &key),
            "after the end",
        ),
        (encode(2, 0, &v4, 443, user, &[], &key), "DC id 0"),
        (encode(2, 2, &v4, 0, user, &[], &key), "port 0"),
        (
            encode(2, 2, &[0, 2, 58, 58], 443, user, &[], &key),
            "0.0.0.0/8",
        ),
        (
            encode(2, 2, &[224, 0, 0, 1], 443, user, &[], &key),
            "multicast",
        ),
        (encode(2, 2, &[0; 16], 443, user, &[], &key), "unspecified"),
        (
            encode(
                2,
                2,
                &std::net::Ipv6Addr::LOCALHOST.octets(),
                443,
                user,
                &[],
                &key,
            ),
            "global unicast",
        ),
        (encode(2, 2, &v4, 443, -5, &[], &key), "user id -5"),
        (format!("{}=", std::str::from_utf8(V2).unwrap()), "alphabet"),
        (
            std::str::from_utf8(V2).unwrap().replace('-', "+"),
            "alphabet",
        ),
    ];
    for (text, reason) in cases {
        let result = read(FORMAT, text.as_bytes());
        if let Err(err) = &result {
            let message = err.to_string();
            assert!(
                !message.contains(&text[10..30]),
                "the error quotes the input: {message}"
            );
        }
        assert_malformed(result, FORMAT, reason);
    }
    // An address type other than 4 or 6.
    let mut raw = URL_SAFE_NO_PAD.decode(V2).unwrap();
    raw[2] = 5;
    assert_malformed(
        read(FORMAT, URL_SAFE_NO_PAD.encode(raw).as_bytes()),
        FORMAT,
        "address type 5",
    );
}

#[test]
fn a_user_id_of_0_is_no_user_and_an_all_zero_key_no_key() {
    let v4 = [149, 154, 167, 51];
    let imported = read(FORMAT, encode(2, 2, &v4, 443, 0, &[], &[0; 256]).as_bytes()).unwrap();
    assert_eq!(imported.session.user, None);
    assert_eq!(imported.session.dcs[0].auth_key, None);
    assert!(matches!(
        write_string(&imported.session),
        Err(InteropError::MissingField { .. })
    ));
}

#[test]
fn every_truncation_is_rejected() {
    assert_every_truncation_is_rejected(FORMAT, V2);
    assert_every_truncation_is_rejected(FORMAT, V1);
}

#[test]
fn the_bot_flag_is_reported_and_read_back_as_not_known() {
    let mut session = vector_account();
    session.user = Some(User {
        bot: true,
        ..vector_user()
    });
    let exported = write_string(&session).unwrap();
    assert_mentions(&exported.dropped, &["bot flag"]);
    assert_eq!(
        read(FORMAT, &exported.bytes).unwrap().session,
        vector_account()
    );
}

proptest! {
    #[test]
    fn mutated_vectors_never_panic_and_never_give_garbage(
        edits in string_edits(V2.len(), ALPHABET),
    ) {
        check_string_accepted(FORMAT, &mutate(V2, &edits));
    }

    #[test]
    fn mutated_version_1_vectors_never_panic_and_lose_only_the_salt(
        edits in string_edits(V1.len(), ALPHABET),
    ) {
        // Written back as version 2, a version-1 session keeps everything but its salt.
        if let Ok(imported) = read(FORMAT, &mutate(V1, &edits)) {
            let mut session = imported.session;
            support::assert_plausible(&session);
            session.dcs[0].server_salt = 0;
            let written = write_string(&session).unwrap();
            prop_assert_eq!(read(FORMAT, &written.bytes).unwrap().session, session);
        }
    }

    #[test]
    fn written_strings_read_back_the_same(
        session in any_string_session(0x2000..=0x3fff, 1..=u16::MAX),
        user in proptest::option::of(1i64..=(1 << 40) - 1),
    ) {
        let mut session = session;
        session.user = user.map(|id| User { id, ..vector_user() });
        let text = assert_string_round_trip(FORMAT, &session);
        let len = if session.dcs[0].ipv4.is_some() { 364 } else { 380 };
        prop_assert_eq!(text.len(), len);
    }
}
