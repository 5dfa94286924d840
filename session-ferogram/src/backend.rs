//! [`FerogramBackend`]: ferogram's `SessionBackend` over a tgsession storage.

use std::fmt;
use std::io;
use std::sync::{mpsc, Arc};

use ferogram_session::{CachedPeer, DcEntry, PersistedSession, SessionBackend, UpdateStateChange};
use session_core::{
    JournalStorage, LeaseGuard, LeaseOptions, LeaseStorage, Leased, SessionDelete, StorageError,
};

use crate::ops::Op;
use crate::worker::{self, Journaled, Request, Slot, Snapshots, View};

/// A ferogram [`SessionBackend`] that keeps the session in a tgsession storage.
///
/// Open it with [`open`](Self::open) (a storage with a journal: file, sled, Redis, PostgreSQL, memory)
/// or [`open_snapshots`](Self::open_snapshots) (any storage, such as S3), then hand it to ferogram with
/// `Client::builder().session_backend(Arc::new(backend))`.
///
/// - `load` answers from memory: the session was loaded by the async constructor.
/// - `save`, `delete` and the granular calls (`update_dc`, `set_home_dc`, `apply_update_state`,
///   `cache_peer`) are durable when they return `Ok`: the change is one journal record (or one whole
///   snapshot without a journal), written by a thread of this backend on its own runtime while the caller
///   waits. They work on any thread: a plain thread, a blocking-pool thread (where ferogram calls them), or
///   a runtime worker, which they block for the time of the write, like any synchronous backend.
/// - Calls are applied one at a time in the order they arrive. A call that fails changes nothing, in
///   memory or (unless the storage reports an [unknown outcome](StorageError::outcome_unknown)) stored; the
///   next call reloads the slot first.
/// - Clones share the session and the thread, which stops when the last clone is dropped.
///
/// **One client per account:** [`open`](Self::open) takes the slot's [lease](session_core::lease) first, so a
/// second process opening the same slot fails with [`ErrorKind::Held`](session_core::ErrorKind::Held),
/// naming the holder. The lease is renewed on the runtime that called `open` (open the backend on the
/// runtime that runs the client); once it is lost, every call fails (with the storage's
/// [`ErrorKind::Fenced`](session_core::ErrorKind::Fenced) error as source) and changes nothing — stop the
/// client when [`lease`](Self::lease)`().lost()` completes. [`close`](Self::close) releases it for the next
/// process; so does dropping the last clone (the backend's thread releases it on its way out).
///
/// See the [crate documentation](crate) for how ferogram's session maps to a tgsession session and what
/// is kept only in memory.
#[derive(Clone)]
pub struct FerogramBackend {
    view: Arc<View>,
    worker: mpsc::Sender<Request>,
    mode: &'static str,
    lease: Option<Arc<LeaseGuard>>,
}

