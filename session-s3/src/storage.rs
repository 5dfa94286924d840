//! The storage handle: a client and bucket shared by handles, a prefix, a slot, and the key they make.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use session_core::{Slot, StorageError};
use tokio::sync::OnceCell;

use crate::conditional::ConditionalWrites;
use crate::config::{S3Config, DEFAULT_OPERATION_TIMEOUT, DEFAULT_PREFIX};

/// A session storage that keeps one slot as one object of an S3 bucket, on AWS or on an S3-compatible server.
///
/// # Key mapping
///
/// The value of a slot is the object `prefix + slot name` in the handle's bucket, holding the session's bytes
/// unchanged (writes made under a lease add a small header, marked in the object's metadata and stripped by
/// every read: see the crate docs, "Leases"); its lease is the object `prefix + slot name + "#lease"`. The prefix is [`DEFAULT_PREFIX`] (`tgsession/`) unless [`with_prefix`](Self::with_prefix)
/// or [`S3Config::prefix`] sets another, so slot `main` is the object `tgsession/main`. Prefixes let
/// several applications share one bucket; a prefix that ends in `/` (a byte slot names cannot contain) keeps
/// the key spaces of different prefixes apart.
///
/// # Operations
///
/// - [`load`](session_core::SessionStorage::load) is `GetObject`; a `NoSuchKey` answer is `Ok(None)`.
/// - [`store`](session_core::SessionStorage::store) is an unconditional `PutObject` of the whole value (S3
///   replaces objects atomically and acknowledges a write once it is durable).
/// - [`delete`](session_core::SessionDelete::delete) is `DeleteObject`, which succeeds on an absent object.
/// - Versions are the objects' ETags: [`load_versioned`](session_core::VersionedStorage::load_versioned)
///   returns the ETag of the object it read, and [`store_if`](session_core::VersionedStorage::store_if) sends
///   `If-None-Match: *` ([`Expect::Absent`](session_core::Expect::Absent)) or `If-Match: <etag>`
///   ([`Expect::Version`](session_core::Expect::Version)). A failed precondition (`412`), `If-Match` on an
///   absent object (`404 NoSuchKey`) and a concurrent conditional write (`409`) are all
///   [`Conflict`](session_core::ErrorKind::Conflict). ETags of single-part uploads are content hashes, so
///   equal values have equal versions, like the file and sled adapters.
///
/// The handle never creates the bucket: a missing bucket is a [`Config`](session_core::ErrorKind::Config)
/// error that names it. On AWS, reading an absent object needs the `s3:ListBucket` permission; without it S3
/// answers `403` and `load` reports [`PermissionDenied`](session_core::ErrorKind::PermissionDenied) instead
/// of `Ok(None)`.
///
/// # Servers that ignore conditional writes
///
/// Some S3-compatible servers accept `If-Match` / `If-None-Match` and then overwrite anyway, which would
/// make compare-and-swap lose updates. Before its first versioned call, a client checks once whether its
/// server honours them (see [`check_conditional_writes`](Self::check_conditional_writes)); if it does not,
/// every versioned call fails with [`Unsupported`](session_core::ErrorKind::Unsupported). Plain `load`,
/// `store` and `delete` work on every server.
///
/// # Timeouts
///
/// Every call is bounded by the handle's [operation timeout](Self::with_operation_timeout)
/// ([`DEFAULT_OPERATION_TIMEOUT`] unless set), enforced with a Tokio timer around the whole call, on top of
/// whatever timeouts and retries the client has. A call that times out fails with
/// [`Timeout`](session_core::ErrorKind::Timeout); a write that timed out (or whose answer was lost) may or
/// may not have been applied, and its error says so
/// ([`StorageError::outcome_unknown`](session_core::StorageError::outcome_unknown)). To resolve it, call
/// `load_versioned` and decide from what the slot holds, writing with `store_if` over the version you read.
/// The handle needs a Tokio runtime with timers enabled.
///
/// Cloning a handle is cheap; clones and handles from [`for_slot`](Self::for_slot) share the client and the
/// result of the conditional-write check.
#[derive(Clone)]
pub struct S3Storage {
    shared: Arc<Shared>,
    slot: Slot,
    prefix: Arc<str>,
    key: Arc<str>,
    operation_timeout: Duration,
}

/// What the handles built from one client share.
pub(crate) struct Shared {
    pub(crate) client: Client,
    pub(crate) bucket: String,
    /// Whether the server honours conditional writes, once checked.
    pub(crate) conditional_writes: OnceCell<ConditionalWrites>,
    /// For each lease object key this client read: the ETag it last saw and when it first saw it, to
    /// judge a lease's lapse by watching it unchanged.
    pub(crate) watched: Mutex<HashMap<String, (String, Instant)>>,
}

