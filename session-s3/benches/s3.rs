//! `S3Storage` against bare `PutObject` / `GetObject` calls on the same client, for a 4 KiB and a 1 MiB value.
//!
//! | variant   | store                                  | load                                       |
//! |-----------|----------------------------------------|--------------------------------------------|
//! | `adapter` | `S3Storage::store`                     | `S3Storage::load`                          |
//! | `driver`  | `client.put_object()...send()`         | `client.get_object()...send()` + `collect` |
//! | `fenced`  | `write_fenced(token, Store)` under a lease: `HeadObject`, a lease `GetObject`, `PutObject` | |
//!
//! and `lease/renew/-`: one `renew_lease` (a `GetObject` and a `PutObject` of the lease object).
//!
//! Both use one client built by `S3Config::build_client`, on the S3 server of `TGSESSION_S3_ENDPOINT` (with
//! the `AWS_*` credentials), in a bucket the bench creates. After criterion's own output, the run prints
//! the medians side by side with the adapter's overhead over the driver (target: 10 %).
//!
//! A server's latency drifts (moto is a Python process sharing the machine), and criterion measures one
//! variant after the other, so the run also measures both variants interleaved, call by call in
//! alternating order, and prints those medians too: they compare the two under the same conditions.
//!
//! Run: `source /work/notes/services.env` (or `eval "$(scripts/services start s3)"`), then
//! `cargo bench -p session-s3 --bench s3`.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use session_conformance::bench::{sample_value, OverheadTable, SIZES};
use session_conformance::services::setting;
use session_core::{
    Bytes, FencedWrite, FencingToken, HolderId, LeaseRequest, LeaseStorage, SessionStorage, Slot,
};
use session_s3::aws_sdk_s3::primitives::ByteStream;
use session_s3::aws_sdk_s3::Client;
use session_s3::{S3Config, S3Storage};
use tokio::runtime::Runtime;

/// The ways a value is written or read.
const VARIANTS: [&str; 2] = ["adapter", "driver"];

/// The ways a value is written, in criterion's `store` group.
const STORE_VARIANTS: [&str; 3] = ["adapter", "driver", "fenced"];

/// The key the bare calls use, next to the adapter's `tgsession/bench`.
const DRIVER_KEY: &str = "driver/bench";

/// Everything one benchmark needs: a runtime, the client, a handle using that client, and a lease on its
/// slot.
struct Fixture {
    runtime: Runtime,
    client: Client,
    storage: S3Storage,
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
        let bucket = format!("tgsession-bench-{:016x}", fastrand::u64(..));
        let config = S3Config::new(&bucket)
            .endpoint(setting("TGSESSION_S3_ENDPOINT"))
            .credentials(
                setting("AWS_ACCESS_KEY_ID"),
                setting("AWS_SECRET_ACCESS_KEY"),
            );
        let client = config.build_client().expect("client");
        runtime
            .block_on(client.create_bucket().bucket(&bucket).send())
            .expect("create the bench bucket");
        let storage = S3Storage::new(client.clone(), &bucket, Slot::new("bench").expect("slot"));
        let request = LeaseRequest::new(HolderId::new("bench").expect("holder"));
        let lease = runtime
            .block_on(storage.acquire_lease(&request))
            .expect("acquire the lease")
            .token;
        Fixture {
            runtime,
            client,
            storage,
            lease,
        }
    }

    /// Runs one `variant` of `op` on `value` once.
    fn run(&self, op: &str, variant: &str, value: &Bytes) {
        let bucket = self.storage.bucket();
        match (op, variant) {
            ("store", "adapter") => self
                .runtime
                .block_on(self.storage.store(value.clone()))
                .expect("store"),
            ("store", "driver") => {
                let request = self
                    .client
                    .put_object()
                    .bucket(bucket)
                    .key(DRIVER_KEY)
                    .body(ByteStream::from(value.clone()));
                self.runtime.block_on(request.send()).expect("PutObject");
            }
            ("store", "fenced") => self
                .runtime
                .block_on(
                    self.storage
                        .write_fenced(self.lease, FencedWrite::Store(value.clone())),
                )
                .map(drop)
                .expect("fenced store"),
            ("lease", "renew") => self
                .runtime
                .block_on(
                    self.storage
                        .renew_lease(self.lease, LeaseRequest::DEFAULT_TTL),
                )
                .map(drop)
                .expect("renew"),
            ("load", "adapter") => {
                let loaded = self.runtime.block_on(self.storage.load()).expect("load");
                assert_eq!(loaded.map(|v| v.len()), Some(value.len()));
            }
            ("load", "driver") => {
                let request = self.client.get_object().bucket(bucket).key(DRIVER_KEY);
                let loaded = self.runtime.block_on(async {
                    let output = request.send().await.expect("GetObject");
                    output.body.collect().await.expect("body").into_bytes()
                });
                assert_eq!(loaded.len(), value.len());
            }
            _ => unreachable!("unknown benchmark {op}/{variant}"),
        }
    }
}

