//! The `inspect` summary as aligned text for people.

use std::fmt::Write;

use session_core::{DcEntry, Session};
use session_interop::{Format, Imported};

use crate::output::{auth_key_id, flag_names, peer_kinds};

/// The summary of a session read as `format`, one fact per line.
pub(crate) fn summary(format: Format, imported: &Imported) -> String {
    let session = &imported.session;
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |label: &str, value: String| lines.push((label.to_owned(), value));
    line("format", format!("{format} ({})", format.description()));
    line("home DC", optional(session.home_dc));
    line("test mode", yes_no(session.test_mode).to_owned());
    line("DCs", session.dcs.len().to_string());
    for entry in &session.dcs {
        line(&format!("  DC {}", entry.id), dc(entry));
    }
    line("user", user(session));
    line("update state", update_state(session));
    line("peers", peers(session));
    if !session.min_contexts.is_empty() {
        line("min contexts", session.min_contexts.len().to_string());
    }
    if session.logout_token.is_some() {
        // Never the token itself: it skips the login code.
        line("logout token", "present".to_owned());
    }
    line("device", device(session));
    line("api id", optional(session.api_id));
    if let Some(takeout) = session.takeout_id {
        line("takeout id", takeout.to_string());
    }
    if imported.dropped.is_empty() {
        line("dropped", "nothing".to_owned());
    }
    for entry in &imported.dropped {
        line("dropped", entry.to_string());
    }
    let mut out = String::new();
    for (label, value) in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{label:<13} {value}");
    }
    out
}

/// One DC entry on one line: addresses, key id, flags.
fn dc(entry: &DcEntry) -> String {
    let mut parts = Vec::new();
    parts.extend(entry.ipv4.map(|addr| addr.to_string()));
    parts.extend(entry.ipv6.map(|addr| addr.to_string()));
    if entry.ipv4.is_none() && entry.ipv6.is_none() {
        parts.push("no address".to_owned());
    }
    parts.push(match auth_key_id(entry) {
        Some(id) => format!("auth key {id}"),
        None => "no auth key".to_owned(),
    });
    if let Some(temp) = &entry.temp_auth_key {
        parts.push(format!(
            "temp key {} (expires {})",
            temp.key.id(),
            temp.expires_at
        ));
    }
    parts.extend(flag_names(&entry.flags).into_iter().map(str::to_owned));
    parts.join("  ")
}

/// The logged-in account: id, user or bot, username.
fn user(session: &Session) -> String {
    match &session.user {
        None => "unknown".to_owned(),
        Some(user) => {
            let mut text = format!("{} ({})", user.id, if user.bot { "bot" } else { "user" });
            if let Some(name) = &user.username {
                let _ = write!(text, " @{name}");
            }
            text
        }
    }
}

/// The update state's counters and how many channels have their own pts.
fn update_state(session: &Session) -> String {
    match &session.update_state {
        None => "none".to_owned(),
        Some(state) => format!(
            "pts {}, qts {}, date {}, seq {}, {} channel(s) with their own pts",
            state.pts,
            state.qts,
            state.date,
            state.seq,
            state.channels.len()
        ),
    }
}

/// The number of cached peers, and how many of each kind.
fn peers(session: &Session) -> String {
    let kinds: Vec<String> = peer_kinds(session)
        .into_iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect();
    if kinds.is_empty() {
        "0".to_owned()
    } else {
        format!("{} ({})", session.peers.len(), kinds.join(", "))
    }
}

/// How the client presents itself.
fn device(session: &Session) -> String {
    match &session.device {
        None => "unknown".to_owned(),
        Some(device) => format!(
            "model {:?}, system {:?}, app {:?}, language {:?}/{:?}, pack {:?}",
            device.device_model,
            device.system_version,
            device.app_version,
            device.system_lang_code,
            device.lang_code,
            device.lang_pack
        ),
    }
}

/// A value, or `unknown`.
fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |value| value.to_string())
}

/// `yes` or `no`.
fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}
