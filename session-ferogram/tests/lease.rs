//! One client per account: `open` takes the slot's lease, so a second open fails naming the holder; a lost
//! lease fails every call and wakes `lost()`; `close`, or dropping the last clone (even where no runtime
//! runs), releases it so the next open gets the slot at once.

use std::time::Duration;

use ferogram_session::SessionBackend;
use session_core::{
    ErrorKind, HolderId, LeaseOptions, LeaseRequest, LeaseStorage, MemoryStorage, SessionStorageExt,
};
use session_ferogram::FerogramBackend;

fn options(holder: &str) -> LeaseOptions {
    LeaseOptions::new(LeaseRequest::new(HolderId::new(holder).unwrap())).with_wait(Duration::ZERO)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_open_fails_naming_the_holder_until_close() {
    let storage = MemoryStorage::new();
    let first = FerogramBackend::open_with(storage.clone(), &options("bot-a"))
        .await
        .unwrap();
    let err = FerogramBackend::open_with(storage.clone(), &options("bot-b"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Held);
    assert_eq!(err.lease_held().unwrap().holder.as_str(), "bot-a");

    let backend = first.clone();
    tokio::task::spawn_blocking(move || backend.set_home_dc(4))
        .await
        .unwrap()
        .unwrap();
    first.close().await.unwrap();
    let second = FerogramBackend::open_with(storage.clone(), &options("bot-b"))
        .await
        .expect("a closed backend's lease is free at once");
    assert_eq!(second.load().unwrap().unwrap().home_dc_id, 4);
    assert!(second.lease().unwrap().token() > first.lease().unwrap().token());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lease_fails_every_call_and_wakes_lost() {
    let storage = MemoryStorage::new();
    let backend = FerogramBackend::open_with(storage.clone(), &options("bot-a"))
        .await
        .unwrap();
    let caller = backend.clone();
    tokio::task::spawn_blocking(move || caller.set_home_dc(3))
        .await
        .unwrap()
        .unwrap();
    storage.break_lease().await.unwrap();
    let caller = backend.clone();
    let err = tokio::task::spawn_blocking(move || caller.set_home_dc(5))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("fenced"), "{err}");
    assert_eq!(
        storage.load_session().await.unwrap().unwrap().home_dc,
        Some(3)
    );
    tokio::time::timeout(Duration::from_secs(1), backend.lease().unwrap().lost())
        .await
        .expect("lost() completes once a call finds the lease gone");
}

#[test]
fn dropping_the_last_clone_outside_a_runtime_releases_the_lease() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let storage = MemoryStorage::new();
    let backend = runtime
        .block_on(FerogramBackend::open_with(
            storage.clone(),
            &options("bot-a"),
        ))
        .unwrap();
    drop(backend); // no runtime here: the backend's own thread releases the lease
    let reopened = runtime.block_on(FerogramBackend::open_with(
        storage.clone(),
        &options("bot-b").with_wait(Duration::from_secs(2)),
    ));
    assert!(reopened.is_ok(), "{:?}", reopened.err());
}
