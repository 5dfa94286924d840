//! Incremental persistence through the file journal (`LiveSession` over `FileStorage`, durable: one write and
//! one `fdatasync` per flush), with baselines measured in the same run.
//!
//! Run with `cargo bench -p session-file --bench journal`. Groups:
//!
//! - `peers_100k_journal`: `flush_100_changed_peers` applies 100 changed peers (50 updated, 50 new) to a
//!   100,000-peer session in memory and flushes them as one record (the default compaction policy included,
//!   so every ~1,000 flushes one pays for a compaction); `apply_in_memory` is its in-memory part alone (the
//!   same patches applied to a `Session`); `append_and_fdatasync` is the floor: a bare write of
//!   a record of the same size and an `fdatasync`; `store_whole_session` is what every change cost before
//!   the journal: encoding and durably replacing the whole session.
//! - `small_changes`: `first_persist_auth_only` (a new slot's first flush: the snapshot that starts the
//!   journal) and `update_state_only` (one record holding new update counters).
//! - `reload`: `open_100k_plus_1000_records` (`LiveSession::open_journaled` of a 100,000-peer snapshot
//!   followed by 1,000 records of 5 changed peers each) against `open_100k_snapshot_only`.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use session_conformance::fixtures;
use session_core::{
    CompactionPolicy, LiveSession, Patch, Peer, PeerId, PeerKind, Record, Session,
    SessionStorageExt, UpdateCounters,
};
use session_file::FileStorage;

/// 50 of the session's users with a new access hash and 50 new users; `round` makes the new ids differ
/// from one call to the next, so every flush inserts 50 peers the cache does not hold yet.
fn hundred_changed(users: &[i64], round: u64) -> Patch {
    let mut patch = Patch::new();
    let step = users.len() / 50;
    for i in 0..50 {
        let updated = users[(i * step + round as usize) % users.len()];
        let new = -(1 + (round as i64) * 50 + i as i64);
        for (id, hash) in [(updated, round as i64), (new, 7919 * i as i64)] {
            patch.upsert_peer(
                PeerId::User(id),
                Peer {
                    kind: PeerKind::User,
                    access_hash: Some(hash),
                    username: Some(format!("changed_{i}").into()),
                    ..Peer::default()
                },
            );
        }
    }
    patch
}

fn user_ids(session: &Session) -> Vec<i64> {
    session
        .peers
        .keys()
        .filter_map(|id| match id {
            PeerId::User(id) => Some(*id),
            _ => None,
        })
        .collect()
}

fn peers_100k(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let session = fixtures::with_peers(100_000);
    let users = user_ids(&session);
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = FileStorage::new(dir.path().join("live.session")).expect("path");
    let mut live = runtime.block_on(async {
        let mut live = LiveSession::open_journaled(storage.clone())
            .await
            .expect("opens");
        live.set(session.clone());
        live.flush().await.expect("flushes");
        live
    });
    let record_len =
        Record::encode_patch(session_core::Epoch::random(), &hundred_changed(&users, 0))
            .expect("encodes")
            .len();
    eprintln!("a record of 100 changed peers: {record_len} bytes");

    let mut group = c.benchmark_group("peers_100k_journal");
    let mut round = 0;
    group.bench_function("flush_100_changed_peers", |b| {
        b.iter_batched(
            || {
                round += 1;
                hundred_changed(&users, round)
            },
            |patch| {
                live.change(patch);
                runtime.block_on(live.flush()).expect("flushes");
            },
            BatchSize::SmallInput,
        )
    });
    // The same changes applied to a session in memory only: the part of a flush that is not I/O.
    let mut memory = session.clone();
    let mut memory_round = 0;
    group.bench_function("apply_in_memory", |b| {
        b.iter_batched(
            || {
                memory_round += 1;
                hundred_changed(&users, memory_round)
            },
            |patch| memory.apply(&patch),
            BatchSize::SmallInput,
        )
    });
    let floor = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.path().join("floor.jnl"))
        .expect("opens");
    let record = vec![0x5a; record_len];
    let mut at = 0;
    group.bench_function("append_and_fdatasync", |b| {
        b.iter(|| {
            floor.write_all_at(&record, at).expect("writes");
            floor.sync_data().expect("syncs");
            at += record_len as u64;
        })
    });
    let whole = FileStorage::new(dir.path().join("whole.session")).expect("path");
    group.sample_size(20);
    group.bench_function("store_whole_session", |b| {
        b.iter(|| {
            runtime
                .block_on(whole.store_session(&session))
                .expect("stores")
        })
    });
    group.finish();
}

