//! `PostgresStorage` against the same SQL run directly through the same pool, for a 4 KiB and a 1 MiB value,
//! and a journal append against a bare `INSERT` of the same record.
//!
//! | variant   | store                                                 | load                                   |
//! |-----------|-------------------------------------------------------|----------------------------------------|
//! | `adapter` | `PostgresStorage::store`                              | `PostgresStorage::load`                |
//! | `direct`  | the adapter's upsert (which also deletes the journal) | the adapter's `SELECT` (row + records) |
//! | `v1`      | the plain upsert of schema version 1                  | `SELECT data` (schema version 1)       |
//!
//! `direct` and `v1` run through `sqlx::query` on the same pool.
//!
//! The gap to `direct` is what the adapter adds (operation timeout, slot binding, looking for a journal
//! position in the value, conversion to `Bytes`, the boxed future); the gap to `v1` is what keeping the
//! journal costs plain stores and loads. After criterion's own output, the run prints the medians side by
//! side with the adapter's overhead (target: 10 %).
//!
//! The `append` group appends a 200-byte journal record: `adapter` is `JournalStorage::append` (one
//! statement: the sessions row gets the next index and a new version under its row lock, and the record is
//! inserted), `insert` a bare single-row `INSERT` of the same bytes into a table shaped like the journal
//! table (`slot, idx, record`, primary key `(slot, idx)`), with the index counted by the client, and
//! `statement` the adapter's append statement run directly (the gap to it is the adapter's own cost, the
//! gap from `insert` to it what the statement does besides inserting). Criterion
//! measures the variants one after the other; on a busy machine the load changes between those runs, so the
//! bench also measures the variants of every operation **interleaved** (one call of each per round,
//! alternating which goes first) and prints those medians too.
//!
//! The `lease` group measures, in the same run, a plain write against the same write under a lease
//! (`write_fenced`, whose statement also locks the lease row `FOR SHARE`): `store-plain`/`store-fenced` of
//! 4 KiB, `append-plain`/`append-fenced` of the 200-byte record, and `renew` (one `renew_lease`); the
//! pairs are also measured interleaved.
//!
//! Needs the test server: `source <(scripts/services env)` or `eval "$(scripts/services start)"`, then
//! `CARGO_TARGET_DIR=/work/target-postgres cargo bench -p session-postgres --bench postgres`. It works in a
//! random schema that it drops at the end.

use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{format_ns, median_ns, sample_value, OverheadTable, SIZES};
use session_core::{
    Bytes, FencedWrite, FencingToken, HolderId, JournalPosition, JournalStorage, LeaseRequest,
    LeaseStorage, Patch, Peer, PeerId, PeerKind, Record, SessionStorage, Slot,
};
use session_postgres::sqlx::{self, AssertSqlSafe};
use session_postgres::{PostgresConfig, PostgresStorage, TableName};
use tokio::runtime::Runtime;

/// The ways a value is written or read.
const VARIANTS: [&str; 3] = ["adapter", "direct", "v1"];

/// The ways a journal record is written.
const APPEND_VARIANTS: [&str; 3] = ["adapter", "statement", "insert"];

/// The lease benchmarks: variant and the size it runs at.
const LEASE_VARIANTS: [(&str, &str); 5] = [
    ("store-plain", "4KiB"),
    ("store-fenced", "4KiB"),
    ("append-plain", "200B"),
    ("append-fenced", "200B"),
    ("renew", "-"),
];

/// The size of the appended record, in bytes (at least; the patch is grown to it), and its benchmark id.
const RECORD_LEN: (&str, usize) = ("200B", 200);

/// The slot the direct statements use, next to the adapter's `bench`.
const DIRECT_SLOT: &str = "bench-direct";

/// The slot the schema version 1 statements use.
const V1_SLOT: &str = "bench-v1";

/// The slot whose journal the appends grow.
const APPEND_SLOT: &str = "bench-append";

/// Everything one benchmark needs: a runtime, handles, and the SQL the adapter runs.
struct Fixture {
    runtime: Runtime,
    storage: PostgresStorage,
    /// The handle on [`APPEND_SLOT`].
    appender: PostgresStorage,
    /// The position of the snapshot the appends follow.
    position: JournalPosition,
    upsert: String,
    select: String,
    v1_upsert: String,
    v1_select: String,
    /// The adapter's append statement.
    append: String,
    /// The bare insert into the table shaped like the journal table.
    insert: String,
    /// The index of the next bare insert.
    next_index: Cell<i64>,
    /// The lease the fenced stores of `storage` and the renewals are made under.
    store_lease: FencingToken,
    /// The lease the fenced appends of `appender` are made under.
    append_lease: FencingToken,
}

