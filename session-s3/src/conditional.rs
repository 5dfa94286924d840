//! The once-per-client check that the server honours conditional writes, so compare-and-swap cannot
//! silently lose updates on servers that ignore `If-Match` / `If-None-Match`.

use bytes::Bytes;
use session_core::{ErrorKind, StorageError};

use crate::error::{Action, BACKEND};
use crate::ops::Precondition;
use crate::storage::S3Storage;

/// What the check found out about the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConditionalWrites {
    /// The server refused both conditional writes that had to fail.
    Honoured,
    /// The server accepted a write that the named header should have refused.
    Ignored(&'static str),
}

/// Marks probe objects: `#` is not a slot-name byte, so a probe key never equals a slot's key.
const PROBE_MARKER: &str = "#tgsession-conditional-write-probe-";

/// The content of a probe object.
const PROBE_BODY: &[u8] = b"tgsession checks whether this server honours conditional writes";

/// An `If-Match` value that no object has.
const WRONG_ETAG: &str = "\"tgsession-probe-no-such-etag\"";

impl S3Storage {
    /// Checks that the server honours conditional writes; versioned calls do this themselves before their
    /// first request, so calling it is only useful to find out early.
    ///
    /// The check runs once per client (handles from [`for_slot`](Self::for_slot) and clones share the
    /// result; a check that failed to reach the server is tried again on the next call). It writes a small
    /// probe object under the handle's prefix, named `prefix + "#tgsession-conditional-write-probe-" +
    /// random hex`, then tries to overwrite it twice with writes that must fail: once with
    /// `If-None-Match: *` and once with `If-Match` of an ETag it cannot have. Then it deletes the probe
    /// object (if that delete fails, the object stays behind; nothing reads it).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`] when the server accepted one of those writes: it ignores conditional
    /// headers, and compare-and-swap through it would lose updates. Otherwise the errors of a `PutObject`
    /// (such as [`Unavailable`](ErrorKind::Unavailable), or [`Config`](ErrorKind::Config) for a missing bucket).
    pub async fn check_conditional_writes(&self) -> Result<(), StorageError> {
        let found = self
            .shared()
            .conditional_writes
            .get_or_try_init(|| self.probe_conditional_writes())
            .await?;
        match *found {
            ConditionalWrites::Honoured => Ok(()),
            ConditionalWrites::Ignored(header) => Err(StorageError::new(
                ErrorKind::Unsupported,
                BACKEND,
                format!(
                    "the server behind bucket {:?} ignores conditional writes: it accepted a PutObject with \
                     `{header}` that had to fail, so compare-and-swap (load_versioned / store_if) would \
                     silently lose updates and is disabled for this client; plain load, store and delete \
                     still work",
                    self.bucket()
                ),
            )),
        }
    }

    /// Runs the probe on a fresh key and removes the probe object.
    async fn probe_conditional_writes(&self) -> Result<ConditionalWrites, StorageError> {
        let key = format!("{}{PROBE_MARKER}{:016x}", self.prefix(), fastrand::u64(..));
        let found = self.probe_at(&key).await;
        // Best effort: the verdict stands even if the probe object cannot be removed.
        let _ = self.delete_key(&key, Action::Probe).await;
        found
    }

    async fn probe_at(&self, key: &str) -> Result<ConditionalWrites, StorageError> {
        let body = Bytes::from_static(PROBE_BODY);
        self.put(key, body.clone(), Precondition::Absent, Action::Probe)
            .await?;
        let checks = [
            (Precondition::Absent, "If-None-Match: *"),
            (Precondition::Matches(WRONG_ETAG), "If-Match"),
        ];
        for (precondition, header) in checks {
            match self
                .put(key, body.clone(), precondition, Action::Probe)
                .await
            {
                Ok(_) => return Ok(ConditionalWrites::Ignored(header)),
                Err(err) if err.kind() == ErrorKind::Conflict => {}
                Err(err) => return Err(err),
            }
        }
        Ok(ConditionalWrites::Honoured)
    }
}
