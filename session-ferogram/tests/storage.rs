//! What `FerogramBackend` stores: one small journal record per change, the stored session's other fields
//! kept, nothing changed by a failed call, deletion, and no key in `Debug` or errors.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use ferogram_session::{CachedPeer, DcEntry, DcFlags, PersistedSession, SessionBackend};
use session_core::{
    AuthKey, Bytes, DeviceInfo, Epoch, ErrorKind, Journal, JournalPosition, JournalStorage,
    MemoryStorage, Peer, PeerId, PeerKind, Session, SessionDelete, SessionStorage,
    SessionStorageExt, StorageError, User,
};
use session_ferogram::FerogramBackend;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn user(id: i64, hash: i64) -> CachedPeer {
    CachedPeer {
        id,
        access_hash: hash,
        is_channel: false,
        is_chat: false,
        channel_kind: None,
        is_community: false,
    }
}

fn dc(key: u8) -> DcEntry {
    DcEntry {
        dc_id: 2,
        addr: "149.154.167.51:443".into(),
        auth_key: Some([key; 256]),
        first_salt: 1,
        time_offset: 0,
        flags: DcFlags::NONE,
    }
}

#[test]
fn a_save_that_changes_one_peer_of_thousands_appends_one_small_record() {
    let rt = runtime();
    let storage = MemoryStorage::new();
    let backend = rt.block_on(FerogramBackend::open(storage.clone())).unwrap();
    let mut session = PersistedSession {
        home_dc_id: 2,
        dcs: vec![dc(1)],
        peers: (1..=5000).map(|id| user(id, id * 7)).collect(),
        ..PersistedSession::default()
    };
    backend.save(&session).unwrap();
    session.peers[1234].access_hash = 42;
    backend.save(&session).unwrap();
    let journal = rt.block_on(storage.load_journal()).unwrap().unwrap();
    assert_eq!(journal.records.len(), 1, "{journal:?}");
    assert!(journal.snapshot.len() > 50_000, "{journal:?}");
    assert!(journal.records[0].len() < 200, "{journal:?}");
    let stored = rt.block_on(storage.load_session()).unwrap().unwrap();
    assert_eq!(stored.peers[&PeerId::User(1235)].access_hash, Some(42));
}

#[test]
fn what_ferogram_does_not_know_stays_in_the_stored_session() {
    let rt = runtime();
    let storage = MemoryStorage::new();
    let mut original = Session {
        home_dc: Some(2),
        api_id: Some(12345),
        user: Some(User {
            id: 777,
            bot: true,
            username: Some("my_bot".into()),
            dc: Some(2),
        }),
        device: Some(DeviceInfo {
            device_model: "server".into(),
            ..DeviceInfo::default()
        }),
        ..Session::default()
    };
    original.peers.insert(
        PeerId::User(5),
        Peer {
            kind: PeerKind::Bot,
            access_hash: Some(50),
            username: Some("other_bot".into()),
            phone: None,
            min: false,
        },
    );
    rt.block_on(storage.store_session(&original)).unwrap();
    let backend = rt.block_on(FerogramBackend::open(storage.clone())).unwrap();
    let mut view = backend.load().unwrap().unwrap();
    view.peers.push(user(6, 60));
    view.dcs.push(dc(9));
    backend.save(&view).unwrap();
    let stored = rt.block_on(storage.load_session()).unwrap().unwrap();
    assert_eq!(stored.user, original.user);
    assert_eq!(stored.device, original.device);
    assert_eq!(stored.api_id, Some(12345));
    assert_eq!(
        stored.peers[&PeerId::User(5)],
        original.peers[&PeerId::User(5)]
    );
    assert_eq!(stored.peers[&PeerId::User(6)].access_hash, Some(60));
    assert_eq!(stored.auth_key(2), Some(&AuthKey::new([9; 256])));
}

/// A memory storage whose writes fail while `failing` is set.
#[derive(Debug, Clone)]
struct Flaky {
    inner: MemoryStorage,
    failing: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> Result<(), StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StorageError::new(ErrorKind::Unavailable, "flaky", "down"));
        }
        Ok(())
    }
}

#[async_trait]
impl SessionStorage for Flaky {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        self.inner.load().await
    }
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.check()?;
        self.inner.store(data).await
    }
}