impl Fixture {
    fn new() -> Fixture {
        let url = session_conformance::services::setting("TGSESSION_POSTGRES_URL");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let schema = format!("tgs_bench_{:016x}", fastrand::u64(..));
        let table = TableName::in_schema(schema).expect("schema name");
        let t = table.qualified();
        let j = table.qualified_journal();
        let bare = format!("{}.\"bare_journal\"", table.quoted_schema());
        let position = JournalPosition::start();
        let (storage, appender, leases) = runtime.block_on(async {
            let storage = PostgresConfig::from_url(&url)
                .expect("TGSESSION_POSTGRES_URL")
                .table(table)
                .open(Slot::new("bench").expect("slot"))
                .expect("handle");
            storage.migrate().await.expect("migrate");
            let create = format!(
                "CREATE TABLE {bare} (slot text NOT NULL, idx bigint NOT NULL, record bytea NOT NULL, \
                 PRIMARY KEY (slot, idx))"
            );
            sqlx::query(AssertSqlSafe(create))
                .execute(storage.pool())
                .await
                .expect("create the bare journal table");
            let appender = storage.for_slot(Slot::new(APPEND_SLOT).expect("slot"));
            let session = session_conformance::fixtures::auth_only();
            let snapshot = session.encode_snapshot(&position).expect("snapshot");
            appender
                .store(Bytes::from(snapshot))
                .await
                .expect("store the snapshot");
            let request = LeaseRequest::new(HolderId::new("bench").expect("holder"));
            let mut leases = Vec::new();
            for handle in [&storage, &appender] {
                let grant = handle.acquire_lease(&request).await.expect("lease");
                leases.push(grant.token);
            }
            (storage, appender, leases)
        });
        Fixture {
            runtime,
            storage,
            appender,
            store_lease: leases[0],
            append_lease: leases[1],
            position,
            upsert: format!(
                "WITH up AS (\
                 INSERT INTO {t} (slot, data, updated_at, journal_epoch, journal_base, journal_end) \
                 VALUES ($1, $2, now(), $3, $4, $4) \
                 ON CONFLICT (slot) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version, \
                 updated_at = EXCLUDED.updated_at, journal_epoch = EXCLUDED.journal_epoch, \
                 journal_base = EXCLUDED.journal_base, journal_end = EXCLUDED.journal_end \
                 RETURNING slot) \
                 DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM up)"
            ),
            select: format!(
                "SELECT s.data, s.version, s.journal_epoch, s.journal_base, s.journal_end, \
                 CASE WHEN s.journal_end > s.journal_base THEN ARRAY(\
                 SELECT j.record FROM {j} j WHERE j.slot = $1 \
                 AND j.idx >= s.journal_base AND j.idx < s.journal_end ORDER BY j.idx) END \
                 FROM {t} s WHERE s.slot = $1"
            ),
            v1_upsert: format!(
                "INSERT INTO {t} (slot, data, updated_at) VALUES ($1, $2, now()) \
                 ON CONFLICT (slot) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version, \
                 updated_at = EXCLUDED.updated_at"
            ),
            v1_select: format!("SELECT data FROM {t} WHERE slot = $1"),
            append: format!(
                "WITH bumped AS (\
                 UPDATE {t} SET journal_end = journal_end + 1, version = DEFAULT, updated_at = now() \
                 WHERE slot = $1 AND journal_epoch = $2 RETURNING journal_end - 1 AS idx) \
                 INSERT INTO {j} (slot, idx, record) SELECT $1, idx, $3 FROM bumped \
                 ON CONFLICT (slot, idx) DO UPDATE SET record = EXCLUDED.record \
                 RETURNING idx"
            ),
            insert: format!("INSERT INTO {bare} (slot, idx, record) VALUES ($1, $2, $3)"),
            next_index: Cell::new(0),
        }
    }

