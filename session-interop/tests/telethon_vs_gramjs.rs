//! Telethon and GramJS strings look alike: both are `1` + padded base64, and a GramJS string whose address has
//! 14 characters (`149.154.167.51`) decodes to 275 bytes, exactly a Telethon IPv6 string. These tests build
//! such strings, with keys chosen so the text uses neither `+`/`/` (GramJS only) nor `-`/`_` (Telethon only),
//! so the alphabet cannot decide, and show that `detect` still names the right single format, by field
//! validity:
//!
//! - In a GramJS string the byte after the DC id is the high byte of the address length, 0 for any address
//!   (at most 45 characters). Read as Telethon IPv6, that is the first byte of the address, which puts it in
//!   `::/8`; the Telethon reader accepts only global unicast IPv6 (`2000::/3`, where every Telegram DC is).
//! - Read as GramJS, a Telethon IPv6 string's address length is its address's first two bytes, at least
//!   `0x2000` for a global unicast address: far more than the string holds.
//! - The only other shared length is 263 bytes (Telethon IPv4), which in GramJS leaves 2 characters for the
//!   address; the only 2-character IP address is `::`, which the GramJS reader rejects as unspecified, and
//!   which Telethon reads as the IPv4 address `0.2.58.58`, rejected as `0.0.0.0/8`.
//!
//! So no string is valid in both formats, and an [`InteropError::Ambiguous`] between them cannot be built;
//! the last tests check the argument's premises instead.

mod support;

use std::net::{IpAddr, SocketAddr};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::prelude::*;
use session_core::{AuthKey, Session};
use session_interop::{detect, read, write, Format, InteropError, WriteOptions};
use support::{assert_malformed, dc_at};

/// A session at `addr` whose key (all `0x41`) keeps the base64 text free of `+`, `/`, `-` and `_` for the
/// addresses used here.
fn neutral_session(addr: &str) -> Session {
    session_with_key(addr.parse().unwrap(), [0x41; 256])
}

fn session_with_key(addr: SocketAddr, key: [u8; 256]) -> Session {
    let mut dc = dc_at(2, addr);
    dc.auth_key = Some(AuthKey::new(key));
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs.push(dc);
    session
}

fn written(format: Format, session: &Session) -> Vec<u8> {
    write(format, session, &WriteOptions::default())
        .unwrap()
        .bytes
        .to_vec()
}

/// Asserts that the alphabet alone cannot tell the formats apart.
fn assert_neutral(text: &[u8]) {
    assert!(
        !text.iter().any(|b| b"+/-_".contains(b)),
        "the test string must use only the characters both alphabets share"
    );
}

#[test]
fn a_gramjs_string_with_a_14_character_address_is_gramjs_not_telethon_ipv6() {
    for addr in [
        "149.154.167.51:443",
        "149.154.175.50:80",
        "149.154.167.91:5222",
    ] {
        let session = neutral_session(addr);
        let text = written(Format::GramjsString, &session);
        assert_eq!(text.len(), 369, "the length of a Telethon IPv6 string");
        assert_eq!(STANDARD.decode(&text[1..]).unwrap().len(), 275);
        assert_neutral(&text);
        assert_eq!(detect(&text).unwrap(), Format::GramjsString, "{addr}");
        assert_eq!(read(Format::GramjsString, &text).unwrap().session, session);
        assert_malformed(
            read(Format::TelethonString, &text),
            Format::TelethonString,
            "global unicast",
        );
    }
}

#[test]
fn a_telethon_ipv6_string_is_telethon_not_gramjs() {
    for addr in [
        "[2001:67c:4e8:f002::a]:443",
        "[2001:b28:f23d:f001::a]:80",
        "[2001:67c:4e8:f004::b]:5222",
    ] {
        let session = neutral_session(addr);
        let text = written(Format::TelethonString, &session);
        assert_eq!(text.len(), 369);
        assert_neutral(&text);
        assert_eq!(detect(&text).unwrap(), Format::TelethonString, "{addr}");
        assert_eq!(
            read(Format::TelethonString, &text).unwrap().session,
            session
        );
        assert_malformed(
            read(Format::GramjsString, &text),
            Format::GramjsString,
            "but an address of 8193 characters",
        );
    }
}

