//! Server addresses: parsing them from the forms the formats store, and which of them a session can plausibly
//! hold. Every reader applies the same checks, and every writer refuses what its reader would reject, so that
//! what one format writes the other formats' readers accept again.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use session_core::DcEntry;

use crate::error::InteropError;
use crate::format::Format;

/// Why no client could connect to `ip`, or `None` when it is a usable server address.
///
/// Rejected: the unspecified address (`0.0.0.0`, `::`), IPv4 "this network" `0.0.0.0/8`, the IPv4 broadcast
/// address and multicast addresses. Loopback and private addresses are accepted (local test servers use them).
pub(super) fn unusable(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) if v4.octets()[0] == 0 => {
            Some("an address in 0.0.0.0/8, which no server has")
        }
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("the unspecified address"),
        ip if ip.is_multicast() => Some("a multicast address"),
        _ => None,
    }
}

/// Whether `ip` is a global unicast address (`2000::/3`), the block every Telegram DC's IPv6 address is in.
pub(super) fn is_global_unicast(ip: Ipv6Addr) -> bool {
    ip.segments()[0] & 0xe000 == 0x2000
}

/// A reader's check of a server address: [`InteropError::Malformed`] when no client could connect to it.
pub(super) fn check_read(format: Format, ip: IpAddr) -> Result<IpAddr, InteropError> {
    match unusable(ip) {
        Some(what) => Err(InteropError::malformed(
            format,
            format!("the server address is {what}"),
        )),
        None => Ok(ip),
    }
}

/// A writer's check of the address it is about to write: [`InteropError::Unwritable`] when the port is 0 or
/// no client could connect to the address (the reader would reject the result).
pub(super) fn check_write(
    format: Format,
    dc_id: i32,
    addr: SocketAddr,
) -> Result<SocketAddr, InteropError> {
    let problem = match unusable(addr.ip()) {
        _ if addr.port() == 0 => Some("has port 0"),
        Some(what) => Some(what),
        None => None,
    };
    match problem {
        Some(what) => Err(InteropError::Unwritable {
            format,
            reason: format!("the address of DC {dc_id} is {what}, which no client can connect to"),
        }),
        None => Ok(addr),
    }
}

/// A port as stored (in whatever integer type the format uses): 1 to 65535.
pub(super) fn port(format: Format, port: i64) -> Result<u16, InteropError> {
    match u16::try_from(port) {
        Ok(0) => Err(InteropError::malformed(format, "port 0")),
        Ok(port) => Ok(port),
        Err(_) => Err(InteropError::malformed(
            format,
            format!("port {port} is out of range (must be 1 to 65535)"),
        )),
    }
}

/// The server address of a format that stores the IP address and the port apart, both checked.
pub(super) fn server(format: Format, ip: IpAddr, port: i64) -> Result<SocketAddr, InteropError> {
    Ok(SocketAddr::new(
        check_read(format, ip)?,
        self::port(format, port)?,
    ))
}

/// An IP address literal stored as text (no brackets, no port); its usability is the caller's to check.
pub(super) fn ip_text(format: Format, text: &[u8]) -> Result<IpAddr, InteropError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            InteropError::malformed(format, "the address is not an IPv4 or IPv6 address")
        })
}

/// Parses `a.b.c.d:port` or `[v6]:port` with a port that is not 0; its usability is the caller's to check
/// (see [`socket_addr`]).
pub(super) fn parse(format: Format, text: &str) -> Result<SocketAddr, InteropError> {
    let addr: SocketAddr = text.parse().map_err(|_| {
        InteropError::malformed(format, "an address that is not `ip:port` or `[ipv6]:port`")
    })?;
    port(format, addr.port().into())?;
    Ok(addr)
}

/// Parses `ip:port` as Telethon 2 writes it, with an IPv6 address not in brackets (`2001:db8::1:443`: the
/// port is what follows the last colon), or a bracketed `[v6]:port`; checked as [`socket_addr`] checks.
pub(super) fn socket_addr_unbracketed(
    format: Format,
    text: &str,
) -> Result<SocketAddr, InteropError> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return server(format, addr.ip(), addr.port().into());
    }
    let (ip, port) = text
        .rsplit_once(':')
        .ok_or_else(|| InteropError::malformed(format, "an address that is not `ip:port`"))?;
    let ip: Ipv6Addr = ip
        .parse()
        .map_err(|_| InteropError::malformed(format, "an address that is not `ip:port`"))?;
    let port: u16 = port.parse().map_err(|_| {
        InteropError::malformed(
            format,
            "an address whose port is not a number from 1 to 65535",
        )
    })?;
    server(format, IpAddr::V6(ip), port.into())
}

