//! The payload of each section of format version 1, written and read field by field (`docs/FORMAT.md`).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use compact_str::CompactString;
use litemap::LiteMap;

use super::error::CodecError;
use super::reader::Reader;
use super::tag;
use super::unknown::UnknownSections;
use super::writer::Writer;
use crate::auth_key::AuthKey;
use crate::journal::{Epoch, JournalPosition};
use crate::session::{
    ChunkedStore, DcEntry, DcFlags, DeviceInfo, LogoutToken, MinContext, Peer, PeerId, PeerKind,
    PeerMap, Session, TempAuthKey, UpdateState, User,
};

/// Flag bits of a DC entry.
mod dc_flag {
    pub(super) const MEDIA_ONLY: u16 = 1 << 0;
    pub(super) const CDN: u16 = 1 << 1;
    pub(super) const TCPO_ONLY: u16 = 1 << 2;
    pub(super) const STATIC: u16 = 1 << 3;
    pub(super) const THIS_PORT_ONLY: u16 = 1 << 4;
    pub(super) const IPV4: u16 = 1 << 5;
    pub(super) const IPV6: u16 = 1 << 6;
    pub(super) const AUTH_KEY: u16 = 1 << 7;
    pub(super) const TEMP_AUTH_KEY: u16 = 1 << 8;
    pub(super) const ALL: u16 = (1 << 9) - 1;
}

/// Flag bits of the user section.
mod user_flag {
    pub(super) const BOT: u8 = 1 << 0;
    pub(super) const USERNAME: u8 = 1 << 1;
    pub(super) const DC: u8 = 1 << 2;
    pub(super) const ALL: u8 = (1 << 3) - 1;
}

/// Flag bits of a peer entry.
mod peer_flag {
    pub(super) const ACCESS_HASH: u8 = 1 << 0;
    pub(super) const MIN: u8 = 1 << 1;
    pub(super) const USERNAME: u8 = 1 << 2;
    pub(super) const PHONE: u8 = 1 << 3;
    pub(super) const ALL: u8 = (1 << 4) - 1;
}

/// The smallest possible encodings, used to bound counts by the bytes left.
pub(super) const MIN_DC_LEN: usize = 4 + 2 + 8 + 4;
const MIN_PEER_LEN: usize = 1 + 8 + 1;
const CHANNEL_STATE_LEN: usize = 8 + 4;
/// A min context: user id, chat id, message id.
const MIN_CONTEXT_LEN: usize = 8 + 8 + 4;

/// A generous guess of the encoded size, so encoding rarely reallocates.
pub(super) fn size_hint(s: &Session) -> usize {
    let unknown: usize = s.unknown_sections.iter().map(|(_, d)| d.len() + 6).sum();
    256 + s.dcs.len() * 600
        + s.peers.len() * 48
        + s.min_contexts.len() * MIN_CONTEXT_LEN
        + unknown
        + s.update_state
            .as_ref()
            .map_or(0, |u| u.channels.len() * CHANNEL_STATE_LEN)
}

