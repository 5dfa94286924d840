//! The one place where S3 SDK errors become [`StorageError`]s.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStreamError;
use session_core::{ErrorKind, StorageError};

/// The backend name carried by every error of this crate.
pub(crate) const BACKEND: &str = "s3";

/// What the adapter was doing when a call failed; conditional writes read some answers differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `GetObject` for `load` or `load_versioned`.
    Load,
    /// An unconditional `PutObject`.
    Store,
    /// A `PutObject` with `If-Match` or `If-None-Match`.
    StoreIf,
    /// `DeleteObject`.
    Delete,
    /// A write or delete of the object that checks whether the server honours conditional writes.
    Probe,
    /// `GetObject` of the slot's lease object.
    LeaseRead,
    /// A conditional `PutObject` of the slot's lease object.
    LeaseWrite,
}

impl Action {
    /// Whether the request carried a precondition, so that "not found" and "conflict" answers mean that the
    /// precondition failed.
    fn is_conditional(self) -> bool {
        matches!(self, Action::StoreIf | Action::Probe | Action::LeaseWrite)
    }

    /// Whether the request changes the object, so that a request lost in flight leaves its outcome unknown.
    fn writes(self) -> bool {
        matches!(
            self,
            Action::Store | Action::StoreIf | Action::Delete | Action::LeaseWrite
        )
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Load => "load",
            Action::Store => "store",
            Action::StoreIf => "conditionally store",
            Action::Delete => "delete",
            Action::Probe => "check conditional writes with",
            Action::LeaseRead => "read the lease object",
            Action::LeaseWrite => "write the lease object",
        }
    }
}

/// The object a failed request was about, for the message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    pub(crate) action: Action,
    pub(crate) bucket: &'a str,
    pub(crate) key: &'a str,
}

/// A failed request: an SDK error, a broken response body, or the adapter's own deadline.
#[derive(Debug)]
pub(crate) enum Failure<E> {
    /// The SDK's error for an operation whose service error type is `E` (boxed: it is large).
    Sdk(Box<SdkError<E, HttpResponse>>),
    /// Reading the body of a `GetObject` response failed.
    Body(ByteStreamError),
    /// The operation did not finish within the handle's operation timeout.
    Elapsed(Duration),
}

impl<E> Failure<E> {
    /// Wraps an SDK error.
    pub(crate) fn sdk(err: SdkError<E, HttpResponse>) -> Failure<E> {
        Failure::Sdk(Box::new(err))
    }
}

/// The adapter's deadline ran out; kept as the error's source.
#[derive(Debug)]
struct DeadlineElapsed(Duration);

impl fmt::Display for DeadlineElapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no answer within {:?}", self.0)
    }
}

impl StdError for DeadlineElapsed {}

/// Converts a failed request on `target` into a [`StorageError`] whose kind says what a caller can do about
/// it, with a message naming the bucket and key, and the SDK's error kept as the source.
///
/// | failure                                               | kind                 |
/// |-------------------------------------------------------|----------------------|
/// | connection refused or reset (dispatch I/O)            | `Unavailable`        |
/// | connect timeout, SDK operation timeout, our deadline  | `Timeout`            |
/// | `NoSuchBucket`, bad bucket name, wrong region/endpoint | `Config` (names the bucket) |
/// | `AccessDenied`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`, 401/403 | `PermissionDenied` |
/// | `PreconditionFailed` (412), `ConditionalRequestConflict` (409) | `Conflict` |
/// | `NoSuchKey` / 404 answering a conditional write       | `Conflict`           |
/// | `EntityTooLarge` (413)                                | `TooLarge`           |
/// | `SlowDown`, `InternalError`, 429 and 5xx              | `Unavailable`        |
/// | a request the SDK could not build                     | `Config`             |
///
/// A write (`store`, `store_if`, `delete`) that timed out or whose answer was lost is marked with
/// [`StorageError::with_unknown_outcome`]: the server may have applied it.
pub(crate) fn map_error<E>(failure: Failure<E>, target: Target<'_>) -> StorageError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let (kind, reason) = match &failure {
        Failure::Sdk(err) => classify_sdk(err, target),
        Failure::Body(_) => (
            ErrorKind::Unavailable,
            "the connection broke while the object was being read".to_owned(),
        ),
        Failure::Elapsed(limit) => (
            ErrorKind::Timeout,
            format!("no answer within the operation timeout of {limit:?}"),
        ),
    };
    let message = format!(
        "cannot {} object {:?} in bucket {:?}: {reason}",
        target.action.verb(),
        target.key,
        target.bucket
    );
    // Whether a failed write may have been applied: unless the SDK never built or sent the request, or the
    // server answered that it refused it.
    let maybe_applied = match &failure {
        Failure::Sdk(err) => match &**err {
            SdkError::ConstructionFailure(_) => false,
            // A connection that failed may have carried the request first; one the client refused did not.
            SdkError::DispatchFailure(failure) => !failure.is_user(),
            // A server error after the write arrived (or after an earlier attempt of it did).
            SdkError::ServiceError(_) => {
                matches!(kind, ErrorKind::Unavailable | ErrorKind::Timeout)
            }
            _ => true,
        },
        Failure::Body(_) => false,
        Failure::Elapsed(_) => true,
    };
    let error = StorageError::new(kind, BACKEND, message)
        .with_unknown_outcome_if(target.action.writes() && maybe_applied);
    match failure {
        Failure::Sdk(err) => error.with_source(*err),
        Failure::Body(err) => error.with_source(err),
        Failure::Elapsed(limit) => error.with_source(DeadlineElapsed(limit)),
    }
}

