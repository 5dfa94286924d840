//! The `entities` table both ways: rows to peers and the logged-in user, and back.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use session_core::{Peer, PeerId, PeerKind, PeerMap, Session, User};

use super::reader::read_error;
use super::{date, FORMAT};
use crate::error::InteropError;
use crate::formats::common;
use crate::report::Dropped;

/// The id of the row that records the logged-in user's id (in its `hash` column).
const SELF_ROW_ID: i64 = 0;

/// What the `entities` table gives a session.
#[derive(Debug)]
pub(super) struct Entities {
    /// The cached peers.
    pub(super) peers: PeerMap,
    /// The logged-in user, from the self row.
    pub(super) user: Option<User>,
    /// What the rows held that a session has no place for.
    pub(super) dropped: Vec<Dropped>,
}

/// Reads every entity row.
pub(super) fn read(db: &Connection) -> Result<Entities, InteropError> {
    let doing = "reading the entities table";
    let mut stmt = db
        .prepare("SELECT id, hash, username, phone, name, date FROM entities")
        .map_err(read_error(doing))?;
    let mut rows = stmt.query([]).map_err(read_error(doing))?;
    let mut peers = Vec::new();
    let mut user = None;
    let (mut names, mut dates, mut self_extras) = (0usize, 0usize, false);
    while let Some(row) = rows.next().map_err(read_error(doing))? {
        let id: i64 = row.get(0).map_err(read_error(doing))?;
        let hash: i64 = row.get(1).map_err(read_error(doing))?;
        let username = username(row.get_ref(2).map_err(read_error(doing))?)?;
        let phone = phone(row.get_ref(3).map_err(read_error(doing))?)?;
        names += usize::from(row.get_ref(4).map_err(read_error(doing))? != ValueRef::Null);
        let date = date::read("an entity date", row.get_ref(5).map_err(read_error(doing))?)?;
        dates += usize::from(date.is_some());
        if id == SELF_ROW_ID {
            if hash <= 0 {
                return Err(malformed("the self row (id 0) does not hold a user id"));
            }
            self_extras = username.is_some() || phone.is_some();
            user = Some(User {
                id: hash,
                bot: false,
                username: None,
                dc: None,
            });
            continue;
        }
        let peer_id = PeerId::from_marked(id)
            .ok_or_else(|| malformed("an entity id that is not a Bot API marked peer id"))?;
        let kind = match peer_id {
            PeerId::User(_) => PeerKind::User,
            PeerId::Chat(_) => PeerKind::Chat,
            PeerId::Channel(_) => PeerKind::Channel,
        };
        let access_hash = common::access_hash(FORMAT, peer_id, Some(hash))?;
        peers.push((
            peer_id,
            Peer {
                kind,
                access_hash,
                username: username.map(Into::into),
                phone: phone.map(Into::into),
                min: false,
            },
        ));
    }
    let why = "tgsession's peer cache keeps ids, hashes, usernames and phone numbers only";
    let mut dropped = Vec::new();
    if names > 0 {
        dropped.push(Dropped::new(format!("names of {names} entities"), why));
    }
    if dates > 0 {
        dropped.push(Dropped::new(format!("dates of {dates} entities"), why));
    }
    if self_extras {
        dropped.push(Dropped::new(
            "username or phone in the logged-in user's row (id 0)",
            "Telethon uses that row for the user id only",
        ));
    }
    Ok(Entities {
        peers: peers.into_iter().collect(),
        user,
        dropped,
    })
}

/// The `username` column: NULL or text (an empty text is no username), lower-cased as Telethon stores
/// and looks up usernames (a file written by hand may hold other cases; they mean the same name).
fn username(value: ValueRef<'_>) -> Result<Option<String>, InteropError> {
    match value {
        ValueRef::Null | ValueRef::Text([]) => Ok(None),
        ValueRef::Text(text) => std::str::from_utf8(text)
            .map(|text| Some(text.to_lowercase()))
            .map_err(|_| malformed("a username that is not UTF-8")),
        _ => Err(malformed("a username that is not text")),
    }
}

/// The `phone` column: NULL or a positive integer (text of digits is accepted too); the digits.
fn phone(value: ValueRef<'_>) -> Result<Option<String>, InteropError> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(number) if number > 0 => Ok(Some(number.to_string())),
        ValueRef::Text(digits) if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Ok(std::str::from_utf8(digits).ok().map(str::to_owned))
        }
        _ => Err(malformed("a phone number that is not a positive integer")),
    }
}

/// One row to write.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// The marked id (0 for the self row).
    pub(super) id: i64,
    /// The access hash (0 for basic groups; the user id in the self row).
    pub(super) hash: i64,
    /// The lower-cased username.
    pub(super) username: Option<String>,
    /// The phone number as Telethon stores it.
    pub(super) phone: Option<i64>,
}

/// The rows for `session`'s peers and user, with what they cannot hold.
pub(super) fn rows(session: &Session) -> (Vec<Row>, Vec<Dropped>) {
    let mut lost = Lost::default();
    let mut rows: Vec<Row> = session
        .peers
        .iter()
        .filter_map(|(id, peer)| row(*id, peer, &mut lost))
        .collect();
    let mut dropped = lost.report();
    if let Some(user) = &session.user {
        self_row(user, &mut rows, &mut dropped);
    }
    (rows, dropped)
}

