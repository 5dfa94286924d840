//! Parsing the backend URLs of the command line into a [`BackendUrl`], with the password hidden for
//! display.
//!
//! | URL | backend |
//! |---|---|
//! | `file:PATH` (also `file:///abs/path`) | the session file at `PATH` ([`session_file::FileStorage`]) |
//! | `sled:PATH?slot=NAME[&prefix=P]` | slot `NAME` of the sled database in directory `PATH` |
//! | `redis://[USER[:PASS]@]HOST[:PORT][/DB]?slot=NAME[&prefix=P]` | a Redis key (`redis+unix://` too) |
//! | `postgres://[USER[:PASS]@]HOST[:PORT]/DB?slot=NAME[&schema=S][&table=T]` | a row of a table |
//! | `s3://[KEY_ID:SECRET@]BUCKET?slot=NAME[&prefix=P][&endpoint=URL][&region=R][&path_style=BOOL]` | an object |
//!
//! Paths after `file:` and `sled:` are taken literally (no percent-decoding). `sled:` and `s3://` URLs
//! refuse query parameters this module does not know, so a mistyped `prefx=` never silently falls back to
//! a default; Redis and PostgreSQL URLs pass them on to their driver (`protocol=resp3`, `sslmode=require`,
//! ...), which has parameters of its own. Every URL must name its slot.

use std::fmt;
use std::path::PathBuf;

use session_core::Slot;
use session_postgres::{PostgresConfig, TableName};
use session_s3::S3Config;
use url::Url;

use super::params::{parse_bool, percent_decode, Params};
use crate::error::CliError;
use crate::redact::Shown;

/// The URL schemes that name a backend, each with the prefix that marks it on the command line.
const SCHEMES: [&str; 8] = [
    "file:",
    "sled:",
    "redis://",
    "rediss://",
    "redis+unix://",
    "postgres://",
    "postgresql://",
    "s3://",
];

/// A backend named by a URL: where the session is, and the URL as it may be shown (password hidden).
#[derive(Debug)]
pub(crate) struct BackendUrl {
    /// The URL as it may be shown: its password as `***`, anything that could be a session string by its
    /// length.
    pub(crate) shown: Shown,
    /// What the URL names.
    pub(crate) target: Target,
}

/// What a [`BackendUrl`] names. `Debug` never shows a password: the Redis URL is wrapped in [`Secret`], and
/// the PostgreSQL and S3 configurations redact their own.
#[derive(Debug)]
pub(crate) enum Target {
    /// One session file.
    File(PathBuf),
    /// A slot in a sled database directory.
    Sled {
        /// The database directory.
        path: PathBuf,
        /// The slot.
        slot: Slot,
        /// The key prefix, when not the adapter's default.
        prefix: Option<String>,
    },
    /// A slot on a Redis server.
    Redis {
        /// The URL for the driver, without this tool's parameters.
        url: Secret,
        /// The slot.
        slot: Slot,
        /// The key prefix, when not the adapter's default.
        prefix: Option<String>,
    },
    /// A slot in a PostgreSQL table.
    Postgres {
        /// The server, the table and the timeouts.
        config: Box<PostgresConfig>,
        /// The slot.
        slot: Slot,
    },
    /// A slot in an S3 bucket.
    S3 {
        /// The bucket, endpoint, region, prefix and credentials.
        config: Box<S3Config>,
        /// The slot.
        slot: Slot,
    },
}

/// A string that may hold a password; `Debug` does not show it.
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl BackendUrl {
    /// Whether `text` starts with one of the backend URL schemes (and so is not a file path).
    pub(crate) fn is_url(text: &str) -> bool {
        SCHEMES.iter().any(|scheme| {
            text.get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
        })
    }

    /// Parses a backend URL; fails with a usage error naming what is wrong (never showing a password).
    pub(crate) fn parse(text: &str) -> Result<BackendUrl, CliError> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("file:") {
            let path = local_path(&text["file:".len()..], text, "file")?;
            return Ok(BackendUrl {
                shown: Shown::arg(text),
                target: Target::File(path),
            });
        }
        if lower.starts_with("sled:") {
            return parse_sled(text);
        }
        let url = Url::parse(text).map_err(|err| {
            CliError::usage(
                format!("{} is not a valid URL ({err})", Shown::arg(text)),
                "see `tgsession copy --help` for the URL forms",
            )
        })?;
        let mut params = Params::of(&url, text)?;
        let shown = Shown::arg(text);
        let slot = params.slot()?;
        let target = match url.scheme() {
            "redis" | "rediss" | "redis+unix" => {
                let prefix = params.take("prefix");
                Target::Redis {
                    url: Secret(params.into_driver_url(&url)),
                    slot,
                    prefix,
                }
            }
            "postgres" | "postgresql" => {
                let table = table_name(params.take("schema"), params.take("table"))?;
                let config =
                    PostgresConfig::from_url(&params.into_driver_url(&url)).map_err(|err| {
                        CliError::usage(
                            format!("{shown} is not a valid PostgreSQL URL ({})", err.message()),
                            "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?slot=NAME",
                        )
                    })?;
                Target::Postgres {
                    config: Box::new(config.table(table)),
                    slot,
                }
            }
            _ => Target::S3 {
                config: Box::new(s3_config(&url, &shown, &mut params)?),
                slot,
            },
        };
        Ok(BackendUrl { shown, target })
    }
}

