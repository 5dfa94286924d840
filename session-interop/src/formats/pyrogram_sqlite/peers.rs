//! The peer cache: `peers` rows (and Kurigram's `usernames` table) to the session's peers and back.

use rusqlite::{params, Transaction};
use session_core::{Peer, PeerClass, PeerId, PeerKind, PeerMap};

use super::read::{optional, query_error};
use super::write::write_error;
use crate::error::InteropError;
use crate::format::Format;
use crate::formats::common;
use crate::report::Dropped;
use crate::sqlite::Database;

const FORMAT: Format = Format::PyrogramSqlite;

/// Pyrogram's `peers.type` texts and the kinds they mean.
const TYPES: [(&str, PeerKind); 5] = [
    ("user", PeerKind::User),
    ("bot", PeerKind::Bot),
    ("group", PeerKind::Chat),
    ("channel", PeerKind::Broadcast),
    ("supergroup", PeerKind::Megagroup),
];

/// The kind a `peers.type` text means.
fn kind_of(text: &str) -> Option<PeerKind> {
    TYPES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|&(_, kind)| kind)
}

/// The `peers.type` text a kind is written as: a channel of unknown subtype as `channel`, a gigagroup as
/// `supergroup` (Pyrogram has neither; both lose their subtype, which [`write()`] reports).
fn type_of(kind: PeerKind) -> &'static str {
    match kind {
        PeerKind::User => "user",
        PeerKind::Bot => "bot",
        PeerKind::Chat => "group",
        PeerKind::Channel | PeerKind::Broadcast => "channel",
        PeerKind::Megagroup | PeerKind::Gigagroup => "supergroup",
    }
}

/// A phone number as Pyrogram keeps it: digits, perhaps after a `+`. `None` when it is not one.
fn phone_digits(text: &str) -> Option<&str> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// One `peers` row as stored.
struct Row {
    id: i64,
    access_hash: Option<i64>,
    kind: String,
    phone: Option<String>,
}

/// Reads the `peers` table (and Kurigram's `usernames`), with what the session has no place for. Rows become
/// peers as they are read; a peer's username is its `peers.username` when set, else its first row in
/// `usernames`.
pub(super) fn read(db: &Database) -> Result<(PeerMap, Vec<Dropped>), InteropError> {
    let sql = format!(
        "SELECT id, access_hash, type, {}, {}, {} FROM peers",
        optional(db, "peers", "username"),
        optional(db, "peers", "phone_number"),
        optional(db, "peers", "last_update_on")
    );
    let mut dated = 0_usize;
    let mut peers = Vec::new();
    db.for_each_row(&sql, "cannot read the session", |row| {
        let get_row = || -> rusqlite::Result<(Row, Option<String>, Option<i64>)> {
            let stored = Row {
                id: row.get(0)?,
                access_hash: row.get(1)?,
                kind: row.get(2)?,
                phone: row.get(4)?,
            };
            Ok((stored, row.get(3)?, row.get(5)?))
        };
        let (stored, username, last_update_on) = get_row().map_err(query_error)?;
        dated += usize::from(last_update_on.is_some_and(|time| time != 0));
        let username = username.filter(|name| !name.is_empty());
        peers.push((stored.id, peer(&stored, username)?));
        Ok(())
    })?;
    let usernames = usernames(db, &mut peers)?;
    let why = "a Session has no place for it";
    let dropped = [
        (
            dated,
            format!("last-update times of {dated} peers (peers.last_update_on)"),
            why,
        ),
        (
            usernames.extra,
            format!("{} usernames beyond the peers' first", usernames.extra),
            "a Session keeps one username per peer",
        ),
        (
            usernames.orphans,
            format!(
                "{} usernames of ids missing from the peers table",
                usernames.orphans
            ),
            why,
        ),
    ]
    .into_iter()
    .filter(|(count, _, _)| *count > 0)
    .map(|(_, what, why)| Dropped::new(what, why))
    .collect();
    Ok((peers.into_iter().map(|(_, peer)| peer).collect(), dropped))
}

/// Counts of Kurigram's usernames that a session does not keep.
#[derive(Debug, Default)]
struct Usernames {
    /// Distinct usernames of a peer beyond the one it keeps.
    extra: usize,
    /// Usernames of ids the `peers` table does not have.
    orphans: usize,
}

/// Gives each peer without a username its first row of Kurigram's `usernames` table (in table order) and
/// counts the rest; nothing when the file has no such table. `peers` pairs each peer with its marked id.
fn usernames(
    db: &Database,
    peers: &mut [(i64, (PeerId, Peer))],
) -> Result<Usernames, InteropError> {
    let mut counts = Usernames::default();
    if !db.has_table("usernames") {
        return Ok(counts);
    }
    let mut by_id: Vec<(i64, usize)> = peers
        .iter()
        .enumerate()
        .map(|(index, (id, _))| (*id, index))
        .collect();
    by_id.sort_unstable();
    let mut extra: Vec<(usize, String)> = Vec::new();
    db.for_each_row(
        "SELECT id, username FROM usernames",
        "cannot read the session",
        |row| {
            let id: i64 = row.get(0).map_err(query_error)?;
            let name: Option<String> = row.get(1).map_err(query_error)?;
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return Ok(());
            };
            let Ok(at) = by_id.binary_search_by_key(&id, |&(id, _)| id) else {
                counts.orphans += 1;
                return Ok(());
            };
            let index = by_id[at].1;
            let (_, peer) = &mut peers[index].1;
            match &peer.username {
                None => peer.username = Some(name.into()),
                Some(first) if *first == name => {}
                Some(_) => extra.push((index, name)),
            }
            Ok(())
        },
    )?;
    extra.sort_unstable();
    extra.dedup();
    counts.extra = extra.len();
    Ok(counts)
}

