//! [`LiveSession`]: the handle a client keeps for a connection's life — the session in memory, its changes
//! persisted as small journal records where the storage keeps a journal, as whole snapshots elsewhere.

mod policy;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::StorageError;
use crate::ext::wipe;
use crate::journal::{Journal, JournalPosition, JournalStorage, Record};
use crate::patch::Patch;
use crate::session::Session;
use crate::storage::SessionStorage;

pub use self::policy::CompactionPolicy;

/// How a [`LiveSession`] persists its changes.
enum Backend {
    /// Every flush stores the whole session.
    Snapshots(Arc<dyn SessionStorage>),
    /// Every flush appends one record; compactions write snapshots.
    Journal(Arc<dyn JournalStorage>),
}

/// Where the stored journal stands, as far as this handle knows.
#[derive(Clone, Copy, Debug, Default)]
struct JournalState {
    /// The journal's epoch and the index of the next record; `None` until a snapshot with a position is
    /// stored (a new slot, or one stored whole without a journal).
    position: Option<JournalPosition>,
    /// The records and bytes after the snapshot, for the compaction policy.
    records: u64,
    bytes: u64,
    /// The size of the snapshot the journal follows.
    snapshot_bytes: u64,
    /// The index of the first record this version could not apply: compaction must not pass it.
    first_unknown: Option<u64>,
}

/// A session kept in memory for a connection's life, with its storage.
///
/// Changes are made in memory with [`change`](Self::change) (or [`set`](Self::set)) and become durable
/// with [`flush`](Self::flush):
///
/// - over a [`JournalStorage`] ([`open_journaled`](Self::open_journaled)), a flush appends **one record**
///   holding every change since the last flush, so its cost follows the size of the change, not of the
///   session; the journal is compacted into a new snapshot when the [`CompactionPolicy`] says so;
/// - over any other [`SessionStorage`] ([`open`](Self::open)), a flush stores the whole session.
///
/// **What is durable when:** [`change`](Self::change) and [`set`](Self::set) touch memory only. When
/// [`flush`](Self::flush) returns `Ok`, every change made before it is stored as durably as the storage
/// promises for a write (see its documentation; for `session-file`: power loss). Changes not flushed are lost
/// when the `LiveSession` is dropped or the process dies: flush after an auth key or the home DC changes,
/// before acting on them. When a flush fails, its changes stay pending and the next flush retries them; a
/// patch sets values rather than adding to them, so a record that landed although the flush reported an
/// error (an [outcome unknown](StorageError::outcome_unknown)) does no harm when written again.
///
/// One `LiveSession` should be the only writer of its slot while it lives (issue a lease for fleets). If
/// another writer appends to the same journal, this handle notices at its next append (the index is not the
/// one it expected) and reloads the slot, so its memory includes the other writer's changes again; if the
/// slot was replaced whole, a flush fails with [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) and the
/// session must be opened again.
///
/// It works over every adapter and over `Arc<dyn JournalStorage>` / `Arc<dyn SessionStorage>`.
///
/// ```
/// use session_core::{LiveSession, MemoryStorage, Patch, Peer, PeerId, PeerKind, SessionStorageExt};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let storage = MemoryStorage::new();
/// let mut live = LiveSession::open_journaled(storage.clone()).await?;
/// let mut patch = Patch::new();
/// patch.set_home_dc(Some(2));
/// live.change(patch);
/// live.flush().await?; // the first flush of a new slot stores a snapshot that starts a journal
///
/// let mut patch = Patch::new();
/// patch.upsert_peer(PeerId::User(42), Peer { kind: PeerKind::User, access_hash: Some(7), ..Peer::default() });
/// live.change(patch);
/// live.flush().await?; // one small record
///
/// // Any reader sees the whole session.
/// let stored = storage.load_session().await?.unwrap();
/// assert_eq!(&stored, live.session());
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
pub struct LiveSession {
    backend: Backend,
    session: Session,
    /// The changes made since the last successful flush.
    pending: Patch,
    journal: JournalState,
    policy: CompactionPolicy,
}

