//! What the conformance lease cases cannot see on `PostgresStorage`: the lease table is schema version 3,
//! added by `migrate()` to a table of version 2, and a missing lease table is a `Config` error that says so.

mod common;

/// Every test here needs the server (`TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` leaves them out).
mod server {
    use session_core::{
        Bytes, ErrorKind, FencedWrite, HolderId, LeaseRequest, LeaseStorage, SessionStorage,
    };

    use crate::common::{execute, Scratch};

    /// A table of schema version 2 (the journal, no lease table) keeps working for plain calls; lease calls
    /// fail with `Config` naming the lease table and `migrate()`, and after `migrate()` they work, with
    /// the data kept.
    #[tokio::test]
    async fn a_version_2_table_gets_its_lease_table_from_migrate() {
        let scratch = Scratch::new("lmig");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let lease = scratch.table().qualified_lease();
        execute(&scratch.admin_pool(), format!("DROP TABLE {lease}")).await;
        storage.store(Bytes::from_static(b"kept")).await.unwrap();

        let request = LeaseRequest::new(HolderId::new("w").unwrap());
        let err = storage.acquire_lease(&request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains(&lease), "{err}");
        assert!(err.message().contains("migrate()"), "{err}");
        let err = storage.read_lease().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");

        storage.migrate().await.unwrap();
        let grant = storage.acquire_lease(&request).await.unwrap();
        storage
            .write_fenced(grant.token, FencedWrite::Store(Bytes::from_static(b"new")))
            .await
            .unwrap();
        assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"new"[..]));
        storage
            .migrate()
            .await
            .expect("migrate on a migrated table");
        assert_eq!(
            storage.read_lease().await.unwrap().unwrap().token,
            grant.token
        );
    }
}
