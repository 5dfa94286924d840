//! What is stored when: keys and the home DC before their futures complete, peers and update state either
//! then or within the write window; what the bridge keeps of what grammers does not know; secrets in Debug.

use std::time::Duration;

use grammers_session::types::{PeerAuth, PeerId as GPeerId, PeerInfo, UpdateState};
use grammers_session::Session as _;
use session_core::{
    AuthKey, DcEntry, MemoryStorage, Peer, PeerId, PeerKind, Session, SessionStorageExt, User,
};
use session_grammers::GrammersSession;

fn user(id: i64, hash: i64) -> PeerInfo {
    PeerInfo::User {
        id,
        auth: Some(PeerAuth::from_hash(hash)),
        bot: None,
        is_self: None,
    }
}

/// What any reader of the slot sees now.
async fn stored(storage: &MemoryStorage) -> Session {
    storage.load_session().await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn every_change_is_stored_before_its_future_completes_without_a_window() {
    let storage = MemoryStorage::new();
    let session = GrammersSession::open(storage.clone()).await.unwrap();

    let mut option = session.dc_option(2).unwrap().unwrap();
    option.auth_key = Some([5; 256]);
    session.set_dc_option(&option).await.unwrap();
    assert_eq!(
        stored(&storage).await.auth_key(2),
        Some(&AuthKey::new([5; 256]))
    );

    session.set_home_dc_id(5).await.unwrap();
    assert_eq!(stored(&storage).await.home_dc, Some(5));

    session.cache_peer(user(42, 7)).await.unwrap();
    let peer = stored(&storage).await.peers.get(&PeerId::User(42)).cloned();
    assert_eq!(peer.and_then(|peer| peer.access_hash), Some(7));

    session
        .set_update_state(UpdateState::Channel { id: 9, pts: 100 })
        .await
        .unwrap();
    assert_eq!(
        stored(&storage).await.update_state.unwrap().channels[&9],
        100
    );
    assert!(!session.has_pending().await.unwrap());
}

#[tokio::test]
async fn a_write_window_coalesces_peers_and_keeps_keys_durable() {
    let storage = MemoryStorage::new();
    let session = GrammersSession::open(storage.clone())
        .await
        .unwrap()
        .with_write_window(Duration::from_millis(200));

    for id in 1..=50 {
        session.cache_peer(user(id, id * 10)).await.unwrap();
    }
    session
        .set_update_state(UpdateState::Secondary { qts: 3 })
        .await
        .unwrap();
    // Answered from memory at once, not stored yet.
    assert!(session
        .peer(GPeerId::user(50).unwrap())
        .await
        .unwrap()
        .is_some());
    assert!(stored(&storage).await.peers.is_empty());
    assert!(session.has_pending().await.unwrap());

    // Within the window (and some slack for a loaded machine) everything is stored, in one go.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while session.has_pending().await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "never flushed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let now = stored(&storage).await;
    assert_eq!(now.peers.len(), 50);
    assert_eq!(now.update_state.unwrap().qts, 3);

    // A key is durable before its future completes, window or not, and takes pending peers along.
    session.cache_peer(user(51, 510)).await.unwrap();
    let mut option = session.dc_option(1).unwrap().unwrap();
    option.auth_key = Some([1; 256]);
    session.set_dc_option(&option).await.unwrap();
    let now = stored(&storage).await;
    assert!(now.auth_key(1).is_some());
    assert!(now.peers.get(&PeerId::User(51)).is_some());
}

#[tokio::test]
async fn flush_stores_what_the_window_holds_and_drop_loses_it() {
    let storage = MemoryStorage::new();
    let session = GrammersSession::open(storage.clone())
        .await
        .unwrap()
        .with_write_window(Duration::from_secs(3600));
    session.cache_peer(user(1, 10)).await.unwrap();
    session.flush().await.unwrap();
    assert!(stored(&storage).await.peers.get(&PeerId::User(1)).is_some());

    session.cache_peer(user(2, 20)).await.unwrap();
    drop(session);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        stored(&storage).await.peers.get(&PeerId::User(2)).is_none(),
        "dropping starts no write"
    );
}

