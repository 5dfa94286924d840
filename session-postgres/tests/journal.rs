//! What is special to the journal in PostgreSQL: where records and journal columns live, the migration of a
//! table of schema version 1, stale journal rows, refused records, timeouts, long table names.

mod common;

/// Every test here needs the server (`TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` leaves them out).
mod server {
    use std::time::{Duration, Instant};

    use session_core::{
        Bytes, Epoch, ErrorKind, Expect, JournalPosition, JournalStorage, Patch, Record,
        SessionDelete, SessionStorage, StorageError, VersionedStorage,
    };
    use session_postgres::sqlx::{self, AssertSqlSafe};
    use session_postgres::{PostgresStorage, TableName};

    use crate::common::{execute, slot_of, Scratch};

    /// A position of a new epoch at `next`.
    fn position(next: u64) -> JournalPosition {
        JournalPosition {
            epoch: Epoch::random(),
            next,
        }
    }

    /// A session with home DC `dc`, as a snapshot at `position`.
    fn snapshot(dc: i32, position: JournalPosition) -> Bytes {
        let mut session = session_conformance::fixtures::auth_only();
        session.home_dc = Some(dc);
        Bytes::from(session.encode_snapshot(&position).expect("encode"))
    }

    /// The record of `epoch` that sets the home DC to `dc`.
    fn record(epoch: Epoch, dc: i32) -> Bytes {
        let mut patch = Patch::new();
        patch.set_home_dc(Some(dc));
        Bytes::from(Record::encode_patch(epoch, &patch).expect("encode"))
    }

    /// The home DC of the session `storage` loads (records applied).
    async fn home_dc(storage: &PostgresStorage) -> Option<i32> {
        let bytes = storage.load().await.unwrap().expect("a session");
        session_core::Session::decode(&bytes).unwrap().home_dc
    }

    /// The journal rows of `slot`, straight from the journal table: `(idx, record)` in index order.
    async fn rows(scratch: &Scratch, table: &TableName, slot: &str) -> Vec<(i64, Vec<u8>)> {
        let sql = format!(
            "SELECT idx, record FROM {} WHERE slot = $1 ORDER BY idx",
            table.qualified_journal()
        );
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(slot)
            .fetch_all(&scratch.admin_pool())
            .await
            .unwrap()
    }

    /// The journal columns of `slot`'s row: epoch, base, end.
    async fn columns(scratch: &Scratch, slot: &str) -> Option<(Option<Vec<u8>>, i64, i64)> {
        let sql = format!(
            "SELECT journal_epoch, journal_base, journal_end FROM {} WHERE slot = $1",
            scratch.table().qualified()
        );
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(slot)
            .fetch_optional(&scratch.admin_pool())
            .await
            .unwrap()
    }

    fn kind<T: std::fmt::Debug>(result: Result<T, StorageError>) -> ErrorKind {
        result.unwrap_err().kind()
    }

    /// Records are rows `(slot, idx, record)` of the journal table with their exact bytes; the sessions row
    /// holds the epoch, the first kept index and the next one. A compaction deletes exactly the rows it
    /// includes; `store`, `store_if` and `delete` delete the journal with the value.
    #[tokio::test]
    async fn records_are_rows_of_the_journal_table() {
        let scratch = Scratch::new("jrows");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let table = scratch.table().clone();
        let at = position(5);
        storage.store(snapshot(1, at)).await.unwrap();
        assert_eq!(
            columns(&scratch, "main").await,
            Some((Some(at.epoch.as_bytes().to_vec()), 5, 5))
        );
        let records: Vec<Bytes> = (2..5).map(|dc| record(at.epoch, dc)).collect();
        for (offset, bytes) in records.iter().enumerate() {
            let index = storage.append(at.epoch, bytes.clone()).await.unwrap();
            assert_eq!(index, 5 + offset as u64);
        }
        let want: Vec<(i64, Vec<u8>)> = records
            .iter()
            .enumerate()
            .map(|(offset, bytes)| (5 + offset as i64, bytes.to_vec()))
            .collect();
        assert_eq!(rows(&scratch, &table, "main").await, want);
        assert_eq!(columns(&scratch, "main").await.unwrap().2, 8);
        assert_eq!(home_dc(&storage).await, Some(4));

        let through = JournalPosition {
            epoch: at.epoch,
            next: 7,
        };
        storage
            .compact(snapshot(3, through), through)
            .await
            .unwrap();
        assert_eq!(rows(&scratch, &table, "main").await, want[2..].to_vec());
        assert_eq!(columns(&scratch, "main").await.unwrap().1, 7);
        assert_eq!(home_dc(&storage).await, Some(4));

        // A whole write replaces the journal; a value without a position has none.
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();
        let plain = session_conformance::fixtures::auth_only().encode().unwrap();
        storage
            .store_if(Bytes::from(plain), Expect::Version(version))
            .await
            .unwrap();
        assert_eq!(rows(&scratch, &table, "main").await, Vec::new());
        assert_eq!(columns(&scratch, "main").await, Some((None, 0, 0)));

        let again = position(0);
        storage.store(snapshot(1, again)).await.unwrap();
        storage
            .append(again.epoch, record(again.epoch, 2))
            .await
            .unwrap();
        storage
            .store(Bytes::from_static(b"not a session"))
            .await
            .unwrap();
        assert_eq!(rows(&scratch, &table, "main").await, Vec::new());
        assert_eq!(columns(&scratch, "main").await, Some((None, 0, 0)));
        assert_eq!(
            storage.load().await.unwrap().as_deref(),
            Some(&b"not a session"[..])
        );

        storage.store(snapshot(1, again)).await.unwrap();
        storage
            .append(again.epoch, record(again.epoch, 2))
            .await
            .unwrap();
        storage.delete().await.unwrap();
        assert_eq!(rows(&scratch, &table, "main").await, Vec::new());
        assert_eq!(columns(&scratch, "main").await, None);
        let absent = storage.store_if(snapshot(1, again), Expect::Absent).await;
        absent.unwrap();
        assert_eq!(columns(&scratch, "main").await.unwrap().1, 0);
    }

