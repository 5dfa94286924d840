//! The one place where Redis errors become [`StorageError`]s.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use redis::{ErrorKind as RedisKind, RedisError, ServerErrorKind};
use session_core::{ErrorKind, StorageError};

/// The backend name carried by every error of this crate.
pub(crate) const BACKEND: &str = "redis";

/// When a driver error happened: while a connection was being set up, or while a command ran on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Opening a connection: resolving, connecting, `AUTH`, `SELECT`.
    Connect,
    /// Running a command of the storage.
    Operation,
}

/// Converts a Redis error raised while doing `action` (a phrase such as `load slot "main"`) into a
/// [`StorageError`] whose kind says what a caller can do about it, keeping the Redis error as its source.
///
/// The message never contains the connection URL as given: callers put the
/// [redacted](crate::config::redact_url) URL into `action` when they name the server.
pub(crate) fn map_redis_error(err: RedisError, action: &str, phase: Phase) -> StorageError {
    let (kind, why) = classify(&err, phase);
    let message = match kind {
        // The driver's own description of a bad setting names what is wrong (`Missing hostname`, `Invalid
        // database number`, ...); it is built from the URL's structure, never from its password.
        ErrorKind::Config if err.kind() == RedisKind::InvalidClientConfig => {
            format!("cannot {action}: {why} ({err})")
        }
        _ => format!("cannot {action}: {why}"),
    };
    StorageError::new(kind, BACKEND, message).with_source(err)
}

/// A [`ErrorKind::Timeout`] error for an `action` that did not finish within `limit`.
pub(crate) fn timed_out(action: &str, limit: Duration) -> StorageError {
    StorageError::new(
        ErrorKind::Timeout,
        BACKEND,
        format!("cannot {action}: no answer within {limit:?}"),
    )
}

/// The kind and a short reason for `err`.
fn classify(err: &RedisError, phase: Phase) -> (ErrorKind, &'static str) {
    let cause = aborted_by(err);
    let err = cause.as_ref().unwrap_or(err);
    if err.is_timeout() {
        return (ErrorKind::Timeout, "the server did not answer in time");
    }
    if err.is_connection_refusal() {
        return (ErrorKind::Unavailable, "the server refused the connection");
    }
    if let Some(found) = reply_code(err).as_deref().and_then(classify_code) {
        return found;
    }
    match err.kind() {
        RedisKind::Io => classify_io(err),
        RedisKind::AuthenticationFailed => (
            ErrorKind::PermissionDenied,
            "the server refused the credentials",
        ),
        RedisKind::InvalidClientConfig => {
            (ErrorKind::Config, "the connection settings are invalid")
        }
        RedisKind::RESP3NotSupported => (
            ErrorKind::Unsupported,
            "the server does not support the RESP3 protocol the URL asks for",
        ),
        RedisKind::UnexpectedReturnType => (
            ErrorKind::Corrupt,
            "the server's reply has an unexpected type (is the key used by another application?)",
        ),
        RedisKind::Parse => (ErrorKind::Other, "the server's reply could not be parsed"),
        RedisKind::Server(server) => classify_server(server, phase),
        RedisKind::Extension => (ErrorKind::Other, "the server returned an error"),
        _ => (ErrorKind::Other, "the Redis client failed"),
    }
}

/// When `err` says the server discarded a transaction (`EXECABORT`), the error of the first command that
/// made it do so while queuing (such as `NOPERM` from an ACL).
fn aborted_by(err: &RedisError) -> Option<RedisError> {
    if err.kind() != RedisKind::Server(ServerErrorKind::ExecAbort) {
        return None;
    }
    let replies = err.clone().into_server_errors()?;
    replies.first().map(|(_, reply)| reply.clone().into())
}

/// The code of the error reply behind `err` (`WRONGTYPE`, `NOAUTH`, ...), also when it is the reply to one
/// command of a pipeline, where the driver reports no code of its own for codes it does not know.
fn reply_code(err: &RedisError) -> Option<String> {
    if let Some(code) = err.code() {
        return Some(code.to_owned());
    }
    let replies = err.clone().into_server_errors()?;
    replies.first().map(|(_, reply)| reply.code().to_owned())
}

