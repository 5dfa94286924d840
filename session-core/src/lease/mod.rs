//! One running client per account: a **lease** on a slot, with **fencing tokens**.
//!
//! When one auth key is used from two places at once, Telegram answers `AUTH_KEY_DUPLICATED` and the key is
//! dead. A lease makes one holder at a time the slot's writer and user:
//!
//! - [`LeaseStorage`] is the optional storage extension: acquire a slot's lease for a [`HolderId`] and a
//!   time to live, renew, release, read it without taking it, break it, and [write under
//!   it](LeaseStorage::write_fenced). Every acquisition gets a [`FencingToken`] greater than all before;
//!   the storage refuses, atomically with the write, a write whose token is not the current lease's, so a
//!   holder that was paused past its time to live and taken over cannot change the stored session.
//! - [`LeaseGuard`] holds a lease: it renews it in the background and tells its owner **before** the lease
//!   can lapse that it is no longer safe to act ([`LeaseGuard::lost`]), so the client can stop its MTProto
//!   connections in time. [`Leased`] is a storage handle that writes under a guard.
//!
//! Telegram cannot check a fencing token: the token protects the *stored* session. Safety towards Telegram
//! needs two more things, and the lease provides both: the holder stops talking to Telegram before its lease
//! can lapse (self-fencing, above), and a new holder waits after a lease lapsed without a clean release (the
//! [takeover delay](LeaseRequest::takeover_delay), 90 s by default, longer than the ~75 s after which
//! Telegram drops a silent connection). After a clean [release](LeaseGuard::release) the next holder takes
//! over at once.
//!
//! Assumptions: clocks advance at the same rate on the holder and the backend (a lease is measured from when
//! the holder sent its request, so a slow network only makes the holder stop earlier); a holder that is
//! paused (GC, SIGSTOP, a suspended VM) longer than a quarter of the time to live may resume believing it
//! holds a lapsed lease, which is why writes are fenced and why the takeover delay exists.

mod guard;
mod leased;
mod record;
mod storage;
mod types;

pub use self::guard::{LeaseGuard, LeaseStatus};
pub use self::leased::Leased;
pub use self::record::{LeaseRecord, RecordKind, RecordState};
pub use self::storage::{FencedOutcome, FencedWrite, LeaseHeld, LeaseStorage};
pub use self::types::{
    checked_ttl, FencingToken, HolderId, LeaseGrant, LeaseInfo, LeaseOptions, LeaseRequest,
    LeaseState, LeaseTerm,
};
