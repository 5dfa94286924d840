//! `LiveSession`: random changes, flushes, compactions and reopens over a journaled and a plain storage
//! always leave the stored session equal to the one in memory after a flush; the compaction policy is kept;
//! a second writer's records are picked up; a record of a newer version stops compaction; a failed flush
//! keeps its changes.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use session_core::{
    CompactionPolicy, Epoch, ErrorKind, Journal, JournalPosition, JournalStorage, LiveSession,
    MemoryStorage, Patch, Peer, PeerId, PeerKind, Session, SessionStorage, SessionStorageExt,
    StorageError,
};
use support::{change, patch_of, Change};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

fn peer_patch(id: i64) -> Patch {
    let mut patch = Patch::new();
    patch.upsert_peer(
        PeerId::User(id),
        Peer {
            kind: PeerKind::User,
            access_hash: Some(id),
            ..Peer::default()
        },
    );
    patch
}

/// What a step of the model test does.
#[derive(Clone, Debug)]
enum Step {
    Change(Vec<Change>),
    Flush,
    Compact,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => vec(change(), 1..6).prop_map(Step::Change),
        3 => Just(Step::Flush),
        1 => Just(Step::Compact),
        1 => Just(Step::Reopen),
    ]
}

async fn open(storage: &MemoryStorage, journaled: bool, policy: CompactionPolicy) -> LiveSession {
    let live = if journaled {
        LiveSession::open_journaled(storage.clone()).await
    } else {
        LiveSession::open(storage.clone()).await
    };
    live.expect("opens").with_policy(policy)
}

/// Runs `steps`; after every flush and compaction the stored session equals the one in memory; a reopen
/// drops what was not flushed, and only that.
async fn run_model(steps: &[Step], journaled: bool, policy: CompactionPolicy) {
    let storage = MemoryStorage::new();
    let mut live = open(&storage, journaled, policy).await;
    let mut flushed = Session::new();
    for step in steps {
        match step {
            Step::Change(changes) => live.change(patch_of(changes)),
            Step::Flush | Step::Compact => {
                if matches!(step, Step::Flush) {
                    live.flush().await.expect("flushes");
                } else {
                    live.compact().await.expect("compacts");
                }
                assert!(!live.has_pending());
                flushed = live.session().clone();
                let stored = storage.load_session().await.expect("loads");
                let stored = stored.unwrap_or_default();
                assert_eq!(&stored, live.session(), "stored after {step:?}");
            }
            Step::Reopen => {
                live = open(&storage, journaled, policy).await;
                assert_eq!(live.session(), &flushed, "reopened");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn journaled_sessions_store_what_they_hold(steps in vec(step(), 0..40)) {
        let tight = CompactionPolicy { max_records: 4, max_bytes_percent: 30, min_bytes: 0 };
        block_on(run_model(&steps, true, tight));
        block_on(run_model(&steps, true, CompactionPolicy::never()));
    }

    #[test]
    fn plain_sessions_store_what_they_hold(steps in vec(step(), 0..40)) {
        block_on(run_model(&steps, false, CompactionPolicy::default()));
    }
}

#[test]
fn a_flush_is_one_record_and_the_policy_compacts() {
    block_on(async {
        let storage = MemoryStorage::new();
        let policy = CompactionPolicy {
            max_records: 3,
            ..CompactionPolicy::never()
        };
        let mut live = LiveSession::open_journaled(storage.clone())
            .await
            .unwrap()
            .with_policy(policy);
        live.change(peer_patch(1));
        live.flush().await.unwrap();
        let first = storage.load_journal().await.unwrap().unwrap();
        assert!(
            first.records.is_empty(),
            "the first flush stores a snapshot"
        );
        for id in 2..=3 {
            live.change(peer_patch(id));
            live.flush().await.unwrap();
        }
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(journal.snapshot, first.snapshot, "no compaction yet");
        assert_eq!(journal.records.len(), 2);
        live.change(peer_patch(4));
        live.flush().await.unwrap();
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(
            journal.records.len(),
            0,
            "the third record triggered compaction"
        );
        let replayed = journal.replay().unwrap();
        assert_eq!(&replayed.session, live.session());
        assert_eq!(replayed.position.unwrap().next, 3);
    });
}

#[test]
fn another_writers_records_are_picked_up() {
    block_on(async {
        let storage = MemoryStorage::new();
        let mut first = LiveSession::open_journaled(storage.clone()).await.unwrap();
        first.change(peer_patch(1));
        first.flush().await.unwrap();
        let mut second = LiveSession::open_journaled(storage.clone()).await.unwrap();
        second.change(peer_patch(2));
        second.flush().await.unwrap();
        first.change(peer_patch(3));
        first.flush().await.unwrap();
        let ids: Vec<_> = first.session().peers.keys().copied().collect();
        assert_eq!(
            ids,
            [PeerId::User(1), PeerId::User(2), PeerId::User(3)],
            "the first handle reloaded and holds the second's change"
        );
        first.compact().await.unwrap();
        assert_eq!(
            &storage.load_session().await.unwrap().unwrap(),
            first.session()
        );
    });
}

#[test]
fn a_replaced_slot_is_a_conflict_and_keeps_the_changes() {
    block_on(async {
        let storage = MemoryStorage::new();
        let mut live = LiveSession::open_journaled(storage.clone()).await.unwrap();
        live.change(peer_patch(1));
        live.flush().await.unwrap();
        storage.store_session(&Session::new()).await.unwrap();
        live.change(peer_patch(2));
        let err = live.flush().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(live.has_pending(), "the changes stay pending");
    });
}

#[test]
fn works_over_arc_dyn_storages() {
    block_on(async {
        let storage = MemoryStorage::new();
        let journaled: Arc<dyn JournalStorage> = Arc::new(storage.clone());
        let mut live = LiveSession::open_journaled(journaled).await.unwrap();
        live.change(peer_patch(5));
        live.flush().await.unwrap();
        let plain: Arc<dyn SessionStorage> = Arc::new(storage.clone());
        let live = LiveSession::open(plain).await.unwrap();
        assert!(live.session().peers.contains_key(&PeerId::User(5)));
    });
}

#[test]
fn a_record_of_a_newer_version_stops_compaction() {
    block_on(async {
        let storage = MemoryStorage::new();
        let position = JournalPosition {
            epoch: Epoch::random(),
            next: 0,
        };
        let snapshot = Session::new().encode_snapshot(&position).unwrap();
        storage.store(snapshot.into()).await.unwrap();
        let mut unknown = session_core::Record::encode_patch(position.epoch, &peer_patch(9))
            .unwrap()
            .to_vec();
        unknown[6] = 0xFF;
        unknown[7] = 0xFF;
        let covered = unknown.len() - 4;
        let checksum = crc32c(&unknown[..covered]);
        unknown[covered..].copy_from_slice(&checksum.to_le_bytes());
        storage
            .append(position.epoch, Bytes::from(unknown))
            .await
            .unwrap();
        let mut live = LiveSession::open_journaled(storage.clone()).await.unwrap();
        live.change(peer_patch(1));
        live.flush().await.unwrap();
        live.compact().await.unwrap();
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(journal.records.len(), 2, "the unknown record is kept");
        assert!(!live.session().peers.contains_key(&PeerId::User(9)));
    });
}

/// CRC-32C (Castagnoli), bit by bit: enough for one test record.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A memory storage whose appends fail while `failing` is set, after (optionally) landing: a storage that
/// lost its connection with the outcome unknown.
#[derive(Debug)]
struct Flaky {
    inner: MemoryStorage,
    failing: AtomicBool,
    land_anyway: bool,
}

#[async_trait]
impl SessionStorage for Flaky {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        self.inner.load().await
    }
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.inner.store(data).await
    }
}

#[async_trait]
impl JournalStorage for Flaky {
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        self.inner.load_journal().await
    }
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            if self.land_anyway {
                self.inner.append(epoch, record).await?;
            }
            return Err(
                StorageError::new(ErrorKind::Unavailable, "flaky", "gone").with_unknown_outcome()
            );
        }
        self.inner.append(epoch, record).await
    }
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.inner.compact(snapshot, position).await
    }
}

