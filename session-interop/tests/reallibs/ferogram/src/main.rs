//! Makes and loads sessions with the real ferogram-session 0.6.6, offline (see `../Cargo.toml`).
//!
//!     reallibs-ferogram make FORMAT OUT   ferogram writes a session of FORMAT to OUT from the fake inputs
//!     reallibs-ferogram load FORMAT PATH  ferogram loads PATH and prints, as one JSON object, what it sees
//!
//! FORMAT: `ferogram-string` (`StringSession::encode()`, version 2), `ferogram-string-v1` (`encode_v1()`),
//! `ferogram-sqlite` (`SqliteBackend`); make only: `ferogram-binary` (`PersistedSession::to_bytes()`, the
//! version-8 file), and `ferogram-sqlite-extras`, `ferogram-binary-extras`, `ferogram-binary-string-extras`
//! (`PersistedSession`'s `Display`: the file in base64): the account plus a min peer, a community flag (which a
//! tgsession `Session` has no place for) and a future auth token.
//!
//! `load ferogram-sqlite` prints the min peers as `[user_id, peer_id, msg_id]` and the future auth token only
//! as `none`, `the fake token` ([`FAKE_TOKEN`]) or `N other bytes`: never its bytes.

#[path = "../../rust_common.rs"]
#[allow(dead_code)]
mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::{fail, Json};
use ferogram_session::{
    CachedMinPeer, CachedPeer, ChannelKind, DcEntry, DcFlags, FullSession, PersistedSession,
    SessionBackend, SqliteBackend, StringSession,
};

/// The API layer the version 1 string of the vectors names (any number would do: readers drop it).
const LAYER: u32 = 214;

/// The future auth token of the sessions with extras.
const FAKE_TOKEN: [u8; 16] = [0x5a; 16];

fn main() {
    let (action, format, file) = common::args();
    match (action.as_str(), format.as_str()) {
        ("make", "ferogram-string") => save_text(&file, &string_session().encode()),
        ("make", "ferogram-string-v1") => save_text(&file, &string_session().encode_v1()),
        ("make", "ferogram-sqlite") => save_sqlite(&file, &account()),
        ("make", "ferogram-sqlite-extras") => save_sqlite(&file, &with_extras(account())),
        ("make", "ferogram-binary") => save_binary(&file, &account()),
        ("make", "ferogram-binary-extras") => save_binary(&file, &with_extras(account())),
        ("make", "ferogram-binary-string-extras") => {
            save_text(&file, &with_extras(account()).to_string())
        }
        ("load", "ferogram-string" | "ferogram-string-v1") => load_string(&file),
        ("load", "ferogram-sqlite") => load_sqlite(&file),
        _ => fail(&format!("unknown action and format: {action} {format}")),
    }
}

fn save_text(file: &Path, text: &str) {
    std::fs::write(file, text).unwrap_or_else(|err| fail(&format!("cannot write: {err}")));
}

/// The fake account as ferogram's `encode_v1()` input (`encode()` writes its version-2 fields).
fn string_session() -> StringSession {
    let addr: SocketAddr = common::IPV4.parse().expect("the fake address");
    StringSession::V1(FullSession {
        dc_id: common::DC_ID as u8,
        ip: addr.ip(),
        port: addr.port(),
        auth_key: common::key(),
        user_id: common::USER_ID,
        server_salt: common::SALT,
        seq_no: 0,
        layer: LAYER,
    })
}

/// The fake account as ferogram persists it (the same session as the binary vector of ferogram 0.6.6).
fn account() -> PersistedSession {
    let mut v4 = DcEntry::from_parts(common::DC_ID, "149.154.167.51", 443, DcFlags::NONE);
    v4.auth_key = Some(common::key());
    v4.first_salt = common::SALT;
    v4.time_offset = common::TIME_OFFSET;
    let v6 = DcEntry::from_parts(common::DC_ID, "2001:67c:4e8:f002::a", 443, DcFlags::IPV6);
    let [pts, qts, date, seq] = common::STATE;
    let mut session = PersistedSession {
        home_dc_id: common::DC_ID,
        dcs: vec![v4, v6],
        ..PersistedSession::default()
    };
    session.updates_state.pts = pts;
    session.updates_state.qts = qts;
    session.updates_state.date = date;
    session.updates_state.seq = seq;
    session
        .updates_state
        .set_channel_pts(common::CHANNEL.0, common::CHANNEL.1);
    let peer = |id, access_hash, is_channel, is_chat, channel_kind| CachedPeer {
        id,
        access_hash,
        is_channel,
        is_chat,
        channel_kind,
        is_community: false,
    };
    session.peers = vec![
        peer(common::ALICE.0, common::ALICE.1, false, false, None),
        peer(
            common::CHANNEL_PEER.0,
            common::CHANNEL_PEER.1,
            true,
            false,
            Some(ChannelKind::Broadcast),
        ),
        peer(common::GROUP, 0, false, true, None),
    ];
    session
}

