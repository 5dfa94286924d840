//! How a case reports what went wrong: every failure panics with the case name and what differed.

use std::error::Error as StdError;
use std::fmt::{self, Write as _};

use bytes::Bytes;
use session_core::{ErrorKind, SessionStorage, StorageError};

/// The failure reporter of one case. It is `Copy` and `'static`, so spawned tasks of a case carry it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Check {
    case: &'static str,
}

impl Check {
    pub(crate) fn new(case: &'static str) -> Check {
        Check { case }
    }

    /// The name of the case.
    pub(crate) fn case(self) -> &'static str {
        self.case
    }

    /// Fails the case.
    #[track_caller]
    pub(crate) fn fail(self, what: impl fmt::Display) -> ! {
        panic!("conformance case `{}` failed: {what}", self.case)
    }

    /// The value of `result`, or fails the case with the error, saying what the case was `doing`.
    #[track_caller]
    pub(crate) fn ok<T>(self, result: Result<T, StorageError>, doing: impl fmt::Display) -> T {
        match result {
            Ok(value) => value,
            Err(err) => self.error(&err, doing),
        }
    }

    /// Fails the case with a storage error, saying what the case was `doing`.
    #[track_caller]
    pub(crate) fn error(self, err: &StorageError, doing: impl fmt::Display) -> ! {
        self.fail(format_args!("{doing} returned an error: {}", report(err)))
    }

    /// Fails unless `result` is a [`ErrorKind::Conflict`] error.
    #[track_caller]
    pub(crate) fn conflict<T: fmt::Debug>(self, result: Result<T, StorageError>, doing: &str) {
        self.fails_with(ErrorKind::Conflict, result, doing);
    }

    /// Fails unless `result` is an error of `kind`; returns that error.
    #[track_caller]
    pub(crate) fn fails_with<T: fmt::Debug>(
        self,
        kind: ErrorKind,
        result: Result<T, StorageError>,
        doing: &str,
    ) -> StorageError {
        match result {
            Err(err) if err.kind() == kind => err,
            Err(err) => self.fail(format_args!(
                "{doing} must fail with ErrorKind::{kind:?}, but failed with {:?}: {}",
                err.kind(),
                report(&err)
            )),
            Ok(value) => self.fail(format_args!(
                "{doing} must fail with ErrorKind::{kind:?}, but succeeded (returned {value:?})"
            )),
        }
    }

    /// Fails unless `got` equals `want`, describing the difference.
    #[track_caller]
    pub(crate) fn same(self, got: Option<&[u8]>, want: Option<&[u8]>, what: impl fmt::Display) {
        if let Some(difference) = difference(got, want) {
            self.fail(format_args!("{what}: {difference}"));
        }
    }

    /// `storage.load()`, failing the case on an error.
    pub(crate) async fn load<S: SessionStorage + ?Sized>(
        self,
        storage: &S,
        doing: &str,
    ) -> Option<Bytes> {
        self.ok(storage.load().await, format_args!("load ({doing})"))
    }

    /// `storage.store(data)`, failing the case on an error.
    pub(crate) async fn store<S: SessionStorage + ?Sized>(
        self,
        storage: &S,
        data: &Bytes,
        doing: &str,
    ) {
        let result = storage.store(data.clone()).await;
        self.ok(
            result,
            format_args!("store of {} bytes ({doing})", data.len()),
        );
    }

    /// Loads from `storage` and fails unless the result is `want`.
    pub(crate) async fn expect_load<S: SessionStorage + ?Sized>(
        self,
        storage: &S,
        want: Option<&[u8]>,
        doing: &str,
    ) {
        let got = self.load(storage, doing).await;
        self.same(got.as_deref(), want, format_args!("load ({doing})"));
    }
}

/// The error's `Display` followed by its chain of sources.
pub(crate) fn report(err: &StorageError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        // Writing to a String cannot fail.
        let _ = write!(text, ": caused by: {cause}");
        source = cause.source();
    }
    text
}

/// How `got` differs from `want`, or `None` when they are equal. Never prints the values themselves.
pub(crate) fn difference(got: Option<&[u8]>, want: Option<&[u8]>) -> Option<String> {
    match (got, want) {
        (None, None) => None,
        (None, Some(want)) => Some(format!(
            "got nothing (Ok(None)), expected a value of {} bytes",
            want.len()
        )),
        (Some(got), None) => Some(format!(
            "got a value of {} bytes, expected nothing (Ok(None))",
            got.len()
        )),
        (Some(got), Some(want)) => bytes_difference(got, want),
    }
}

fn bytes_difference(got: &[u8], want: &[u8]) -> Option<String> {
    if got == want {
        return None;
    }
    let shorter = got.len().min(want.len());
    let offset = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .unwrap_or(shorter);
    let detail = if offset < shorter {
        format!("got {:#04x}, expected {:#04x}", got[offset], want[offset])
    } else if got.len() < want.len() {
        "the value got is a prefix of the expected one".to_owned()
    } else {
        "the expected value is a prefix of the value got".to_owned()
    };
    Some(format!(
        "got {} bytes, expected {} bytes; first difference at offset {offset} ({detail})",
        got.len(),
        want.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_have_no_difference() {
        assert_eq!(difference(None, None), None);
        assert_eq!(difference(Some(b""), Some(b"")), None);
        assert_eq!(difference(Some(b"abc"), Some(b"abc")), None);
    }

    #[test]
    fn absence_is_told_apart_from_an_empty_value() {
        assert_eq!(
            difference(None, Some(b"")).as_deref(),
            Some("got nothing (Ok(None)), expected a value of 0 bytes")
        );
        assert_eq!(
            difference(Some(b""), None).as_deref(),
            Some("got a value of 0 bytes, expected nothing (Ok(None))")
        );
    }

    #[test]
    fn names_lengths_and_first_differing_offset() {
        assert_eq!(
            difference(Some(b"abXd"), Some(b"abcd")).as_deref(),
            Some("got 4 bytes, expected 4 bytes; first difference at offset 2 (got 0x58, expected 0x63)")
        );
        assert_eq!(
            difference(Some(b"ab"), Some(b"abcd")).as_deref(),
            Some("got 2 bytes, expected 4 bytes; first difference at offset 2 (the value got is a prefix of the expected one)")
        );
        assert_eq!(
            difference(Some(b"abcde"), Some(b"abc")).as_deref(),
            Some("got 5 bytes, expected 3 bytes; first difference at offset 3 (the expected value is a prefix of the value got)")
        );
    }

    #[test]
    fn failures_name_the_case() {
        let panic = std::panic::catch_unwind(|| Check::new("some_case").fail("it broke"))
            .expect_err("fail must panic");
        let message = panic.downcast_ref::<String>().expect("a formatted message");
        assert_eq!(message, "conformance case `some_case` failed: it broke");
    }

    #[test]
    fn errors_are_reported_with_their_sources() {
        let err = StorageError::new(ErrorKind::Unavailable, "test", "server gone")
            .with_source(std::io::Error::other("connection reset"));
        assert_eq!(report(&err), format!("{err}: caused by: connection reset"));
    }
}
