//! The S3 test server stops and starts again under a live handle: calls fail promptly with `Unavailable` or
//! `Timeout` while it is down, and the same handle works again once it is back.
//!
//! This stops the shared test server, so it lives in a test binary of its own (cargo runs test binaries one
//! after another). moto keeps its buckets in memory, so the test creates its bucket again after the restart,
//! with the raw client, before it uses the handle.

mod support;

mod server {
    use std::future::Future;
    use std::time::{Duration, Instant};

    use session_conformance::services;
    use session_core::{Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Slot};
    use session_core::{StorageError, VersionedStorage};
    use session_s3::S3Storage;

    use crate::support::{create_bucket, fresh_bucket};

    /// The longest a call may take to fail while the server is down.
    const PROMPT: Duration = Duration::from_secs(5);

    /// Stops the S3 server, and starts it again when dropped unless [`start`](Self::start) did, so a failed
    /// assertion never leaves it stopped.
    struct Stopped {
        running: bool,
    }

    impl Stopped {
        fn stop() -> Stopped {
            services::stop("s3");
            Stopped { running: false }
        }

        fn start(mut self) {
            services::start("s3");
            self.running = true;
        }
    }

    impl Drop for Stopped {
        fn drop(&mut self) {
            if !self.running {
                services::start("s3");
            }
        }
    }

    /// Fails unless `call` fails within [`PROMPT`] with `Unavailable` or `Timeout`.
    async fn fails_promptly<T: std::fmt::Debug>(
        name: &str,
        call: impl Future<Output = Result<T, StorageError>>,
    ) {
        let started = Instant::now();
        let result = tokio::time::timeout(PROMPT * 2, call)
            .await
            .unwrap_or_else(|_| panic!("{name} hung while the server was down"));
        let elapsed = started.elapsed();
        let err = result.expect_err("a call succeeded while the server was down");
        assert!(
            matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
            "{name}: {err}"
        );
        assert!(err.is_retryable(), "{name}: {err}");
        assert!(elapsed < PROMPT, "{name} took {elapsed:?} to fail: {err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_handle_works_after_the_server_restarts() {
        let (config, client) = fresh_bucket().await;
        let storage = S3Storage::from_config(&config, Slot::new("main").unwrap()).unwrap();
        storage.store(Bytes::from_static(b"before")).await.unwrap();
        storage.check_conditional_writes().await.unwrap();

        let stopped = tokio::task::spawn_blocking(Stopped::stop).await.unwrap();
        fails_promptly("load", storage.load()).await;
        fails_promptly("store", storage.store(Bytes::from_static(b"down"))).await;
        fails_promptly("delete", storage.delete()).await;
        fails_promptly("load_versioned", storage.load_versioned()).await;
        fails_promptly("store_if", storage.store_if(Bytes::new(), Expect::Absent)).await;
        tokio::task::spawn_blocking(move || stopped.start())
            .await
            .unwrap();

        // moto lost everything with its process; the bucket is the test's job, never the adapter's.
        create_bucket(&client, config.bucket()).await;
        assert_eq!(storage.load().await.unwrap(), None);
        storage.store(Bytes::from_static(b"after")).await.unwrap();
        assert_eq!(storage.load().await.unwrap().unwrap(), "after");
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        storage
            .store_if(Bytes::from_static(b"again"), Expect::Version(version))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().unwrap(), "again");
        storage.delete().await.unwrap();
    }
}