/// The kind of an error reply whose code the driver does not know (`-NOAUTH ...`), if it is one we do.
fn classify_code(code: &str) -> Option<(ErrorKind, &'static str)> {
    Some(match code {
        "NOAUTH" => (
            ErrorKind::PermissionDenied,
            "the server requires authentication: put the user and password into the URL",
        ),
        "WRONGPASS" => (
            ErrorKind::PermissionDenied,
            "the server refused the credentials",
        ),
        "NOPERM" => (
            ErrorKind::PermissionDenied,
            "the server's ACL does not allow this user the command or the key",
        ),
        "WRONGTYPE" => (
            ErrorKind::Corrupt,
            "the key holds a value of another Redis type (is the key prefix shared with another application?)",
        ),
        "OOM" => (
            ErrorKind::StorageFull,
            "the server is out of memory (maxmemory reached); nothing was written",
        ),
        _ => return None,
    })
}

/// The kind of an error reply of a kind the driver knows.
fn classify_server(server: ServerErrorKind, phase: Phase) -> (ErrorKind, &'static str) {
    match server {
        ServerErrorKind::NoPerm => (
            ErrorKind::PermissionDenied,
            "the server's ACL does not allow this user the command or the key",
        ),
        ServerErrorKind::BusyLoading
        | ServerErrorKind::TryAgain
        | ServerErrorKind::MasterDown
        | ServerErrorKind::ClusterDown => (
            ErrorKind::Unavailable,
            "the server cannot serve requests right now",
        ),
        ServerErrorKind::ReadOnly => (
            ErrorKind::Unavailable,
            "the server is a read-only replica (a failover may be in progress)",
        ),
        ServerErrorKind::Moved | ServerErrorKind::Ask | ServerErrorKind::CrossSlot => (
            ErrorKind::Config,
            "the server is a Redis Cluster node, and this adapter talks to a single server",
        ),
        // Errors of the commands sent while connecting (`SELECT`) mean the URL asks for something the
        // server does not have, such as a database number out of range.
        ServerErrorKind::ResponseError if phase == Phase::Connect => (
            ErrorKind::Config,
            "the server rejected the connection settings (is the database number in range?)",
        ),
        _ => (ErrorKind::Other, "the server returned an error"),
    }
}

/// The kind of an I/O error that is neither a timeout nor a refused connection.
fn classify_io(err: &RedisError) -> (ErrorKind, &'static str) {
    if err.is_connection_dropped() {
        return (
            ErrorKind::Unavailable,
            "the connection to the server was lost",
        );
    }
    match io_kind(err) {
        Some(io::ErrorKind::PermissionDenied) => (
            ErrorKind::PermissionDenied,
            "the operating system refused access to the server's socket",
        ),
        _ => (ErrorKind::Unavailable, "the server could not be reached"),
    }
}