/// `session` with a min peer (bob, seen in a message of the channel), the channel's community flag (which a
/// tgsession `Session` has no place for) and [`FAKE_TOKEN`].
fn with_extras(mut session: PersistedSession) -> PersistedSession {
    session.min_peers.push(CachedMinPeer {
        user_id: 987_654_321,
        peer_id: common::CHANNEL_PEER.0,
        msg_id: 77,
    });
    if let Some(channel) = session.peers.iter_mut().find(|peer| peer.is_channel) {
        channel.is_community = true;
    }
    session.future_auth_token = Some(FAKE_TOKEN.to_vec());
    session
}

fn save_binary(file: &Path, session: &PersistedSession) {
    session
        .save(file)
        .unwrap_or_else(|err| fail(&format!("save: {err}")));
}

fn save_sqlite(file: &Path, session: &PersistedSession) {
    let backend = SqliteBackend::open(file).unwrap_or_else(|err| fail(&format!("open: {err}")));
    backend
        .save(session)
        .unwrap_or_else(|err| fail(&format!("save: {err}")));
}

fn load_string(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|err| fail(&format!("read: {err}")));
    let decoded =
        StringSession::decode(&text).unwrap_or_else(|err| fail(&format!("decode: {err}")));
    let session = decoded.session();
    let mut fields = vec![
        ("library".to_owned(), Json::str("ferogram-session 0.6.6")),
        ("version".to_owned(), Json::Int(decoded.version().into())),
        ("dc_id".to_owned(), Json::Int(session.dc_id.into())),
        (
            "server_address".to_owned(),
            Json::str(session.ip.to_string()),
        ),
        ("port".to_owned(), Json::Int(session.port.into())),
        (
            "auth_key".to_owned(),
            Json::str(common::hex(&session.auth_key)),
        ),
        ("user_id".to_owned(), Json::Int(session.user_id)),
    ];
    if let Some(full) = decoded.full_session() {
        fields.push(("server_salt".to_owned(), Json::Int(full.server_salt)));
        fields.push(("seq_no".to_owned(), Json::Int(full.seq_no.into())));
        fields.push(("layer".to_owned(), Json::Int(full.layer.into())));
    }
    println!("{}", Json::Object(fields).text());
}

fn load_sqlite(file: &Path) {
    let backend = SqliteBackend::open(file).unwrap_or_else(|err| fail(&format!("open: {err}")));
    let Some(session) = backend
        .load()
        .unwrap_or_else(|err| fail(&format!("load: {err}")))
    else {
        fail("ferogram finds no session in the file");
    };
    let dcs = session
        .dcs
        .iter()
        .map(|dc| {
            common::dc_json(
                dc.dc_id,
                &dc.addr,
                dc.auth_key.as_ref(),
                dc.first_salt,
                dc.time_offset,
                dc.flags.0,
            )
        })
        .collect();
    let (state, channels) = common::state_json(
        [
            session.updates_state.pts,
            session.updates_state.qts,
            session.updates_state.date,
            session.updates_state.seq,
        ],
        &session.updates_state.channels,
    );
    let peers = session
        .peers
        .iter()
        .map(|peer| {
            Json::object([
                ("id", Json::Int(peer.id)),
                ("access_hash", Json::Int(peer.access_hash)),
                ("is_channel", Json::Bool(peer.is_channel)),
                ("is_chat", Json::Bool(peer.is_chat)),
                (
                    "channel_kind",
                    peer.channel_kind
                        .map_or(Json::Null, |kind| Json::Int(kind.to_byte().into())),
                ),
                ("is_community", Json::Bool(peer.is_community)),
            ])
        })
        .collect();
    let min_peers = session
        .min_peers
        .iter()
        .map(|min| {
            Json::List(vec![
                Json::Int(min.user_id),
                Json::Int(min.peer_id),
                Json::Int(min.msg_id.into()),
            ])
        })
        .collect();
    let seen = Json::object([
        ("library", Json::str("ferogram-session 0.6.6")),
        ("home_dc_id", Json::Int(session.home_dc_id.into())),
        ("dcs", Json::List(dcs)),
        ("update_state", state),
        ("channel_pts", channels),
        ("peers", Json::List(peers)),
        ("min_peers", Json::List(min_peers)),
        (
            "future_auth_token",
            Json::str(match session.future_auth_token.as_deref() {
                None => "none".to_owned(),
                Some(token) if token == FAKE_TOKEN => "the fake token".to_owned(),
                Some(token) => format!("{} other bytes", token.len()),
            }),
        ),
    ]);
    println!("{}", seen.text());
}
