//! What is special to PostgreSQL: `migrate()`, the table layout, versions, names, credentials, permissions,
//! timeouts and errors.

mod common;

use std::time::{Duration, Instant};

use session_core::{ErrorKind, SessionStorage};
use session_postgres::PostgresConfig;

use crate::common::slot_of;

/// A server nobody listens on fails promptly with a retryable error (no server needed).
#[tokio::test]
async fn an_unreachable_server_fails_promptly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let storage = PostgresConfig::from_url(&format!("postgres://u:secret-pw@127.0.0.1:{port}/db"))
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .open(slot_of("main"))
        .unwrap();
    let started = Instant::now();
    let err = storage.load().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(!format!("{err} {err:?} {storage:?}").contains("secret-pw"));
}

/// Every test here needs the server (`TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` leaves them out).
mod server {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use session_core::{
        Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, StorageError, Version,
        VersionedStorage,
    };
    use session_postgres::sqlx::{self, AssertSqlSafe};
    use session_postgres::{PostgresConfig, PostgresStorage, TableName};
    use tokio::sync::Barrier;

    use crate::common::{execute, fresh_name, slot_of, url, Scratch};

    fn value(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    fn kind<T: std::fmt::Debug>(result: Result<T, StorageError>) -> ErrorKind {
        result.unwrap_err().kind()
    }

    /// Runs `migrate()` from 8 pools and 8 tasks on one pool at the same moment on a fresh schema, then
    /// twice more in a row: every run succeeds and the table works.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn migrate_is_idempotent_and_safe_when_run_concurrently() {
        let scratch = Arc::new(Scratch::new("migrate"));
        let shared = scratch.storage("main");
        let runs = 16;
        let barrier = Arc::new(Barrier::new(runs));
        let mut tasks = tokio::task::JoinSet::new();
        for run in 0..runs {
            // Half the runs have a pool of their own, as separate processes would.
            let storage = if run % 2 == 0 {
                scratch.storage("main")
            } else {
                shared.clone()
            };
            let barrier = Arc::clone(&barrier);
            tasks.spawn(async move {
                barrier.wait().await;
                storage.migrate().await
            });
        }
        while let Some(result) = tasks.join_next().await {
            result.expect("task ran").expect("concurrent migrate");
        }
        shared.migrate().await.expect("migrate again");
        shared.migrate().await.expect("and again");
        shared.store(value("works")).await.unwrap();
        assert_eq!(shared.load().await.unwrap(), Some(value("works")));
    }

    /// Without `migrate()`, every call fails with a `Config` error naming the table and saying what to do,
    /// whether the schema is missing too or only the table.
    #[tokio::test]
    async fn a_missing_table_is_a_config_error_that_says_to_migrate() {
        let scratch = Scratch::new("missing");
        let storage = scratch.storage("main");
        let table = scratch.table().qualified();
        let check = |err: StorageError, op: &str| {
            assert_eq!(err.kind(), ErrorKind::Config, "{op}: {err}");
            assert!(
                err.message().contains(&table),
                "{op} names the table: {err}"
            );
            assert!(
                err.message().contains("migrate()"),
                "{op} says to migrate: {err}"
            );
        };
        for schema_exists in [false, true] {
            if schema_exists {
                execute(
                    &scratch.admin_pool(),
                    format!("CREATE SCHEMA {}", scratch.table().quoted_schema()),
                )
                .await;
            }
            check(storage.load().await.unwrap_err(), "load");
            check(storage.store(value("x")).await.unwrap_err(), "store");
            check(storage.delete().await.unwrap_err(), "delete");
            check(
                storage.load_versioned().await.unwrap_err(),
                "load_versioned",
            );
            let absent = storage.store_if(value("x"), Expect::Absent).await;
            check(absent.unwrap_err(), "store_if(Absent)");
            let stale = Expect::Version(Version::from_u64(1));
            check(
                storage.store_if(value("x"), stale).await.unwrap_err(),
                "store_if",
            );
        }
        storage.migrate().await.unwrap();
        assert_eq!(storage.load().await.unwrap(), None);
    }

    /// The row is where the documentation says, with the documented columns, and its `version` is the
    /// version `load_versioned` returns.
    #[tokio::test]
    async fn the_row_lives_in_the_configured_table() {
        let scratch = Scratch::new("layout");
        let table = TableName::new(scratch.table().schema(), "tg_sessions").unwrap();
        let storage = scratch.storage("bot-1").with_table(table.clone());
        storage.migrate().await.unwrap();
        storage.store(value("row bytes")).await.unwrap();
        let (_, version) = storage.load_versioned().await.unwrap().unwrap();

        let sql = format!(
            "SELECT data, version, updated_at > now() - interval '1 minute' FROM {} WHERE slot = $1",
            table.qualified()
        );
        let (data, column, fresh): (Vec<u8>, i64, bool) = sqlx::query_as(AssertSqlSafe(sql))
            .bind("bot-1")
            .fetch_one(&scratch.admin_pool())
            .await
            .unwrap();
        assert_eq!(data, b"row bytes");
        assert_eq!(version.as_bytes(), column.to_be_bytes());
        assert!(fresh, "updated_at is set");
        let default_table = storage
            .for_slot(slot_of("bot-1"))
            .with_table(scratch.table().clone());
        assert!(default_table.migrate().await.is_ok());
        assert_eq!(default_table.load().await.unwrap(), None, "another table");
    }

