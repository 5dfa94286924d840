//! What is special to the S3 lease, against the S3 test server (moto): the lease object beside the slot's,
//! the fenced form of the slot's object (how plain readers and writers see it, tombstones), the ETag change
//! of an acquisition or a break that fences an earlier holder's writes in flight, and a lapse judged by
//! watching. The rules every lease keeps are in the conformance suite (`tests/conformance.rs`).

mod support;

mod server {
    use std::time::{Duration, Instant};

    use session_core::lease::{LeaseRecord, RecordState};
    use session_core::{
        Bytes, ErrorKind, Expect, FencedWrite, HolderId, LeaseRequest, LeaseState, LeaseStorage,
        SessionDelete, SessionStorage, Slot, VersionedStorage,
    };
    use session_s3::aws_sdk_s3::Client;
    use session_s3::S3Storage;

    use crate::support::{config, fresh_bucket};

    /// A handle on a fresh slot in a fresh bucket, and the raw client.
    async fn fresh() -> (S3Storage, Client) {
        let (config, client) = fresh_bucket().await;
        let storage = S3Storage::new(client.clone(), config.bucket(), Slot::new("main").unwrap());
        (storage, client)
    }

    fn request(holder: &str, ttl_ms: u64) -> LeaseRequest {
        LeaseRequest::new(HolderId::new(holder).unwrap())
            .with_ttl(Duration::from_millis(ttl_ms))
            .unwrap()
            .with_takeover_delay(Duration::ZERO)
    }

    async fn raw_get(client: &Client, storage: &S3Storage, key: &str) -> Vec<u8> {
        let output = client
            .get_object()
            .bucket(storage.bucket())
            .key(key)
            .send()
            .await
            .unwrap_or_else(|err| panic!("raw GetObject of {key}: {err:?}"));
        output.body.collect().await.unwrap().to_vec()
    }

    async fn lease_record(client: &Client, storage: &S3Storage) -> LeaseRecord {
        let bytes = raw_get(client, storage, &storage.lease_key()).await;
        LeaseRecord::decode("test", &bytes).unwrap()
    }

    #[tokio::test]
    async fn the_lease_is_a_record_beside_the_slot_that_every_renewal_rewrites() {
        let (storage, client) = fresh().await;
        assert_eq!(storage.lease_key(), "tgsession/main#lease");
        let grant = storage
            .acquire_lease(&request("worker-1", 30_000))
            .await
            .unwrap();
        let first = lease_record(&client, &storage).await;
        assert_eq!(first.token, grant.token);
        assert_eq!(first.holder.as_str(), "worker-1");
        assert_eq!(
            first.state,
            RecordState::Observed {
                ttl_ms: 30_000,
                renewals: 0
            }
        );
        storage
            .renew_lease(grant.token, Duration::from_secs(20))
            .await
            .unwrap();
        let renewed = lease_record(&client, &storage).await;
        assert_eq!(
            renewed.state,
            RecordState::Observed {
                ttl_ms: 20_000,
                renewals: 1
            }
        );
        storage.release_lease(grant.token).await.unwrap();
        let released = lease_record(&client, &storage).await;
        assert_eq!(released.state, RecordState::Released);
        assert_eq!(released.token, grant.token, "a release keeps the token");
        storage.delete().await.unwrap();
        let next = storage
            .acquire_lease(&request("worker-2", 30_000))
            .await
            .unwrap();
        assert!(
            next.token > grant.token,
            "tokens grow after a release and a delete"
        );
    }

    #[tokio::test]
    async fn an_acquisition_or_a_break_changes_the_version_even_if_the_value_stays() {
        let (storage, _) = fresh().await;
        storage.store(Bytes::from_static(b"value")).await.unwrap();
        let (_, before) = storage.load_versioned().await.unwrap().unwrap();
        let grant = storage
            .acquire_lease(&request("holder", 30_000))
            .await
            .unwrap();
        let (value, acquired) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(value, "value", "the acquisition kept the value");
        assert_ne!(
            acquired, before,
            "the acquisition changed the object's ETag"
        );
        let stale = storage
            .store_if(Bytes::from_static(b"late"), Expect::Version(before))
            .await;
        assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);

