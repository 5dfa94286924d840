//! The codec against its specification: golden files, framing errors, unknown sections, determinism.

use session_conformance::fixtures;
use session_core::codec::{FORMAT_VERSION, MAGIC};
use session_core::{CodecError, PeerId, PeerKind, Session};

/// The golden files pin the format: today's encoder must produce them byte for byte and today's decoder must
/// read them. A change to these bytes must be deliberate: regenerate with `TGSESSION_BLESS=1 cargo test -p
/// session-core --test codec` and explain the change in docs/FORMAT.md.
#[test]
fn golden_files_match_encoder_and_decoder() {
    let cases = [
        ("empty.tgs", Session::new()),
        ("auth_only.tgs", fixtures::auth_only()),
        ("full.tgs", fixtures::full()),
        ("login_state.tgs", fixtures::login_state()),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for (name, session) in cases {
        let path = dir.join(name);
        let encoded = session.encode().unwrap();
        if std::env::var_os("TGSESSION_BLESS").is_some() {
            std::fs::write(&path, &encoded).unwrap();
        }
        let golden = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            encoded == golden,
            "{name}: the encoder no longer produces the golden bytes"
        );
        assert_eq!(
            Session::decode(&golden).unwrap(),
            session,
            "{name}: decoded differently"
        );
    }
}

#[test]
fn empty_session_is_the_documented_twenty_bytes() {
    let bytes = Session::new().encode().unwrap();
    assert_eq!(bytes.len(), 20);
    assert_eq!(bytes[..8], MAGIC);
    assert_eq!(bytes[8..16], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(bytes[16..], crc32c::crc32c(&bytes[..16]).to_le_bytes());
}

#[test]
fn home_dc_only_matches_the_worked_example() {
    let mut session = Session::new();
    session.home_dc = Some(2);
    let bytes = session.encode().unwrap();
    assert_eq!(bytes.len(), 30);
    assert_eq!(bytes[12..16], 10u32.to_le_bytes());
    assert_eq!(bytes[16..26], [1, 0, 4, 0, 0, 0, 2, 0, 0, 0]);
}

/// Builds a frame around `body` with a correct checksum, as a writer of `version` would.
fn frame(version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn section(tag: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = tag.to_le_bytes().to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Splits an encoding into its sections' raw bytes.
fn body_sections(encoded: &[u8]) -> Vec<Vec<u8>> {
    let mut body = &encoded[16..encoded.len() - 4];
    let mut out = Vec::new();
    while !body.is_empty() {
        let len = u32::from_le_bytes(body[2..6].try_into().unwrap()) as usize;
        out.push(body[..6 + len].to_vec());
        body = &body[6 + len..];
    }
    out
}

#[test]
fn unknown_sections_from_a_future_writer_survive_a_round_trip() {
    // A "future" writer added sections 0x0007 (between known ones) and 0x7000 (after all of them).
    let known = body_sections(&fixtures::full().encode().unwrap());
    let mut body = Vec::new();
    let mut inserted = false;
    for s in &known {
        let tag = u16::from_le_bytes([s[0], s[1]]);
        if tag > 0x0007 && !inserted {
            body.extend(section(0x0007, b"future field"));
            inserted = true;
        }
        body.extend_from_slice(s);
    }
    body.extend(section(0x7000, &[0xde, 0xad, 0xbe, 0xef]));
    let future = frame(FORMAT_VERSION, &body);

    let decoded = Session::decode(&future).unwrap();
    let unknown: Vec<_> = decoded.unknown_sections.iter().collect();
    assert_eq!(
        unknown,
        vec![
            (0x0007, &b"future field"[..]),
            (0x7000, &[0xde, 0xad, 0xbe, 0xef][..])
        ]
    );
    // Everything known was read as usual...
    let mut without_unknown = decoded.clone();
    without_unknown.unknown_sections = Default::default();
    assert_eq!(without_unknown, fixtures::full());
    // ...and writing it back gives the future writer's bytes exactly.
    assert_eq!(decoded.encode().unwrap(), future);
    // The JSON export keeps them too.
    let json = serde_json::to_string(&decoded).unwrap();
    assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), decoded);
}

#[test]
fn json_cannot_smuggle_a_known_tag_into_unknown_sections() {
    let json = r#"{"unknown_sections":[{"tag":1,"data":"00"}]}"#;
    let err = serde_json::from_str::<Session>(json).unwrap_err();
    assert!(err.to_string().contains("known section"), "{err}");
}

#[test]
fn newer_format_version_is_unsupported_not_absent() {
    let bytes = frame(FORMAT_VERSION + 1, &[]);
    assert_eq!(
        Session::decode(&bytes),
        Err(CodecError::UnsupportedVersion {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        })
    );
    // Even when the rest of the frame is garbage: the version is checked before length and checksum.
    let mut garbage = bytes.clone();
    garbage.truncate(12);
    garbage.extend_from_slice(&[0xff; 9]);
    assert!(matches!(
        Session::decode(&garbage),
        Err(CodecError::UnsupportedVersion { .. })
    ));
}

#[test]
fn framing_errors_are_typed() {
    let good = fixtures::auth_only().encode().unwrap();
    assert_eq!(Session::decode(b"1BVKJkwAAAAA"), Err(CodecError::BadMagic));
    assert_eq!(
        Session::decode(b"SQLite format 3\0"),
        Err(CodecError::BadMagic)
    );
    assert_eq!(Session::decode(&[]), Err(CodecError::Truncated));
    assert_eq!(Session::decode(&good[..5]), Err(CodecError::Truncated));
    assert_eq!(
        Session::decode(&good[..good.len() - 1]),
        Err(CodecError::Truncated)
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        Session::decode(&longer),
        Err(CodecError::InvalidField { .. })
    ));
    let mut flipped = good.clone();
    flipped[100] ^= 0x01;
    assert!(matches!(
        Session::decode(&flipped),
        Err(CodecError::ChecksumMismatch { .. })
    ));
    let mut reserved = frame(1, &[]);
    reserved[10] = 1;
    assert!(matches!(
        Session::decode(&reserved),
        Err(CodecError::InvalidField { .. })
    ));
}

