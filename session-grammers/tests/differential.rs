//! The differential test: the same random sequences of `grammers_session::Session` calls against grammers'
//! own `SqliteSession` (over a temporary file, so it can be reopened) and `MemorySession`, and against
//! `GrammersSession` over `MemoryStorage`, `FileStorage` and (in `server`) `RedisStorage`; every result of
//! every call must be the same.
//!
//! `SqliteSession` is the reference for everything. `MemorySession` differs from it in documented ways, which
//! [`normalize_memory`] lists; its results are compared after that normalization.
//!
//! The same runs also start from a session grammers itself wrote (the grammers 0.11 SQLite vector) against
//! `GrammersSession` over that session imported into a tgsession file (`tgsession copy`, committed as
//! `tests/vectors/grammers-session_0.11.0.tgs`): an imported slot behaves as grammers' own session over the
//! file it came from.
//!
//! A failure prints the seed; `TGSESSION_GRAMMERS_SEED=<seed>` replays it.

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use grammers_session::storages::{MemorySession, SqliteSession};
use grammers_session::types::{
    ChannelKind, ChannelState, DcOption, PeerAuth, PeerId, PeerInfo, PeerRef, UpdateState,
    UpdatesState,
};
use grammers_session::Session as _;
use session_core::MemoryStorage;
use session_file::FileStorage;
use session_grammers::GrammersSession;

/// How many random sequences each test runs, and how long each is.
const SEQUENCES: usize = 24;
const STEPS: usize = 120;

/// The one user id that may be marked as the logged-in user in runs that start empty (see the crate docs:
/// the model has one logged-in user).
const SELF_ID: i64 = 7;
/// The logged-in user of the grammers vector, the one that may be marked in runs that start from it.
const VECTOR_SELF_ID: i64 = 123_456_789;

/// One call of the trait (or a reopen of every session that can be reopened).
#[derive(Clone, Debug)]
enum Op {
    HomeDc,
    SetHomeDc(i32),
    DcOption(i32),
    SetDcOption(Box<DcOption>),
    Peer(PeerId),
    PeerRef(PeerId),
    CachePeer(PeerInfo),
    CachePeers(Vec<PeerInfo>),
    UpdatesState,
    SetUpdateState(UpdateStateOp),
    Reopen,
}

/// `UpdateState` is neither `Clone` nor `Debug`; this is the same, with both.
#[derive(Clone, Debug)]
enum UpdateStateOp {
    All(UpdatesState),
    Primary { pts: i32, date: i32, seq: i32 },
    Secondary { qts: i32 },
    Channel { id: i64, pts: i32 },
}

impl UpdateStateOp {
    fn to_grammers(&self) -> UpdateState {
        match self.clone() {
            UpdateStateOp::All(state) => UpdateState::All(state),
            UpdateStateOp::Primary { pts, date, seq } => UpdateState::Primary { pts, date, seq },
            UpdateStateOp::Secondary { qts } => UpdateState::Secondary { qts },
            UpdateStateOp::Channel { id, pts } => UpdateState::Channel { id, pts },
        }
    }
}

/// The result of one call, comparable across implementations.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Out {
    Done,
    HomeDc(i32),
    DcOption(Option<Box<DcOption>>),
    Peer(Option<PeerInfo>),
    PeerRef(Option<PeerRef>),
    UpdatesState(UpdatesState),
}

/// Random calls over small id pools, so calls meet the same peers, channels and DCs again; `self_id` is the
/// one user that may be marked as the logged-in user.
struct Generator(fastrand::Rng, i64);

impl Generator {
    fn op(&mut self) -> Op {
        match self.0.u8(0..100) {
            0..5 => Op::HomeDc,
            5..10 => Op::SetHomeDc(self.0.i32(1..=5)),
            10..18 => Op::DcOption(self.0.i32(0..=7)),
            18..26 => Op::SetDcOption(Box::new(self.dc_option())),
            26..40 => Op::Peer(self.peer_id()),
            40..46 => Op::PeerRef(self.peer_id()),
            46..62 => Op::CachePeer(self.peer_info()),
            62..70 => Op::CachePeers(self.peer_batch()),
            70..77 => Op::UpdatesState,
            77..97 => Op::SetUpdateState(self.update_state()),
            _ => Op::Reopen,
        }
    }

    fn dc_option(&mut self) -> DcOption {
        let rng = &mut self.0;
        DcOption {
            id: rng.i32(1..=7),
            ipv4: SocketAddrV4::new(Ipv4Addr::from_bits(rng.u32(..)), rng.u16(1..)),
            // Flow info and scope id 0: `SqliteSession` keeps an address as text, which drops flow info.
            ipv6: SocketAddrV6::new(Ipv6Addr::from_bits(rng.u128(..)), rng.u16(1..), 0, 0),
            auth_key: rng.bool().then(|| std::array::from_fn(|_| rng.u8(..))),
        }
    }

