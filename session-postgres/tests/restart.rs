//! A real server restart: while PostgreSQL is stopped every call fails promptly with `Unavailable` or
//! `Timeout`, and once it is back the same handle works again without being rebuilt.
//!
//! This stops the shared test server, so it lives in a test binary of its own (cargo runs test binaries one
//! after another), its tests take turns, and it restarts the server even when it fails. The lease row, like
//! the data, survives the restart.

mod common;

/// Every test here needs the server (`TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` leaves them out).
mod server {
    use std::future::Future;
    use std::time::{Duration, Instant};

    use session_conformance::services;
    use session_core::{
        Bytes, ErrorKind, Expect, FencedWrite, HolderId, LeaseRequest, LeaseState, LeaseStorage,
        SessionDelete, SessionStorage, StorageError, VersionedStorage,
    };

    use crate::common::{slot_of, Scratch};

    /// The tests of this file stop the server: one at a time.
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// The longest a call may take while the server is down.
    const PROMPTLY: Duration = Duration::from_secs(5);

    /// Stops the server for its lifetime: starts it again when dropped, also when the test panics.
    struct Stopped {
        running: bool,
    }

    impl Stopped {
        fn stop() -> Stopped {
            services::stop("postgres");
            Stopped { running: false }
        }

        fn start(&mut self) {
            if !self.running {
                services::start("postgres");
                self.running = true;
            }
        }
    }

    impl Drop for Stopped {
        fn drop(&mut self) {
            self.start();
        }
    }

    /// Checks that `call` fails within [`PROMPTLY`] with a retryable error.
    async fn fails_promptly<T: std::fmt::Debug>(
        what: &str,
        call: impl Future<Output = Result<T, StorageError>>,
    ) {
        let started = Instant::now();
        let outcome = tokio::time::timeout(PROMPTLY * 2, call).await;
        let elapsed = started.elapsed();
        let err = outcome
            .unwrap_or_else(|_| panic!("{what} hung while the server was down"))
            .expect_err(what);
        println!(
            "{what} while the server is down: {:?} after {elapsed:?}",
            err.kind()
        );
        assert!(elapsed < PROMPTLY, "{what} took {elapsed:?}: {err}");
        assert!(
            matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
            "{what}: {err}"
        );
        assert!(err.is_retryable(), "{what}: {err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_handle_works_after_a_server_restart() {
        let _serial = SERIAL.lock().await;
        let scratch = Scratch::new("restart");
        let storage = scratch
            .config()
            .connect_timeout(Duration::from_secs(1))
            .operation_timeout(Duration::from_secs(3))
            .open(slot_of("main"))
            .unwrap();
        let other = storage.for_slot(slot_of("other"));
        storage.migrate().await.unwrap();
        storage.store(Bytes::from_static(b"before")).await.unwrap();
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();

        let mut server = tokio::task::spawn_blocking(Stopped::stop).await.unwrap();
        let data = || Bytes::from_static(b"during");
        fails_promptly("load", storage.load()).await;
        fails_promptly("store", storage.store(data())).await;
        fails_promptly("load_versioned", storage.load_versioned()).await;
        let expect = Expect::Version(version.clone());
        fails_promptly("store_if", storage.store_if(data(), expect)).await;
        fails_promptly("delete", other.delete()).await;
        fails_promptly("migrate", storage.migrate()).await;

        server = tokio::task::spawn_blocking(move || {
            server.start();
            server
        })
        .await
        .unwrap();
        assert_eq!(
            storage.load().await.unwrap(),
            Some(Bytes::from_static(b"before")),
            "the value stored before the restart, through the same handle"
        );
        let next = storage
            .store_if(Bytes::from_static(b"after"), Expect::Version(version))
            .await
            .expect("the version from before the restart is still current");
        storage.store(Bytes::from_static(b"again")).await.unwrap();
        let (data, current) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(data, Bytes::from_static(b"again"));
        assert_ne!(current, next);
        drop(server);
    }

    /// The lease row survives the restart: the holder keeps its lease and can write, and the next
    /// acquisition gets a greater token.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn leases_and_tokens_survive_a_server_restart() {
        let _serial = SERIAL.lock().await;
        let scratch = Scratch::new("lrestart");
        let storage = scratch
            .config()
            .connect_timeout(Duration::from_secs(1))
            .operation_timeout(Duration::from_secs(3))
            .open(slot_of("main"))
            .unwrap();
        storage.migrate().await.unwrap();
        let request = LeaseRequest::new(HolderId::new("before").unwrap());
        let before = storage.acquire_lease(&request).await.unwrap();

        let server = tokio::task::spawn_blocking(Stopped::stop).await.unwrap();
        fails_promptly("read_lease", storage.read_lease()).await;
        drop(server);

        let info = storage.read_lease().await.unwrap().unwrap();
        assert_eq!(info.token, before.token);
        assert!(matches!(info.state, LeaseState::Held { .. }), "{info:?}");
        storage
            .write_fenced(before.token, FencedWrite::Store(Bytes::from_static(b"x")))
            .await
            .expect("the holder still holds the lease after the restart");
        storage.release_lease(before.token).await.unwrap();
        let after = storage.acquire_lease(&request).await.unwrap();
        assert!(after.token > before.token);
    }
}