        // A holder's write in flight read the ETag before the break; it cannot land after it.
        let (_, in_flight) = storage.load_versioned().await.unwrap().unwrap();
        storage.break_lease().await.unwrap();
        let (value, broken) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(value, "value", "the break kept the value");
        assert_ne!(broken, in_flight, "the break changed the object's ETag");
        let fenced = storage
            .write_fenced(grant.token, FencedWrite::Store(Bytes::from_static(b"x")))
            .await;
        assert_eq!(fenced.unwrap_err().kind(), ErrorKind::Fenced);
        assert_eq!(storage.load().await.unwrap().unwrap(), "value");
    }

    #[tokio::test]
    async fn plain_calls_read_and_replace_what_fenced_writes_left() {
        let (storage, client) = fresh().await;
        // Acquiring an empty slot leaves a tombstone, which reads as empty.
        let grant = storage
            .acquire_lease(&request("holder", 30_000))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
        assert_eq!(storage.load_versioned().await.unwrap(), None);

        let written = Bytes::from_static(b"under the lease");
        storage
            .write_fenced(grant.token, FencedWrite::Store(written.clone()))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().unwrap(), written);
        let raw = raw_get(&client, &storage, storage.key()).await;
        assert!(
            raw.starts_with(b"TGSF") && raw.ends_with(&written),
            "the fenced form"
        );

        // Those very bytes, stored plainly, are a plain value: only the metadata marks the fenced form.
        let other = storage.for_slot(Slot::new("other").unwrap());
        other.store(Bytes::from(raw.clone())).await.unwrap();
        assert_eq!(other.load().await.unwrap().unwrap(), raw);

        // A fenced delete leaves a tombstone: empty to every reader, and `store_if(Absent)` succeeds.
        storage
            .write_fenced(grant.token, FencedWrite::Delete)
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
        assert_eq!(storage.load_versioned().await.unwrap(), None);
        let version = storage
            .store_if(Bytes::from_static(b"plain"), Expect::Absent)
            .await
            .unwrap();
        assert_eq!(raw_get(&client, &storage, storage.key()).await, b"plain");
        let (_, read) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(read, version);
        let again = storage
            .store_if(Bytes::from_static(b"again"), Expect::Absent)
            .await;
        assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
    }

    #[tokio::test]
    async fn a_lapse_is_judged_by_watching_the_lease_unchanged() {
        let (storage, _) = fresh().await;
        let ttl = Duration::from_millis(600);
        storage
            .acquire_lease(&request("silent", ttl.as_millis() as u64))
            .await
            .unwrap();
        let watcher = storage.for_slot(storage.slot().clone());
        let started = Instant::now();
        let taker = request("taker", 600);
        let err = watcher.acquire_lease(&taker).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Held);
        tokio::time::sleep(ttl / 2).await;
        // The handles of one client share what they watched; a client that just started has not watched.
        let newcomer =
            S3Storage::from_config(&config(storage.bucket()), storage.slot().clone()).unwrap();
        match newcomer.read_lease().await.unwrap().unwrap().state {
            LeaseState::Held {
                lapses_in: Some(left),
            } => assert!(
                left > ttl * 9 / 10,
                "a newcomer starts watching: {left:?} left"
            ),
            other => panic!("the newcomer sees {other:?}"),
        }
        match watcher.read_lease().await.unwrap().unwrap().state {
            LeaseState::Held {
                lapses_in: Some(left),
            } => assert!(
                left <= ttl / 2 + ttl / 10,
                "the watcher counted: {left:?} left"
            ),
            other => panic!("the watcher sees {other:?}"),
        }
        let granted = loop {
            match watcher.acquire_lease(&taker).await {
                Ok(grant) => break grant,
                Err(err) if err.kind() == ErrorKind::Held => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(err) => panic!("{err}"),
            }
        };
        assert!(
            started.elapsed() >= ttl,
            "taken after {:?}",
            started.elapsed()
        );
        assert!(granted.token.get() >= 2);
    }

    #[tokio::test]
    async fn tokens_grow_after_the_lease_object_is_deleted_and_a_retried_break_fences_again() {
        let (storage, client) = fresh().await;
        let first = storage
            .acquire_lease(&request("first", 30_000))
            .await
            .unwrap();
        storage
            .write_fenced(first.token, FencedWrite::Store(Bytes::from_static(b"v")))
            .await
            .unwrap();
        // A lifecycle rule (or an operator) removed the lease object: the slot's header still knows the token.
        client
            .delete_object()
            .bucket(storage.bucket())
            .key(storage.lease_key())
            .send()
            .await
            .unwrap();
        let second = storage
            .acquire_lease(&request("second", 30_000))
            .await
            .unwrap();
        assert!(
            second.token > first.token,
            "{:?} after {:?}",
            second.token,
            first.token
        );

        // A break that is retried (its first try may have failed between its two writes) still changes
        // the object, so a write in flight that read its ETag cannot land.
        storage.break_lease().await.unwrap();
        let (_, before) = storage.load_versioned().await.unwrap().unwrap();
        storage.break_lease().await.unwrap();
        let (value, after) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(value, "v");
        assert_ne!(after, before, "the retried break fenced the object again");
    }
}
