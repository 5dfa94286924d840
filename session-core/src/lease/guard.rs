//! [`LeaseGuard`]: a held lease, renewed in the background, that tells its owner before it can lapse.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{FencingToken, HolderId, LeaseRequest, LeaseState, LeaseStorage, LeaseTerm};
use crate::error::{ErrorKind, StorageError};

/// Whether a [`LeaseGuard`]'s owner may still act as the slot's single writer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseStatus {
    /// Safe to act until `until` (`None`: for as long as the guard lives, as with a file lock). The guard
    /// moves `until` forward with every renewal.
    Valid {
        /// When it stops being safe unless a renewal succeeds before.
        until: Option<Instant>,
    },
    /// Not safe to act any more: the lease was taken over or broken, or renewing failed for so long that it
    /// may lapse. Stop talking to Telegram with this session now.
    Lost {
        /// Why, in one sentence.
        reason: String,
    },
    /// Released by its owner.
    Released,
}

/// A lease on one slot, held for as long as the guard lives.
///
/// [`acquire`](Self::acquire) takes the lease; a background task renews it every third of its time to live.
/// The guard stops being [valid](Self::is_valid) a quarter of the time to live **before** the lease could
/// lapse, if no renewal succeeded by then, or at once when the storage says the lease was taken over or
/// broken — so its owner can stop its MTProto connections while the lease is still its own. Wait for that
/// with [`lost`](Self::lost) or [`watch`](Self::watch). [`release`](Self::release) ends the lease so the next
/// holder takes over at once; dropping the guard stops the renewals and releases it in the background
/// (where a Tokio runtime is running).
///
/// Needs a Tokio runtime with the time driver (the renewals are a spawned task).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use session_core::{ErrorKind, HolderId, LeaseGuard, LeaseRequest, LeaseStorage, MemoryStorage};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let storage: Arc<dyn LeaseStorage> = Arc::new(MemoryStorage::new());
/// let request = LeaseRequest::new(HolderId::new("worker-1")?);
/// let guard = LeaseGuard::acquire(storage.clone(), &request).await?;
/// assert!(guard.is_valid());
///
/// // A second holder is refused, and told who holds the slot.
/// let other = LeaseRequest::new(HolderId::new("worker-2")?);
/// let err = LeaseGuard::acquire(storage.clone(), &other).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Held);
/// assert_eq!(err.lease_held().unwrap().holder.as_str(), "worker-1");
///
/// guard.release().await?;
/// let next = LeaseGuard::acquire(storage, &other).await?;
/// assert!(next.token() > guard.token());
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
pub struct LeaseGuard {
    shared: Arc<Shared>,
    renewer: Option<JoinHandle<()>>,
}

/// What the guard and its renewal task share.
struct Shared {
    storage: Arc<dyn LeaseStorage>,
    holder: HolderId,
    token: FencingToken,
    ttl: Duration,
    status: watch::Sender<LeaseStatus>,
    released: AtomicBool,
}

impl LeaseGuard {
    /// Takes the lease of `storage`'s slot for `request`, once; fails with [`ErrorKind::Held`] (see
    /// [`StorageError::lease_held`]) if another holder has it.
    pub async fn acquire(
        storage: Arc<dyn LeaseStorage>,
        request: &LeaseRequest,
    ) -> Result<LeaseGuard, StorageError> {
        let sent = Instant::now();
        let grant = storage.acquire_lease(request).await?;
        let until = match grant.term {
            LeaseTerm::Lapses(ttl) => Some(sent + safe_part(ttl)),
            LeaseTerm::WhileHeld => None,
        };
        let (status, _) = watch::channel(LeaseStatus::Valid { until });
        let shared = Arc::new(Shared {
            storage,
            holder: request.holder().clone(),
            token: grant.token,
            ttl: request.ttl(),
            status,
            released: AtomicBool::new(false),
        });
        let renewer = match grant.term {
            LeaseTerm::Lapses(_) => Some(tokio::spawn(renew(shared.clone(), sent))),
            LeaseTerm::WhileHeld => None,
        };
        Ok(LeaseGuard { shared, renewer })
    }