pub(super) fn write_all(
    w: &mut Writer,
    s: &Session,
    position: Option<&JournalPosition>,
) -> Result<(), CodecError> {
    let mut out = SectionsOut {
        w,
        unknown: &s.unknown_sections.0,
    };
    if let Some(v) = s.home_dc {
        out.section(tag::HOME_DC, |w| w.i32(v))?;
    }
    if s.test_mode {
        out.section(tag::TEST_MODE, |_| ())?;
    }
    if let Some(v) = s.api_id {
        out.section(tag::API_ID, |w| w.i32(v))?;
    }
    if let Some(v) = s.takeout_id {
        out.section(tag::TAKEOUT_ID, |w| w.i64(v))?;
    }
    if let Some(v) = s.created_at {
        out.section(tag::CREATED_AT, |w| w.i64(v))?;
    }
    if let Some(v) = s.updated_at {
        out.section(tag::UPDATED_AT, |w| w.i64(v))?;
    }
    if !s.dcs.is_empty() {
        out.section(tag::DCS, |w| write_dcs(w, &s.dcs))??;
    }
    if let Some(user) = &s.user {
        out.section(tag::USER, |w| write_user(w, user))??;
    }
    if let Some(state) = &s.update_state {
        out.section(tag::UPDATE_STATE, |w| write_update_state(w, state))??;
    }
    if let Some(device) = &s.device {
        out.section(tag::DEVICE, |w| write_device(w, device))??;
    }
    if !s.peers.is_empty() {
        out.section(tag::PEERS, |w| write_peers(w, &s.peers))??;
    }
    if !s.min_contexts.is_empty() {
        out.section(tag::MIN_CONTEXTS, |w| {
            write_min_contexts(w, &s.min_contexts)
        })??;
    }
    if let Some(position) = position {
        out.section(tag::JOURNAL, |w| {
            w.bytes(position.epoch.as_bytes());
            w.u64(position.next);
        })?;
    }
    if let Some(token) = &s.logout_token {
        out.section(tag::LOGOUT_TOKEN, |w| w.bytes(token.as_bytes()))?;
    }
    out.finish()
}

/// Writes known sections in tag order, slipping in the unknown sections that sort before each one.
struct SectionsOut<'a> {
    w: &'a mut Writer,
    unknown: &'a [(u16, Vec<u8>)],
}

impl SectionsOut<'_> {
    /// Writes the unknown sections with tags below `tag`, then section `tag`.
    fn section<T>(
        &mut self,
        tag: u16,
        payload: impl FnOnce(&mut Writer) -> T,
    ) -> Result<T, CodecError> {
        let split = self.unknown.partition_point(|(t, _)| *t < tag);
        self.unknown_up_to(split)?;
        self.w.section(tag, payload)
    }

    /// Writes the unknown sections that sort after every known one.
    fn finish(mut self) -> Result<(), CodecError> {
        self.unknown_up_to(self.unknown.len())
    }

    fn unknown_up_to(&mut self, split: usize) -> Result<(), CodecError> {
        let (before, rest) = self.unknown.split_at(split);
        for (t, data) in before {
            self.w.section(*t, |w| w.bytes(data))?;
        }
        self.unknown = rest;
        Ok(())
    }
}

/// Reads the body: the session, and the journal position if the body has one (a snapshot).
pub(super) fn read_all(
    mut body: Reader<'_>,
) -> Result<(Session, Option<JournalPosition>), CodecError> {
    let mut s = Session::default();
    let mut position = None;
    let mut unknown = Vec::new();
    let mut last_tag: Option<u16> = None;
    while body.remaining() > 0 {
        let t = body.u16()?;
        if last_tag.is_some_and(|last| t <= last) {
            return Err(CodecError::invalid(
                "section tag",
                format!("tag {t:#06x} is out of order or repeated"),
            ));
        }
        last_tag = Some(t);
        let len = usize::try_from(body.u32()?).map_err(|_| CodecError::Truncated)?;
        let payload = body.bytes(len)?;
        let mut r = Reader::new(payload);
        match t {
            tag::HOME_DC => s.home_dc = Some(r.i32()?),
            tag::TEST_MODE => s.test_mode = true,
            tag::API_ID => s.api_id = Some(r.i32()?),
            tag::TAKEOUT_ID => s.takeout_id = Some(r.i64()?),
            tag::CREATED_AT => s.created_at = Some(r.i64()?),
            tag::UPDATED_AT => s.updated_at = Some(r.i64()?),
            tag::DCS => s.dcs = read_dcs(&mut r)?,
            tag::USER => s.user = Some(read_user(&mut r)?),
            tag::UPDATE_STATE => s.update_state = Some(read_update_state(&mut r)?),
            tag::DEVICE => s.device = Some(read_device(&mut r)?),
            tag::PEERS => s.peers = read_peers(&mut r)?,
            tag::MIN_CONTEXTS => s.min_contexts = read_min_contexts(&mut r)?,
            tag::LOGOUT_TOKEN => s.logout_token = Some(read_logout_token(&mut r)?),
            tag::JOURNAL => {
                position = Some(JournalPosition {
                    epoch: Epoch::from_bytes(r.array::<16>()?),
                    next: r.u64()?,
                })
            }
            _ => {
                unknown.push((t, payload.to_vec()));
                continue;
            }
        }
        r.finish(section_name(t))?;
    }
    s.unknown_sections = UnknownSections(unknown);
    Ok((s, position))
}

