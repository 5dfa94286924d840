//! `SledStorage` against bare sled calls, for a 4 KiB and a 1 MiB value.
//!
//! Five ways to do each operation, all on one database:
//!
//! | variant       | store                                              | load                          |
//! |---------------|----------------------------------------------------|-------------------------------|
//! | `adapter`     | `SledStorage::store`                               | `SledStorage::load`           |
//! | `bare`        | `tree.insert` + `tree.flush()` on the bench thread | `tree.get`                    |
//! | `bare-async`  | the same through `spawn_blocking`, as the adapter  | `tree.get` inside `block_on`  |
//! | `bare-synced` | `bare-async` + `fdatasync` of the `db` file        | `tree.get` inside `block_on`  |
//! | `rejected`    | `tree.insert` + `tree.flush_async().await`         | `tree.get` in `spawn_blocking`|
//!
//! `bare` is the baseline; `bare-async` makes the adapter's sled calls the adapter's way, so the gap to it
//! is what the adapter itself adds (key, conversions, the boxed future, the transaction that keeps the
//! journal in step, and the syncs that make a store durable, which sled's flush does not: see the crate
//! docs); `bare-synced` adds the one sync every store needs, so the gap to it is the rest (the transaction,
//! the free-space check, the blob directory scan, and for 1 MiB the blob file's and the `blobs` directory's
//! syncs); `rejected` prices the designs the adapter does not use (see the `SledStorage` docs).
//!
//! The `append` group appends to a journal (a slot holding a snapshot with a journal position) a record of
//! one changed peer (`1peer`) and one of about 4 KiB (`4KiB`, comparable with the 4 KiB store), two ways,
//! on a database of its own (the store benchmarks leave hundreds of blob files behind, which slow every
//! write down until sled removes them):
//!
//! | variant       | append                                                                           |
//! |---------------|----------------------------------------------------------------------------------|
//! | `adapter`     | `SledStorage::append`                                                            |
//! | `bare-synced` | `tree.insert` under a new key + `tree.flush()` + `fdatasync` in `spawn_blocking` |
//!
//! After criterion's own output, the run prints the medians side by side with the adapter's overhead over
//! `bare`, `bare-async` and `bare-synced`, then the appends' medians against the adapter's 4 KiB store.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-sled cargo bench -p session-sled --bench sled`

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{format_ns, median_ns, sample_value, OverheadTable, SIZES};
use session_core::{
    Bytes, Epoch, JournalPosition, JournalStorage, Patch, Peer, PeerId, PeerKind, Record, Session,
    SessionStorage, Slot,
};
use session_sled::{open_db, SledStorage};
use tokio::runtime::Runtime;

/// The key the bare calls use, next to the adapter's `tgsession:bench`.
const BARE_KEY: &[u8] = b"bare:bench";

/// The ways a value is written or read.
const VARIANTS: [&str; 5] = ["adapter", "bare", "bare-async", "bare-synced", "rejected"];

/// The ways a record is appended.
const APPEND_VARIANTS: [&str; 2] = ["adapter", "bare-synced"];

/// The records appended: their names in benchmark ids and their least length.
const RECORDS: [(&str, usize); 2] = [("1peer", 0), ("4KiB", 4 << 10)];

/// The prefix of the keys the bare appends write, followed by a big-endian counter.
const BARE_RECORD_KEY: &[u8] = b"bare:record:";

