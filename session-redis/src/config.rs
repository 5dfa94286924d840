//! Connecting from a URL: timeouts, the connection manager's settings, and URLs with their password hidden.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use session_core::StorageError;

use crate::error::{map_redis_error, timed_out, Phase};

/// How long opening a connection (TCP connect, `AUTH`, `SELECT`) may take before it fails with
/// [`ErrorKind::Timeout`](session_core::ErrorKind::Timeout), unless [`Timeouts::connect`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one storage call (`load`, `store`, `delete`, `load_versioned`, `store_if`) may take, including a
/// reconnection it has to wait for, before it fails with
/// [`ErrorKind::Timeout`](session_core::ErrorKind::Timeout), unless
/// [`RedisStorage::with_operation_timeout`](crate::RedisStorage::with_operation_timeout) says otherwise.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The time limits of a connection opened from a URL.
///
/// ```
/// use std::time::Duration;
/// use session_redis::Timeouts;
///
/// let timeouts = Timeouts { connect: Duration::from_secs(1), ..Timeouts::default() };
/// assert_eq!(timeouts.operation, session_redis::DEFAULT_OPERATION_TIMEOUT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The limit for opening a connection, also when the connection manager reconnects; default
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect: Duration,
    /// The limit for one storage call; default [`DEFAULT_OPERATION_TIMEOUT`].
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
        }
    }
}

/// The [`ConnectionManagerConfig`] that [`connect_manager`] uses: connection attempts limited to
/// `timeouts.connect`, replies to `timeouts.operation`, and **no** reconnection retries inside the
/// manager.
///
/// Without retries, a call made while the server is down fails at once (the server refuses the connection)
/// instead of waiting through the manager's back-off, and every later call starts a fresh attempt, so the
/// first call after the server is back succeeds. Use it when you build a [`ConnectionManager`] yourself
/// (for example from a [`redis::Client`] with TLS settings) and want the same behaviour:
///
/// ```no_run
/// use session_redis::{manager_config, redis, RedisStorage, Timeouts};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = redis::Client::open("redis://127.0.0.1:6379/")?;
/// let timeouts = Timeouts::default();
/// let manager = redis::aio::ConnectionManager::new_with_config(client, manager_config(timeouts)).await?;
/// let storage = RedisStorage::new(manager, "main".parse()?).with_operation_timeout(timeouts.operation);
/// # drop(storage); Ok(()) }
/// ```
pub fn manager_config(timeouts: Timeouts) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeouts.connect))
        .set_response_timeout(Some(timeouts.operation))
        .set_number_of_retries(0)
}

/// Opens a [`ConnectionManager`] for the server at `url` with [`manager_config`], waiting at most
/// `timeouts.connect` for the first connection.
///
/// One manager multiplexes every call over one connection and reconnects by itself; build the handles of
/// several slots on clones of it with [`RedisStorage::new`](crate::RedisStorage::new).
///
/// `url` is `redis://[<user>][:<password>@]<host>[:<port>][/<db>]` (or `redis+unix:///path?db=..&pass=..`;
/// `rediss://` needs a TLS feature of the `redis` crate, which this crate does not enable).
///
/// # Errors
///
/// [`Config`](session_core::ErrorKind::Config) for a URL that does not parse or names a database the
/// server does not have; [`PermissionDenied`](session_core::ErrorKind::PermissionDenied) when the server
/// refuses the credentials; [`Unavailable`](session_core::ErrorKind::Unavailable) when it cannot be reached;
/// [`Timeout`](session_core::ErrorKind::Timeout) when it does not answer within `timeouts.connect`. Messages
/// show the URL with its password replaced by `***`.
pub async fn connect_manager(
    url: &str,
    timeouts: Timeouts,
) -> Result<ConnectionManager, StorageError> {
    let action = format!("connect to {}", redact_url(url));
    let client =
        redis::Client::open(url).map_err(|err| map_redis_error(err, &action, Phase::Connect))?;
    let connecting = ConnectionManager::new_with_config(client, manager_config(timeouts));
    match tokio::time::timeout(timeouts.connect, connecting).await {
        Ok(Ok(manager)) => Ok(manager),
        Ok(Err(err)) => Err(map_redis_error(err, &action, Phase::Connect)),
        Err(_) => Err(timed_out(&action, timeouts.connect)),
    }
}

/// `url` with its password (and the `pass` query parameter of a Unix socket URL) replaced by `***`, for
/// messages and `Debug`. A URL that does not parse is not shown at all, since there is no telling which
/// part of it is a password.
pub(crate) fn redact_url(url: &str) -> String {
    const HIDDEN: &str = "***";
    let Some(mut parsed) = redis::parse_redis_url(url) else {
        return "<a Redis URL that does not parse>".to_owned();
    };
    if parsed.password().is_some() && parsed.set_password(Some(HIDDEN)).is_err() {
        return "<a Redis URL that cannot be shown>".to_owned();
    }
    let has_pass = parsed.query_pairs().any(|(name, _)| name == "pass");
    if has_pass {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "pass" { HIDDEN.into() } else { value };
                (name.into_owned(), value.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        let cases = [
            (
                "redis://user:secret@127.0.0.1:1/",
                "redis://user:***@127.0.0.1:1/",
            ),
            ("redis://:secret@host/2", "redis://:***@host/2"),
            ("redis://user@host:6379", "redis://user@host:6379"),
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
            (
                "redis+unix:///run/redis.sock?db=1&pass=secret",
                "redis+unix:///run/redis.sock?db=1&pass=***",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn a_url_that_does_not_parse_is_not_shown() {
        let shown = redact_url("redis://user:sec ret@[bad");
        assert!(!shown.contains("sec"), "{shown}");
        assert!(!redact_url("not a url with secret").contains("secret"));
    }

    #[test]
    fn the_manager_config_fails_fast() {
        let timeouts = Timeouts {
            connect: Duration::from_millis(700),
            operation: Duration::from_secs(2),
        };
        let config = manager_config(timeouts);
        assert_eq!(config.number_of_retries(), 0);
        assert_eq!(config.connection_timeout(), Some(timeouts.connect));
        assert_eq!(config.response_timeout(), Some(timeouts.operation));
    }
}
