//! The same handle survives the server going away: while Redis is stopped every call fails within a few
//! milliseconds with `Unavailable` (or `Timeout`), and once it is back the very first call succeeds, on the
//! same `RedisStorage`, without rebuilding it. A server that stops answering makes calls time out.
//!
//! These tests stop or pause the shared test server, so they live in their own test binary (cargo runs test
//! binaries one after another) and take turns within it.

mod common;

/// Tests that need the Redis server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use session_conformance::services;
    use session_core::{
        Bytes, ErrorKind, Expect, FencedWrite, HolderId, JournalPosition, JournalStorage,
        LeaseRequest, LeaseStorage, Session, SessionStorage, VersionedStorage,
    };
    use session_redis::{RedisStorage, Timeouts};
    use tokio::runtime::Runtime;

    use super::common::{
        command, every_operation, fresh_slot, fresh_storage, raw, record, snapshot, url,
    };

    /// The tests of this file disturb the server: one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// How long a call may take while the server is down.
    const PROMPT: Duration = Duration::from_secs(5);

    /// The Redis test server, stopped until this is dropped (also when an assertion fails).
    struct Stopped;

    impl Stopped {
        fn stop() -> Stopped {
            services::stop("redis");
            Stopped
        }
    }

    impl Drop for Stopped {
        fn drop(&mut self) {
            // A panic while unwinding would abort the test run; report a failed start instead.
            if std::panic::catch_unwind(|| services::start("redis")).is_err() {
                eprintln!("could not start the Redis test server again");
            }
        }
    }

    fn runtime() -> Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Asserts that every operation fails promptly with `Unavailable` or `Timeout`, without a panic.
    fn assert_every_operation_fails_fast(runtime: &Runtime, storage: &RedisStorage, when: &str) {
        for (op, took, result) in runtime.block_on(every_operation(storage)) {
            let err = result.expect_err(op);
            assert!(
                matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
                "{op} {when}: {err}"
            );
            assert!(err.is_retryable());
            assert!(took < PROMPT, "{op} {when} took {took:?}");
        }
    }

    /// A handle on a fresh slot whose calls give up after `limit`.
    fn impatient_storage(runtime: &Runtime, name: &str, limit: Duration) -> RedisStorage {
        let timeouts = Timeouts {
            operation: limit,
            ..Timeouts::default()
        };
        runtime
            .block_on(RedisStorage::connect_with(
                &url(),
                fresh_slot(name),
                timeouts,
            ))
            .unwrap()
    }

    /// Makes the server stop answering every client for `pause` (`CLIENT PAUSE ... ALL`); returns when
    /// the pause began.
    fn pause_server(runtime: &Runtime, pause: Duration) -> Instant {
        runtime.block_on(async {
            let raw = raw().await;
            let millis = pause.as_millis().to_string();
            let _: () = command(&raw, &[b"CLIENT", b"PAUSE", millis.as_bytes(), b"ALL"]).await;
        });
        Instant::now()
    }

    #[test]
    fn calls_fail_fast_while_the_server_is_down_and_the_same_handle_works_after_it_is_back() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let storage = runtime.block_on(fresh_storage("restart"));
        let before = runtime.block_on(async {
            storage.store(Bytes::from_static(b"before")).await.unwrap();
            storage.load_versioned().await.unwrap().unwrap().1
        });

        let stopped = Stopped::stop();
        for round in 1..=3 {
            assert_every_operation_fails_fast(
                &runtime,
                &storage,
                &format!("in round {round} while down"),
            );
        }
        let started = Instant::now();
        let connect = runtime.block_on(RedisStorage::connect(&url(), fresh_slot("down")));
        assert_eq!(connect.unwrap_err().kind(), ErrorKind::Unavailable);
        assert!(
            started.elapsed() < PROMPT,
            "connect took {:?}",
            started.elapsed()
        );
        drop(stopped);

        runtime.block_on(async {
            // The server keeps nothing on disk, so it is back empty; the first call already works.
            assert_eq!(
                storage.load().await.unwrap(),
                None,
                "the first call after the restart"
            );
            // The server lost the write script too: it is loaded again.
            let after = storage
                .store_if(Bytes::from_static(b"after"), Expect::Absent)
                .await
                .unwrap();
            assert_ne!(after, before);
            let stale = storage
                .store_if(Bytes::from_static(b"x"), Expect::Version(before))
                .await;
            assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);
            assert_eq!(
                storage.load().await.unwrap().as_deref(),
                Some(&b"after"[..])
            );
        });
    }

    #[test]
    fn a_handle_whose_connection_died_unnoticed_works_on_the_first_call() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let storage = runtime.block_on(fresh_storage("unnoticed"));
        runtime
            .block_on(storage.store(Bytes::from_static(b"x")))
            .unwrap();

        // No call while the server is down: the handle still holds the dead connection.
        drop(Stopped::stop());

        runtime.block_on(async {
            assert_eq!(
                storage.load().await.unwrap(),
                None,
                "the first call after the restart"
            );
            for (op, _, result) in every_operation(&storage).await {
                result.unwrap_or_else(|err| panic!("{op} after the restart: {err}"));
            }
        });
    }

    #[test]
    fn a_write_that_timed_out_says_its_outcome_is_unknown_and_may_land_later() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let storage = impatient_storage(&runtime, "late", Duration::from_millis(300));
        runtime
            .block_on(storage.store(Bytes::from_static(b"before")))
            .unwrap();

        let pause = Duration::from_millis(1500);
        let paused = pause_server(&runtime, pause);
        let (write, read) = runtime.block_on(async {
            (
                storage
                    .store(Bytes::from_static(b"late"))
                    .await
                    .unwrap_err(),
                storage.load().await.unwrap_err(),
            )
        });
        assert!(
            paused.elapsed() < pause,
            "the calls ran while the server was paused"
        );
        assert_eq!(write.kind(), ErrorKind::Timeout, "{write}");
        assert!(write.outcome_unknown(), "{write}");
        assert!(
            write
                .to_string()
                .contains("may or may not have been applied"),
            "{write}"
        );
        assert!(write.to_string().contains("load_versioned"), "{write}");
        assert!(!read.outcome_unknown(), "a read changes nothing: {read}");

        // The server resumes and applies the write the caller already saw fail: what the error warned of.
        std::thread::sleep(pause.saturating_sub(paused.elapsed()) + Duration::from_millis(300));
        let now = runtime.block_on(storage.load_versioned()).unwrap().unwrap();
        assert_eq!(&now.0[..], b"late");
    }

    #[test]
    fn an_append_that_timed_out_says_its_outcome_is_unknown_and_may_land_later() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let storage = impatient_storage(&runtime, "late-append", Duration::from_millis(300));
        let start = JournalPosition::start();
        runtime
            .block_on(storage.store(snapshot(&Session::default(), start)))
            .unwrap();

        let pause = Duration::from_millis(1500);
        let paused = pause_server(&runtime, pause);
        let (append, read) = runtime.block_on(async {
            (
                storage
                    .append(start.epoch, record(start.epoch, 4))
                    .await
                    .unwrap_err(),
                storage.load_journal().await.unwrap_err(),
            )
        });
        assert!(
            paused.elapsed() < pause,
            "the calls ran while the server was paused"
        );
        assert_eq!(append.kind(), ErrorKind::Timeout, "{append}");
        assert!(append.outcome_unknown(), "{append}");
        assert!(!read.outcome_unknown(), "a read changes nothing: {read}");

        // The server resumes and appends the record the caller already saw fail: what the error warned of.
        std::thread::sleep(pause.saturating_sub(paused.elapsed()) + Duration::from_millis(300));
        let journal = runtime.block_on(storage.load_journal()).unwrap().unwrap();
        assert_eq!(journal.records, [record(start.epoch, 4)]);
    }

    #[test]
    fn a_server_that_stops_answering_makes_calls_time_out() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let limit = Duration::from_millis(300);
        let storage = impatient_storage(&runtime, "pause", limit);
        assert_eq!(storage.operation_timeout(), limit);

        let pause = Duration::from_millis(2500);
        let paused = pause_server(&runtime, pause);
        for (op, took, result) in runtime.block_on(every_operation(&storage)) {
            let err = result.expect_err(op);
            assert_eq!(err.kind(), ErrorKind::Timeout, "{op}: {err}");
            assert!(took < limit * 3, "{op} took {took:?}");
        }
        assert!(
            paused.elapsed() < pause,
            "the calls ran while the server was paused"
        );

        std::thread::sleep(pause.saturating_sub(paused.elapsed()) + Duration::from_millis(200));
        runtime.block_on(async {
            storage
                .store(Bytes::from_static(b"answered"))
                .await
                .unwrap();
            assert_eq!(
                storage.load().await.unwrap().as_deref(),
                Some(&b"answered"[..])
            );
        });
    }

    #[test]
    fn fencing_tokens_keep_growing_across_a_restart_that_lost_the_lease() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = runtime();
        let storage = runtime.block_on(fresh_storage("lease-restart"));
        let request = LeaseRequest::new(HolderId::new("before").unwrap());
        let before = runtime.block_on(async {
            let first = storage.acquire_lease(&request).await.unwrap();
            storage.release_lease(first.token).await.unwrap();
            let second = storage.acquire_lease(&request).await.unwrap();
            assert!(second.token > first.token);
            second
        });

        // The test server keeps nothing across a restart (no persistence): the lease is gone.
        drop(Stopped::stop());

        runtime.block_on(async {
            assert_eq!(
                storage.read_lease().await.unwrap(),
                None,
                "the lease was lost"
            );
            let err = storage
                .write_fenced(before.token, FencedWrite::Store(Bytes::from_static(b"x")))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Fenced, "{err}");
            let after = storage.acquire_lease(&request).await.unwrap();
            assert!(
                after.token > before.token,
                "{:?} after {:?}",
                after.token,
                before.token
            );
        });
    }
}
