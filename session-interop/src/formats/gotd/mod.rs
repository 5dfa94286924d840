//! gotd/td JSON sessions, version 1 (read and write).
//!
//! gotd's file storage keeps `{"Version": 1, "Data": {...}}` where `Data` is gotd's `session.Data`: a copy
//! of the `help.getConfig` answer (`Config`, whose `DCOptions` list every DC address Telegram offered), the
//! DC the session is on (`DC`) and the address it dialed (`Addr`, `ip:port` or `[ipv6]:port`), the auth key
//! (`AuthKey`, standard base64 of 256 bytes) with its id (`AuthKeyID`, standard base64 of SHA-1 bytes 12..20
//! of the key, in order) and the server salt (`Salt`).
//!
//! **Reading** is strict where the shape identifies the format: the outer object and `Data` must have exactly
//! gotd's fields, `Version` must be 1 (any other is [`InteropError::Unsupported`], where gotd would report
//! "no session"), the key must be 256 bytes, not all zeros, and `AuthKeyID` must be its id; `DC` and every
//! option's `ID` must be plausible DC ids (1 to [`MAX_DC_ID`](super::common::MAX_DC_ID)), addresses must
//! parse as the family each option's `Ipv6` flag names and be addresses a client can connect to (not
//! unspecified, in `0.0.0.0/8`, broadcast or multicast; `Addr` too), ports must not be 0. `Config` is read
//! the way Go reads it (a missing field is zero) and fields it does not know are reported dropped, not
//! refused.
//! The options become DC entries (paired IPv4 + IPv6 per DC and kind, with the media-only, TCPO-only, CDN,
//! static and this-port-only flags; see [`options`]); the entry of `Addr` comes first and holds the key and
//! the salt (an `Addr` the options lack gets an entry of its own). `Config.TestMode` gives test mode.
//! Dropped: `Config` fields a session has no place for when they are set (`Date`, `Expires`, `ThisDC` when
//! it is not `DC`, `WebfileDCID`, `DCTxtDomainName`, `TmpSessions`, `BlockedMode`, `ForceTryIpv6`), the
//! options' obfuscation secrets, and unknown fields.
//!
//! **Writing** gives the same shape, compact as Go's `json.Marshal` writes it: the home DC's first entry
//! must have a key ([`InteropError::MissingField`] otherwise) and an address (IPv4 when it has one, else
//! IPv6) for `Addr`; every entry's addresses become `DCOptions` with their flags (`Flags` computed from the
//! booleans, as gotd does when it encodes an option); `Salt` is the home DC's salt, `Config.TestMode` the
//! test-mode flag and `Config.ThisDC` the home DC. The other config fields are zero: gotd fetches a fresh
//! config when it connects, so nothing there needs to survive. Reported dropped: other DCs' keys and salts,
//! entries without an address, clock offsets, temporary keys, the user, peers, update state, min contexts, the
//! logout token (named only), api id, takeout id, device info.

mod json;
mod object;
mod options;

use std::net::SocketAddr;

use session_core::{AuthKey, DcEntry, Session};

use self::json::{Config, Data, File, SecretText};
use self::options::Endpoint;
use super::addr;
use super::common::{self, Keeps};
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Dropped, Exported, Imported};

const FORMAT: Format = Format::GotdJson;

/// Reads a gotd session file.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let File { data, .. } = json::parse(bytes)?;
    let home_id = common::dc_id(FORMAT, data.dc)?;
    let home_addr = addr::socket_addr(FORMAT, &data.addr)?;
    let key = auth_key(&data)?;
    let checked = options::check(data.config.dc_options.as_deref().unwrap_or_default())?;
    let mut endpoints = checked.endpoints;
    // The dialed address comes first, so its entry is the home DC's first one.
    let dialed = endpoints
        .iter()
        .position(|endpoint| endpoint.id == home_id && endpoint.addr == home_addr);
    let home = match dialed {
        Some(index) => endpoints.remove(index),
        None => Endpoint {
            id: home_id,
            addr: home_addr,
            flags: Default::default(),
        },
    };
    endpoints.insert(0, home);
    let mut dcs = options::entries(&endpoints);
    let entry = dcs
        .first_mut()
        .ok_or_else(|| InteropError::malformed(FORMAT, "no DC entries"))?;
    entry.auth_key = Some(key);
    entry.server_salt = data.salt;
    let mut session = Session::new();
    session.home_dc = Some(home_id);
    session.dcs = dcs;
    session.test_mode = data.config.test_mode;
    let mut dropped = config_dropped(&data.config, home_id);
    let why = "a Session has no place for them";
    if checked.secrets > 0 {
        dropped.push(Dropped::new(
            format!("obfuscation secrets of {} DC options", checked.secrets),
            why,
        ));
    }
    if checked.unknown_fields > 0 {
        dropped.push(Dropped::new(
            format!(
                "fields this crate does not know in {} DC options",
                checked.unknown_fields
            ),
            why,
        ));
    }
    Ok(Imported { session, dropped })
}

