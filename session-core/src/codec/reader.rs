//! A bounds-checked cursor over the input: every read fails with `Truncated` instead of panicking.

use super::error::CodecError;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.buf.len() {
            return Err(CodecError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn i32(&mut self) -> Result<i32, CodecError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A `u16`-length-prefixed UTF-8 string, borrowed from the input (the caller makes the owned string it
    /// needs, so a short one can go straight into an inline [`CompactString`](compact_str::CompactString)).
    #[inline]
    pub(crate) fn str(&mut self, field: &'static str) -> Result<&'a str, CodecError> {
        let len = usize::from(self.u16()?);
        let raw = self.bytes(len)?;
        std::str::from_utf8(raw).map_err(|_| CodecError::invalid(field, "not valid UTF-8"))
    }

    /// A `u32` element count, checked against the bytes left so that a forged count cannot make the
    /// decoder allocate more than the input justifies.
    pub(crate) fn count(&mut self, min_element_size: usize) -> Result<usize, CodecError> {
        let count = usize::try_from(self.u32()?).map_err(|_| CodecError::Truncated)?;
        if count > self.remaining() / min_element_size {
            return Err(CodecError::Truncated);
        }
        Ok(count)
    }

    /// A [`count`](Self::count) of a list whose section is omitted when empty, so 0 is not canonical.
    pub(crate) fn nonzero_count(
        &mut self,
        field: &'static str,
        min_element_size: usize,
    ) -> Result<usize, CodecError> {
        match self.count(min_element_size)? {
            0 => Err(CodecError::invalid(
                field,
                "an empty list must be omitted, not written with count 0",
            )),
            n => Ok(n),
        }
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(self, field: &'static str) -> Result<(), CodecError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(CodecError::invalid(
                field,
                format!("{} unexpected trailing bytes", self.buf.len()),
            ))
        }
    }
}
