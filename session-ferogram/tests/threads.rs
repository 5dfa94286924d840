//! `FerogramBackend`'s synchronous calls from every kind of thread a client may call them on: each call
//! must return (no deadlock, no panic) and be durable when it does.

use std::sync::mpsc;
use std::time::Duration;

use ferogram_session::{CachedPeer, PersistedSession, SessionBackend, UpdateStateChange};
use session_core::{MemoryStorage, PeerId, SessionStorageExt};
use session_ferogram::FerogramBackend;
use session_file::FileStorage;

/// Runs `work` on its own thread and fails if it does not finish in time (a deadlock).
fn within<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    match result.recv_timeout(Duration::from_secs(30)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within 30 s (deadlock)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the call panicked"),
    }
}

fn user(id: i64) -> CachedPeer {
    CachedPeer {
        id,
        access_hash: id * 1000 + 1,
        is_channel: false,
        is_chat: false,
        channel_kind: None,
        is_community: false,
    }
}

/// The calls ferogram makes, with `tag` in every value so each context's writes are told apart.
fn exercise(backend: &FerogramBackend, tag: i32) {
    let session = PersistedSession {
        home_dc_id: 2,
        ..PersistedSession::default()
    };
    backend.save(&session).unwrap();
    backend.cache_peer(&user(i64::from(tag))).unwrap();
    backend
        .apply_update_state(UpdateStateChange::Primary {
            pts: tag,
            date: 1,
            seq: 1,
        })
        .unwrap();
    backend.set_home_dc(tag % 5 + 1).unwrap();
    assert!(backend.load().unwrap().is_some());
}

/// What the storage holds: the peer and pts of `tag`.
async fn assert_stored(storage: &MemoryStorage, tag: i32) {
    let session = storage.load_session().await.unwrap().unwrap();
    assert_eq!(session.update_state.unwrap().pts, tag);
    assert_eq!(session.home_dc, Some(tag % 5 + 1));
    let peer = &session.peers[&PeerId::User(i64::from(tag))];
    assert_eq!(peer.access_hash, Some(i64::from(tag) * 1000 + 1));
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn from_a_plain_thread() {
    within("plain thread", || {
        let storage = MemoryStorage::new();
        let backend = current_thread()
            .block_on(FerogramBackend::open(storage.clone()))
            .unwrap();
        exercise(&backend, 1);
        current_thread().block_on(assert_stored(&storage, 1));
    });
}

#[test]
fn from_the_blocking_pool_as_ferogram_calls_it() {
    within("spawn_blocking", || {
        multi_thread().block_on(async {
            let storage = MemoryStorage::new();
            let backend = FerogramBackend::open(storage.clone()).await.unwrap();
            tokio::task::spawn_blocking(move || exercise(&backend, 2))
                .await
                .unwrap();
            assert_stored(&storage, 2).await;
        });
    });
}

#[test]
fn from_a_multi_thread_runtime_worker() {
    within("runtime worker", || {
        multi_thread().block_on(async {
            let storage = MemoryStorage::new();
            let backend = FerogramBackend::open(storage.clone()).await.unwrap();
            tokio::spawn(async move { exercise(&backend, 3) })
                .await
                .unwrap();
            assert_stored(&storage, 3).await;
        });
    });
}

#[test]
fn inside_a_current_thread_runtime() {
    within("current-thread runtime", || {
        current_thread().block_on(async {
            let storage = MemoryStorage::new();
            let backend = FerogramBackend::open(storage.clone()).await.unwrap();
            // Blocks the runtime's only thread while the backend's own thread writes.
            exercise(&backend, 4);
            assert_stored(&storage, 4).await;
        });
    });
}

#[test]
fn file_storage_inside_a_current_thread_runtime() {
    within("file storage, current-thread runtime", || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.tgs");
        current_thread().block_on(async {
            let backend = FerogramBackend::open(FileStorage::new(&path).unwrap())
                .await
                .unwrap();
            exercise(&backend, 5);
        });
        // A new process's view: the file holds everything.
        let session = current_thread()
            .block_on(FileStorage::new(&path).unwrap().load_session())
            .unwrap()
            .unwrap();
        assert_eq!(session.update_state.unwrap().pts, 5);
        assert!(session.peers.contains_key(&PeerId::User(5)));
    });
}

#[test]
fn concurrent_callers_each_get_their_write() {
    within("concurrent callers", || {
        let storage = MemoryStorage::new();
        let backend = current_thread()
            .block_on(FerogramBackend::open(storage.clone()))
            .unwrap();
        let threads: Vec<_> = (1..=8)
            .map(|id| {
                let backend = backend.clone();
                std::thread::spawn(move || {
                    for n in 0..10 {
                        backend.cache_peer(&user(id * 100 + n)).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(backend.load().unwrap().unwrap().peers.len(), 80);
        let stored = current_thread()
            .block_on(storage.load_session())
            .unwrap()
            .unwrap();
        assert_eq!(stored.peers.len(), 80);
    });
}

#[test]
fn load_on_an_async_task_answers_from_memory() {
    let storage = MemoryStorage::new();
    within("load in async", move || {
        current_thread().block_on(async {
            let backend = FerogramBackend::open(storage.clone()).await.unwrap();
            assert!(backend.load().unwrap().is_none());
            exercise(&backend, 6);
            drop(backend);
            // Reopened: `load` gives what was stored, without touching the storage again.
            let backend = FerogramBackend::open(storage.clone()).await.unwrap();
            let loaded = backend.load().unwrap().unwrap();
            assert_eq!(loaded.updates_state.pts, 6);
            assert_eq!(loaded.peers[0].id, 6);
        });
    });
}

#[test]
fn a_call_after_the_runtime_that_opened_it_is_gone_still_works() {
    within("runtime dropped", || {
        let storage = MemoryStorage::new();
        let backend = {
            let runtime = current_thread();
            runtime
                .block_on(FerogramBackend::open(storage.clone()))
                .unwrap()
        };
        exercise(&backend, 7);
        current_thread().block_on(assert_stored(&storage, 7));
    });
}
