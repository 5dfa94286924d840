//! `RedisStorage` against bare driver commands on the same `ConnectionManager`, for a 4 KiB and a 1 MiB
//! value, on the server of `TGSESSION_REDIS_URL`.
//!
//! | variant    | store                                                        | load                         |
//! |------------|--------------------------------------------------------------|------------------------------|
//! | `adapter`  | `RedisStorage::store` (`MSET key value key#version token`)   | `RedisStorage::load` (`GET`) |
//! | `driver`   | `SET key value`                                              | `GET key`                    |
//! | `store_if` | `RedisStorage::store_if` with the current version (the Lua script), for reference | |
//! | `fenced`   | `write_fenced(token, Store)` under a lease (the fenced store script: `HMGET` of the lease hash, then the writes) | |
//!
//! and for a journal append of a ~200-byte record (an encoded patch of a few peers):
//!
//! | variant    | append                                                                                |
//! |------------|---------------------------------------------------------------------------------------|
//! | `adapter`  | `RedisStorage::append` (`EVALSHA` of the append script: `GET` the head, `RPUSH`)     |
//! | `driver`   | `RPUSH list record` of the same bytes                                                 |
//! | `fenced`   | `write_fenced(token, Append)`: the append script after the lease check                |
//!
//! and `lease/renew/-`: one `renew_lease` (the renew script).
//!
//! Criterion measures each variant in turn. On a busy machine the load changes between those runs, so the
//! bench also measures adapter and driver **interleaved** (one call of each per round, alternating which
//! goes first) and prints both medians, with the adapter's overhead over the driver (target: 10 %), and the
//! fenced store (4 KiB) and append interleaved with the plain ones, with the cost of the fence.
//!
//! Run: `source <services env>; cargo bench -p session-redis --bench redis`

use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{format_ns, median_ns, sample_value, OverheadTable, SIZES};
use session_conformance::services::setting;
use session_core::{
    Bytes, Epoch, Expect, FencedWrite, FencingToken, HolderId, JournalPosition, JournalStorage,
    LeaseRequest, LeaseStorage, Patch, Peer, PeerId, PeerKind, Record, Session, SessionStorage,
    Slot, Version, VersionedStorage,
};
use session_redis::{redis, RedisStorage};
use tokio::runtime::Runtime;

/// The operations, each with the variants measured for it.
const OPS: [(&str, &[&str]); 2] = [
    ("store", &["adapter", "driver", "store_if", "fenced"]),
    ("load", &["adapter", "driver"]),
];

/// The journal append benchmark: its name and the size it runs at.
const APPEND: (&str, &str) = ("append", "200B");

/// The variants of the append benchmark.
const APPEND_VARIANTS: [&str; 3] = ["adapter", "driver", "fenced"];

/// The lease renewal benchmark: its group, variant and size.
const RENEW: (&str, &str, &str) = ("lease", "renew", "-");

