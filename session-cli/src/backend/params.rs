//! The query parameters of a backend URL: taken one by one, the rest refused or passed to the driver.

use session_core::Slot;
use url::Url;

use crate::error::CliError;
use crate::redact::Shown;

/// The query parameters of a URL, taken one by one; what is left at the end is refused
/// ([`finish`](Params::finish)) or handed to the driver ([`into_driver_url`](Params::into_driver_url)).
pub(super) struct Params {
    pairs: Vec<(String, String)>,
    shown: Shown,
}

impl Params {
    /// The parameters of `url` (`text` is the URL as typed, for messages).
    pub(super) fn of(url: &Url, text: &str) -> Result<Params, CliError> {
        Params::from_query(url.query().unwrap_or(""), text)
    }

    /// The parameters of a query string.
    pub(super) fn from_query(query: &str, text: &str) -> Result<Params, CliError> {
        let shown = Shown::arg(text);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(CliError::usage(
                    format!("{shown} gives the parameter `{name}` twice"),
                    "give it once",
                ));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params { pairs, shown })
    }

    /// Removes and returns the parameter `name`.
    pub(super) fn take(&mut self, name: &str) -> Option<String> {
        let at = self.pairs.iter().position(|(key, _)| key == name)?;
        Some(self.pairs.remove(at).1)
    }

    /// Removes the required `slot` parameter and validates it.
    pub(super) fn slot(&mut self) -> Result<Slot, CliError> {
        let Some(name) = self.take("slot") else {
            return Err(CliError::usage(
                format!("{} names no slot", self.shown),
                "add ?slot=NAME to the URL",
            ));
        };
        Slot::new(name).map_err(|err| {
            // The message quotes the name; a name that could be a session string is not shown.
            let reason = if self.shown.is_sensitive() {
                format!("{}: invalid slot name", self.shown)
            } else {
                format!("{}: {}", self.shown, err.message())
            };
            CliError::usage(reason, "pick another slot name")
        })
    }

    /// Fails if any parameter is left over.
    pub(super) fn finish(&self) -> Result<(), CliError> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(CliError::usage(
                format!("{} has the unknown parameter `{name}`", self.shown),
                "see `tgsession copy --help` for the parameters of each URL",
            )),
        }
    }

    /// `url` with the parameters still left (the driver's own, such as `db` or `sslmode`) as its query.
    pub(super) fn into_driver_url(self, url: &Url) -> String {
        let mut driver = url.clone();
        if self.pairs.is_empty() {
            driver.set_query(None);
        } else {
            driver.query_pairs_mut().clear().extend_pairs(self.pairs);
        }
        driver.into()
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`).
pub(super) fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Decodes `%XX` escapes; `None` for a bad escape or bytes that are not UTF-8.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let digits = bytes.get(at + 1..at + 3)?;
            if !digits.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(digits).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%2b").as_deref(), Some("a/b+"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%+1"), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("no"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