    fn user_id(&mut self) -> i64 {
        [1, 2, 3, self.1, 0xff_ffff_ffff][self.0.usize(..5)]
    }

    fn chat_id(&mut self) -> i64 {
        [1, 2, 999_999_999_999][self.0.usize(..3)]
    }

    fn channel_id(&mut self) -> i64 {
        [1, 2, 3, 997_852_516_352, 1_002_147_483_649][self.0.usize(..5)]
    }

    fn peer_id(&mut self) -> PeerId {
        match self.0.u8(0..10) {
            0 => PeerId::self_user(),
            1..=4 => PeerId::user(self.user_id()).unwrap(),
            5..=6 => PeerId::chat(self.chat_id()).unwrap(),
            _ => PeerId::channel(self.channel_id()).unwrap(),
        }
    }

    fn auth(&mut self) -> Option<PeerAuth> {
        match self.0.u8(0..4) {
            0 => None,
            1 => Some(PeerAuth::from_hash(0)),
            _ => Some(PeerAuth::from_hash(self.0.i64(..))),
        }
    }

    fn flag(&mut self) -> Option<bool> {
        [None, Some(false), Some(true)][self.0.usize(..3)]
    }

    fn peer_info(&mut self) -> PeerInfo {
        match self.0.u8(0..3) {
            0 => {
                let id = self.user_id();
                let is_self = match self.flag() {
                    Some(true) if id != self.1 => Some(false),
                    flag => flag,
                };
                PeerInfo::User {
                    id,
                    auth: self.auth(),
                    bot: self.flag(),
                    is_self,
                }
            }
            1 => PeerInfo::Chat { id: self.chat_id() },
            _ => PeerInfo::Channel {
                id: self.channel_id(),
                auth: self.auth(),
                kind: [
                    None,
                    Some(ChannelKind::Broadcast),
                    Some(ChannelKind::Megagroup),
                    Some(ChannelKind::Gigagroup),
                    Some(ChannelKind::Community),
                ][self.0.usize(..5)],
            },
        }
    }

    /// Up to 6 peers, each id at most once (see the crate docs on duplicates in one batch).
    fn peer_batch(&mut self) -> Vec<PeerInfo> {
        let mut batch: Vec<PeerInfo> = Vec::new();
        for _ in 0..self.0.usize(0..=6) {
            let peer = self.peer_info();
            if batch.iter().all(|other| other.id() != peer.id()) {
                batch.push(peer);
            }
        }
        batch
    }

    fn update_state(&mut self) -> UpdateStateOp {
        let rng = &mut self.0;
        match rng.u8(0..4) {
            0 => {
                let mut ids: Vec<i64> = (1..=6).filter(|_| rng.bool()).collect();
                rng.shuffle(&mut ids);
                UpdateStateOp::All(UpdatesState {
                    pts: rng.i32(..),
                    qts: rng.i32(..),
                    date: rng.i32(..),
                    seq: rng.i32(..),
                    channels: ids
                        .into_iter()
                        .map(|id| ChannelState {
                            id,
                            pts: rng.i32(..),
                        })
                        .collect(),
                })
            }
            1 => UpdateStateOp::Primary {
                pts: rng.i32(..),
                date: rng.i32(..),
                seq: rng.i32(..),
            },
            2 => UpdateStateOp::Secondary { qts: rng.i32(..) },
            _ => UpdateStateOp::Channel {
                id: rng.i64(1..=6),
                pts: rng.i32(..),
            },
        }
    }
}

/// Runs `op` on `session`; errors fail the test.
async fn call<S: grammers_session::Session>(session: &S, op: &Op) -> Out
where
    S::Error: std::fmt::Debug,
{
    let what = format!("{op:?}");
    let failed = |error: S::Error| -> Out { panic!("{what} failed: {error:?}") };
    match op {
        Op::HomeDc => session.home_dc_id().map_or_else(failed, Out::HomeDc),
        Op::SetHomeDc(id) => session
            .set_home_dc_id(*id)
            .await
            .map_or_else(failed, |()| Out::Done),
        Op::DcOption(id) => session
            .dc_option(*id)
            .map_or_else(failed, |option| Out::DcOption(option.map(Box::new))),
        Op::SetDcOption(option) => session
            .set_dc_option(option)
            .await
            .map_or_else(failed, |()| Out::Done),
        Op::Peer(id) => session.peer(*id).await.map_or_else(failed, Out::Peer),
        Op::PeerRef(id) => session
            .peer_ref(*id)
            .await
            .map_or_else(failed, Out::PeerRef),
        Op::CachePeer(peer) => session
            .cache_peer(peer.clone())
            .await
            .map_or_else(failed, |()| Out::Done),
        Op::CachePeers(peers) => session
            .cache_peers(peers.clone())
            .await
            .map_or_else(failed, |()| Out::Done),
        Op::UpdatesState => session
            .updates_state()
            .await
            .map_or_else(failed, Out::UpdatesState),
        Op::SetUpdateState(update) => session
            .set_update_state(update.to_grammers())
            .await
            .map_or_else(failed, |()| Out::Done),
        Op::Reopen => Out::Done,
    }
}

