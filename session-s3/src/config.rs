//! The configuration for the common case: endpoint, region, bucket, prefix, credentials and timeouts, with
//! the usual AWS environment variables filling what it leaves unset.

use std::fmt;
use std::time::Duration;

use session_core::{ErrorKind, StorageError};

use crate::error::BACKEND;

/// The time allowed to open a TCP connection to the server, unless [`S3Config::connect_timeout`] sets
/// another.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The time allowed for one whole storage call (every attempt and retry, and reading the whole value),
/// unless [`S3Config::operation_timeout`] or [`S3Storage::with_operation_timeout`](crate::S3Storage::with_operation_timeout)
/// sets another.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a request is tried before its error is returned (the first attempt included), unless
/// [`S3Config::max_attempts`] sets another. Retries wait 100 ms, then 200 ms (with jitter, at most 1 s), so a
/// server that is down is reported within a fraction of a second.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The region used when neither the configuration nor `AWS_REGION` / `AWS_DEFAULT_REGION` names one.
/// S3-compatible servers usually accept any region; it only enters the request signature.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The key prefix of a handle unless [`S3Config::prefix`] or [`S3Storage::with_prefix`](crate::S3Storage::with_prefix)
/// sets another.
pub const DEFAULT_PREFIX: &str = "tgsession/";

/// How a redacted secret is shown.
const REDACTED: &str = "***";

/// Settings for [`S3Storage::from_config`](crate::S3Storage::from_config) and [`S3Config::build_client`]:
/// where the bucket is, how to sign requests, and how long to wait.
///
/// Only the bucket is required. What is left unset is taken, when the client is built, from the usual AWS
/// environment variables:
///
/// | setting     | method                                 | environment fallback                          | default |
/// |-------------|----------------------------------------|-----------------------------------------------|---------|
/// | endpoint    | [`endpoint`](Self::endpoint)           | `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL` | AWS itself (needs the `tls` feature) |
/// | region      | [`region`](Self::region)               | `AWS_REGION`, then `AWS_DEFAULT_REGION`       | [`DEFAULT_REGION`] |
/// | credentials | [`credentials`](Self::credentials)     | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | none: an error |
/// | path-style  | [`path_style`](Self::path_style)       | —                                             | on with a custom endpoint, off for AWS |
///
/// The client it builds computes request checksums and validates response checksums only when an operation
/// requires them, which is what S3-compatible servers (MinIO, Garage, Ceph, moto, ...) understand. Without
/// the `tls` feature it speaks plain HTTP only and links no TLS library: an `https://` endpoint is then a
/// configuration error.
///
/// `Debug` shows every setting except the secret access key and the session token, which it prints as `***`.
///
/// ```
/// use std::time::Duration;
/// use session_s3::S3Config;
///
/// let config = S3Config::new("sessions")
///     .endpoint("http://127.0.0.1:9000")
///     .region("eu-central-1")
///     .prefix("bots/")
///     .credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
///     .operation_timeout(Duration::from_secs(10));
/// assert_eq!(config.bucket(), "sessions");
/// assert!(!format!("{config:?}").contains("wJalrXUtnFEMI"));
/// ```
#[derive(Clone)]
pub struct S3Config {
    bucket: String,
    pub(crate) prefix: String,
    endpoint: Option<String>,
    region: Option<String>,
    credentials: Option<StaticCredentials>,
    path_style: Option<bool>,
    connect_timeout: Duration,
    pub(crate) operation_timeout: Duration,
    max_attempts: u32,
}

/// An access key pair and an optional session token.
#[derive(Clone)]
pub(crate) struct StaticCredentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: Option<String>,
}

impl S3Config {
    /// A configuration for `bucket`, with every other setting at its default or environment fallback.
    ///
    /// The bucket must already exist: the adapter never creates buckets.
    pub fn new(bucket: impl Into<String>) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            endpoint: None,
            region: None,
            credentials: None,
            path_style: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The endpoint URL of an S3-compatible server, such as `http://127.0.0.1:9000`; the scheme must be
    /// `http` or `https` (the latter needs the `tls` feature) and the URL must not contain credentials.
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> S3Config {
        self.endpoint = Some(url.into());
        self
    }