#[tokio::test]
async fn what_grammers_does_not_know_is_kept() {
    let storage = MemoryStorage::new();
    let mut before = Session::new();
    before.home_dc = Some(2);
    before.api_id = Some(12345);
    before.user = Some(User {
        id: 42,
        bot: false,
        username: Some("me".into()),
        dc: Some(2),
    });
    let mut dc = DcEntry::new(2);
    dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
    dc.auth_key = Some(AuthKey::new([3; 256]));
    dc.server_salt = 77;
    dc.time_offset = -3;
    before.dcs.push(dc);
    let mut media = DcEntry::new(2);
    media.flags.media_only = true;
    media.ipv4 = Some("149.154.167.151:443".parse().unwrap());
    before.dcs.push(media.clone());
    before.peers.insert(
        PeerId::User(42),
        Peer {
            kind: PeerKind::User,
            access_hash: Some(1),
            username: Some("me".into()),
            ..Peer::default()
        },
    );
    before.peers.insert(
        PeerId::Channel(7),
        Peer {
            kind: PeerKind::Megagroup,
            access_hash: Some(99),
            username: Some("group".into()),
            min: true,
            ..Peer::default()
        },
    );
    storage.store_session(&before).await.unwrap();

    let session = GrammersSession::open(storage.clone()).await.unwrap();
    // The logged-in user is grammers' self user; a min hash is not offered.
    let me = session.peer(GPeerId::self_user()).await.unwrap().unwrap();
    assert_eq!(
        me,
        PeerInfo::User {
            id: 42,
            auth: Some(PeerAuth::from_hash(1)),
            bot: Some(false),
            is_self: Some(true)
        }
    );
    let channel = GPeerId::channel(7).unwrap();
    assert_eq!(session.peer_ref(channel).await.unwrap(), None);
    // An address the entry lacks is grammers' known one for the DC; the key is the stored one.
    let option = session.dc_option(2).unwrap().unwrap();
    assert_eq!(option.ipv4.to_string(), "149.154.167.51:443");
    assert_eq!(option.auth_key, Some([3; 256]));

    // grammers changes what it knows; the rest stays.
    session.cache_peer(user(42, 2)).await.unwrap();
    session
        .cache_peer(PeerInfo::Channel {
            id: 7,
            auth: None,
            kind: None,
        })
        .await
        .unwrap();
    session.set_dc_option(&option).await.unwrap();
    let after = stored(&storage).await;
    assert_eq!(after.api_id, Some(12345));
    assert_eq!(after.user.as_ref().unwrap().username.as_deref(), Some("me"));
    let me = &after.peers[&PeerId::User(42)];
    assert_eq!(
        (me.access_hash, me.username.as_deref()),
        (Some(2), Some("me"))
    );
    let group = &after.peers[&PeerId::Channel(7)];
    assert_eq!(
        (
            group.kind,
            group.access_hash,
            group.min,
            group.username.as_deref()
        ),
        (PeerKind::Megagroup, Some(99), true, Some("group"))
    );
    let main = after
        .dcs
        .iter()
        .find(|dc| dc.id == 2 && !dc.flags.media_only)
        .unwrap();
    assert_eq!(
        (main.server_salt, main.time_offset),
        (77, -3),
        "same key: salt kept"
    );
    assert!(after.dcs.contains(&media));

    // A real hash replaces the min one.
    session
        .cache_peer(PeerInfo::Channel {
            id: 7,
            auth: Some(PeerAuth::from_hash(5)),
            kind: None,
        })
        .await
        .unwrap();
    let group = &stored(&storage).await.peers[&PeerId::Channel(7)];
    assert_eq!((group.access_hash, group.min), (Some(5), false));
}

#[tokio::test]
async fn snapshots_storage_and_debug_without_key_bytes() {
    let storage = MemoryStorage::new();
    let session = GrammersSession::open_snapshots(storage.clone())
        .await
        .unwrap();
    let mut option = session.dc_option(3).unwrap().unwrap();
    option.auth_key = Some([0xab; 256]);
    session.set_dc_option(&option).await.unwrap();
    assert!(stored(&storage).await.auth_key(3).is_some());

    let debug = format!("{session:?}");
    assert!(debug.contains("AuthKey(id: "), "{debug}");
    assert!(!debug.contains("171, 171"), "key bytes in Debug: {debug}");
    assert!(
        !debug.to_lowercase().contains("abab"),
        "key bytes in Debug: {debug}"
    );
}