/// `sled:PATH?slot=NAME[&prefix=P]`.
fn parse_sled(text: &str) -> Result<BackendUrl, CliError> {
    let rest = &text["sled:".len()..];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = local_path(path, text, "sled")?;
    let mut params = Params::from_query(query, text)?;
    let slot = params.slot()?;
    let prefix = params.take("prefix");
    params.finish()?;
    Ok(BackendUrl {
        shown: Shown::arg(text),
        target: Target::Sled { path, slot, prefix },
    })
}

/// The path of a `file:` or `sled:` URL: `PATH` as given, or `///abs/path` and `//localhost/abs/path`.
fn local_path(rest: &str, text: &str, scheme: &str) -> Result<PathBuf, CliError> {
    let path = match rest.strip_prefix("//") {
        Some(authority_and_path) => {
            let (host, path) = authority_and_path
                .find('/')
                .map(|at| authority_and_path.split_at(at))
                .unwrap_or((authority_and_path, ""));
            if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                let shown = Shown::arg(text);
                // User info may hold a password, and a session-like name must not be quoted.
                let host = if host.contains('@') || shown.is_sensitive() {
                    String::new()
                } else {
                    format!(" {host:?}")
                };
                return Err(CliError::usage(
                    format!("{shown} names the host{host}; a {scheme}: URL is always local"),
                    format!("write {scheme}:/absolute/path or {scheme}:relative/path"),
                ));
            }
            path
        }
        None => rest,
    };
    if path.is_empty() {
        return Err(CliError::usage(
            format!("{} has no path", Shown::arg(text)),
            format!("write {scheme}:/absolute/path or {scheme}:relative/path"),
        ));
    }
    Ok(PathBuf::from(path))
}

/// The table of `schema=` and `table=`, or the adapter's default.
fn table_name(schema: Option<String>, table: Option<String>) -> Result<TableName, CliError> {
    let schema = schema.unwrap_or_else(|| TableName::DEFAULT_SCHEMA.to_owned());
    let table = table.unwrap_or_else(|| TableName::DEFAULT_TABLE.to_owned());
    TableName::new(schema, table).map_err(|err| {
        CliError::usage(
            err.message().to_owned(),
            "schema and table names are lower-case letters, digits and _",
        )
    })
}