/// The journal position in a body, found by skipping every other section's payload.
pub(super) fn find_position(mut body: Reader<'_>) -> Result<Option<JournalPosition>, CodecError> {
    while body.remaining() > 0 {
        let t = body.u16()?;
        let len = usize::try_from(body.u32()?).map_err(|_| CodecError::Truncated)?;
        let mut payload = Reader::new(body.bytes(len)?);
        if t == tag::JOURNAL {
            let position = JournalPosition {
                epoch: Epoch::from_bytes(payload.array::<16>()?),
                next: payload.u64()?,
            };
            payload.finish(section_name(t))?;
            return Ok(Some(position));
        }
    }
    Ok(None)
}

fn section_name(t: u16) -> &'static str {
    match t {
        tag::HOME_DC => "home_dc section",
        tag::TEST_MODE => "test_mode section",
        tag::API_ID => "api_id section",
        tag::TAKEOUT_ID => "takeout_id section",
        tag::CREATED_AT => "created_at section",
        tag::UPDATED_AT => "updated_at section",
        tag::DCS => "dcs section",
        tag::USER => "user section",
        tag::UPDATE_STATE => "update_state section",
        tag::DEVICE => "device section",
        tag::PEERS => "peers section",
        tag::MIN_CONTEXTS => "min_contexts section",
        tag::LOGOUT_TOKEN => "logout_token section",
        _ => "journal section",
    }
}

fn write_dcs(w: &mut Writer, dcs: &[DcEntry]) -> Result<(), CodecError> {
    w.count("dcs", dcs.len())?;
    for dc in dcs {
        write_dc(w, dc);
    }
    Ok(())
}

/// One DC entry (`docs/FORMAT.md`, "DC entry").
pub(super) fn write_dc(w: &mut Writer, dc: &DcEntry) {
    let f = dc.flags;
    let flags = [
        (f.media_only, dc_flag::MEDIA_ONLY),
        (f.cdn, dc_flag::CDN),
        (f.tcpo_only, dc_flag::TCPO_ONLY),
        (f.is_static, dc_flag::STATIC),
        (f.this_port_only, dc_flag::THIS_PORT_ONLY),
        (dc.ipv4.is_some(), dc_flag::IPV4),
        (dc.ipv6.is_some(), dc_flag::IPV6),
        (dc.auth_key.is_some(), dc_flag::AUTH_KEY),
        (dc.temp_auth_key.is_some(), dc_flag::TEMP_AUTH_KEY),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0, |acc, (_, bit)| acc | bit);
    w.i32(dc.id);
    w.u16(flags);
    if let Some(addr) = dc.ipv4 {
        w.bytes(&addr.ip().octets());
        w.u16(addr.port());
    }
    if let Some(addr) = dc.ipv6 {
        w.bytes(&addr.ip().octets());
        w.u16(addr.port());
        w.u32(addr.flowinfo());
        w.u32(addr.scope_id());
    }
    if let Some(key) = &dc.auth_key {
        w.bytes(key.as_bytes());
    }
    if let Some(temp) = &dc.temp_auth_key {
        w.bytes(temp.key.as_bytes());
        w.i64(temp.expires_at);
    }
    w.i64(dc.server_salt);
    w.i32(dc.time_offset);
}

fn read_dcs(r: &mut Reader<'_>) -> Result<Vec<DcEntry>, CodecError> {
    let n = r.nonzero_count("dcs", MIN_DC_LEN)?;
    let mut dcs = Vec::with_capacity(n);
    for _ in 0..n {
        dcs.push(read_dc(r)?);
    }
    Ok(dcs)
}

