//! The values the cases write.

use bytes::Bytes;

/// `len` random bytes.
pub(crate) fn random_bytes(len: usize) -> Bytes {
    let mut data = vec![0; len];
    fastrand::fill(&mut data);
    Bytes::from(data)
}

/// `len` (at least 8) bytes: `tag` as 8 big-endian bytes, then random bytes. Tags let a case tell which of
/// many written values a load returned.
pub(crate) fn tagged(tag: u64, len: usize) -> Bytes {
    let mut data = vec![0; len.max(8)];
    data[..8].copy_from_slice(&tag.to_be_bytes());
    fastrand::fill(&mut data[8..]);
    Bytes::from(data)
}

/// The tag of a value built by [`tagged`], if it is long enough to have one.
pub(crate) fn tag_of(data: &[u8]) -> Option<u64> {
    let head: [u8; 8] = data.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(head))
}

/// A counter value: 8 big-endian bytes.
pub(crate) fn counter(value: u64) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

/// The number in a counter value, or `None` if it is not exactly 8 bytes.
pub(crate) fn counter_value(data: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(data.try_into().ok()?))
}

/// Starts of values that storages take for something else: compressed data, archives, images, databases,
/// text with a byte-order mark, serialized data, our own formats. A storage that sniffs, decompresses, decodes
/// or normalizes what it recognizes breaks values that merely start like these.
pub(crate) const LOOKALIKE_HEADS: &[(&str, &[u8])] = &[
    ("a gzip header", b"\x1f\x8b\x08\x00"),
    ("a Unix compress header", b"\x1f\x9d\x90"),
    ("a zstd frame", b"\x28\xb5\x2f\xfd"),
    ("a zlib header", b"\x78\x9c"),
    ("a zlib header of the best compression", b"\x78\xda"),
    ("a bzip2 header", b"BZh91AY&SY"),
    ("an xz header", b"\xfd7zXZ\0"),
    ("an LZ4 frame", b"\x04\x22\x4d\x18"),
    ("a Snappy frame", b"\xff\x06\x00\x00sNaPpY"),
    ("a ZIP header", b"PK\x03\x04"),
    ("a 7-Zip header", b"7z\xbc\xaf\x27\x1c"),
    ("an SQLite header", b"SQLite format 3\0"),
    ("an OLE header", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ("a PNG header", b"\x89PNG\r\n\x1a\n"),
    ("a JPEG header", b"\xff\xd8\xff\xe0"),
    ("a GIF header", b"GIF89a"),
    ("a RIFF header", b"RIFF\x24\x00\x00\x00WAVE"),
    ("a PDF header", b"%PDF-1.7\n"),
    ("an ELF header", b"\x7fELF\x02\x01\x01"),
    ("a Windows executable header", b"MZ\x90\x00"),
    ("a WebAssembly header", b"\0asm\x01\0\0\0"),
    ("a Java class header", b"\xca\xfe\xba\xbe"),
    ("a tgsession header", b"\x89TGS\r\n\x1a\n"),
    ("a tgsession journal record header", b"\x8aTGJ"),
    ("a UTF-8 byte-order mark", b"\xef\xbb\xbf"),
    ("a UTF-16 LE byte-order mark", b"\xff\xfe"),
    ("a UTF-16 BE byte-order mark", b"\xfe\xff"),
    ("a UTF-32 LE byte-order mark", b"\xff\xfe\0\0"),
    ("a UTF-32 BE byte-order mark", b"\0\0\xfe\xff"),
    ("a MessagePack map", b"\x82\xa7session\xc4"),
    ("a CBOR map", b"\xa2\x67session"),
    ("a BSON document", b"\x16\x00\x00\x00\x02"),
    ("JSON", b"{\"session\": [1, 2, 3], \"x\": null}"),
    ("a JSON array", b"[1, 2, \"three\", {}]"),
    ("an XML declaration", b"<?xml version=\"1.0\"?>\n"),
    ("a PEM header", b"-----BEGIN PRIVATE KEY-----\n"),
    ("a shebang", b"#!/bin/sh\n"),
    ("a Telethon string session", b"1BVtsOKABu3J0QW5hZ2VyIGRj"),
    ("base64 with padding", b"QUJDRA==\n"),
    ("a percent-encoded text", b"a%2Bb+c%20d"),
    (
        "CRLF text with trailing spaces",
        b"line one  \r\nline two\t \r\n",
    ),
    ("leading whitespace", b" \t\r\n x"),
    ("a lone high surrogate in UTF-8 form", b"\xed\xa0\x80"),
    ("NUL bytes", b"\0\0\0\0\0\0\0\0"),
    ("0xff bytes", b"\xff\xff\xff\xff\xff\xff"),
];

/// Whole values that text- and type-minded storages turn into something else (a SQL `NULL`, a number, a
/// boolean, trimmed text). Stored as they are, they must come back exactly.
pub(crate) const LOOKALIKE_VALUES: &[(&str, &[u8])] = &[
    ("the text null", b"null"),
    ("the text NULL", b"NULL"),
    ("the text nil", b"nil"),
    ("the text None", b"None"),
    ("the text undefined", b"undefined"),
    ("the text true", b"true"),
    ("the text false", b"false"),
    ("the text OK", b"OK"),
    ("zero", b"0"),
    ("a number with leading zeros", b"007"),
    ("negative zero", b"-0"),
    ("a number with a plus sign", b"+1"),
    ("a decimal with a trailing zero", b"1.50"),
    ("a number in exponent form", b"1e3"),
    ("a number beyond 64 bits", b"18446744073709551616"),
    ("a hex number", b"0x1F"),
    ("an empty JSON string", b"\"\""),
    ("an empty JSON object", b"{}"),
    ("an empty JSON array", b"[]"),
    ("one space", b" "),
    ("one newline", b"\n"),
    ("CRLF", b"\r\n"),
    ("one tab", b"\t"),
    ("one NUL byte", b"\0"),
    ("one 0xff byte", b"\xff"),
    ("text with trailing spaces", b"abc   "),
    ("text with a trailing tab and newline", b"abc\t\n"),
    ("text with leading spaces", b"   abc"),
    ("text ending in a Ctrl-Z", b"abc\x1a"),
];

/// Last bytes that storages trim or rewrite (padding, line ends, C strings, base64 padding, Ctrl-Z).
pub(crate) const TRIMMED_TAILS: &[(&str, &[u8])] = &[
    ("a space", b" "),
    ("two spaces", b"  "),
    ("a tab", b"\t"),
    ("a newline", b"\n"),
    ("CRLF", b"\r\n"),
    ("a CR", b"\r"),
    ("a NUL byte", b"\0"),
    ("an equals sign", b"="),
    ("a Ctrl-Z", b"\x1a"),
];

/// Every lookalike value of the suite, each with what it is: each head of [`LOOKALIKE_HEADS`] alone and
/// followed by `tail`, each value of [`LOOKALIKE_VALUES`], and `tail` and a short text each followed by each
/// of [`TRIMMED_TAILS`].
pub(crate) fn lookalikes(tail: &[u8]) -> Vec<(String, Bytes)> {
    let mut values = Vec::new();
    for (what, head) in LOOKALIKE_HEADS {
        values.push((format!("{what} alone"), Bytes::copy_from_slice(head)));
        values.push((
            format!("{} bytes starting with {what}", head.len() + tail.len()),
            [head, tail].concat().into(),
        ));
    }
    for (what, value) in LOOKALIKE_VALUES {
        values.push(((*what).to_owned(), Bytes::copy_from_slice(value)));
    }
    for (what, end) in TRIMMED_TAILS {
        values.push((
            format!("{} bytes ending with {what}", tail.len() + end.len()),
            [tail, end].concat().into(),
        ));
        values.push((
            format!("text ending with {what}"),
            [b"some text".as_slice(), end].concat().into(),
        ));
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_counters_round_trip() {
        let value = tagged(42, 100);
        assert_eq!(value.len(), 100);
        assert_eq!(tag_of(&value), Some(42));
        assert_eq!(tag_of(&value[..7]), None);
        assert_eq!(counter_value(&counter(200)), Some(200));
        assert_eq!(counter_value(&[0; 7]), None);
    }

    #[test]
    fn lookalikes_are_distinct() {
        let values = lookalikes(b"tail");
        let mut bytes: Vec<&Bytes> = values.iter().map(|(_, value)| value).collect();
        bytes.sort();
        bytes.dedup();
        assert_eq!(bytes.len(), values.len());
    }

    #[test]
    fn random_values_differ() {
        let (a, b) = (random_bytes(64), random_bytes(64));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
