//! `PostgresStorage` against the same SQL run directly through the same pool, for a 4 KiB and a 1 MiB value.
//!
//! | variant   | store                                                  | load                               |
//! |-----------|--------------------------------------------------------|------------------------------------|
//! | `adapter` | `PostgresStorage::store`                               | `PostgresStorage::load`            |
//! | `direct`  | the adapter's upsert through `sqlx::query` on the pool | its `SELECT data` on the pool      |
//!
//! The gap is what the adapter adds (operation timeout, slot binding, conversion to `Bytes`, the boxed
//! future). After criterion's own output, the run prints the medians side by side with the adapter's
//! overhead (target: 10 %).
//!
//! Needs the test server: `source <(scripts/services env)` or `eval "$(scripts/services start)"`, then
//! `CARGO_TARGET_DIR=/work/target-postgres cargo bench -p session-postgres --bench postgres`. It works in a
//! random schema that it drops at the end.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{sample_value, OverheadTable, SIZES};
use session_core::{Bytes, SessionStorage, Slot};
use session_postgres::sqlx::{self, AssertSqlSafe};
use session_postgres::{PostgresConfig, PostgresStorage, TableName};
use tokio::runtime::Runtime;

/// The ways a value is written or read.
const VARIANTS: [&str; 2] = ["adapter", "direct"];

/// The slot the direct statements use, next to the adapter's `bench`.
const DIRECT_SLOT: &str = "bench-direct";

/// Everything one benchmark needs: a runtime, a handle, and the SQL the adapter runs.
struct Fixture {
    runtime: Runtime,
    storage: PostgresStorage,
    upsert: String,
    select: String,
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
        let storage = runtime.block_on(async {
            let storage = PostgresConfig::from_url(&url)
                .expect("TGSESSION_POSTGRES_URL")
                .table(table)
                .open(Slot::new("bench").expect("slot"))
                .expect("handle");
            storage.migrate().await.expect("migrate");
            storage
        });
        Fixture {
            runtime,
            storage,
            upsert: format!(
                "INSERT INTO {t} (slot, data, updated_at) VALUES ($1, $2, now()) \
                 ON CONFLICT (slot) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version, \
                 updated_at = EXCLUDED.updated_at"
            ),
            select: format!("SELECT data FROM {t} WHERE slot = $1"),
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
                let query = sqlx::query(AssertSqlSafe(self.upsert.as_str()))
                    .bind(DIRECT_SLOT)
                    .bind(&value[..])
                    .execute(pool);
                self.runtime.block_on(query).expect("upsert");
            }
            ("load", "adapter") => {
                let loaded = self.runtime.block_on(self.storage.load()).expect("load");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            ("load", "direct") => {
                let query = sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(self.select.as_str()))
                    .bind(DIRECT_SLOT)
                    .fetch_optional(pool);
                let loaded = self.runtime.block_on(query).expect("select");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            _ => unreachable!("unknown benchmark {op}/{variant}"),
        }
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
            // The load benchmarks read what these two lines store.
            fixture.run("store", "adapter", &value);
            fixture.run("store", "direct", &value);
            // Alternate the variants so a drift of the server's speed hits both alike.
            for variant in VARIANTS {
                let id = BenchmarkId::new(variant, size_name);
                group.bench_with_input(id, &value, |b, value| {
                    b.iter(|| fixture.run(op, variant, value));
                });
            }
        }
        group.finish();
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
    fixture.drop_schema();
    criterion.final_summary();
    OverheadTable::new("median per call", &VARIANTS, "adapter", &["direct"]).print_from_criterion(
        &out,
        &["store", "load"],
        &SIZES.map(|(size, _)| size),
    );
}