/// The auth key, checked against its stored id.
fn auth_key(data: &Data) -> Result<AuthKey, InteropError> {
    let text = data
        .auth_key
        .as_ref()
        .ok_or_else(|| InteropError::malformed(FORMAT, "AuthKey is null"))?;
    let bytes = Base64::StdPadded
        .decode(text.0.as_bytes(), AuthKey::LEN)
        .map_err(|reason| InteropError::malformed(FORMAT, format!("AuthKey has {reason}")))?;
    let key = common::auth_key(FORMAT, &bytes)?
        .ok_or_else(|| InteropError::malformed(FORMAT, "an all-zero auth key"))?;
    let id = data
        .auth_key_id
        .as_deref()
        .ok_or_else(|| InteropError::malformed(FORMAT, "AuthKeyID is null"))?;
    let id = Base64::StdPadded
        .decode(id.as_bytes(), 8)
        .map_err(|reason| InteropError::malformed(FORMAT, format!("AuthKeyID has {reason}")))?;
    if id[..] != key.id().0 {
        return Err(InteropError::malformed(
            FORMAT,
            "AuthKeyID is not the id of AuthKey",
        ));
    }
    Ok(key)
}

/// The set `Config` fields a session has no place for.
fn config_dropped(config: &Config, home_id: i32) -> Vec<Dropped> {
    let set = [
        ("BlockedMode", config.blocked_mode),
        ("ForceTryIpv6", config.force_try_ipv6),
        ("Date", config.date != 0),
        ("Expires", config.expires != 0),
        (
            "ThisDC",
            config.this_dc != 0 && config.this_dc != i64::from(home_id),
        ),
        ("DCTxtDomainName", !config.dc_txt_domain_name.is_empty()),
        ("TmpSessions", config.tmp_sessions != 0),
        ("WebfileDCID", config.webfile_dc_id != 0),
    ];
    let names: Vec<&str> = set
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    let why = "a Session has no place for them";
    let mut dropped = Vec::new();
    if !names.is_empty() {
        dropped.push(Dropped::new(
            format!("gotd config fields {}", names.join(", ")),
            why,
        ));
    }
    if config.unknown > 0 {
        dropped.push(Dropped::new(
            format!(
                "{} gotd config fields this crate does not know",
                config.unknown
            ),
            why,
        ));
    }
    dropped
}

/// Writes a gotd session file (version 1).
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let missing = |field| InteropError::MissingField {
        format: FORMAT,
        field,
        hint: None,
    };
    let home = common::home_entry(FORMAT, session)?;
    let home_id = home.id;
    let key = home
        .auth_key
        .as_ref()
        .ok_or_else(|| missing("auth key for its home DC"))?;
    let addr = home
        .ipv4
        .map(SocketAddr::V4)
        .or(home.ipv6.map(SocketAddr::V6))
        .ok_or_else(|| missing("address of its home DC"))?;
    let (dc_options, mut dropped) = options::options(&session.dcs)?;
    dropped.extend(other_dcs_dropped(session, home));
    let keeps = Keeps {
        test_mode: true,
        salts: true,
        dc_flags: true,
        ..Keeps::default()
    };
    dropped.extend(common::unkept(FORMAT, session, keeps));
    let file = File {
        version: json::VERSION,
        data: Data {
            config: Config {
                test_mode: session.test_mode,
                this_dc: i64::from(home_id),
                dc_options: Some(dc_options),
                ..Config::default()
            },
            dc: i64::from(home_id),
            addr: addr.to_string(),
            auth_key: Some(SecretText(Base64::StdPadded.encode(key.as_bytes()))),
            auth_key_id: Some(Base64::StdPadded.encode(&key.id().0).as_str().to_owned()),
            salt: home.server_salt,
        },
    };
    Ok(Exported {
        bytes: json::to_bytes(&file)?,
        dropped,
    })
}

/// The keys and salts of entries other than `home`: gotd keeps one DC's.
fn other_dcs_dropped(session: &Session, home: &DcEntry) -> Vec<Dropped> {
    let why = "gotd keeps the key and salt of one DC";
    let mut dropped = Vec::new();
    for dc in session.dcs.iter().filter(|dc| !std::ptr::eq(*dc, home)) {
        if dc.auth_key.is_some() {
            dropped.push(Dropped::new(format!("auth key of DC {}", dc.id), why));
        }
        if dc.server_salt != 0 {
            dropped.push(Dropped::new(format!("server salt of DC {}", dc.id), why));
        }
    }
    dropped
}