    /// Every write gives the slot a version it never had, also for equal bytes and after a delete, and old
    /// or foreign versions conflict without writing.
    #[tokio::test]
    async fn versions_never_repeat_for_a_slot() {
        let scratch = Scratch::new("versions");
        let storage = scratch.storage("main");
        storage.migrate().await.unwrap();
        let mut seen = vec![storage.store_if(value("a"), Expect::Absent).await.unwrap()];
        storage.store(value("a")).await.unwrap();
        seen.push(storage.load_versioned().await.unwrap().unwrap().1);
        let current = Expect::Version(seen[1].clone());
        seen.push(storage.store_if(value("a"), current).await.unwrap());
        storage.delete().await.unwrap();
        seen.push(storage.store_if(value("a"), Expect::Absent).await.unwrap());
        for (i, version) in seen.iter().enumerate() {
            assert_eq!(
                seen.iter().filter(|v| *v == version).count(),
                1,
                "{i}: {seen:?}"
            );
        }
        for stale in [&seen[0], &seen[1], &seen[2]] {
            let expect = Expect::Version(stale.clone());
            assert_eq!(
                kind(storage.store_if(value("lost"), expect).await),
                ErrorKind::Conflict
            );
        }
        let foreign = Expect::Version(Version::of_content(b"a"));
        assert_eq!(
            kind(storage.store_if(value("lost"), foreign).await),
            ErrorKind::Conflict
        );
        assert_eq!(storage.load().await.unwrap(), Some(value("a")));
    }

    /// Slot names with every allowed punctuation character, and of the longest length, are bound as values;
    /// names differing only in case are different rows.
    #[tokio::test]
    async fn slot_names_are_bound_values() {
        let scratch = Scratch::new("slots");
        let first = scratch.storage("main");
        first.migrate().await.unwrap();
        let long = "x".repeat(255);
        let names = ["a.b_c:d@e+f=g-h", "Main", "main", "--", long.as_str()];
        for name in names {
            let storage = first.for_slot(slot_of(name));
            storage.store(Bytes::from(name.to_owned())).await.unwrap();
        }
        for name in names {
            let loaded = first.for_slot(slot_of(name)).load().await.unwrap();
            assert_eq!(loaded, Some(Bytes::from(name.to_owned())), "{name}");
        }
    }

