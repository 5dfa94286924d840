//! The guard: what this run must never print, and [`scrub`], through which everything printed passes.
//!
//! It keeps no secret itself: a window of a session string or key is remembered only as a keyed hash (the
//! key is random per run), so the guard's memory holds no key material, and a collision can only hide a
//! harmless 16 bytes of output. Passwords of URL arguments are kept as text: they are needed to find them,
//! and they are on the command line already.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::{LazyLock, Mutex, PoisonError};

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use session_core::Session;
use zeroize::Zeroizing;

use super::shown::{could_hold_session, password_needles, Shown};
use super::spans::sensitive_spans;

/// How many bytes in a row of a secret the output may never contain.
const WINDOW: usize = 16;

/// The most windows of arguments and inputs remembered: far more than the session strings of any real run,
/// and a bound on the guard's memory (8 bytes a window) when an input is a huge run of base64. Auth keys'
/// windows are always remembered.
const MAX_WINDOWS: usize = 1 << 20;

/// What replaces a cut-out secret in the output.
const HIDDEN: &str = "<hidden>";

/// What must not be printed.
struct Guard {
    /// The hash key of the windows.
    hasher: RandomState,
    /// The hashes of every 16-byte window of every secret.
    windows: HashSet<u64>,
    /// Session-like arguments quoted whole, with how [`Shown`] shows them (applied first, so that a message
    /// quoting an argument says `<N characters>`).
    quoted: Vec<(String, String)>,
    /// Passwords as they may appear, with what replaces them.
    needles: Vec<(String, String)>,
}

static GUARD: LazyLock<Mutex<Guard>> = LazyLock::new(|| {
    Mutex::new(Guard {
        hasher: RandomState::new(),
        windows: HashSet::new(),
        quoted: Vec::new(),
        needles: Vec::new(),
    })
});

/// Runs `f` on the guard. A panic elsewhere while it was held cannot leave it half-updated in a way that
/// matters (at worst a few windows are missing), so a poisoned lock is used as it is.
fn with_guard<T>(f: impl FnOnce(&mut Guard) -> T) -> T {
    f(&mut GUARD.lock().unwrap_or_else(PoisonError::into_inner))
}

impl Guard {
    /// Remembers every window of `secret`, however many windows the guard holds already (for keys: few,
    /// and never to be left out).
    fn remember(&mut self, secret: &[u8]) {
        for window in secret.windows(WINDOW) {
            self.windows.insert(self.hasher.hash_one(window));
        }
    }

    /// Remembers the windows of `secret` while the guard holds fewer than [`MAX_WINDOWS`] (for the parts of
    /// inputs, which may be huge).
    fn remember_capped(&mut self, secret: &[u8]) {
        for window in secret.windows(WINDOW) {
            if self.windows.len() >= MAX_WINDOWS {
                return;
            }
            self.windows.insert(self.hasher.hash_one(window));
        }
    }

    fn remember_spans(&mut self, text: &[u8]) {
        for span in sensitive_spans(text) {
            if self.windows.len() >= MAX_WINDOWS {
                return;
            }
            self.remember_capped(&text[span]);
        }
    }
}

/// Remembers the command-line arguments' secrets: every part that could be a session string, and the
/// passwords of URLs. Called first thing, before the arguments are parsed (clap's errors quote them).
pub(crate) fn protect_args(args: &[String]) {
    with_guard(|guard| {
        for arg in args {
            // `--name=value` quotes the value alone too.
            let value = arg
                .strip_prefix("--")
                .and_then(|option| option.split_once('='))
                .map(|(_, value)| value);
            for part in std::iter::once(arg.as_str()).chain(value) {
                if could_hold_session(part) {
                    guard.remember_spans(part.as_bytes());
                    guard
                        .quoted
                        .push((part.to_owned(), Shown::arg(part).to_string()));
                }
            }
            guard.needles.extend(password_needles(arg));
        }
        guard
            .quoted
            .sort_by_key(|(quoted, _)| std::cmp::Reverse(quoted.len()));
        guard
            .needles
            .sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
    });
}

/// Remembers the parts of an input (a file, standard input, a `--string`) that could be a session string.
pub(crate) fn protect_input(input: &[u8]) {
    with_guard(|guard| guard.remember_spans(input));
}

/// Remembers every auth key of `session`, and its logout token, in the forms a message could show them: hex
/// (both cases) and base64 (standard and URL-safe); the token also as it is (it may be printable).
pub(crate) fn protect_session(session: &Session) {
    with_guard(|guard| {
        let keys = session.dcs.iter().flat_map(|dc| {
            dc.auth_key
                .iter()
                .chain(dc.temp_auth_key.iter().map(|temp| &temp.key))
                .map(|key| &key.as_bytes()[..])
        });
        let token = session.logout_token.as_ref().map(|token| token.as_bytes());
        if let Some(token) = token {
            guard.remember(token);
        }
        for bytes in keys.chain(token) {
            let lower = Zeroizing::new(
                bytes
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect::<String>(),
            );
            let upper = Zeroizing::new(lower.to_ascii_uppercase());
            let standard = Zeroizing::new(STANDARD.encode(bytes));
            let url_safe = Zeroizing::new(URL_SAFE.encode(bytes));
            for form in [&lower, &upper, &standard, &url_safe] {
                guard.remember(form.as_bytes());
            }
        }
    });
}

