//! `S3Storage` against bare `PutObject` / `GetObject` calls on the same client, for a 4 KiB and a 1 MiB value.
//!
//! | variant   | store                                  | load                                       |
//! |-----------|----------------------------------------|--------------------------------------------|
//! | `adapter` | `S3Storage::store`                     | `S3Storage::load`                          |
//! | `driver`  | `client.put_object()...send()`         | `client.get_object()...send()` + `collect` |
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

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use session_conformance::services::setting;
use session_core::{Bytes, SessionStorage, Slot};
use session_s3::aws_sdk_s3::primitives::ByteStream;
use session_s3::aws_sdk_s3::Client;
use session_s3::{S3Config, S3Storage};
use tokio::runtime::Runtime;

/// The value sizes, with the names used in benchmark ids.
const SIZES: [(&str, usize); 2] = [("4KiB", 4 << 10), ("1MiB", 1 << 20)];

/// The ways a value is written or read.
const VARIANTS: [&str; 2] = ["adapter", "driver"];

/// The key the bare calls use, next to the adapter's `tgsession/bench`.
const DRIVER_KEY: &str = "driver/bench";

/// Everything one benchmark needs: a runtime, the client, and a handle using that client.
struct Fixture {
    runtime: Runtime,
    client: Client,
    storage: S3Storage,
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
        Fixture {
            runtime,
            client,
            storage,
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
            let value: Bytes = (0..len).map(|i| (i * 31) as u8).collect();
            // The load benchmarks read what these two lines store.
            fixture.run("store", "adapter", &value);
            fixture.run("store", "driver", &value);
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

/// The median time per iteration, in nanoseconds, that criterion recorded for `op/variant/size`.
fn median_ns(out: &Path, op: &str, variant: &str, size: &str) -> Option<f64> {
    let path: PathBuf = [out, Path::new(op), Path::new(variant), Path::new(size)]
        .iter()
        .collect::<PathBuf>()
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn format_ns(ns: f64) -> String {
    match ns {
        ns if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

/// Prints the medians of this run and the adapter's overhead over the driver.
fn report(out: &Path) {
    println!("\nmedian per call     adapter      driver   adapter vs driver");
    for op in ["store", "load"] {
        for (size, _) in SIZES {
            let medians = VARIANTS.map(|variant| median_ns(out, op, variant, size));
            let [Some(adapter), Some(driver)] = medians else {
                println!("{op:>5} {size:>4}: not measured in this run");
                continue;
            };
            println!(
                "{op:>5} {size:>4}  {:>10}  {:>10}   {:>+15.1} %",
                format_ns(adapter),
                format_ns(driver),
                (adapter / driver - 1.0) * 100.0,
            );
        }
    }
}

/// Calls per variant in the interleaved measurement.
const PAIRED_ROUNDS: usize = 150;

/// The median of `samples`, in nanoseconds.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `op` through the adapter and the driver alternately, `PAIRED_ROUNDS` times each, and prints the
/// medians.
fn paired(fixture: &Fixture) {
    println!("\ninterleaved median  adapter      driver   adapter vs driver");
    for op in ["store", "load"] {
        for (size, len) in SIZES {
            let value: Bytes = (0..len).map(|i| (i * 31) as u8).collect();
            fixture.run("store", "adapter", &value);
            fixture.run("store", "driver", &value);
            let mut times = [Vec::new(), Vec::new()];
            for round in 0..PAIRED_ROUNDS {
                for turn in 0..2 {
                    let which = (round + turn) % 2;
                    let started = Instant::now();
                    fixture.run(op, VARIANTS[which], &value);
                    times[which].push(started.elapsed().as_nanos() as f64);
                }
            }
            let [adapter, driver] = times.map(median);
            println!(
                "{op:>5} {size:>4}  {:>10}  {:>10}   {:>+15.1} %",
                format_ns(adapter),
                format_ns(driver),
                (adapter / driver - 1.0) * 100.0,
            );
        }
    }
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
    report(&out);
    paired(&fixture);
}
