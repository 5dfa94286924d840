//! The writers' lock: writes wait for it (bounded by the lock timeout), loads never do, and the handles
//! also work outside a Tokio runtime.

use std::fs::File;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use session_core::{
    Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Version, VersionedStorage,
};
use session_file::FileStorage;

/// Locks the lock file of `storage` the way another process would.
fn hold_lock(storage: &FileStorage) -> File {
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(storage.lock_path())
        .unwrap();
    file.lock().unwrap();
    file
}

#[tokio::test]
async fn writes_time_out_while_another_writer_holds_the_lock_and_loads_do_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session"))
        .unwrap()
        .with_lock_timeout(Duration::from_millis(100));
    storage.store(Bytes::from_static(b"before")).await.unwrap();
    let lock = hold_lock(&storage);

    let started = Instant::now();
    let results = [
        storage.store(Bytes::from_static(b"x")).await,
        storage
            .store_if(
                Bytes::from_static(b"x"),
                Expect::Version(Version::of_content(b"before")),
            )
            .await
            .map(drop),
        storage.delete().await,
    ];
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.is_retryable());
        assert!(err.message().contains(".my.session.lock"), "{err}");
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        storage.load().await.unwrap().as_deref(),
        Some(&b"before"[..])
    );

    drop(lock);
    storage.store(Bytes::from_static(b"after")).await.unwrap();
    assert_eq!(
        storage.load().await.unwrap().as_deref(),
        Some(&b"after"[..])
    );
}

#[tokio::test]
async fn a_write_waits_for_the_lock_and_then_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    let lock = hold_lock(&storage);
    let releaser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(150));
        drop(lock);
    });

    let started = Instant::now();
    storage.store(Bytes::from_static(b"waited")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    releaser.join().unwrap();
    assert_eq!(
        storage.load().await.unwrap().as_deref(),
        Some(&b"waited"[..])
    );
}

/// Wakes the thread that polls the future.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor, so the future runs with no Tokio runtime around it.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[test]
fn every_operation_works_without_a_tokio_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    block_on(storage.store(Bytes::from_static(b"one"))).unwrap();
    let (data, version) = block_on(storage.load_versioned()).unwrap().unwrap();
    assert_eq!(&data[..], b"one");
    block_on(storage.store_if(Bytes::from_static(b"two"), Expect::Version(version))).unwrap();
    assert_eq!(
        block_on(storage.load()).unwrap().as_deref(),
        Some(&b"two"[..])
    );
    block_on(storage.delete()).unwrap();
    assert_eq!(block_on(storage.load()).unwrap(), None);
}
