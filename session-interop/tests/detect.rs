//! `detect` on every vector: each is recognized as exactly its own format, and inputs that are no session at
//! all are refused with a typed error instead of a guess.

mod support;

use session_interop::{detect, read_any, Format, InteropError};

/// Every vector made by a real library, with the format it must be detected as.
const VECTORS: &[(&str, &[u8], Format)] = &[
    (
        "telethon_string_ipv4.txt",
        include_bytes!("vectors/telethon_string_ipv4.txt"),
        Format::TelethonString,
    ),
    (
        "telethon_v8.session",
        include_bytes!("vectors/telethon_v8.session"),
        Format::TelethonSqlite,
    ),
    (
        "telethon2_v10.session",
        include_bytes!("vectors/telethon2_v10.session"),
        Format::Telethon2Sqlite,
    ),
    (
        "pyrogram_2.0.106_string.txt",
        include_bytes!("vectors/pyrogram_2.0.106_string.txt"),
        Format::PyrogramString,
    ),
    (
        "pyrogram_2.0.106.session",
        include_bytes!("vectors/pyrogram_2.0.106.session"),
        Format::PyrogramSqlite,
    ),
    (
        "gramjs_2.26.22_string_ipv4.txt",
        include_bytes!("vectors/gramjs_2.26.22_string_ipv4.txt"),
        Format::GramjsString,
    ),
    (
        "grammers-session_0.11.0.sqlite",
        include_bytes!("vectors/grammers-session_0.11.0.sqlite"),
        Format::GrammersSqlite,
    ),
    (
        "ferogram-session_0.6.6_v8.bin",
        include_bytes!("vectors/ferogram-session_0.6.6_v8.bin"),
        Format::Layer,
    ),
    (
        "ferogram-session_0.6.6_string.txt",
        include_bytes!("vectors/ferogram-session_0.6.6_string.txt"),
        Format::FerogramString,
    ),
    (
        "ferogram-session_0.6.6_string_v1.txt",
        include_bytes!("vectors/ferogram-session_0.6.6_string_v1.txt"),
        Format::FerogramString,
    ),
    (
        "ferogram-session_0.6.6.sqlite",
        include_bytes!("vectors/ferogram-session_0.6.6.sqlite"),
        Format::FerogramSqlite,
    ),
    (
        "layer-client_0.5.0.bin",
        include_bytes!("vectors/layer-client_0.5.0.bin"),
        Format::Layer,
    ),
    (
        "gotd_session_v1_CONSTRUCTED.json",
        include_bytes!("vectors/gotd_session_v1_CONSTRUCTED.json"),
        Format::GotdJson,
    ),
];

#[test]
fn every_vector_is_detected_as_its_own_format() {
    for (name, bytes, expected) in VECTORS {
        match detect(bytes) {
            Ok(format) => assert_eq!(format, *expected, "{name}"),
            Err(err) => panic!("{name}: {err}"),
        }
    }
}

#[test]
fn every_vector_reads_as_the_same_account() {
    for (name, bytes, _) in VECTORS {
        let (_, imported) = read_any(bytes).unwrap_or_else(|err| panic!("{name}: {err}"));
        let session = imported.session;
        assert_eq!(session.home_dc, Some(2), "{name}");
        let key = session
            .home_auth_key()
            .unwrap_or_else(|| panic!("{name}: no key"));
        assert_eq!(key.id().to_string(), "32d1586ea457dfc8", "{name}");
    }
}

#[test]
fn the_layer_string_form_of_a_vector_is_detected_as_such() {
    use base64::Engine;
    let binary = include_bytes!("vectors/ferogram-session_0.6.6_v8.bin");
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(binary);
    assert_eq!(detect(text.as_bytes()).unwrap(), Format::LayerString);
}

#[test]
fn a_tgsession_file_is_detected_by_its_magic() {
    let (_, imported) = read_any(include_bytes!("vectors/telethon_string_ipv4.txt")).unwrap();
    let bytes = imported.session.encode().unwrap();
    assert_eq!(detect(&bytes).unwrap(), Format::Tgsession);
}

#[test]
fn what_is_no_session_is_unrecognized_not_guessed() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\n",
        b"hello world",
        b"1",
        b"SQLite format 3\0",
        b"{}",
        &[0u8; 263],
        &[0xffu8; 271],
    ];
    for input in inputs {
        match detect(input) {
            Err(InteropError::Unrecognized { .. }) => {}
            other => panic!(
                "{:?}: expected Unrecognized, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }
}

#[test]
fn unrecognized_input_is_described_without_quoting_it() {
    let err = detect(b"1AAAAsecretAAAA").unwrap_err().to_string();
    assert!(!err.contains("secret"), "{err}");
    assert!(err.contains("15 characters of text"), "{err}");
    let err = detect("two lines\nof text, «quoted»\n".as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("27 characters of text"), "{err}");
}

#[test]
fn input_valid_in_two_formats_is_ambiguous_and_names_both() {
    let both = include_bytes!("vectors/crafted_pyrogram1_or_layer_string.txt");
    match detect(both) {
        Err(InteropError::Ambiguous { candidates }) => {
            assert_eq!(candidates, [Format::Pyrogram1String, Format::LayerString])
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    // Naming the format reads it, each time as a different session.
    let pyrogram = session_interop::read(Format::Pyrogram1String, both)
        .unwrap()
        .session;
    let layer = session_interop::read(Format::LayerString, both)
        .unwrap()
        .session;
    assert_eq!(pyrogram.home_dc, Some(2));
    assert_ne!(pyrogram, layer);
}

#[test]
fn what_every_writer_writes_is_detected_as_its_own_format_only() {
    let session = support::full_session();
    for format in Format::ALL.into_iter().filter(|format| format.can_write()) {
        let written =
            session_interop::write(format, &session, &session_interop::WriteOptions::default())
                .unwrap_or_else(|err| panic!("{format}: {err}"));
        match detect(&written.bytes) {
            Ok(detected) => assert_eq!(detected, format),
            Err(err) => panic!("{format}: {err}"),
        }
        // Every other reader refuses it.
        for other in Format::ALL.into_iter().filter(|other| *other != format) {
            assert!(
                session_interop::read(other, &written.bytes).is_err(),
                "{format}'s output reads as {other}"
            );
        }
    }
}
