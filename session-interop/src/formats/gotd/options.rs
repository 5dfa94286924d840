//! gotd's `Config.DCOptions` list to DC entries and back.
//!
//! Telegram's config lists one option per address: a DC has IPv4 and IPv6 options, media-only ones, CDN
//! ones, and so on. A [`DcEntry`] holds one IPv4 and one IPv6 address with one set of flags, so reading
//! pairs them: an IPv6 option joins the latest entry of the same DC id and flags when that entry has an IPv4
//! address and no IPv6 one yet; every other option starts an entry. Writing lists each entry's IPv4 option
//! and then its IPv6 option, in order, which reads back into the same entries.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use session_core::{DcEntry, DcFlags};

use super::json::{DcOption, MAX_TEXT};
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::formats::{addr, common};
use crate::report::Dropped;

const FORMAT: Format = Format::GotdJson;

/// The `dcOption` flag bits, as gotd's `Flags` field holds them.
const IPV6: u32 = 1 << 0;
const MEDIA_ONLY: u32 = 1 << 1;
const TCPO_ONLY: u32 = 1 << 2;
const CDN: u32 = 1 << 3;
const STATIC: u32 = 1 << 4;
const THIS_PORT_ONLY: u32 = 1 << 5;

/// One option, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Endpoint {
    pub(super) id: i32,
    pub(super) addr: SocketAddr,
    pub(super) flags: DcFlags,
}

/// The options as read, with counts of what entries cannot hold.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub(super) endpoints: Vec<Endpoint>,
    /// Options with an obfuscation secret.
    pub(super) secrets: usize,
    /// Options with fields this crate does not know.
    pub(super) unknown_fields: usize,
}

/// Checks every option: a plausible DC id, an address of the family its `Ipv6` flag says that a client can
/// connect to, a port, and a secret in standard base64.
pub(super) fn check(options: &[DcOption]) -> Result<Checked, InteropError> {
    let mut checked = Checked::default();
    for (index, option) in options.iter().enumerate() {
        let bad =
            |what: &str| InteropError::malformed(FORMAT, format!("DC option {index}: {what}"));
        let ip = if option.ipv6 {
            option.ip_address.parse::<Ipv6Addr>().map(IpAddr::V6)
        } else {
            option.ip_address.parse::<Ipv4Addr>().map(IpAddr::V4)
        }
        .map_err(|_| bad("the address is not an IP address of the family its Ipv6 flag names"))?;
        let server = addr::server(FORMAT, ip, option.port)?;
        if let Some(secret) = &option.secret {
            Base64::StdPadded
                .decode(secret.as_bytes(), MAX_TEXT)
                .map_err(|reason| bad(&format!("the secret has {reason}")))?;
            checked.secrets += 1;
        }
        checked.unknown_fields += usize::from(option.unknown > 0);
        checked.endpoints.push(Endpoint {
            id: common::dc_id(FORMAT, option.id)?,
            addr: server,
            flags: DcFlags {
                media_only: option.media_only,
                cdn: option.cdn,
                tcpo_only: option.tcpo_only,
                is_static: option.is_static,
                this_port_only: option.this_port_only,
            },
        });
    }
    Ok(checked)
}

/// The entries `endpoints` describe, paired as the module documentation says (in time linear in their
/// number: the latest entry of each DC id and flags is looked up, not searched for).
pub(super) fn entries(endpoints: &[Endpoint]) -> Vec<DcEntry> {
    let mut dcs: Vec<DcEntry> = Vec::new();
    let mut latest: HashMap<(i32, DcFlags), usize> = HashMap::new();
    for endpoint in endpoints {
        let kind = (endpoint.id, endpoint.flags);
        let joinable = latest.get(&kind).copied().filter(|&index| {
            let dc = &dcs[index];
            endpoint.addr.is_ipv6() && dc.ipv4.is_some() && dc.ipv6.is_none()
        });
        match joinable {
            Some(index) => addr::set(&mut dcs[index], endpoint.addr),
            None => {
                let mut dc = addr::entry(endpoint.id, endpoint.addr);
                dc.flags = endpoint.flags;
                latest.insert(kind, dcs.len());
                dcs.push(dc);
            }
        }
    }
    dcs
}

