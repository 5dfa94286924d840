//! grammers-session ≤ 0.7: the TL-serialized session file. Read only.
//!
//! The file is one boxed TL object (all integers little-endian):
//!
//! ```text
//! session#a73eb8ce flags:# dcs:Vector<DataCenter> user:flags.0?User state:flags.1?UpdateState
//! dataCenter#756d16b6 flags:# id:int ipv4:flags.0?int ipv6:flags.1?int128 port:int auth:flags.2?bytes
//! user#672f428d id:long dc:int bot:Bool
//! updateState#d0cadcc1 pts:int qts:int date:int seq:int channels:Vector<ChannelState>
//! channelState#c2b0f8cd channel_id:long pts:int
//! ```
//!
//! `Vector` is `0x1cb5c415`, a count and the (boxed) items; `Bool` is `boolTrue#997275b5` or
//! `boolFalse#bc799737`; `bytes` is a length byte below 254 (or 254 and a 3-byte length) and the data, padded
//! with zero bytes to a multiple of 4.
//!
//! **Addresses.** grammers keeps an IPv4 address in the `int` with its octets in network order *in the file*:
//! the four bytes of the little-endian `int` are `a, b, c, d` of `a.b.c.d` (149.154.167.51 is stored as
//! `95 9a a7 33`). The `int128` of an IPv6 address likewise holds its 16 octets in network order. Both
//! addresses of a DC share its one `port`.
//!
//! **Mapping.** Each `dataCenter` gives one [`DcEntry`] (a DC listed twice is malformed); an auth key of
//! all zeros means no key. The `user` gives [`Session::user`] (id, bot flag and its DC as `User::dc`) and
//! its DC is the [home DC](Session::home_dc): the file has no other record of it, so a file without a user
//! has no home DC. The `updateState` gives the [update state](Session::update_state) with its channels.
//! Nothing in the format is dropped on reading.
//!
//! **Checks.** Constructor ids, flag bits (no unknown ones), `Bool` values, padding, DC ids (1 to
//! [`common::MAX_DC_ID`]), addresses (one a client can connect to: not unspecified, in `0.0.0.0/8`, broadcast
//! or multicast), ports (1 to 65535), key length, user and channel ids (positive) are all checked; a
//! DC with no address, a repeated DC or channel, truncated input and trailing bytes are errors. Vector counts
//! are checked against the input left before anything is read or allocated.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use session_core::{DcEntry, Session, UpdateState, User};

use super::cursor::Cursor;
use super::{addr, common};
use crate::error::InteropError;
use crate::format::Format;
use crate::report::Imported;

const FORMAT: Format = Format::GrammersTl;

/// TL constructor ids.
const SESSION: u32 = 0xa73e_b8ce;
const DATA_CENTER: u32 = 0x756d_16b6;
const USER: u32 = 0x672f_428d;
const UPDATE_STATE: u32 = 0xd0ca_dcc1;
const CHANNEL_STATE: u32 = 0xc2b0_f8cd;
const VECTOR: u32 = 0x1cb5_c415;
const BOOL_TRUE: u32 = 0x9972_75b5;
const BOOL_FALSE: u32 = 0xbc79_9737;

/// `session` flag bits.
const HAS_USER: u32 = 1;
const HAS_STATE: u32 = 2;

/// `dataCenter` flag bits.
const HAS_IPV4: u32 = 1;
const HAS_IPV6: u32 = 2;
const HAS_AUTH: u32 = 4;

/// The smallest boxed `dataCenter` (constructor, flags, id, port) and `channelState` (constructor, id, pts).
const MIN_DATA_CENTER_LEN: usize = 16;
const MIN_CHANNEL_STATE_LEN: usize = 16;

/// Reads a grammers ≤ 0.7 session file.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let mut tl = Tl(Cursor::le(FORMAT, bytes));
    tl.constructor(SESSION, "session")?;
    let flags = tl.flags(HAS_USER | HAS_STATE, "session")?;
    let dcs = tl.vector(MIN_DATA_CENTER_LEN, "data centers", data_center)?;
    let user = if flags & HAS_USER != 0 {
        Some(user(&mut tl)?)
    } else {
        None
    };
    let update_state = if flags & HAS_STATE != 0 {
        Some(update_state(&mut tl)?)
    } else {
        None
    };
    tl.0.finish()?;
    let mut seen = BTreeSet::new();
    if let Some(dc) = dcs.iter().find(|dc| !seen.insert(dc.id)) {
        return Err(InteropError::malformed(
            FORMAT,
            format!("DC {} is listed twice", dc.id),
        ));
    }
    let session = Session {
        home_dc: user.as_ref().and_then(|user| user.dc),
        dcs,
        user,
        update_state,
        ..Session::default()
    };
    Ok(Imported {
        session,
        dropped: Vec::new(),
    })
}

