//! One client per account: `open` takes the slot's lease, so a second open fails naming the holder; a lost
//! lease stops every write and wakes `lost()`; `close` releases it so the next open gets the slot at once.

use std::time::Duration;

use grammers_session::types::{PeerAuth, PeerInfo};
use grammers_session::Session as _;
use session_core::{
    ErrorKind, HolderId, LeaseOptions, LeaseRequest, LeaseStorage, MemoryStorage, SessionStorageExt,
};
use session_grammers::GrammersSession;

fn options(holder: &str) -> LeaseOptions {
    LeaseOptions::new(LeaseRequest::new(HolderId::new(holder).unwrap())).with_wait(Duration::ZERO)
}

#[tokio::test]
async fn a_second_open_of_a_held_slot_fails_naming_the_holder() {
    let storage = MemoryStorage::new();
    let first = GrammersSession::open_with(storage.clone(), &options("bot-a"))
        .await
        .unwrap();
    assert!(first.lease().unwrap().is_valid());

    let err = GrammersSession::open_with(storage.clone(), &options("bot-b"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Held);
    assert_eq!(err.lease_held().unwrap().holder.as_str(), "bot-a");
    assert!(err.to_string().contains("bot-a"), "{err}");

    first.set_home_dc_id(4).await.unwrap();
    first.close().await.unwrap();
    let second = GrammersSession::open_with(storage.clone(), &options("bot-b"))
        .await
        .expect("a closed session's lease is free at once");
    assert_eq!(second.home_dc_id().unwrap(), 4);
    assert!(second.lease().unwrap().token() > first.lease().unwrap().token());
}

#[tokio::test]
async fn a_lost_lease_stops_writes_and_wakes_lost() {
    let storage = MemoryStorage::new();
    let session = GrammersSession::open_with(storage.clone(), &options("bot-a"))
        .await
        .unwrap();
    session.set_home_dc_id(3).await.unwrap();

    // An operator breaks the lease (or another process took over after this one froze).
    storage.break_lease().await.unwrap();
    let peer = PeerInfo::User {
        id: 7,
        auth: Some(PeerAuth::from_hash(7)),
        bot: None,
        is_self: None,
    };
    session.cache_peer(peer).await.unwrap_err();
    let stored = storage.load_session().await.unwrap().unwrap();
    assert_eq!(stored.home_dc, Some(3));
    assert!(stored.peers.is_empty(), "a fenced write changed nothing");
    tokio::time::timeout(Duration::from_secs(1), session.lease().unwrap().lost())
        .await
        .expect("lost() completes once a write finds the lease gone");
}

#[tokio::test]
async fn a_dropped_session_lets_the_next_open_in_soon() {
    let storage = MemoryStorage::new();
    let first = GrammersSession::open(storage.clone()).await.unwrap();
    drop(first);
    // The default options wait briefly for the background release of a dropped session.
    GrammersSession::open(storage.clone()).await.unwrap();
}
