//! The cost of the file lease: a fenced append (the fence is checked under the write lock, reading the
//! lease file) against the same append unfenced, in the same run; a renewal; and acquire + release.
//!
//! Run with `cargo bench -p session-file --bench lease`. Group `lease`: `append` and `append_fenced` write
//! the same small record (one `fdatasync` each), `renew` checks the lease under the write lock, and
//! `acquire_release` takes and gives back the lease (two durable record writes).

use criterion::{criterion_group, criterion_main, Criterion};
use session_conformance::fixtures;
use session_core::{
    Bytes, FencedWrite, HolderId, JournalPosition, JournalStorage, LeaseRequest, LeaseStorage,
    Patch, Record, SessionStorage,
};
use session_file::FileStorage;

fn lease(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = FileStorage::new(dir.path().join("bot.session")).expect("path");
    let position = JournalPosition::start();
    let snapshot = fixtures::auth_only()
        .encode_snapshot(&position)
        .expect("encodes");
    let record = Bytes::from(Record::encode_patch(position.epoch, &Patch::new()).expect("encodes"));
    let request = LeaseRequest::new(HolderId::new("bench").expect("holder"));
    let token = runtime.block_on(async {
        storage.store(Bytes::from(snapshot)).await.expect("stores");
        storage
            .acquire_lease(&request)
            .await
            .expect("acquires")
            .token
    });

    let mut group = c.benchmark_group("lease");
    group.bench_function("append", |b| {
        b.iter(|| {
            runtime
                .block_on(storage.append(position.epoch, record.clone()))
                .expect("appends")
        })
    });
    group.bench_function("append_fenced", |b| {
        b.iter(|| {
            runtime
                .block_on(
                    storage
                        .write_fenced(token, FencedWrite::Append(position.epoch, record.clone())),
                )
                .expect("appends")
        })
    });
    group.bench_function("renew", |b| {
        b.iter(|| {
            runtime
                .block_on(storage.renew_lease(token, LeaseRequest::DEFAULT_TTL))
                .expect("renews")
        })
    });
    let other = FileStorage::new(dir.path().join("other.session")).expect("path");
    group.bench_function("acquire_release", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let grant = other.acquire_lease(&request).await.expect("acquires");
                other.release_lease(grant.token).await.expect("releases");
            })
        })
    });
    group.finish();
}

criterion_group!(benches, lease);
criterion_main!(benches);
