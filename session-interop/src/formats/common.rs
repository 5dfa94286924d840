//! Checks and conversions several formats share: DC ids, keys, basic groups' access hashes, the one-DC
//! writers' home DC and address, and what a writer reports it cannot keep. (Addresses are [`super::addr`]'s.)

use std::net::SocketAddr;

use session_core::{AuthKey, DcEntry, PeerClass, PeerId, Session};

use super::addr;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::Dropped;

/// The largest DC id a reader accepts. Production DCs are 1..=5, test DCs are reached as 10000 + id;
/// anything beyond this is not a DC id but garbage.
pub(crate) const MAX_DC_ID: i64 = 10_100;

/// Checks that `id` is a plausible DC id (1..=[`MAX_DC_ID`]) and returns it as the model's `i32`.
pub(crate) fn dc_id(format: Format, id: i64) -> Result<i32, InteropError> {
    if (1..=MAX_DC_ID).contains(&id) {
        Ok(id as i32)
    } else {
        Err(InteropError::malformed(
            format,
            format!("DC id {id} is not a Telegram DC (1 to {MAX_DC_ID})"),
        ))
    }
}

/// An auth key from a 256-byte field; all zeros means "no key" (`None`), any other length is malformed.
pub(crate) fn auth_key(format: Format, bytes: &[u8]) -> Result<Option<AuthKey>, InteropError> {
    if bytes.iter().all(|&b| b == 0) && bytes.len() == AuthKey::LEN {
        return Ok(None);
    }
    AuthKey::from_slice(bytes).map(Some).ok_or_else(|| {
        InteropError::malformed(
            format,
            format!(
                "an auth key of {} bytes (must be {})",
                bytes.len(),
                AuthKey::LEN
            ),
        )
    })
}

/// A DC id as the one byte (1 to 255) the Telethon and GramJS strings store; [`InteropError::Unwritable`]
/// for any other id.
pub(crate) fn dc_byte(format: Format, id: i32) -> Result<u8, InteropError> {
    u8::try_from(id)
        .ok()
        .filter(|&id| id != 0)
        .ok_or_else(|| InteropError::Unwritable {
            format,
            reason: format!(
                "DC id {id} does not fit the one byte (1 to 255) a {} stores",
                format.description()
            ),
        })
}

/// The access hash a reader keeps for peer `id`: `hash` for users and channels; none for a basic group, which
/// has no access hash (formats store NULL or 0), and [`InteropError::Malformed`] for a basic group with one.
pub(crate) fn access_hash(
    format: Format,
    id: PeerId,
    hash: Option<i64>,
) -> Result<Option<i64>, InteropError> {
    match (id.class(), hash) {
        (PeerClass::Chat, None | Some(0)) => Ok(None),
        (PeerClass::Chat, Some(_)) => Err(InteropError::malformed(
            format,
            format!(
                "basic group {} has an access hash (basic groups have none)",
                id.marked().unwrap_or(id.bare())
            ),
        )),
        (_, hash) => Ok(hash),
    }
}

/// A session on `dc` alone: its home DC and only entry. The one-DC formats' readers start from it.
pub(crate) fn home_session(dc: DcEntry) -> Session {
    Session {
        home_dc: Some(dc.id),
        dcs: vec![dc],
        ..Session::default()
    }
}

/// The session's home DC entry (its first entry with the home DC's id).
///
/// Fails with [`InteropError::MissingField`] when the session has no home DC or no entry for it.
pub(crate) fn home_entry(format: Format, session: &Session) -> Result<&DcEntry, InteropError> {
    let missing = |field| InteropError::MissingField {
        format,
        field,
        hint: None,
    };
    let home = session.home_dc.ok_or_else(|| missing("home DC"))?;
    session
        .dcs
        .iter()
        .find(|dc| dc.id == home)
        .ok_or_else(|| missing("entry for its home DC"))
}

