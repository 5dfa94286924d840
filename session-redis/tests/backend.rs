//! What is special to Redis: the key layout (a data key and a version key; the journal's list is in
//! `journal.rs`), TTLs, prefixes, a server that
//! forgot the script, keys of other applications, and errors (credentials, ACLs, bad URLs, unreachable and silent servers) whose messages
//! never show a password.

mod common;

use std::time::{Duration, Instant};

use session_core::{ErrorKind, Slot, StorageError};
use session_redis::{connect_manager, RedisStorage, Timeouts};

/// Asserts that `result` failed with `kind` and that neither its message nor its `Debug` shows `secret`.
fn assert_fails_without_showing<T>(
    result: Result<T, StorageError>,
    kind: ErrorKind,
    secret: &str,
) -> StorageError {
    let Err(err) = result else {
        panic!("expected a {kind:?} error, got Ok");
    };
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.backend(), "redis");
    assert!(
        !err.to_string().contains(secret),
        "the message shows the password: {err}"
    );
    assert!(
        !format!("{err:?}").contains(secret),
        "Debug shows the password: {err:?}"
    );
    err
}

fn slot() -> Slot {
    Slot::new("main").unwrap()
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_and_hides_the_password() {
    let started = Instant::now();
    let result = RedisStorage::connect("redis://user:secret@127.0.0.1:1/", slot()).await;
    let err = assert_fails_without_showing(result, ErrorKind::Unavailable, "secret");
    assert!(err.is_retryable());
    assert!(
        err.message().contains("redis://user:***@127.0.0.1:1/"),
        "the message names the server: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "failed fast: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_bad_url_is_a_config_error_that_hides_the_password() {
    for url in [
        "redis://user:secret@[::1",
        "http://user:secret@127.0.0.1:6379/",
        "redis://user:secret@127.0.0.1:6379/not-a-number",
        "redis://user:secret@127.0.0.1:6379/?protocol=7",
    ] {
        let result = RedisStorage::connect(url, slot()).await;
        let err = assert_fails_without_showing(result, ErrorKind::Config, "secret");
        assert!(!err.is_retryable(), "{url}: {err}");
    }
}

#[tokio::test]
async fn a_silent_server_makes_connect_time_out() {
    // A listener that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let timeouts = Timeouts {
        connect: Duration::from_millis(300),
        ..Timeouts::default()
    };
    let started = Instant::now();
    let result = connect_manager(&format!("redis://:secret@127.0.0.1:{port}/"), timeouts).await;
    let err = assert_fails_without_showing(result, ErrorKind::Timeout, "secret");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_retryable());
    silent.abort();
}

/// Tests that need the Redis server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use session_core::{Bytes, Expect, SessionDelete, SessionStorage, VersionedStorage};
    use session_redis::redis::aio::ConnectionManager;

    use super::common::{
        command, every_operation, fresh_slot, fresh_storage, raw, unique, url, url_with,
    };
    use super::*;

    async fn get(raw: &ConnectionManager, key: &[u8]) -> Option<Vec<u8>> {
        command(raw, &[b"GET", key]).await
    }

    async fn pttl(raw: &ConnectionManager, key: &[u8]) -> i64 {
        command(raw, &[b"PTTL", key]).await
    }

    async fn exists(raw: &ConnectionManager, key: &[u8]) -> i64 {
        command(raw, &[b"EXISTS", key]).await
    }

    /// Replaces whatever `key` holds with a hash, a type this crate never writes.
    async fn make_hash(raw: &ConnectionManager, key: &[u8]) {
        let _: i64 = command(raw, &[b"DEL", key]).await;
        let _: i64 = command(raw, &[b"HSET", key, b"data", b"x"]).await;
    }

    /// The PTTL of the data key and of the version key of `storage`'s slot.
    async fn pttls(raw: &ConnectionManager, storage: &RedisStorage) -> [i64; 2] {
        [
            pttl(raw, storage.key()).await,
            pttl(raw, storage.version_key()).await,
        ]
    }

    #[tokio::test]
    async fn a_slot_is_a_string_of_raw_bytes_under_prefix_and_slot_with_a_version_key_beside_it() {
        let storage = fresh_storage("layout").await;
        let raw = raw().await;
        let key = [b"tgsession:", storage.slot().as_str().as_bytes()].concat();
        let version_key = [&key[..], b"#version"].concat();
        assert_eq!(storage.key(), key);
        assert_eq!(storage.version_key(), version_key);
        assert_eq!(storage.prefix(), b"tgsession:");

        let value = Bytes::from_static(b"\x00raw\xffbytes");
        storage.store(value.clone()).await.unwrap();
        for key in [&key, &version_key] {
            let kind: String = command(&raw, &[b"TYPE", key]).await;
            assert_eq!(kind, "string");
        }
        assert_eq!(
            get(&raw, &key).await.as_deref(),
            Some(&value[..]),
            "raw bytes"
        );
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(
            get(&raw, &version_key).await.as_deref(),
            Some(version.as_bytes())
        );
        assert_eq!(version.as_bytes().len(), 16);
        assert_eq!(pttls(&raw, &storage).await, [-1, -1], "no TTL unless asked");

        storage.delete().await.unwrap();
        for key in [&key, &version_key] {
            assert_eq!(exists(&raw, key).await, 0, "delete removes both keys");
        }
    }

    #[tokio::test]
    async fn every_write_sets_the_ttl_of_both_keys_and_a_handle_without_one_removes_it() {
        let plain = fresh_storage("ttl").await;
        let timed = plain.clone().with_ttl(Some(Duration::from_secs(60)));
        assert_eq!(timed.ttl(), Some(Duration::from_secs(60)));
        let raw = raw().await;
        let assert_timed = |ttls: [i64; 2], after: &str| {
            for ttl in ttls {
                assert!((1..=60_000).contains(&ttl), "PTTL after {after}: {ttls:?}");
            }
        };

        timed.store(Bytes::from_static(b"a")).await.unwrap();
        assert_timed(pttls(&raw, &plain).await, "a store");
        let data_expires: i64 = command(&raw, &[b"PEXPIRETIME", plain.key()]).await;
        let version_expires: i64 = command(&raw, &[b"PEXPIRETIME", plain.version_key()]).await;
        assert!(
            version_expires >= data_expires,
            "the version key outlives its data key: {version_expires} < {data_expires}"
        );

        plain.store(Bytes::from_static(b"b")).await.unwrap();
        assert_eq!(
            pttls(&raw, &plain).await,
            [-1, -1],
            "a store without TTL persists both keys"
        );

        let (_, version) = plain.load_versioned().await.unwrap().unwrap();
        let version = timed
            .store_if(Bytes::from_static(b"c"), Expect::Version(version))
            .await
            .unwrap();
        assert_timed(pttls(&raw, &plain).await, "a store_if");
        plain
            .store_if(Bytes::from_static(b"d"), Expect::Version(version))
            .await
            .unwrap();
        assert_eq!(
            pttls(&raw, &plain).await,
            [-1, -1],
            "a store_if without TTL persists both keys"
        );

        let short = plain.clone().with_ttl(Some(Duration::from_millis(50)));
        short.store(Bytes::from_static(b"e")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(plain.load().await.unwrap(), None, "the keys expired");
        assert_eq!(plain.load_versioned().await.unwrap(), None);
        for key in [plain.key(), plain.version_key()] {
            assert_eq!(exists(&raw, key).await, 0);
        }
    }

    #[tokio::test]
    async fn prefixes_separate_applications_and_for_slot_keeps_the_settings() {
        let storage = fresh_storage("prefix").await;
        let other_app = storage
            .clone()
            .with_prefix("other-app/")
            .unwrap()
            .with_ttl(Some(Duration::from_secs(30)))
            .with_operation_timeout(Duration::from_secs(2));
        assert_eq!(
            other_app.key(),
            [b"other-app/", storage.slot().as_str().as_bytes()].concat()
        );

        storage.store(Bytes::from_static(b"ours")).await.unwrap();
        assert_eq!(other_app.load().await.unwrap(), None);
        other_app
            .store(Bytes::from_static(b"theirs"))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"ours"[..]));

        let sibling = other_app.for_slot(fresh_slot("sibling"));
        assert_eq!(sibling.prefix(), b"other-app/");
        assert_eq!(sibling.ttl(), Some(Duration::from_secs(30)));
        assert_eq!(sibling.operation_timeout(), Duration::from_secs(2));
        assert_eq!(sibling.load().await.unwrap(), None);

        let bare = storage.clone().with_prefix("").unwrap();
        assert_eq!(bare.key(), storage.slot().as_str().as_bytes());
        assert_eq!(
            bare.version_key(),
            [storage.slot().as_str().as_bytes(), b"#version"].concat()
        );
    }

    #[tokio::test]
    async fn a_server_that_forgot_the_script_still_accepts_conditional_writes() {
        let storage = fresh_storage("noscript").await;
        let raw = raw().await;
        let version = storage
            .store_if(Bytes::from_static(b"a"), Expect::Absent)
            .await
            .unwrap();
        let flushed: String = command(&raw, &[b"SCRIPT", b"FLUSH"]).await;
        assert_eq!(flushed, "OK");
        storage
            .store_if(Bytes::from_static(b"b"), Expect::Version(version))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"b"[..]));
    }

    #[tokio::test]
    async fn a_key_of_another_type_is_corrupt_for_reads_and_replaced_by_writes() {
        let storage = fresh_storage("wrongtype").await;
        let raw = raw().await;
        make_hash(&raw, storage.key()).await;
        for (op, _, result) in every_operation(&storage).await {
            match op {
                "load" | "load_versioned" | "load_journal" => {
                    let err = result.expect_err(op);
                    assert_eq!(err.kind(), ErrorKind::Corrupt, "{op}: {err}");
                    assert!(
                        err.message().contains(storage.slot().as_str()),
                        "{op} names the slot: {err}"
                    );
                }
                // `store_if(Absent)` finds the key present: a conflict, nothing written.
                "store_if" => assert_eq!(result.unwrap_err().kind(), ErrorKind::Conflict),
                _ => result.unwrap_or_else(|err| panic!("{op}: {err}")),
            }
        }

        make_hash(&raw, storage.key()).await;
        storage.store(Bytes::from_static(b"ours")).await.unwrap();
        assert_eq!(
            get(&raw, storage.key()).await.as_deref(),
            Some(&b"ours"[..])
        );

        make_hash(&raw, storage.version_key()).await;
        let err = storage.load_versioned().await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Corrupt,
            "a foreign version key: {err}"
        );
        storage.delete().await.unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_data_key_without_a_version_key_is_corrupt_for_versioned_reads() {
        let storage = fresh_storage("foreign").await;
        let raw = raw().await;
        let _: () = command(&raw, &[b"SET", storage.key(), b"x"]).await;
        assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"x"[..]));
        let err = storage.load_versioned().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        let conflict = storage
            .store_if(Bytes::new(), Expect::Absent)
            .await
            .unwrap_err();
        assert_eq!(conflict.kind(), ErrorKind::Conflict);
        storage.store(Bytes::from_static(b"ours")).await.unwrap();
        assert!(storage.load_versioned().await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_version_key_without_its_data_key_is_ignored_and_replaced() {
        let storage = fresh_storage("leftover").await;
        let raw = raw().await;
        let leftover = storage
            .store_if(Bytes::from_static(b"a"), Expect::Absent)
            .await
            .unwrap();
        let _: i64 = command(&raw, &[b"DEL", storage.key()]).await;
        assert_eq!(storage.load().await.unwrap(), None);
        assert_eq!(storage.load_versioned().await.unwrap(), None);
        let err = storage
            .store_if(Bytes::from_static(b"b"), Expect::Version(leftover))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "the slot is absent: {err}");
        let version = storage
            .store_if(Bytes::from_static(b"c"), Expect::Absent)
            .await
            .unwrap();
        assert_eq!(
            storage.load_versioned().await.unwrap(),
            Some((Bytes::from_static(b"c"), version))
        );
    }

    #[tokio::test]
    async fn wrong_credentials_are_permission_denied_and_hidden() {
        let user = unique("nobody");
        let bad = url_with(Some((&user, "secret-pw")), None);
        let result = RedisStorage::connect(&bad, fresh_slot("auth")).await;
        let err = assert_fails_without_showing(result, ErrorKind::PermissionDenied, "secret-pw");
        assert!(err.message().contains(&format!("{user}:***@")), "{err}");
    }

    #[tokio::test]
    async fn a_database_the_server_does_not_have_is_a_config_error() {
        let url = url_with(None, Some(9999));
        let result = RedisStorage::connect(&url, fresh_slot("db")).await;
        let err = assert_fails_without_showing(result, ErrorKind::Config, "secret");
        assert!(err.message().contains("/9999"), "names the URL: {err}");
    }

    /// An ACL user that may touch only keys under `allowed:`.
    struct AclUser {
        raw: ConnectionManager,
        name: String,
    }

    impl AclUser {
        /// Creates the user with password `pw`.
        async fn create(pw: &str) -> AclUser {
            let raw = raw().await;
            let name = unique("tgs-acl");
            let password = format!(">{pw}");
            let _: () = command(
                &raw,
                &[
                    b"ACL",
                    b"SETUSER",
                    name.as_bytes(),
                    b"on",
                    password.as_bytes(),
                    b"~allowed:*",
                    b"+@all",
                ],
            )
            .await;
            AclUser { raw, name }
        }

        /// The test server's URL with the user's name and `pw`.
        fn url(&self, pw: &str) -> String {
            url_with(Some((&self.name, pw)), None)
        }

        /// Deletes the user.
        async fn remove(self) {
            let removed: i64 =
                command(&self.raw, &[b"ACL", b"DELUSER", self.name.as_bytes()]).await;
            assert_eq!(removed, 1);
        }
    }

    #[tokio::test]
    async fn acl_users_work_and_denied_keys_are_permission_denied() {
        let user = AclUser::create("acl-secret").await;
        let storage = RedisStorage::connect(&user.url("acl-secret"), fresh_slot("acl"))
            .await
            .unwrap();
        let debug = format!("{storage:?}");
        assert!(!debug.contains("acl-secret"), "{debug}");
        assert!(debug.contains(&format!("{}:***@", user.name)), "{debug}");

        for (op, _, result) in every_operation(&storage).await {
            let err = result.expect_err(op);
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{op}: {err}");
            assert!(!err.to_string().contains("acl-secret"));
        }

        let allowed = storage.clone().with_prefix("allowed:").unwrap();
        for (op, _, result) in every_operation(&allowed).await {
            result.unwrap_or_else(|err| panic!("{op} under an allowed prefix: {err}"));
        }
        user.remove().await;
    }

    #[tokio::test]
    async fn a_prefix_with_a_hash_is_refused_so_no_slot_can_overwrite_another_slots_version() {
        let storage = fresh_storage("hash-prefix").await;
        for prefix in ["app#", "#", "a#version", "x#y:"] {
            let err = storage.clone().with_prefix(prefix).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{prefix}: {err}");
            assert!(err.message().contains('#'), "{err}");
        }
        // What the refusal prevents: with prefix `a#` and slot `version`, the session bytes would be written
        // to `a#version`, which is the version key of slot `a` under the empty prefix.
        let bare = storage.clone().with_prefix("").unwrap();
        assert_eq!(
            bare.for_slot(Slot::new("a").unwrap()).version_key(),
            b"a#version"
        );
    }

    #[tokio::test]
    async fn debug_shows_where_not_what() {
        let storage = fresh_storage("debug").await.with_prefix("app/").unwrap();
        storage
            .store(Bytes::from_static(b"SECRET-AUTH-KEY-BYTES"))
            .await
            .unwrap();
        let debug = format!("{storage:?}");
        assert_eq!(
            debug,
            format!(
                "RedisStorage {{ server: {:?}, slot: {:?}, prefix: \"app/\", ttl: None, operation_timeout: 5s }}",
                url(),
                storage.slot().as_str()
            )
        );
        let built = RedisStorage::new(raw().await, storage.slot().clone());
        assert!(format!("{built:?}").contains("server: \"<a ConnectionManager>\""));
        let conflict = storage
            .store_if(Bytes::new(), Expect::Absent)
            .await
            .unwrap_err();
        assert!(!format!("{conflict:?}").contains("SECRET"));
    }
}
