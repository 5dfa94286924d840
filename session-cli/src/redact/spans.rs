//! Which parts of a text could be a session string or key material: long runs of base64 (or hex)
//! characters, and, next to one, the shorter runs around it (a session string wrapped or cut into pieces).

use std::ops::Range;

/// A run of base64 characters at least this long is taken for session material wherever it stands. A
/// string session holds a 256-byte auth key, 344 characters in base64; no real file or directory name is a
/// run of 64 letters, digits and `+/=_-` without a dot or a space.
const LONG_RUN: usize = 64;

/// Beside a [`LONG_RUN`], every run at least this long is hidden too: the rest of a session string that a
/// newline, a space or a `:` cut into pieces. Shorter runs are not what the guard looks for either
/// ([`super::guard`] matches 16 characters).
const PIECE_RUN: usize = 16;

/// A whole text that is one run of base64 or base64url characters without `/`, at least this long, is taken
/// for a (possibly cut) session string rather than a file name; shorter ones are names like `anon` or
/// `bot_1`.
const WHOLE_TOKEN: usize = 20;

/// Whether `byte` can occur in base64 (standard or URL-safe, with padding) or hex.
fn in_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// The byte ranges of `text` that could be a session string or part of one (see the constants above), in
/// order and without overlap. Works on any bytes, so a binary input is scanned the same way; yields them one
/// by one, so scanning a large input takes no memory beyond the range at hand.
pub(crate) fn sensitive_spans(text: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let any_long = has_long_run(text);
    let whole = !any_long
        && text.len() >= WHOLE_TOKEN
        && !text.contains(&b'/')
        && text.iter().all(|&byte| in_token(byte));
    token_runs(text).filter(move |run| {
        (any_long && run.len() >= PIECE_RUN) || (whole && run.len() == text.len())
    })
}

/// Whether `text` has a run of base64 characters long enough to be session material wherever it stands
/// (see [`LONG_RUN`]).
pub(crate) fn has_long_run(text: &[u8]) -> bool {
    token_runs(text).any(|run| run.len() >= LONG_RUN)
}

/// The maximal runs of [`in_token`] bytes of `text`.
fn token_runs(text: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text.get(at..)?.iter().position(|&byte| in_token(byte))?;
        let end = text[start..]
            .iter()
            .position(|&byte| !in_token(byte))
            .map_or(text.len(), |length| start + length);
        at = end;
        Some(start..end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> String {
        format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17))
    }

    #[test]
    fn a_session_string_is_one_span_wherever_it_stands() {
        let session = session();
        for (text, start) in [
            (session.clone(), 0),
            (format!("./{session}"), 1),
            (format!("file:{session}"), 5),
            (format!("sled:/var/db?slot={session}"), 13),
        ] {
            let spans: Vec<_> = sensitive_spans(text.as_bytes()).collect();
            assert_eq!(spans.len(), 1, "{text}");
            assert_eq!(spans[0].start, start, "{text}");
            assert_eq!(spans[0].end, text.len(), "{text}");
        }
    }

    #[test]
    fn the_pieces_of_a_wrapped_session_string_are_hidden_too() {
        let session = session();
        let wrapped = format!(
            "{}\n{}\n{}",
            &session[..76],
            &session[76..152],
            &session[152..180]
        );
        let spans: Vec<_> = sensitive_spans(wrapped.as_bytes()).collect();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[2], 154..182);
    }

    #[test]
    fn names_and_paths_are_not_spans() {
        for text in [
            "anon.session",
            "bot_1",
            "/home/someone/projects/telegram-bots/sessions/production/main.session",
            "dir/sub/file.session",
            "redis://u:pw@127.0.0.1:6379/0?slot=main",
            "sled:/var/lib/bot/db?slot=main&prefix=app:",
            "-",
            "",
        ] {
            assert_eq!(sensitive_spans(text.as_bytes()).count(), 0, "{text}");
        }
    }

    #[test]
    fn a_whole_base64_token_is_a_span_from_twenty_characters() {
        let spans = |text: &[u8]| sensitive_spans(text).collect::<Vec<_>>();
        assert_eq!(spans(b"1ApWapzMBuwABAgMEBQ-_"), vec![0..21]);
        assert_eq!(spans(b"1ApWapzMBuwABAgMEBQ"), Vec::new());
        assert_eq!(spans(b"1ApWapzMBu/wABAgMEBQ-_"), Vec::new());
    }

    #[test]
    fn hex_key_material_is_a_span() {
        let hex: String = (0..=255u8).map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(
            sensitive_spans(hex.as_bytes()).collect::<Vec<_>>(),
            vec![0..512]
        );
    }
}
