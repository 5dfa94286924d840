//! [`LeaseStorage`] for [`S3Storage`]: the lease in an object of its own beside the slot's, written only with
//! `If-None-Match: *` / `If-Match`, its lapse judged by watching it unchanged; fencing by the slot's object
//! ETag (see the [`S3Storage`] docs, "Leases").

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use session_core::lease::{checked_ttl, LeaseRecord, RecordKind, RecordState};
use session_core::{
    ErrorKind, Expect, FencedOutcome, FencedWrite, FencingToken, LeaseGrant, LeaseInfo,
    LeaseRequest, LeaseStorage, LeaseTerm, StorageError,
};

use crate::envelope::{Fence, Form, Object};
use crate::error::{Action, BACKEND};
use crate::ops::{no_etag, version_of, Precondition};
use crate::storage::S3Storage;

/// How many times a call reads again and retries after a conditional write lost a race, before it gives
/// up with [`ErrorKind::Conflict`].
const ATTEMPTS: usize = 16;

/// The suffix of the lease object's key: `#` is not a slot-name byte, so no slot's key ends in it.
const LEASE_SUFFIX: &str = "#lease";

/// The slot's lease object as read: the record and the object's ETag.
struct Current {
    record: LeaseRecord,
    etag: String,
}

impl S3Storage {
    /// The key of the slot's lease object.
    pub fn lease_key(&self) -> String {
        format!("{}{LEASE_SUFFIX}", self.key())
    }