    /// Runs one `variant` of `op` on `value` once.
    fn run(&self, op: &str, variant: &str, value: &Bytes) {
        let pool = self.storage.pool();
        match (op, variant) {
            ("store", "adapter") => self
                .runtime
                .block_on(self.storage.store(value.clone()))
                .expect("store"),
            ("store", "direct") => {
                // The sample values are no snapshots: no journal.
                let query = sqlx::query(AssertSqlSafe(self.upsert.as_str()))
                    .bind(DIRECT_SLOT)
                    .bind(&value[..])
                    .bind(None::<&[u8]>)
                    .bind(0_i64)
                    .execute(pool);
                self.runtime.block_on(query).expect("upsert");
            }
            ("store", "v1") => {
                let query = sqlx::query(AssertSqlSafe(self.v1_upsert.as_str()))
                    .bind(V1_SLOT)
                    .bind(&value[..])
                    .execute(pool);
                self.runtime.block_on(query).expect("upsert");
            }
            ("load", "adapter") => {
                let loaded = self.runtime.block_on(self.storage.load()).expect("load");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            ("load", "direct") => {
                type Row = (
                    Vec<u8>,
                    i64,
                    Option<Vec<u8>>,
                    i64,
                    i64,
                    Option<Vec<Vec<u8>>>,
                );
                let query = sqlx::query_as::<_, Row>(AssertSqlSafe(self.select.as_str()))
                    .bind(DIRECT_SLOT)
                    .fetch_optional(pool);
                let loaded = self.runtime.block_on(query).expect("select");
                assert_eq!(loaded.map(|row| row.0.len()), Some(value.len()));
            }
            ("load", "v1") => {
                let query =
                    sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(self.v1_select.as_str()))
                        .bind(V1_SLOT)
                        .fetch_optional(pool);
                let loaded = self.runtime.block_on(query).expect("select");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            ("append", "adapter") => {
                let appended = self.appender.append(self.position.epoch, value.clone());
                self.runtime.block_on(appended).expect("append");
            }
            ("append", "statement") => {
                let query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(self.append.as_str()))
                    .bind(APPEND_SLOT)
                    .bind(&self.position.epoch.as_bytes()[..])
                    .bind(&value[..])
                    .fetch_optional(pool);
                let index = self.runtime.block_on(query).expect("append statement");
                assert!(index.is_some(), "the slot has the journal");
            }
            ("append", "insert") => {
                let index = self.next_index.get();
                self.next_index.set(index + 1);
                let query = sqlx::query(AssertSqlSafe(self.insert.as_str()))
                    .bind(APPEND_SLOT)
                    .bind(index)
                    .bind(&value[..])
                    .execute(pool);
                self.runtime.block_on(query).expect("insert");
            }
            ("lease", "store-plain") => self.run("store", "adapter", value),
            ("lease", "append-plain") => self.run("append", "adapter", value),
            ("lease", "store-fenced") => {
                let write = FencedWrite::Store(value.clone());
                let stored = self.storage.write_fenced(self.store_lease, write);
                self.runtime.block_on(stored).expect("fenced store");
            }
            ("lease", "append-fenced") => {
                let write = FencedWrite::Append(self.position.epoch, value.clone());
                let appended = self.appender.write_fenced(self.append_lease, write);
                self.runtime.block_on(appended).expect("fenced append");
            }
            ("lease", "renew") => {
                let renewed = self
                    .storage
                    .renew_lease(self.store_lease, LeaseRequest::DEFAULT_TTL);
                self.runtime.block_on(renewed).expect("renew");
            }
            _ => unreachable!("unknown benchmark {op}/{variant}"),
        }
    }

    /// A record of the appended slot's epoch of at least [`RECORD_LEN`] bytes: peers upserted until it is
    /// that long.
    fn record(&self) -> Bytes {
        let mut patch = Patch::new();
        for id in 1.. {
            let record = Record::encode_patch(self.position.epoch, &patch).expect("record");
            if record.len() >= RECORD_LEN.1 {
                return Bytes::from(record);
            }
            let peer = Peer {
                kind: PeerKind::User,
                access_hash: Some(0x5eed_0000 + id),
                username: Some(format!("user{id}").into()),
                phone: None,
                min: false,
            };
            patch.upsert_peer(PeerId::User(id), peer);
        }
        unreachable!("the record grows with every peer")
    }