/// The options for `dcs`: each entry's IPv4 and then IPv6 address. An entry without an address has no
/// option and is reported dropped.
///
/// Fails with [`InteropError::Unwritable`] for a DC id, port or address that the reader would refuse.
pub(super) fn options(dcs: &[DcEntry]) -> Result<(Vec<DcOption>, Vec<Dropped>), InteropError> {
    let mut options = Vec::new();
    let mut dropped = Vec::new();
    for dc in dcs {
        if !(1..=common::MAX_DC_ID).contains(&i64::from(dc.id)) {
            return Err(InteropError::Unwritable {
                format: FORMAT,
                reason: format!("DC id {} is not a Telegram DC", dc.id),
            });
        }
        let addrs = [dc.ipv4.map(SocketAddr::V4), dc.ipv6.map(SocketAddr::V6)];
        if addrs.iter().all(Option::is_none) {
            dropped.push(Dropped::new(
                format!("an entry of DC {} without an address", dc.id),
                "gotd's DC options are addresses",
            ));
        }
        for server in addrs.into_iter().flatten() {
            options.push(option(dc, addr::check_write(FORMAT, dc.id, server)?));
        }
    }
    Ok((options, dropped))
}

/// The option for one address of `dc`.
fn option(dc: &DcEntry, addr: SocketAddr) -> DcOption {
    let flags = dc.flags;
    let bits = [
        (addr.is_ipv6(), IPV6),
        (flags.media_only, MEDIA_ONLY),
        (flags.tcpo_only, TCPO_ONLY),
        (flags.cdn, CDN),
        (flags.is_static, STATIC),
        (flags.this_port_only, THIS_PORT_ONLY),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .fold(0, |all, (_, bit)| all | bit);
    DcOption {
        flags: bits,
        ipv6: addr.is_ipv6(),
        media_only: flags.media_only,
        tcpo_only: flags.tcpo_only,
        cdn: flags.cdn,
        is_static: flags.is_static,
        this_port_only: flags.this_port_only,
        id: i64::from(dc.id),
        ip_address: addr.ip().to_string(),
        port: i64::from(addr.port()),
        secret: None,
        unknown: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: i32, addr: &str, media_only: bool) -> Endpoint {
        Endpoint {
            id,
            addr: addr.parse().unwrap(),
            flags: DcFlags {
                media_only,
                ..DcFlags::default()
            },
        }
    }

    #[test]
    fn ipv6_options_join_the_latest_ipv4_entry_of_their_kind() {
        let endpoints = [
            endpoint(1, "149.154.175.53:443", false),
            endpoint(1, "[2001:b28:f23d:f001::a]:443", false),
            endpoint(2, "149.154.167.51:443", false),
            endpoint(2, "149.154.167.151:443", true),
            endpoint(2, "[2001:67c:4e8:f002::a]:443", false),
            endpoint(2, "[2001:67c:4e8:f002::b]:443", true),
            endpoint(2, "[2001:67c:4e8:f002::c]:443", true),
            endpoint(4, "[2001:67c:4e8:f004::a]:443", false),
            endpoint(4, "149.154.167.91:443", false),
        ];
        let dcs = entries(&endpoints);
        let summary: Vec<(i32, bool, bool, bool)> = dcs
            .iter()
            .map(|dc| {
                (
                    dc.id,
                    dc.ipv4.is_some(),
                    dc.ipv6.is_some(),
                    dc.flags.media_only,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, true, true, false),
                (2, true, true, false),
                (2, true, true, true),
                (2, false, true, true),
                (4, false, true, false),
                (4, true, false, false),
            ]
        );
        // Writing lists the entries' addresses so that reading pairs them the same way.
        let (written, dropped) = options(&dcs).unwrap();
        assert!(dropped.is_empty());
        let json = serde_json::to_vec(&written).unwrap();
        let again: Vec<DcOption> = serde_json::from_slice(&json).unwrap();
        assert_eq!(entries(&check(&again).unwrap().endpoints), dcs);
    }

    #[test]
    fn flags_bits_follow_the_booleans() {
        let mut dc = DcEntry::new(2);
        dc.flags.media_only = true;
        dc.flags.this_port_only = true;
        let written = option(&dc, "[::1]:443".parse().unwrap());
        assert_eq!(written.flags, IPV6 | MEDIA_ONLY | THIS_PORT_ONLY);
        assert!(written.ipv6 && written.media_only && written.this_port_only);
    }
}
