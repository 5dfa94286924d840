//! `RedisStorage` against bare driver commands on the same `ConnectionManager`, for a 4 KiB and a 1 MiB
//! value, on the server of `TGSESSION_REDIS_URL`.
//!
//! | variant    | store                                                        | load                         |
//! |------------|--------------------------------------------------------------|------------------------------|
//! | `adapter`  | `RedisStorage::store` (`MSET key value key#version token`)   | `RedisStorage::load` (`GET`) |
//! | `driver`   | `SET key value`                                              | `GET key`                    |
//! | `store_if` | `RedisStorage::store_if` with the current version (the Lua script), for reference | |
//!
//! Criterion measures each variant in turn. On a busy machine the load changes between those runs, so the
//! bench also measures adapter and driver **interleaved** (one call of each per round, alternating which
//! goes first) and prints both medians, with the adapter's overhead over the driver (target: 10 %).
//!
//! Run: `source <services env>; cargo bench -p session-redis --bench redis`

use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{sample_value, OverheadTable, SIZES};
use session_conformance::services::setting;
use session_core::{Bytes, Expect, SessionStorage, Slot, Version, VersionedStorage};
use session_redis::{redis, RedisStorage};
use tokio::runtime::Runtime;

/// The operations, each with the variants measured for it.
const OPS: [(&str, &[&str]); 2] = [
    ("store", &["adapter", "driver", "store_if"]),
    ("load", &["adapter", "driver"]),
];

/// Everything one benchmark needs: a runtime, the adapter, and the key the driver commands use.
struct Fixture {
    runtime: Runtime,
    storage: RedisStorage,
    driver_key: String,
    /// The version the next `store_if` expects.
    version: Cell<Option<Version>>,
}

impl Fixture {
    fn new() -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let url = setting("TGSESSION_REDIS_URL");
        let run = format!("{:016x}", fastrand::u64(..));
        let slot = Slot::new(format!("bench-{run}")).expect("slot");
        let storage = runtime
            .block_on(RedisStorage::connect(&url, slot))
            .expect("connect to the Redis server");
        Fixture {
            runtime,
            storage,
            driver_key: format!("tgsession-bench-driver:{run}"),
            version: Cell::new(None),
        }
    }

    /// Runs one `variant` of `op` on `value` once.
    fn run(&self, op: &str, variant: &str, value: &Bytes) {
        let mut manager = self.storage.manager().clone();
        self.runtime.block_on(async {
            match (op, variant) {
                ("store", "adapter") => self.storage.store(value.clone()).await.expect("store"),
                ("store", "driver") => redis::cmd("SET")
                    .arg(&self.driver_key)
                    .arg(&value[..])
                    .query_async::<()>(&mut manager)
                    .await
                    .expect("SET"),
                ("store", "store_if") => {
                    let expect = match self.version.take() {
                        Some(current) => Expect::Version(current),
                        None => {
                            match self.storage.load_versioned().await.expect("load_versioned") {
                                Some((_, current)) => Expect::Version(current),
                                None => Expect::Absent,
                            }
                        }
                    };
                    let stored = self.storage.store_if(value.clone(), expect).await;
                    self.version.set(Some(stored.expect("store_if")));
                }
                ("load", "adapter") => {
                    let loaded = self.storage.load().await.expect("load");
                    assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
                }
                ("load", "driver") => {
                    let loaded: Option<Vec<u8>> = redis::cmd("GET")
                        .arg(&self.driver_key)
                        .query_async(&mut manager)
                        .await
                        .expect("GET");
                    assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
                }
                _ => unreachable!("unknown benchmark {op}/{variant}"),
            }
        });
    }

    /// Stores `value` through the adapter and the driver, for the load benchmarks to read.
    fn prepare(&self, value: &Bytes) {
        self.run("store", "adapter", value);
        self.run("store", "driver", value);
        self.version.set(None);
    }

    /// Removes what the benchmark wrote.
    fn clean_up(&self) {
        let mut manager = self.storage.manager().clone();
        self.runtime.block_on(async {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(&self.driver_key)
                .arg(self.storage.key())
                .arg(self.storage.version_key());
            cmd.query_async::<()>(&mut manager).await.expect("DEL");
        });
    }
}

fn bench(c: &mut Criterion, fixture: &Fixture) {
    for (op, variants) in OPS {
        let mut group = c.benchmark_group(op);
        for (size_name, len) in SIZES {
            let value = sample_value(len, 0);
            fixture.prepare(&value);
            for variant in variants {
                let id = BenchmarkId::new(*variant, size_name);
                group.bench_with_input(id, &value, |b, value| {
                    b.iter(|| fixture.run(op, variant, value));
                });
            }
        }
        group.finish();
    }
}

/// Prints criterion's medians of this run with the adapter's overhead, then measures adapter and driver
/// interleaved and prints those medians with the overhead.
fn report(out: &Path, fixture: &Fixture) {
    let ops = OPS.map(|(op, _)| op);
    OverheadTable::new(
        "median per call",
        &["adapter", "driver", "store_if"],
        "adapter",
        &["driver"],
    )
    .print_from_criterion(out, &ops, &SIZES.map(|(size, _)| size));
    let table = OverheadTable::new(
        "interleaved median",
        &["adapter", "driver"],
        "adapter",
        &["driver"],
    );
    table.print_header();
    for op in ops {
        for (size, len) in SIZES {
            let value = sample_value(len, 0);
            fixture.prepare(&value);
            let rounds = if len > 64 << 10 { 300 } else { 3000 };
            table.measure_row(op, size, rounds, |variant| fixture.run(op, variant, &value));
        }
    }
}

fn main() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-redis");
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
    fixture.clean_up();
}