    /// The region that requests are signed for.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> S3Config {
        self.region = Some(region.into());
        self
    }

    /// The key prefix: a slot's object key is `prefix + slot name` ([`DEFAULT_PREFIX`] unless set).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> S3Config {
        self.prefix = prefix.into();
        self
    }

    /// The access key pair that signs requests, instead of the environment's.
    #[must_use]
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> S3Config {
        let session_token = self.credentials.and_then(|c| c.session_token);
        self.credentials = Some(StaticCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
        });
        self
    }

    /// A session token for temporary credentials. It belongs to the key pair set by
    /// [`credentials`](Self::credentials), so call it after that method (without a key pair it does nothing;
    /// credentials from the environment take their token from `AWS_SESSION_TOKEN`).
    #[must_use]
    pub fn session_token(mut self, token: impl Into<String>) -> S3Config {
        if let Some(credentials) = &mut self.credentials {
            credentials.session_token = Some(token.into());
        }
        self
    }

    /// Whether to address the bucket in the path (`http://host/bucket/key`, what most S3-compatible servers
    /// need) rather than in the host name (`http://bucket.host/key`, AWS's default). Unset, path-style is used
    /// exactly when a custom endpoint is.
    #[must_use]
    pub fn path_style(mut self, path_style: bool) -> S3Config {
        self.path_style = Some(path_style);
        self
    }

    /// The time allowed to open a connection ([`DEFAULT_CONNECT_TIMEOUT`] unless set).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> S3Config {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed for one whole storage call, retries included ([`DEFAULT_OPERATION_TIMEOUT`] unless
    /// set).
    #[must_use]
    pub fn operation_timeout(mut self, timeout: Duration) -> S3Config {
        self.operation_timeout = timeout;
        self
    }

    /// How many times a request is tried, the first attempt included ([`DEFAULT_MAX_ATTEMPTS`] unless set;
    /// `1` disables retries). Must be at least 1.
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> S3Config {
        self.max_attempts = attempts;
        self
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Builds an [`aws_sdk_s3::Client`] from this configuration (see [`S3Config`] for the settings and
    /// their environment fallbacks). Building does no I/O; the client connects on its first request.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the bucket is empty, the endpoint is not an `http`/`https` URL (or is
    /// `https` in a build without the `tls` feature), no credentials are configured or in the environment,
    /// or `max_attempts` is 0.
    pub fn build_client(&self) -> Result<aws_sdk_s3::Client, StorageError> {
        let resolved = self.resolve(|name| std::env::var(name).ok())?;
        Ok(crate::client::build(&resolved))
    }

    /// The settings with environment fallbacks applied and checked; `env` reads a variable.
    pub(crate) fn resolve(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Resolved, StorageError> {
        let env = |name: &str| env(name).filter(|value| !value.is_empty());
        if self.bucket.is_empty() {
            return Err(config_error("the bucket name is empty".to_owned()));
        }
        if self.max_attempts == 0 {
            return Err(config_error(
                "max_attempts is 0; it counts the first attempt, so it must be at least 1"
                    .to_owned(),
            ));
        }
        let endpoint = self
            .endpoint
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"));
        let https = match &endpoint {
            Some(url) => endpoint_is_https(url).map_err(|problem| {
                config_error(format!(
                    "invalid endpoint URL {:?}: {problem}",
                    redact_endpoint(url)
                ))
            })?,
            None => true,
        };
        if https && !cfg!(feature = "tls") {
            return Err(config_error(format!(
                "{} needs TLS, but session-s3 was built without its `tls` feature: enable it, or use an \
                 http:// endpoint",
                match &endpoint {
                    Some(url) => format!("the endpoint {:?}", redact_endpoint(url)),
                    None => "AWS S3 (no endpoint is configured)".to_owned(),
                }
            )));
        }
        let credentials = match &self.credentials {
            Some(credentials) => credentials.clone(),
            None => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(access_key_id), Some(secret_access_key)) => StaticCredentials {
                    access_key_id,
                    secret_access_key,
                    session_token: env("AWS_SESSION_TOKEN"),
                },
                _ => {
                    return Err(config_error(
                        "no credentials: set them with S3Config::credentials or in the AWS_ACCESS_KEY_ID \
                         and AWS_SECRET_ACCESS_KEY environment variables"
                            .to_owned(),
                    ))
                }
            },
        };
        let region = self
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        Ok(Resolved {
            path_style: self.path_style.unwrap_or(endpoint.is_some()),
            endpoint,
            region,
            credentials,
            connect_timeout: self.connect_timeout,
            operation_timeout: self.operation_timeout,
            max_attempts: self.max_attempts,
        })
    }
}

/// A configuration with its environment fallbacks applied and checked, ready to build a client.
pub(crate) struct Resolved {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: String,
    pub(crate) credentials: StaticCredentials,
    pub(crate) path_style: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) operation_timeout: Duration,
    pub(crate) max_attempts: u32,
}

fn config_error(message: String) -> StorageError {
    StorageError::new(ErrorKind::Config, BACKEND, message)
}

/// Whether `url` is an `https` URL; an error names what is wrong with it.
fn endpoint_is_https(url: &str) -> Result<bool, &'static str> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("it must start with http:// or https://");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("it must not contain credentials; set them with S3Config::credentials");
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if rest.contains(['?', '#']) {
        return Err("it must not have a query or fragment");
    }
    Ok(https)
}

