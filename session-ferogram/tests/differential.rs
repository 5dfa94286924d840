//! Random sequences of `SessionBackend` calls against ferogram's own `InMemoryBackend` and
//! `BinaryFileBackend` and against `FerogramBackend` over memory (journal and snapshots) and file storage,
//! comparing every result; restarts in between compare what came back with ferogram's file, less what
//! the crate documents as not stored.
//!
//! `TGSESSION_FEROGRAM_SEED=<n>` replays one sequence.

use std::fmt::Debug;

use ferogram_session::{
    BinaryFileBackend, CachedMinPeer, CachedPeer, ChannelKind, DcEntry, DcFlags, InMemoryBackend,
    PersistedSession, SessionBackend, UpdateStateChange, UpdatesStateSnap,
};
use session_core::MemoryStorage;
use session_ferogram::FerogramBackend;
use session_file::FileStorage;

/// One backend under test and how to open it again after a restart.
struct Subject {
    name: &'static str,
    backend: Option<FerogramBackend>,
    reopen: Box<dyn Fn(&tokio::runtime::Runtime) -> FerogramBackend>,
}

impl Subject {
    fn new(
        name: &'static str,
        runtime: &tokio::runtime::Runtime,
        reopen: impl Fn(&tokio::runtime::Runtime) -> FerogramBackend + 'static,
    ) -> Subject {
        Subject {
            name,
            backend: Some(reopen(runtime)),
            reopen: Box::new(reopen),
        }
    }

    fn backend(&self) -> &FerogramBackend {
        self.backend.as_ref().unwrap()
    }

    /// Drops the backend (its memory-only state with it) and opens the storage again.
    fn restart(&mut self, runtime: &tokio::runtime::Runtime) {
        self.backend = None;
        self.backend = Some((self.reopen)(runtime));
    }
}

#[derive(Debug, Clone)]
enum Call {
    Save(PersistedSession),
    Delete,
    UpdateDc(DcEntry),
    SetHomeDc(i32),
    UpdateState(UpdateStateChange),
    CachePeer(CachedPeer),
    Restart,
}

fn call(backend: &dyn SessionBackend, call: &Call) -> std::io::Result<()> {
    match call {
        Call::Save(session) => backend.save(session),
        Call::Delete => backend.delete(),
        Call::UpdateDc(entry) => backend.update_dc(entry),
        Call::SetHomeDc(dc) => backend.set_home_dc(*dc),
        Call::UpdateState(change) => backend.apply_update_state(change.clone()),
        Call::CachePeer(peer) => backend.cache_peer(peer),
        Call::Restart => Ok(()),
    }
}

/// ferogram's types have no `PartialEq`; their `Debug` shows every field.
fn same<T: Debug>(value: &T) -> String {
    format!("{value:?}")
}

struct Gen(fastrand::Rng);

impl Gen {
    fn dc(&mut self) -> DcEntry {
        let id = self.0.i32(1..=5);
        let v6 = self.0.bool();
        let mut flags = if v6 { DcFlags::IPV6 } else { DcFlags::NONE };
        for flag in [
            DcFlags::MEDIA_ONLY,
            DcFlags::TCPO_ONLY,
            DcFlags::CDN,
            DcFlags::STATIC,
        ] {
            if self.0.u8(..4) == 0 {
                flags.set(flag);
            }
        }
        let port = [443, 80, 5222][self.0.usize(..3)];
        let addr = match (self.0.u8(..10), v6) {
            (0, false) => String::new(),
            (_, false) => format!("149.154.{}.{}:{port}", self.0.u8(160..180), id),
            (_, true) => format!("[2001:b28:f23d:f00{id}::{:x}]:{port}", self.0.u16(1..300)),
        };
        let auth_key = self.0.bool().then(|| {
            let mut key = [0u8; 256];
            self.0.fill(&mut key);
            key
        });
        DcEntry {
            dc_id: id,
            addr,
            auth_key,
            first_salt: self.0.i64(..),
            time_offset: self.0.i32(-100..100),
            flags,
        }
    }

    fn peer(&mut self) -> CachedPeer {
        let id = self.0.i64(1..=8);
        let hash = if self.0.u8(..6) == 0 {
            0
        } else {
            self.0.i64(..)
        };
        let kind = [
            None,
            Some(ChannelKind::Broadcast),
            Some(ChannelKind::Megagroup),
            Some(ChannelKind::Gigagroup),
        ][self.0.usize(..4)];
        let mut peer = CachedPeer {
            id,
            access_hash: hash,
            is_channel: false,
            is_chat: false,
            channel_kind: None,
            is_community: false,
        };
        match self.0.u8(..4) {
            0 => {}
            1 => {
                peer.is_chat = true;
                peer.access_hash = 0;
            }
            2 => {
                peer.is_channel = true;
                peer.channel_kind = kind;
            }
            _ => peer.is_community = true,
        }
        peer
    }

    fn state(&mut self) -> UpdatesStateSnap {
        let channels = (0..self.0.usize(..4))
            .map(|_| (self.0.i64(1..=5), self.0.i32(0..1000)))
            .collect();
        UpdatesStateSnap {
            pts: self.0.i32(0..1000),
            qts: self.0.i32(0..1000),
            date: self.0.i32(0..2_000_000_000),
            seq: self.0.i32(0..1000),
            channels,
        }
    }

    fn change(&mut self) -> UpdateStateChange {
        match self.0.u8(..4) {
            0 => UpdateStateChange::All(self.state()),
            1 => UpdateStateChange::Primary {
                pts: self.0.i32(0..1000),
                date: self.0.i32(0..1000),
                seq: self.0.i32(0..1000),
            },
            2 => UpdateStateChange::Secondary {
                qts: self.0.i32(0..1000),
            },
            _ => UpdateStateChange::Channel {
                id: self.0.i64(1..=5),
                pts: self.0.i32(0..1000),
            },
        }
    }

