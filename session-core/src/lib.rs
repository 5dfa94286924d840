//! The core of tgsession: a Telegram (MTProto) session is a byte string in a slot.
//!
//! - [`SessionStorage`] is the two-method async interface every backend implements (`load` / `store`), with
//!   the optional extensions [`SessionDelete`] and [`VersionedStorage`] (compare-and-swap). Their contracts are
//!   documented on the traits and checked by the `session-conformance` crate.
//! - [`StorageError`] is the one error type, with an [`ErrorKind`] to act on and the driver's error as source.
//! - [`Slot`] validates slot names once for every backend.
//! - [`MemoryStorage`] / [`MemoryStore`] are the in-memory reference implementation.
//! - [`Session`] models everything a client keeps (keys per DC, addresses, salts, user, update state, peers,
//!   device info); [`Session::encode`] / [`Session::decode`] are its versioned, checksummed binary codec
//!   (specified in `docs/FORMAT.md`), and [`SessionStorageExt`] adds `load_session` / `store_session` to every
//!   storage.
//! - [`JournalStorage`] (small appends instead of rewrites) and [`LeaseStorage`] (one writer per slot, with
//!   fencing tokens) are further optional extensions; [`LiveSession`] and [`Leased`] use them.
//!
//! ```
//! use session_core::{AuthKey, DcEntry, MemoryStorage, Session, SessionStorageExt};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let storage = MemoryStorage::new();
//! let mut session = Session::new();
//! session.home_dc = Some(2);
//! let mut dc = DcEntry::new(2);
//! dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
//! dc.auth_key = Some(AuthKey::new([1; 256]));
//! session.dcs.push(dc);
//!
//! storage.store_session(&session).await?;
//! let loaded = storage.load_session().await?.expect("just stored");
//! assert_eq!(loaded.home_auth_key().map(|k| k.id()), session.home_auth_key().map(|k| k.id()));
//! # Ok::<(), session_core::StorageError>(())
//! # }).unwrap();
//! ```

mod auth_key;
mod blocking;
pub mod codec;
mod error;
mod ext;
pub mod journal;
pub mod lease;
mod live;
mod memory;
mod patch;
mod session;
mod slot;
mod storage;
mod version;

pub use bytes::Bytes;
pub use compact_str::{self, CompactString};
pub use litemap::{self, LiteMap};

pub use crate::auth_key::{AuthKey, AuthKeyId};
pub use crate::blocking::run_blocking;
pub use crate::codec::CodecError;
pub use crate::error::{BoxError, ErrorKind, StorageError};
pub use crate::ext::SessionStorageExt;
pub use crate::journal::{Epoch, Journal, JournalPosition, JournalStorage, Record, Replayed};
pub use crate::lease::{
    FencedOutcome, FencedWrite, FencingToken, HolderId, LeaseGrant, LeaseGuard, LeaseInfo,
    LeaseOptions, LeaseRequest, LeaseState, LeaseStatus, LeaseStorage, LeaseTerm, Leased,
};
pub use crate::live::{CompactionPolicy, LiveSession};
pub use crate::memory::{MemoryStorage, MemoryStore};
pub use crate::patch::{DcChange, DcKey, Patch, UpdateCounters};
pub use crate::session::{
    ChunkedStore, DcEntry, DcFlags, DeviceInfo, Entries, LogoutToken, MinContext, Peer, PeerClass,
    PeerId, PeerKind, PeerMap, Session, TempAuthKey, UnknownSections, UpdateState, User,
};
pub use crate::slot::Slot;
pub use crate::storage::{SessionDelete, SessionStorage, VersionedStorage};
pub use crate::version::{Expect, Version};