#[test]
fn the_real_vectors_are_told_apart() {
    let gramjs = include_bytes!("vectors/gramjs_2.26.22_string_ipv4.txt");
    let telethon = include_bytes!("vectors/telethon_string_ipv4.txt");
    assert_eq!(detect(gramjs).unwrap(), Format::GramjsString);
    assert_eq!(detect(telethon).unwrap(), Format::TelethonString);
    assert!(read(Format::TelethonString, gramjs).is_err());
    assert!(read(Format::GramjsString, telethon).is_err());
}

#[test]
fn the_only_gramjs_string_of_telethon_ipv4_length_is_neither() {
    let mut raw = vec![2, 0, 2];
    raw.extend_from_slice(b"::");
    raw.extend_from_slice(&443u16.to_be_bytes());
    raw.extend_from_slice(&[0x41; 256]);
    assert_eq!(raw.len(), 263);
    let text = format!("1{}", STANDARD.encode(&raw));
    assert_neutral(text.as_bytes());
    assert_malformed(
        read(Format::GramjsString, text.as_bytes()),
        Format::GramjsString,
        "unspecified",
    );
    assert_malformed(
        read(Format::TelethonString, text.as_bytes()),
        Format::TelethonString,
        "0.0.0.0/8",
    );
    assert!(matches!(
        detect(text.as_bytes()),
        Err(InteropError::Unrecognized { .. })
    ));
}

#[test]
fn the_only_two_character_ip_address_is_the_unspecified_one() {
    let printable = 0x21u8..0x7f;
    let two_char_ips: Vec<String> = printable
        .clone()
        .flat_map(|a| {
            printable
                .clone()
                .map(move |b| String::from_utf8(vec![a, b]).unwrap())
        })
        .filter(|text| text.parse::<IpAddr>().is_ok())
        .collect();
    assert_eq!(two_char_ips, ["::"]);
}

#[test]
fn gramjs_address_lengths_never_reach_the_global_unicast_range() {
    // The longest IP address literal has 45 characters; its length's high byte is 0, an IPv6 address in ::/8.
    let longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    assert!(longest.parse::<IpAddr>().is_ok());
    assert_eq!((longest.len() as i16).to_be_bytes()[0], 0);
}

fn any_key() -> impl Strategy<Value = [u8; 256]> {
    any::<[u8; 32]>().prop_map(|seed| {
        let mut key = [1u8; 256];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte ^= seed[i % 32].wrapping_mul(31).wrapping_add(i as u8);
        }
        key
    })
}

proptest! {
    #[test]
    fn every_gramjs_string_is_detected_as_gramjs(
        octets in any::<[u8; 3]>(), first in 1u8..=223, port in 1u16..=32767, key in any_key()
    ) {
        let addr = SocketAddr::from(([first, octets[0], octets[1], octets[2]], port));
        let text = written(Format::GramjsString, &session_with_key(addr, key));
        prop_assert_eq!(detect(&text).unwrap(), Format::GramjsString);
    }

    #[test]
    fn every_telethon_ipv6_string_is_detected_as_telethon(
        first in 0x2000u16..=0x3fff, rest in any::<[u16; 7]>(), port in 1u16..=u16::MAX, key in any_key()
    ) {
        let segments = [first, rest[0], rest[1], rest[2], rest[3], rest[4], rest[5], rest[6]];
        let addr = SocketAddr::from((segments, port));
        let text = written(Format::TelethonString, &session_with_key(addr, key));
        prop_assert_eq!(detect(&text).unwrap(), Format::TelethonString);
    }
}