    /// The layout of schema version 1, as the previous version of the crate created it.
    fn version_1_table(table: &TableName) -> String {
        format!(
            "CREATE TABLE {} (slot text PRIMARY KEY, data bytea NOT NULL, \
             version bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL, \
             updated_at timestamptz NOT NULL DEFAULT now())",
            table.qualified()
        )
    }

    /// A table created by the previous version (schema version 1, rows written the way it wrote them) is a
    /// `Config` error until `migrate()`; `migrate()` adds the journal and keeps every row and version; the
    /// old rows have no journal until a snapshot is stored; a second `migrate()` changes nothing.
    #[tokio::test]
    async fn a_version_1_table_is_migrated_to_version_2() {
        let scratch = Scratch::new("jmig");
        let admin = scratch.admin_pool();
        let table = scratch.table().clone();
        execute(&admin, format!("CREATE SCHEMA {}", table.quoted_schema())).await;
        execute(&admin, version_1_table(&table)).await;
        let at = position(3);
        let old_snapshot = snapshot(2, at);
        let insert = format!(
            "INSERT INTO {} (slot, data, updated_at) VALUES ($1, $2, now()) RETURNING version",
            table.qualified()
        );
        let mut old_versions = Vec::new();
        for (slot, data) in [("old", &old_snapshot[..]), ("plain", &b"v1 bytes"[..])] {
            let version: i64 = sqlx::query_scalar(AssertSqlSafe(insert.clone()))
                .bind(slot)
                .bind(data)
                .fetch_one(&admin)
                .await
                .unwrap();
            old_versions.push(version);
        }

        let storage = scratch.storage("old");
        let err = storage.load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains("migrate()"), "{err}");
        let err = storage
            .append(at.epoch, record(at.epoch, 4))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");

