//! A full disk under a sled database, staged on a small tmpfs that the tests fill: a store that fails is
//! never loaded afterwards through any handle on the database, no later call waits forever, the same handle
//! works again (free-space reserve) or keeps saying that the database must be reopened, and reopening gives
//! the last value whose store returned `Ok`.
//!
//! Mounting needs root; run without root the tests fail and say so.

#![cfg(target_os = "linux")]

use std::fs;
use std::time::Duration;

use session_conformance::tmpfs::Tmpfs;
use session_core::{
    Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Slot, StorageError, VersionedStorage,
};
use session_sled::{open_db, SledStorage};

/// How long a call may take before the test calls it hung.
const HANG: Duration = Duration::from_secs(20);

fn slot(name: &str) -> Slot {
    Slot::new(name).unwrap()
}

/// A distinct small value for round `round`.
fn value(round: usize) -> Bytes {
    Bytes::from(format!("session value of round {round:06}").repeat(4))
}

/// Runs `body` on a runtime that is abandoned (not waited for) afterwards, so that a blocking task stuck in
/// sled makes the test fail instead of hanging it; panics of `body` are the test's failures.
fn run(body: impl std::future::Future<Output = ()> + Send + 'static) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(runtime.spawn(body));
    runtime.shutdown_background();
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// `call` finished within [`HANG`]; its result.
async fn bounded<T>(what: &str, call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, call).await.unwrap_or_else(|_| {
        panic!("{what} did not return within {HANG:?}: sled is waiting forever")
    })
}

/// Whether `err` says that the database must be reopened.
fn says_reopen(err: &StorageError) -> bool {
    err.message().contains("reopen")
}

/// Checks that `loaded` (a load of a slot whose last successful store wrote `last_ok`) is that value or an
/// error saying that the database must be reopened, and never `failed`.
fn assert_loaded(
    who: &str,
    loaded: Result<Option<Bytes>, StorageError>,
    last_ok: &Bytes,
    failed: &Bytes,
) {
    match loaded {
        Ok(value) => {
            assert_ne!(
                value.as_ref(),
                Some(failed),
                "{who}: a load returned the value whose store failed"
            );
            assert_eq!(value.as_ref(), Some(last_ok), "{who}");
        }
        Err(err) => assert!(
            says_reopen(&err),
            "{who}: a failing load must say that the database must be reopened: {err}"
        ),
    }
}

/// Stores distinct values through `storage` until one fails (a full disk may still take a few small ones);
/// returns the last value stored with `Ok`, the value that failed and its error.
async fn store_until_failure(
    storage: &SledStorage,
    mut last_ok: Bytes,
) -> (Bytes, Bytes, StorageError) {
    for round in 1..=10_000 {
        let next = value(round);
        match bounded("store", storage.store(next.clone())).await {
            Ok(()) => last_ok = next,
            Err(err) => return (last_ok, next, err),
        }
    }
    panic!("10000 stores succeeded on a full disk");
}

/// With the free-space check off, the store that runs out of space fails inside sled, which keeps the value
/// in memory and refuses every later write: every handle on the database, including ones built afterwards
/// from the same `Db` and a handle on another tree, must refuse to return it.
#[test]
fn a_store_that_failed_on_a_full_disk_is_never_loaded() {
    let fs = Tmpfs::mount("4m");
    let path = fs.path().join("sessions.sled");
    run(async move {
        let db = open_db(&path).unwrap();
        let a = SledStorage::new(&db, slot("main")).with_min_free_space(0);
        let b = SledStorage::new(&db, slot("main")).with_min_free_space(0);
        let other = SledStorage::in_tree(&db, "others", slot("other"))
            .unwrap()
            .with_min_free_space(0);
        a.store(value(0)).await.unwrap();
        other.store(Bytes::from_static(b"other")).await.unwrap();

        let filler = fs.fill();
        let (last_ok, failed, err) = store_until_failure(&a, value(0)).await;
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
        assert!(says_reopen(&err), "{err}");

        let c = SledStorage::new(&db, slot("main"));
        for (who, handle) in [("a", &a), ("b", &b), ("c, built after the failure", &c)] {
            assert_loaded(who, bounded("load", handle.load()).await, &last_ok, &failed);
            let versioned = bounded("load_versioned", handle.load_versioned()).await;
            assert_loaded(
                who,
                versioned.map(|v| v.map(|(value, _)| value)),
                &last_ok,
                &failed,
            );
        }
        match bounded("load", other.load()).await {
            Ok(value) => assert_eq!(value.as_deref(), Some(&b"other"[..])),
            Err(err) => assert!(says_reopen(&err), "{err}"),
        }
        let err = bounded("store", b.store(value(90_000))).await.unwrap_err();
        assert!(
            says_reopen(&err) || err.kind() == ErrorKind::StorageFull,
            "{err}"
        );

        fs::remove_file(&filler).unwrap();
        // Space is back: each write works (and is then what loads return) or says to reopen; the failed
        // value never comes back.
        let mut expected = Some(last_ok.clone());
        let next = value(90_001);
        match bounded("store", b.store(next.clone())).await {
            Ok(()) => expected = Some(next),
            Err(err) => assert!(says_reopen(&err), "store after freeing space: {err}"),
        }
        let (_, version) = match bounded("load_versioned", a.load_versioned()).await {
            Ok(found) => found.expect("a value"),
            Err(err) => {
                assert!(says_reopen(&err), "{err}");
                (Bytes::new(), session_core::Version::of_content(b""))
            }
        };
        match bounded(
            "store_if",
            a.store_if(value(90_002), Expect::Version(version)),
        )
        .await
        {
            Ok(_) => expected = Some(value(90_002)),
            Err(err) => assert!(says_reopen(&err), "store_if after freeing space: {err}"),
        }
        match bounded("delete", c.delete()).await {
            Ok(()) => expected = None,
            Err(err) => assert!(says_reopen(&err), "delete after freeing space: {err}"),
        }
        match bounded("load", a.load()).await {
            Ok(value) => assert_eq!(value, expected, "loads follow the writes that returned Ok"),
            Err(err) => assert!(says_reopen(&err), "{err}"),
        }

        drop((a, b, c, other, db));
        let db = tokio::task::spawn_blocking(move || open_db(path))
            .await
            .unwrap()
            .unwrap();
        let reopened = SledStorage::new(&db, slot("main")).with_min_free_space(0);
        assert_eq!(
            reopened.load().await.unwrap(),
            expected,
            "reopening gives the last value whose store returned Ok"
        );
        reopened.store(value(1)).await.unwrap();
        assert_eq!(reopened.load().await.unwrap(), Some(value(1)));
    });
}