impl fmt::Debug for LiveSession {
    /// The session's own `Debug` (which redacts keys) and the journal state.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveSession")
            .field("session", &self.session)
            .field("pending", &!self.pending.is_empty())
            .field("journal", &self.journal)
            .field("policy", &self.policy)
            .finish()
    }
}

impl LiveSession {
    /// Loads the session from `storage`, which keeps no journal: every [`flush`](Self::flush) stores the
    /// whole session. An empty slot gives an empty [`Session`].
    pub async fn open<S: SessionStorage + 'static>(
        storage: S,
    ) -> Result<LiveSession, StorageError> {
        let storage: Arc<dyn SessionStorage> = Arc::new(storage);
        let session = match storage.load().await? {
            Some(data) => decode(data)?,
            None => Session::new(),
        };
        Ok(LiveSession::with(
            Backend::Snapshots(storage),
            session,
            JournalState::default(),
        ))
    }

    /// Loads the session from `storage` — its snapshot with the journal's records applied — and persists
    /// changes as records. An empty slot, or one stored whole without a journal, gives the session it holds
    /// (empty for an empty slot); the first flush then stores a snapshot that starts a new journal.
    pub async fn open_journaled<S: JournalStorage + 'static>(
        storage: S,
    ) -> Result<LiveSession, StorageError> {
        let storage: Arc<dyn JournalStorage> = Arc::new(storage);
        let (session, journal) = match storage.load_journal().await? {
            Some(journal) => replay(journal)?,
            None => (Session::new(), JournalState::default()),
        };
        Ok(LiveSession::with(
            Backend::Journal(storage),
            session,
            journal,
        ))
    }

    fn with(backend: Backend, session: Session, journal: JournalState) -> LiveSession {
        LiveSession {
            backend,
            session,
            pending: Patch::new(),
            journal,
            policy: CompactionPolicy::default(),
        }
    }

    /// Sets when the journal is compacted (the default is [`CompactionPolicy::default`]).
    pub fn with_policy(mut self, policy: CompactionPolicy) -> LiveSession {
        self.policy = policy;
        self
    }

    /// The session as it is in memory: everything loaded and every change made since.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Applies `patch` in memory and adds it to what the next [`flush`](Self::flush) persists.
    pub fn change(&mut self, patch: Patch) {
        if patch.is_empty() {
            return;
        }
        self.session.apply(&patch);
        self.pending.merge(patch);
    }

    /// Makes the session in memory equal to `session`, recording the difference ([`Patch::between`]) for
    /// the next flush. Handy when a client keeps its own copy; [`change`](Self::change) is cheaper when it
    /// knows what changed.
    pub fn set(&mut self, session: Session) {
        let patch = Patch::between(&self.session, &session);
        self.change(patch);
    }

    /// Whether there are changes the next [`flush`](Self::flush) would persist.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Persists every change made since the last flush (nothing to do if there is none) and compacts the
    /// journal when the policy says so. See the [type documentation](Self) for what is durable afterwards
    /// and what happens on errors.
    pub async fn flush(&mut self) -> Result<(), StorageError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Snapshots(storage) => {
                let storage = Arc::clone(storage);
                store_whole(&*storage, &self.session, None).await?;
            }
            Backend::Journal(storage) => {
                let storage = Arc::clone(storage);
                match self.journal.position {
                    None => self.start_journal(&*storage).await?,
                    Some(position) => self.append(&*storage, position).await?,
                }
            }
        }
        self.pending = Patch::new();
        if self.policy.is_due(
            self.journal.records,
            self.journal.bytes,
            self.journal.snapshot_bytes,
        ) {
            self.compact().await?;
        }
        Ok(())
    }

    /// Flushes, then folds the journal into a new snapshot (nothing to do without records, or over a
    /// storage without a journal). A journal holding a record this version cannot apply (written by a
    /// newer version) is not compacted: the newer version still has to find that record.
    pub async fn compact(&mut self) -> Result<(), StorageError> {
        if !self.pending.is_empty() {
            // Flushing may compact on its own; compaction then finds nothing left to do.
            Box::pin(self.flush()).await?;
        }
        let Backend::Journal(storage) = &self.backend else {
            return Ok(());
        };
        let storage = Arc::clone(storage);
        let Some(position) = self.journal.position else {
            return Ok(());
        };
        if self.journal.records == 0 || self.journal.first_unknown.is_some() {
            return Ok(());
        }
        let snapshot = Bytes::from(self.session.encode_snapshot(&position)?);
        let snapshot_bytes = snapshot.len() as u64;
        let result = storage.compact(snapshot.clone(), position).await;
        wipe(snapshot);
        result?;
        self.journal = JournalState {
            position: Some(position),
            snapshot_bytes,
            ..JournalState::default()
        };
        Ok(())
    }

    /// Stores the whole session as a snapshot that starts a new journal.
    async fn start_journal(&mut self, storage: &dyn JournalStorage) -> Result<(), StorageError> {
        let position = JournalPosition::start();
        let snapshot_bytes = store_whole(storage, &self.session, Some(position)).await?;
        self.journal = JournalState {
            position: Some(position),
            snapshot_bytes,
            ..JournalState::default()
        };
        Ok(())
    }

    /// Appends the pending changes as one record; reloads the slot if another writer appended meanwhile.
    async fn append(
        &mut self,
        storage: &dyn JournalStorage,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        let record = Bytes::from(Record::encode_patch(position.epoch, &self.pending)?);
        let record_bytes = record.len() as u64;
        let appended = storage.append(position.epoch, record.clone()).await;
        wipe(record);
        let index = appended?;
        if index == position.next {
            self.journal.position = Some(JournalPosition {
                next: index + 1,
                ..position
            });
            self.journal.records += 1;
            self.journal.bytes += record_bytes;
            return Ok(());
        }
        // Another writer appended (or compacted) since this handle last looked: its changes are not in
        // memory. The journal holds them and this record, in order.
        let Some(journal) = storage.load_journal().await? else {
            return Err(StorageError::new(
                crate::ErrorKind::Conflict,
                "journal",
                "the slot was deleted while this session was live",
            ));
        };
        let (session, state) = replay(journal)?;
        self.session = session;
        self.journal = state;
        Ok(())
    }
}