/// The kind and reason for an SDK error.
fn classify_sdk<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
    target: Target<'_>,
) -> (ErrorKind, String) {
    match err {
        SdkError::ConstructionFailure(_) => (
            ErrorKind::Config,
            "the SDK could not build the request (check the bucket name, key and endpoint)"
                .to_owned(),
        ),
        SdkError::TimeoutError(_) => (
            ErrorKind::Timeout,
            "the operation did not finish within the client's operation timeout".to_owned(),
        ),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => (
            ErrorKind::Timeout,
            "the server did not answer in time (connect or read timeout)".to_owned(),
        ),
        SdkError::DispatchFailure(failure) if failure.is_user() => (
            ErrorKind::Config,
            "the HTTP client refused the request (check the endpoint URL and the `tls` feature)"
                .to_owned(),
        ),
        SdkError::DispatchFailure(_) => (
            ErrorKind::Unavailable,
            "the server could not be reached (connection refused, reset or closed)".to_owned(),
        ),
        SdkError::ResponseError(_) => (
            ErrorKind::Unavailable,
            "the server's answer could not be read (connection closed early or not an S3 response)"
                .to_owned(),
        ),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code();
            let (kind, reason) = classify_service(code, status, target);
            let said = match (code, service.err().message()) {
                (Some(code), Some(text)) => format!("{status} {code}: {text}"),
                (Some(code), None) => format!("{status} {code}"),
                (None, _) => format!("HTTP {status}"),
            };
            (kind, format!("{reason} (server answered {said})"))
        }
        _ => (ErrorKind::Other, "the SDK failed".to_owned()),
    }
}

/// The kind and reason for an error answer of the server: by its S3 error code first, by the HTTP status
/// when the code is unknown or missing (answers without a body, such as those to `HEAD`, carry none).
fn classify_service(code: Option<&str>, status: u16, target: Target<'_>) -> (ErrorKind, String) {
    let conditional = target.action.is_conditional();
    let kind = match code {
        Some("NoSuchBucket") => {
            return (
                ErrorKind::Config,
                format!(
                    "the bucket {:?} does not exist (this adapter never creates buckets: create it first)",
                    target.bucket
                ),
            )
        }
        Some("NoSuchKey") if conditional => ErrorKind::Conflict,
        Some("PreconditionFailed" | "ConditionalRequestConflict") => ErrorKind::Conflict,
        Some(
            "AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken"
            | "InvalidToken" | "TokenRefreshRequired" | "AllAccessDisabled" | "AccountProblem"
            | "InvalidSecurity",
        ) => ErrorKind::PermissionDenied,
        Some("EntityTooLarge" | "MaxMessageLengthExceeded") => ErrorKind::TooLarge,
        Some(
            "InvalidBucketName" | "PermanentRedirect" | "TemporaryRedirect" | "Redirect"
            | "AuthorizationHeaderMalformed" | "KeyTooLongError" | "InvalidURI",
        ) => ErrorKind::Config,
        Some("NotImplemented" | "InvalidObjectState") => ErrorKind::Unsupported,
        Some("RequestTimeout") => ErrorKind::Timeout,
        // MinIO's answer when its drives are full.
        Some("XMinioStorageFull") => ErrorKind::StorageFull,
        Some("SlowDown" | "ServiceUnavailable" | "InternalError" | "OperationAborted") => {
            ErrorKind::Unavailable
        }
        _ => kind_of_status(status, conditional),
    };
    let reason = match kind {
        ErrorKind::Conflict => "the object is not in the expected state (the write's precondition failed)",
        ErrorKind::PermissionDenied => "the server refused the credentials or the operation",
        ErrorKind::TooLarge => "the value is larger than the server accepts",
        ErrorKind::Config => {
            "the bucket, key, region or endpoint is not valid for this server (or the bucket lives elsewhere)"
        }
        ErrorKind::Unsupported => {
            "the server cannot do this (an operation it does not implement, or an archived object)"
        }
        ErrorKind::Timeout => "the server timed out waiting for the request",
        ErrorKind::Unavailable => "the server is busy or failing; try again later",
        _ => "the server refused the request",
    };
    (kind, reason.to_owned())
}