/// The one DC a single-DC format (Telethon, Pyrogram, GramJS) writes: the [home entry](home_entry), plus a
/// [`Dropped`] for every other DC entry that holds something (a key or an address).
///
/// Fails with [`InteropError::MissingField`] when the session has no home DC or no entry for it.
pub(crate) fn home_dc(
    format: Format,
    session: &Session,
) -> Result<(&DcEntry, Vec<Dropped>), InteropError> {
    let entry = home_entry(format, session)?;
    let why = format!("{} keeps one DC", format.description());
    let mut dropped = Vec::new();
    for dc in session.dcs.iter().filter(|dc| !std::ptr::eq(*dc, entry)) {
        if dc.auth_key.is_some() {
            dropped.push(Dropped::new(
                format!("auth key of DC {}", dc.id),
                why.clone(),
            ));
        }
        if dc.ipv4.is_some() || dc.ipv6.is_some() {
            dropped.push(Dropped::new(
                format!("address of DC {}", dc.id),
                why.clone(),
            ));
        }
    }
    Ok((entry, dropped))
}

/// The address a single-address format writes for its home DC `dc` (the one [`one_addr`] picks), checked
/// with [`addr::check_write`].
///
/// Fails with [`InteropError::MissingField`] when there is none to write.
pub(crate) fn home_addr(
    format: Format,
    dc: &DcEntry,
    ipv6_ok: bool,
    dropped: &mut Vec<Dropped>,
) -> Result<SocketAddr, InteropError> {
    let addr = one_addr(format, dc, ipv6_ok, dropped).ok_or(InteropError::MissingField {
        format,
        field: "address for its home DC",
        hint: None,
    })?;
    addr::check_write(format, dc.id, addr)
}

/// The address a single-address format writes for `dc`: IPv4 when it has one (then a set IPv6 is reported
/// dropped), else IPv6 when `ipv6_ok`, else `None`.
pub(crate) fn one_addr(
    format: Format,
    dc: &DcEntry,
    ipv6_ok: bool,
    dropped: &mut Vec<Dropped>,
) -> Option<SocketAddr> {
    let why = |what: &str| format!("{} keeps one {what}", format.description());
    match (dc.ipv4, dc.ipv6) {
        (Some(v4), Some(_)) => {
            dropped.push(Dropped::new(
                format!("IPv6 address of DC {}", dc.id),
                why("address"),
            ));
            Some(SocketAddr::V4(v4))
        }
        (Some(v4), None) => Some(SocketAddr::V4(v4)),
        (None, Some(v6)) if ipv6_ok => Some(SocketAddr::V6(v6)),
        (None, Some(_)) => {
            dropped.push(Dropped::new(
                format!("IPv6 address of DC {}", dc.id),
                format!("{} cannot hold IPv6 addresses", format.description()),
            ));
            None
        }
        (None, None) => None,
    }
}

/// The auth key of `dc` (the home DC's entry) for a string format, which must hold one:
/// [`InteropError::MissingField`] when there is none.
pub(crate) fn home_key(format: Format, dc: &DcEntry) -> Result<&AuthKey, InteropError> {
    dc.auth_key.as_ref().ok_or(InteropError::MissingField {
        format,
        field: "auth key for its home DC",
        hint: Some("a session without one is not logged in and cannot be used: log in first"),
    })
}

/// Which of a [`Session`]'s fields besides the DCs' addresses and keys a format can hold; the rest is
/// reported by [`unkept`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Keeps {
    /// The logged-in user (id and bot flag).
    pub(crate) user: bool,
    /// The logged-in user's DC.
    pub(crate) user_dc: bool,
    /// The logged-in user's username.
    pub(crate) user_username: bool,
    /// The account's update state.
    pub(crate) update_state: bool,
    /// Per-channel update state.
    pub(crate) channel_states: bool,
    /// The peer cache.
    pub(crate) peers: bool,
    /// The api id.
    pub(crate) api_id: bool,
    /// The test-mode flag.
    pub(crate) test_mode: bool,
    /// The takeout id.
    pub(crate) takeout_id: bool,
    /// Temporary auth keys.
    pub(crate) temp_keys: bool,
    /// Server salts.
    pub(crate) salts: bool,
    /// Clock offsets.
    pub(crate) time_offsets: bool,
    /// DC flags (media-only, CDN, ...).
    pub(crate) dc_flags: bool,
    /// The message contexts of users seen only as min users.
    pub(crate) min_contexts: bool,
    /// The logout token (`future_auth_token`).
    pub(crate) logout_token: bool,
}