    fn session(&mut self) -> PersistedSession {
        PersistedSession {
            home_dc_id: self.0.i32(0..=5),
            dcs: (0..self.0.usize(..5)).map(|_| self.dc()).collect(),
            updates_state: if self.0.bool() {
                self.state()
            } else {
                UpdatesStateSnap::default()
            },
            peers: (0..self.0.usize(..7)).map(|_| self.peer()).collect(),
            min_peers: (0..self.0.usize(..3))
                .map(|_| CachedMinPeer {
                    user_id: self.0.i64(1..100),
                    peer_id: self.0.i64(1..100),
                    msg_id: self.0.i32(1..100),
                })
                .collect(),
            future_auth_token: self.0.bool().then(|| vec![self.0.u8(..); 16]),
        }
    }

    fn call(&mut self) -> Call {
        match self.0.u8(..100) {
            0..25 => Call::Save(self.session()),
            25..30 => Call::Delete,
            30..45 => Call::UpdateDc(self.dc()),
            45..52 => Call::SetHomeDc(self.0.i32(0..=5)),
            52..72 => Call::UpdateState(self.change()),
            72..94 => Call::CachePeer(self.peer()),
            _ => Call::Restart,
        }
    }
}

/// What ferogram's file holds after a restart, less what the crate documents as not stored.
fn expected_after_restart(session: &PersistedSession) -> PersistedSession {
    let rank = |p: &CachedPeer| {
        if p.is_chat {
            1
        } else if p.is_channel {
            2
        } else {
            0
        }
    };
    let mut peers: Vec<CachedPeer> = session
        .peers
        .iter()
        .map(|p| CachedPeer {
            is_channel: p.is_channel || p.is_community,
            is_community: false,
            channel_kind: p.channel_kind.filter(|_| p.is_channel && !p.is_chat),
            ..p.clone()
        })
        .collect();
    peers.sort_by_key(|p| (rank(p), p.id));
    peers.dedup_by_key(|p| (rank(p), p.id));
    let mut channels = session.updates_state.channels.clone();
    channels.sort_by_key(|(id, _)| *id);
    channels.dedup_by_key(|(id, _)| *id);
    // Min peers come back by user id, a user listed twice with its first listing.
    let mut min_peers = session.min_peers.clone();
    min_peers.sort_by_key(|min| min.user_id);
    min_peers.dedup_by_key(|min| min.user_id);
    PersistedSession {
        peers,
        updates_state: UpdatesStateSnap {
            channels,
            ..session.updates_state.clone()
        },
        min_peers,
        future_auth_token: session
            .future_auth_token
            .clone()
            .filter(|token| !token.is_empty()),
        ..session.clone()
    }
}

fn run(seed: u64, steps: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let memory = InMemoryBackend::new();
    let file = BinaryFileBackend::new(dir.path().join("ferogram.session"));
    let journal = MemoryStorage::new();
    let snapshots = MemoryStorage::new();
    let path = dir.path().join("tgsession.tgs");
    let mut subjects = vec![
        Subject::new("memory journal", &runtime, move |rt| {
            rt.block_on(FerogramBackend::open(journal.clone())).unwrap()
        }),
        Subject::new("memory snapshots", &runtime, move |rt| {
            rt.block_on(FerogramBackend::open_snapshots(snapshots.clone()))
                .unwrap()
        }),
        Subject::new("file journal", &runtime, move |rt| {
            rt.block_on(FerogramBackend::open(FileStorage::new(&path).unwrap()))
                .unwrap()
        }),
    ];
    let mut generator = Gen(fastrand::Rng::with_seed(seed));
    for step in 0..steps {
        let next = generator.call();
        let context = format!("seed {seed}, step {step}: {next:?}");
        if let Call::Restart = next {
            let in_file = file.load().unwrap();
            let expected = in_file.as_ref().map(expected_after_restart);
            for subject in &mut subjects {
                subject.restart(&runtime);
                let loaded = subject.backend().load().unwrap();
                assert_eq!(
                    same(&loaded),
                    same(&expected),
                    "{} after a restart, {context}",
                    subject.name
                );
            }
            // The references restart too: from what the subjects came back with.
            match &expected {
                Some(session) => {
                    memory.save(session).unwrap();
                    file.save(session).unwrap();
                }
                None => {
                    memory.delete().unwrap();
                    file.delete().unwrap();
                }
            }
            continue;
        }
        let want = call(&memory, &next).map_err(|e| e.kind());
        assert_eq!(
            call(&file, &next).map_err(|e| e.kind()),
            want,
            "ferogram's file, {context}"
        );
        let want_loaded = same(&memory.load().unwrap());
        assert_eq!(
            same(&file.load().unwrap()),
            want_loaded,
            "ferogram's file, {context}"
        );
        for subject in &subjects {
            let got = call(subject.backend(), &next).map_err(|e| e.kind());
            assert_eq!(got, want, "{}, {context}", subject.name);
            let loaded = same(&subject.backend().load().unwrap());
            assert_eq!(loaded, want_loaded, "{}, {context}", subject.name);
        }
    }
}

#[test]
fn random_call_sequences_match_ferogram_backends() {
    if let Ok(seed) = std::env::var("TGSESSION_FEROGRAM_SEED") {
        run(seed.parse().expect("a u64 seed"), 80);
        return;
    }
    let first = fastrand::u64(..);
    for i in 0..30 {
        run(first.wrapping_add(i), 80);
    }
}
