//! The state of a database after a write failed where sled may already have changed its in-memory state,
//! and the errors every later call returns.

use session_core::{ErrorKind, StorageError};

use crate::error::{classify, BACKEND};

/// What repairs a poisoned database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Remedy {
    /// Closing the database (dropping every handle on it) and opening it again.
    Reopen,
    /// Only a new process: sled can never flush this database again, and closing it would hang.
    Restart,
}

/// Why a database refuses every call.
#[derive(Debug)]
pub(crate) struct Poison {
    remedy: Remedy,
    /// The error of the write that poisoned the database.
    cause: sled::Error,
}

impl Poison {
    pub(crate) fn new(remedy: Remedy, cause: sled::Error) -> Poison {
        Poison { remedy, cause }
    }

    pub(crate) fn remedy(&self) -> Remedy {
        self.remedy
    }

    /// What the caller must do, as the end of a sentence.
    fn consequence(&self) -> &'static str {
        match self.remedy {
            Remedy::Reopen => {
                "sled may hold changes in memory that are not on disk, so every call on this database fails \
                 until it is reopened: drop every handle on it, then open it again"
            }
            Remedy::Restart => {
                "sled 0.34 can never flush this database again (it would wait forever), so every call on it \
                 fails and it must be reopened by a new process: restart the process"
            }
        }
    }

    /// The error of the write whose failure `err` poisoned the database: the kind of `err` (such as
    /// [`ErrorKind::StorageFull`]), and a message that says the database must now be reopened.
    pub(crate) fn first_error(&self, err: sled::Error, action: &str) -> StorageError {
        let (kind, why) = classify(&err);
        StorageError::new(
            kind,
            BACKEND,
            format!("cannot {action}: {why}; {}", self.consequence()),
        )
        .with_source(err)
    }

    /// The error of any call (`action`) on the poisoned database: [`ErrorKind::Other`], since neither
    /// waiting nor freeing space helps, with the original failure as source.
    pub(crate) fn error(&self, action: &str) -> StorageError {
        StorageError::new(
            ErrorKind::Other,
            BACKEND,
            format!(
                "cannot {action}: an earlier write to this database failed ({}), and {}",
                self.cause,
                self.consequence()
            ),
        )
        .with_source(self.cause.clone())
    }
}
