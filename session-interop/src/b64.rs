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
    /// trailing bits) and decode to at most `max_len` bytes: a longer text is refused before anything is
    /// decoded, so no reader spends memory on input longer than its format can be. The result holds key
    /// material and is zeroized on drop. The error says what is wrong without quoting the input.
    pub(crate) fn decode(self, text: &[u8], max_len: usize) -> Result<Zeroizing<Vec<u8>>, String> {
        // Every 4 characters decode to 3 bytes, so `max_len` bytes never take more characters than this.
        let max_chars = (max_len / 3 + 1).saturating_mul(4);
        if text.len() > max_chars {
            return Err(format!(
                "{} characters of text, more than a session of this kind has (at most {max_len} bytes once \
                 decoded)",
                text.len()
            ));
        }
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

    impl Base64 {
        fn decode_test(self, text: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
            self.decode(text, 16)
        }
    }

    #[test]
    fn texts_longer_than_the_limit_are_refused_before_decoding() {
        let text = Base64::UrlUnpadded.encode(&[7; 16]);
        assert_eq!(
            Base64::UrlUnpadded
                .decode(text.as_bytes(), 16)
                .unwrap()
                .len(),
            16
        );
        let err = Base64::UrlUnpadded.decode(&[b'A'; 100], 16).unwrap_err();
        assert!(err.contains("100 characters"), "{err}");
        for max in 0..20 {
            let text = Base64::StdPadded.encode(&vec![1; max]);
            assert!(
                Base64::StdPadded.decode(text.as_bytes(), max).is_ok(),
                "{max}"
            );
        }
    }

    #[test]
    fn alphabets_and_padding_are_strict() {
        assert_eq!(
            *Base64::UrlPadded.decode_test(b"-_8=").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::UrlPadded.decode_test(b"-_8").is_err());
        assert!(Base64::UrlPadded.decode_test(b"+/8=").is_err());
        assert_eq!(
            *Base64::StdPadded.decode_test(b"+/8=").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::StdPadded.decode_test(b"-_8=").is_err());
        assert_eq!(
            *Base64::UrlUnpadded.decode_test(b"-_8").unwrap(),
            vec![0xfb, 0xff]
        );
        assert!(Base64::UrlUnpadded.decode_test(b"-_8=").is_err());
        assert!(
            Base64::UrlUnpadded.decode_test(b"-_9").is_err(),
            "trailing bits must be zero"
        );
        assert_eq!(Base64::UrlUnpadded.encode(&[0xfb, 0xff]).as_str(), "-_8");
    }
}
