//! The `inspect --json` object.
//!
//! Keys (always present; `null` when unknown): `format`, `format_description`, `home_dc`, `test_mode`,
//! `dcs` (each `id`, `ipv4` `"a.b.c.d:port"`, `ipv6` `"[addr]:port"`, `auth_key_id` (16 lowercase hex
//! digits), `temp_auth_key_id`, `flags`), `user` (`id`, `is_bot`, `username`, `dc`), `update_state`
//! (`pts`, `qts`, `date`, `seq`, `channels`: how many channels have their own pts), `peers` (the number of
//! cached peers), `peer_kinds` (kind → count), `min_contexts` (how many users seen only as min users have
//! a message context), `logout_token` (whether there is one; never its bytes), `device`, `api_id`,
//! `takeout_id`, `created_at`, `updated_at`, `dropped` (each `what` and `why`). Key bytes are never part
//! of it.

use serde_json::{json, Map, Value};
use session_core::{DcEntry, Session};
use session_interop::{Format, Imported};

use crate::output::{auth_key_id, flag_names, peer_kinds};

/// The summary of a session read as `format`.
pub(crate) fn summary(format: Format, imported: &Imported) -> Value {
    let session = &imported.session;
    json!({
        "format": format.name(),
        "format_description": format.description(),
        "home_dc": session.home_dc,
        "test_mode": session.test_mode,
        "dcs": session.dcs.iter().map(dc).collect::<Vec<_>>(),
        "user": session.user.as_ref().map(|user| json!({
            "id": user.id,
            "is_bot": user.bot,
            "username": user.username,
            "dc": user.dc,
        })),
        "update_state": session.update_state.as_ref().map(|state| json!({
            "pts": state.pts,
            "qts": state.qts,
            "date": state.date,
            "seq": state.seq,
            "channels": state.channels.len(),
        })),
        "peers": session.peers.len(),
        "peer_kinds": kinds(session),
        "min_contexts": session.min_contexts.len(),
        "logout_token": session.logout_token.is_some(),
        "device": session.device.as_ref().map(|device| json!({
            "device_model": device.device_model,
            "system_version": device.system_version,
            "app_version": device.app_version,
            "system_lang_code": device.system_lang_code,
            "lang_pack": device.lang_pack,
            "lang_code": device.lang_code,
        })),
        "api_id": session.api_id,
        "takeout_id": session.takeout_id,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "dropped": imported.dropped.iter().map(|entry| json!({
            "what": entry.what,
            "why": entry.why,
        })).collect::<Vec<_>>(),
    })
}

/// One DC entry: addresses, key ids and flags.
fn dc(dc: &DcEntry) -> Value {
    json!({
        "id": dc.id,
        "ipv4": dc.ipv4.map(|addr| addr.to_string()),
        "ipv6": dc.ipv6.map(|addr| addr.to_string()),
        "auth_key_id": auth_key_id(dc),
        "temp_auth_key_id": dc.temp_auth_key.as_ref().map(|temp| temp.key.id().to_string()),
        "flags": flag_names(&dc.flags),
    })
}

/// The peer counts by kind, as an object.
fn kinds(session: &Session) -> Value {
    let map: Map<String, Value> = peer_kinds(session)
        .into_iter()
        .map(|(kind, count)| (kind.to_owned(), Value::from(count)))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::{AuthKey, DcEntry};

    #[test]
    fn the_summary_shows_key_ids_and_never_keys() {
        let mut session = Session::new();
        session.home_dc = Some(2);
        let mut entry = DcEntry::new(2);
        entry.ipv4 = Some("149.154.167.51:443".parse().unwrap());
        entry.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
        entry.auth_key = Some(AuthKey::new(std::array::from_fn(|i| i as u8)));
        session.dcs.push(entry);
        let imported = Imported {
            session,
            dropped: Vec::new(),
        };
        let value = summary(Format::TelethonString, &imported);
        assert_eq!(value["format"], "telethon-string");
        assert_eq!(value["home_dc"], 2);
        assert_eq!(value["dcs"][0]["ipv4"], "149.154.167.51:443");
        assert_eq!(value["dcs"][0]["ipv6"], "[2001:67c:4e8:f002::a]:443");
        assert_eq!(value["dcs"][0]["auth_key_id"], "32d1586ea457dfc8");
        assert_eq!(value["user"], Value::Null);
        assert_eq!(value["peers"], 0);
        let text = value.to_string();
        assert!(!text.contains("000102030405"), "{text}");
    }
}