    /// Like [`acquire`](Self::acquire), but while another holder has the lease, tries again until it is
    /// free or `wait` has passed (then fails with [`ErrorKind::Held`]). Tries again after 5 ms, then less
    /// often (at least four times a second), and as soon as the holder's lease can be taken.
    pub async fn acquire_waiting(
        storage: Arc<dyn LeaseStorage>,
        request: &LeaseRequest,
        wait: Duration,
    ) -> Result<LeaseGuard, StorageError> {
        // A wait too long for the clock (`Duration::MAX`, say) waits for ever.
        let give_up = Instant::now().checked_add(wait);
        // A holder that is just releasing is gone within milliseconds: try again soon, then less often.
        let mut backoff = Duration::from_millis(5);
        loop {
            let err = match LeaseGuard::acquire(storage.clone(), request).await {
                Err(err) if err.kind() == ErrorKind::Held => err,
                other => return other,
            };
            let now = Instant::now();
            if give_up.is_some_and(|give_up| now >= give_up) {
                return Err(err);
            }
            let free_in = match err.lease_held().map(|info| info.state) {
                Some(LeaseState::Held {
                    lapses_in: Some(left),
                }) => left.saturating_add(request.takeover_delay()),
                Some(LeaseState::Lapsed { ago }) => request.takeover_delay().saturating_sub(ago),
                _ => Duration::from_secs(1),
            };
            let mut pause = free_in.min(backoff);
            if let Some(give_up) = give_up {
                pause = pause.min(give_up - now);
            }
            backoff = (backoff * 2).min(Duration::from_millis(250));
            tokio::time::sleep(pause).await;
        }
    }

    /// The acquisition's fencing token.
    pub fn token(&self) -> FencingToken {
        self.shared.token
    }

    /// Who holds it.
    pub fn holder(&self) -> &HolderId {
        &self.shared.holder
    }

    /// Whether its owner may act now: valid, and not past the time a renewal should have succeeded by.
    pub fn is_valid(&self) -> bool {
        match &*self.shared.status.borrow() {
            LeaseStatus::Valid { until: None } => true,
            LeaseStatus::Valid { until: Some(until) } => Instant::now() < *until,
            LeaseStatus::Lost { .. } | LeaseStatus::Released => false,
        }
    }

    /// The current status.
    pub fn status(&self) -> LeaseStatus {
        self.shared.status.borrow().clone()
    }

    /// A receiver of every status change, for a `select!` loop that must stop the client when the lease is
    /// lost.
    pub fn watch(&self) -> watch::Receiver<LeaseStatus> {
        self.shared.status.subscribe()
    }

    /// Completes when the guard stops being valid (lost or released). A client runs its connections until
    /// this completes:
    ///
    /// ```no_run
    /// # async fn run(guard: session_core::LeaseGuard, client_loop: impl std::future::Future<Output = ()>) {
    /// tokio::select! {
    ///     _ = guard.lost() => eprintln!("lease lost: {:?}; disconnecting", guard.status()),
    ///     _ = client_loop => {}
    /// }
    /// # }
    /// ```
    pub async fn lost(&self) {
        let mut status = self.shared.status.subscribe();
        // The sender lives in `self.shared`, so the channel cannot close while we wait.
        let _ = status
            .wait_for(|status| !matches!(status, LeaseStatus::Valid { .. }))
            .await;
    }

    /// Marks the guard lost for `reason` (a fenced write found the lease taken over).
    pub(crate) fn mark_lost(&self, reason: String) {
        lose(&self.shared, reason);
    }

    /// Ends the lease so the next holder may take it at once; idempotent. After it, the guard is no longer
    /// valid and writes through it fail.
    pub async fn release(&self) -> Result<(), StorageError> {
        if let Some(renewer) = &self.renewer {
            renewer.abort();
        }
        if self.shared.released.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.shared.status.send_replace(LeaseStatus::Released);
        self.shared.storage.release_lease(self.shared.token).await
    }
}