/// The kind for an HTTP error status without a known S3 error code.
fn kind_of_status(status: u16, conditional: bool) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::PermissionDenied,
        404 | 409 if conditional => ErrorKind::Conflict,
        412 => ErrorKind::Conflict,
        404 | 400 | 301 | 307 => ErrorKind::Config,
        408 => ErrorKind::Timeout,
        413 => ErrorKind::TooLarge,
        507 => ErrorKind::StorageFull,
        501 => ErrorKind::Unsupported,
        409 | 429 | 500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::error::ConnectorError;
    use aws_sdk_s3::operation::put_object::PutObjectError;

    use super::*;

    fn target(action: Action) -> Target<'static> {
        Target {
            action,
            bucket: "sessions",
            key: "tgsession/main",
        }
    }

    fn kind(code: Option<&str>, status: u16, action: Action) -> ErrorKind {
        classify_service(code, status, target(action)).0
    }

    fn map(err: SdkError<PutObjectError, HttpResponse>, action: Action) -> StorageError {
        map_error(Failure::sdk(err), target(action))
    }

    #[test]
    fn codes_decide_before_statuses() {
        let cases = [
            (Some("NoSuchBucket"), 404, Action::Load, ErrorKind::Config),
            (
                Some("NoSuchBucket"),
                404,
                Action::StoreIf,
                ErrorKind::Config,
            ),
            (Some("NoSuchKey"), 404, Action::StoreIf, ErrorKind::Conflict),
            (Some("NoSuchKey"), 404, Action::Store, ErrorKind::Config),
            (
                Some("PreconditionFailed"),
                412,
                Action::StoreIf,
                ErrorKind::Conflict,
            ),
            (
                Some("ConditionalRequestConflict"),
                409,
                Action::StoreIf,
                ErrorKind::Conflict,
            ),
            (
                Some("AccessDenied"),
                403,
                Action::Load,
                ErrorKind::PermissionDenied,
            ),
            (
                Some("InvalidAccessKeyId"),
                403,
                Action::Store,
                ErrorKind::PermissionDenied,
            ),
            (
                Some("SignatureDoesNotMatch"),
                403,
                Action::Delete,
                ErrorKind::PermissionDenied,
            ),
            (
                Some("EntityTooLarge"),
                400,
                Action::Store,
                ErrorKind::TooLarge,
            ),
            (
                Some("InvalidBucketName"),
                400,
                Action::Load,
                ErrorKind::Config,
            ),
            (
                Some("PermanentRedirect"),
                301,
                Action::Load,
                ErrorKind::Config,
            ),
            (Some("SlowDown"), 503, Action::Store, ErrorKind::Unavailable),
            (
                Some("RequestTimeout"),
                400,
                Action::Store,
                ErrorKind::Timeout,
            ),
            (
                Some("NotImplemented"),
                501,
                Action::StoreIf,
                ErrorKind::Unsupported,
            ),
        ];
        for (code, status, action, expected) in cases {
            assert_eq!(
                kind(code, status, action),
                expected,
                "{code:?} {status} {action:?}"
            );
        }
    }

    #[test]
    fn statuses_decide_without_a_known_code() {
        let cases = [
            (403, Action::Load, ErrorKind::PermissionDenied),
            (401, Action::Store, ErrorKind::PermissionDenied),
            (412, Action::StoreIf, ErrorKind::Conflict),
            (409, Action::StoreIf, ErrorKind::Conflict),
            (409, Action::Store, ErrorKind::Unavailable),
            (404, Action::StoreIf, ErrorKind::Conflict),
            (404, Action::Delete, ErrorKind::Config),
            (413, Action::Store, ErrorKind::TooLarge),
            (408, Action::Load, ErrorKind::Timeout),
            (503, Action::Load, ErrorKind::Unavailable),
            (507, Action::Store, ErrorKind::StorageFull),
            (418, Action::Load, ErrorKind::Other),
        ];
        for (status, action, expected) in cases {
            assert_eq!(
                kind(Some("Unknown"), status, action),
                expected,
                "{status} {action:?}"
            );
            assert_eq!(kind(None, status, action), expected, "{status} {action:?}");
        }
    }

    #[test]
    fn sdk_failures_are_mapped() {
        let io = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let cases = [
            (
                SdkError::dispatch_failure(ConnectorError::io(io().into())),
                ErrorKind::Unavailable,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout(io().into())),
                ErrorKind::Timeout,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::user(io().into())),
                ErrorKind::Config,
            ),
            (SdkError::timeout_error(io()), ErrorKind::Timeout),
            (SdkError::construction_failure(io()), ErrorKind::Config),
        ];
        for (err, expected) in cases {
            let mapped = map(err, Action::Store);
            assert_eq!(mapped.kind(), expected, "{mapped}");
            assert!(
                mapped.source().is_some(),
                "the SDK error is kept as the source"
            );
        }
    }

    #[test]
    fn messages_name_the_object_and_the_missing_bucket() {
        let err = map_error(
            Failure::<PutObjectError>::Elapsed(Duration::from_secs(1)),
            target(Action::Load),
        );
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(
            err.to_string(),
            "s3: timeout: cannot load object \"tgsession/main\" in bucket \"sessions\": no answer within \
             the operation timeout of 1s"
        );
        let (kind, reason) = classify_service(Some("NoSuchBucket"), 404, target(Action::Store));
        assert_eq!(kind, ErrorKind::Config);
        assert!(reason.contains("\"sessions\""), "{reason}");
        assert!(reason.contains("never creates buckets"), "{reason}");
    }
}
