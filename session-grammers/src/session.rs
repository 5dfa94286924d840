//! [`GrammersSession`]: the session in memory for grammers, persisted through a [`LiveSession`].

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, Weak};
use std::time::Duration;

use session_core::{
    JournalStorage, LeaseGuard, LeaseOptions, LeaseStorage, Leased, LiveSession, Patch, Session,
    SessionStorage, StorageError,
};
use tokio::sync::{Mutex as AsyncMutex, Notify};

use crate::error::GrammersSessionError;

/// A [`grammers_session::Session`] (grammers 0.11) kept in any tgsession storage.
///
/// - **Reads** (`home_dc_id`, `dc_option`, `peer`, `peer_ref`, `updates_state`) answer from memory and never
///   wait for the storage, not even while a flush is under way.
/// - **The home DC and DC options** (which carry the auth keys) are durable before the future that set them
///   completes: `set_home_dc_id` and `set_dc_option` flush.
/// - **Peers and the update state** (`cache_peer`, `cache_peers`, `set_update_state`) are flushed before
///   their future completes too, unless a write window was set with
///   [`with_write_window`](Self::with_write_window): then they complete once memory is changed, and a
///   background task flushes everything changed within the window (one journal record for all of it).
///
/// Persisting goes through a [`LiveSession`]: over a storage with a journal ([`open`](Self::open)) a flush
/// appends one small record whatever the size of the session; over any other storage
/// ([`open_snapshots`](Self::open_snapshots)) a flush stores the whole session.
///
/// **What a crash can lose:** nothing a completed future reported as done, without a write window; with a
/// window `w`, the peers and update state changed in the last `w` (and during a flush that was under way).
/// **Drop:** dropping starts no I/O; changes not flushed yet (only possible with a write window, or after a
/// failed flush) are lost, so call [`flush`](Self::flush) before dropping. A background flush already under
/// way when the session is dropped still completes.
///
/// **One client per account.** [`open`](Self::open) takes the slot's [lease](session_core::lease) first, so
/// a second process (a new deploy, a second worker) opening the same slot fails with
/// [`ErrorKind::Held`](session_core::ErrorKind::Held), naming the holder, instead of running the account
/// twice (which makes Telegram kill the auth key). The lease is renewed in the background; if it is lost
/// (taken over after this process froze, or broken by an operator), every later write fails with
/// [`ErrorKind::Fenced`](session_core::ErrorKind::Fenced) and changes nothing: stop the client when
/// [`lease`](Self::lease)`().lost()` completes. [`close`](Self::close) flushes and releases it, so the next
/// process takes over at once; dropping releases it in the background.
pub struct GrammersSession {
    shared: Arc<Shared>,
    window: Option<Duration>,
    wake: Arc<Wake>,
    lease: Option<Arc<LeaseGuard>>,
}

/// What the trait methods and the background flusher share.
struct Shared {
    /// The session as grammers sees it, with the changes not yet handed to the `LiveSession` (in order).
    state: RwLock<State>,
    /// The persistence engine; held across a flush, never by a reader.
    live: AsyncMutex<LiveSession>,
}

struct State {
    session: Session,
    pending: Patch,
}

/// Wakes the background flusher, and tells it when the session is gone.
#[derive(Default)]
struct Wake {
    notify: Notify,
    /// Ends the flusher's wait for a window when the session is dropped.
    close: Notify,
    closed: AtomicBool,
    started: AtomicBool,
}

impl fmt::Debug for GrammersSession {
    /// The session's `Debug` (keys print as their key id only) and the write window.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("GrammersSession");
        match self.shared.state.read() {
            Ok(state) => debug.field("session", &state.session),
            Err(_) => debug.field("session", &"<poisoned>"),
        };
        debug.field("window", &self.window).finish()
    }
}