/// The self row for `user`, and what of `user` it cannot hold (its username and DC are reported by
/// `common::unkept`).
fn self_row(user: &User, rows: &mut Vec<Row>, dropped: &mut Vec<Dropped>) {
    let why = "Telethon's session file records the logged-in user's id only";
    if user.id <= 0 {
        dropped.push(Dropped::new(
            "logged-in user (its id is not a user id)",
            "Telethon records a positive user id",
        ));
        return;
    }
    rows.push(Row {
        id: SELF_ROW_ID,
        hash: user.id,
        username: None,
        phone: None,
    });
    if user.bot {
        dropped.push(Dropped::new("logged-in user's bot flag", why));
    }
}

/// Counts of what the entity rows could not hold, by kind.
#[derive(Debug, Default)]
struct Lost {
    unmarked: usize,
    min: usize,
    no_hash: usize,
    kinds: usize,
    chat_hashes: usize,
    phones: usize,
}

/// The row for one peer, or `None` when Telethon cannot hold it (counted in `lost`).
fn row(id: PeerId, peer: &Peer, lost: &mut Lost) -> Option<Row> {
    let Some(marked) = id.marked() else {
        lost.unmarked += 1;
        return None;
    };
    if peer.min {
        lost.min += 1;
        return None;
    }
    let (telethon_kind, hash) = match id {
        PeerId::User(_) => (PeerKind::User, peer.access_hash),
        PeerId::Channel(_) => (PeerKind::Channel, peer.access_hash),
        PeerId::Chat(_) => {
            lost.chat_hashes += usize::from(peer.access_hash.is_some_and(|hash| hash != 0));
            (PeerKind::Chat, Some(0))
        }
    };
    let Some(hash) = hash else {
        lost.no_hash += 1;
        return None;
    };
    lost.kinds += usize::from(peer.kind != telethon_kind);
    let phone = peer.phone.as_deref().and_then(|digits| {
        let number = phone_number(digits);
        lost.phones += usize::from(number.is_none());
        number
    });
    Some(Row {
        id: marked,
        hash,
        username: peer
            .username
            .as_deref()
            .filter(|name| !name.is_empty())
            .map(str::to_lowercase),
        phone,
    })
}

/// `digits` as the integer Telethon stores, when reading it back gives the same digits.
fn phone_number(digits: &str) -> Option<i64> {
    let canonical = digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    digits
        .parse()
        .ok()
        .filter(|&number: &i64| canonical && number > 0)
}

impl Lost {
    /// One [`Dropped`] per kind of loss that happened (`{n}` in the text is the count).
    fn report(&self) -> Vec<Dropped> {
        let entries = [
            (
                self.unmarked,
                "{n} peers whose id has no Bot API marked form",
                "Telethon stores entities by marked id",
            ),
            (
                self.min,
                "{n} min peers",
                "Telethon keeps no min access hashes",
            ),
            (
                self.no_hash,
                "{n} users and channels without an access hash",
                "Telethon stores an access hash for every user and channel",
            ),
            (
                self.kinds,
                "kinds of {n} peers (bot, broadcast, megagroup or gigagroup)",
                "Telethon records only whether an entity is a user, a basic group or a channel",
            ),
            (
                self.chat_hashes,
                "access hashes of {n} basic groups",
                "Telethon stores hash 0 for basic groups",
            ),
            (
                self.phones,
                "phone numbers of {n} peers (not an integer's digits)",
                "Telethon stores phone numbers as integers",
            ),
        ];
        entries
            .into_iter()
            .filter(|(count, _, _)| *count > 0)
            .map(|(count, what, why)| Dropped::new(what.replace("{n}", &count.to_string()), why))
            .collect()
    }
}

fn malformed(reason: impl Into<String>) -> InteropError {
    InteropError::malformed(FORMAT, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_that_survive_an_integer_column() {
        assert_eq!(phone_number("15550001111"), Some(15_550_001_111));
        for lost in ["", "0123", "+1555", "12a", "99999999999999999999", "0"] {
            assert_eq!(phone_number(lost), None, "{lost}");
        }
    }

    #[test]
    fn peers_telethon_cannot_hold_are_counted() {
        let mut lost = Lost::default();
        let user = Peer {
            kind: PeerKind::Bot,
            access_hash: Some(5),
            username: Some("Bob_Bot".into()),
            phone: Some("0123".into()),
            min: false,
        };
        let row = row(PeerId::User(7), &user, &mut lost).unwrap();
        assert_eq!(row.username.as_deref(), Some("bob_bot"));
        assert_eq!(row.phone, None);
        assert_eq!((lost.kinds, lost.phones), (1, 1));
        let min = Peer {
            min: true,
            ..user.clone()
        };
        assert!(super::row(PeerId::User(8), &min, &mut lost).is_none());
        let no_hash = Peer {
            access_hash: None,
            ..user
        };
        assert!(super::row(PeerId::Channel(9), &no_hash, &mut lost).is_none());
        assert!(super::row(PeerId::User(-1), &Peer::default(), &mut lost).is_none());
        assert_eq!((lost.min, lost.no_hash, lost.unmarked), (1, 1, 1));
        assert_eq!(lost.report().len(), 5);
    }
}
