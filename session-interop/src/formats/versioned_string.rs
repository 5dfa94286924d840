//! The frame Telethon and GramJS strings share: the version character `1`, then base64 of the fields.

use zeroize::Zeroizing;

use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;

/// The version character every Telethon and GramJS string starts with.
const VERSION: u8 = b'1';

/// The decoded fields of a string of `format` in `alphabet`: the text after the version character, decoded
/// (refused undecoded when it would be more than `max_len` bytes). `empty` is the reason given for an empty
/// input.
pub(super) fn decode(
    format: Format,
    alphabet: Base64,
    text: &[u8],
    max_len: usize,
    empty: &str,
) -> Result<Zeroizing<Vec<u8>>, InteropError> {
    let body = match text.split_first() {
        None => return Err(InteropError::malformed(format, empty)),
        Some((&VERSION, body)) => body,
        Some(_) => {
            return Err(InteropError::malformed(
                format,
                "it does not start with the version character `1`",
            ))
        }
    };
    alphabet
        .decode(body, max_len)
        .map_err(|reason| InteropError::malformed(format, reason))
}

/// The string for the decoded fields `raw`: the version character, then `raw` in `alphabet`.
pub(super) fn encode(alphabet: Base64, raw: &[u8]) -> Zeroizing<Vec<u8>> {
    let text = alphabet.encode(raw);
    let mut bytes = Zeroizing::new(Vec::with_capacity(1 + text.len()));
    bytes.push(VERSION);
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_character_frames_the_base64() {
        let format = Format::GramjsString;
        let text = encode(Base64::StdPadded, &[0xfb, 0xff]);
        assert_eq!(&text[..], b"1+/8=");
        let raw = decode(format, Base64::StdPadded, &text, 2, "empty").unwrap();
        assert_eq!(&raw[..], [0xfb, 0xff]);
        for (bad, reason) in [
            (&b""[..], "nothing here"),
            (b"2+/8=", "version character"),
            (b"1+/8", "base64"),
        ] {
            let err = decode(format, Base64::StdPadded, bad, 2, "nothing here").unwrap_err();
            assert!(err.to_string().contains(reason), "{err}");
        }
    }
}
