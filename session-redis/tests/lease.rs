//! The lease contract on `RedisStorage` against the real server (`TGSESSION_REDIS_URL`): one holder of
//! many racing, the held error, renewal, lapse and takeover after the delay, fencing of a stale holder's
//! writes, release, break, and tokens that keep growing across `delete`.

mod common;

/// Tests that need the Redis server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use std::time::Duration;

    use session_core::{
        Bytes, ErrorKind, Expect, FencedOutcome, FencedWrite, HolderId, JournalPosition,
        JournalStorage, LeaseRequest, LeaseState, LeaseStorage, Session, SessionDelete,
        SessionStorage, StorageError,
    };
    use session_redis::RedisStorage;

    use super::common::{fresh_slot, record, snapshot, url};

    fn request(holder: &str, ttl_ms: u64, delay_ms: u64) -> LeaseRequest {
        LeaseRequest::new(HolderId::new(holder).unwrap())
            .with_ttl(Duration::from_millis(ttl_ms))
            .unwrap()
            .with_takeover_delay(Duration::from_millis(delay_ms))
    }

    /// `n` handles on one fresh slot, each with a connection of its own.
    async fn handles(name: &str, n: usize) -> Vec<RedisStorage> {
        let slot = fresh_slot(name);
        let mut handles = Vec::new();
        for _ in 0..n {
            handles.push(RedisStorage::connect(&url(), slot.clone()).await.unwrap());
        }
        handles
    }

    fn assert_fenced<T: std::fmt::Debug>(result: Result<T, StorageError>, what: &str) {
        let err = result.expect_err(what);
        assert_eq!(err.kind(), ErrorKind::Fenced, "{what}: {err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_eight_racing_handles_exactly_one_acquires() {
        let handles = handles("lease-race", 8).await;
        let tasks: Vec<_> = handles
            .iter()
            .enumerate()
            .map(|(i, storage)| {
                let storage = storage.clone();
                tokio::spawn(async move {
                    storage
                        .acquire_lease(&request(&format!("h{i}"), 10_000, 90_000))
                        .await
                })
            })
            .collect();
        let mut winners = Vec::new();
        let mut held = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await.unwrap() {
                Ok(grant) => winners.push((i, grant)),
                Err(err) => held.push(err),
            }
        }
        assert_eq!(winners.len(), 1, "{held:?}");
        let (winner, grant) = &winners[0];
        for err in held {
            assert_eq!(err.kind(), ErrorKind::Held, "{err}");
            let info = err.lease_held().expect("the held lease");
            assert_eq!(info.holder.as_str(), format!("h{winner}"));
            assert_eq!(info.token, grant.token);
        }
    }

    #[tokio::test]
    async fn the_held_error_names_the_holder_and_the_time_left_and_renewal_keeps_it() {
        let handles = handles("lease-held", 2).await;
        let (a, b) = (&handles[0], &handles[1]);
        assert_eq!(a.read_lease().await.unwrap(), None);
        let grant = a.acquire_lease(&request("a", 300, 90_000)).await.unwrap();
        let err = b
            .acquire_lease(&request("b", 300, 90_000))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Held);
        assert!(err.to_string().contains("\"a\""), "{err}");
        let info = err.lease_held().unwrap();
        let LeaseState::Held {
            lapses_in: Some(left),
        } = info.state
        else {
            panic!("{info:?}")
        };
        assert!(left <= Duration::from_millis(300) && left > Duration::ZERO);
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            a.renew_lease(grant.token, Duration::from_millis(300))
                .await
                .unwrap();
            let err = b.acquire_lease(&request("b", 300, 0)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Held);
        }
        assert_eq!(b.read_lease().await.unwrap().unwrap().token, grant.token);
    }

    #[tokio::test]
    async fn a_lapsed_lease_is_taken_after_the_delay_with_a_bigger_token() {
        let handles = handles("lease-lapse", 2).await;
        let (a, b) = (&handles[0], &handles[1]);
        let first = a.acquire_lease(&request("a", 300, 200)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(350)).await;
        let err = b.acquire_lease(&request("b", 300, 200)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Held);
        assert!(matches!(
            err.lease_held().unwrap().state,
            LeaseState::Lapsed { .. }
        ));
        tokio::time::sleep(Duration::from_millis(250)).await;
        let second = b.acquire_lease(&request("b", 300, 200)).await.unwrap();
        assert!(second.token > first.token);
        assert_fenced(
            a.renew_lease(first.token, Duration::from_millis(300)).await,
            "renew of the old holder",
        );
    }

    #[tokio::test]
    async fn a_stale_holders_writes_are_fenced_and_change_nothing() {
        let handles = handles("lease-fence", 2).await;
        let (a, b) = (&handles[0], &handles[1]);
        let position = JournalPosition::start();
        let old = a.acquire_lease(&request("a", 10_000, 0)).await.unwrap();
        let outcome = a
            .write_fenced(
                old.token,
                FencedWrite::Store(snapshot(&Session::default(), position)),
            )
            .await
            .unwrap();
        assert_eq!(outcome, FencedOutcome::Done);
        let appended = a
            .write_fenced(
                old.token,
                FencedWrite::Append(position.epoch, record(position.epoch, 2)),
            )
            .await
            .unwrap();
        assert_eq!(appended, FencedOutcome::Appended(position.next));

        b.break_lease().await.unwrap();
        let new = b.acquire_lease(&request("b", 10_000, 0)).await.unwrap();
        assert!(new.token > old.token);
        let before = a.load_journal().await.unwrap();
        let after = JournalPosition {
            next: position.next + 1,
            ..position
        };
        let stale = [
            FencedWrite::Store(Bytes::from_static(b"stale")),
            FencedWrite::StoreIf(Bytes::from_static(b"stale"), Expect::Absent),
            FencedWrite::Append(position.epoch, record(position.epoch, 4)),
            FencedWrite::Compact(snapshot(&Session::default(), after), after),
            FencedWrite::Delete,
        ];
        for write in stale {
            let name = write.name();
            assert_fenced(a.write_fenced(old.token, write).await, name);
        }
        assert_eq!(a.load_journal().await.unwrap(), before);
        let compacted = b
            .write_fenced(
                new.token,
                FencedWrite::Compact(snapshot(&Session::default(), after), after),
            )
            .await
            .unwrap();
        assert_eq!(compacted, FencedOutcome::Done);
        let loaded = Session::decode(&b.load().await.unwrap().unwrap()).unwrap();
        assert_eq!(loaded, Session::default());
    }

    #[tokio::test]
    async fn release_lets_the_next_holder_in_at_once_and_tokens_survive_delete() {
        let handles = handles("lease-release", 2).await;
        let (a, b) = (&handles[0], &handles[1]);
        let first = a
            .acquire_lease(&request("a", 10_000, 90_000))
            .await
            .unwrap();
        a.write_fenced(first.token, FencedWrite::Store(Bytes::from_static(b"x")))
            .await
            .unwrap();
        a.release_lease(first.token).await.unwrap();
        assert_eq!(
            a.read_lease().await.unwrap().unwrap().state,
            LeaseState::Released
        );
        assert_fenced(
            a.write_fenced(first.token, FencedWrite::Delete).await,
            "delete after release",
        );
        let second = b
            .acquire_lease(&request("b", 10_000, 90_000))
            .await
            .unwrap();
        assert!(second.token > first.token);
        // Releasing a lease that is no longer current changes nothing.
        a.release_lease(first.token).await.unwrap();
        assert!(matches!(
            b.read_lease().await.unwrap().unwrap().state,
            LeaseState::Held { .. }
        ));
        let outcome = b
            .write_fenced(second.token, FencedWrite::Delete)
            .await
            .unwrap();
        assert_eq!(outcome, FencedOutcome::Done);
        assert_eq!(b.load().await.unwrap(), None);
        b.delete().await.unwrap();
        b.release_lease(second.token).await.unwrap();
        let third = a.acquire_lease(&request("a", 10_000, 0)).await.unwrap();
        assert!(third.token > second.token, "a delete must not reset tokens");
    }

    #[tokio::test]
    async fn a_broken_lease_fences_its_holder_and_store_if_keeps_its_condition() {
        let handles = handles("lease-break", 1).await;
        let a = &handles[0];
        assert_eq!(a.break_lease().await.unwrap(), None);
        let grant = a.acquire_lease(&request("a", 10_000, 0)).await.unwrap();
        let version = match a
            .write_fenced(
                grant.token,
                FencedWrite::StoreIf(Bytes::from_static(b"one"), Expect::Absent),
            )
            .await
            .unwrap()
        {
            FencedOutcome::Version(version) => version,
            other => panic!("{other:?}"),
        };
        let conflict = a
            .write_fenced(
                grant.token,
                FencedWrite::StoreIf(Bytes::from_static(b"two"), Expect::Absent),
            )
            .await
            .unwrap_err();
        assert_eq!(conflict.kind(), ErrorKind::Conflict);
        let broken = a.break_lease().await.unwrap().unwrap();
        assert_eq!(broken.holder.as_str(), "a");
        assert!(matches!(broken.state, LeaseState::Held { .. }));
        assert_fenced(
            a.write_fenced(
                grant.token,
                FencedWrite::StoreIf(Bytes::from_static(b"two"), Expect::Version(version)),
            )
            .await,
            "store_if after a break",
        );
        assert_eq!(a.load().await.unwrap().as_deref(), Some(&b"one"[..]));
        // Plain writes are not fenced.
        a.store(Bytes::from_static(b"plain")).await.unwrap();
    }
}