/// With the free-space check off, a value too large for sled's log goes to a blob file, and running out of
/// space while writing it leaves sled 0.34 unable to ever flush the database again (a later flush, and
/// closing the database, would wait forever). Every later call must fail at once, saying why, and never
/// return the value that failed.
#[test]
fn a_large_store_that_failed_on_a_full_disk_leaves_no_call_waiting_forever() {
    let fs = Tmpfs::mount("8m");
    let path = fs.path().join("sessions.sled");
    run(async move {
        let db = open_db(&path).unwrap();
        let a = SledStorage::new(&db, slot("main")).with_min_free_space(0);
        let b = SledStorage::new(&db, slot("main")).with_min_free_space(0);
        a.store(value(0)).await.unwrap();
        let filler = fs.fill();

        let large = Bytes::from(vec![0x5a; 300 << 10]);
        let err = bounded("a large store", a.store(large.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
        assert!(says_reopen(&err), "{err}");

        let err = bounded("a store after the failure", b.store(value(1)))
            .await
            .unwrap_err();
        assert!(says_reopen(&err), "{err}");
        assert_loaded("a", bounded("load", a.load()).await, &value(0), &large);
        assert_loaded("b", bounded("load", b.load()).await, &value(0), &large);

        fs::remove_file(&filler).unwrap();
        let err = bounded("a store after freeing space", b.store(value(2)))
            .await
            .unwrap_err();
        assert!(says_reopen(&err), "{err}");
        let err = bounded("a delete after freeing space", a.delete())
            .await
            .unwrap_err();
        assert!(says_reopen(&err), "{err}");

        // Closing the database would hang in sled; the adapter keeps it open, so dropping every handle
        // returns, and opening it again in this process fails at once instead of waiting for its lock.
        drop((a, b, db));
        let reopen = tokio::task::spawn_blocking(move || open_db(path));
        let err = bounded("reopening", reopen).await.unwrap().unwrap_err();
        assert!(err.message().contains("restart the process"), "{err}");
    });
}

/// With the default free-space reserve, a store on a full disk fails before sled sees it: nothing is
/// written, and once space is freed the same handle simply works again.
#[test]
fn the_free_space_reserve_keeps_the_database_usable_after_the_disk_fills() {
    let fs = Tmpfs::mount("64m");
    let path = fs.path().join("sessions.sled");
    run(async move {
        let db = open_db(&path).unwrap();
        let a = SledStorage::new(&db, slot("main"));
        assert_eq!(a.min_free_space(), SledStorage::DEFAULT_MIN_FREE_SPACE);
        a.store(value(0)).await.unwrap();
        let filler = fs.fill();

        let (last_ok, failed, err) = store_until_failure(&a, value(0)).await;
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
        assert!(err.message().contains("free"), "{err}");
        assert_loaded("a", a.load().await, &last_ok, &failed);
        let b = SledStorage::new(&db, slot("main"));
        assert_loaded("b", b.load().await, &last_ok, &failed);
        let err = b.delete().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");

        fs::remove_file(&filler).unwrap();
        // sled's own background flush may take some of the freed space back; what matters is that once
        // the reserve is free again, the same handle works.
        let free = fs.wait_for_free(SledStorage::DEFAULT_MIN_FREE_SPACE + (1 << 20));
        let next = value(50_000);
        a.store(next.clone()).await.unwrap_or_else(|err| {
            panic!("the same handle works once space is freed ({free} bytes): {err}")
        });
        assert_eq!(b.load().await.unwrap(), Some(next.clone()));

        drop((a, b, db));
        let db = tokio::task::spawn_blocking(move || open_db(path))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            SledStorage::new(&db, slot("main")).load().await.unwrap(),
            Some(next)
        );
    });
}