/// `dataCenter`.
fn data_center(tl: &mut Tl<'_>) -> Result<DcEntry, InteropError> {
    tl.constructor(DATA_CENTER, "data center")?;
    let flags = tl.flags(HAS_IPV4 | HAS_IPV6 | HAS_AUTH, "data center")?;
    let id = common::dc_id(FORMAT, tl.0.i32("a DC id")?.into())?;
    let ipv4 = (flags & HAS_IPV4 != 0)
        .then(|| tl.0.array::<4>("an IPv4 address").map(Ipv4Addr::from))
        .transpose()?;
    let ipv6 = (flags & HAS_IPV6 != 0)
        .then(|| tl.0.array::<16>("an IPv6 address").map(Ipv6Addr::from))
        .transpose()?;
    let port = addr::port(FORMAT, tl.0.i32("a port")?.into())?;
    for ip in [ipv4.map(IpAddr::V4), ipv6.map(IpAddr::V6)]
        .into_iter()
        .flatten()
    {
        addr::check_read(FORMAT, ip)?;
    }
    let auth_key = if flags & HAS_AUTH != 0 {
        common::auth_key(FORMAT, tl.bytes("an auth key")?)?
    } else {
        None
    };
    if ipv4.is_none() && ipv6.is_none() {
        return Err(InteropError::malformed(
            FORMAT,
            format!("DC {id} has no address"),
        ));
    }
    Ok(DcEntry {
        ipv4: ipv4.map(|ip| SocketAddrV4::new(ip, port)),
        ipv6: ipv6.map(|ip| SocketAddrV6::new(ip, port, 0, 0)),
        auth_key,
        ..DcEntry::new(id)
    })
}

/// `user` (boxed).
fn user(tl: &mut Tl<'_>) -> Result<User, InteropError> {
    tl.constructor(USER, "user")?;
    let id = tl.positive_id("a user id")?;
    let dc = common::dc_id(FORMAT, tl.0.i32("the user's DC")?.into())?;
    let bot = tl.bool("the user's bot flag")?;
    Ok(User {
        id,
        bot,
        username: None,
        dc: Some(dc),
    })
}

/// `updateState` (boxed) with its channels.
fn update_state(tl: &mut Tl<'_>) -> Result<UpdateState, InteropError> {
    tl.constructor(UPDATE_STATE, "update state")?;
    let pts = tl.0.i32("the pts")?;
    let qts = tl.0.i32("the qts")?;
    let date = tl.0.i32("the date")?;
    let seq = tl.0.i32("the seq")?;
    let list = tl.vector(MIN_CHANNEL_STATE_LEN, "channel states", |tl| {
        tl.constructor(CHANNEL_STATE, "channel state")?;
        Ok((tl.positive_id("a channel id")?, tl.0.i32("a channel pts")?))
    })?;
    let mut channels = BTreeMap::new();
    for (channel, pts) in list {
        if channels.insert(channel, pts).is_some() {
            return Err(InteropError::malformed(
                FORMAT,
                format!("channel {channel} has two update states"),
            ));
        }
    }
    Ok(UpdateState {
        pts,
        qts,
        date,
        seq,
        channels,
    })
}

/// The TL primitives on top of a [`Cursor`].
struct Tl<'a>(Cursor<'a>);

impl<'a> Tl<'a> {
    /// A constructor id that must be `expected`.
    fn constructor(&mut self, expected: u32, what: &str) -> Result<(), InteropError> {
        let id = self.0.u32(what)?;
        if id == expected {
            Ok(())
        } else {
            Err(self.0.error(format_args!(
                "expected the {what} constructor {expected:#010x}, found {id:#010x}"
            )))
        }
    }

    /// A `flags:#` field with no bits outside `known`.
    fn flags(&mut self, known: u32, what: &str) -> Result<u32, InteropError> {
        let flags = self.0.u32(what)?;
        if flags & !known == 0 {
            Ok(flags)
        } else {
            Err(self.0.error(format_args!(
                "unknown flag bits {:#x} in the {what} flags",
                flags & !known
            )))
        }
    }

    /// A `Bool`.
    fn bool(&mut self, what: &str) -> Result<bool, InteropError> {
        match self.0.u32(what)? {
            BOOL_TRUE => Ok(true),
            BOOL_FALSE => Ok(false),
            _ => Err(self.0.error(format_args!("{what} is not a Bool"))),
        }
    }

    /// A `long` that must be a positive (bare) user or channel id.
    fn positive_id(&mut self, what: &str) -> Result<i64, InteropError> {
        let id = self.0.i64(what)?;
        if id > 0 {
            Ok(id)
        } else {
            Err(self.0.error(format_args!("{what} that is not positive")))
        }
    }

    /// A TL `bytes` string: its data, with the zero padding checked and skipped.
    fn bytes(&mut self, what: &str) -> Result<&'a [u8], InteropError> {
        let (len, header) = match self.0.u8(what)? {
            254 => {
                let [a, b, c] = self.0.array(what)?;
                (
                    usize::from(a) | usize::from(b) << 8 | usize::from(c) << 16,
                    4,
                )
            }
            255 => return Err(self.0.error(format_args!("{what} with length byte 255"))),
            len => (usize::from(len), 1),
        };
        let data = self.0.take(len, what)?;
        let padding = (4 - (header + len) % 4) % 4;
        if self.0.take(padding, what)?.iter().any(|&b| b != 0) {
            return Err(self.0.error(format_args!("{what} with non-zero padding")));
        }
        Ok(data)
    }

    /// A boxed `Vector` of items read by `item`, each at least `min_item_len` bytes long.
    fn vector<T>(
        &mut self,
        min_item_len: usize,
        what: &str,
        mut item: impl FnMut(&mut Tl<'a>) -> Result<T, InteropError>,
    ) -> Result<Vec<T>, InteropError> {
        self.constructor(VECTOR, &format!("{what} vector"))?;
        let count = usize::try_from(self.0.u32(what)?).unwrap_or(usize::MAX);
        let count = self.0.count(count, min_item_len, what)?;
        (0..count).map(|_| item(self)).collect()
    }
}
