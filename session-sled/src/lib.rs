//! A [sled](https://docs.rs/sled/0.34) storage for tgsession: each Telegram session is one key in an
//! embedded sled database.
//!
//! [`SledStorage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete) and [`VersionedStorage`](session_core::VersionedStorage)
//! and passes the whole `session-conformance` suite, including persistence across closing and reopening the
//! database.
//!
//! - A handle is built from a [`sled::Db`] or a [`sled::Tree`] plus a [`Slot`](session_core::Slot); the
//!   slot's value lives under the key `prefix ++ slot name`, with the prefix `tgsession:` unless
//!   [`SledStorage::with_prefix`] sets another (see [`SledStorage`] for the details of the mapping).
//! - Every write is flushed (`Tree::flush`, on Tokio's blocking pool) before it returns, and versions are
//!   content hashes checked with sled's `compare_and_swap`.
//! - [`open_db`] and [`SledStorage::open`] open a database at a path, creating a private (`0700`) directory
//!   if needed and waiting briefly for the lock of a handle that is still closing.
//! - `sled` itself is re-exported, so `session_sled::sled` is always the version this crate was built with.
//!
//! ```
//! use session_core::{Bytes, Expect, SessionStorage, Slot, VersionedStorage};
//! use session_sled::SledStorage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let db = session_sled::open_db(dir.path().join("sessions.sled"))?;
//! let storage = SledStorage::new(&db, Slot::new("main")?);
//!
//! assert_eq!(storage.load().await?, None);
//! storage.store(Bytes::from_static(b"session bytes")).await?;
//! assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
//! assert_eq!(db.get(b"tgsession:main")?.as_deref(), Some(&b"session bytes"[..]));
//!
//! // Conditional writes: only one of two writers holding the same version wins.
//! let (_, version) = storage.load_versioned().await?.expect("stored above");
//! storage.store_if(Bytes::from_static(b"next"), Expect::Version(version.clone())).await?;
//! let lost = storage.store_if(Bytes::from_static(b"other"), Expect::Version(version)).await;
//! assert_eq!(lost.unwrap_err().kind(), session_core::ErrorKind::Conflict);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

mod error;
mod open;
mod ops;
mod storage;

pub use sled;

pub use crate::open::{open_config, open_db, DEFAULT_LOCK_WAIT};
pub use crate::storage::SledStorage;
