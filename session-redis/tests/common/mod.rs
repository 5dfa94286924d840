//! What the server tests share: the server's URL, raw commands beside the adapter, unique names, and a
//! run of every storage operation.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

use std::time::{Duration, Instant};

use session_conformance::services::setting;
use session_core::{
    Bytes, Epoch, Expect, JournalPosition, JournalStorage, Patch, Record, Session, SessionDelete,
    SessionStorage, Slot, StorageError, VersionedStorage,
};
use session_redis::redis::aio::ConnectionManager;
use session_redis::redis::{self, FromRedisValue};
use session_redis::{connect_manager, RedisStorage, Timeouts};

/// The test server's URL, from `TGSESSION_REDIS_URL`; fails the test with instructions when it is unset.
pub fn url() -> String {
    setting("TGSESSION_REDIS_URL")
}

/// The test server's URL with `credentials` (user and password) and database `db`, where given.
pub fn url_with(credentials: Option<(&str, &str)>, db: Option<u32>) -> String {
    let mut parsed = redis::parse_redis_url(&url()).expect("TGSESSION_REDIS_URL is a Redis URL");
    if let Some((user, password)) = credentials {
        parsed.set_username(user).expect("a URL with a host");
        parsed
            .set_password(Some(password))
            .expect("a URL with a host");
    }
    if let Some(db) = db {
        parsed.set_path(&format!("/{db}"));
    }
    parsed.into()
}

/// `name-<16 random hex digits>`, so parallel runs never share a key, user or slot.
pub fn unique(name: &str) -> String {
    format!("{name}-{:016x}", fastrand::u64(..))
}

/// A fresh slot named after `name`.
pub fn fresh_slot(name: &str) -> Slot {
    Slot::new(unique(name)).expect("a valid slot name")
}

/// A handle on a fresh slot of the test server, with the default settings.
pub async fn fresh_storage(name: &str) -> RedisStorage {
    RedisStorage::connect(&url(), fresh_slot(name))
        .await
        .expect("connect to the test server")
}

/// A connection for raw commands, next to the adapter.
pub async fn raw() -> ConnectionManager {
    connect_manager(&url(), Timeouts::default())
        .await
        .expect("connect to the test server")
}

/// Runs `args` as one raw command and converts the reply.
pub async fn command<T: FromRedisValue>(raw: &ConnectionManager, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("a command name"));
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(&mut raw.clone())
        .await
        .unwrap_or_else(|err| panic!("{:?} failed: {err}", String::from_utf8_lossy(args[0])))
}

/// Every operation of `storage` once (on a fresh slot, all of them succeed: the store is of a snapshot that
/// starts a journal, which the append and the compaction then use), each with how long it took and its
/// result as `Ok(())` or the error.
pub async fn every_operation(
    storage: &RedisStorage,
) -> Vec<(&'static str, Duration, Result<(), StorageError>)> {
    let mut results = Vec::new();
    let data = || Bytes::from_static(b"x");
    macro_rules! timed {
        ($name:literal, $call:expr) => {{
            let started = Instant::now();
            let result = $call.await.map(drop);
            results.push(($name, started.elapsed(), result));
        }};
    }
    let position = JournalPosition::start();
    let after = JournalPosition {
        next: position.next + 1,
        ..position
    };
    timed!("load", storage.load());
    timed!("load_versioned", storage.load_versioned());
    timed!("load_journal", storage.load_journal());
    timed!("store_if", storage.store_if(data(), Expect::Absent));
    timed!(
        "store",
        storage.store(snapshot(&Session::default(), position))
    );
    timed!(
        "append",
        storage.append(position.epoch, record(position.epoch, 2))
    );
    timed!(
        "compact",
        storage.compact(snapshot(&Session::default(), after), after)
    );
    timed!("delete", storage.delete());
    results
}

/// `session` encoded as a snapshot at `position`.
pub fn snapshot(session: &Session, position: JournalPosition) -> Bytes {
    session
        .encode_snapshot(&position)
        .expect("encode a snapshot")
        .into()
}

/// A record of `epoch` that sets the home DC to `dc`.
pub fn record(epoch: Epoch, dc: i32) -> Bytes {
    let mut patch = Patch::new();
    patch.set_home_dc(Some(dc));
    Record::encode_patch(epoch, &patch)
        .expect("encode a record")
        .into()
}