fn bench(c: &mut Criterion, fixture: &Fixture) {
    for op in ["store", "load"] {
        let mut group = c.benchmark_group(op);
        for (size_name, len) in SIZES {
            let value = sample_value(len, 0);
            // The load benchmarks read what these two lines store.
            fixture.run("store", "adapter", &value);
            fixture.run("store", "driver", &value);
            let variants: &[&str] = if op == "store" {
                &STORE_VARIANTS
            } else {
                &VARIANTS
            };
            for variant in variants {
                let id = BenchmarkId::new(*variant, size_name);
                group.bench_with_input(id, &value, |b, value| {
                    b.iter(|| fixture.run(op, variant, value));
                });
            }
        }
        group.finish();
    }
    let mut group = c.benchmark_group("lease");
    group.bench_function(BenchmarkId::new("renew", "-"), |b| {
        b.iter(|| fixture.run("lease", "renew", &Bytes::new()));
    });
    group.finish();
}

/// Calls per variant in the interleaved measurement.
const PAIRED_ROUNDS: usize = 150;

/// Times `op` through the adapter and the driver alternately, `PAIRED_ROUNDS` times each, and prints the
/// medians.
fn paired(fixture: &Fixture) {
    let table = OverheadTable::new("interleaved median", &VARIANTS, "adapter", &["driver"]);
    table.print_header();
    for op in ["store", "load"] {
        for (size, len) in SIZES {
            let value = sample_value(len, 0);
            fixture.run("store", "adapter", &value);
            fixture.run("store", "driver", &value);
            table.measure_row(op, size, PAIRED_ROUNDS, |variant| {
                fixture.run(op, variant, &value)
            });
        }
    }
    // The cost of the fence, and of a renewal, against a plain store of 4 KiB in the same rounds.
    let (size, len) = SIZES[0];
    let value = sample_value(len, 0);
    let fenced = OverheadTable::new(
        "interleaved median",
        &["fenced", "adapter"],
        "fenced",
        &["adapter"],
    );
    fenced.print_header();
    fenced.measure_row("store", size, PAIRED_ROUNDS, |variant| {
        fixture.run("store", variant, &value)
    });
    let renewal = OverheadTable::new(
        "interleaved median",
        &["renew", "adapter"],
        "renew",
        &["adapter"],
    );
    renewal.print_header();
    renewal.measure_row("renew", size, PAIRED_ROUNDS, |variant| match variant {
        "renew" => fixture.run("lease", "renew", &value),
        _ => fixture.run("store", variant, &value),
    });
}

fn main() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-s3");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let fixture = Fixture::new();
    bench(&mut criterion, &fixture);
    criterion.final_summary();
    OverheadTable::new("median per call", &STORE_VARIANTS, "adapter", &["driver"])
        .print_from_criterion(&out, &["store", "load"], &SIZES.map(|(size, _)| size));
    let renewal = session_conformance::bench::median_ns(&out, "lease", "renew", "-");
    println!(
        "lease renewal: median {}",
        renewal.map_or("-".into(), session_conformance::bench::format_ns)
    );
    paired(&fixture);
}
