//! [`Shown`]: a command-line argument as messages may show it, with its password (in a URL) and anything
//! that could be a session string hidden; and where a text holds a password.

use std::borrow::Cow;
use std::fmt;

use url::Url;

use super::spans::{has_long_run, sensitive_spans};

/// How a hidden password is shown.
const HIDDEN_PASSWORD: &str = "***";

/// The schemes of backend URLs whose rest is a local path.
const PATH_SCHEMES: [&str; 2] = ["file", "sled"];

/// The query parameters whose values are passwords (`redis+unix:///run/redis.sock?pass=...`).
const SECRET_PARAMS: [&str; 2] = ["pass", "password"];

/// A name for something the user gave on the command line (a path, a URL, `-`), as messages may show it:
/// the password of a URL as `***`, every part that could be a session string as `<N characters>`.
///
/// It also remembers whether the argument held such a part ([`is_sensitive`](Self::is_sensitive)): then
/// nothing built from the argument by a library (a parent directory, a lock file's path) may be shown either,
/// and errors about it say what failed without quoting the library.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Shown {
    text: String,
    sensitive: bool,
}

impl Shown {
    /// The argument `text`, as it may be shown. A short name of an existing file is shown as it is (but for
    /// a password): it is a file name, however much it looks like base64 (`telegram_session_backup_2024`).
    /// A run of base64 long enough to be key material is hidden even if a file has that name.
    pub(crate) fn arg(text: &str) -> Shown {
        let sensitive = could_hold_session(text);
        let visible = hide_credentials(text);
        Shown {
            text: if sensitive {
                hide_spans(&visible)
            } else {
                visible.into_owned()
            },
            sensitive,
        }
    }

    /// A name of our own words, such as `standard input`; never sensitive.
    pub(crate) fn fixed(text: impl Into<String>) -> Shown {
        Shown {
            text: text.into(),
            sensitive: false,
        }
    }

    /// Whether the argument held something that could be a session string (now shown as `<N characters>`).
    pub(crate) fn is_sensitive(&self) -> bool {
        self.sensitive
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

/// Whether the argument `text` could hold a session string: it has a run of base64 long enough to be key
/// material, or it has [`sensitive_spans`] (a shorter whole token) and names no existing file.
pub(super) fn could_hold_session(text: &str) -> bool {
    has_long_run(text.as_bytes())
        || (sensitive_spans(text.as_bytes()).next().is_some()
            && !std::path::Path::new(text).exists())
}

/// `text` with every [`sensitive_spans`] part replaced by `<N characters>`.
fn hide_spans(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut at = 0;
    for span in sensitive_spans(text.as_bytes()) {
        // Spans are runs of ASCII bytes, so their ends are character boundaries.
        shown.push_str(&text[at..span.start]);
        shown.push_str(&format!("<{} characters>", span.len()));
        at = span.end;
    }
    shown.push_str(&text[at..]);
    shown
}

/// `url` with its password and any `pass`/`password` query value replaced by `***`.
fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() && shown.set_password(Some(HIDDEN_PASSWORD)).is_err() {
        return format!("{}://<hidden>", url.scheme());
    }
    if url.query_pairs().any(|(name, _)| is_secret_param(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_param(&name) {
                    HIDDEN_PASSWORD.into()
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

/// `text` with its credentials hidden. Only a URL has them, and only where URL syntax puts them: the
/// password of `scheme://user:PASSWORD@host`, and the value of a `pass=` or `password=` query parameter.
/// A path that merely contains `@` or `:` (`/tmp/me@home/x`, `file:/a:b@c`) is shown as it is, and so is a
/// user without a password (`redis://alice@host`). Text that has credentials but does not parse as a URL
/// (a mistyped one) is shown only by its scheme, since any part of it could be the password.
fn hide_credentials(text: &str) -> Cow<'_, str> {
    if let Ok(url) = Url::parse(text) {
        if url.has_authority() {
            return if url.password().is_some()
                || url.query_pairs().any(|(n, _)| is_secret_param(&n))
            {
                Cow::Owned(redact_url(&url))
            } else {
                Cow::Borrowed(text)
            };
        }
    }
    if userinfo_password(text).is_some() || !secret_param_values(text).is_empty() {
        return Cow::Owned(match scheme_of(text) {
            Some(scheme) => format!("a {scheme}: URL"),
            None => "the URL".to_owned(),
        });
    }
    Cow::Borrowed(text)
}

/// The replacements that hide, in any message, the passwords `text` (a command-line argument) carries:
/// `:PASSWORD@` by `:***@`, and `NAME=VALUE` of a secret query parameter by `NAME=***`, each as typed and
/// percent-decoded.
pub(super) fn password_needles(text: &str) -> Vec<(String, String)> {
    let mut needles = Vec::new();
    let parsed = Url::parse(text).ok().filter(Url::has_authority);
    let password = match &parsed {
        Some(url) => url.password().map(str::to_owned),
        None => userinfo_password(text).map(str::to_owned),
    };
    for password in password.into_iter().flat_map(with_decoded) {
        needles.push((format!(":{password}@"), format!(":{HIDDEN_PASSWORD}@")));
    }
    for (name, value) in secret_param_values(text) {
        for value in with_decoded(value.to_owned()) {
            needles.push((
                format!("{name}={value}"),
                format!("{name}={HIDDEN_PASSWORD}"),
            ));
        }
    }
    needles
}

/// `text`, and its percent-decoded form where that differs.
fn with_decoded(text: String) -> Vec<String> {
    let decoded = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned());
    match decoded {
        Some(decoded) if decoded != text && !decoded.is_empty() => vec![text, decoded],
        _ => vec![text],
    }
}

/// The password of the user info in `text`, when `text` has one where URL syntax puts it: after `//` or
/// after a scheme and its slashes (`redis:/u:PASSWORD@h`, a mistyped URL), before the host. What follows
/// `file:` and `sled:` is a path, never user info.
fn userinfo_password(text: &str) -> Option<&str> {
    let after_scheme = scheme_of(text)
        .filter(|scheme| {
            !PATH_SCHEMES
                .iter()
                .any(|path| path.eq_ignore_ascii_case(scheme))
        })
        .map(|scheme| scheme.len() + 1);
    let after_slashes = text.match_indices("//").map(|(at, _)| at + 2);
    after_scheme
        .into_iter()
        .chain(after_slashes)
        .find_map(|start| {
            let rest = text[start..].trim_start_matches('/');
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let (userinfo, _host) = authority.rsplit_once('@')?;
            let (_user, password) = userinfo.split_once(':')?;
            (!password.is_empty()).then_some(password)
        })
}

/// The `(name, value)` of every non-empty `pass=` or `password=` parameter of a query in `text` (after `?`,
/// separated by `&`), as typed.
fn secret_param_values(text: &str) -> Vec<(&str, &str)> {
    let Some((_, query)) = text.split_once('?') else {
        return Vec::new();
    };
    query
        .split(['&', '#'])
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, value)| is_secret_param(name) && !value.is_empty())
        .collect()
}

/// Whether a query parameter's value is a password.
fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS
        .iter()
        .any(|secret| secret.eq_ignore_ascii_case(name))
}

