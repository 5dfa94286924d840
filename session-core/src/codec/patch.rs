//! The payload of a patch record (`docs/FORMAT.md`, "Patch payload"): the patch's changes as tagged
//! sections, reusing the entries of the session body.

use std::collections::BTreeMap;

use super::error::CodecError;
use super::reader::Reader;
use super::sections::{
    read_dc, read_device, read_logout_token, read_peer, read_user, write_dc, write_device,
    write_peer, write_user, MIN_DC_LEN,
};
use super::tag;
use super::writer::Writer;
use crate::patch::{DcChange, DcKey, Patch, UpdateCounters};
use crate::session::{MinContext, PeerClass, PeerId};

/// Tags of the patch payload that the session body does not have.
const CHANNELS: u16 = 0x0031;

/// DC change operations.
const DC_UPSERT: u8 = 1;
const DC_REMOVE: u8 = 2;
const DC_SET: u8 = 3;

/// Bits of a DC key's flags.
const KEY_MEDIA_ONLY: u8 = 1 << 0;
const KEY_CDN: u8 = 1 << 1;

/// Bits of the update-state change.
const STATE_CLEAR: u8 = 1 << 0;
const STATE_COUNTERS: u8 = 1 << 1;
const STATE_CREATE: u8 = 1 << 2;

/// Channel and peer operations.
const REMOVE: u8 = 0;
const SET: u8 = 1;

/// The smallest encodings of list elements, to bound counts by the bytes left.
/// The smallest DC change: a set of no entries (op and count); a removal is 6 bytes.
const MIN_DC_CHANGE_LEN: usize = 1 + 4;
const MIN_CHANNEL_CHANGE_LEN: usize = 8 + 1;
const MIN_PEER_CHANGE_LEN: usize = 1 + 1 + 8;
const MIN_CONTEXT_CHANGE_LEN: usize = 8 + 1;

/// Writes the payload of `patch`.
pub(crate) fn write_patch(w: &mut Writer, p: &Patch) -> Result<(), CodecError> {
    if let Some(v) = p.home_dc {
        w.section(tag::HOME_DC, |w| optional(w, v, Writer::i32))?;
    }
    if let Some(v) = p.test_mode {
        w.section(tag::TEST_MODE, |w| w.u8(u8::from(v)))?;
    }
    if let Some(v) = p.api_id {
        w.section(tag::API_ID, |w| optional(w, v, Writer::i32))?;
    }
    if let Some(v) = p.takeout_id {
        w.section(tag::TAKEOUT_ID, |w| optional(w, v, Writer::i64))?;
    }
    if let Some(v) = p.created_at {
        w.section(tag::CREATED_AT, |w| optional(w, v, Writer::i64))?;
    }
    if let Some(v) = p.updated_at {
        w.section(tag::UPDATED_AT, |w| optional(w, v, Writer::i64))?;
    }
    if !p.dcs.is_empty() {
        w.section(tag::DCS, |w| write_dc_changes(w, &p.dcs))??;
    }
    if let Some(user) = &p.user {
        w.section(tag::USER, |w| match user {
            Some(user) => write_user(w, user),
            None => Ok(()),
        })??;
    }
    if p.clear_state || p.counters.is_some() || p.create_state {
        w.section(tag::UPDATE_STATE, |w| {
            let mut flags = 0;
            if p.clear_state {
                flags |= STATE_CLEAR;
            }
            if p.counters.is_some() {
                flags |= STATE_COUNTERS;
            }
            if p.create_state {
                flags |= STATE_CREATE;
            }
            w.u8(flags);
            if let Some(c) = p.counters {
                w.i32(c.pts);
                w.i32(c.qts);
                w.i32(c.date);
                w.i32(c.seq);
            }
        })?;
    }
    if !p.channels.is_empty() {
        w.section(CHANNELS, |w| write_channels(w, &p.channels))??;
    }
    if let Some(device) = &p.device {
        w.section(tag::DEVICE, |w| match device {
            Some(device) => write_device(w, device),
            None => Ok(()),
        })??;
    }
    if !p.peers.is_empty() {
        w.section(tag::PEERS, |w| write_peer_changes(w, &p.peers))??;
    }
    if !p.min_contexts.is_empty() {
        w.section(tag::MIN_CONTEXTS, |w| {
            write_min_context_changes(w, &p.min_contexts)
        })??;
    }
    if let Some(token) = &p.logout_token {
        w.section(tag::LOGOUT_TOKEN, |w| {
            if let Some(token) = token {
                w.bytes(token.as_bytes());
            }
        })?;
    }
    Ok(())
}