/// The peer a row describes, checked: a marked id, a known type of the id's class, and digits for a phone.
fn peer(row: &Row, username: Option<String>) -> Result<(PeerId, Peer), InteropError> {
    let marked = row.id;
    let id = PeerId::from_marked(marked).ok_or_else(|| {
        InteropError::malformed(FORMAT, format!("peer id {marked} is not a marked peer id"))
    })?;
    let kind = kind_of(&row.kind).ok_or_else(|| {
        InteropError::malformed(FORMAT, format!("peer {marked} has an unknown type"))
    })?;
    if kind.class() != id.class() {
        return Err(InteropError::malformed(
            FORMAT,
            format!("peer {marked} has a type that does not fit its id"),
        ));
    }
    let access_hash = common::access_hash(FORMAT, id, row.access_hash)?;
    let phone = match row.phone.as_deref().filter(|phone| !phone.is_empty()) {
        None => None,
        Some(phone) => Some(phone_digits(phone).map(str::to_owned).ok_or_else(|| {
            InteropError::malformed(
                FORMAT,
                format!("peer {marked} has a phone number that is not digits"),
            )
        })?),
    };
    let peer = Peer {
        kind,
        access_hash,
        username: username.map(Into::into),
        phone: phone.map(Into::into),
        min: false,
    };
    Ok((id, peer))
}

/// What [`write()`] could not carry over, by kind.
#[derive(Default)]
struct Lost {
    min: usize,
    no_hash: usize,
    no_marked_id: usize,
    unknown_subtype: usize,
    gigagroup: usize,
    group_hash: usize,
    odd_phone: usize,
    username_case: usize,
}

impl Lost {
    fn report(self) -> Vec<Dropped> {
        let why = "Pyrogram's peers table cannot hold it";
        [
            (
                self.min,
                "peers with min access hashes (usable only with the message they came in)",
                why,
            ),
            (
                self.no_hash,
                "users and channels without an access hash",
                "Pyrogram cannot address them",
            ),
            (
                self.no_marked_id,
                "peers whose ids have no marked (Bot API) form",
                why,
            ),
            (
                self.unknown_subtype,
                "channels of unknown subtype (written as `channel`)",
                why,
            ),
            (
                self.gigagroup,
                "gigagroup subtypes (written as `supergroup`)",
                why,
            ),
            (self.group_hash, "access hashes of basic groups", why),
            (self.odd_phone, "phone numbers that are not digits", why),
            (
                self.username_case,
                "letter case of usernames (written lower-cased, as Pyrogram keeps them)",
                why,
            ),
        ]
        .into_iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|(count, what, why)| Dropped::new(format!("{count} {what}"), why))
        .collect()
    }
}

/// Inserts the session's peers as `peers` rows with `last_update_on` set to `now`, reporting what does not
/// fit.
///
/// Fails with [`InteropError::Unwritable`] for a peer whose kind is of another class than its id.
pub(super) fn write(
    tx: &Transaction<'_>,
    peers: &PeerMap,
    now: i64,
) -> Result<Vec<Dropped>, InteropError> {
    let mut insert = tx
        .prepare(
            "INSERT INTO peers (id, access_hash, type, username, phone_number, last_update_on) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(|err| write_error("cannot prepare the peers", &err))?;
    let mut lost = Lost::default();
    for (id, peer) in peers.iter() {
        if peer.kind.class() != id.class() {
            return Err(InteropError::Unwritable {
                format: FORMAT,
                reason: format!("peer {id:?} has kind {:?}, of another class", peer.kind),
            });
        }
        let Some(marked) = id.marked() else {
            lost.no_marked_id += 1;
            continue;
        };
        if peer.min {
            lost.min += 1;
            continue;
        }
        let access_hash = if id.class() == PeerClass::Chat {
            lost.group_hash += usize::from(peer.access_hash.is_some_and(|hash| hash != 0));
            0
        } else if let Some(hash) = peer.access_hash {
            hash
        } else {
            lost.no_hash += 1;
            continue;
        };
        lost.unknown_subtype += usize::from(peer.kind == PeerKind::Channel);
        lost.gigagroup += usize::from(peer.kind == PeerKind::Gigagroup);
        let username = peer.username.as_deref().filter(|name| !name.is_empty());
        let lower = username.map(str::to_lowercase);
        lost.username_case += usize::from(lower.as_deref() != username);
        let given_phone = peer.phone.as_deref().filter(|phone| !phone.is_empty());
        let phone = given_phone.and_then(phone_digits);
        lost.odd_phone += usize::from(given_phone.is_some() && phone.is_none());
        insert
            .execute(params![
                marked,
                access_hash,
                type_of(peer.kind),
                lower,
                phone,
                now
            ])
            .map_err(|err| write_error("cannot insert a peer", &err))?;
    }
    Ok(lost.report())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_text_maps_to_its_kind_and_back() {
        for (text, kind) in TYPES {
            assert_eq!(kind_of(text), Some(kind));
            assert_eq!(type_of(kind), text);
        }
        assert_eq!(kind_of("User"), None);
        assert_eq!(type_of(PeerKind::Channel), "channel");
        assert_eq!(type_of(PeerKind::Gigagroup), "supergroup");
    }

    #[test]
    fn phones_are_digits() {
        assert_eq!(phone_digits("15550001111"), Some("15550001111"));
        assert_eq!(phone_digits("+15550001111"), Some("15550001111"));
        assert_eq!(phone_digits("+"), None);
        assert_eq!(phone_digits("555-1111"), None);
    }
}
