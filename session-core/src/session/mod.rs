//! The `Session` model: everything a Telegram client keeps between runs.

mod chunked;
mod dc;
mod login;
mod peer;

use std::collections::BTreeMap;

use litemap::LiteMap;
use serde::{Deserialize, Serialize};

pub use self::chunked::{ChunkedStore, Entries};
pub use self::dc::{DcEntry, DcFlags, TempAuthKey};
pub use self::login::{LogoutToken, MinContext};
pub use self::peer::{Peer, PeerClass, PeerId, PeerKind};
use crate::auth_key::AuthKey;
pub use crate::codec::UnknownSections;

/// The peer cache of a [`Session`]: a sorted map from [`PeerId`] to [`Peer`], a [`LiteMap`] over a
/// [`ChunkedStore`].
///
/// ```
/// use session_core::{ChunkedStore, LiteMap, Peer, PeerId, PeerMap};
///
/// let mut peers: PeerMap = [(PeerId::User(2), Peer::default())].into_iter().collect();
/// peers.insert(PeerId::User(1), Peer::default());
/// assert_eq!(peers.keys().collect::<Vec<_>>(), [&PeerId::User(1), &PeerId::User(2)]);
///
/// // From a vector already sorted by id, without repeats:
/// let sorted = vec![(PeerId::User(1), Peer::default())];
/// let peers: PeerMap = LiteMap::from_sorted_store_unchecked(ChunkedStore::from(sorted));
/// assert_eq!(peers.len(), 1);
/// ```
pub type PeerMap = LiteMap<PeerId, Peer, ChunkedStore<PeerId, Peer>>;

/// One Telegram login: the superset of what MTProto clients keep between runs.
///
/// Every field is public and optional, so a session can be built from whatever a client (or another
/// library's file) knows. [`Session::encode`] and [`Session::decode`] turn it into the compact, checksummed
/// format described in `docs/FORMAT.md`; with serde it exports to JSON for inspection.
///
/// `Debug` never shows key bytes: auth keys print as their key id, a logout token as its length.
///
/// ```
/// use session_core::{AuthKey, DcEntry, Session};
///
/// let mut session = Session::default();
/// session.home_dc = Some(2);
/// let mut dc = DcEntry::new(2);
/// dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
/// dc.auth_key = Some(AuthKey::new([7; 256]));
/// session.dcs.push(dc);
///
/// let bytes = session.encode().unwrap();
/// assert_eq!(Session::decode(&bytes).unwrap(), session);
/// assert!(!format!("{session:?}").contains("7, 7, 7"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    /// The DC the account lives in (where the client connects first).
    pub home_dc: Option<i32>,
    /// Known data-center endpoints with their keys, salts and clock offsets, in the order the client keeps
    /// them. A DC id may appear more than once (IPv4 and media-only endpoints, for example).
    pub dcs: Vec<DcEntry>,
    /// Whether the session belongs to Telegram's test servers.
    pub test_mode: bool,
    /// The logged-in account, once known.
    pub user: Option<User>,
    /// Where the client stopped reading updates.
    pub update_state: Option<UpdateState>,
    /// Cached peers (users, groups, channels) with the access hashes needed to address them, sorted by id.
    ///
    /// A [`PeerMap`]: a [`LiteMap`] kept in sorted chunks of a few hundred entries ([`ChunkedStore`]).
    /// Lookups are binary searches, iteration walks the chunks in order, and inserting or removing a peer
    /// moves the entries of one chunk only, so a batch of new peers costs the same at the start of a cache
    /// of 100,000 as at its end. To fill a large cache at once, collect it from an iterator (which sorts
    /// once).
    #[serde(with = "self::peer::as_list")]
    pub peers: PeerMap,
    /// How the client presents itself to Telegram, so it can present itself the same way every time.
    pub device: Option<DeviceInfo>,
    /// The application's api id.
    pub api_id: Option<i32>,
    /// Users seen only as "min" users, by user id: the message through which each can be addressed.
    pub min_contexts: BTreeMap<i64, MinContext>,
    /// The token of the last logout on this device, which lets the next login skip the code.
    pub logout_token: Option<LogoutToken>,
    /// The id of an open takeout (data export) session.
    pub takeout_id: Option<i64>,
    /// When the session was created, in Unix seconds.
    pub created_at: Option<i64>,
    /// When the session was last changed, in Unix seconds (set by the client; the codec does not touch it).
    pub updated_at: Option<i64>,
    /// Sections written by a newer version of this format that this version does not know; kept so that
    /// decoding and re-encoding a session never loses them.
    pub unknown_sections: UnknownSections,
}

impl Session {
    /// An empty session.
    pub fn new() -> Session {
        Session::default()
    }

    /// The first DC entry with id `dc_id` that has a permanent auth key.
    pub fn auth_key(&self, dc_id: i32) -> Option<&AuthKey> {
        self.dcs
            .iter()
            .filter(|dc| dc.id == dc_id)
            .find_map(|dc| dc.auth_key.as_ref())
    }

    /// The permanent auth key of the home DC, if any.
    pub fn home_auth_key(&self) -> Option<&AuthKey> {
        self.auth_key(self.home_dc?)
    }
}

/// The logged-in account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// The user id.
    pub id: i64,
    /// Whether the account is a bot.
    pub bot: bool,
    /// The account's username, without `@`.
    pub username: Option<String>,
    /// The DC the account lives in, when known.
    pub dc: Option<i32>,
}

/// The update state: where the client stopped reading updates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateState {
    /// The common message box's pts.
    pub pts: i32,
    /// The secret-chat qts.
    pub qts: i32,
    /// The date of the last update, in Unix seconds.
    pub date: i32,
    /// The sequence number.
    pub seq: i32,
    /// The pts of each channel, by bare channel id.
    pub channels: BTreeMap<i64, i32>,
}

/// How the client presents itself in `initConnection`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceInfo {
    /// Device model, such as `"Desktop"`.
    pub device_model: String,
    /// Operating system version, such as `"Linux 6.1"`.
    pub system_version: String,
    /// Application version, such as `"1.0.0"`.
    pub app_version: String,
    /// The system language code, such as `"en"`.
    pub system_lang_code: String,
    /// The language pack name (often empty).
    pub lang_pack: String,
    /// The language code, such as `"en"`.
    pub lang_code: String,
}