fn write_min_context_changes(
    w: &mut Writer,
    contexts: &BTreeMap<i64, Option<MinContext>>,
) -> Result<(), CodecError> {
    w.count("min context changes", contexts.len())?;
    for (&user_id, context) in contexts {
        w.i64(user_id);
        match context {
            Some(context) => {
                w.u8(SET);
                w.i64(context.chat_id);
                w.i32(context.msg_id);
            }
            None => w.u8(REMOVE),
        }
    }
    Ok(())
}

fn read_min_context_changes(
    r: &mut Reader<'_>,
) -> Result<BTreeMap<i64, Option<MinContext>>, CodecError> {
    let n = r.nonzero_count("min context changes", MIN_CONTEXT_CHANGE_LEN)?;
    let mut contexts = BTreeMap::new();
    let mut last: Option<i64> = None;
    for _ in 0..n {
        let user_id = r.i64()?;
        if last.is_some_and(|last| user_id <= last) {
            return Err(CodecError::invalid(
                "min context changes",
                "user ids must be strictly increasing",
            ));
        }
        last = Some(user_id);
        let context = match r.u8()? {
            REMOVE => None,
            SET => Some(MinContext {
                chat_id: r.i64()?,
                msg_id: r.i32()?,
            }),
            other => {
                return Err(CodecError::invalid(
                    "min context change",
                    format!("unknown operation {other}"),
                ))
            }
        };
        contexts.insert(user_id, context);
    }
    Ok(contexts)
}

/// Nothing for `None` (clear), the value for `Some`.
fn optional<T>(w: &mut Writer, value: Option<T>, write: fn(&mut Writer, T)) {
    if let Some(value) = value {
        write(w, value);
    }
}

fn write_dc_changes(w: &mut Writer, changes: &[DcChange]) -> Result<(), CodecError> {
    w.count("dc changes", changes.len())?;
    for change in changes {
        match change {
            DcChange::Upsert(entry) => {
                w.u8(DC_UPSERT);
                write_dc(w, entry);
            }
            DcChange::Remove(key) => {
                w.u8(DC_REMOVE);
                w.i32(key.id);
                let mut flags = 0;
                if key.media_only {
                    flags |= KEY_MEDIA_ONLY;
                }
                if key.cdn {
                    flags |= KEY_CDN;
                }
                w.u8(flags);
            }
            DcChange::Set(entries) => {
                w.u8(DC_SET);
                w.count("dcs", entries.len())?;
                for entry in entries {
                    write_dc(w, entry);
                }
            }
        }
    }
    Ok(())
}

fn write_channels(w: &mut Writer, channels: &BTreeMap<i64, Option<i32>>) -> Result<(), CodecError> {
    w.count("channel changes", channels.len())?;
    for (&channel, &pts) in channels {
        w.i64(channel);
        match pts {
            Some(pts) => {
                w.u8(SET);
                w.i32(pts);
            }
            None => w.u8(REMOVE),
        }
    }
    Ok(())
}

fn write_peer_changes(
    w: &mut Writer,
    peers: &BTreeMap<PeerId, Option<crate::session::Peer>>,
) -> Result<(), CodecError> {
    w.count("peer changes", peers.len())?;
    for (&id, peer) in peers {
        match peer {
            Some(peer) => {
                w.u8(SET);
                write_peer(w, id, peer)?;
            }
            None => {
                w.u8(REMOVE);
                w.u8(class_code(id.class()));
                w.i64(id.bare());
            }
        }
    }
    Ok(())
}