impl GrammersSession {
    /// Takes the slot's lease with the default [`LeaseOptions`] (this process as holder, 30 s time to live,
    /// waiting up to 3 s for a handle that is just closing), then loads the session from a storage with a
    /// journal (file, sled, Redis, PostgreSQL, memory): every flush appends one record, under the lease. An
    /// empty slot is a new session (grammers' defaults: home DC 2, its known DC addresses, no keys, no
    /// peers). Fails with [`ErrorKind::Held`](session_core::ErrorKind::Held) if another holder has the slot.
    pub async fn open<S: JournalStorage + LeaseStorage + 'static>(
        storage: S,
    ) -> Result<GrammersSession, StorageError> {
        GrammersSession::open_with(storage, &LeaseOptions::default()).await
    }

    /// Like [`open`](Self::open), taking the lease as `options` say (your holder id, time to live, takeover
    /// delay, how long to wait for the current holder).
    pub async fn open_with<S: JournalStorage + LeaseStorage + 'static>(
        storage: S,
        options: &LeaseOptions,
    ) -> Result<GrammersSession, StorageError> {
        GrammersSession::open_leased(storage, options, |leased| async {
            LiveSession::open_journaled(leased).await
        })
        .await
    }

    /// Loads the session from a storage with a journal **without** taking a lease: for a storage that has
    /// none, or where something else guarantees a single writer.
    pub async fn open_unleased<S: JournalStorage + 'static>(
        storage: S,
    ) -> Result<GrammersSession, StorageError> {
        Ok(GrammersSession::new(
            LiveSession::open_journaled(storage).await?,
        ))
    }

    /// Takes the slot's lease with the default [`LeaseOptions`], then loads the session from a storage
    /// without a journal (S3): every flush stores the whole session, under the lease. Use
    /// [`open`](Self::open) where the storage has a journal.
    pub async fn open_snapshots<S: LeaseStorage + 'static>(
        storage: S,
    ) -> Result<GrammersSession, StorageError> {
        GrammersSession::open_snapshots_with(storage, &LeaseOptions::default()).await
    }

    /// Like [`open_snapshots`](Self::open_snapshots), taking the lease as `options` say.
    pub async fn open_snapshots_with<S: LeaseStorage + 'static>(
        storage: S,
        options: &LeaseOptions,
    ) -> Result<GrammersSession, StorageError> {
        GrammersSession::open_leased(storage, options, |leased| async {
            LiveSession::open(leased).await
        })
        .await
    }

    /// Loads the session from any storage (your own, without a journal or a lease) **without** taking a
    /// lease: every flush stores the whole session.
    pub async fn open_snapshots_unleased<S: SessionStorage + 'static>(
        storage: S,
    ) -> Result<GrammersSession, StorageError> {
        Ok(GrammersSession::new(LiveSession::open(storage).await?))
    }

    /// Takes `storage`'s lease as `options` say and loads the session with `open` over the leased view;
    /// releases the lease again if that fails.
    async fn open_leased<S, F>(
        storage: S,
        options: &LeaseOptions,
        open: impl FnOnce(Leased<S>) -> F,
    ) -> Result<GrammersSession, StorageError>
    where
        S: LeaseStorage + 'static,
        F: std::future::Future<Output = Result<LiveSession, StorageError>>,
    {
        let leased = Leased::open(storage, options).await?;
        let guard = Arc::clone(leased.guard());
        match open(leased).await {
            Ok(live) => {
                let mut session = GrammersSession::new(live);
                session.lease = Some(guard);
                Ok(session)
            }
            Err(err) => {
                // Best effort: the error that matters is the one that stopped the open.
                let _ = guard.release().await;
                Err(err)
            }
        }
    }

    /// Wraps a [`LiveSession`] you opened yourself (with your own
    /// [`CompactionPolicy`](session_core::CompactionPolicy), for example). Changes it has pending are
    /// flushed with the first flush.
    pub fn new(live: LiveSession) -> GrammersSession {
        let session = live.session().clone();
        GrammersSession {
            shared: Arc::new(Shared {
                state: RwLock::new(State {
                    session,
                    pending: Patch::new(),
                }),
                live: AsyncMutex::new(live),
            }),
            window: None,
            wake: Arc::default(),
            lease: None,
        }
    }

    /// The lease this session holds (every constructor but the `_unleased` ones and [`new`](Self::new)):
    /// its token and status; `lost().await` completes when the client must stop.
    pub fn lease(&self) -> Option<&LeaseGuard> {
        self.lease.as_deref()
    }

    /// Flushes every change, then releases the lease (if any) so that the next process takes the slot at
    /// once: what a clean shutdown calls. The lease is released even if the flush fails; the flush's error
    /// is returned first.
    pub async fn close(&self) -> Result<(), GrammersSessionError> {
        let flushed = self.flush().await;
        let released = match &self.lease {
            Some(lease) => lease.release().await.map_err(GrammersSessionError::from),
            None => Ok(()),
        };
        flushed.and(released)
    }

    /// Lets peers and update-state changes complete without waiting for the storage: a background task
    /// flushes them at most `window` after the first change it has not flushed yet (and retries a failed
    /// flush one window later). The home DC and auth keys are still flushed before their futures complete.
    ///
    /// The task is spawned on the current Tokio runtime at the first change; where the session is used
    /// outside one, changes are flushed before their futures complete, as without a window.
    pub fn with_write_window(mut self, window: Duration) -> GrammersSession {
        self.window = Some(window);
        self
    }

    /// Persists every change made so far; durable when it returns `Ok` (as durable as the storage makes a
    /// write). On an error the changes stay pending and the next flush retries them.
    pub async fn flush(&self) -> Result<(), GrammersSessionError> {
        self.shared.flush().await
    }

    /// A copy of the whole session as it is in memory (including changes not flushed yet).
    pub fn session(&self) -> Result<Session, GrammersSessionError> {
        Ok(self.read()?.session.clone())
    }

    /// Whether there are changes a [`flush`](Self::flush) would persist.
    pub async fn has_pending(&self) -> Result<bool, GrammersSessionError> {
        if !self.read()?.pending.is_empty() {
            return Ok(true);
        }
        Ok(self.shared.live.lock().await.has_pending())
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, State>, GrammersSessionError> {
        self.shared
            .state
            .read()
            .map_err(|_| GrammersSessionError::Poisoned)
    }

    /// Reads the session in memory.
    pub(crate) fn with_session<T>(
        &self,
        read: impl FnOnce(&Session) -> T,
    ) -> Result<T, GrammersSessionError> {
        Ok(read(&self.read()?.session))
    }

    /// Changes the session in memory with the patch `make` builds from it (applied in the same critical
    /// section, so concurrent changes apply and persist in one order).
    pub(crate) fn change(
        &self,
        make: impl FnOnce(&Session) -> Patch,
    ) -> Result<(), GrammersSessionError> {
        let mut state = self
            .shared
            .state
            .write()
            .map_err(|_| GrammersSessionError::Poisoned)?;
        let patch = make(&state.session);
        if patch.is_empty() {
            return Ok(());
        }
        state.session.apply(&patch);
        state.pending.merge(patch);
        Ok(())
    }

    /// Changes memory like [`change`](Self::change), with `make` applying its changes to the session itself
    /// (step by step, for batches of peers) and returning them as one patch to persist.
    pub(crate) fn change_with(
        &self,
        make: impl FnOnce(&mut Session) -> Patch,
    ) -> Result<(), GrammersSessionError> {
        let mut state = self
            .shared
            .state
            .write()
            .map_err(|_| GrammersSessionError::Poisoned)?;
        let patch = make(&mut state.session);
        state.pending.merge(patch);
        Ok(())
    }

    /// After a change that must be durable before its future completes.
    pub(crate) async fn durable(&self) -> Result<(), GrammersSessionError> {
        self.shared.flush().await
    }

    /// After a change that may wait for the write window.
    pub(crate) async fn eventually(&self) -> Result<(), GrammersSessionError> {
        match self.window {
            Some(window) if self.start_flusher(window) => {
                self.wake.notify.notify_one();
                Ok(())
            }
            _ => self.shared.flush().await,
        }
    }

    /// Starts the background flusher if it is not running; `false` when there is no Tokio runtime.
    fn start_flusher(&self, window: Duration) -> bool {
        if self.wake.started.load(Ordering::Acquire) {
            return true;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        if self.wake.started.swap(true, Ordering::AcqRel) {
            return true;
        }
        runtime.spawn(flusher(
            Arc::downgrade(&self.shared),
            Arc::clone(&self.wake),
            window,
        ));
        true
    }
}

impl Drop for GrammersSession {
    fn drop(&mut self) {
        self.wake.closed.store(true, Ordering::Release);
        self.wake.notify.notify_one();
        self.wake.close.notify_one();
    }
}

impl Shared {
    async fn flush(&self) -> Result<(), GrammersSessionError> {
        let mut live = self.live.lock().await;
        let pending = {
            let mut state = self
                .state
                .write()
                .map_err(|_| GrammersSessionError::Poisoned)?;
            std::mem::take(&mut state.pending)
        };
        live.change(pending);
        live.flush().await?;
        Ok(())
    }
}

/// The background flusher of a write window: after each wake-up, waits `window`, then flushes whatever
/// changed meanwhile. Ends when the session is dropped.
async fn flusher(shared: Weak<Shared>, wake: Arc<Wake>, window: Duration) {
    loop {
        wake.notify.notified().await;
        if wake.closed.load(Ordering::Acquire) {
            return;
        }
        let dropped = tokio::time::timeout(window, wake.close.notified()).await;
        if dropped.is_ok() || wake.closed.load(Ordering::Acquire) {
            return;
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.flush().await.is_err() {
            // Still pending: try again one window later (a caller's flush reports the error).
            wake.notify.notify_one();
        }
    }
}