#[test]
fn body_errors_are_typed() {
    // Out-of-order tags.
    let body = [
        section(0x0003, &1i32.to_le_bytes()),
        section(0x0001, &2i32.to_le_bytes()),
    ]
    .concat();
    assert!(matches!(
        Session::decode(&frame(1, &body)),
        Err(CodecError::InvalidField { .. })
    ));
    // A known section with leftover bytes.
    let body = section(0x0001, &[2, 0, 0, 0, 9]);
    assert!(matches!(
        Session::decode(&frame(1, &body)),
        Err(CodecError::InvalidField { .. })
    ));
    // A section longer than the body.
    let mut body = section(0x0001, &2i32.to_le_bytes());
    body[2] = 200;
    assert_eq!(
        Session::decode(&frame(1, &body)),
        Err(CodecError::Truncated)
    );
    // A count that promises more peers than the bytes could hold: refused before allocating.
    let body = section(0x0050, &u32::MAX.to_le_bytes());
    assert_eq!(
        Session::decode(&frame(1, &body)),
        Err(CodecError::Truncated)
    );
    // An unknown peer kind.
    let mut peers = 1u32.to_le_bytes().to_vec();
    peers.extend_from_slice(&[9, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        Session::decode(&frame(1, &section(0x0050, &peers))),
        Err(CodecError::InvalidField {
            field: "peer kind",
            ..
        })
    ));
    // Invalid UTF-8 in a username.
    let mut user = 5i64.to_le_bytes().to_vec();
    user.extend_from_slice(&[0b10, 2, 0, 0xff, 0xfe]);
    assert!(matches!(
        Session::decode(&frame(1, &section(0x0020, &user))),
        Err(CodecError::InvalidField {
            field: "user username",
            ..
        })
    ));
}

#[test]
fn encoding_is_deterministic_and_refuses_what_it_cannot_represent() {
    let session = fixtures::with_peers(1000);
    assert_eq!(session.encode().unwrap(), session.clone().encode().unwrap());

    let mut mismatched = Session::new();
    mismatched.peers.insert(
        PeerId::Chat(1),
        session_core::Peer {
            kind: PeerKind::Bot,
            ..Default::default()
        },
    );
    assert!(matches!(
        mismatched.encode(),
        Err(CodecError::InvalidField {
            field: "peer kind",
            ..
        })
    ));

    let mut long = Session::new();
    long.user = Some(session_core::User {
        username: Some("x".repeat(70_000)),
        ..Default::default()
    });
    assert!(matches!(
        long.encode(),
        Err(CodecError::LimitExceeded { .. })
    ));
}

#[test]
fn debug_and_errors_never_show_key_bytes() {
    let session = fixtures::full();
    let debug = format!("{session:?}{session:#?}");
    // The sample key is 00 01 02 ... ff; its bytes would show as a run of small integers.
    assert!(!debug.contains("0, 1, 2, 3"), "key bytes in Debug");
    assert!(
        debug.contains("32d1586ea457dfc8"),
        "key id missing from Debug"
    );
    let mut damaged = session.encode().unwrap();
    let len = damaged.len();
    damaged[len - 1] ^= 0xff;
    let err = Session::decode(&damaged).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("0, 1, 2, 3"));
}
