//! Store and load speed of `FileStorage` (durable: fsync of the file and of the directory included) for
//! sessions of three sizes, with bare `std::fs` writes of the same bytes as the baseline.
//!
//! Run with `cargo bench -p session-file --bench file`. Groups: `auth_only`, `peers_10k`, `peers_100k`; in
//! each, `store` and `load` go through `FileStorage` on a Tokio runtime, `store_session` and `load_session`
//! add encoding and decoding the `Session` (the decoded session is dropped outside the timing), `std_store` is write + fsync +
//! rename + directory fsync with `std::fs`, `std_store_no_dir_fsync` the same without the directory fsync
//! (the difference is the cost of that fsync), and `std_load` is `std::fs::read`.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use session_conformance::fixtures;
use session_core::{Bytes, Session, SessionStorage, SessionStorageExt};
use session_file::FileStorage;

fn cases() -> Vec<(&'static str, Session)> {
    vec![
        ("auth_only", fixtures::auth_only()),
        ("peers_10k", fixtures::with_peers(10_000)),
        ("peers_100k", fixtures::with_peers(100_000)),
    ]
}

/// Replaces `dir/name` with `data` the way `FileStorage` does, without its lock and checks.
fn std_store(dir: &Path, data: &[u8], sync_dir: bool) {
    let temp = dir.join(".baseline.tmp");
    let mut file = File::create(&temp).expect("creates");
    file.write_all(data).expect("writes");
    file.sync_data().expect("syncs");
    fs::rename(&temp, dir.join("baseline.session")).expect("renames");
    if sync_dir {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .expect("syncs the directory");
    }
}

fn file(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("runtime");
    for (name, session) in cases() {
        let data = Bytes::from(session.encode().expect("fixture encodes"));
        eprintln!("{name}: {} bytes", data.len());
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = FileStorage::new(dir.path().join("bench.session")).expect("path");

        let mut group = c.benchmark_group(name);
        group.bench_function("store", |b| {
            b.iter(|| {
                runtime
                    .block_on(storage.store(data.clone()))
                    .expect("stores")
            })
        });
        group.bench_function("load", |b| {
            b.iter(|| runtime.block_on(storage.load()).expect("loads"))
        });
        group.bench_function("store_session", |b| {
            b.iter(|| {
                runtime
                    .block_on(storage.store_session(&session))
                    .expect("stores")
            })
        });
        group.bench_function("load_session", |b| {
            b.iter_batched(
                || (),
                |()| runtime.block_on(storage.load_session()).expect("loads"),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("std_store", |b| {
            b.iter(|| std_store(dir.path(), &data, true))
        });
        group.bench_function("std_store_no_dir_fsync", |b| {
            b.iter(|| std_store(dir.path(), &data, false))
        });
        group.bench_function("std_load", |b| {
            b.iter(|| fs::read(dir.path().join("baseline.session")).expect("reads"))
        });
        group.finish();
    }
}

criterion_group!(benches, file);
criterion_main!(benches);