    /// Drops the benchmark's schema.
    fn drop_schema(&self) {
        let sql = format!(
            "DROP SCHEMA {} CASCADE",
            self.storage.table().quoted_schema()
        );
        let dropped = sqlx::query(AssertSqlSafe(sql)).execute(self.storage.pool());
        self.runtime.block_on(dropped).expect("drop the schema");
    }
}

fn bench(c: &mut Criterion, fixture: &Fixture) {
    for op in ["store", "load"] {
        let mut group = c.benchmark_group(op);
        for (size_name, len) in SIZES {
            let value = sample_value(len, 0);
            // The load benchmarks read what these lines store.
            for variant in VARIANTS {
                fixture.run("store", variant, &value);
            }
            // Alternate the variants so a drift of the server's speed hits them alike.
            for variant in VARIANTS {
                let id = BenchmarkId::new(variant, size_name);
                group.bench_with_input(id, &value, |b, value| {
                    b.iter(|| fixture.run(op, variant, value));
                });
            }
        }
        group.finish();
    }
    let mut group = c.benchmark_group("append");
    let record = fixture.record();
    for variant in APPEND_VARIANTS {
        let id = BenchmarkId::new(variant, RECORD_LEN.0);
        group.bench_with_input(id, &record, |b, record| {
            b.iter(|| fixture.run("append", variant, record));
        });
    }
    group.finish();
    let mut group = c.benchmark_group("lease");
    for (variant, size) in LEASE_VARIANTS {
        let value = lease_value(fixture, size);
        group.bench_with_input(BenchmarkId::new(variant, size), &value, |b, value| {
            b.iter(|| fixture.run("lease", variant, value));
        });
    }
    group.finish();
}

/// The value a lease benchmark of `size` writes: the journal record, or a 4 KiB value.
fn lease_value(fixture: &Fixture, size: &str) -> Bytes {
    if size == RECORD_LEN.0 {
        fixture.record()
    } else {
        sample_value(4 << 10, 0)
    }
}

/// Prints criterion's medians of this run with the adapter's overhead, then measures the variants of every
/// operation interleaved and prints those medians with the overhead.
fn report(out: &Path, fixture: &Fixture) {
    OverheadTable::new("median per call", &VARIANTS, "adapter", &["direct", "v1"])
        .print_from_criterion(out, &["store", "load"], &SIZES.map(|(size, _)| size));
    OverheadTable::new(
        "median per call",
        &APPEND_VARIANTS,
        "adapter",
        &["insert", "statement"],
    )
    .print_from_criterion(out, &["append"], &[RECORD_LEN.0]);
    for (variant, size) in LEASE_VARIANTS {
        let median = median_ns(out, "lease", variant, size).map_or("-".into(), format_ns);
        println!("lease {variant:>14} {size:>5}: median {median}");
    }
    let table = OverheadTable::new(
        "interleaved median",
        &VARIANTS,
        "adapter",
        &["direct", "v1"],
    );
    table.print_header();
    for op in ["store", "load"] {
        for (size, len) in SIZES {
            let value = sample_value(len, 0);
            for variant in VARIANTS {
                fixture.run("store", variant, &value);
            }
            let rounds = if len > 64 << 10 { 200 } else { 2000 };
            table.measure_row(op, size, rounds, |variant| fixture.run(op, variant, &value));
        }
    }
    let table = OverheadTable::new(
        "interleaved median",
        &APPEND_VARIANTS,
        "adapter",
        &["insert", "statement"],
    );
    table.print_header();
    let record = fixture.record();
    table.measure_row("append", RECORD_LEN.0, 3000, |variant| {
        fixture.run("append", variant, &record);
    });
    for (op, plain, fenced) in [
        ("store", "store-plain", "store-fenced"),
        ("append", "append-plain", "append-fenced"),
    ] {
        let (pair, baseline) = ([fenced, plain], [plain]);
        let table = OverheadTable::new("interleaved median", &pair, fenced, &baseline);
        table.print_header();
        let size = if op == "store" { "4KiB" } else { RECORD_LEN.0 };
        let value = lease_value(fixture, size);
        table.measure_row("lease", size, 2000, |variant| {
            fixture.run("lease", variant, &value);
        });
    }
}

fn main() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-postgres");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let fixture = Fixture::new();
    bench(&mut criterion, &fixture);
    criterion.final_summary();
    report(&out, &fixture);
    fixture.drop_schema();
}