impl FerogramBackend {
    /// Takes the slot's lease with the default [`LeaseOptions`] (this process as holder, 30 s time to live,
    /// waiting up to 3 s for a handle that is just closing), then loads the session from `storage`, which
    /// keeps a journal: every call then appends one small record under the lease (compacted now and then
    /// into a new snapshot). An empty slot gives no session (`load` returns `None`) until the client stores
    /// one. Fails with [`ErrorKind::Held`](session_core::ErrorKind::Held) if another holder has the slot.
    pub async fn open<S: JournalStorage + SessionDelete + LeaseStorage + 'static>(
        storage: S,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::open_with(storage, &LeaseOptions::default()).await
    }

    /// Like [`open`](Self::open), taking the lease as `options` say (holder id, times, how long to wait).
    pub async fn open_with<S: JournalStorage + SessionDelete + LeaseStorage + 'static>(
        storage: S,
        options: &LeaseOptions,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::start_leased(storage, options, |leased| {
            Box::new(Journaled(Arc::new(leased)))
        })
        .await
    }

    /// Loads the session from `storage`, which keeps a journal, **without** taking a lease: for a storage
    /// that has none, or where something else guarantees a single client.
    pub async fn open_unleased<S: JournalStorage + SessionDelete + 'static>(
        storage: S,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::start(Box::new(Journaled(Arc::new(storage))), None).await
    }

    /// Takes the slot's lease with the default [`LeaseOptions`], then loads the session from a storage
    /// without a journal (S3): every call stores the whole session, under the lease.
    pub async fn open_snapshots<S: SessionDelete + LeaseStorage + 'static>(
        storage: S,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::open_snapshots_with(storage, &LeaseOptions::default()).await
    }

    /// Like [`open_snapshots`](Self::open_snapshots), taking the lease as `options` say.
    pub async fn open_snapshots_with<S: SessionDelete + LeaseStorage + 'static>(
        storage: S,
        options: &LeaseOptions,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::start_leased(storage, options, |leased| {
            Box::new(Snapshots(Arc::new(leased)))
        })
        .await
    }

    /// Loads the session from `storage`, any storage (your own, without a journal or a lease): every call
    /// stores the whole session. Takes no lease.
    pub async fn open_snapshots_unleased<S: SessionDelete + 'static>(
        storage: S,
    ) -> Result<FerogramBackend, StorageError> {
        FerogramBackend::start(Box::new(Snapshots(Arc::new(storage))), None).await
    }

    /// Takes `storage`'s lease as `options` say and starts on the slot `slot` makes of the leased view;
    /// releases the lease again if that fails.
    async fn start_leased<S: LeaseStorage + 'static>(
        storage: S,
        options: &LeaseOptions,
        slot: impl FnOnce(Leased<S>) -> Box<dyn Slot>,
    ) -> Result<FerogramBackend, StorageError> {
        let leased = Leased::open(storage, options).await?;
        let guard = Arc::clone(leased.guard());
        match FerogramBackend::start(slot(leased), Some(Arc::clone(&guard))).await {
            Ok(backend) => Ok(backend),
            Err(err) => {
                // Best effort: the error that matters is the one that stopped the open.
                let _ = guard.release().await;
                Err(err)
            }
        }
    }

    async fn start(
        slot: Box<dyn Slot>,
        lease: Option<Arc<LeaseGuard>>,
    ) -> Result<FerogramBackend, StorageError> {
        let mode = slot.mode();
        let (opened, view) = worker::open(slot).await?;
        let view = Arc::new(View::new(view));
        let worker = worker::spawn(opened, Arc::clone(&view), lease.clone()).map_err(|err| {
            StorageError::new(
                session_core::ErrorKind::Other,
                "ferogram",
                "cannot start the session thread",
            )
            .with_source(err)
        })?;
        Ok(FerogramBackend {
            view,
            worker,
            mode,
            lease,
        })
    }

    /// The lease this backend holds (every constructor but the `_unleased` ones): its token and status;
    /// `lost().await` completes when the client must stop.
    pub fn lease(&self) -> Option<&LeaseGuard> {
        self.lease.as_deref()
    }

    /// Releases the lease (if any), so the next process takes the slot at once: what a clean shutdown calls
    /// after the client's last save. Later calls through any clone fail.
    pub async fn close(&self) -> Result<(), StorageError> {
        match &self.lease {
            Some(lease) => lease.release().await,
            None => Ok(()),
        }
    }

    fn call(&self, op: Op) -> io::Result<()> {
        worker::call(&self.worker, op)
    }
}

impl fmt::Debug for FerogramBackend {
    /// The mode and the size of the session; never a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = worker::lock(&self.view);
        let mut s = f.debug_struct("FerogramBackend");
        s.field("mode", &self.mode);
        match view.as_ref() {
            Some(session) => s
                .field("home_dc", &session.home_dc_id)
                .field("dcs", &session.dcs.len())
                .field("peers", &session.peers.len()),
            None => s.field("session", &"none"),
        };
        s.finish()
    }
}

impl SessionBackend for FerogramBackend {
    /// Stores `session` (the difference from the stored session, as one record where the storage keeps a
    /// journal); fails with `InvalidInput`, storing nothing, for a DC address that is no `ip:port`.
    fn save(&self, session: &PersistedSession) -> io::Result<()> {
        self.call(Op::Save(Box::new(session.clone())))
    }

    /// The session as last loaded or stored, from memory.
    fn load(&self) -> io::Result<Option<PersistedSession>> {
        Ok(worker::lock(&self.view).clone())
    }

    /// Deletes the stored session (its journal too).
    fn delete(&self) -> io::Result<()> {
        self.call(Op::Delete)
    }

    /// `"tgsession"`.
    fn name(&self) -> &str {
        "tgsession"
    }

    fn update_dc(&self, entry: &DcEntry) -> io::Result<()> {
        self.call(Op::UpdateDc(Box::new(entry.clone())))
    }

    fn set_home_dc(&self, dc_id: i32) -> io::Result<()> {
        self.call(Op::SetHomeDc(dc_id))
    }

    fn apply_update_state(&self, update: UpdateStateChange) -> io::Result<()> {
        self.call(Op::UpdateState(update))
    }

    fn cache_peer(&self, peer: &CachedPeer) -> io::Result<()> {
        self.call(Op::CachePeer(peer.clone()))
    }
}