impl Keeps {
    /// What the formats that keep an account's state hold (Telethon's file, grammers): the logged-in user,
    /// the update state with its channels, and the peer cache.
    pub(crate) fn account() -> Keeps {
        Keeps {
            user: true,
            update_state: true,
            channel_states: true,
            peers: true,
            ..Keeps::default()
        }
    }
}

/// A [`Dropped`] for every field of `session` that is set and that `format` cannot hold (by `keeps`); the
/// logout token is named, never shown. DC addresses and keys are the caller's business ([`home_dc`], [`one_addr`]); the device info, creation and
/// update times and unknown sections are never kept by other libraries' formats.
pub(crate) fn unkept(format: Format, session: &Session, keeps: Keeps) -> Vec<Dropped> {
    let why = format!("{} has no place for it", format.description());
    let mut dropped = Vec::new();
    let mut drop_if = |lost: bool, what: String| {
        if lost {
            dropped.push(Dropped::new(what, why.clone()));
        }
    };
    drop_if(
        !keeps.user && session.user.is_some(),
        "logged-in user".to_owned(),
    );
    if let Some(user) = &session.user {
        drop_if(
            !keeps.user_username && user.username.is_some(),
            "logged-in user's username".to_owned(),
        );
        if let Some(dc) = user.dc {
            drop_if(!keeps.user_dc, format!("logged-in user's DC ({dc})"));
        }
    }
    drop_if(
        !keeps.update_state && session.update_state.is_some(),
        "update state".to_owned(),
    );
    if let Some(state) = &session.update_state {
        let channels = state.channels.len();
        drop_if(
            (!keeps.update_state || !keeps.channel_states) && channels > 0,
            format!("update state of {channels} channels"),
        );
    }
    let peers = session.peers.len();
    drop_if(!keeps.peers && peers > 0, format!("{peers} cached peers"));
    let contexts = session.min_contexts.len();
    drop_if(
        !keeps.min_contexts && contexts > 0,
        format!("{contexts} min-peer contexts (users seen only as min users)"),
    );
    // Named only: the token is a secret.
    drop_if(
        !keeps.logout_token && session.logout_token.is_some(),
        "logout token".to_owned(),
    );
    drop_if(
        !keeps.api_id && session.api_id.is_some(),
        "api id".to_owned(),
    );
    drop_if(
        !keeps.test_mode && session.test_mode,
        "test-mode flag".to_owned(),
    );
    drop_if(
        !keeps.takeout_id && session.takeout_id.is_some(),
        "takeout id".to_owned(),
    );
    for dc in &session.dcs {
        let id = dc.id;
        drop_if(
            !keeps.temp_keys && dc.temp_auth_key.is_some(),
            format!("temporary auth key of DC {id}"),
        );
        drop_if(
            !keeps.salts && dc.server_salt != 0,
            format!("server salt of DC {id}"),
        );
        drop_if(
            !keeps.time_offsets && dc.time_offset != 0,
            format!("clock offset of DC {id}"),
        );
        drop_if(
            !keeps.dc_flags && dc.flags != Default::default(),
            format!("flags of DC {id}"),
        );
    }
    drop_if(session.device.is_some(), "device info".to_owned());
    drop_if(session.created_at.is_some(), "creation time".to_owned());
    drop_if(session.updated_at.is_some(), "update time".to_owned());
    drop_if(
        !session.unknown_sections.is_empty(),
        "sections of a newer tgsession format".to_owned(),
    );
    dropped
}

