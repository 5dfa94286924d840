//! Backend URLs as they may be shown: the password, and any `pass` or `password` parameter, as `***`.

use url::Url;

/// How a hidden password is shown.
const HIDDEN: &str = "***";

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
pub(super) fn shown_raw(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => redact(&url),
        Err(_) if !text.contains('@') => text.to_owned(),
        Err(_) => match text.split_once(':') {
            Some((scheme, _)) => format!("a {scheme}: URL"),
            None => "the URL".to_owned(),
        },
    }
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
    }
}