/// The scheme `text` starts with (`redis` of `redis:/...`): a letter, then letters, digits, `+`, `-` or
/// `.`, then `:`.
fn scheme_of(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        Shown::arg(text).to_string()
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        for (text, expected) in [
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
            ("s3://AKID:se%2Fcret@b?slot=a", "s3://AKID:***@b?slot=a"),
        ] {
            assert_eq!(shown(text), expected, "{text}");
        }
    }

    #[test]
    fn users_without_passwords_and_paths_with_at_signs_are_shown_as_they_are() {
        for text in [
            "redis://alice@host?slot=a",
            "postgres://bot@db.internal/app?slot=main",
            "file:/tmp/me@home/x",
            "/tmp/me@home/x",
            "sled:/srv/a:b@c?slot=x",
            "sled:/a:b@c?slot=x",
            "file:/a:b@c",
            "anon.session",
            "s3://b?slot=s",
            "-",
        ] {
            assert_eq!(shown(text), text);
            assert!(!Shown::arg(text).is_sensitive(), "{text}");
        }
    }

    #[test]
    fn a_mistyped_url_with_credentials_is_shown_by_its_scheme() {
        assert_eq!(shown("redis://u:sec ret@[bad"), "a redis: URL");
        assert_eq!(shown("redis:/u:secret@h?slot=a"), "a redis: URL");
        assert_eq!(shown("redis//u:secret@h"), "the URL");
        assert_eq!(shown("unix:sock?pass=s3cret&a=b"), "a unix: URL");
    }

    #[test]
    fn session_like_parts_are_shown_by_length_and_mark_the_name_sensitive() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        for (text, expected) in [
            (session.clone(), "<341 characters>".to_owned()),
            (format!("./{session}"), ".<342 characters>".to_owned()),
            (
                format!("file:{session}"),
                "file:<341 characters>".to_owned(),
            ),
            (
                format!("sled:/var/db?slot={session}"),
                "sled:/var/db?<346 characters>".to_owned(),
            ),
            (
                format!("redis://u:pw@h/0?slot={session}"),
                "redis://u:***@h/0?<346 characters>".to_owned(),
            ),
        ] {
            let name = Shown::arg(&text);
            assert_eq!(name.to_string(), expected);
            assert!(name.is_sensitive());
        }
        assert_eq!(shown("1ApWapzMBuwABAgMEBQ-_"), "<21 characters>");
    }

    #[test]
    fn needles_cover_each_password_as_typed_and_decoded() {
        let needles = password_needles("s3://AKID:se%2Fcret@b?slot=a");
        assert!(needles.contains(&(":se%2Fcret@".to_owned(), ":***@".to_owned())));
        assert!(needles.contains(&(":se/cret@".to_owned(), ":***@".to_owned())));
        let needles = password_needles("redis+unix:///sock?pass=s3cret&a=b");
        assert!(needles.contains(&("pass=s3cret".to_owned(), "pass=***".to_owned())));
        assert!(password_needles("redis://alice@host").is_empty());
        assert!(password_needles("file:/tmp/me@home/x").is_empty());
        let needles = password_needles("redis:/u:hunter2@h/x");
        assert_eq!(needles, vec![(":hunter2@".to_owned(), ":***@".to_owned())]);
    }
}