/// Everything one benchmark needs: a runtime, the adapter, and the keys the driver commands use.
struct Fixture {
    runtime: Runtime,
    storage: RedisStorage,
    driver_key: String,
    /// The list the driver's `RPUSH` appends to.
    driver_list: String,
    /// The version the next `store_if` expects.
    version: Cell<Option<Version>>,
    /// The epoch of the journal the appends go to, once [`start_journal`](Self::start_journal) started it.
    epoch: Cell<Option<Epoch>>,
    /// The token of the lease the fenced writes and renewals are made under.
    lease: FencingToken,
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
        let request = LeaseRequest::new(HolderId::new("bench").expect("holder"));
        let lease = runtime
            .block_on(storage.acquire_lease(&request))
            .expect("acquire the lease")
            .token;
        Fixture {
            lease,
            runtime,
            storage,
            driver_key: format!("tgsession-bench-driver:{run}"),
            driver_list: format!("tgsession-bench-driver-list:{run}"),
            version: Cell::new(None),
            epoch: Cell::new(None),
        }
    }

    /// Runs one `variant` of `op` on `value` once.
    fn run(&self, op: &str, variant: &str, value: &Bytes) {
        let mut manager = self.storage.manager().clone();
        self.runtime.block_on(async {
            match (op, variant) {
                ("store", "adapter") => self.storage.store(value.clone()).await.expect("store"),
                ("store", "fenced") => self
                    .storage
                    .write_fenced(self.lease, FencedWrite::Store(value.clone()))
                    .await
                    .map(drop)
                    .expect("fenced store"),
                ("lease", "renew") => self
                    .storage
                    .renew_lease(self.lease, LeaseRequest::DEFAULT_TTL)
                    .await
                    .map(drop)
                    .expect("renew"),
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
                ("append", "adapter") => {
                    let epoch = self.epoch.get().expect("a journal started");
                    self.storage
                        .append(epoch, value.clone())
                        .await
                        .expect("append");
                }
                ("append", "fenced") => {
                    let epoch = self.epoch.get().expect("a journal started");
                    self.storage
                        .write_fenced(self.lease, FencedWrite::Append(epoch, value.clone()))
                        .await
                        .map(drop)
                        .expect("fenced append");
                }
                ("append", "driver") => redis::cmd("RPUSH")
                    .arg(&self.driver_list)
                    .arg(&value[..])
                    .query_async::<u64>(&mut manager)
                    .await
                    .map(drop)
                    .expect("RPUSH"),
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

    /// Stores a snapshot that starts a new journal (dropping the records of the last one) and empties the
    /// driver's list; returns a record of about 200 bytes of the new journal's epoch.
    fn start_journal(&self) -> Bytes {
        let position = JournalPosition::start();
        let snapshot = Session::default()
            .encode_snapshot(&position)
            .expect("encode a snapshot");
        let mut manager = self.storage.manager().clone();
        self.runtime.block_on(async {
            self.storage
                .store(snapshot.into())
                .await
                .expect("store a snapshot");
            redis::cmd("DEL")
                .arg(&self.driver_list)
                .query_async::<()>(&mut manager)
                .await
                .expect("DEL");
        });
        self.epoch.set(Some(position.epoch));
        record_of(position.epoch)
    }

    /// Removes what the benchmark wrote.
    fn clean_up(&self) {
        let mut manager = self.storage.manager().clone();
        self.runtime.block_on(async {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(&self.driver_key)
                .arg(&self.driver_list)
                .arg(self.storage.key())
                .arg(self.storage.version_key())
                .arg(self.storage.journal_key())
                .arg(self.storage.lease_key());
            cmd.query_async::<()>(&mut manager).await.expect("DEL");
        });
    }
}

/// A journal record of `epoch` of about 200 bytes: a patch that upserts peers with usernames, as a client
/// records the peers of an update batch.
fn record_of(epoch: Epoch) -> Bytes {
    let mut patch = Patch::new();
    let mut id = 1_000_000;
    loop {
        let record = Record::encode_patch(epoch, &patch).expect("encode a record");
        if record.len() >= 190 {
            return record.into();
        }
        id += 1;
        patch.upsert_peer(
            PeerId::User(id),
            Peer {
                kind: PeerKind::User,
                access_hash: Some(id * 7_919),
                username: Some(format!("user_{id}").into()),
                phone: None,
                min: false,
            },
        );
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
    let (op, size) = APPEND;
    let record = fixture.start_journal();
    let mut group = c.benchmark_group(op);
    for variant in APPEND_VARIANTS {
        let id = BenchmarkId::new(variant, size);
        group.bench_with_input(id, &record, |b, record| {
            b.iter(|| fixture.run(op, variant, record));
        });
    }
    group.finish();
    let (lease, renew, size) = RENEW;
    let mut group = c.benchmark_group(lease);
    group.bench_function(BenchmarkId::new(renew, size), |b| {
        b.iter(|| fixture.run(lease, renew, &Bytes::new()));
    });
    group.finish();
}

/// Prints criterion's medians of this run with the adapter's overhead, then measures adapter and driver
/// interleaved and prints those medians with the overhead.
fn report(out: &Path, fixture: &Fixture) {
    let ops = OPS.map(|(op, _)| op);
    let (append, append_size) = APPEND;
    let columns = ["adapter", "driver", "store_if", "fenced"];
    let criterion_table = OverheadTable::new("median per call", &columns, "adapter", &["driver"]);
    criterion_table.print_from_criterion(out, &ops, &SIZES.map(|(size, _)| size));
    let medians: Vec<Option<f64>> = columns
        .iter()
        .map(|variant| median_ns(out, append, variant, append_size))
        .collect();
    criterion_table.print_row(append, append_size, &medians);
    let (lease, renew, size) = RENEW;
    let renewal = median_ns(out, lease, renew, size).map_or("-".into(), format_ns);
    println!("lease renewal: median {renewal}");
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
    let record = fixture.start_journal();
    println!("(append: a record of {} bytes)", record.len());
    table.measure_row(append, append_size, 5000, |variant| {
        fixture.run(append, variant, &record)
    });
    let fenced = OverheadTable::new(
        "interleaved median",
        &["fenced", "adapter"],
        "fenced",
        &["adapter"],
    );
    fenced.print_header();
    let (size, len) = SIZES[0];
    let value = sample_value(len, 0);
    // The append first: the stores replace the journal.
    fenced.measure_row(append, append_size, 5000, |variant| {
        fixture.run(append, variant, &record)
    });
    fenced.measure_row("store", size, 3000, |variant| {
        fixture.run("store", variant, &value)
    });
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
