//! The min contexts and the logout token across formats: ferogram's files made by the real library read
//! into the session, come back through our ferogram SQLite writer and tgsession's own format, every other
//! writer reports them dropped, and no output, report or error shows the token.

mod support;

use session_core::{LogoutToken, MinContext};
use session_interop::{read, write, Exported, Format, Session, WriteOptions};
use support::{assert_mentions, full_session, mentions, SECRET_TOKEN};

/// ferogram's binary file and SQLite database of the vectors' account with a min peer, a community flag and
/// a future auth token (the 16 bytes `5a`).
const BINARY: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_v8_extras.bin");
const SQLITE: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_extras.sqlite");

/// The formats that hold min contexts and the logout token.
const KEEPING: [Format; 2] = [Format::Tgsession, Format::FerogramSqlite];

fn writable() -> impl Iterator<Item = Format> {
    Format::ALL.into_iter().filter(|format| format.can_write())
}

/// Whether `haystack` holds `needle` anywhere.
fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Asserts that what a writer returned shows nothing of `token` but its length, in its `Debug` or its
/// reports (and, unless the format keeps it, in its bytes).
fn assert_hidden(format: Format, exported: &Exported, token: &[u8]) {
    let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let shown = format!(
        "{exported:?} {}",
        exported
            .dropped
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(!holds(shown.as_bytes(), token), "{format}: {shown}");
    assert!(
        !shown.to_lowercase().contains(&hex[..8]),
        "{format}: {shown}"
    );
    if !KEEPING.contains(&format) {
        assert!(!holds(&exported.bytes, token), "{format} wrote the token");
    }
}

#[test]
fn ferogram_s_min_peers_and_token_read_from_its_binary_and_sqlite_files() {
    let token = LogoutToken::new(vec![0x5a; 16]);
    let context = MinContext {
        chat_id: 1_234_567_890,
        msg_id: 77,
    };
    for (format, bytes) in [(Format::Layer, BINARY), (Format::FerogramSqlite, SQLITE)] {
        let imported = read(format, bytes).unwrap();
        let session = &imported.session;
        assert_eq!(
            session.min_contexts.iter().collect::<Vec<_>>(),
            [(&987_654_321, &context)],
            "{format}"
        );
        assert_eq!(session.logout_token, token, "{format}");
        // The community flag alone has no place in a session.
        assert_eq!(
            imported.dropped.len(),
            1,
            "{format}: {:?}",
            imported.dropped
        );
        assert_mentions(&imported.dropped, &["community flag"]);
    }
}

#[test]
fn they_come_back_through_the_formats_that_hold_them() {
    let session = read(Format::Layer, BINARY).unwrap().session;
    for format in KEEPING {
        let exported = write(format, &session, &WriteOptions::default()).unwrap();
        assert!(
            exported.dropped.is_empty(),
            "{format}: {:?}",
            exported.dropped
        );
        assert_hidden(format, &exported, &[0x5a; 16]);
        let back = read(format, &exported.bytes).unwrap();
        assert_eq!(back.session, session, "{format}");
        assert!(back.dropped.is_empty(), "{format}: {:?}", back.dropped);
    }
}

#[test]
fn every_other_writer_reports_them_dropped_and_never_writes_the_token() {
    let session = full_session();
    for format in writable() {
        let exported = write(format, &session, &WriteOptions::default())
            .unwrap_or_else(|err| panic!("{format}: {err}"));
        assert_hidden(format, &exported, SECRET_TOKEN);
        let reported = [
            mentions(&exported.dropped, "2 min-peer contexts"),
            mentions(&exported.dropped, "logout token"),
        ];
        let kept = KEEPING.contains(&format);
        assert_eq!(reported, [!kept; 2], "{format}: {:?}", exported.dropped);
        if format != Format::Tgsession {
            // The formats that keep them read them back; the others have none.
            let back = read(format, &exported.bytes).unwrap().session;
            assert_eq!(back.logout_token.is_some(), kept, "{format}");
            assert_eq!(back.min_contexts == session.min_contexts, kept, "{format}");
        }
    }
}

#[test]
fn a_session_read_from_ferogram_written_as_telethon_reports_them() {
    let session: Session = read(Format::FerogramSqlite, SQLITE).unwrap().session;
    for format in [
        Format::TelethonString,
        Format::TelethonSqlite,
        Format::FerogramString,
    ] {
        let exported = write(format, &session, &WriteOptions::default()).unwrap();
        assert_mentions(&exported.dropped, &["1 min-peer contexts", "logout token"]);
        assert_hidden(format, &exported, &[0x5a; 16]);
    }
}

/// Asserts that an error (if reading failed) does not show the token of the extras files.
fn assert_error_hides_the_token(format: Format, bytes: &[u8]) {
    if let Err(err) = read(format, bytes) {
        let text = format!("{err} {err:?}").to_lowercase();
        assert!(
            !text.contains("5a5a") && !text.contains("zz") && !text.contains("90, 90"),
            "{format}: {text}"
        );
    }
}

#[test]
fn no_error_of_a_broken_ferogram_file_shows_the_token() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    for cut in 0..BINARY.len() {
        assert!(read(Format::Layer, &BINARY[..cut]).is_err(), "{cut}");
        assert_error_hides_the_token(Format::Layer, &BINARY[..cut]);
        let text = URL_SAFE_NO_PAD.encode(&BINARY[..cut]);
        assert_error_hides_the_token(Format::LayerString, text.as_bytes());
    }
    let mut trailing = BINARY.to_vec();
    trailing.push(0);
    assert!(read(Format::Layer, &trailing).is_err());
    assert_error_hides_the_token(Format::Layer, &trailing);
    for cut in (0..SQLITE.len()).step_by(509) {
        assert_error_hides_the_token(Format::FerogramSqlite, &SQLITE[..cut]);
    }
}