/// One DC entry (`docs/FORMAT.md`, "DC entry").
pub(super) fn read_dc(r: &mut Reader<'_>) -> Result<DcEntry, CodecError> {
    let id = r.i32()?;
    let flags = r.u16()?;
    if flags & !dc_flag::ALL != 0 {
        return Err(CodecError::invalid(
            "dc flags",
            format!("unknown bits {:#06x}", flags & !dc_flag::ALL),
        ));
    }
    let has = |bit: u16| flags & bit != 0;
    let ipv4 = if has(dc_flag::IPV4) {
        let ip = Ipv4Addr::from(r.array::<4>()?);
        Some(SocketAddrV4::new(ip, r.u16()?))
    } else {
        None
    };
    let ipv6 = if has(dc_flag::IPV6) {
        let ip = Ipv6Addr::from(r.array::<16>()?);
        let port = r.u16()?;
        let flowinfo = r.u32()?;
        Some(SocketAddrV6::new(ip, port, flowinfo, r.u32()?))
    } else {
        None
    };
    let auth_key = if has(dc_flag::AUTH_KEY) {
        Some(read_key(r)?)
    } else {
        None
    };
    let temp_auth_key = if has(dc_flag::TEMP_AUTH_KEY) {
        let key = read_key(r)?;
        Some(TempAuthKey {
            key,
            expires_at: r.i64()?,
        })
    } else {
        None
    };
    Ok(DcEntry {
        id,
        ipv4,
        ipv6,
        flags: DcFlags {
            media_only: has(dc_flag::MEDIA_ONLY),
            cdn: has(dc_flag::CDN),
            tcpo_only: has(dc_flag::TCPO_ONLY),
            is_static: has(dc_flag::STATIC),
            this_port_only: has(dc_flag::THIS_PORT_ONLY),
        },
        auth_key,
        temp_auth_key,
        server_salt: r.i64()?,
        time_offset: r.i32()?,
    })
}

fn read_key(r: &mut Reader<'_>) -> Result<AuthKey, CodecError> {
    let bytes = r.bytes(AuthKey::LEN)?;
    AuthKey::from_slice(bytes).ok_or(CodecError::Truncated)
}

pub(super) fn write_user(w: &mut Writer, u: &User) -> Result<(), CodecError> {
    let mut flags = 0;
    if u.bot {
        flags |= user_flag::BOT;
    }
    if u.username.is_some() {
        flags |= user_flag::USERNAME;
    }
    if u.dc.is_some() {
        flags |= user_flag::DC;
    }
    w.i64(u.id);
    w.u8(flags);
    if let Some(name) = &u.username {
        w.string("user username", name)?;
    }
    if let Some(dc) = u.dc {
        w.i32(dc);
    }
    Ok(())
}

pub(super) fn read_user(r: &mut Reader<'_>) -> Result<User, CodecError> {
    let id = r.i64()?;
    let flags = r.u8()?;
    if flags & !user_flag::ALL != 0 {
        return Err(CodecError::invalid(
            "user flags",
            format!("unknown bits {:#04x}", flags & !user_flag::ALL),
        ));
    }
    let username = if flags & user_flag::USERNAME != 0 {
        Some(r.str("user username")?.to_owned())
    } else {
        None
    };
    let dc = if flags & user_flag::DC != 0 {
        Some(r.i32()?)
    } else {
        None
    };
    Ok(User {
        id,
        bot: flags & user_flag::BOT != 0,
        username,
        dc,
    })
}

fn write_update_state(w: &mut Writer, u: &UpdateState) -> Result<(), CodecError> {
    w.i32(u.pts);
    w.i32(u.qts);
    w.i32(u.date);
    w.i32(u.seq);
    w.count("update_state channels", u.channels.len())?;
    for (channel, pts) in &u.channels {
        w.i64(*channel);
        w.i32(*pts);
    }
    Ok(())
}

