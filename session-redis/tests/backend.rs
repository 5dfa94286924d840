//! What is special to Redis: the key layout, TTLs, prefixes, a server that forgot the script, keys of other
//! applications, and errors (credentials, ACLs, bad URLs, unreachable and silent servers) whose messages
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

    async fn hget(raw: &ConnectionManager, key: &[u8], field: &str) -> Option<Vec<u8>> {
        command(raw, &[b"HGET", key, field.as_bytes()]).await
    }

    async fn pttl(raw: &ConnectionManager, key: &[u8]) -> i64 {
        command(raw, &[b"PTTL", key]).await
    }

    #[tokio::test]
    async fn a_slot_is_a_hash_of_data_and_version_under_prefix_and_slot() {
        let storage = fresh_storage("layout").await;
        let raw = raw().await;
        let key = [b"tgsession:", storage.slot().as_str().as_bytes()].concat();
        assert_eq!(storage.key(), key);
        assert_eq!(storage.prefix(), b"tgsession:");

        let value = Bytes::from_static(b"\x00raw\xffbytes");
        storage.store(value.clone()).await.unwrap();
        let kind: String = command(&raw, &[b"TYPE", &key]).await;
        assert_eq!(kind, "hash");
        assert_eq!(
            hget(&raw, &key, "data").await.as_deref(),
            Some(&value[..]),
            "raw bytes"
        );
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(
            hget(&raw, &key, "version").await.as_deref(),
            Some(version.as_bytes())
        );
        assert_eq!(version.as_bytes().len(), 16);
        let fields: i64 = command(&raw, &[b"HLEN", &key]).await;
        assert_eq!(fields, 2);
        assert_eq!(pttl(&raw, &key).await, -1, "no TTL unless asked");

        storage.delete().await.unwrap();
        let exists: i64 = command(&raw, &[b"EXISTS", &key]).await;
        assert_eq!(exists, 0, "delete removes the key");
    }

    #[tokio::test]
    async fn every_write_sets_the_ttl_and_a_handle_without_one_removes_it() {
        let plain = fresh_storage("ttl").await;
        let timed = plain.clone().with_ttl(Some(Duration::from_secs(60)));
        assert_eq!(timed.ttl(), Some(Duration::from_secs(60)));
        let raw = raw().await;
        let key = plain.key().to_vec();

        timed.store(Bytes::from_static(b"a")).await.unwrap();
        let ttl = pttl(&raw, &key).await;
        assert!((1..=60_000).contains(&ttl), "PTTL after a store: {ttl}");

        plain.store(Bytes::from_static(b"b")).await.unwrap();
        assert_eq!(
            pttl(&raw, &key).await,
            -1,
            "a store without TTL persists the key"
        );

        let (_, version) = plain.load_versioned().await.unwrap().unwrap();
        timed
            .store_if(Bytes::from_static(b"c"), Expect::Version(version))
            .await
            .unwrap();
        let ttl = pttl(&raw, &key).await;
        assert!((1..=60_000).contains(&ttl), "PTTL after a store_if: {ttl}");

        let short = plain.clone().with_ttl(Some(Duration::from_millis(50)));
        short.store(Bytes::from_static(b"d")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(plain.load().await.unwrap(), None, "the key expired");
        assert_eq!(plain.load_versioned().await.unwrap(), None);
    }

    #[tokio::test]
    async fn prefixes_separate_applications_and_for_slot_keeps_the_settings() {
        let storage = fresh_storage("prefix").await;
        let other_app = storage
            .clone()
            .with_prefix("other-app/")
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

        let bare = storage.clone().with_prefix("");
        assert_eq!(bare.key(), storage.slot().as_str().as_bytes());
    }

    #[tokio::test]
    async fn a_server_that_forgot_the_script_still_accepts_writes() {
        let storage = fresh_storage("noscript").await;
        let raw = raw().await;
        storage.store(Bytes::from_static(b"a")).await.unwrap();
        let flushed: String = command(&raw, &[b"SCRIPT", b"FLUSH"]).await;
        assert_eq!(flushed, "OK");
        storage.store(Bytes::from_static(b"b")).await.unwrap();
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        let _: String = command(&raw, &[b"SCRIPT", b"FLUSH"]).await;
        storage
            .store_if(Bytes::from_static(b"c"), Expect::Version(version))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"c"[..]));
    }

    #[tokio::test]
    async fn a_key_of_another_type_is_corrupt_and_can_be_deleted() {
        let storage = fresh_storage("wrongtype").await;
        let raw = raw().await;
        let _: () = command(&raw, &[b"SET", storage.key(), b"not ours"]).await;
        for (op, _, result) in every_operation(&storage).await {
            match op {
                // `store_if(Absent)` finds the key present: a conflict, nothing written.
                "store_if" => assert_eq!(result.unwrap_err().kind(), ErrorKind::Conflict),
                "delete" => result.unwrap(),
                _ => {
                    let err = result.expect_err(op);
                    assert_eq!(err.kind(), ErrorKind::Corrupt, "{op}: {err}");
                    assert!(
                        err.message().contains(storage.slot().as_str()),
                        "{op} names the slot: {err}"
                    );
                }
            }
        }
        let _: () = command(&raw, &[b"SET", storage.key(), b"not ours"]).await;
        let elsewhere = fresh_storage("versioned").await;
        let version = elsewhere
            .store_if(Bytes::new(), Expect::Absent)
            .await
            .unwrap();
        let err = storage
            .store_if(Bytes::new(), Expect::Version(version))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        storage.delete().await.unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_foreign_hash_without_a_version_is_corrupt_for_versioned_reads() {
        let storage = fresh_storage("foreign").await;
        let raw = raw().await;
        let _: i64 = command(&raw, &[b"HSET", storage.key(), b"data", b"x"]).await;
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

        let allowed = storage.clone().with_prefix("allowed:");
        for (op, _, result) in every_operation(&allowed).await {
            result.unwrap_or_else(|err| panic!("{op} under an allowed prefix: {err}"));
        }
        user.remove().await;
    }

    #[tokio::test]
    async fn debug_shows_where_not_what() {
        let storage = fresh_storage("debug").await.with_prefix("app/");
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
