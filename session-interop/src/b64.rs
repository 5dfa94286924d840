//! Strict base64 in the alphabets and paddings the string formats use.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::Zeroizing;

/// How a string format spells its base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base64 {
    /// URL-safe alphabet (`-`, `_`), `=` padding required (Telethon).
    UrlPadded,
    /// URL-safe alphabet, no padding (Pyrogram, layer).
    UrlUnpadded,
    /// Standard alphabet (`+`, `/`), `=` padding required (GramJS).
    StdPadded,
}

impl Base64 {
    fn engine(self) -> GeneralPurpose {
        let (alphabet, pad, mode) = match self {
            Base64::UrlPadded => (
                &alphabet::URL_SAFE,
                true,
                DecodePaddingMode::RequireCanonical,
            ),
            Base64::UrlUnpadded => (&alphabet::URL_SAFE, false, DecodePaddingMode::RequireNone),
            Base64::StdPadded => (
                &alphabet::STANDARD,
                true,
                DecodePaddingMode::RequireCanonical,
            ),
        };
        let config = GeneralPurposeConfig::new()
            .with_encode_padding(pad)
            .with_decode_padding_mode(mode)
            .with_decode_allow_trailing_bits(false);
        GeneralPurpose::new(alphabet, config)
    }

    /// Decodes `text`, which must be entirely in this alphabet and padding (no whitespace, canonical
    /// trailing bits). The result holds key material and is zeroized on drop. The error says what is wrong
    /// without quoting the input.
    pub(crate) fn decode(self, text: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        self.engine()
            .decode(text)
            .map(Zeroizing::new)
            .map_err(|err| match err {
                base64::DecodeError::InvalidByte(offset, _) => {
                    format!(
                        "a character outside the {} alphabet at offset {offset}",
                        self.name()
                    )
                }
                base64::DecodeError::InvalidLength(_) => {
                    "a base64 length that no input can have".to_owned()
                }
                base64::DecodeError::InvalidLastSymbol(offset, _) => {
                    format!("non-canonical base64 at offset {offset}")
                }
                base64::DecodeError::InvalidPadding => format!("not {}", self.name()),
            })
    }

    /// Encodes `bytes`; the text holds key material and is zeroized on drop.
    pub(crate) fn encode(self, bytes: &[u8]) -> Zeroizing<String> {
        Zeroizing::new(self.engine().encode(bytes))
    }

    fn name(self) -> &'static str {
        match self {
            Base64::UrlPadded => "padded URL-safe base64",
            Base64::UrlUnpadded => "unpadded URL-safe base64",
            Base64::StdPadded => "padded standard base64",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabets_and_padding_are_strict() {
        assert_eq!(
            *Base64::UrlPadded.decode(b"-_8=").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::UrlPadded.decode(b"-_8").is_err());
        assert!(Base64::UrlPadded.decode(b"+/8=").is_err());
        assert_eq!(
            *Base64::StdPadded.decode(b"+/8=").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::StdPadded.decode(b"-_8=").is_err());
        assert_eq!(
            *Base64::UrlUnpadded.decode(b"-_8").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::UrlUnpadded.decode(b"-_8=").is_err());
        assert!(
            Base64::UrlUnpadded.decode(b"-_9").is_err(),
            "trailing bits must be zero"
        );
        assert_eq!(Base64::UrlUnpadded.encode(&[0xfb, 0xff]).as_str(), "-_8");
    }
}