fn read_update_state(r: &mut Reader<'_>) -> Result<UpdateState, CodecError> {
    let (pts, qts, date, seq) = (r.i32()?, r.i32()?, r.i32()?, r.i32()?);
    let n = r.count(CHANNEL_STATE_LEN)?;
    let mut channels = Vec::with_capacity(n);
    for _ in 0..n {
        let channel = r.i64()?;
        if channels.last().is_some_and(|(last, _)| channel <= *last) {
            return Err(CodecError::invalid(
                "update_state channels",
                "channel ids must be strictly increasing",
            ));
        }
        channels.push((channel, r.i32()?));
    }
    Ok(UpdateState {
        pts,
        qts,
        date,
        seq,
        channels: channels.into_iter().collect(),
    })
}

pub(super) fn write_device(w: &mut Writer, d: &DeviceInfo) -> Result<(), CodecError> {
    w.string("device device_model", &d.device_model)?;
    w.string("device system_version", &d.system_version)?;
    w.string("device app_version", &d.app_version)?;
    w.string("device system_lang_code", &d.system_lang_code)?;
    w.string("device lang_pack", &d.lang_pack)?;
    w.string("device lang_code", &d.lang_code)
}

pub(super) fn read_device(r: &mut Reader<'_>) -> Result<DeviceInfo, CodecError> {
    Ok(DeviceInfo {
        device_model: r.str("device device_model")?.to_owned(),
        system_version: r.str("device system_version")?.to_owned(),
        app_version: r.str("device app_version")?.to_owned(),
        system_lang_code: r.str("device system_lang_code")?.to_owned(),
        lang_pack: r.str("device lang_pack")?.to_owned(),
        lang_code: r.str("device lang_code")?.to_owned(),
    })
}

const PEER_KINDS: [PeerKind; 7] = [
    PeerKind::User,
    PeerKind::Bot,
    PeerKind::Chat,
    PeerKind::Channel,
    PeerKind::Broadcast,
    PeerKind::Megagroup,
    PeerKind::Gigagroup,
];

pub(super) fn kind_code(kind: PeerKind) -> u8 {
    match kind {
        PeerKind::User => 0,
        PeerKind::Bot => 1,
        PeerKind::Chat => 2,
        PeerKind::Channel => 3,
        PeerKind::Broadcast => 4,
        PeerKind::Megagroup => 5,
        PeerKind::Gigagroup => 6,
    }
}

fn write_peers(w: &mut Writer, peers: &PeerMap) -> Result<(), CodecError> {
    w.count("peers", peers.len())?;
    for (id, peer) in peers.iter() {
        write_peer(w, *id, peer)?;
    }
    Ok(())
}

/// One peer entry (`docs/FORMAT.md`, "Peer entry").
pub(super) fn write_peer(w: &mut Writer, id: PeerId, peer: &Peer) -> Result<(), CodecError> {
    if peer.kind.class() != id.class() {
        return Err(CodecError::invalid(
            "peer kind",
            format!(
                "peer {id:?} has kind {:?}, which belongs to another class",
                peer.kind
            ),
        ));
    }
    let mut flags = 0;
    if peer.access_hash.is_some() {
        flags |= peer_flag::ACCESS_HASH;
    }
    if peer.min {
        flags |= peer_flag::MIN;
    }
    if peer.username.is_some() {
        flags |= peer_flag::USERNAME;
    }
    if peer.phone.is_some() {
        flags |= peer_flag::PHONE;
    }
    w.u8(kind_code(peer.kind));
    w.i64(id.bare());
    w.u8(flags);
    if let Some(hash) = peer.access_hash {
        w.i64(hash);
    }
    if let Some(name) = &peer.username {
        w.string("peer username", name)?;
    }
    if let Some(phone) = &peer.phone {
        w.string("peer phone", phone)?;
    }
    Ok(())
}

