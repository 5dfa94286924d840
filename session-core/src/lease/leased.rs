//! [`Leased`]: a storage whose writes are made under a held lease.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{FencedOutcome, FencedWrite, LeaseGuard, LeaseOptions, LeaseRequest, LeaseStorage};
use crate::error::{ErrorKind, StorageError};
use crate::journal::{Epoch, Journal, JournalPosition, JournalStorage};
use crate::storage::{SessionDelete, SessionStorage, VersionedStorage};
use crate::version::{Expect, Version};

/// A storage handle that holds its slot's lease and makes every write under it: the storage a single writer
/// (a [`LiveSession`](crate::LiveSession), a client bridge) works on.
///
/// It implements the same traits as the storage it wraps. Reads go to the storage as they are; every write
/// goes through [`LeaseStorage::write_fenced`] with the lease's token, so once another holder took the slot
/// over (or an operator broke the lease) the write fails with [`ErrorKind::Fenced`] and changes nothing.
/// Writes also fail, without reaching the storage, once the [guard](Self::guard) is no longer valid.
///
/// ```
/// use session_core::{ErrorKind, HolderId, Leased, LeaseRequest, LeaseStorage, MemoryStorage, SessionStorage};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let storage = MemoryStorage::new();
/// let leased = Leased::acquire(storage.clone(), &LeaseRequest::new(HolderId::new("a")?)).await?;
/// leased.store("one".into()).await?;
///
/// storage.break_lease().await?; // an operator breaks the lease
/// let err = leased.store("two".into()).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Fenced);
/// assert_eq!(storage.load().await?.as_deref(), Some(&b"one"[..]));
/// assert!(!leased.guard().is_valid());
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
pub struct Leased<S> {
    storage: Arc<S>,
    guard: Arc<LeaseGuard>,
}

impl<S> Clone for Leased<S> {
    fn clone(&self) -> Self {
        Leased {
            storage: self.storage.clone(),
            guard: self.guard.clone(),
        }
    }
}

impl<S: LeaseStorage + 'static> Leased<S> {
    /// Takes `storage`'s lease as `options` say: for their request, waiting up to their wait while another
    /// holder has it (then [`ErrorKind::Held`], naming it).
    pub async fn open(storage: S, options: &LeaseOptions) -> Result<Leased<S>, StorageError> {
        Leased::acquire_waiting(storage, options.request(), options.wait()).await
    }

    /// Takes `storage`'s lease for `request` ([`LeaseGuard::acquire`]).
    pub async fn acquire(storage: S, request: &LeaseRequest) -> Result<Leased<S>, StorageError> {
        let storage = Arc::new(storage);
        let guard = LeaseGuard::acquire(storage.clone(), request).await?;
        Ok(Leased {
            storage,
            guard: Arc::new(guard),
        })
    }

    /// Takes `storage`'s lease for `request`, waiting up to `wait` while another holder has it
    /// ([`LeaseGuard::acquire_waiting`]).
    pub async fn acquire_waiting(
        storage: S,
        request: &LeaseRequest,
        wait: Duration,
    ) -> Result<Leased<S>, StorageError> {
        let storage = Arc::new(storage);
        let guard = LeaseGuard::acquire_waiting(storage.clone(), request, wait).await?;
        Ok(Leased {
            storage,
            guard: Arc::new(guard),
        })
    }
}

impl<S: LeaseStorage> Leased<S> {
    /// The lease: its token, its status, and [`lost`](LeaseGuard::lost) to wait for its end.
    pub fn guard(&self) -> &Arc<LeaseGuard> {
        &self.guard
    }

    /// The storage underneath (its writes are not fenced).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Ends the lease ([`LeaseGuard::release`]); later writes through any clone of this handle fail.
    pub async fn release(&self) -> Result<(), StorageError> {
        self.guard.release().await
    }

    /// Performs `write` under the lease.
    async fn write(&self, write: FencedWrite) -> Result<FencedOutcome, StorageError> {
        let token = self.guard.token();
        if !self.guard.is_valid() {
            return Err(StorageError::new(
                ErrorKind::Fenced,
                "lease",
                format!(
                    "cannot {} under lease {token}: the lease is no longer safe to act on ({:?})",
                    write.name(),
                    self.guard.status()
                ),
            ));
        }
        let result = self.storage.write_fenced(token, write).await;
        if let Err(err) = &result {
            if err.kind() == ErrorKind::Fenced {
                self.guard.mark_lost(err.to_string());
            }
        }
        result
    }
}

impl<S: fmt::Debug> fmt::Debug for Leased<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leased")
            .field("storage", &self.storage)
            .field("guard", &self.guard)
            .finish()
    }
}

/// The outcome of a write that returns nothing, or an error if the storage answered something else.
fn done(outcome: FencedOutcome) -> Result<(), StorageError> {
    match outcome {
        FencedOutcome::Done => Ok(()),
        other => Err(unexpected(other)),
    }
}

fn unexpected(outcome: FencedOutcome) -> StorageError {
    StorageError::new(
        ErrorKind::Other,
        "lease",
        format!(
            "the storage answered a fenced write with {outcome:?}, which does not fit the write"
        ),
    )
}

#[async_trait]
impl<S: LeaseStorage> SessionStorage for Leased<S> {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        self.storage.load().await
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        done(self.write(FencedWrite::Store(data)).await?)
    }
}

#[async_trait]
impl<S: LeaseStorage + SessionDelete> SessionDelete for Leased<S> {
    async fn delete(&self) -> Result<(), StorageError> {
        done(self.write(FencedWrite::Delete).await?)
    }
}

#[async_trait]
impl<S: LeaseStorage + VersionedStorage> VersionedStorage for Leased<S> {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        self.storage.load_versioned().await
    }

    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        match self.write(FencedWrite::StoreIf(data, expect)).await? {
            FencedOutcome::Version(version) => Ok(version),
            other => Err(unexpected(other)),
        }
    }
}

#[async_trait]
impl<S: LeaseStorage + JournalStorage> JournalStorage for Leased<S> {
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        self.storage.load_journal().await
    }

    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        match self.write(FencedWrite::Append(epoch, record)).await? {
            FencedOutcome::Appended(index) => Ok(index),
            other => Err(unexpected(other)),
        }
    }

    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        done(self.write(FencedWrite::Compact(snapshot, position)).await?)
    }
}