#[cfg(test)]
mod tests {
    use session_core::{LogoutToken, MinContext, User};

    use super::*;

    #[test]
    fn the_user_s_dc_is_reported_unless_kept() {
        let mut session = Session::new();
        session.user = Some(User {
            id: 7,
            bot: false,
            username: None,
            dc: Some(4),
        });
        let format = Format::GrammersSqlite;
        let keeps_user = Keeps {
            user: true,
            ..Keeps::default()
        };
        let dropped = unkept(format, &session, keeps_user);
        assert_eq!(dropped.len(), 1, "{dropped:?}");
        assert_eq!(dropped[0].what, "logged-in user's DC (4)");
        let keeps_dc = Keeps {
            user_dc: true,
            ..keeps_user
        };
        assert!(unkept(format, &session, keeps_dc).is_empty());
        // Without the user, its DC goes too, and both are said.
        assert_eq!(unkept(format, &session, Keeps::default()).len(), 2);
        session.user = session.user.map(|user| User { dc: None, ..user });
        assert!(unkept(format, &session, keeps_user).is_empty());
    }

    #[test]
    fn min_contexts_and_the_logout_token_are_reported_unless_kept_and_the_token_never_shown() {
        let mut session = Session::new();
        session.min_contexts.insert(
            5,
            MinContext {
                chat_id: 9,
                msg_id: 1,
            },
        );
        session.logout_token = LogoutToken::new(b"SECRET-TOKEN".to_vec());
        let format = Format::TelethonString;
        let dropped = unkept(format, &session, Keeps::default());
        let whats: Vec<&str> = dropped.iter().map(|d| d.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "1 min-peer contexts (users seen only as min users)",
                "logout token"
            ]
        );
        assert!(!format!("{dropped:?}").contains("SECRET"));
        let keeps = Keeps {
            min_contexts: true,
            logout_token: true,
            ..Keeps::default()
        };
        assert!(unkept(format, &session, keeps).is_empty());
    }

    #[test]
    fn basic_groups_have_no_access_hash() {
        let format = Format::PyrogramSqlite;
        for hash in [None, Some(0)] {
            assert_eq!(access_hash(format, PeerId::Chat(4242), hash).unwrap(), None);
        }
        let err = access_hash(format, PeerId::Chat(4242), Some(5)).unwrap_err();
        assert!(err.to_string().contains("basic group -4242"), "{err}");
        for id in [PeerId::User(1), PeerId::Channel(1)] {
            assert_eq!(access_hash(format, id, Some(0)).unwrap(), Some(0));
            assert_eq!(access_hash(format, id, None).unwrap(), None);
        }
    }

    #[test]
    fn one_byte_dc_ids_and_checked_home_addresses() {
        assert_eq!(dc_byte(Format::TelethonString, 255).unwrap(), 255);
        for id in [0, 256, -1] {
            assert!(matches!(
                dc_byte(Format::TelethonString, id),
                Err(InteropError::Unwritable { .. })
            ));
        }
        let mut dc = DcEntry::new(2);
        let mut dropped = Vec::new();
        assert!(matches!(
            home_addr(Format::TelethonString, &dc, true, &mut dropped),
            Err(InteropError::MissingField { .. })
        ));
        dc.ipv4 = Some("0.0.0.0:443".parse().unwrap());
        assert!(matches!(
            home_addr(Format::TelethonString, &dc, true, &mut dropped),
            Err(InteropError::Unwritable { .. })
        ));
        dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
        dc.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
        let addr = home_addr(Format::TelethonString, &dc, true, &mut dropped).unwrap();
        assert_eq!(addr, SocketAddr::V4(dc.ipv4.unwrap()));
        assert_eq!(dropped.len(), 1, "the IPv6 address: {dropped:?}");
    }
}