    /// The lease object, or `None` if the slot never had a lease.
    async fn read_current(&self) -> Result<Option<Current>, StorageError> {
        let key = self.lease_key();
        let Some((data, etag, form)) = self.get_key(&key, Action::LeaseRead).await? else {
            return Ok(None);
        };
        if form != Form::Plain {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                BACKEND,
                format!("the lease object {key:?} carries a session object's metadata"),
            ));
        }
        let record = LeaseRecord::decode(BACKEND, &data)?;
        let etag = etag.ok_or_else(|| no_etag("GetObject"))?;
        Ok(Some(Current { record, etag }))
    }

    /// Writes `record` as the lease object if it is still `previous` (`None`: there is none).
    async fn write_record(
        &self,
        record: &LeaseRecord,
        previous: Option<&Current>,
    ) -> Result<(), StorageError> {
        let precondition = previous.map_or(Precondition::Absent, |current| {
            Precondition::Matches(&current.etag)
        });
        self.put(
            &self.lease_key(),
            Bytes::from(record.encode()),
            precondition,
            Action::LeaseWrite,
        )
        .await?;
        Ok(())
    }

    /// How long this client has watched the lease object with ETag `etag` unchanged, counted from the
    /// first read that returned it (a lower bound of how long it has existed); 0 for a new ETag.
    fn watched(&self, etag: &str) -> u64 {
        let now = Instant::now();
        let mut watched = self
            .shared()
            .watched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let seen = watched
            .entry(self.lease_key())
            .or_insert_with(|| (etag.to_owned(), now));
        if seen.0 != etag {
            *seen = (etag.to_owned(), now);
        }
        u64::try_from(now.duration_since(seen.1).as_millis()).unwrap_or(u64::MAX)
    }

    /// Stops watching the slot's lease object (this client just wrote it).
    fn forget_watched(&self) {
        self.shared()
            .watched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.lease_key());
    }

    /// The [`ErrorKind::Held`] error naming the slot's lease as it is now (or [`ErrorKind::Conflict`] if it
    /// cannot be read).
    async fn held_now(&self) -> StorageError {
        match self.read_current().await {
            Ok(Some(current)) => {
                StorageError::held(BACKEND, current.record.info(self.watched(&current.etag)))
            }
            Ok(None) => kept_changing("acquire the lease"),
            Err(err) => err,
        }
    }

    /// Fails with [`ErrorKind::Fenced`] unless `token` is the slot's current lease and was not released.
    async fn check_token(&self, token: FencingToken, action: &str) -> Result<(), StorageError> {
        match self.read_current().await? {
            Some(current) => current.record.check(BACKEND, token, action),
            None => Err(StorageError::fenced(BACKEND, token, action)),
        }
    }

    /// Rewrites the slot's object in the fenced form under `token`, its value unchanged, so that its ETag
    /// changes: a write that read the old ETag (one of an earlier holder) can no longer land. An empty
    /// slot gets a tombstone.
    ///
    /// An object already fenced by a newer token is left alone ([`Bumped::Superseded`]): a newer
    /// acquisition fenced it, and rewriting it under `token` would bring back bytes (hence an ETag) that a
    /// stale holder may have read.
    async fn bump(&self, token: FencingToken) -> Result<Bumped, StorageError> {
        for _ in 0..ATTEMPTS {
            let fetched = self.fetch().await?;
            let (value, fence, precondition) = match &fetched {
                None => (None, Fence { token, bumps: 0 }, Precondition::Absent),
                Some((object, etag)) => {
                    let Some(fence) = object.bumped(token) else {
                        return Ok(Bumped::Superseded);
                    };
                    let etag = etag.as_deref().ok_or_else(|| no_etag("GetObject"))?;
                    (object.value.as_deref(), fence, Precondition::Matches(etag))
                }
            };
            let (bytes, form) = Object::encode(value, fence);
            match self
                .put_as(self.key(), bytes, form, precondition, Action::StoreIf)
                .await
            {
                Ok(_) => return Ok(Bumped::Done),
                Err(err) if err.kind() == ErrorKind::Conflict => continue,
                Err(err) => return Err(err),
            }
        }
        Err(kept_changing("fence the slot's object"))
    }

    /// The smallest token the next acquisition may take when there is no lease object (the slot never had
    /// a lease, or its lease object was deleted): above the token in the slot's fenced header, if any.
    async fn token_floor(&self) -> Result<FencingToken, StorageError> {
        let fenced = self.fetch().await?.and_then(|(object, _)| object.fence);
        match fenced {
            Some(fence) => fence.token.next(BACKEND),
            None => Ok(FencingToken::FIRST),
        }
    }

    /// One try of `write` under `token`: reads the object's ETag, then checks the lease, then writes with
    /// `If-Match` on that ETag (or `If-None-Match: *`). `Ok(None)` if the object changed in between.
    async fn try_fenced(
        &self,
        token: FencingToken,
        write: &FencedWrite,
    ) -> Result<Option<FencedOutcome>, StorageError> {
        // The order matters: an acquisition or break changes the lease first and the object after, so an
        // ETag read before a lease that was still ours can only match if neither has finished since.
        let head = self.head().await?;
        self.check_token(token, write.name()).await?;
        let precondition = head.as_ref().map_or(Precondition::Absent, |(etag, _)| {
            Precondition::Matches(etag)
        });
        let holds_value = head.as_ref().is_some_and(|(_, form)| form.holds_value());
        let fence = Fence { token, bumps: 0 };
        let (bytes, form) = match write {
            FencedWrite::Store(data) => Object::encode(Some(data), fence),
            FencedWrite::StoreIf(data, expect) => {
                let current = head
                    .as_ref()
                    .filter(|_| holds_value)
                    .map(|(etag, _)| session_core::Version::from_bytes(etag.clone()));
                if !expect.matches(current.as_ref()) {
                    return Err(StorageError::new(
                        ErrorKind::Conflict,
                        BACKEND,
                        format!(
                            "the slot is not in the state the fenced store_if expected ({})",
                            match expect {
                                Expect::Absent => "empty",
                                Expect::Version(_) => "that version",
                            }
                        ),
                    ));
                }
                Object::encode(Some(data), fence)
            }
            FencedWrite::Delete if !holds_value => return Ok(Some(FencedOutcome::Done)),
            FencedWrite::Delete => Object::encode(None, fence),
            FencedWrite::Append(..) | FencedWrite::Compact(..) => {
                return Err(write.unsupported(BACKEND))
            }
        };
        match self
            .put_as(self.key(), bytes, form, precondition, Action::StoreIf)
            .await
        {
            Ok(etag) => Ok(Some(match write {
                FencedWrite::StoreIf(..) => FencedOutcome::Version(version_of(etag, "PutObject")?),
                _ => FencedOutcome::Done,
            })),
            Err(err) if err.kind() == ErrorKind::Conflict => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// What [`S3Storage::bump`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bumped {
    /// The object now carries the token, with new bytes.
    Done,
    /// A newer token already fences the object; nothing was written.
    Superseded,
}

/// The error of a call that lost [`ATTEMPTS`] races in a row.
fn kept_changing(action: &str) -> StorageError {
    StorageError::new(
        ErrorKind::Conflict,
        BACKEND,
        format!("could not {action}: the objects kept changing under {ATTEMPTS} tries in a row"),
    )
}

#[async_trait]
impl LeaseStorage for S3Storage {
    /// Reads the lease object; refuses with [`ErrorKind::Held`] unless it is absent, released, or this
    /// client has watched it unchanged for its time to live plus the request's takeover delay; writes the
    /// new lease with the next token (`If-None-Match: *` or `If-Match`), then rewrites the slot's object
    /// in the fenced form so that no write of an earlier holder lands after this returns. Without a lease
    /// object the token starts above the one in the slot's fenced header, if any.
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        self.check_conditional_writes().await?;
        for _ in 0..ATTEMPTS {
            let current = self.read_current().await?;
            let watched = current
                .as_ref()
                .map_or(0, |current| self.watched(&current.etag));
            let previous = current.as_ref().map(|current| &current.record);
            let mut record =
                LeaseRecord::acquire(BACKEND, previous, request, watched, RecordKind::Observed)?;
            if current.is_none() {
                record.token = record.token.max(self.token_floor().await?);
            }
            match self.write_record(&record, current.as_ref()).await {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::Conflict => continue,
                Err(err) => return Err(err),
            }
            self.forget_watched();
            match self.bump(record.token).await {
                Ok(Bumped::Done) => {
                    return Ok(LeaseGrant {
                        token: record.token,
                        term: LeaseTerm::Lapses(request.ttl()),
                    })
                }
                // Taken over (after a break) between the lease write and the bump: not granted.
                Ok(Bumped::Superseded) => return Err(self.held_now().await),
                Err(err) => {
                    // Not fenced, so not granted: give it back rather than block the slot for a lapse.
                    let _ = self.release_lease(record.token).await;
                    return Err(err);
                }
            }
        }
        Err(kept_changing("acquire the lease"))
    }

    /// Rewrites the lease object with `If-Match` on the ETag just read, one renewal more, so that its
    /// ETag changes and watchers start again.
    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        let ttl = checked_ttl(ttl)?;
        self.check_conditional_writes().await?;
        for _ in 0..ATTEMPTS {
            let Some(current) = self.read_current().await? else {
                return Err(StorageError::fenced(BACKEND, token, "renew the lease"));
            };
            let mut record = current.record.clone();
            record.renew(BACKEND, token, ttl, 0)?;
            match self.write_record(&record, Some(&current)).await {
                Ok(()) => {
                    return Ok(LeaseGrant {
                        token,
                        term: LeaseTerm::Lapses(ttl),
                    })
                }
                Err(err) if err.kind() == ErrorKind::Conflict => continue,
                Err(err) => return Err(err),
            }
        }
        Err(kept_changing("renew the lease"))
    }

    /// Rewrites the lease object as released (keeping its token, so the next one is greater) if `token`
    /// is still its lease, then the slot's object in the fenced form, so that no write of this lease in
    /// flight lands afterwards.
    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        self.check_conditional_writes().await?;
        for _ in 0..ATTEMPTS {
            let Some(current) = self.read_current().await? else {
                return Ok(());
            };
            if current.record.token != token || current.record.state == RecordState::Released {
                return Ok(());
            }
            let mut record = current.record.clone();
            record.release(token);
            match self.write_record(&record, Some(&current)).await {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::Conflict => continue,
                Err(err) => return Err(err),
            }
            self.bump(token).await?;
            return Ok(());
        }
        Err(kept_changing("release the lease"))
    }

    /// The lease object as this client sees it: a held lease's time left is its time to live minus how
    /// long this client has watched it unchanged (the most it can have left).
    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        let current = self.read_current().await?;
        Ok(current.map(|current| current.record.info(self.watched(&current.etag))))
    }

    /// Rewrites the lease object as released, then the slot's object in the fenced form, so that the
    /// holder's writes in flight cannot land afterwards. A lease already released is fenced again (a break
    /// retried after its first try failed between the two writes still fences).
    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        self.check_conditional_writes().await?;
        for _ in 0..ATTEMPTS {
            let Some(current) = self.read_current().await? else {
                return Ok(None);
            };
            let mut record = current.record.clone();
            let info = record.break_lease(self.watched(&current.etag));
            if current.record.state != RecordState::Released {
                match self.write_record(&record, Some(&current)).await {
                    Ok(()) => self.forget_watched(),
                    Err(err) if err.kind() == ErrorKind::Conflict => continue,
                    Err(err) => return Err(err),
                }
            }
            // Superseded: a newer acquisition has fenced the object already.
            self.bump(record.token).await?;
            return Ok(Some(info));
        }
        Err(kept_changing("break the lease"))
    }

    /// `HeadObject` of the slot, a read of the lease, then a conditional `PutObject` on the ETag read
    /// first: the value in the fenced form, or a tombstone for a delete. There is no journal: appends and
    /// compactions are [`ErrorKind::Unsupported`].
    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        if matches!(write, FencedWrite::Append(..) | FencedWrite::Compact(..)) {
            return Err(write.unsupported(BACKEND));
        }
        self.check_conditional_writes().await?;
        for _ in 0..ATTEMPTS {
            if let Some(outcome) = self.try_fenced(token, &write).await? {
                return Ok(outcome);
            }
        }
        Err(kept_changing(&format!("make the fenced {}", write.name())))
    }
}