    /// A handle built from a URL with a password works, and neither its `Debug` nor any error shows the
    /// password.
    #[tokio::test]
    async fn debug_and_errors_hide_the_password() {
        let scratch = Scratch::new("secret");
        let secret = "pw-SECRET-7f3a";
        let mut with_password: url_parts::Url = url_parts::Url::parse(&url());
        with_password.password = Some(secret.to_owned());
        let storage = PostgresConfig::from_url(&with_password.to_string())
            .unwrap()
            .table(scratch.table().clone())
            .open(slot_of("main"))
            .unwrap();
        storage.migrate().await.unwrap();
        storage.store(value("x")).await.unwrap();
        let shown = format!("{storage:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("server: "), "{shown}");

        with_password.database = fresh_name("no_such_db");
        let missing =
            PostgresStorage::from_url(&with_password.to_string(), slot_of("main")).unwrap();
        let err = missing.load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let chain = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
        assert!(!chain.contains(secret), "{chain}");
    }

    /// A role that may not log in is `PermissionDenied`; so is a role without privileges on the table, until
    /// it gets them. `migrate()` needs no `CREATE` privilege once the table exists.
    #[tokio::test]
    async fn roles_without_rights_are_permission_denied() {
        let scratch = Scratch::new("perm");
        let owner = scratch.storage("main");
        owner.migrate().await.unwrap();
        let admin = scratch.admin_pool();
        let (nologin, plain) = (fresh_name("tgs_nologin"), fresh_name("tgs_plain"));
        for role in [&nologin, &plain] {
            scratch.clean_up(format!("DROP ROLE IF EXISTS \"{role}\""));
        }
        execute(&admin, format!("CREATE ROLE \"{nologin}\" NOLOGIN")).await;
        execute(&admin, format!("CREATE ROLE \"{plain}\" LOGIN")).await;
        let as_role = |role: &str| {
            let options = scratch.connect_options().username(role);
            PostgresConfig::from_options(options)
                .table(scratch.table().clone())
                .open(slot_of("main"))
                .unwrap()
        };

        let err = as_role(&nologin).load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");

        let plain_storage = as_role(&plain);
        let err = plain_storage.store(value("x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(
            err.message().contains(&scratch.table().qualified()),
            "{err}"
        );

        let (schema, table) = (scratch.table().quoted_schema(), scratch.table().qualified());
        execute(
            &admin,
            format!("GRANT USAGE ON SCHEMA {schema} TO \"{plain}\""),
        )
        .await;
        execute(
            &admin,
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO \"{plain}\""),
        )
        .await;
        // Without rights on the journal table, writes fail, naming it.
        let journal = scratch.table().qualified_journal();
        let err = plain_storage.store(value("x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(err.message().contains(&journal), "{err}");
        execute(
            &admin,
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {journal} TO \"{plain}\""),
        )
        .await;
        plain_storage
            .migrate()
            .await
            .expect("migrate without CREATE");
        plain_storage.store(value("granted")).await.unwrap();
        assert_eq!(owner.load().await.unwrap(), Some(value("granted")));
        // The cleanup drops the schema before the roles; the grants go with it.
        execute(&admin, format!("REVOKE ALL ON {table} FROM \"{plain}\"")).await;
        execute(&admin, format!("REVOKE ALL ON {journal} FROM \"{plain}\"")).await;
        execute(
            &admin,
            format!("REVOKE ALL ON SCHEMA {schema} FROM \"{plain}\""),
        )
        .await;
    }

    /// `sslmode=require` against a server without TLS (the test server) is a `Config` error, with or without
    /// the crate feature `tls`.
    #[tokio::test]
    async fn required_tls_that_cannot_be_had_is_a_config_error() {
        let storage =
            PostgresStorage::from_url(&format!("{}?sslmode=require", url()), slot_of("main"))
                .unwrap();
        let err = storage.load().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains("TLS"), "{err}");
    }

    /// A table of another shape makes `migrate()` fail with a `Config` error that shows what it found.
    #[tokio::test]
    async fn a_table_of_another_shape_is_a_config_error() {
        let scratch = Scratch::new("shape");
        let admin = scratch.admin_pool();
        execute(
            &admin,
            format!("CREATE SCHEMA {}", scratch.table().quoted_schema()),
        )
        .await;
        let table = scratch.table().qualified();
        execute(
            &admin,
            format!("CREATE TABLE {table} (slot text PRIMARY KEY, data text)"),
        )
        .await;
        let storage = scratch.storage("main");
        let err = storage.migrate().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(
            err.message().contains("(slot text not null, data text)"),
            "{err}"
        );
        let err = storage.store(value("x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains("migrate()"), "{err}");
    }

    /// A call blocked on the server (here by a row lock held elsewhere) ends at the operation timeout; the
    /// server aborts it too (its `statement_timeout`), so it is not applied once the lock is released (where
    /// it could overwrite a later write); and the same handle works again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_cut_short_by_the_timeout_is_not_applied_later() {
        let scratch = Scratch::new("timeout");
        let timeout = Duration::from_millis(300);
        let storage = scratch
            .config()
            .operation_timeout(timeout)
            .open(slot_of("main"))
            .unwrap();
        storage.migrate().await.unwrap();
        storage.store(value("before")).await.unwrap();

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
        let err = storage.store(value("blocked")).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Either the client's timer or the server's statement_timeout ends it, whichever is first.
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

        // Give the server time to abort the statement, then free the row: the write was not applied.
        tokio::time::sleep(timeout * 2).await;
        blocker.rollback().await.unwrap();
        tokio::time::sleep(timeout).await;
        assert_eq!(storage.load().await.unwrap(), Some(value("before")));
        storage.store(value("after")).await.unwrap();
        assert_eq!(storage.load().await.unwrap(), Some(value("after")));
    }

    /// A URL split into the parts the tests change.
    mod url_parts {
        use std::fmt;

        /// `postgres://user[:password]@host:port/database`.
        pub(super) struct Url {
            pub(super) user: String,
            pub(super) password: Option<String>,
            pub(super) host_port: String,
            pub(super) database: String,
        }

        impl Url {
            /// Splits the test server's URL, which has this shape.
            pub(super) fn parse(url: &str) -> Url {
                let rest = url.strip_prefix("postgres://").expect("a postgres:// URL");
                let (credentials, rest) = rest.split_once('@').expect("user@host");
                let (host_port, database) = rest.split_once('/').expect("host/database");
                let (user, password) = match credentials.split_once(':') {
                    Some((user, password)) => (user, Some(password.to_owned())),
                    None => (credentials, None),
                };
                Url {
                    user: user.to_owned(),
                    password,
                    host_port: host_port.to_owned(),
                    database: database.to_owned(),
                }
            }
        }

        impl fmt::Display for Url {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "postgres://{}", self.user)?;
                if let Some(password) = &self.password {
                    write!(f, ":{password}")?;
                }
                write!(f, "@{}/{}", self.host_port, self.database)
            }
        }
    }
}