/// The kind of the I/O error inside `err`, if it wraps one.
///
/// The driver keeps it as an `Arc<dyn Error>` and returns that `Arc` as the source, so both the `Arc` and a
/// bare [`io::Error`] are looked for.
fn io_kind(err: &RedisError) -> Option<io::ErrorKind> {
    let source = std::error::Error::source(err)?;
    let inner = match source.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>() {
        Some(shared) => shared.as_ref() as &(dyn std::error::Error + 'static),
        None => source,
    };
    inner.downcast_ref::<io::Error>().map(io::Error::kind)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn kind_of(err: RedisError) -> ErrorKind {
        map_redis_error(err, "test", Phase::Operation).kind()
    }

    fn io(kind: io::ErrorKind) -> RedisError {
        RedisError::from(io::Error::new(kind, "test"))
    }

    fn reply(code: &str) -> RedisError {
        redis::make_extension_error(code.to_owned(), Some("detail".to_owned()))
    }

    fn server_reply(line: &str) -> RedisError {
        let value = redis::parse_redis_value(line.as_bytes()).expect("a RESP error line");
        match value.extract_error() {
            Err(err) => err,
            Ok(value) => panic!("{line:?} parsed to {value:?}, not an error"),
        }
    }

    #[test]
    fn io_errors_are_unavailable_or_timeout() {
        let cases = [
            (io::ErrorKind::ConnectionRefused, ErrorKind::Unavailable),
            (io::ErrorKind::ConnectionReset, ErrorKind::Unavailable),
            (io::ErrorKind::BrokenPipe, ErrorKind::Unavailable),
            (io::ErrorKind::UnexpectedEof, ErrorKind::Unavailable),
            (io::ErrorKind::HostUnreachable, ErrorKind::Unavailable),
            (io::ErrorKind::Other, ErrorKind::Unavailable),
            (io::ErrorKind::TimedOut, ErrorKind::Timeout),
            (io::ErrorKind::PermissionDenied, ErrorKind::PermissionDenied),
        ];
        for (io_kind, expected) in cases {
            assert_eq!(kind_of(io(io_kind)), expected, "{io_kind:?}");
        }
    }

    #[test]
    fn authentication_and_authorization_are_permission_denied() {
        let auth = RedisError::from((
            RedisKind::AuthenticationFailed,
            "Password authentication failed",
        ));
        assert_eq!(kind_of(auth), ErrorKind::PermissionDenied);
        assert_eq!(kind_of(reply("NOAUTH")), ErrorKind::PermissionDenied);
        assert_eq!(kind_of(reply("WRONGPASS")), ErrorKind::PermissionDenied);
        let noperm =
            server_reply("-NOPERM this user has no permissions to run the 'get' command\r\n");
        assert_eq!(kind_of(noperm), ErrorKind::PermissionDenied);
        let noauth = server_reply("-NOAUTH Authentication required.\r\n");
        assert_eq!(kind_of(noauth), ErrorKind::PermissionDenied);
    }

    #[test]
    fn bad_settings_are_config_errors_that_say_what_is_wrong() {
        let err = redis::Client::open("redis://").expect_err("no host");
        let mapped = map_redis_error(err, "open the Redis URL", Phase::Connect);
        assert_eq!(mapped.kind(), ErrorKind::Config);
        assert!(mapped.message().contains("Missing hostname"), "{mapped}");

        let select = RedisError::from((
            RedisKind::Server(ServerErrorKind::ResponseError),
            "Redis server refused to switch database",
            "ERR DB index is out of range".to_owned(),
        ));
        assert_eq!(
            map_redis_error(select.clone(), "connect", Phase::Connect).kind(),
            ErrorKind::Config
        );
        assert_eq!(kind_of(select), ErrorKind::Other);
        assert_eq!(
            kind_of(server_reply("-MOVED 3999 127.0.0.1:6381\r\n")),
            ErrorKind::Config
        );
    }

    #[test]
    fn server_states_and_foreign_keys_have_kinds() {
        let wrongtype =
            server_reply("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
        assert_eq!(kind_of(wrongtype), ErrorKind::Corrupt);
        assert_eq!(
            kind_of(server_reply("-LOADING loading the dataset\r\n")),
            ErrorKind::Unavailable
        );
        assert_eq!(
            kind_of(server_reply("-READONLY replica\r\n")),
            ErrorKind::Unavailable
        );
        assert_eq!(kind_of(reply("OOM")), ErrorKind::StorageFull);
        assert_eq!(
            kind_of(server_reply("-ERR unknown command\r\n")),
            ErrorKind::Other
        );
        let unexpected = RedisError::from((RedisKind::UnexpectedReturnType, "not a string"));
        assert_eq!(kind_of(unexpected), ErrorKind::Corrupt);
    }

    #[test]
    fn message_names_the_action_and_source_is_kept() {
        let err = map_redis_error(
            io(io::ErrorKind::ConnectionRefused),
            "load slot \"a\"",
            Phase::Operation,
        );
        assert_eq!(err.backend(), "redis");
        assert_eq!(
            err.to_string(),
            "redis: unavailable: cannot load slot \"a\": the server refused the connection"
        );
        assert!(err.is_retryable());
        let source = err.source().and_then(|s| s.downcast_ref::<RedisError>());
        assert!(source.is_some_and(RedisError::is_connection_refusal));
    }

    #[test]
    fn a_timeout_names_the_limit() {
        let err = timed_out("store slot \"a\"", Duration::from_millis(1500));
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(
            err.to_string(),
            "redis: timeout: cannot store slot \"a\": no answer within 1.5s"
        );
    }
}
