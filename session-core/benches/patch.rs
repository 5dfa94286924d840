//! Applying a patch to a large session: 100 changed peers (50 updated, 50 new) on a 100,000-peer session,
//! against inserting the same peers one by one into the sorted cache, in the same run.
//!
//! Run with `cargo bench -p session-core --bench patch`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use session_conformance::fixtures;
use session_core::{Patch, Peer, PeerId, PeerKind, Session};

/// 50 of the session's users with a new access hash, and 50 new users spread over the id range.
fn changes(session: &Session) -> Vec<(PeerId, Peer)> {
    let users: Vec<PeerId> = session
        .peers
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| matches!(id, PeerId::User(_)))
        .collect();
    let step = users.len() / 50;
    let updated = (0..50).map(|i| users[i * step]);
    let new = (0..50).map(|i| match users[i * step + 1] {
        PeerId::User(id) => PeerId::User(id - 3),
        other => other,
    });
    updated
        .chain(new)
        .enumerate()
        .map(|(i, id)| {
            let peer = Peer {
                kind: PeerKind::User,
                access_hash: Some(i as i64 * 7919),
                username: Some(format!("changed_{i}").into()),
                ..Peer::default()
            };
            (id, peer)
        })
        .collect()
}

fn apply(c: &mut Criterion) {
    let session = fixtures::with_peers(100_000);
    let changed = changes(&session);
    // A live session's cache has grown before: one new peer makes the vector reserve room, as it does
    // after the first change a client applies, so the measured patch does not pay for a reallocation.
    let mut first = Patch::new();
    first.upsert_peer(PeerId::User(-1), Peer::default());
    let mut patch = Patch::new();
    patch.upsert_peers(changed.clone());
    let mut group = c.benchmark_group("peers_100k_plus_100");
    group.sample_size(30);
    group.bench_function("apply", |b| {
        b.iter_batched_ref(
            || {
                let mut live = session.clone();
                live.apply(&first);
                live
            },
            |session| session.apply(&patch),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("insert_one_by_one", |b| {
        b.iter_batched_ref(
            || session.clone(),
            |session| {
                for (id, peer) in &changed {
                    session.peers.insert(*id, peer.clone());
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
