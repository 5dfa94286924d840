//! The peer cache.

use serde::{Deserialize, Serialize};

/// What a peer id refers to: the three id spaces of Telegram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerClass {
    /// Users and bots.
    User,
    /// Basic (legacy) groups.
    Chat,
    /// Channels, supergroups and gigagroups.
    Channel,
}

/// A peer's id: its class and its bare id. Ordered by class, then id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerId {
    /// A user or bot.
    User(i64),
    /// A basic group.
    Chat(i64),
    /// A channel, supergroup or gigagroup.
    Channel(i64),
}

impl PeerId {
    /// The class of the id.
    pub fn class(self) -> PeerClass {
        match self {
            PeerId::User(_) => PeerClass::User,
            PeerId::Chat(_) => PeerClass::Chat,
            PeerId::Channel(_) => PeerClass::Channel,
        }
    }

    /// The bare id, without class.
    pub fn bare(self) -> i64 {
        match self {
            PeerId::User(id) | PeerId::Chat(id) | PeerId::Channel(id) => id,
        }
    }

    /// A peer id of `class` with bare id `id`.
    pub fn new(class: PeerClass, id: i64) -> PeerId {
        match class {
            PeerClass::User => PeerId::User(id),
            PeerClass::Chat => PeerId::Chat(id),
            PeerClass::Channel => PeerId::Channel(id),
        }
    }

    /// The Bot API "marked" id: user `id`, basic group `-id`, channel `-(1000000000000 + id)`.
    /// `None` when the bare id is outside the range the marked form can express.
    pub fn marked(self) -> Option<i64> {
        match self {
            PeerId::User(id) if id > 0 => Some(id),
            PeerId::Chat(id) if id > 0 && id < Self::CHANNEL_MARK => Some(-id),
            PeerId::Channel(id) if id > 0 => id.checked_add(Self::CHANNEL_MARK).map(|m| -m),
            _ => None,
        }
    }

    /// Parses a Bot API "marked" id; `None` for 0.
    ///
    /// ```
    /// use session_core::PeerId;
    /// assert_eq!(PeerId::from_marked(-1001234567890), Some(PeerId::Channel(1234567890)));
    /// assert_eq!(PeerId::from_marked(-4242), Some(PeerId::Chat(4242)));
    /// assert_eq!(PeerId::Channel(1234567890).marked(), Some(-1001234567890));
    /// ```
    pub fn from_marked(marked: i64) -> Option<PeerId> {
        match marked {
            0 | i64::MIN => None,
            m if m > 0 => Some(PeerId::User(m)),
            m if m > -Self::CHANNEL_MARK => Some(PeerId::Chat(-m)),
            m if m < -Self::CHANNEL_MARK => Some(PeerId::Channel(-m - Self::CHANNEL_MARK)),
            _ => None,
        }
    }

    const CHANNEL_MARK: i64 = 1_000_000_000_000;
}

/// What kind of peer an entry is; the kind implies the [`PeerClass`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerKind {
    /// A user account.
    #[default]
    User,
    /// A bot account.
    Bot,
    /// A basic group.
    Chat,
    /// A channel whose subtype is unknown.
    Channel,
    /// A broadcast channel.
    Broadcast,
    /// A supergroup.
    Megagroup,
    /// A gigagroup (broadcast group).
    Gigagroup,
}

impl PeerKind {
    /// Every kind, users first, then basic groups, then the channel kinds.
    pub const ALL: [PeerKind; 7] = [
        PeerKind::User,
        PeerKind::Bot,
        PeerKind::Chat,
        PeerKind::Channel,
        PeerKind::Broadcast,
        PeerKind::Megagroup,
        PeerKind::Gigagroup,
    ];

    /// The kind's lowercase name, as serde writes it (`user`, `bot`, `chat`, `channel`, `broadcast`,
    /// `megagroup`, `gigagroup`).
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::User => "user",
            PeerKind::Bot => "bot",
            PeerKind::Chat => "chat",
            PeerKind::Channel => "channel",
            PeerKind::Broadcast => "broadcast",
            PeerKind::Megagroup => "megagroup",
            PeerKind::Gigagroup => "gigagroup",
        }
    }

    /// The id space peers of this kind live in.
    pub fn class(self) -> PeerClass {
        match self {
            PeerKind::User | PeerKind::Bot => PeerClass::User,
            PeerKind::Chat => PeerClass::Chat,
            PeerKind::Channel | PeerKind::Broadcast | PeerKind::Megagroup | PeerKind::Gigagroup => {
                PeerClass::Channel
            }
        }
    }
}

use compact_str::CompactString;

/// A cached peer: what a client needs to address it again without resolving it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Peer {
    /// The kind of peer; its class must match the class of the [`PeerId`] it is stored under.
    pub kind: PeerKind,
    /// The access hash (basic groups have none).
    pub access_hash: Option<i64>,
    /// The username, without `@`. A [`CompactString`] (usernames up to 24 bytes are kept inline), so that
    /// decoding a cache of 100,000 peers does not allocate once per name; it derefs to `str`, and
    /// `"name".into()` or `String::into()` make one.
    pub username: Option<CompactString>,
    /// The phone number, digits only (inline like the username).
    pub phone: Option<CompactString>,
    /// Whether the access hash is a "min" one, only valid together with the message it was seen in.
    pub min: bool,
}

/// Serde for the peer map as a list of `{ "id": ..., "kind": ..., ... }`, since JSON keys must be strings.
pub(super) mod as_list {
    use litemap::LiteMap;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::super::{ChunkedStore, PeerMap};
    use super::{Peer, PeerId};

    #[derive(Serialize)]
    struct EntryRef<'a> {
        id: &'a PeerId,
        #[serde(flatten)]
        peer: &'a Peer,
    }

    #[derive(Deserialize)]
    struct Entry {
        id: PeerId,
        #[serde(flatten)]
        peer: Peer,
    }

    pub(crate) fn serialize<S: Serializer>(
        peers: &PeerMap,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(peers.len()))?;
        for (id, peer) in peers.iter() {
            seq.serialize_element(&EntryRef { id, peer })?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<PeerMap, D::Error> {
        let mut entries: Vec<(PeerId, Peer)> = Vec::<Entry>::deserialize(deserializer)?
            .into_iter()
            .map(|Entry { id, peer }| (id, peer))
            .collect();
        entries.sort_by_key(|(id, _)| *id);
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(serde::de::Error::custom(format!(
                "peer {:?} is listed twice",
                pair[0].0
            )));
        }
        Ok(LiteMap::from_sorted_store_unchecked(ChunkedStore::from(
            entries,
        )))
    }
}
