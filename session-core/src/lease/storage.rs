//! [`LeaseStorage`]: the optional storage extension for a single writer per slot, with fenced writes.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{FencingToken, LeaseGrant, LeaseInfo, LeaseRequest};
use crate::error::{ErrorKind, StorageError};
use crate::journal::{Epoch, JournalPosition};
use crate::storage::SessionStorage;
use crate::version::{Expect, Version};

/// A write made under a lease: one of the storage's writes, carried to
/// [`write_fenced`](LeaseStorage::write_fenced) with the lease's token.
#[derive(Clone, PartialEq, Eq)]
pub enum FencedWrite {
    /// [`SessionStorage::store`].
    Store(Bytes),
    /// [`VersionedStorage::store_if`](crate::VersionedStorage::store_if).
    StoreIf(Bytes, Expect),
    /// [`SessionDelete::delete`](crate::SessionDelete::delete).
    Delete,
    /// [`JournalStorage::append`](crate::JournalStorage::append).
    Append(Epoch, Bytes),
    /// [`JournalStorage::compact`](crate::JournalStorage::compact).
    Compact(Bytes, JournalPosition),
}

impl FencedWrite {
    /// The name of the write, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            FencedWrite::Store(_) => "store",
            FencedWrite::StoreIf(..) => "store_if",
            FencedWrite::Delete => "delete",
            FencedWrite::Append(..) => "append",
            FencedWrite::Compact(..) => "compact",
        }
    }

    /// The error of a storage that does not have this write (a storage without a journal asked to append,
    /// say).
    pub fn unsupported(&self, backend: &'static str) -> StorageError {
        StorageError::new(
            ErrorKind::Unsupported,
            backend,
            format!("this storage has no fenced {}", self.name()),
        )
    }
}

impl fmt::Debug for FencedWrite {
    /// The write's name and sizes only: values hold auth keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FencedWrite::Store(data) => write!(f, "Store({} bytes)", data.len()),
            FencedWrite::StoreIf(data, expect) => {
                write!(f, "StoreIf({} bytes, {expect:?})", data.len())
            }
            FencedWrite::Delete => f.write_str("Delete"),
            FencedWrite::Append(epoch, record) => {
                write!(f, "Append({epoch:?}, {} bytes)", record.len())
            }
            FencedWrite::Compact(snapshot, position) => {
                write!(f, "Compact({} bytes, {position:?})", snapshot.len())
            }
        }
    }
}

/// What a [`FencedWrite`] returned: what the unfenced write returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FencedOutcome {
    /// A store, delete or compaction succeeded.
    Done,
    /// A `store_if` succeeded with this version.
    Version(Version),
    /// An append succeeded with this record index.
    Appended(u64),
}

/// A storage that gives one holder at a time a **lease** on its slot, and refuses writes made under a lease
/// that is no longer the slot's current one ("fencing"). See the [module documentation](crate::lease).
///
/// # Contract
///
/// Every implementation **must** keep these rules (the `session-conformance` crate checks them):
///
/// - [`acquire_lease`](Self::acquire_lease) **must** grant the lease only if the slot has none, its lease was
///   released, or it lapsed at least the request's [takeover delay](LeaseRequest::takeover_delay) ago;
///   otherwise it **must** fail with [`ErrorKind::Held`], naming the current lease
///   ([`StorageError::lease_held`]). Of several concurrent acquisitions (any handles, any processes), at most
///   one succeeds.
/// - Every grant **must** carry a [`FencingToken`] greater than every token the slot had before, also across
///   restarts and crashes of the backend and after the slot was deleted.
/// - [`renew_lease`](Self::renew_lease) **must** extend the lease if `token` is the slot's current lease and
///   it was not released; otherwise it **must** fail with [`ErrorKind::Fenced`].
/// - [`release_lease`](Self::release_lease) ends the lease of `token` at once, so the next holder needs no
///   delay; releasing a lease that is no longer current changes nothing and succeeds.
/// - [`write_fenced`](Self::write_fenced) **must** perform the write only if `token` is the slot's current
///   lease and it was not released, checked atomically with the write; otherwise it **must** fail with
///   [`ErrorKind::Fenced`] and write nothing. It **may** also refuse the write of a lease that lapsed. A
///   write the storage lacks fails with [`ErrorKind::Unsupported`].
/// - [`break_lease`](Self::break_lease) ends the current lease as a release would, so its holder's writes
///   fail from then on.
/// - Plain writes ([`store`](SessionStorage::store) and the others) are not fenced: a lease excludes only
///   the writers that take it.
#[async_trait]
pub trait LeaseStorage: SessionStorage {
    /// Takes the slot's lease for `request.holder()`; fails with [`ErrorKind::Held`] if another holder has
    /// it.
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError>;

    /// Extends the lease of `token` by `ttl` from now; fails with [`ErrorKind::Fenced`] if it is no longer
    /// the slot's lease.
    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError>;

    /// Ends the lease of `token`, so the next holder may take it at once.
    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError>;

    /// The slot's current or last lease, without taking it; `None` if it never had one.
    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError>;

    /// Ends the current lease whoever holds it, as its release would; returns what it was. For an operator
    /// who knows the holder is gone: a live holder's writes fail from then on, but its connections to
    /// Telegram do not stop.
    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError>;

    /// Performs `write` if `token` is the slot's current lease, atomically with that check; fails with
    /// [`ErrorKind::Fenced`], writing nothing, otherwise.
    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError>;
}

/// The source of an [`ErrorKind::Held`] error: the lease that is in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseHeld(pub LeaseInfo);

impl fmt::Display for LeaseHeld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the slot's lease is {}", self.0)
    }
}

impl StdError for LeaseHeld {}

impl StorageError {
    /// The [`ErrorKind::Held`] error of `backend` for a slot whose lease is `info`.
    pub fn held(backend: &'static str, info: LeaseInfo) -> StorageError {
        let held = LeaseHeld(info);
        StorageError::new(ErrorKind::Held, backend, held.to_string()).with_source(held)
    }

    /// The [`ErrorKind::Fenced`] error of `backend` for a write or renewal under `token`, which is no
    /// longer the slot's lease.
    pub fn fenced(backend: &'static str, token: FencingToken, action: &str) -> StorageError {
        StorageError::new(
            ErrorKind::Fenced,
            backend,
            format!(
                "cannot {action} under lease {token}: it is no longer the slot's lease (it was released, \
                 broken or taken over); stop using this session and acquire the lease again"
            ),
        )
    }

    /// The lease in the way, for an [`ErrorKind::Held`] error.
    pub fn lease_held(&self) -> Option<&LeaseInfo> {
        let source = StdError::source(self)?;
        source.downcast_ref::<LeaseHeld>().map(|held| &held.0)
    }
}
