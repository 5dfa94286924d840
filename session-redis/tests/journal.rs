//! What is special to the Redis journal: the records in a list beside the snapshot, the head in the version
//! key, versions that change with every append, TTLs on all three keys, scripts the server forgot, indices
//! past what a Lua number holds exactly, and keys that were not written by this crate.

mod common;

/// Tests that need the Redis server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use std::time::Duration;

    use session_core::{
        Bytes, Epoch, ErrorKind, Expect, JournalPosition, JournalStorage, Session, SessionDelete,
        SessionStorage, VersionedStorage,
    };
    use session_redis::redis::aio::ConnectionManager;
    use session_redis::RedisStorage;

    use super::common::{command, fresh_storage, raw, record, snapshot};

    async fn get(raw: &ConnectionManager, key: &[u8]) -> Option<Vec<u8>> {
        command(raw, &[b"GET", key]).await
    }

    async fn records(raw: &ConnectionManager, storage: &RedisStorage) -> Vec<Vec<u8>> {
        command(raw, &[b"LRANGE", storage.journal_key(), b"0", b"-1"]).await
    }

    async fn exists(raw: &ConnectionManager, key: &[u8]) -> i64 {
        command(raw, &[b"EXISTS", key]).await
    }

    /// The PTTL of the data, version and journal key.
    async fn pttls(raw: &ConnectionManager, storage: &RedisStorage) -> [i64; 3] {
        let mut out = [0; 3];
        for (ttl, key) in
            out.iter_mut()
                .zip([storage.key(), storage.version_key(), storage.journal_key()])
        {
            *ttl = command(raw, &[b"PTTL", key]).await;
        }
        out
    }

    /// A journal position of a new epoch at record `next`.
    fn at(next: u64) -> JournalPosition {
        JournalPosition {
            epoch: Epoch::random(),
            next,
        }
    }

    /// The session of `storage` as a plain load returns it, decoded with its position.
    async fn loaded(storage: &RedisStorage) -> (Session, Option<JournalPosition>) {
        let bytes = storage.load().await.unwrap().expect("a session");
        Session::decode_snapshot(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_journal_is_a_list_beside_the_snapshot_with_its_head_in_the_version_key() {
        let storage = fresh_storage("jlayout").await;
        let raw = raw().await;
        assert_eq!(storage.journal_key(), [storage.key(), b"#journal"].concat());

        let start = at(5);
        let stored = snapshot(&Session::default(), start);
        storage.store(stored.clone()).await.unwrap();
        let version = get(&raw, storage.version_key()).await.unwrap();
        assert_eq!(version.len(), 16 + 16 + 1);
        assert_eq!(&version[16..32], start.epoch.as_bytes());
        assert_eq!(&version[32..], b"5");
        assert_eq!(exists(&raw, storage.journal_key()).await, 0);

        let (one, two) = (record(start.epoch, 2), record(start.epoch, 4));
        assert_eq!(storage.append(start.epoch, one.clone()).await.unwrap(), 5);
        assert_eq!(storage.append(start.epoch, two.clone()).await.unwrap(), 6);
        assert_eq!(records(&raw, &storage).await, [one.to_vec(), two.to_vec()]);
        assert_eq!(
            get(&raw, storage.key()).await.as_deref(),
            Some(&stored[..]),
            "the data key keeps the snapshot"
        );
        assert_eq!(
            get(&raw, storage.version_key()).await.as_deref(),
            Some(&version[..]),
            "an append does not write the version key"
        );
        let (session, position) = loaded(&storage).await;
        assert_eq!(session.home_dc, Some(4));
        assert_eq!(position, Some(JournalPosition { next: 7, ..start }));

        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!((journal.base, journal.records.len()), (5, 2));
        let compacted = JournalPosition { next: 6, ..start };
        let included = Session {
            home_dc: Some(2),
            ..Session::default()
        };
        let new_snapshot = snapshot(&included, compacted);
        storage
            .compact(new_snapshot.clone(), compacted)
            .await
            .unwrap();
        assert_eq!(
            get(&raw, storage.key()).await.as_deref(),
            Some(&new_snapshot[..])
        );
        assert_eq!(records(&raw, &storage).await, [two.to_vec()]);
        let head = get(&raw, storage.version_key()).await.unwrap();
        assert_eq!(&head[16..], [&start.epoch.as_bytes()[..], b"6"].concat());
        assert_ne!(head[..16], version[..16], "a compaction writes a new token");

        storage
            .store(Bytes::from_static(b"not a snapshot"))
            .await
            .unwrap();
        assert_eq!(get(&raw, storage.version_key()).await.unwrap().len(), 16);
        assert_eq!(exists(&raw, storage.journal_key()).await, 0);
        let refused = storage.append(start.epoch, record(start.epoch, 3)).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Conflict);

        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        storage.append(start.epoch, one).await.unwrap();
        storage.delete().await.unwrap();
        for key in [storage.key(), storage.version_key(), storage.journal_key()] {
            assert_eq!(exists(&raw, key).await, 0, "delete removes all three keys");
        }
    }

    #[tokio::test]
    async fn every_append_changes_the_version_and_the_changed_version_still_works() {
        let storage = fresh_storage("jversion").await;
        let start = at(0);
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        let (_, before) = storage.load_versioned().await.unwrap().unwrap();
        storage
            .append(start.epoch, record(start.epoch, 1))
            .await
            .unwrap();
        let (value, after) = storage.load_versioned().await.unwrap().unwrap();
        assert_ne!(before, after);
        assert_eq!(Some(value), storage.load().await.unwrap());
        let stale = storage
            .store_if(Bytes::from_static(b"x"), Expect::Version(before))
            .await;
        assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);

        storage
            .append(start.epoch, record(start.epoch, 2))
            .await
            .unwrap();
        let (_, latest) = storage.load_versioned().await.unwrap().unwrap();
        let stale = storage
            .store_if(Bytes::from_static(b"x"), Expect::Version(after))
            .await;
        assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);

        let next = at(3);
        let written = storage
            .store_if(snapshot(&Session::default(), next), Expect::Version(latest))
            .await
            .unwrap();
        let (_, now) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(
            written, now,
            "store_if returns the version a load then sees"
        );
        assert_eq!(
            storage.load_journal().await.unwrap().unwrap().records.len(),
            0
        );

        storage
            .append(next.epoch, record(next.epoch, 5))
            .await
            .unwrap();
        let (_, appended) = storage.load_versioned().await.unwrap().unwrap();
        let through = JournalPosition { next: 4, ..next };
        storage
            .compact(snapshot(&Session::default(), through), through)
            .await
            .unwrap();
        let (_, compacted) = storage.load_versioned().await.unwrap().unwrap();
        for old in [&written, &appended] {
            assert_ne!(old, &compacted, "a compaction changes the version");
        }
    }

    #[tokio::test]
    async fn appends_and_compactions_set_the_ttl_of_all_three_keys() {
        let plain = fresh_storage("jttl").await;
        let timed = plain.clone().with_ttl(Some(Duration::from_secs(60)));
        let raw = raw().await;
        let assert_timed = |ttls: [i64; 3], after: &str| {
            for ttl in ttls {
                assert!((1..=60_000).contains(&ttl), "PTTL after {after}: {ttls:?}");
            }
        };
        let start = at(0);

        timed
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        timed
            .append(start.epoch, record(start.epoch, 1))
            .await
            .unwrap();
        assert_timed(pttls(&raw, &plain).await, "an append with a TTL");
        let data_expires: i64 = command(&raw, &[b"PEXPIRETIME", plain.key()]).await;
        for key in [plain.version_key(), plain.journal_key()] {
            let expires: i64 = command(&raw, &[b"PEXPIRETIME", key]).await;
            assert!(expires >= data_expires, "a key expires before its data key");
        }

        // A handle without a TTL keeps the TTLs, and gives a list it creates the data key's.
        timed
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        plain
            .append(start.epoch, record(start.epoch, 2))
            .await
            .unwrap();
        assert_timed(pttls(&raw, &plain).await, "a first append without a TTL");
        plain
            .append(start.epoch, record(start.epoch, 3))
            .await
            .unwrap();
        assert_timed(pttls(&raw, &plain).await, "an append without a TTL");

        let through = JournalPosition { next: 1, ..start };
        plain
            .compact(snapshot(&Session::default(), through), through)
            .await
            .unwrap();
        assert_eq!(
            pttls(&raw, &plain).await,
            [-1, -1, -1],
            "a compaction without a TTL persists all keys"
        );
        plain
            .append(start.epoch, record(start.epoch, 4))
            .await
            .unwrap();
        let through = JournalPosition { next: 2, ..start };
        timed
            .compact(snapshot(&Session::default(), through), through)
            .await
            .unwrap();
        assert_timed(pttls(&raw, &plain).await, "a compaction with a TTL");

        plain
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        plain
            .append(start.epoch, record(start.epoch, 5))
            .await
            .unwrap();
        assert_eq!(
            pttls(&raw, &plain).await,
            [-1, -1, -1],
            "no TTL unless asked"
        );

        // With a TTL, an append also finds out that the data key is gone.
        let _: i64 = command(&raw, &[b"DEL", plain.key()]).await;
        let refused = timed.append(start.epoch, record(start.epoch, 6)).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Conflict);
        assert_eq!(plain.load().await.unwrap(), None);

        let short = plain.clone().with_ttl(Some(Duration::from_millis(50)));
        short
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        short
            .append(start.epoch, record(start.epoch, 7))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            plain.load_journal().await.unwrap(),
            None,
            "the keys expired"
        );
        for key in [plain.key(), plain.version_key(), plain.journal_key()] {
            assert_eq!(exists(&raw, key).await, 0);
        }
    }

    #[tokio::test]
    async fn a_server_that_forgot_the_scripts_still_appends_and_compacts() {
        let storage = fresh_storage("jnoscript").await;
        let raw = raw().await;
        let start = at(0);
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        let flushed: String = command(&raw, &[b"SCRIPT", b"FLUSH"]).await;
        assert_eq!(flushed, "OK");
        storage
            .append(start.epoch, record(start.epoch, 1))
            .await
            .unwrap();
        let _: String = command(&raw, &[b"SCRIPT", b"FLUSH"]).await;
        let through = JournalPosition { next: 1, ..start };
        storage
            .compact(snapshot(&Session::default(), through), through)
            .await
            .unwrap();
        assert_eq!(storage.load_journal().await.unwrap().unwrap().base, 1);
    }

    /// Appends three records after a snapshot at `base`, checks their indices, and compacts through the
    /// second: the scripts compute with Lua numbers (doubles), which hold integers exactly only below 2^53.
    async fn count_from(storage: &RedisStorage, base: u64) {
        let start = at(base);
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        for n in 0..3 {
            let index = storage.append(start.epoch, record(start.epoch, 1)).await;
            assert_eq!(index.unwrap(), base + n, "append #{n} after {base}");
        }
        let past = JournalPosition {
            next: base + 4,
            ..start
        };
        let refused = storage
            .compact(snapshot(&Session::default(), past), past)
            .await;
        assert_eq!(
            refused.unwrap_err().kind(),
            ErrorKind::Conflict,
            "past {base} + 3"
        );
        let behind = JournalPosition {
            next: base - 1,
            ..start
        };
        let refused = storage
            .compact(snapshot(&Session::default(), behind), behind)
            .await;
        assert_eq!(
            refused.unwrap_err().kind(),
            ErrorKind::Conflict,
            "behind {base}"
        );
        let through = JournalPosition {
            next: base + 2,
            ..start
        };
        storage
            .compact(snapshot(&Session::default(), through), through)
            .await
            .unwrap();
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(
            (journal.base, journal.records.len()),
            (base + 2, 1),
            "after {base}"
        );
        let index = storage.append(start.epoch, record(start.epoch, 1)).await;
        assert_eq!(index.unwrap(), base + 3);
    }

    #[tokio::test]
    async fn indices_are_exact_where_lua_numbers_are_not() {
        let storage = fresh_storage("jlarge").await;
        let exact = 1 << 53;
        for base in [
            999_999_999,
            1_000_000_000,
            exact - (1 << 32) - 2,
            exact - (1 << 32) - 1,
            exact - 2,
            exact + 1,
            u64::MAX - 10,
        ] {
            count_from(&storage, base).await;
        }
    }

    #[tokio::test]
    async fn journal_keys_this_crate_did_not_write_are_corrupt_until_the_next_store() {
        let storage = fresh_storage("jforeign").await;
        let raw = raw().await;
        let start = at(0);

        // Records without a head: the version key says the slot has no journal.
        storage
            .store(Bytes::from_static(b"stored whole"))
            .await
            .unwrap();
        let _: i64 = command(&raw, &[b"RPUSH", storage.journal_key(), b"stray"]).await;
        for result in [
            storage.load().await.map(drop),
            storage.load_versioned().await.map(drop),
            storage.load_journal().await.map(drop),
        ] {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::Corrupt);
        }
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        assert_eq!(
            storage.load_journal().await.unwrap().unwrap().records.len(),
            0
        );

        // A journal key of another type.
        let _: () = command(&raw, &[b"SET", storage.journal_key(), b"x"]).await;
        let err = storage.load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        let err = storage
            .append(start.epoch, record(start.epoch, 1))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        storage
            .append(start.epoch, record(start.epoch, 1))
            .await
            .unwrap();

        // A record that does not decode.
        let _: i64 = command(&raw, &[b"RPUSH", storage.journal_key(), b"SECRET-BYTES"]).await;
        let err = storage.load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        assert!(err.message().contains(storage.slot().as_str()), "{err}");
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(
            journal.records.len(),
            2,
            "load_journal returns what is there"
        );
        storage.delete().await.unwrap();
    }

    #[tokio::test]
    async fn refusals_say_why_and_never_show_the_record() {
        let storage = fresh_storage("jrefusal").await;
        let start = at(0);
        let secret = Bytes::from_static(b"SECRET-RECORD-BYTES");
        let absent = storage
            .append(start.epoch, secret.clone())
            .await
            .unwrap_err();
        assert!(absent.message().contains("absent"), "{absent}");
        storage
            .store(Bytes::from_static(b"stored whole"))
            .await
            .unwrap();
        let whole = storage
            .append(start.epoch, secret.clone())
            .await
            .unwrap_err();
        assert!(whole.message().contains("no journal"), "{whole}");
        storage
            .store(snapshot(&Session::default(), start))
            .await
            .unwrap();
        let other = Epoch::random();
        let replaced = storage.append(other, secret).await.unwrap_err();
        assert!(replaced.message().contains("replaced"), "{replaced}");
        let mismatched = storage
            .compact(snapshot(&Session::default(), at(1)), start)
            .await
            .unwrap_err();
        assert_eq!(mismatched.kind(), ErrorKind::InvalidInput, "{mismatched}");
        for err in [absent, whole, replaced, mismatched] {
            assert_eq!(err.backend(), "redis");
            assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
        }
    }
}
