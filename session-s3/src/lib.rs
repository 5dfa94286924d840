//! An S3 storage for tgsession: each Telegram session is one object in a bucket of AWS S3 or of an
//! S3-compatible server (MinIO, Garage, Ceph, moto, ...).
//!
//! [`S3Storage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete) and [`VersionedStorage`](session_core::VersionedStorage)
//! and passes the whole `session-conformance` suite against a real server.
//!
//! - A handle is built from an [`aws_sdk_s3::Client`] plus a bucket and a [`Slot`](session_core::Slot)
//!   ([`S3Storage::new`]), or from an [`S3Config`] for the common case ([`S3Storage::from_config`]): endpoint
//!   URL, region, bucket, prefix, credentials from the configuration or the usual `AWS_*` environment
//!   variables, path-style addressing for S3-compatible servers, and request checksums only when an
//!   operation requires them.
//! - The slot's value is the object `prefix + slot name` (prefix `tgsession/` unless set). An absent object
//!   loads as `Ok(None)`; the bucket is never created, and a missing one is a
//!   [`Config`](session_core::ErrorKind::Config) error that names it.
//! - Versions are ETags, checked by the server with `If-Match` and `If-None-Match: *`. Because some
//!   S3-compatible servers ignore those headers and overwrite anyway, a client first checks once that its
//!   server honours them ([`S3Storage::check_conditional_writes`]) and otherwise refuses versioned calls
//!   with [`Unsupported`](session_core::ErrorKind::Unsupported) instead of losing updates.
//! - Every call is bounded by an operation timeout ([`DEFAULT_OPERATION_TIMEOUT`]); clients built from a
//!   configuration also have a connect timeout ([`DEFAULT_CONNECT_TIMEOUT`]) and retry a failed request at
//!   most [`DEFAULT_MAX_ATTEMPTS`] times in all, with short pauses, so a server that is down is reported
//!   promptly as [`Unavailable`](session_core::ErrorKind::Unavailable).
//! - `Debug` of a configuration or a handle, and every error message, hide the secret access key.
//! - `aws_sdk_s3` itself is re-exported, so `session_s3::aws_sdk_s3` is always the version this crate was
//!   built with.
//!
//! # No journal: changes are whole-object rewrites
//!
//! S3 cannot append to an object, so [`S3Storage`] does not implement
//! [`JournalStorage`](session_core::JournalStorage). A [`LiveSession`](session_core::LiveSession) over S3 is
//! opened with [`LiveSession::open`](session_core::LiveSession::open) and persists every flush as one PUT of
//! the whole session: a 3.5 MB session with 100,000 peers costs a 3.5 MB upload per flush, whatever the size
//! of the change. Flush S3 sessions on a timer (many changes per PUT) rather than after every update batch,
//! or keep busy sessions in a storage with a journal (file, sled, Redis, PostgreSQL). A design on
//! conditional writes (numbered record objects created with `If-None-Match: *`, listed on load) is possible
//! but costs a LIST per load and one request per record; it is not built.
//!
//! # TLS
//!
//! By default the crate speaks plain HTTP only and links no TLS library, which is all a server on the same
//! host or network needs. Enable the `tls` feature (rustls with the ring provider, the system's root
//! certificates) for `https://` endpoints such as AWS S3 itself; without it, an `https://` endpoint is a
//! [`Config`](session_core::ErrorKind::Config) error when the client is built.
//!
//! # Example
//!
//! ```no_run
//! use session_core::{Bytes, Expect, SessionStorage, Slot, VersionedStorage};
//! use session_s3::{S3Config, S3Storage};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY unless set here.
//! let config = S3Config::new("sessions")
//!     .endpoint("http://127.0.0.1:9000")
//!     .prefix("my-bot/");
//! let storage = S3Storage::from_config(&config, Slot::new("main")?)?;
//! assert_eq!(storage.key(), "my-bot/main");
//!
//! assert_eq!(storage.load().await?, None);
//! storage.store(Bytes::from_static(b"session bytes")).await?;
//! assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
//!
//! // A second account in the same bucket shares the client.
//! let other = storage.for_slot(Slot::new("second-account")?);
//! assert_eq!(other.load().await?, None);
//!
//! // Conditional writes: only one of two writers holding the same version wins.
//! let (_, version) = storage.load_versioned().await?.expect("stored above");
//! storage.store_if(Bytes::from_static(b"next"), Expect::Version(version.clone())).await?;
//! let lost = storage.store_if(Bytes::from_static(b"other"), Expect::Version(version)).await;
//! assert_eq!(lost.unwrap_err().kind(), session_core::ErrorKind::Conflict);
//! # Ok(())
//! # }
//! ```

mod client;
mod conditional;
mod config;
mod error;
mod ops;
mod storage;

pub use aws_sdk_s3;

pub use crate::config::{
    S3Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_PREFIX, DEFAULT_REGION,
};
pub use crate::storage::S3Storage;
