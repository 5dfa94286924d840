//! The storage interface: two required methods and two optional extensions.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::StorageError;
use crate::journal::{Epoch, Journal, JournalPosition, JournalStorage};
use crate::lease::{
    FencedOutcome, FencedWrite, FencingToken, LeaseGrant, LeaseInfo, LeaseRequest, LeaseStorage,
};
use crate::version::{Expect, Version};

/// A place that keeps the bytes of one session: a file, a key, a row, an object.
///
/// # Contract
///
/// Every implementation **must** keep these rules; the `session-conformance` crate checks them.
///
/// - A handle is bound to **one slot** when it is built. Two handles on the same slot **must** see the same
///   data; handles on different slots **must never** see each other's data.
/// - [`load`](Self::load) **must** return `Ok(None)` if and only if nothing is stored (never stored, or
///   deleted). Absence is never an `Err`. Stored bytes **must** come back exactly, including an empty byte
///   string, which is a value distinct from absence.
/// - [`store`](Self::store) **must** replace the whole value atomically: a concurrent or later `load` on any
///   handle sees the old value or the new one, never a mix and never a prefix. Once `store` returns `Ok`, the
///   value **must** be as durable as the backend promises (a file is fsynced, sled is flushed, a server keeps
///   it as it is configured to). Concurrent stores on one slot **must** leave exactly one of the written values.
/// - No method may panic on a backend failure or on bad data, and every method **must** finish in bounded time:
///   network backends **should** have connect and operation timeouts with defaults a user can change.
/// - Errors **should** carry the most precise [`ErrorKind`](crate::ErrorKind) and keep the driver's error as
///   their source; they **must not** contain key material or credentials.
///
/// The trait is object safe: `Arc<dyn SessionStorage>` works, and so do `&T`, `Box<T>` and `Arc<T>` of any
/// storage.
///
/// ```
/// use bytes::Bytes;
/// use session_core::{MemoryStorage, SessionStorage};
///
/// # tokio_test_block_on(async {
/// let storage = MemoryStorage::new();
/// assert_eq!(storage.load().await?, None);
/// storage.store(Bytes::from_static(b"hello")).await?;
/// assert_eq!(storage.load().await?.as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait SessionStorage: Send + Sync + fmt::Debug {
    /// The stored bytes, or `None` when nothing is stored.
    async fn load(&self) -> Result<Option<Bytes>, StorageError>;

    /// Replaces the stored bytes with `data`, atomically and durably.
    async fn store(&self, data: Bytes) -> Result<(), StorageError>;
}

/// A storage that can remove its slot.
///
/// [`delete`](Self::delete) **must** be idempotent: deleting an absent slot succeeds. After it returns `Ok`,
/// [`load`](SessionStorage::load) on any handle of the slot **must** return `Ok(None)`, and other slots
/// **must** be untouched.
#[async_trait]
pub trait SessionDelete: SessionStorage {
    /// Removes whatever the slot holds.
    async fn delete(&self) -> Result<(), StorageError>;
}

/// A storage with conditional writes (compare-and-swap), so several processes can share a slot without
/// losing updates.
///
/// - [`load_versioned`](Self::load_versioned) **must** return the value together with the version of exactly
///   that value, or `None` when the slot is absent.
/// - [`store_if`](Self::store_if) **must** write only if the slot's state matches `expect` at the moment of
///   the write, atomically with respect to every other write on the slot (plain [`store`](SessionStorage::store)
///   and [`delete`](SessionDelete::delete) included). On success it returns the version of the new value; on
///   mismatch it **must** fail with [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) and write nothing.
/// - A [`Version`] comes only from this storage; any write **must** give the slot a version that differs from
///   the version of every different value it held before, also across restarts. `store_if` with a version
///   the storage never made **must** write nothing and fail with
///   [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), or with
///   [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the storage can tell. Backends that version by content (file, sled) give
///   equal values equal versions, which keeps compare-and-swap correct.
#[async_trait]
pub trait VersionedStorage: SessionStorage {
    /// The stored bytes and their version, or `None` when nothing is stored.
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError>;

    /// Stores `data` if the slot matches `expect`; returns the new version, or fails with
    /// [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) having written nothing.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError>;
}

/// Implements the storage traits for a smart pointer or reference by forwarding to the pointee.
macro_rules! forward_storage_traits {
    ($($pointer:ty),+ $(,)?) => {$(
        #[async_trait]
        impl<T: SessionStorage + ?Sized> SessionStorage for $pointer {
            async fn load(&self) -> Result<Option<Bytes>, StorageError> {
                (**self).load().await
            }
            async fn store(&self, data: Bytes) -> Result<(), StorageError> {
                (**self).store(data).await
            }
        }

        #[async_trait]
        impl<T: SessionDelete + ?Sized> SessionDelete for $pointer {
            async fn delete(&self) -> Result<(), StorageError> {
                (**self).delete().await
            }
        }

        #[async_trait]
        impl<T: VersionedStorage + ?Sized> VersionedStorage for $pointer {
            async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
                (**self).load_versioned().await
            }
            async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
                (**self).store_if(data, expect).await
            }
        }

        #[async_trait]
        impl<T: JournalStorage + ?Sized> JournalStorage for $pointer {
            async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
                (**self).load_journal().await
            }
            async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
                (**self).append(epoch, record).await
            }
            async fn compact(
                &self,
                snapshot: Bytes,
                position: JournalPosition,
            ) -> Result<(), StorageError> {
                (**self).compact(snapshot, position).await
            }
        }

        #[async_trait]
        impl<T: LeaseStorage + ?Sized> LeaseStorage for $pointer {
            async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
                (**self).acquire_lease(request).await
            }
            async fn renew_lease(
                &self,
                token: FencingToken,
                ttl: std::time::Duration,
            ) -> Result<LeaseGrant, StorageError> {
                (**self).renew_lease(token, ttl).await
            }
            async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
                (**self).release_lease(token).await
            }
            async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
                (**self).read_lease().await
            }
            async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
                (**self).break_lease().await
            }
            async fn write_fenced(
                &self,
                token: FencingToken,
                write: FencedWrite,
            ) -> Result<FencedOutcome, StorageError> {
                (**self).write_fenced(token, write).await
            }
        }
    )+};
}

forward_storage_traits!(&T, Box<T>, Arc<T>);
