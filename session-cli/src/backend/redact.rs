//! Command-line arguments as they may be shown in messages and `Debug`: a URL with its password, and any
//! `pass` or `password` parameter, as `***`; an argument that could be a string session only by its length.

use std::path::Path;

use url::Url;

/// How a hidden password is shown.
const HIDDEN: &str = "***";

/// The fewest characters of an argument made only of base64 characters (without `/`) that is taken for a
/// possible string session; shorter ones are ordinary file names such as `anon` or `bot_1`.
const SESSION_LIKE_MIN: usize = 20;

/// Arguments longer than this are taken for possible string sessions: every string session is longer, few
/// file names are.
const SESSION_LIKE_LONG: usize = 64;

/// `url` with its password and any `pass`/`password` query value replaced by `***`.
pub(super) fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() && shown.set_password(Some(HIDDEN)).is_err() {
        return format!("{}://<hidden>", url.scheme());
    }
    let secret_param = |name: &str| matches!(name, "pass" | "password");
    if shown.query_pairs().any(|(name, _)| secret_param(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if secret_param(&name) {
                    HIDDEN.into()
                } else {
                    value
                };
                (name.into_owned(), value.into_owned())
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.into()
}

/// A URL as typed, for messages: redacted if it parses, else only its scheme (any part could be a password).
/// A URL whose path holds an `@` (a mistyped `redis:/user:pass@host`) is shown only by its scheme too.
pub(crate) fn shown_raw(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) if !url.path().contains('@') => redact(&url),
        _ if !text.contains('@') => text.to_owned(),
        _ => match text.split_once(':') {
            Some((scheme, _)) if is_scheme(scheme) => format!("a {scheme}: URL"),
            _ => "the URL".to_owned(),
        },
    }
}

/// A location as given (a path, or what may be a mistyped backend URL), for messages: as it is, unless it
/// looks like it holds a password (`user:pass@`, `pass=`, `password=`); then as [`shown_raw`] shows it.
pub(crate) fn shown_location(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let credentials = text
        .split_once('@')
        .is_some_and(|(before, _)| before.contains(':'));
    if credentials || lower.contains("pass=") || lower.contains("password=") {
        shown_raw(text)
    } else {
        text.to_owned()
    }
}

/// Whether a command-line argument could be a string session (which holds an auth key) rather than a file
/// name: longer than any sensible file name, or made only of base64 or base64url characters and no `/`.
pub(crate) fn could_be_session(text: &str) -> bool {
    let length = text.chars().count();
    let base64 = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '='));
    length > SESSION_LIKE_LONG || (base64 && length >= SESSION_LIKE_MIN)
}

/// A command-line argument as it may be shown: `<N characters>` when it could be a string session, else as
/// [`shown_location`] shows it.
pub(crate) fn shown_arg(text: &str) -> String {
    if could_be_session(text) {
        format!("<{} characters>", text.chars().count())
    } else {
        shown_location(text)
    }
}

/// `text` (a message) with what the command-line `args` hold that could be secret replaced: an argument that
/// could be a string session or a URL with a password, wherever it occurs whole, by [`shown_arg`]'s form
/// (also the value of a `--name=value`), unless it names an existing file; and a password anywhere, as `:PASSWORD@`, `pass=PASSWORD` or
/// `password=PASSWORD`, by `***` (a library's message may quote part of an argument, such as the
/// directory of a path).
pub(crate) fn hide_secrets<S: AsRef<str>>(text: &str, args: &[S]) -> String {
    let mut text = text.to_owned();
    let mut needles: Vec<(String, String)> = Vec::new();
    for arg in args.iter().map(AsRef::as_ref) {
        let value = arg
            .strip_prefix("--")
            .and_then(|option| option.split_once('='))
            .map(|(_, value)| value);
        for part in std::iter::once(arg).chain(value) {
            let shown = shown_arg(part);
            if !part.is_empty() && shown != part && !Path::new(part).exists() {
                text = text.replace(part, &shown);
            }
        }
        needles.extend(passwords(arg));
    }
    needles.sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
    for (needle, replacement) in needles {
        text = text.replace(&needle, &replacement);
    }
    text
}