/// `url` with the password of its user information, if any, replaced by `***`.
pub(crate) fn redact_endpoint(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:{REDACTED}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// A secret that is set, shown as `***`.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Debug for S3Config {
    /// Every setting, with the secret access key, the session token and any password in the endpoint shown
    /// as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = self.credentials.as_ref();
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint.as_deref().map(redact_endpoint))
            .field("region", &self.region)
            .field(
                "access_key_id",
                &credentials.map(|c| c.access_key_id.as_str()),
            )
            .field("secret_access_key", &credentials.map(|_| Redacted))
            .field(
                "session_token",
                &credentials
                    .and_then(|c| c.session_token.as_ref())
                    .map(|_| Redacted),
            )
            .field("path_style", &self.path_style)
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(config: &S3Config, env: &[(&str, &str)]) -> Result<Resolved, StorageError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        config.resolve(|name| env.get(name).cloned())
    }

    fn local() -> S3Config {
        S3Config::new("b").endpoint("http://127.0.0.1:9000")
    }

    #[test]
    fn explicit_settings_win_over_the_environment() {
        let config = local().region("eu-west-3").credentials("id", "secret");
        let env = [
            ("AWS_REGION", "us-west-2"),
            ("AWS_ACCESS_KEY_ID", "env-id"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_ENDPOINT_URL", "http://elsewhere:1"),
        ];
        let resolved = resolve(&config, &env).unwrap();
        assert_eq!(resolved.region, "eu-west-3");
        assert_eq!(resolved.credentials.access_key_id, "id");
        assert_eq!(resolved.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(resolved.path_style, "a custom endpoint means path-style");
    }

    #[test]
    fn the_environment_fills_what_is_unset() {
        let env = [
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_ACCESS_KEY_ID", "env-id"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_SESSION_TOKEN", "env-token"),
            ("AWS_ENDPOINT_URL", "http://generic:1"),
            ("AWS_ENDPOINT_URL_S3", "http://s3-only:2"),
        ];
        let resolved = resolve(&S3Config::new("b"), &env).unwrap();
        assert_eq!(resolved.region, "ap-south-1");
        assert_eq!(resolved.endpoint.as_deref(), Some("http://s3-only:2"));
        assert_eq!(resolved.credentials.secret_access_key, "env-secret");
        assert_eq!(
            resolved.credentials.session_token.as_deref(),
            Some("env-token")
        );
        let env = [("AWS_ACCESS_KEY_ID", "id"), ("AWS_SECRET_ACCESS_KEY", "s")];
        let resolved = resolve(&local().path_style(false), &env).unwrap();
        assert_eq!(resolved.region, DEFAULT_REGION);
        assert!(!resolved.path_style);
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let creds = |c: S3Config| c.credentials("id", "secret");
        let cases = [
            (creds(S3Config::new("")), "bucket name is empty"),
            (creds(local().max_attempts(0)), "max_attempts"),
            (local(), "no credentials"),
            (
                creds(local().endpoint("127.0.0.1:9000")),
                "http:// or https://",
            ),
            (creds(local().endpoint("http://")), "no host"),
            (creds(local().endpoint("http://h:1/?x=1")), "query"),
            (
                creds(local().endpoint("http://user:hunter2@h:1")),
                "must not contain credentials",
            ),
        ];
        for (config, expected) in cases {
            let err = resolve(&config, &[]).map(|_| ()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
            assert!(err.message().contains(expected), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_needs_the_tls_feature() {
        for config in [S3Config::new("b"), local().endpoint("https://s3.example")] {
            let err = resolve(&config.credentials("id", "secret"), &[])
                .map(|_| ())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains("`tls` feature"), "{err}");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_works_with_the_tls_feature() {
        let resolved = resolve(&S3Config::new("b").credentials("id", "secret"), &[]).unwrap();
        assert_eq!(resolved.endpoint, None, "AWS itself");
        assert!(!resolved.path_style, "virtual-hosted style on AWS");
        let config = local()
            .endpoint("https://s3.example")
            .credentials("id", "secret");
        assert!(resolve(&config, &[]).is_ok());
    }

    #[test]
    fn endpoints_are_checked() {
        assert_eq!(endpoint_is_https("http://127.0.0.1:9000"), Ok(false));
        assert_eq!(endpoint_is_https("https://s3.example/base"), Ok(true));
        assert_eq!(endpoint_is_https("http://[::1]:9000"), Ok(false));
        assert!(endpoint_is_https("ftp://h").is_err());
    }

    #[test]
    fn passwords_in_endpoints_are_redacted() {
        assert_eq!(
            redact_endpoint("http://user:hunter2@host:9000/x"),
            "http://user:***@host:9000/x"
        );
        assert_eq!(redact_endpoint("http://host:9000"), "http://host:9000");
        assert_eq!(
            redact_endpoint("http://token@host"),
            "http://token:***@host"
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let config = local()
            .endpoint("http://me:hunter2@h:1")
            .credentials("AKIDVISIBLE", "SECRET-KEY-VALUE")
            .session_token("SESSION-TOKEN-VALUE");
        let debug = format!("{config:?}");
        assert!(debug.contains("AKIDVISIBLE"), "{debug}");
        assert!(debug.contains("secret_access_key: Some(***)"), "{debug}");
        for secret in ["SECRET-KEY-VALUE", "SESSION-TOKEN-VALUE", "hunter2"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