/// Everything one benchmark needs: a runtime, the database, and a handle on it.
struct Fixture {
    runtime: Runtime,
    db: sled::Db,
    /// The database's `db` file, for `bare-synced`.
    log: Arc<File>,
    storage: SledStorage,
    /// A slot whose snapshot starts a journal of `epoch`, for the appends.
    journal: SledStorage,
    epoch: Epoch,
    /// The index of the next bare append.
    bare_records: AtomicU64,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = open_db(dir.path().join("bench.sled")).expect("open db");
        let log = Arc::new(File::open(dir.path().join("bench.sled/db")).expect("open the db file"));
        let storage = SledStorage::new(&db, Slot::new("bench").expect("slot"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("runtime");
        let journal = SledStorage::new(&db, Slot::new("journal").expect("slot"));
        let start = JournalPosition::start();
        let snapshot = Session::default()
            .encode_snapshot(&start)
            .expect("encode a snapshot");
        runtime
            .block_on(journal.store(Bytes::from(snapshot)))
            .expect("store the snapshot");
        Fixture {
            runtime,
            db,
            log,
            storage,
            journal,
            epoch: start.epoch,
            bare_records: AtomicU64::new(0),
            _dir: dir,
        }
    }

    /// Appends `record` once, the way `variant` says.
    fn append(&self, variant: &str, record: &Bytes) {
        match variant {
            "adapter" => {
                self.runtime
                    .block_on(self.journal.append(self.epoch, record.clone()))
                    .expect("append");
            }
            "bare-synced" => {
                let tree: sled::Tree = (*self.db).clone();
                let (record, log) = (record.clone(), Arc::clone(&self.log));
                let index = self.bare_records.fetch_add(1, Ordering::Relaxed);
                self.hop(move || {
                    let key = [BARE_RECORD_KEY, &index.to_be_bytes()].concat();
                    tree.insert(key, &record[..]).expect("insert");
                    tree.flush().expect("flush");
                    log.sync_data().expect("fdatasync");
                });
            }
            _ => unreachable!("unknown append variant {variant}"),
        }
    }

    /// Runs one `variant` of `op` on `value` once.
    fn run(&self, op: &str, variant: &str, value: &Bytes) {
        let tree: &sled::Tree = &self.db;
        match (op, variant) {
            ("store", "adapter") => self
                .runtime
                .block_on(self.storage.store(value.clone()))
                .expect("store"),
            ("store", "bare") => bare_store(tree, value),
            ("store", "bare-async") => {
                let (tree, value) = (tree.clone(), value.clone());
                self.hop(move || bare_store(&tree, &value));
            }
            ("store", "bare-synced") => {
                let (tree, value, log) = (tree.clone(), value.clone(), Arc::clone(&self.log));
                self.hop(move || {
                    bare_store(&tree, &value);
                    log.sync_data().expect("fdatasync");
                });
            }
            ("store", "rejected") => self.runtime.block_on(async {
                tree.insert(BARE_KEY, &value[..]).expect("insert");
                tree.flush_async().await.expect("flush");
            }),
            ("load", "adapter") => {
                let loaded = self.runtime.block_on(self.storage.load()).expect("load");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            ("load", "bare") => assert_eq!(bare_load(tree), value.len()),
            ("load", "bare-async" | "bare-synced") => {
                assert_eq!(
                    self.runtime.block_on(async { bare_load(tree) }),
                    value.len()
                );
            }
            ("load", "rejected") => {
                let tree = tree.clone();
                assert_eq!(self.hop(move || bare_load(&tree)), value.len());
            }
            _ => unreachable!("unknown benchmark {op}/{variant}"),
        }
    }

    /// Runs `work` on the blocking pool and waits for it.
    fn hop<R: Send + 'static>(&self, work: impl FnOnce() -> R + Send + 'static) -> R {
        self.runtime
            .block_on(self.runtime.spawn_blocking(work))
            .expect("blocking task")
    }
}

fn bare_store(tree: &sled::Tree, value: &[u8]) {
    tree.insert(BARE_KEY, value).expect("insert");
    tree.flush().expect("flush");
}

fn bare_load(tree: &sled::Tree) -> usize {
    tree.get(BARE_KEY).expect("get").map_or(0, |v| v.len())
}

/// Two different values of `len` bytes. sled skips an insert of the value a key already holds, so the
/// store benchmarks alternate between them to make every iteration a real, flushed write.
fn values_of(len: usize) -> [Bytes; 2] {
    [0, 1].map(|seed| sample_value(len, seed))
}

fn bench(c: &mut Criterion, fixture: &Fixture) {
    for op in ["store", "load"] {
        let mut group = c.benchmark_group(op);
        for (size_name, len) in SIZES {
            let values = values_of(len);
            // The load benchmarks read what these two lines store.
            fixture.run("store", "adapter", &values[0]);
            fixture.run("store", "bare", &values[0]);
            for variant in VARIANTS {
                let id = BenchmarkId::new(variant, size_name);
                group.bench_with_input(id, &values, |b, values| {
                    let mut next = 0;
                    b.iter(|| {
                        if op == "store" {
                            next ^= 1;
                        }
                        fixture.run(op, variant, &values[next]);
                    });
                });
            }
        }
        group.finish();
    }
}

/// A record of `epoch` of at least `len` bytes: one changed peer, or as many as it takes.
fn record_of(epoch: Epoch, len: usize) -> Bytes {
    let mut patch = Patch::new();
    for id in 1.. {
        patch.upsert_peer(
            PeerId::User(id),
            Peer {
                kind: PeerKind::User,
                access_hash: Some(id.wrapping_mul(0x9e37_79b9)),
                username: Some(format!("user_{id}").into()),
                ..Peer::default()
            },
        );
        let record = Record::encode_patch(epoch, &patch).expect("encode a record");
        if record.len() >= len {
            return Bytes::from(record);
        }
    }
    unreachable!("a record grows with every peer")
}

fn bench_append(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group("append");
    for (name, len) in RECORDS {
        let record = record_of(fixture.epoch, len);
        eprintln!("append/{name}: a record of {} bytes", record.len());
        for variant in APPEND_VARIANTS {
            let id = BenchmarkId::new(variant, name);
            group.bench_with_input(id, &record, |b, record| {
                b.iter(|| fixture.append(variant, record));
            });
        }
    }
    group.finish();
}

/// Prints the appends' medians next to the adapter's store of 4 KiB, measured in the same run.
fn print_append_against_store(out: &Path) {
    let Some(store) = median_ns(out, "store", "adapter", "4KiB") else {
        println!("append vs store: the 4 KiB store was not measured in this run");
        return;
    };
    println!(
        "\nappend vs the adapter's 4 KiB store ({})",
        format_ns(store)
    );
    for (name, _) in RECORDS {
        for variant in APPEND_VARIANTS {
            match median_ns(out, "append", variant, name) {
                Some(append) => println!(
                    "append {name:>5} {variant:<11} {:>9}  {:>5.2} x the store",
                    format_ns(append),
                    append / store
                ),
                None => println!("append {name:>5} {variant:<11} not measured in this run"),
            }
        }
    }
}

fn main() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-sled");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut criterion, &Fixture::new());
    // A database of its own: the one above holds the blob files of a thousand 1 MiB stores, which sled
    // removes only lazily and which every durable write lists (see the crate docs, *Durability*).
    bench_append(&mut criterion, &Fixture::new());
    criterion.final_summary();
    OverheadTable::new(
        "median per call",
        &VARIANTS,
        "adapter",
        &["bare", "bare-async", "bare-synced"],
    )
    .print_from_criterion(&out, &["store", "load"], &SIZES.map(|(size, _)| size));
    print_append_against_store(&out);
}