        storage.migrate().await.unwrap();
        storage.migrate().await.expect("a second migrate");
        for (slot, data, version) in [
            ("old", &old_snapshot[..], old_versions[0]),
            ("plain", &b"v1 bytes"[..], old_versions[1]),
        ] {
            let handle = storage.for_slot(slot_of(slot));
            let (loaded, token) = handle.load_versioned().await.unwrap().unwrap();
            assert_eq!(&loaded[..], data, "{slot}");
            assert_eq!(token.as_bytes(), version.to_be_bytes(), "{slot}");
            let journal = handle.load_journal().await.unwrap().unwrap();
            assert!(journal.records.is_empty(), "{slot}");
            assert_eq!(columns(&scratch, slot).await, Some((None, 0, 0)), "{slot}");
        }
        // The old snapshot names a position, but its row has no journal yet: appends are refused until a
        // snapshot is stored again.
        let refused = storage.append(at.epoch, record(at.epoch, 4)).await;
        assert_eq!(kind(refused), ErrorKind::Conflict);
        storage.store(old_snapshot.clone()).await.unwrap();
        assert_eq!(
            storage.append(at.epoch, record(at.epoch, 4)).await.unwrap(),
            3
        );
        assert_eq!(home_dc(&storage).await, Some(4));
        storage
            .migrate()
            .await
            .expect("migrate on a migrated table");
        assert_eq!(home_dc(&storage).await, Some(4));
    }

    /// A journal table of another shape makes `migrate()` fail with a `Config` error that names it and shows
    /// what it found, and the migration changes nothing (the version 1 table gets no journal columns).
    #[tokio::test]
    async fn a_journal_table_of_another_shape_is_a_config_error() {
        let scratch = Scratch::new("jshape");
        let admin = scratch.admin_pool();
        let table = scratch.table().clone();
        execute(&admin, format!("CREATE SCHEMA {}", table.quoted_schema())).await;
        execute(&admin, version_1_table(&table)).await;
        let journal = table.qualified_journal();
        execute(
            &admin,
            format!("CREATE TABLE {journal} (slot text, n integer)"),
        )
        .await;
        let err = scratch.storage("main").migrate().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains(&journal), "{err}");
        assert!(err.message().contains("(slot text, n integer)"), "{err}");
        let added: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 AND column_name LIKE 'journal%'",
        )
        .bind(table.schema())
        .bind(table.table())
        .fetch_one(&admin)
        .await
        .unwrap();
        assert_eq!(added, 0, "the failed migration was rolled back");
    }

    /// A journal row left at or past the journal's end (an append that committed while a single-statement
    /// `store` waited for the row lock leaves one) is never read, an append at its index replaces it, and
    /// the next compaction deletes those past the end.
    #[tokio::test]
    async fn stale_journal_rows_are_never_read_and_are_replaced() {
        let scratch = Scratch::new("jstale");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let table = scratch.table().clone();
        let at = position(0);
        storage.store(snapshot(1, at)).await.unwrap();
        storage.append(at.epoch, record(at.epoch, 2)).await.unwrap();
        storage.append(at.epoch, record(at.epoch, 3)).await.unwrap();
        let stale = record(at.epoch, 99);
        let plant = format!(
            "INSERT INTO {} (slot, idx, record) VALUES ('main', $1, $2)",
            table.qualified_journal()
        );
        for idx in [2_i64, 40] {
            sqlx::query(AssertSqlSafe(plant.clone()))
                .bind(idx)
                .bind(&stale[..])
                .execute(&scratch.admin_pool())
                .await
                .unwrap();
        }
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(journal.records.len(), 2);
        assert_eq!(home_dc(&storage).await, Some(3));

        let fresh = record(at.epoch, 4);
        assert_eq!(storage.append(at.epoch, fresh.clone()).await.unwrap(), 2);
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(journal.records.last(), Some(&fresh));
        assert_eq!(home_dc(&storage).await, Some(4));

        let through = JournalPosition {
            epoch: at.epoch,
            next: 1,
        };
        storage
            .compact(snapshot(2, through), through)
            .await
            .unwrap();
        let left: Vec<i64> = rows(&scratch, &table, "main")
            .await
            .into_iter()
            .map(|(idx, _)| idx)
            .collect();
        assert_eq!(left, [1, 2]);
        assert_eq!(home_dc(&storage).await, Some(4));
    }

    /// The race that leaves a stale row, for real: an append commits while a `store` waits for the row lock
    /// the append holds. The store wins with a new epoch; the append's row stays behind the new journal's
    /// end, is never read, and is replaced when the new journal reaches its index.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_racing_an_append_leaves_a_row_that_is_never_read() {
        let scratch = Scratch::new("jrace");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let table = scratch.table().clone();
        let old = position(0);
        storage.store(snapshot(1, old)).await.unwrap();
        storage
            .append(old.epoch, record(old.epoch, 2))
            .await
            .unwrap();

        // The append's statement, in a transaction left open: it holds the row lock.
        let admin = scratch.admin_pool();
        let mut appending = admin.begin().await.unwrap();
        let append = format!(
            "WITH bumped AS (UPDATE {} SET journal_end = journal_end + 1, version = DEFAULT \
             WHERE slot = 'main' AND journal_epoch = $1 RETURNING journal_end - 1 AS idx) \
             INSERT INTO {} (slot, idx, record) SELECT 'main', idx, $2 FROM bumped RETURNING idx",
            table.qualified(),
            table.qualified_journal()
        );
        let late = record(old.epoch, 3);
        let index: i64 = sqlx::query_scalar(AssertSqlSafe(append))
            .bind(&old.epoch.as_bytes()[..])
            .bind(&late[..])
            .fetch_one(&mut *appending)
            .await
            .unwrap();
        assert_eq!(index, 1);

        let new = position(0);
        let storer = storage.clone();
        let store = tokio::spawn(async move { storer.store(snapshot(5, new)).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!store.is_finished(), "the store waits for the row lock");
        appending.commit().await.unwrap();
        store.await.unwrap().unwrap();

        let left = rows(&scratch, &table, "main").await;
        assert_eq!(
            left,
            vec![(1, late.to_vec())],
            "the append's row stays behind"
        );
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!((journal.base, journal.records.len()), (0, 0));
        assert_eq!(home_dc(&storage).await, Some(5));
        for dc in [6, 7] {
            storage
                .append(new.epoch, record(new.epoch, dc))
                .await
                .unwrap();
        }
        let journal = storage.load_journal().await.unwrap().unwrap();
        assert_eq!(
            journal.records,
            [record(new.epoch, 6), record(new.epoch, 7)]
        );
        assert_eq!(home_dc(&storage).await, Some(7));
    }

    /// Appends, compactions, stores and deletes of one slot from four handles at once for two seconds:
    /// every call succeeds or fails with a plain conflict (the session was replaced), never with a
    /// deadlock or any other error, and the slot ends consistent.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mixed_journal_writers_never_deadlock() {
        let scratch = Scratch::new("jmixed");
        let setup = scratch.storage("main");
        setup.migrate().await.unwrap();
        setup.store(snapshot(1, position(0))).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut tasks = tokio::task::JoinSet::new();
        for role in 0..4 {
            let storage = scratch.storage("main");
            tasks.spawn(async move {
                let mut calls = 0_u32;
                while Instant::now() < deadline {
                    calls += 1;
                    let result = match role {
                        0 | 1 => match storage.load_journal().await {
                            Ok(Some(journal)) => match journal.replay() {
                                Ok(replayed) => match (role, replayed.position) {
                                    (0, Some(at)) => storage
                                        .append(at.epoch, record(at.epoch, 2))
                                        .await
                                        .map(drop),
                                    (_, Some(at)) => {
                                        let bytes = replayed.session.encode_snapshot(&at).unwrap();
                                        storage.compact(Bytes::from(bytes), at).await
                                    }
                                    (_, None) => Ok(()),
                                },
                                Err(err) => panic!("the journal does not replay: {err}"),
                            },
                            Ok(None) => Ok(()),
                            Err(err) => Err(err),
                        },
                        2 => storage.store(snapshot(1, position(calls.into()))).await,
                        _ if calls.is_multiple_of(4) => storage.delete().await,
                        _ => storage
                            .store_if(snapshot(1, position(0)), Expect::Absent)
                            .await
                            .map(drop),
                    };
                    match result {
                        Ok(()) => {}
                        Err(err) if err.kind() == ErrorKind::Conflict => {
                            assert!(
                                !err.message().contains("concurrent transaction"),
                                "role {role}: {err}"
                            );
                        }
                        Err(err) => panic!("role {role}: {err}"),
                    }
                }
                calls
            });
        }
        while let Some(calls) = tasks.join_next().await {
            assert!(calls.unwrap() > 0);
        }
        if let Some(journal) = setup.load_journal().await.unwrap() {
            journal.replay().expect("the journal replays");
        }
    }

    /// A record that is not exactly one whole record of the epoch it is appended to is refused with
    /// `InvalidInput`, and neither the journal nor the version changes; so is a compaction whose snapshot
    /// does not name its position.
    #[tokio::test]
    async fn invalid_records_and_snapshots_are_refused() {
        let scratch = Scratch::new("jinval");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let at = position(0);
        storage.store(snapshot(1, at)).await.unwrap();
        let before = storage.load_versioned().await.unwrap().unwrap();
        let good = record(at.epoch, 2);
        let mut damaged = good.to_vec();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xFF;
        let bad = [
            Bytes::from(damaged),
            good.slice(..good.len() - 1),
            Bytes::from_static(b"junk"),
            record(Epoch::random(), 2),
        ];
        for bytes in bad {
            let err = storage.append(at.epoch, bytes).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        }
        let not_a_snapshot = storage
            .compact(Bytes::from_static(b"junk"), at)
            .await
            .unwrap_err();
        assert_eq!(not_a_snapshot.kind(), ErrorKind::InvalidInput);
        let elsewhere = storage.compact(snapshot(1, position(0)), at).await;
        assert_eq!(kind(elsewhere), ErrorKind::InvalidInput);
        assert_eq!(storage.load_versioned().await.unwrap().unwrap(), before);
        assert!(storage
            .load_journal()
            .await
            .unwrap()
            .unwrap()
            .records
            .is_empty());
    }

    /// An append or a compaction blocked on the row lock ends at the operation timeout, with an unknown
    /// outcome unless the server's own timeout ended it; the server aborts it too (`statement_timeout`), so it is not applied once the lock is
    /// released, and the journal goes on at the next index.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn journal_writes_cut_short_by_the_timeout_are_not_applied_later() {
        let scratch = Scratch::new("jtimeout");
        let timeout = Duration::from_millis(300);
        let storage = scratch
            .config()
            .operation_timeout(timeout)
            .open(slot_of("main"))
            .unwrap();
        storage.migrate().await.unwrap();
        let at = position(0);
        storage.store(snapshot(1, at)).await.unwrap();

        let admin = scratch.admin_pool();
        let mut blocker = admin.begin().await.unwrap();
        let lock = format!(
            "SELECT 1 FROM {} WHERE slot = 'main' FOR UPDATE",
            scratch.table()
        );
        sqlx::query(AssertSqlSafe(lock))
            .execute(&mut *blocker)
            .await
            .unwrap();
        let started = Instant::now();
        let err = storage
            .append(at.epoch, record(at.epoch, 2))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        // The client's timer leaves the outcome unknown; the server's statement_timeout, whichever comes
        // first, aborted the statement, so it is known not to be applied.
        let canceled = err.message().contains("the server canceled the statement");
        assert_eq!(err.outcome_unknown(), !canceled, "{err}");
        let through = JournalPosition {
            epoch: at.epoch,
            next: 0,
        };
        let err = storage
            .compact(snapshot(3, through), through)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        // The client's timer leaves the outcome unknown; the server's statement_timeout, whichever comes
        // first, aborted the statement, so it is known not to be applied.
        let canceled = err.message().contains("the server canceled the statement");
        assert_eq!(err.outcome_unknown(), !canceled, "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );

        tokio::time::sleep(timeout * 2).await;
        blocker.rollback().await.unwrap();
        tokio::time::sleep(timeout).await;
        assert_eq!(home_dc(&storage).await, Some(1));
        assert!(storage
            .load_journal()
            .await
            .unwrap()
            .unwrap()
            .records
            .is_empty());
        assert_eq!(
            storage.append(at.epoch, record(at.epoch, 4)).await.unwrap(),
            0
        );
        assert_eq!(home_dc(&storage).await, Some(4));
    }

    /// Tables whose names are too long for `<table>_journal` get journal tables of their own, also when
    /// their names differ only after the part the journal table's name keeps.
    #[tokio::test]
    async fn long_table_names_get_journal_tables_of_their_own() {
        let scratch = Scratch::new("jlong");
        let schema = scratch.table().schema().to_owned();
        let mut handles = Vec::new();
        for last in ['x', 'y'] {
            let name = format!("{}{last}", "t".repeat(62));
            let table = TableName::new(schema.clone(), name).unwrap();
            let storage = scratch.storage("main").with_table(table);
            storage.migrate().await.unwrap();
            handles.push(storage);
        }
        assert_ne!(
            handles[0].table().journal_table(),
            handles[1].table().journal_table()
        );
        for (n, storage) in handles.iter().enumerate() {
            let at = position(0);
            storage.store(snapshot(1, at)).await.unwrap();
            let dc = 10 + n as i32;
            storage
                .append(at.epoch, record(at.epoch, dc))
                .await
                .unwrap();
        }
        for (n, storage) in handles.iter().enumerate() {
            assert_eq!(home_dc(storage).await, Some(10 + n as i32));
            let rows = rows(&scratch, storage.table(), "main").await;
            assert_eq!(rows.len(), 1);
        }
    }

    /// A dropped journal table is a `Config` error that names it and says to migrate; `migrate()` creates it
    /// again.
    #[tokio::test]
    async fn a_missing_journal_table_is_a_config_error_that_says_to_migrate() {
        let scratch = Scratch::new("jmissing");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let journal = scratch.table().qualified_journal();
        execute(&scratch.admin_pool(), format!("DROP TABLE {journal}")).await;
        let at = position(0);
        let check = |err: StorageError, op: &str| {
            assert_eq!(err.kind(), ErrorKind::Config, "{op}: {err}");
            assert!(err.message().contains(&journal), "{op}: {err}");
            assert!(err.message().contains("migrate()"), "{op}: {err}");
        };
        check(storage.store(snapshot(1, at)).await.unwrap_err(), "store");
        check(storage.load().await.unwrap_err(), "load");
        check(storage.delete().await.unwrap_err(), "delete");
        storage.migrate().await.unwrap();
        storage.store(snapshot(1, at)).await.unwrap();
        storage.append(at.epoch, record(at.epoch, 2)).await.unwrap();
        assert_eq!(home_dc(&storage).await, Some(2));
    }
}