/// [`scrub`], unless the guard is in use on this thread's stack (a panic while it was held): then `None`,
/// rather than waiting for a lock that will never be released.
pub(crate) fn try_scrub(text: &str) -> Option<String> {
    let guard = match GUARD.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return None,
    };
    drop(guard);
    Some(scrub(text))
}

/// `text` with every session-like argument it quotes whole shown as [`Shown`] shows it, every other 16
/// bytes in a row of a remembered secret replaced by `<hidden>` (overlapping and adjacent ones merged), and
/// every remembered password by `***`.
pub(crate) fn scrub(text: &str) -> String {
    with_guard(|guard| {
        let named = guard
            .quoted
            .iter()
            .fold(text.to_owned(), |text, (quoted, shown)| {
                text.replace(quoted, shown)
            });
        let cut = cut_windows(guard, &named);
        guard
            .needles
            .iter()
            .fold(cut, |text, (needle, replacement)| {
                text.replace(needle, replacement)
            })
    })
}

/// `text` with the runs of bytes covered by remembered windows replaced by [`HIDDEN`].
fn cut_windows(guard: &Guard, text: &str) -> String {
    let bytes = text.as_bytes();
    if guard.windows.is_empty() || bytes.len() < WINDOW {
        return text.to_owned();
    }
    let mut covered = vec![false; bytes.len()];
    for (at, window) in bytes.windows(WINDOW).enumerate() {
        if guard.windows.contains(&guard.hasher.hash_one(window)) {
            covered[at..at + WINDOW].fill(true);
        }
    }
    let mut shown = String::with_capacity(text.len());
    let mut hiding = false;
    for (at, c) in text.char_indices() {
        // A character is hidden if any of its bytes is covered.
        let hide = covered[at..at + c.len_utf8()].contains(&true);
        if hide && !hiding {
            shown.push_str(HIDDEN);
        }
        if !hide {
            shown.push(c);
        }
        hiding = hide;
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::{AuthKey, DcEntry};

    // The guard is one per process; the tests use secrets no other test uses.

    #[test]
    fn any_sixteen_characters_of_an_argument_session_are_cut_out() {
        let session = format!("1{}", "Zq9XwVbN3kLmPoIu".repeat(22));
        protect_args(&[format!("./{session}")]);
        let quoted = format!("cannot open {}/x: nope", &session[..120]);
        let shown = scrub(&quoted);
        assert_eq!(shown, "cannot open <hidden>/x: nope");
        assert_eq!(scrub(&format!("'./{session}'")), "'.<354 characters>'");
        assert_eq!(
            scrub("nothing secret here at all"),
            "nothing secret here at all"
        );
        let short = &session[3..18];
        assert_eq!(scrub(short), short, "15 characters are not a window");
    }

    #[test]
    fn keys_are_cut_out_in_hex_and_base64() {
        let mut session = Session::new();
        let mut dc = DcEntry::new(4);
        let bytes: [u8; 256] = std::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(13));
        dc.auth_key = Some(AuthKey::new(bytes));
        session.dcs.push(dc);
        protect_session(&session);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        for text in [
            hex.clone(),
            hex.to_uppercase(),
            STANDARD.encode(bytes),
            URL_SAFE.encode(bytes),
        ] {
            let shown = scrub(&format!("key: {}.", &text[40..100]));
            assert_eq!(shown, "key: <hidden>.");
        }
    }

    #[test]
    fn a_logout_token_is_cut_out_as_it_is_in_hex_and_base64() {
        let mut session = Session::new();
        let token = b"a-printable-logout-token-41-bytes-long!!!".to_vec();
        session.logout_token = session_core::LogoutToken::new(token.clone());
        protect_session(&session);
        let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
        for text in [
            String::from_utf8(token.clone()).unwrap(),
            hex.clone(),
            hex.to_uppercase(),
            STANDARD.encode(&token),
            URL_SAFE.encode(&token),
        ] {
            let shown = scrub(&format!("token: {}.", &text[2..20]));
            assert_eq!(shown, "token: <hidden>.", "{text}");
        }
    }

    #[test]
    fn passwords_of_url_arguments_are_hidden_but_users_and_paths_stay() {
        protect_args(&[
            "redis://u:Tr0ub4dor@h?slot=a".to_owned(),
            "redis://alice@otherhost".to_owned(),
            "file:/tmp/me@home/x".to_owned(),
        ]);
        assert_eq!(
            scrub("connect to u:Tr0ub4dor@h failed; alice@otherhost; file:/tmp/me@home/x"),
            "connect to u:***@h failed; alice@otherhost; file:/tmp/me@home/x"
        );
    }

    #[test]
    fn multibyte_characters_next_to_a_secret_stay_whole() {
        let session = format!("1{}", "Yh7TgBnMjUkIoLpA".repeat(22));
        protect_input(session.as_bytes());
        let text = format!("é{}ü", &session[10..40]);
        assert_eq!(scrub(&text), "é<hidden>ü");
    }
}