impl S3Storage {
    /// A handle on `slot` in `bucket` through `client`, with the [default prefix](DEFAULT_PREFIX) and
    /// [operation timeout](DEFAULT_OPERATION_TIMEOUT).
    ///
    /// The client is used as it is configured. For an S3-compatible server, build it with a custom endpoint,
    /// path-style addressing (`force_path_style(true)`) and checksums only when required
    /// (`RequestChecksumCalculation::WhenRequired`, `ResponseChecksumValidation::WhenRequired`), or let
    /// [`S3Config::build_client`] do so. Building the handle does no I/O.
    ///
    /// ```
    /// use session_core::Slot;
    /// use session_s3::{aws_sdk_s3, S3Storage};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = aws_sdk_s3::Config::builder()
    ///     .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
    ///     .region(aws_sdk_s3::config::Region::new("us-east-1"))
    ///     .build();
    /// let client = aws_sdk_s3::Client::from_conf(config);
    /// let storage = S3Storage::new(client, "sessions", Slot::new("main")?);
    /// assert_eq!(storage.key(), "tgsession/main");
    /// # Ok(()) }
    /// ```
    pub fn new(client: Client, bucket: impl Into<String>, slot: Slot) -> S3Storage {
        let shared = Arc::new(Shared {
            client,
            bucket: bucket.into(),
            conditional_writes: OnceCell::new(),
            watched: Mutex::new(HashMap::new()),
        });
        S3Storage::on(
            shared,
            DEFAULT_PREFIX.into(),
            slot,
            DEFAULT_OPERATION_TIMEOUT,
        )
    }

    /// A handle on `slot` with a new client built from `config` (see [`S3Config`]): its bucket, prefix and
    /// operation timeout. Building does no I/O; to keep several slots, build one handle and derive the others
    /// with [`for_slot`](Self::for_slot), so they share the client.
    ///
    /// # Errors
    ///
    /// Those of [`S3Config::build_client`]: [`Config`](session_core::ErrorKind::Config) for an invalid
    /// endpoint, missing credentials and the like.
    pub fn from_config(config: &S3Config, slot: Slot) -> Result<S3Storage, StorageError> {
        let client = config.build_client()?;
        Ok(S3Storage::new(client, config.bucket(), slot)
            .with_prefix(&config.prefix)
            .with_operation_timeout(config.operation_timeout))
    }

    fn on(
        shared: Arc<Shared>,
        prefix: Arc<str>,
        slot: Slot,
        operation_timeout: Duration,
    ) -> S3Storage {
        S3Storage {
            key: format!("{prefix}{slot}").into(),
            shared,
            prefix,
            slot,
            operation_timeout,
        }
    }

    /// A handle on another slot with the same client, bucket, prefix and timeout; it shares this handle's
    /// check of conditional writes.
    pub fn for_slot(&self, slot: Slot) -> S3Storage {
        S3Storage::on(
            Arc::clone(&self.shared),
            Arc::clone(&self.prefix),
            slot,
            self.operation_timeout,
        )
    }

    /// The same handle with the key prefix `prefix`; an empty prefix makes the key the bare slot name.
    ///
    /// S3 keys are at most 1024 bytes: with a prefix longer than 769 bytes, long slot names are refused by
    /// the server (a [`Config`](session_core::ErrorKind::Config) error).
    #[must_use]
    pub fn with_prefix(self, prefix: impl AsRef<str>) -> S3Storage {
        S3Storage::on(
            self.shared,
            prefix.as_ref().into(),
            self.slot,
            self.operation_timeout,
        )
    }

    /// The same handle with every call bounded by `timeout` instead of the current operation timeout.
    #[must_use]
    pub fn with_operation_timeout(mut self, timeout: Duration) -> S3Storage {
        self.operation_timeout = timeout;
        self
    }

    /// The client, for operations the handle does not offer.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.shared.bucket
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The slot of this handle.
    pub fn slot(&self) -> &Slot {
        &self.slot
    }

    /// The object key the slot's value is stored under: the prefix followed by the slot name.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The time allowed for one call.
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// What this handle shares with its clones and [`for_slot`](Self::for_slot) handles.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl fmt::Debug for S3Storage {
    /// Shows the bucket, prefix, slot and timeout; never the client's credentials or a stored value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("bucket", &self.shared.bucket)
            .field("prefix", &self.prefix)
            .field("slot", &self.slot)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}