/// Parses `a.b.c.d:port` or `[v6]:port`: a port that is not 0 and an address a client can connect to.
pub(super) fn socket_addr(format: Format, text: &str) -> Result<SocketAddr, InteropError> {
    let addr = parse(format, text)?;
    check_read(format, addr.ip())?;
    Ok(addr)
}

/// A DC entry of `id` with `addr` as its one address.
pub(super) fn entry(id: i32, addr: SocketAddr) -> DcEntry {
    let mut dc = DcEntry::new(id);
    set(&mut dc, addr);
    dc
}

/// Puts `addr` into `dc`'s IPv4 or IPv6 field.
pub(super) fn set(dc: &mut DcEntry, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => dc.ipv4 = Some(v4),
        SocketAddr::V6(v6) => dc.ipv6 = Some(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_usable_and_placeholders_are_not() {
        for usable in [
            "149.154.167.51",
            "127.0.0.1",
            "10.0.0.1",
            "2001:67c:4e8:f002::a",
            "::1",
        ] {
            assert_eq!(unusable(usable.parse().unwrap()), None, "{usable}");
        }
        for bad in [
            "0.0.0.0",
            "0.2.58.58",
            "255.255.255.255",
            "224.0.0.1",
            "::",
            "ff02::1",
        ] {
            assert!(unusable(bad.parse().unwrap()).is_some(), "{bad}");
        }
    }

    #[test]
    fn global_unicast_is_2000_slash_3() {
        assert!(is_global_unicast("2001:67c:4e8:f002::a".parse().unwrap()));
        assert!(is_global_unicast("3fff::1".parse().unwrap()));
        for other in [
            "::1",
            "e:3134:392e:3135:342e:3136:372e:3531",
            "fc00::1",
            "fe80::1",
            "4000::1",
        ] {
            assert!(!is_global_unicast(other.parse().unwrap()), "{other}");
        }
    }

    #[test]
    fn writers_refuse_port_zero_and_unusable_addresses() {
        let format = Format::TelethonString;
        assert!(check_write(format, 2, "149.154.167.51:443".parse().unwrap()).is_ok());
        for bad in ["149.154.167.51:0", "0.0.0.0:443", "[::]:443"] {
            assert!(matches!(
                check_write(format, 2, bad.parse().unwrap()),
                Err(InteropError::Unwritable { .. })
            ));
        }
    }

    #[test]
    fn ports_and_texts_are_checked() {
        let format = Format::Layer;
        assert_eq!(port(format, 443).unwrap(), 443);
        for bad in [0, -1, 65_536, i64::MIN] {
            assert!(port(format, bad).is_err(), "{bad}");
        }
        assert!(port(format, 70_000)
            .unwrap_err()
            .to_string()
            .contains("port 70000"));
        let ip = "149.154.167.51".parse().unwrap();
        assert!(server(format, ip, 443).is_ok());
        assert!(server(format, "0.0.0.0".parse().unwrap(), 443).is_err());
        assert_eq!(ip_text(format, b"149.154.167.51").unwrap(), ip);
        for bad in [&b"1.2.3.4:5"[..], b"[::1]", b"", b"\xff"] {
            assert!(ip_text(format, bad).is_err());
        }
        assert!(parse(format, "0.0.0.0:443").is_ok());
        assert!(socket_addr(format, "0.0.0.0:443").is_err());
        assert!(socket_addr(format, "[2001:67c:4e8:f002::a]:443").is_ok());
        for bad in ["1.2.3.4", "1.2.3.4:0", "[ff02::1]:443", "1.2.3.4:99999"] {
            assert!(socket_addr(format, bad).is_err(), "{bad}");
        }
        let v6: SocketAddr = "[2001:67c:4e8:f002::a]:443".parse().unwrap();
        for text in ["2001:67c:4e8:f002::a:443", "[2001:67c:4e8:f002::a]:443"] {
            assert_eq!(socket_addr_unbracketed(format, text).unwrap(), v6);
        }
        for bad in [
            "2001:67c:4e8:f002::a",
            "::1:0",
            ":::443",
            "x:443",
            "2001:db8::1:99999",
        ] {
            assert!(socket_addr_unbracketed(format, bad).is_err(), "{bad}");
        }
    }
}
