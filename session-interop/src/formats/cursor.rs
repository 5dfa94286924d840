//! A checked reader over a byte slice, for the binary formats and the decoded string sessions: little-endian
//! for grammers' TL file and layer, big-endian for the Telethon, GramJS and Pyrogram strings.
//!
//! Every read checks the remaining length first and fails with [`InteropError::Malformed`] naming what was
//! being read; a failed read consumes nothing. Nothing here indexes, panics or allocates from a length field.

use crate::error::InteropError;
use crate::format::Format;

/// The byte order of a cursor's multi-byte integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

/// Reads fields from the front of a byte slice, integers in one byte order. (Its `Debug` shows lengths only:
/// the bytes hold auth keys.)
pub(super) struct Cursor<'a> {
    format: Format,
    order: Order,
    rest: &'a [u8],
    offset: usize,
}

impl std::fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("format", &self.format)
            .field("order", &self.order)
            .field("offset", &self.offset)
            .field("left", &self.rest.len())
            .finish()
    }
}

/// Generates a method that reads one integer type in the cursor's byte order.
macro_rules! int_reader {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("An `", stringify!($ty), "` in the cursor's byte order.")]
            pub(super) fn $name(&mut self, what: &str) -> Result<$ty, InteropError> {
                let bytes = self.array(what)?;
                Ok(match self.order {
                    Order::Little => <$ty>::from_le_bytes(bytes),
                    Order::Big => <$ty>::from_be_bytes(bytes),
                })
            }
        )*
    };
}

impl<'a> Cursor<'a> {
    /// A cursor reading little-endian integers from the start of `bytes`, whose errors name `format`.
    pub(super) fn le(format: Format, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor::new(format, Order::Little, bytes)
    }

    /// A cursor reading big-endian integers from the start of `bytes`, whose errors name `format`.
    pub(super) fn be(format: Format, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor::new(format, Order::Big, bytes)
    }

    fn new(format: Format, order: Order, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor {
            format,
            order,
            rest: bytes,
            offset: 0,
        }
    }

    /// The format errors are reported for.
    pub(super) fn format(&self) -> Format {
        self.format
    }

    /// A [`InteropError::Malformed`] error for this cursor's format, with the current offset.
    pub(super) fn error(&self, reason: impl std::fmt::Display) -> InteropError {
        InteropError::malformed(self.format, format!("{reason} (at byte {})", self.offset))
    }

    /// The next `len` bytes; `what` names them in the error when the input ends first.
    pub(super) fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], InteropError> {
        let Some((head, tail)) = self.rest.split_at_checked(len) else {
            return Err(self.error(format_args!(
                "the input ends inside {what} ({len} bytes needed, {} left)",
                self.rest.len()
            )));
        };
        self.rest = tail;
        self.offset += len;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(super) fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], InteropError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `u8`.
    pub(super) fn u8(&mut self, what: &str) -> Result<u8, InteropError> {
        self.array::<1>(what).map(|[byte]| byte)
    }

    int_reader!(u16: u16, i16: i16, i32: i32, u32: u32, i64: i64, u64: u64);

    /// Checks a count field against the input left: `count` items of at least `min_item_len` bytes each must
    /// fit, so a corrupted count fails here instead of driving a huge allocation or a long loop.
    pub(super) fn count(
        &self,
        count: usize,
        min_item_len: usize,
        what: &str,
    ) -> Result<usize, InteropError> {
        let needed = count.checked_mul(min_item_len);
        if needed.is_some_and(|needed| needed <= self.rest.len()) {
            Ok(count)
        } else {
            Err(self.error(format_args!(
                "{count} {what} cannot fit in the {} bytes left",
                self.rest.len()
            )))
        }
    }

    /// Succeeds only when every byte has been read.
    pub(super) fn finish(self) -> Result<(), InteropError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error(format_args!(
                "{} bytes after the end of the session",
                self.rest.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_stops_at_the_end() {
        let bytes = [1, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff, 9];
        let mut cursor = Cursor::le(Format::Layer, &bytes);
        assert_eq!(cursor.u8("a").unwrap(), 1);
        assert_eq!(cursor.u16("b").unwrap(), 0x1234);
        assert_eq!(cursor.i32("c").unwrap(), -1);
        let err = cursor.i32("the pts").unwrap_err().to_string();
        assert!(
            err.contains("the pts") && err.contains("at byte 7"),
            "{err}"
        );
        assert_eq!(cursor.u8("d").unwrap(), 9, "a failed read consumes nothing");
        assert!(cursor.finish().is_ok());
    }

    #[test]
    fn reads_big_endian() {
        let bytes = [0x12, 0x34, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 1, 0];
        let mut cursor = Cursor::be(Format::PyrogramString, &bytes);
        assert_eq!(cursor.u16("a").unwrap(), 0x1234);
        assert_eq!(cursor.i16("b").unwrap(), -2);
        assert_eq!(cursor.u64("c").unwrap(), 256);
        assert!(cursor.u8("d").is_err());
        assert!(cursor.finish().is_ok());
        let mut both = [
            Cursor::le(Format::Layer, &bytes),
            Cursor::be(Format::Layer, &bytes),
        ];
        let [le, be] = &mut both;
        assert_eq!(le.u32("x").unwrap(), 0xfeff_3412);
        assert_eq!(be.u32("x").unwrap(), 0x1234_fffe);
    }

    #[test]
    fn leftover_bytes_and_short_inputs_are_errors() {
        let mut cursor = Cursor::be(Format::PyrogramString, &[1, 2]);
        assert_eq!(cursor.u8("a").unwrap(), 1);
        assert!(cursor.u32("b").is_err());
        assert!(cursor.take(usize::MAX, "c").is_err());
        let err = cursor.finish().unwrap_err().to_string();
        assert!(err.contains("1 bytes after the end"), "{err}");
    }

    #[test]
    fn counts_must_fit_in_the_input() {
        let cursor = Cursor::le(Format::Layer, &[0; 10]);
        assert_eq!(cursor.count(5, 2, "peers").unwrap(), 5);
        assert!(cursor.count(6, 2, "peers").is_err());
        assert!(cursor.count(usize::MAX, 2, "peers").is_err());
        assert!(Cursor::le(Format::Layer, &[]).finish().is_ok());
    }
}
