//! Encode / decode speed and size of the tgsession codec, with serde_json of the same `Session` and a plain
//! `clone` (the same allocations, no parsing) as baselines.
//!
//! Run with `cargo bench -p session-core --bench codec`. Prints the encoded size per case once.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use session_conformance::fixtures;
use session_core::Session;

fn cases() -> Vec<(&'static str, Session)> {
    vec![
        ("auth_only", fixtures::auth_only()),
        ("peers_10k", fixtures::with_peers(10_000)),
        ("peers_100k", fixtures::with_peers(100_000)),
    ]
}

fn codec(c: &mut Criterion) {
    for (name, session) in cases() {
        let encoded = session.encode().expect("fixture encodes");
        let json = serde_json::to_vec(&session).expect("fixture serializes");
        let peers = session.peers.len().max(1);
        eprintln!(
            "{name}: {} bytes encoded ({:.1} bytes/peer), {} bytes as JSON",
            encoded.len(),
            encoded.len() as f64 / peers as f64,
            json.len()
        );
        let mut group = c.benchmark_group(name);
        if session.peers.len() >= 10_000 {
            group.sample_size(20);
        }
        group.bench_function("encode", |b| b.iter(|| session.encode().expect("encodes")));
        group.bench_function("decode", |b| {
            b.iter_batched(
                || (),
                |()| Session::decode(&encoded).expect("decodes"),
                BatchSize::SmallInput,
            )
        });
        // What building the same session in memory costs without parsing (the same allocations and bytes
        // written): the floor for decode, measured the same way.
        group.bench_function("clone", |b| {
            b.iter_batched(|| (), |()| session.clone(), BatchSize::SmallInput)
        });
        // Encode, decode and drop: what a save-and-reload cycle costs in all.
        group.bench_function("encode+decode", |b| {
            b.iter(|| Session::decode(&session.encode().expect("encodes")).expect("decodes"))
        });
        group.bench_function("serde_json_serialize", |b| {
            b.iter(|| serde_json::to_vec(&session).expect("serializes"))
        });
        group.bench_function("serde_json_deserialize", |b| {
            b.iter(|| serde_json::from_slice::<Session>(&json).expect("deserializes"))
        });
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