fn small_changes(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth_only = fixtures::auth_only();
    let mut group = c.benchmark_group("small_changes");
    let mut slot = 0;
    group.bench_function("first_persist_auth_only", |b| {
        b.iter_batched(
            || {
                slot += 1;
                let path = dir.path().join(format!("new-{slot}.session"));
                let storage = FileStorage::new(path).expect("path");
                runtime
                    .block_on(LiveSession::open_journaled(storage))
                    .expect("opens")
            },
            |mut live| {
                live.set(auth_only.clone());
                runtime.block_on(live.flush()).expect("flushes");
                live
            },
            BatchSize::PerIteration,
        )
    });
    let storage = FileStorage::new(dir.path().join("state.session")).expect("path");
    let mut live = runtime.block_on(async {
        let mut live = LiveSession::open_journaled(storage).await.expect("opens");
        live.set(auth_only.clone());
        live.flush().await.expect("flushes");
        live
    });
    let mut pts = 0;
    group.bench_function("update_state_only", |b| {
        b.iter(|| {
            pts += 1;
            let mut patch = Patch::new();
            patch.set_update_counters(UpdateCounters {
                pts,
                qts: 7,
                date: 1_700_000_000 + pts,
                seq: pts,
            });
            live.change(patch);
            runtime.block_on(live.flush()).expect("flushes");
        })
    });
    group.finish();
}

fn reload(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let session = fixtures::with_peers(100_000);
    let users = user_ids(&session);
    let dir = tempfile::tempdir().expect("temp dir");
    let journaled = FileStorage::new(dir.path().join("journaled.session")).expect("path");
    let snapshot_only = FileStorage::new(dir.path().join("snapshot.session")).expect("path");
    runtime.block_on(async {
        let mut live = LiveSession::open_journaled(journaled.clone())
            .await
            .expect("opens")
            .with_policy(CompactionPolicy::never());
        live.set(session.clone());
        live.flush().await.expect("flushes");
        for round in 0..1_000u64 {
            let mut patch = Patch::new();
            for i in 0..5 {
                let id = users[(round as usize * 5 + i) * 13 % users.len()];
                patch.upsert_peer(
                    PeerId::User(id),
                    Peer {
                        kind: PeerKind::User,
                        access_hash: Some(round as i64),
                        ..Peer::default()
                    },
                );
            }
            live.change(patch);
            live.flush().await.expect("flushes");
        }
        let mut snapshot = LiveSession::open_journaled(snapshot_only.clone())
            .await
            .expect("opens");
        snapshot.set(session.clone());
        snapshot.flush().await.expect("flushes");
    });
    let mut group = c.benchmark_group("reload");
    group.sample_size(30);
    group.bench_function("open_100k_plus_1000_records", |b| {
        b.iter(|| {
            runtime
                .block_on(LiveSession::open_journaled(journaled.clone()))
                .expect("opens")
        })
    });
    group.bench_function("open_100k_snapshot_only", |b| {
        b.iter(|| {
            runtime
                .block_on(LiveSession::open_journaled(snapshot_only.clone()))
                .expect("opens")
        })
    });
    group.finish();
}

fn journal(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("runtime");
    peers_100k(c, &runtime);
    small_changes(c, &runtime);
    reload(c, &runtime);
}

criterion_group!(benches, journal);
criterion_main!(benches);