#[test]
fn a_failed_flush_keeps_its_changes_and_a_retry_is_harmless() {
    for land_anyway in [false, true] {
        block_on(async {
            let inner = MemoryStorage::new();
            let flaky = Arc::new(Flaky {
                inner: inner.clone(),
                failing: AtomicBool::new(false),
                land_anyway,
            });
            let mut live = LiveSession::open_journaled(Arc::clone(&flaky))
                .await
                .unwrap();
            live.change(peer_patch(1));
            live.flush().await.unwrap();
            flaky.failing.store(true, Ordering::SeqCst);
            live.change(peer_patch(2));
            assert!(live.flush().await.is_err());
            assert!(live.has_pending());
            flaky.failing.store(false, Ordering::SeqCst);
            live.change(peer_patch(3));
            live.flush().await.unwrap();
            let stored = inner.load_session().await.unwrap().unwrap();
            assert_eq!(&stored, live.session(), "landed anyway: {land_anyway}");
            assert_eq!(stored.peers.len(), 3);
        });
    }
}

/// A `LiveSession` over a [`Leased`](session_core::Leased) storage writes under the lease: once the lease is
/// broken (or taken over), its flushes fail with `Fenced` and leave the stored session as it was, and its
/// guard says the lease is lost.
#[test]
fn a_live_session_under_a_lost_lease_stops_writing() {
    use session_core::{HolderId, LeaseRequest, LeaseStorage, Leased};
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
        .block_on(async {
            let storage = MemoryStorage::new();
            let request = LeaseRequest::new(HolderId::new("bot-1").unwrap());
            let leased = Leased::acquire(storage.clone(), &request).await.unwrap();
            let mut live = LiveSession::open_journaled(leased.clone()).await.unwrap();
            live.change(peer_patch(1));
            live.flush().await.unwrap();
            live.change(peer_patch(2));
            live.flush().await.unwrap();
            let before = storage.load().await.unwrap();

            let second = LeaseRequest::new(HolderId::new("bot-2").unwrap());
            let err = Leased::acquire(storage.clone(), &second).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Held);
            assert_eq!(err.lease_held().unwrap().holder.as_str(), "bot-1");

            storage.break_lease().await.unwrap();
            live.change(peer_patch(3));
            let err = live.flush().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Fenced, "{err}");
            assert_eq!(storage.load().await.unwrap(), before);
            assert!(!leased.guard().is_valid());
            tokio::time::timeout(std::time::Duration::from_secs(1), leased.guard().lost())
                .await
                .expect("lost() completes once the lease is lost");

            let next = Leased::acquire(storage.clone(), &second).await.unwrap();
            assert!(next.guard().token() > leased.guard().token());
        });
}
