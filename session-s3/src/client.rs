//! Building an `aws_sdk_s3::Client` from a resolved configuration, with an HTTP client that speaks TLS only
//! when the `tls` feature asks for it.

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    SharedHttpClient,
};
use aws_sdk_s3::Client;

use crate::config::Resolved;

/// The wait before the first retry; later retries double it, with jitter.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The provider name the SDK shows for credentials from the configuration.
const CREDENTIALS_SOURCE: &str = "session-s3";

/// A client for `resolved`: static credentials, the configured region, endpoint and addressing style,
/// connect and operation timeouts, few and short retries, and checksums only where an operation needs them.
pub(crate) fn build(resolved: &Resolved) -> Client {
    let credentials = &resolved.credentials;
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(resolved.connect_timeout)
        .operation_timeout(resolved.operation_timeout)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(resolved.max_attempts)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF);
    let mut builder = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(resolved.region.clone()))
        .credentials_provider(Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
            credentials.session_token.clone(),
            None,
            CREDENTIALS_SOURCE,
        ))
        .force_path_style(resolved.path_style)
        .timeout_config(timeouts)
        .retry_config(retries)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if let Some(endpoint) = &resolved.endpoint {
        builder = builder.endpoint_url(endpoint.clone());
    }
    Client::from_conf(builder.build())
}

/// The HTTP client: hyper with rustls (ring) for `http://` and `https://` URLs.
#[cfg(feature = "tls")]
fn http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The HTTP client: hyper for plain `http://` URLs only, with no TLS library linked.
#[cfg(not(feature = "tls"))]
fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}
