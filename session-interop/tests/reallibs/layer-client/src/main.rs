//! Makes and loads sessions with the real layer-client 0.5.0, offline (see `../Cargo.toml`).
//!
//!     reallibs-layer-client make FORMAT OUT   layer-client writes a session of FORMAT to OUT from the fake inputs
//!     reallibs-layer-client load FORMAT PATH  layer-client loads PATH and prints, as one JSON object, what it sees
//!
//! FORMAT: `layer` (`BinaryFileBackend`, layer-client's version-3 file). layer-client's peer record type is
//! neither exported nor constructible from outside the crate, so the file made here has no peers.

#[path = "../../rust_common.rs"]
#[allow(dead_code)]
mod common;

use std::path::Path;

use common::{fail, Json};
use layer_client::{
    BinaryFileBackend, DcEntry, DcFlags, InMemoryBackend, SessionBackend, UpdateStateChange,
};

fn main() {
    let (action, format, file) = common::args();
    if format != "layer" {
        fail(&format!("unknown format {format}"));
    }
    let backend = BinaryFileBackend::new(&file);
    match action.as_str() {
        "make" => make(&backend),
        "load" => load(&backend, &file),
        _ => fail(&format!("unknown action {action}")),
    }
}

/// Saves the fake account (without peers, and with DC 2's IPv4 address only: layer-client's `update_dc`
/// keeps one record per DC id) through `backend`. layer-client's session type is not exported
/// by name: it is built in an `InMemoryBackend` with the backends' own granular calls.
fn make(backend: &dyn SessionBackend) {
    let memory = InMemoryBackend::new();
    let mut v4 = DcEntry::from_parts(common::DC_ID, "149.154.167.51", 443, DcFlags::NONE);
    v4.auth_key = Some(common::key());
    v4.first_salt = common::SALT;
    v4.time_offset = common::TIME_OFFSET;
    let [pts, qts, date, seq] = common::STATE;
    let steps = [
        memory.set_home_dc(common::DC_ID),
        memory.update_dc(&v4),
        memory.apply_update_state(UpdateStateChange::Primary { pts, date, seq }),
        memory.apply_update_state(UpdateStateChange::Secondary { qts }),
        memory.apply_update_state(UpdateStateChange::Channel {
            id: common::CHANNEL.0,
            pts: common::CHANNEL.1,
        }),
    ];
    for step in steps {
        step.unwrap_or_else(|err| fail(&format!("building the session: {err}")));
    }
    let session = memory
        .snapshot()
        .unwrap_or_else(|| fail("no session built"));
    backend
        .save(&session)
        .unwrap_or_else(|err| fail(&format!("save: {err}")));
}

fn load(backend: &dyn SessionBackend, file: &Path) {
    let Some(session) = backend
        .load()
        .unwrap_or_else(|err| fail(&format!("load {}: {err}", file.display())))
    else {
        fail("layer-client finds no session in the file");
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
    let snap = &session.updates_state;
    let (state, channels) =
        common::state_json([snap.pts, snap.qts, snap.date, snap.seq], &snap.channels);
    let peers = session
        .peers
        .iter()
        .map(|peer| {
            Json::object([
                ("id", Json::Int(peer.id)),
                ("access_hash", Json::Int(peer.access_hash)),
                ("is_channel", Json::Bool(peer.is_channel)),
            ])
        })
        .collect();
    let seen = Json::object([
        ("library", Json::str("layer-client 0.5.0")),
        ("home_dc_id", Json::Int(session.home_dc_id.into())),
        ("dcs", Json::List(dcs)),
        ("update_state", state),
        ("channel_pts", channels),
        ("peers", Json::List(peers)),
    ]);
    println!("{}", seen.text());
}