/// The S3 configuration of `s3://[KEY_ID:SECRET@]BUCKET?...` (`shown` as it may be shown).
fn s3_config(url: &Url, shown: &Shown, params: &mut Params) -> Result<S3Config, CliError> {
    let bucket = url.host_str().unwrap_or("");
    if bucket.is_empty() {
        return Err(CliError::usage(
            format!("{shown} names no bucket"),
            "write s3://BUCKET?slot=NAME",
        ));
    }
    if !matches!(url.path(), "" | "/") {
        return Err(CliError::usage(
            format!("{shown} has a path after the bucket"),
            "give the key prefix as ?prefix=P (the object is PREFIX + slot name)",
        ));
    }
    if url.port().is_some() {
        return Err(CliError::usage(
            format!("{shown} has a port after the bucket"),
            "give the server as ?endpoint=http://HOST:PORT",
        ));
    }
    let mut config = S3Config::new(bucket);
    if let Some(prefix) = params.take("prefix") {
        config = config.prefix(prefix);
    }
    if let Some(endpoint) = params.take("endpoint") {
        config = config.endpoint(endpoint);
    }
    if let Some(region) = params.take("region") {
        config = config.region(region);
    }
    if let Some(path_style) = params.take("path_style") {
        config = config.path_style(parse_bool(&path_style).ok_or_else(|| {
            CliError::usage(
                format!("{shown}: path_style={path_style} is not true or false"),
                "write path_style=true or path_style=false",
            )
        })?);
    }
    params.finish()?;
    match (url.username(), url.password()) {
        ("", None) => {}
        (key_id, Some(secret)) if !key_id.is_empty() => {
            let decode = |part: &str| {
                percent_decode(part).ok_or_else(|| {
                    CliError::usage(
                        format!("{shown}: the credentials are not valid percent-encoded UTF-8"),
                        "percent-encode / + and other special characters of the secret (%2F %2B ...)",
                    )
                })
            };
            config = config.credentials(decode(key_id)?, decode(secret)?);
        }
        _ => return Err(CliError::usage(
            format!("{shown} has only part of the credentials"),
            "write s3://KEY_ID:SECRET@BUCKET?..., or leave them out and set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY",
        )),
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> BackendUrl {
        BackendUrl::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    fn error(text: &str) -> String {
        BackendUrl::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn urls_are_told_from_paths() {
        for url in [
            "file:x",
            "sled:/d?slot=a",
            "redis://h",
            "REDIS://h",
            "postgresql://h",
            "s3://b",
        ] {
            assert!(BackendUrl::is_url(url), "{url}");
        }
        for path in ["x.session", "/tmp/file", "-", "./file:x", "s3", "redis:/x"] {
            assert!(!BackendUrl::is_url(path), "{path}");
        }
    }

    #[test]
    fn file_urls_take_the_path_literally() {
        for (url, path) in [
            ("file:/tmp/a b.tgs", "/tmp/a b.tgs"),
            ("file:rel/x?y", "rel/x?y"),
            ("file:///abs/x", "/abs/x"),
            ("file://localhost/abs/x", "/abs/x"),
        ] {
            match parse(url).target {
                Target::File(found) => assert_eq!(found, PathBuf::from(path), "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
        assert!(error("file://server/x").contains("always local"));
        let text = error("file://u:secret@server/x");
        assert!(
            text.contains("always local") && !text.contains("secret"),
            "{text}"
        );
        assert!(error("file:").contains("no path"));
    }

    #[test]
    fn sled_urls_need_a_slot_and_know_their_parameters() {
        match parse("sled:/var/db?slot=main&prefix=p:").target {
            Target::Sled { path, slot, prefix } => {
                assert_eq!(path, PathBuf::from("/var/db"));
                assert_eq!(slot.as_str(), "main");
                assert_eq!(prefix.as_deref(), Some("p:"));
            }
            other => panic!("{other:?}"),
        }
        assert!(error("sled:/var/db").contains("add ?slot=NAME"));
        assert!(error("sled:/var/db?slot=a&slto=b").contains("unknown parameter `slto`"));
        assert!(error("sled:/var/db?slot=a&slot=b").contains("twice"));
        assert!(error("sled:/var/db?slot=a/b").contains("invalid slot name"));
    }

    #[test]
    fn redis_urls_keep_the_drivers_parameters_and_hide_the_password() {
        let url = parse("redis://u:secret@127.0.0.1:6379/2?slot=s&prefix=x:&protocol=resp3");
        assert_eq!(
            url.shown.to_string(),
            "redis://u:***@127.0.0.1:6379/2?slot=s&prefix=x:&protocol=resp3"
        );
        match url.target {
            Target::Redis { url, slot, prefix } => {
                assert_eq!(url.0, "redis://u:secret@127.0.0.1:6379/2?protocol=resp3");
                assert_eq!(slot.as_str(), "s");
                assert_eq!(prefix.as_deref(), Some("x:"));
                assert_eq!(format!("{url:?}"), "Secret(***)");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_urls_name_the_table() {
        let url = parse("postgres://bot:secret@db/app?slot=s&schema=tg&table=t&sslmode=disable");
        assert!(!url.shown.to_string().contains("secret"));
        assert!(!format!("{url:?}").contains("secret"));
        match url.target {
            Target::Postgres { config, slot } => {
                assert_eq!(config.table_name().to_string(), r#""tg"."t""#);
                assert_eq!(slot.as_str(), "s");
            }
            other => panic!("{other:?}"),
        }
        assert!(error("postgres://db/app?slot=s&schema=Bad").contains("schema"));
    }

    #[test]
    fn s3_urls_take_credentials_from_the_url() {
        let url = parse(
            "s3://AKID:se%2Fcret@my-bucket?slot=s&prefix=p/&endpoint=http://127.0.0.1:9000&region=eu&path_style=true",
        );
        assert_eq!(
            url.shown.to_string(),
            "s3://AKID:***@my-bucket?slot=s&prefix=p/&endpoint=http://127.0.0.1:9000&region=eu&path_style=true"
        );
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("se/cret") && !shown.contains("se%2Fcret"),
            "{shown}"
        );
        match url.target {
            Target::S3 { config, slot } => {
                assert_eq!(config.bucket(), "my-bucket");
                assert_eq!(slot.as_str(), "s");
            }
            other => panic!("{other:?}"),
        }
        assert!(error("s3://b/some/prefix?slot=s").contains("?prefix="));
        assert!(error("s3://AKID@b?slot=s").contains("part of the credentials"));
        assert!(error("s3://b?slot=s&path_style=maybe").contains("path_style"));
        assert!(error("s3://?slot=s").contains("no bucket"));
    }

    #[test]
    fn a_url_that_does_not_parse_never_shows_its_credentials() {
        let text = error("redis://user:sec ret@[bad?slot=x");
        assert!(!text.contains("sec"), "{text}");
    }
}