impl Drop for LeaseGuard {
    /// Stops the renewals and, unless released already, releases the lease on the current Tokio runtime in
    /// the background (without a runtime, the lease lapses after its time to live instead).
    fn drop(&mut self) {
        if let Some(renewer) = &self.renewer {
            renewer.abort();
        }
        if self.shared.released.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shared.status.send_replace(LeaseStatus::Released);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let shared = self.shared.clone();
            runtime.spawn(async move {
                let _ = shared.storage.release_lease(shared.token).await;
            });
        }
    }
}

impl fmt::Debug for LeaseGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseGuard")
            .field("holder", &self.shared.holder)
            .field("token", &self.shared.token)
            .field("ttl", &self.shared.ttl)
            .field("status", &*self.shared.status.borrow())
            .finish()
    }
}

/// The part of a time to live during which the holder may act: three quarters, so that a holder whose
/// renewals fail stops a quarter of the time to live before the lease can lapse.
fn safe_part(ttl: Duration) -> Duration {
    ttl - ttl / 4
}

/// Marks the guard lost, unless it was released.
fn lose(shared: &Shared, reason: String) {
    shared.status.send_if_modified(|status| {
        if matches!(status, LeaseStatus::Valid { .. }) {
            *status = LeaseStatus::Lost { reason };
            true
        } else {
            false
        }
    });
}