/// Encodes `session` (as a snapshot at `position` if given), stores it, and returns its size.
async fn store_whole(
    storage: &dyn SessionStorage,
    session: &Session,
    position: Option<JournalPosition>,
) -> Result<u64, StorageError> {
    let data = Bytes::from(match position {
        Some(position) => session.encode_snapshot(&position)?,
        None => session.encode()?,
    });
    let len = data.len() as u64;
    let result = storage.store(data.clone()).await;
    wipe(data);
    result.map(|()| len)
}

/// Decodes a whole stored session, wiping the bytes afterwards.
fn decode(data: Bytes) -> Result<Session, StorageError> {
    let decoded = Session::decode(&data);
    wipe(data);
    Ok(decoded?)
}

/// The session a journal replays to, and where the journal stands.
fn replay(journal: Journal) -> Result<(Session, JournalState), StorageError> {
    let replayed = journal.replay();
    let state = replayed.as_ref().ok().map(|replayed| {
        let included = replayed
            .snapshot_position
            .map_or(0, |position| position.next);
        let skipped = usize::try_from(included.saturating_sub(journal.base))
            .unwrap_or(usize::MAX)
            .min(journal.records.len());
        let after = &journal.records[skipped..];
        JournalState {
            position: replayed.position,
            records: after.len() as u64,
            bytes: after.iter().map(|record| record.len() as u64).sum(),
            snapshot_bytes: journal.snapshot.len() as u64,
            first_unknown: replayed.first_unknown,
        }
    });
    let Journal {
        snapshot, records, ..
    } = journal;
    wipe(snapshot);
    records.into_iter().for_each(wipe);
    let replayed = replayed?;
    Ok((replayed.session, state.unwrap_or_default()))
}