/// The places a password may be in `text`, each with what replaces it: `:PASSWORD@` before every `@`
/// (`user:PASSWORD@host`), and `pass=PASSWORD` or `password=PASSWORD` up to the next `&`.
fn passwords(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        if let Some((_, password)) = text[..at].rsplit_once(':') {
            if !password.is_empty() {
                found.push((format!(":{password}@"), format!(":{HIDDEN}@")));
            }
        }
    }
    let lower = text.to_ascii_lowercase();
    for name in ["pass=", "password="] {
        for (start, _) in lower.match_indices(name) {
            let value = &text[start + name.len()..];
            let value = value.split('&').next().unwrap_or_default();
            if !value.is_empty() {
                let given = &text[start..start + name.len()];
                found.push((format!("{given}{value}"), format!("{given}{HIDDEN}")));
            }
        }
    }
    found
}

/// Whether `text` is a URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        for (text, shown) in [
            (
                "redis://u:secret@h:1/0?slot=a",
                "redis://u:***@h:1/0?slot=a",
            ),
            (
                "redis+unix:///run/r.sock?pass=secret&slot=a",
                "redis+unix:///run/r.sock?pass=***&slot=a",
            ),
            (
                "postgres://h/db?password=secret&slot=a",
                "postgres://h/db?password=***&slot=a",
            ),
            ("s3://b?slot=a", "s3://b?slot=a"),
        ] {
            assert_eq!(redact(&Url::parse(text).unwrap()), shown, "{text}");
        }
    }

    #[test]
    fn a_url_that_does_not_parse_is_shown_only_without_credentials() {
        assert_eq!(shown_raw("redis://h:notaport"), "redis://h:notaport");
        assert_eq!(shown_raw("redis://u:sec ret@[bad"), "a redis: URL");
        assert_eq!(shown_raw("redis:/u:secret@h?slot=a"), "a redis: URL");
        assert_eq!(shown_raw("redis//u:secret@h"), "the URL");
    }

    #[test]
    fn locations_are_shown_as_given_unless_they_may_hold_a_password() {
        for path in [
            "anon.session",
            "/tmp/me@home/x",
            "-",
            "rel/x:y",
            "file:/a b",
        ] {
            assert_eq!(shown_location(path), path);
        }
        for (text, shown) in [
            ("redis://u:secret@h?slot=a", "redis://u:***@h?slot=a"),
            ("redis:/u:secret@h", "a redis: URL"),
            (
                "postgres://h/db?password=secret",
                "postgres://h/db?password=***",
            ),
        ] {
            assert_eq!(shown_location(text), shown, "{text}");
        }
    }

    #[test]
    fn messages_lose_the_secrets_of_the_arguments() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        let url = "redis://u:hunter2@h?slot=a";
        let text = format!(
            "unexpected argument '{url}' found; '{session}', 'x', the directory redis:/u:hunter2@h and \
             sock?pass=s3cret"
        );
        let option = format!("--string={session}");
        let args = [
            "inspect",
            "x",
            url,
            &option,
            "redis:/u:hunter2@h/x",
            "unix:sock?pass=s3cret&a=b",
        ];
        assert_eq!(
            hide_secrets(&text, &args),
            "unexpected argument 'redis://u:***@h?slot=a' found; '<341 characters>', 'x', the directory \
             redis:/u:***@h and sock?pass=***"
        );
        assert_eq!(hide_secrets("a:b@c session", &["x:b@c"]), "a:***@c session");
    }

    #[test]
    fn arguments_that_could_be_string_sessions_are_shown_by_length() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        assert_eq!(
            shown_arg(&session),
            format!("<{} characters>", session.len())
        );
        assert_eq!(shown_arg("1ApWapzMBuwABAgMEBQ-_"), "<21 characters>");
        let gramjs = format!("1{}/+=", "AbCd".repeat(20));
        assert!(could_be_session(&gramjs));
        for name in ["anon", "bot_1", "my.session", "dir/sub/file.session", "-"] {
            assert!(!could_be_session(name), "{name}");
            assert_eq!(shown_arg(name), name);
        }
    }
}