/// The renewal task: renews every third of the time to live; retries failures until the lease is no longer
/// safe to act on, then marks it lost. `acquired` is when the acquisition was sent: the lease lapses a time
/// to live after it unless renewed, and the first renewal is due a third of the time to live after it (at
/// once, if the acquisition's reply took longer than that), not after the reply arrived.
async fn renew(shared: Arc<Shared>, acquired: Instant) {
    let ttl = shared.ttl;
    let every = ttl / 3;
    let retry = (ttl / 20).max(Duration::from_millis(10));
    let mut lapses = acquired + ttl;
    let mut next = acquired + every;
    loop {
        tokio::time::sleep_until(next).await;
        let safe_until = lapses - ttl / 4;
        let sent = Instant::now();
        let outcome =
            tokio::time::timeout_at(safe_until, shared.storage.renew_lease(shared.token, ttl))
                .await;
        match outcome {
            Ok(Ok(_)) => {
                lapses = sent + ttl;
                let until = Some(sent + safe_part(ttl));
                shared.status.send_if_modified(|status| {
                    if matches!(status, LeaseStatus::Valid { .. }) {
                        *status = LeaseStatus::Valid { until };
                        true
                    } else {
                        false
                    }
                });
                next = sent + every;
            }
            Ok(Err(err)) if matches!(err.kind(), ErrorKind::Fenced | ErrorKind::Held) => {
                return lose(
                    &shared,
                    format!("the lease was taken over or broken: {err}"),
                );
            }
            Ok(Err(err)) if Instant::now() + retry >= safe_until => {
                return lose(
                    &shared,
                    format!("renewing failed until the lease could lapse: {err}"),
                );
            }
            Ok(Err(_)) => next = Instant::now() + retry,
            Err(_) => {
                return lose(
                    &shared,
                    "renewing did not answer before the lease could lapse".to_string(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;
    use bytes::Bytes;
    use tokio::time::Instant;

    use crate::{
        ErrorKind, FencedOutcome, FencedWrite, FencingToken, HolderId, LeaseGrant, LeaseGuard,
        LeaseInfo, LeaseRequest, LeaseStatus, LeaseStorage, MemoryStorage, SessionStorage,
        StorageError,
    };

    /// A memory storage whose acquisitions are granted at once but answered `reply` later, and whose
    /// renewals take a round trip of 20 ms: a slow network.
    #[derive(Debug)]
    struct SlowReplies {
        inner: MemoryStorage,
        reply: Duration,
    }

    #[async_trait]
    impl SessionStorage for SlowReplies {
        async fn load(&self) -> Result<Option<Bytes>, StorageError> {
            self.inner.load().await
        }

        async fn store(&self, data: Bytes) -> Result<(), StorageError> {
            self.inner.store(data).await
        }
    }

    #[async_trait]
    impl LeaseStorage for SlowReplies {
        async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
            let grant = self.inner.acquire_lease(request).await;
            tokio::time::sleep(self.reply).await;
            grant
        }

        async fn renew_lease(
            &self,
            token: FencingToken,
            ttl: Duration,
        ) -> Result<LeaseGrant, StorageError> {
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.inner.renew_lease(token, ttl).await
        }

        async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
            self.inner.release_lease(token).await
        }

        async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
            self.inner.read_lease().await
        }

        async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
            self.inner.break_lease().await
        }

        async fn write_fenced(
            &self,
            token: FencingToken,
            write: FencedWrite,
        ) -> Result<FencedOutcome, StorageError> {
            self.inner.write_fenced(token, write).await
        }
    }

    fn request(holder: &str, ttl: Duration) -> LeaseRequest {
        LeaseRequest::new(HolderId::new(holder).unwrap())
            .with_ttl(ttl)
            .unwrap()
    }

    /// An acquisition whose reply took more than a third of the time to live is renewed at once: the first
    /// renewal is due a third of the time to live after the request was sent, not after the reply. (It
    /// used to be scheduled a third after the reply, past the guard's safe window, so the guard was lost
    /// for nothing — and `lost()` completed only after the lease could have lapsed.)
    #[tokio::test]
    async fn a_slow_acquisition_is_renewed_in_time() {
        let ttl = Duration::from_millis(600);
        let storage: Arc<dyn LeaseStorage> = Arc::new(SlowReplies {
            inner: MemoryStorage::new(),
            reply: ttl * 7 / 10,
        });
        let guard = LeaseGuard::acquire(storage, &request("slow", ttl))
            .await
            .unwrap();
        tokio::time::sleep(ttl * 2).await;
        assert!(
            matches!(guard.status(), LeaseStatus::Valid { .. }) && guard.is_valid(),
            "{:?}",
            guard.status()
        );
    }

    /// `lost()` completes before the lease can lapse, also when the acquisition's reply was slow and
    /// renewals then fail.
    #[tokio::test]
    async fn lost_completes_before_a_slowly_acquired_lease_can_lapse() {
        let ttl = Duration::from_millis(600);
        let inner = MemoryStorage::new();
        let storage: Arc<dyn LeaseStorage> = Arc::new(SlowReplies {
            inner: inner.clone(),
            reply: ttl * 7 / 10,
        });
        let sent = Instant::now();
        let guard = LeaseGuard::acquire(storage, &request("slow", ttl))
            .await
            .unwrap();
        // The renewals fail from now on: the lease was broken.
        inner.break_lease().await.unwrap();
        guard.lost().await;
        assert!(sent.elapsed() < ttl, "lost after {:?}", sent.elapsed());
    }

    /// Waits and takeover delays too long for the clock neither panic nor end the wait early.
    #[tokio::test]
    async fn extreme_waits_and_delays_do_not_overflow() {
        let storage: Arc<dyn LeaseStorage> = Arc::new(MemoryStorage::new());
        let first = LeaseGuard::acquire(
            storage.clone(),
            &LeaseRequest::new(HolderId::new("a").unwrap()),
        )
        .await
        .unwrap();
        let patient =
            LeaseRequest::new(HolderId::new("b").unwrap()).with_takeover_delay(Duration::MAX);
        let err = LeaseGuard::acquire_waiting(storage.clone(), &patient, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Held);
        let waiter = tokio::spawn({
            let storage = storage.clone();
            async move {
                let request = LeaseRequest::new(HolderId::new("c").unwrap());
                LeaseGuard::acquire_waiting(storage, &request, Duration::MAX)
                    .await
                    .map(|guard| guard.token())
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        first.release().await.unwrap();
        assert!(waiter.await.unwrap().unwrap() > first.token());
    }
}
