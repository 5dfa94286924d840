//! The thread that owns the storage and the [`LiveSession`]: it runs every write on its own runtime, so
//! the client's synchronous calls never need the caller's runtime.

use std::io;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;

use async_trait::async_trait;
use ferogram_session::PersistedSession;
use session_core::{
    Bytes, JournalStorage, LeaseGuard, LiveSession, Session, SessionDelete, StorageError,
};

use crate::error::{io_error, stopped};
use crate::ops::{self, Op};

/// The storage behind a backend, with or without a journal.
#[async_trait]
pub(crate) trait Slot: Send + Sync + 'static {
    /// Opens a [`LiveSession`] over the slot (an empty session for an empty slot).
    async fn open(&self) -> Result<LiveSession, StorageError>;
    /// Whether the slot holds anything.
    async fn exists(&self) -> Result<bool, StorageError>;
    /// Stores `data` whole.
    async fn store(&self, data: Bytes) -> Result<(), StorageError>;
    /// Deletes the slot.
    async fn delete(&self) -> Result<(), StorageError>;
    /// `"journal"` or `"snapshots"`, for `Debug`.
    fn mode(&self) -> &'static str;
}

/// A storage with a journal: every change is one appended record.
pub(crate) struct Journaled<S>(pub(crate) Arc<S>);

/// A storage without one: every change stores the whole session.
pub(crate) struct Snapshots<S>(pub(crate) Arc<S>);

#[async_trait]
impl<S: JournalStorage + SessionDelete + 'static> Slot for Journaled<S> {
    async fn open(&self) -> Result<LiveSession, StorageError> {
        LiveSession::open_journaled(Arc::clone(&self.0)).await
    }
    async fn exists(&self) -> Result<bool, StorageError> {
        Ok(self.0.load().await?.is_some())
    }
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.0.store(data).await
    }
    async fn delete(&self) -> Result<(), StorageError> {
        self.0.delete().await
    }
    fn mode(&self) -> &'static str {
        "journal"
    }
}

#[async_trait]
impl<S: SessionDelete + 'static> Slot for Snapshots<S> {
    async fn open(&self) -> Result<LiveSession, StorageError> {
        LiveSession::open(Arc::clone(&self.0)).await
    }
    async fn exists(&self) -> Result<bool, StorageError> {
        Ok(self.0.load().await?.is_some())
    }
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.0.store(data).await
    }
    async fn delete(&self) -> Result<(), StorageError> {
        self.0.delete().await
    }
    fn mode(&self) -> &'static str {
        "snapshots"
    }
}

/// ferogram's view of the session, read by `load` without waiting for the worker.
pub(crate) type View = Mutex<Option<PersistedSession>>;

/// Locks the view; a panic elsewhere while it was held leaves a consistent value (every change is one
/// assignment), so a poisoned lock is used as it is.
pub(crate) fn lock(view: &View) -> std::sync::MutexGuard<'_, Option<PersistedSession>> {
    view.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One call, and where to send its result.
pub(crate) struct Request {
    op: Op,
    reply: mpsc::SyncSender<io::Result<()>>,
}

/// What `open` loaded, handed to the worker.
pub(crate) struct Opened {
    pub(crate) slot: Box<dyn Slot>,
    pub(crate) live: LiveSession,
    pub(crate) exists: bool,
}

/// Loads the slot (on the caller's runtime) and ferogram's view of it.
pub(crate) async fn open(
    slot: Box<dyn Slot>,
) -> Result<(Opened, Option<PersistedSession>), StorageError> {
    let live = slot.open().await?;
    // An empty session is what an empty slot gives too: only then ask whether the slot holds one.
    let exists = *live.session() != Session::default() || slot.exists().await?;
    let view = exists.then(|| crate::map::from_session(live.session()));
    Ok((Opened { slot, live, exists }, view))
}

/// Starts the worker thread; it stops when the returned sender (every clone of the backend) is dropped,
/// releasing `lease` (if any) on its way out, on its own runtime (the backend may be dropped where no
/// runtime runs).
pub(crate) fn spawn(
    opened: Opened,
    view: Arc<View>,
    lease: Option<Arc<LeaseGuard>>,
) -> io::Result<mpsc::Sender<Request>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (sender, requests) = mpsc::channel::<Request>();
    let mut worker = Worker {
        slot: opened.slot,
        live: Some(opened.live),
        exists: opened.exists,
        view,
    };
    thread::Builder::new()
        .name("tgsession-ferogram".into())
        .spawn(move || {
            while let Ok(request) = requests.recv() {
                let result = runtime.block_on(worker.handle(request.op));
                // The caller may have gone (its thread died); nothing to report to then.
                let _ = request.reply.send(result);
            }
            if let Some(lease) = lease {
                // Nobody is left to report a failure to; the lease then lapses after its time to live.
                let _ = runtime.block_on(lease.release());
            }
        })?;
    Ok(sender)
}

/// Sends `op` to the worker and waits for its result.
pub(crate) fn call(worker: &mpsc::Sender<Request>, op: Op) -> io::Result<()> {
    let (reply, result) = mpsc::sync_channel(1);
    worker.send(Request { op, reply }).map_err(|_| stopped())?;
    result.recv().map_err(|_| stopped())?
}

struct Worker {
    slot: Box<dyn Slot>,
    /// `None` after a failed write: the next call reloads the slot, dropping the changes that failed.
    live: Option<LiveSession>,
    /// Whether the slot holds a session (ferogram's `load` gives `Some`).
    exists: bool,
    view: Arc<View>,
}

impl Worker {
    async fn handle(&mut self, op: Op) -> io::Result<()> {
        if let Op::Delete = op {
            self.live = None;
            self.slot.delete().await.map_err(io_error)?;
            self.exists = false;
            ops::ViewChange::Clear.apply(&mut lock(&self.view));
            return Ok(());
        }
        let live = match &mut self.live {
            Some(live) => live,
            None => self.live.insert(self.slot.open().await.map_err(io_error)?),
        };
        let (patch, change) = {
            let view = lock(&self.view);
            ops::plan(op, view.as_ref(), live.session())
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?
        };
        let changed = !patch.is_empty();
        live.change(patch);
        let mut written = live.flush().await;
        if written.is_ok() && !changed && !self.exists {
            // Nothing differs from an empty session, but the slot must now hold one, as ferogram's
            // backends do after any call.
            written = match live.session().encode() {
                Ok(data) => self.slot.store(Bytes::from(data)).await,
                Err(err) => Err(err.into()),
            };
        }
        if let Err(err) = written {
            self.live = None;
            return Err(io_error(err));
        }
        self.exists = true;
        change.apply(&mut lock(&self.view));
        Ok(())
    }
}