/// `MemorySession`'s result made comparable with `SqliteSession`'s, undoing exactly its known differences:
///
/// - it keeps a user's `bot` and `is_self` three-valued, where `SqliteSession` keeps bits (both known when
///   either is set, both unknown otherwise);
/// - it keeps `ChannelKind::Community`, which `SqliteSession` reads back as unknown;
/// - it lists channels in the order they were last set, `SqliteSession` in id order;
/// - it never finds `PeerId::self_user()` (it looks the placeholder id up in its map), so those calls are
///   not compared at all (see [`compare_memory`]).
fn normalize_memory(out: Out) -> Out {
    fn peer(info: PeerInfo) -> PeerInfo {
        match info {
            PeerInfo::User {
                id,
                auth,
                bot,
                is_self,
            } => {
                let (bot, is_self) = (bot == Some(true), is_self == Some(true));
                let (bot, is_self) = if bot || is_self {
                    (Some(bot), Some(is_self))
                } else {
                    (None, None)
                };
                PeerInfo::User {
                    id,
                    auth,
                    bot,
                    is_self,
                }
            }
            PeerInfo::Channel {
                id,
                auth,
                kind: Some(ChannelKind::Community),
            } => PeerInfo::Channel {
                id,
                auth,
                kind: None,
            },
            other => other,
        }
    }
    match out {
        Out::Peer(info) => Out::Peer(info.map(peer)),
        Out::UpdatesState(mut state) => {
            state.channels.sort_by_key(|channel| channel.id);
            Out::UpdatesState(state)
        }
        other => other,
    }
}

/// Whether `MemorySession`'s result of `op` is compared at all.
fn compare_memory(op: &Op) -> bool {
    !matches!(op, Op::Peer(id) | Op::PeerRef(id) if *id == PeerId::self_user())
}

type Opener = Box<dyn Fn() -> Pin<Box<dyn Future<Output = GrammersSession>>>>;

/// A `GrammersSession` under test and how to open it again over the same slot.
struct Ours {
    name: &'static str,
    open: Opener,
    session: Option<GrammersSession>,
}

impl Ours {
    async fn new(name: &'static str, open: Opener) -> Ours {
        let session = open().await;
        Ours {
            name,
            open,
            session: Some(session),
        }
    }

    async fn reopen(&mut self) {
        let session = self.session.take().expect("a session");
        session.flush().await.expect("flush before reopening");
        drop(session);
        self.session = Some((self.open)().await);
    }
}

/// A `MemoryStorage` subject (a new slot each time the factory is called).
fn memory_opener() -> Opener {
    let storage = MemoryStorage::new();
    Box::new(move || {
        let storage = storage.clone();
        Box::pin(async move {
            GrammersSession::open(storage)
                .await
                .expect("open over memory")
        })
    })
}

/// A `FileStorage` subject in `dir`.
fn file_opener(path: PathBuf) -> Opener {
    Box::new(move || {
        let path = path.clone();
        Box::pin(async move {
            GrammersSession::open(FileStorage::new(path).expect("a file storage"))
                .await
                .expect("open over a file")
        })
    })
}

/// The seed of this run: `TGSESSION_GRAMMERS_SEED`, or a random one.
fn seed() -> u64 {
    match std::env::var("TGSESSION_GRAMMERS_SEED") {
        Ok(seed) => seed.parse().expect("TGSESSION_GRAMMERS_SEED is a number"),
        Err(_) => fastrand::u64(..),
    }
}

/// Runs `SEQUENCES` random sequences against the references and against the subjects `make` opens, all
/// starting empty.
async fn differential<F, Fut>(make: F)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Vec<Ours>>,
{
    differential_from(None, make).await;
}