fn class_code(class: PeerClass) -> u8 {
    match class {
        PeerClass::User => 0,
        PeerClass::Chat => 1,
        PeerClass::Channel => 2,
    }
}

/// What a patch payload turned out to be.
pub(crate) enum PatchPayload {
    /// Every section is known: the patch.
    Known(Box<Patch>),
    /// A section this version does not know (a newer writer's change): the record must not be applied,
    /// and must not be dropped either.
    UnknownSection,
}

/// Reads a patch payload. Malformed payloads are errors; a payload with a section tag this version does not
/// know is [`PatchPayload::UnknownSection`].
pub(crate) fn read_patch(payload: &[u8]) -> Result<PatchPayload, CodecError> {
    let mut r = Reader::new(payload);
    let mut p = Patch::default();
    let mut last_tag: Option<u16> = None;
    while r.remaining() > 0 {
        let t = r.u16()?;
        if last_tag.is_some_and(|last| t <= last) {
            return Err(CodecError::invalid(
                "patch section tag",
                format!("tag {t:#06x} is out of order or repeated"),
            ));
        }
        last_tag = Some(t);
        let len = usize::try_from(r.u32()?).map_err(|_| CodecError::Truncated)?;
        let mut s = Reader::new(r.bytes(len)?);
        match t {
            tag::HOME_DC => p.home_dc = Some(read_optional(&mut s, Reader::i32)?),
            tag::TEST_MODE => p.test_mode = Some(read_bool(&mut s)?),
            tag::API_ID => p.api_id = Some(read_optional(&mut s, Reader::i32)?),
            tag::TAKEOUT_ID => p.takeout_id = Some(read_optional(&mut s, Reader::i64)?),
            tag::CREATED_AT => p.created_at = Some(read_optional(&mut s, Reader::i64)?),
            tag::UPDATED_AT => p.updated_at = Some(read_optional(&mut s, Reader::i64)?),
            tag::DCS => p.dcs = read_dc_changes(&mut s)?,
            tag::USER => {
                p.user = Some(if s.remaining() == 0 {
                    None
                } else {
                    Some(read_user(&mut s)?)
                })
            }
            tag::UPDATE_STATE => read_state(&mut s, &mut p)?,
            CHANNELS => p.channels = read_channels(&mut s)?,
            tag::DEVICE => {
                p.device = Some(if s.remaining() == 0 {
                    None
                } else {
                    Some(read_device(&mut s)?)
                })
            }
            tag::PEERS => p.peers = read_peer_changes(&mut s)?,
            tag::MIN_CONTEXTS => p.min_contexts = read_min_context_changes(&mut s)?,
            tag::LOGOUT_TOKEN => {
                p.logout_token = Some(if s.remaining() == 0 {
                    None
                } else {
                    Some(read_logout_token(&mut s)?)
                })
            }
            _ => return Ok(PatchPayload::UnknownSection),
        }
        s.finish("patch section")?;
    }
    Ok(PatchPayload::Known(Box::new(p)))
}

/// `None` for an empty payload (clear), else the value.
fn read_optional<'a, T>(
    r: &mut Reader<'a>,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, CodecError>,
) -> Result<Option<T>, CodecError> {
    if r.remaining() == 0 {
        Ok(None)
    } else {
        read(r).map(Some)
    }
}

fn read_bool(r: &mut Reader<'_>) -> Result<bool, CodecError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(CodecError::invalid(
            "patch test_mode",
            format!("must be 0 or 1, found {other}"),
        )),
    }
}

