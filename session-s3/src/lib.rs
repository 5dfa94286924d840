//! An S3 storage for tgsession: each Telegram session is one object in a bucket of AWS S3 or of an
//! S3-compatible server (MinIO, Garage, Ceph, moto, ...).
//!
//! [`S3Storage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete), [`VersionedStorage`](session_core::VersionedStorage) and
//! [`LeaseStorage`](session_core::LeaseStorage), and passes the whole `session-conformance` suite (leases
//! included) against a real server.
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
//! # Leases
//!
//! One client at a time per slot ([`LeaseStorage`](session_core::LeaseStorage)), with fenced writes:
//!
//! - **The lease object** `<key>#lease` (see [`S3Storage::lease_key`]) holds a lease record (its bytes are
//!   specified in `docs/FORMAT.md`, "Lease record", state 3). It is only ever written with
//!   `If-None-Match: *` or `If-Match` on the ETag just read, so of racing acquirers exactly one wins, and it
//!   is never deleted: a release or break marks it released and keeps its token, so tokens keep growing
//!   after a release, a delete of the slot and a restart of the server.
//! - **Lapse by watching.** S3 has no expiry and no clock its clients share. Every renewal rewrites the
//!   lease object (a renewal counter changes its bytes, so its ETag), and a client takes a lease over only
//!   once it has *watched* the same ETag for the lease's time to live plus the request's takeover delay, on
//!   its own monotonic clock, counted from the first read that returned it. A client that just started has
//!   watched nothing: it waits a whole time to live (and [`read_lease`](session_core::LeaseStorage::read_lease)
//!   reports the most time the lease can have left). The handles of one client share what they watched.
//! - **Fencing on the slot's object.** S3 cannot make a write depend on a second object, so the fence is the
//!   slot's object's ETag. A fenced write reads it (`HeadObject`), then checks the lease (`GetObject` of the
//!   lease object), then writes with `If-Match` on that ETag (`If-None-Match: *` if there was no object).
//!   An acquisition and a break change the lease object first and then rewrite the slot's object, so its ETag
//!   changes even when its value does not: a write that passed its check before either returned cannot land
//!   after it. Objects written under a lease are in a *fenced form*: a small header (`TGSF`, the token, a
//!   rewrite counter, a tombstone flag) before the value, marked by the user metadata
//!   `x-amz-meta-tgsession-fence`. Every read strips it, a fenced delete leaves a tombstone that reads as
//!   empty, and plain writes replace the object with the bare value as before; an object without the
//!   metadata is always a bare value, whatever its bytes.
//! - **Release** marks the lease released and rewrites the slot's object the same way, so a write of the
//!   released lease that was in flight cannot land after `release_lease` returns. A rewrite never goes back
//!   to an older token: an object already fenced by a newer lease is left alone.
//! - **Caveats.** Plain writes (`store`, `delete`, `store_if` without a lease) replace the fenced form
//!   with the bare value; a plain write of the very bytes an earlier fenced write replaced could bring back
//!   an ETag a stale holder read, so do not mix leased and unleased writers on one slot (the CLI's `copy`
//!   refuses a held slot without `--force`). Tokens grow from the lease object; if it is deleted (by a
//!   lifecycle rule, say), the next acquisition starts above the token in the slot's fenced header, which
//!   is gone too if the slot was plainly deleted: keep lifecycle rules away from `#lease` keys.
//! - **Upgrading.** Builds of this crate from before leases read an object in the fenced form as a value
//!   with a `TGSF` header, which the session decoder refuses as corrupt: upgrade every reader of a bucket
//!   before any client takes a lease there.
//! - **Costs.** A fenced write is three requests (`HeadObject`, a lease `GetObject`, `PutObject`) where a
//!   plain store is one; a renewal two (`GetObject`, `PutObject`); an acquisition reads and rewrites the
//!   slot's object once. Appends and compactions are [`Unsupported`](session_core::ErrorKind::Unsupported):
//!   there is no journal.
//! - **Refused on servers that ignore conditional headers**, like versioned calls
//!   ([`S3Storage::check_conditional_writes`]): a lease there would let two clients in.
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
mod envelope;
mod error;
mod lease;
mod ops;
mod storage;

pub use aws_sdk_s3;

pub use crate::config::{
    S3Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_PREFIX, DEFAULT_REGION,
};
pub use crate::storage::S3Storage;
