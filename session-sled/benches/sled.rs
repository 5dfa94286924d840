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
//! is what the adapter itself adds (key, conversions, the boxed future, and the syncs that make a store
//! durable, which sled's flush does not: see the crate docs); `bare-synced` adds the one sync every store
//! needs, so the gap to it is the rest (the free-space check, the blob directory scan, and for 1 MiB the
//! blob file's and the `blobs` directory's syncs); `rejected` prices the designs the adapter does not use
//! (see the `SledStorage` docs). After criterion's own output, the run prints the medians side by side with
//! the adapter's overhead over `bare`, `bare-async` and `bare-synced`.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-sled cargo bench -p session-sled --bench sled`

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{sample_value, OverheadTable, SIZES};
use session_core::{Bytes, SessionStorage, Slot};
use session_sled::{open_db, SledStorage};
use tokio::runtime::Runtime;

/// The key the bare calls use, next to the adapter's `tgsession:bench`.
const BARE_KEY: &[u8] = b"bare:bench";

/// The ways a value is written or read.
const VARIANTS: [&str; 5] = ["adapter", "bare", "bare-async", "bare-synced", "rejected"];

/// Everything one benchmark needs: a runtime, the database, and a handle on it.
struct Fixture {
    runtime: Runtime,
    db: sled::Db,
    /// The database's `db` file, for `bare-synced`.
    log: Arc<File>,
    storage: SledStorage,
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
        Fixture {
            runtime,
            db,
            log,
            storage,
            _dir: dir,
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

fn main() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-sled");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let fixture = Fixture::new();
    bench(&mut criterion, &fixture);
    criterion.final_summary();
    OverheadTable::new(
        "median per call",
        &VARIANTS,
        "adapter",
        &["bare", "bare-async", "bare-synced"],
    )
    .print_from_criterion(&out, &["store", "load"], &SIZES.map(|(size, _)| size));
}