#[async_trait]
impl SessionDelete for Flaky {
    async fn delete(&self) -> Result<(), StorageError> {
        self.check()?;
        self.inner.delete().await
    }
}

#[async_trait]
impl JournalStorage for Flaky {
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        self.inner.load_journal().await
    }
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.check()?;
        self.inner.append(epoch, record).await
    }
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.check()?;
        self.inner.compact(snapshot, position).await
    }
}

#[test]
fn a_failed_call_changes_nothing_and_the_next_one_works() {
    let rt = runtime();
    let storage = Flaky {
        inner: MemoryStorage::new(),
        failing: Arc::new(AtomicBool::new(false)),
    };
    let backend = rt
        .block_on(FerogramBackend::open_unleased(storage.clone()))
        .unwrap();
    let first = PersistedSession {
        home_dc_id: 2,
        dcs: vec![dc(1)],
        ..PersistedSession::default()
    };
    backend.save(&first).unwrap();
    backend.cache_peer(&user(1, 10)).unwrap();

    storage.failing.store(true, Ordering::SeqCst);
    let err = backend.cache_peer(&user(2, 20)).unwrap_err();
    assert!(err.to_string().contains("down"), "{err}");
    assert!(backend.set_home_dc(4).is_err());
    assert!(backend.delete().is_err());
    let view = backend.load().unwrap().unwrap();
    assert_eq!((view.home_dc_id, view.peers.len()), (2, 1));

    storage.failing.store(false, Ordering::SeqCst);
    backend.cache_peer(&user(3, 30)).unwrap();
    let view = backend.load().unwrap().unwrap();
    assert_eq!(view.peers.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 3]);
    let stored = rt.block_on(storage.inner.load_session()).unwrap().unwrap();
    assert_eq!(stored.home_dc, Some(2));
    let ids: Vec<_> = stored.peers.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [PeerId::User(1), PeerId::User(3)]);
}

#[test]
fn delete_empties_the_slot_and_a_save_of_an_empty_session_fills_it() {
    let rt = runtime();
    let storage = MemoryStorage::new();
    let backend = rt.block_on(FerogramBackend::open(storage.clone())).unwrap();
    backend.save(&PersistedSession::default()).unwrap();
    // An empty session is still a session: ferogram's own backends load `Some` after a save.
    assert!(rt.block_on(storage.load()).unwrap().is_some());
    assert!(backend.load().unwrap().is_some());
    let reopened = rt
        .block_on(FerogramBackend::open_unleased(storage.clone()))
        .unwrap();
    assert!(reopened.load().unwrap().is_some());
    drop(reopened);

    backend.delete().unwrap();
    assert!(backend.load().unwrap().is_none());
    assert!(rt.block_on(storage.load()).unwrap().is_none());
    backend.set_home_dc(3).unwrap();
    assert_eq!(
        rt.block_on(storage.load_session())
            .unwrap()
            .unwrap()
            .home_dc,
        Some(3)
    );
}

#[test]
fn an_address_that_is_no_ip_and_port_is_refused_with_nothing_stored() {
    let rt = runtime();
    let storage = MemoryStorage::new();
    let backend = rt.block_on(FerogramBackend::open(storage.clone())).unwrap();
    let mut entry = dc(1);
    entry.addr = "dc2.example.org:443".into();
    let err = backend.update_dc(&entry).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(backend.load().unwrap().is_none());
    assert!(rt.block_on(storage.load()).unwrap().is_none());
}

#[test]
fn keys_never_show_in_debug_or_errors() {
    let rt = runtime();
    let storage = Flaky {
        inner: MemoryStorage::new(),
        failing: Arc::new(AtomicBool::new(false)),
    };
    let backend = rt
        .block_on(FerogramBackend::open_unleased(storage.clone()))
        .unwrap();
    let session = PersistedSession {
        home_dc_id: 2,
        dcs: vec![dc(0xAB)],
        future_auth_token: Some(vec![0xCD; 32]),
        ..PersistedSession::default()
    };
    backend.save(&session).unwrap();
    storage.failing.store(true, Ordering::SeqCst);
    let changed = PersistedSession {
        home_dc_id: 3,
        ..session
    };
    let err = backend.save(&changed).unwrap_err();
    let shown = format!("{backend:?} {err} {err:?}");
    for needle in ["171", "ab, ab", "AB, AB", "205", "cdcd"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
    assert!(shown.contains("FerogramBackend"), "{shown}");
}
