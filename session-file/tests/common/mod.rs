//! Helpers shared by the journal tests: records that say which append wrote them, snapshots at a position,
//! and reading back which records a journal (or the session it replays to) holds.
//!
//! Every record the tests append upserts one user peer whose id (and access hash) is the record's *tag*, so
//! the session a journal replays to says which records were applied, and each record says who wrote it.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::collections::BTreeSet;

use session_core::{
    Bytes, Epoch, Journal, JournalPosition, Patch, Peer, PeerId, PeerKind, Record, Session,
};

/// The session every test starts from: a logged-in account without peers.
pub(crate) fn base_session() -> Session {
    let mut session = session_conformance::fixtures::auth_only();
    session.peers.clear();
    session
}

/// The patch of the record tagged `tag`: one user peer, id and access hash both `tag`.
pub(crate) fn patch_of(tag: u64) -> Patch {
    let id = i64::try_from(tag).expect("tags fit in an i64");
    let mut patch = Patch::new();
    patch.upsert_peer(
        PeerId::User(id),
        Peer {
            kind: PeerKind::User,
            access_hash: Some(id),
            username: None,
            phone: None,
            min: false,
        },
    );
    patch
}

/// The record tagged `tag`, of `epoch`.
pub(crate) fn record_of(epoch: Epoch, tag: u64) -> Bytes {
    Bytes::from(Record::encode_patch(epoch, &patch_of(tag)).unwrap())
}

/// The tag of a record written by [`record_of`].
pub(crate) fn tag_of(bytes: &[u8]) -> u64 {
    match Record::decode(bytes) {
        Ok((_, Record::Patch(patch))) => match patch.peers().next() {
            Some((PeerId::User(id), Some(_))) => u64::try_from(*id).unwrap(),
            other => panic!("not a test record: its first peer change is {other:?}"),
        },
        other => panic!("not a test record: {other:?}"),
    }
}

/// `session` encoded as a snapshot at `position`.
pub(crate) fn snapshot_of(session: &Session, position: JournalPosition) -> Bytes {
    Bytes::from(session.encode_snapshot(&position).unwrap())
}

/// The base session with the records tagged `tags` applied.
pub(crate) fn session_with(tags: impl IntoIterator<Item = u64>) -> Session {
    let mut session = base_session();
    for tag in tags {
        session.apply(&patch_of(tag));
    }
    session
}

/// The tags of the peers in `session`.
pub(crate) fn peer_tags(session: &Session) -> BTreeSet<u64> {
    session
        .peers
        .keys()
        .map(|id| match id {
            PeerId::User(id) => u64::try_from(*id).unwrap(),
            other => panic!("unexpected peer {other:?}"),
        })
        .collect()
}

/// `(index, tag)` of every record of `journal` that its snapshot does not include yet, checking that each is
/// of the snapshot's epoch.
pub(crate) fn pending(journal: &Journal) -> Vec<(u64, u64)> {
    let position = Session::snapshot_position(&journal.snapshot)
        .unwrap()
        .expect("the snapshot names a journal position");
    assert!(
        journal.base <= position.next,
        "the journal starts at {} after the snapshot's position {}",
        journal.base,
        position.next
    );
    journal
        .records
        .iter()
        .enumerate()
        .map(|(offset, bytes)| (journal.base + offset as u64, bytes))
        .filter(|(index, _)| *index >= position.next)
        .map(|(index, bytes)| {
            let (epoch, _) = Record::decode(bytes).unwrap();
            assert_eq!(epoch, position.epoch, "record {index} is of another epoch");
            (index, tag_of(bytes))
        })
        .collect()
}

/// The length of a journal file's header: magic, version, reserved, epoch, base and CRC-32C.
pub(crate) const HEADER_LEN: usize = 40;

/// A journal file's header for a journal of `epoch` whose first record has index `base`, built from the
/// layout in the adapter's documentation rather than by the adapter.
pub(crate) fn journal_header(epoch: Epoch, base: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(HEADER_LEN);
    data.extend_from_slice(b"\x8aTGJNL\r\n");
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(epoch.as_bytes());
    data.extend_from_slice(&base.to_le_bytes());
    let crc = crc32c(&data);
    data.extend_from_slice(&crc.to_le_bytes());
    data
}

/// A whole journal file: the header, then the records tagged `tags` (indices `base`, `base + 1`, ...).
pub(crate) fn journal_file(epoch: Epoch, base: u64, tags: &[u64]) -> Vec<u8> {
    let mut data = journal_header(epoch, base);
    for &tag in tags {
        data.extend_from_slice(&record_of(epoch, tag));
    }
    data
}

/// CRC-32C (Castagnoli), bit by bit.
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
