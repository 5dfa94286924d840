//! What is special to S3, against the S3 test server (moto): the key layout, ETags as versions,
//! conditional-write answers, the conditional-write check, missing buckets, and environment credentials.

mod support;

mod server {
    use session_conformance::services::setting;
    use session_core::{
        Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Slot, StorageError,
    };
    use session_core::{Version, VersionedStorage};
    use session_s3::aws_sdk_s3::Client;
    use session_s3::{S3Config, S3Storage};

    use crate::support::{config, fresh_bucket, random_name};

    fn slot(name: &str) -> Slot {
        Slot::new(name).unwrap()
    }

    fn kind<T: std::fmt::Debug>(result: Result<T, StorageError>) -> (ErrorKind, String) {
        let err = result.unwrap_err();
        (err.kind(), err.to_string())
    }

    /// The bytes of object `key`, or `None` when it does not exist, read with the raw client.
    async fn raw_get(client: &Client, bucket: &str, key: &str) -> Option<Vec<u8>> {
        match client.get_object().bucket(bucket).key(key).send().await {
            Ok(output) => Some(output.body.collect().await.unwrap().to_vec()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
            Err(err) => panic!("raw GetObject of {key}: {err:?}"),
        }
    }

    /// Every key in `bucket`, listed with the raw client.
    async fn raw_keys(client: &Client, bucket: &str) -> Vec<String> {
        let listed = client
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        let objects = listed.contents.unwrap_or_default();
        objects.into_iter().filter_map(|o| o.key).collect()
    }

    #[tokio::test]
    async fn the_key_is_prefix_plus_slot() {
        let (config, client) = fresh_bucket().await;
        let default = S3Storage::from_config(&config, slot("main")).unwrap();
        let other = default.clone().with_prefix("app/");
        assert_eq!(default.key(), "tgsession/main");
        assert_eq!(other.key(), "app/main");

        default.store(Bytes::from_static(b"default")).await.unwrap();
        other.store(Bytes::from_static(b"other")).await.unwrap();
        let bucket = config.bucket();
        assert_eq!(
            raw_get(&client, bucket, "tgsession/main").await.unwrap(),
            b"default"
        );
        assert_eq!(
            raw_get(&client, bucket, "app/main").await.unwrap(),
            b"other"
        );
        assert_eq!(default.load().await.unwrap().unwrap(), "default");

        let bare = default.for_slot(slot("bare")).with_prefix("");
        bare.store(Bytes::from_static(b"bare")).await.unwrap();
        assert_eq!(raw_get(&client, bucket, "bare").await.unwrap(), b"bare");

        let prefixed = S3Storage::from_config(&config.clone().prefix("cfg:"), slot("x")).unwrap();
        assert_eq!(prefixed.key(), "cfg:x");
        prefixed.store(Bytes::new()).await.unwrap();
        assert_eq!(raw_get(&client, bucket, "cfg:x").await.unwrap(), b"");
        assert_eq!(prefixed.load().await.unwrap(), Some(Bytes::new()));
    }

    #[tokio::test]
    async fn versions_are_the_objects_etags() {
        let (config, client) = fresh_bucket().await;
        let storage = S3Storage::from_config(&config, slot("main")).unwrap();
        let written = storage
            .store_if(Bytes::from_static(b"v1"), Expect::Absent)
            .await
            .unwrap();
        let head = client
            .head_object()
            .bucket(config.bucket())
            .key(storage.key())
            .send()
            .await
            .unwrap();
        let etag = head.e_tag.unwrap();
        assert_eq!(written, Version::from_bytes(&etag));
        let (_, loaded) = storage.load_versioned().await.unwrap().unwrap();
        assert_eq!(loaded, written);
    }

    #[tokio::test]
    async fn if_match_on_an_absent_object_is_a_conflict() {
        let (config, _client) = fresh_bucket().await;
        let storage = S3Storage::from_config(&config, slot("main")).unwrap();
        let version = storage
            .store_if(Bytes::from_static(b"v1"), Expect::Absent)
            .await
            .unwrap();
        storage.delete().await.unwrap();
        let (kind_of, message) = kind(
            storage
                .store_if(Bytes::from_static(b"v2"), Expect::Version(version))
                .await,
        );
        assert_eq!(kind_of, ErrorKind::Conflict, "{message}");
        let made_up = Version::from_bytes("\"0123456789abcdef0123456789abcdef\"");
        let (kind_of, message) = kind(
            storage
                .store_if(Bytes::from_static(b"v3"), Expect::Version(made_up))
                .await,
        );
        assert_eq!(kind_of, ErrorKind::Conflict, "{message}");
        assert_eq!(storage.load().await.unwrap(), None, "nothing was written");
    }

    #[tokio::test]
    async fn a_version_that_is_no_etag_is_invalid_input() {
        let (config, _client) = fresh_bucket().await;
        let storage = S3Storage::from_config(&config, slot("main")).unwrap();
        let foreign = Version::from_bytes([0xff, 0xfe, 0x00]);
        let (kind_of, message) = kind(
            storage
                .store_if(Bytes::from_static(b"x"), Expect::Version(foreign))
                .await,
        );
        assert_eq!(kind_of, ErrorKind::InvalidInput, "{message}");
    }

    #[tokio::test]
    async fn the_test_server_honours_conditional_writes_and_the_probe_cleans_up() {
        let (config, client) = fresh_bucket().await;
        let storage = S3Storage::from_config(&config, slot("main")).unwrap();
        storage.check_conditional_writes().await.unwrap();
        assert_eq!(
            raw_keys(&client, config.bucket()).await,
            Vec::<String>::new(),
            "the probe object was deleted"
        );
        // The verdict is cached for the client: handles derived from it pass without a new probe.
        storage
            .for_slot(slot("other"))
            .check_conditional_writes()
            .await
            .unwrap();
        storage
            .store_if(Bytes::from_static(b"first"), Expect::Absent)
            .await
            .unwrap();
        assert_eq!(
            raw_keys(&client, config.bucket()).await,
            ["tgsession/main"],
            "only the slot's object is in the bucket"
        );
    }

    #[tokio::test]
    async fn a_missing_bucket_is_a_config_error_naming_it() {
        let (_config, client) = fresh_bucket().await;
        let missing = random_name("tgsession-missing");
        let storage = S3Storage::new(client.clone(), &missing, slot("main"));
        let value = || Bytes::from_static(b"x");
        let results = [
            ("load", kind(storage.load().await)),
            ("store", kind(storage.store(value()).await)),
            ("delete", kind(storage.delete().await)),
            ("load_versioned", kind(storage.load_versioned().await)),
            (
                "store_if",
                kind(storage.store_if(value(), Expect::Absent).await),
            ),
            ("check", kind(storage.check_conditional_writes().await)),
        ];
        for (call, (kind_of, message)) in results {
            assert_eq!(kind_of, ErrorKind::Config, "{call}: {message}");
            assert!(
                message.contains(&format!("{missing:?}")),
                "{call}: {message}"
            );
            assert!(
                message.contains("never creates buckets"),
                "{call}: {message}"
            );
        }
        let buckets = client
            .list_buckets()
            .send()
            .await
            .unwrap()
            .buckets
            .unwrap_or_default();
        assert!(
            buckets.iter().all(|b| b.name.as_deref() != Some(&missing)),
            "the adapter created no bucket"
        );
    }

    #[tokio::test]
    async fn credentials_and_region_come_from_the_environment() {
        let (tested, _client) = fresh_bucket().await;
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] {
            setting(name);
        }
        let config = S3Config::new(tested.bucket()).endpoint(setting("TGSESSION_S3_ENDPOINT"));
        let storage = S3Storage::from_config(&config, slot("env")).unwrap();
        storage.store(Bytes::from_static(b"env")).await.unwrap();
        assert_eq!(storage.load().await.unwrap().unwrap(), "env");
    }

    #[tokio::test]
    async fn a_handle_from_a_users_client_works() {
        let (tested, client) = fresh_bucket().await;
        let storage = S3Storage::new(client, tested.bucket(), slot("main"));
        storage.store(Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(storage.load().await.unwrap().unwrap(), "hello");
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        storage
            .store_if(Bytes::from_static(b"next"), Expect::Version(version))
            .await
            .unwrap();
        storage.delete().await.unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
        // A configuration for the same bucket sees what the client's handle wrote.
        let twin = S3Storage::from_config(&config(tested.bucket()), slot("main")).unwrap();
        storage.store(Bytes::from_static(b"shared")).await.unwrap();
        assert_eq!(twin.load().await.unwrap().unwrap(), "shared");
    }
}