fn read_peers(r: &mut Reader<'_>) -> Result<PeerMap, CodecError> {
    let n = r.nonzero_count("peers", MIN_PEER_LEN)?;
    let mut peers = ChunkedStore::new();
    let mut last = None;
    for _ in 0..n {
        // Built whole, then moved into its chunk once. Pushing an empty peer and filling it in place was slower
        // (about 12% of a decode's CPU time): the pair was still built on the stack and copied in first.
        let entry = read_peer(r, last)?;
        last = Some(entry.0);
        peers.push(entry);
    }
    // Strictly increasing, checked by read_peer: exactly what the map keeps.
    Ok(LiteMap::from_sorted_store_unchecked(peers))
}

/// The kind of a peer entry from its code.
#[inline]
fn peer_kind(code: u8) -> Result<PeerKind, CodecError> {
    PEER_KINDS
        .get(usize::from(code))
        .copied()
        .ok_or_else(|| CodecError::invalid("peer kind", format!("unknown kind {code}")))
}

/// One peer entry (`docs/FORMAT.md`, "Peer entry"), which must sort after `previous` (the entry before it,
/// if any).
#[inline(always)]
pub(super) fn read_peer(
    r: &mut Reader<'_>,
    previous: Option<PeerId>,
) -> Result<(PeerId, Peer), CodecError> {
    // The fixed part (kind, bare id, flags) with one bounds check.
    let [code, id @ .., flags] = r.array::<10>()?;
    let kind = peer_kind(code)?;
    let id = PeerId::new(kind.class(), i64::from_le_bytes(id));
    if previous.is_some_and(|last| id <= last) {
        return Err(CodecError::invalid(
            "peer id",
            "peers must be sorted by class and id, without repeats",
        ));
    }
    if flags & !peer_flag::ALL != 0 {
        return Err(CodecError::invalid(
            "peer flags",
            format!("unknown bits {:#04x}", flags & !peer_flag::ALL),
        ));
    }
    let has = |bit: u8| flags & bit != 0;
    let access_hash = if has(peer_flag::ACCESS_HASH) {
        Some(r.i64()?)
    } else {
        None
    };
    let username = if has(peer_flag::USERNAME) {
        Some(CompactString::new(r.str("peer username")?))
    } else {
        None
    };
    let phone = if has(peer_flag::PHONE) {
        Some(CompactString::new(r.str("peer phone")?))
    } else {
        None
    };
    let peer = Peer {
        kind,
        access_hash,
        username,
        phone,
        min: has(peer_flag::MIN),
    };
    Ok((id, peer))
}

/// Writes min contexts: count (u32), then per user: user id, chat id (i64), message id (i32), by user id.
fn write_min_contexts(
    w: &mut Writer,
    contexts: &BTreeMap<i64, MinContext>,
) -> Result<(), CodecError> {
    w.count("min_contexts", contexts.len())?;
    for (&user_id, context) in contexts {
        w.i64(user_id);
        w.i64(context.chat_id);
        w.i32(context.msg_id);
    }
    Ok(())
}

/// Reads min contexts; user ids **must** be strictly increasing.
fn read_min_contexts(r: &mut Reader<'_>) -> Result<BTreeMap<i64, MinContext>, CodecError> {
    let count = r.nonzero_count("min_contexts", MIN_CONTEXT_LEN)?;
    let mut contexts = BTreeMap::new();
    let mut last = None;
    for _ in 0..count {
        let user_id = r.i64()?;
        let context = MinContext {
            chat_id: r.i64()?,
            msg_id: r.i32()?,
        };
        if last.is_some_and(|last| user_id <= last) {
            return Err(CodecError::invalid(
                "min_contexts section",
                "user ids are out of order or repeated",
            ));
        }
        last = Some(user_id);
        contexts.insert(user_id, context);
    }
    Ok(contexts)
}

/// A logout token: the whole payload, 1 to [`LogoutToken::MAX_LEN`] bytes.
pub(super) fn read_logout_token(r: &mut Reader<'_>) -> Result<LogoutToken, CodecError> {
    let bytes = r.bytes(r.remaining())?;
    LogoutToken::new(bytes.to_vec()).ok_or_else(|| {
        CodecError::invalid(
            "logout_token section",
            format!("a logout token is 1 to {} bytes", LogoutToken::MAX_LEN),
        )
    })
}