fn read_dc_changes(r: &mut Reader<'_>) -> Result<Vec<DcChange>, CodecError> {
    let n = r.nonzero_count("dc changes", MIN_DC_CHANGE_LEN)?;
    let mut changes = Vec::with_capacity(n);
    for _ in 0..n {
        changes.push(match r.u8()? {
            DC_UPSERT => DcChange::Upsert(read_dc(r)?),
            DC_REMOVE => {
                let id = r.i32()?;
                let flags = r.u8()?;
                if flags & !(KEY_MEDIA_ONLY | KEY_CDN) != 0 {
                    return Err(CodecError::invalid(
                        "dc key flags",
                        format!("unknown bits {flags:#04x}"),
                    ));
                }
                DcChange::Remove(DcKey {
                    id,
                    media_only: flags & KEY_MEDIA_ONLY != 0,
                    cdn: flags & KEY_CDN != 0,
                })
            }
            DC_SET => {
                let count = r.count(MIN_DC_LEN)?;
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    entries.push(read_dc(r)?);
                }
                DcChange::Set(entries)
            }
            other => {
                return Err(CodecError::invalid(
                    "dc change",
                    format!("unknown operation {other}"),
                ))
            }
        });
    }
    Ok(changes)
}

fn read_state(r: &mut Reader<'_>, p: &mut Patch) -> Result<(), CodecError> {
    let flags = r.u8()?;
    if flags & !(STATE_CLEAR | STATE_COUNTERS | STATE_CREATE) != 0 || flags == 0 {
        return Err(CodecError::invalid(
            "patch update_state flags",
            format!("{flags:#04x} is not a change"),
        ));
    }
    p.clear_state = flags & STATE_CLEAR != 0;
    p.create_state = flags & STATE_CREATE != 0;
    if flags & STATE_COUNTERS != 0 {
        p.counters = Some(UpdateCounters {
            pts: r.i32()?,
            qts: r.i32()?,
            date: r.i32()?,
            seq: r.i32()?,
        });
    }
    Ok(())
}

fn read_channels(r: &mut Reader<'_>) -> Result<BTreeMap<i64, Option<i32>>, CodecError> {
    let n = r.nonzero_count("channel changes", MIN_CHANNEL_CHANGE_LEN)?;
    let mut channels = BTreeMap::new();
    let mut last: Option<i64> = None;
    for _ in 0..n {
        let channel = r.i64()?;
        if last.is_some_and(|last| channel <= last) {
            return Err(CodecError::invalid(
                "channel changes",
                "channel ids must be strictly increasing",
            ));
        }
        last = Some(channel);
        let pts = match r.u8()? {
            REMOVE => None,
            SET => Some(r.i32()?),
            other => {
                return Err(CodecError::invalid(
                    "channel change",
                    format!("unknown operation {other}"),
                ))
            }
        };
        channels.insert(channel, pts);
    }
    Ok(channels)
}

fn read_peer_changes(
    r: &mut Reader<'_>,
) -> Result<BTreeMap<PeerId, Option<crate::session::Peer>>, CodecError> {
    let n = r.nonzero_count("peer changes", MIN_PEER_CHANGE_LEN)?;
    let mut peers = BTreeMap::new();
    let mut last: Option<PeerId> = None;
    for _ in 0..n {
        let (id, peer) = match r.u8()? {
            SET => {
                let (id, peer) = read_peer(r, last)?;
                (id, Some(peer))
            }
            REMOVE => {
                let class = match r.u8()? {
                    0 => PeerClass::User,
                    1 => PeerClass::Chat,
                    2 => PeerClass::Channel,
                    other => {
                        return Err(CodecError::invalid(
                            "peer class",
                            format!("unknown class {other}"),
                        ))
                    }
                };
                let id = PeerId::new(class, r.i64()?);
                if last.is_some_and(|last| id <= last) {
                    return Err(CodecError::invalid(
                        "peer changes",
                        "peers must be sorted by class and id, without repeats",
                    ));
                }
                (id, None)
            }
            other => {
                return Err(CodecError::invalid(
                    "peer change",
                    format!("unknown operation {other}"),
                ))
            }
        };
        last = Some(id);
        peers.insert(id, peer);
    }
    Ok(peers)
}