/// Runs `SEQUENCES` random sequences against the references and against the subjects `make` opens; with
/// `start`, `SqliteSession` starts from a copy of that grammers file each time (and `MemorySession`, which
/// cannot, is left out), and the subjects must start from the same session.
async fn differential_from<F, Fut>(start: Option<&Path>, mut make: F)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Vec<Ours>>,
{
    let seed = seed();
    eprintln!("differential seed {seed} (replay with TGSESSION_GRAMMERS_SEED={seed})");
    let self_id = if start.is_some() {
        VECTOR_SELF_ID
    } else {
        SELF_ID
    };
    let mut generator = Generator(fastrand::Rng::with_seed(seed), self_id);
    for sequence in 0..SEQUENCES {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite_path = dir.path().join("grammers.session");
        if let Some(start) = start {
            std::fs::copy(start, &sqlite_path).expect("copies the grammers vector");
        }
        let mut sqlite = Some(
            SqliteSession::open(&sqlite_path)
                .await
                .expect("open SqliteSession"),
        );
        let memory = MemorySession::default();
        let mut ours = make(sequence).await;
        let mut history = Vec::new();
        for _ in 0..STEPS {
            let op = generator.op();
            history.push(op.clone());
            if let Op::Reopen = op {
                drop(sqlite.take());
                sqlite = Some(
                    SqliteSession::open(&sqlite_path)
                        .await
                        .expect("reopen SqliteSession"),
                );
                for subject in &mut ours {
                    subject.reopen().await;
                }
                continue;
            }
            let expected = call(sqlite.as_ref().expect("open"), &op).await;
            let context = || {
                format!(
                    "seed {seed}, sequence {sequence}, calls so far (the last one differs):\n{history:#?}"
                )
            };
            if start.is_none() && compare_memory(&op) {
                let from_memory = normalize_memory(call(&memory, &op).await);
                assert_eq!(
                    from_memory,
                    expected,
                    "MemorySession vs SqliteSession; {}",
                    context()
                );
            }
            for subject in &ours {
                let got = call(subject.session.as_ref().expect("open"), &op).await;
                assert_eq!(
                    got,
                    expected,
                    "GrammersSession over {} vs SqliteSession; {}",
                    subject.name,
                    context()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_results_as_grammers_over_memory_and_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_owned();
    differential(|sequence| {
        let path = root.join(format!("{sequence}.tgs"));
        async move {
            vec![
                Ours::new("MemoryStorage", memory_opener()).await,
                Ours::new("FileStorage", file_opener(path)).await,
            ]
        }
    })
    .await;
}

/// The grammers 0.11 SQLite vector (made by grammers-session itself), and its import into tgsession.
fn grammers_vector() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../session-interop/tests/vectors/grammers-session_0.11.0.sqlite")
}

fn imported_vector() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/grammers-session_0.11.0.tgs")
}

/// `GrammersSession` over a slot imported from a grammers SQLite file answers every call as grammers'
/// `SqliteSession` over that file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_slot_behaves_as_grammers_over_its_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_owned();
    let vector = grammers_vector();
    differential_from(Some(&vector), |sequence| {
        let path = root.join(format!("{sequence}.tgs"));
        std::fs::copy(imported_vector(), &path).expect("copies the imported vector");
        async move { vec![Ours::new("an imported FileStorage", file_opener(path)).await] }
    })
    .await;
}

/// A `GrammersSession` shared with a client: the trait object grammers-mtsender makes of it answers the
/// same as the session itself.
#[tokio::test]
async fn erased_session_answers_the_same() {
    let session = Arc::new(GrammersSession::open(MemoryStorage::new()).await.unwrap());
    let erased = grammers_session::storages::erase(Arc::clone(&session));
    erased.set_home_dc_id(4).await.unwrap();
    assert_eq!(session.home_dc_id().unwrap(), 4);
    assert_eq!(erased.dc_option(4).unwrap(), session.dc_option(4).unwrap());
}

mod server {
    use session_conformance::services::setting;
    use session_core::Slot;
    use session_redis::RedisStorage;

    use super::*;

    /// The same differential run with a third subject over the Redis test server.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_results_as_grammers_over_redis() {
        let url = setting("TGSESSION_REDIS_URL");
        differential(|_| {
            let url = url.clone();
            async move {
                let slot = Slot::new(format!("grammers-diff-{:016x}", fastrand::u64(..)))
                    .expect("a slot name");
                let storage = RedisStorage::connect(&url, slot)
                    .await
                    .expect("connect to the Redis test server");
                let open: Opener = Box::new(move || {
                    let storage = storage.clone();
                    Box::pin(async move {
                        GrammersSession::open(storage)
                            .await
                            .expect("open over Redis")
                    })
                });
                vec![
                    Ours::new("RedisStorage", open).await,
                    Ours::new("MemoryStorage", memory_opener()).await,
                ]
            }
        })
        .await;
    }
}
