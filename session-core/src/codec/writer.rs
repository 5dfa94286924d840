//! An append-only little-endian writer with length-prefixed sections.

use super::error::CodecError;

pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Writer {
        Writer {
            buf: Vec::with_capacity(capacity),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    /// A `u16`-length-prefixed UTF-8 string.
    pub(crate) fn string(&mut self, field: &'static str, s: &str) -> Result<(), CodecError> {
        let len = u16::try_from(s.len()).map_err(|_| CodecError::LimitExceeded {
            what: field,
            limit: u64::from(u16::MAX),
        })?;
        self.u16(len);
        self.bytes(s.as_bytes());
        Ok(())
    }

    /// A `u32` element count.
    pub(crate) fn count(&mut self, what: &'static str, n: usize) -> Result<(), CodecError> {
        let n = u32::try_from(n).map_err(|_| CodecError::LimitExceeded {
            what,
            limit: u64::from(u32::MAX),
        })?;
        self.u32(n);
        Ok(())
    }

    /// Writes a section: its tag, a `u32` payload length, and the payload written by `payload`.
    pub(crate) fn section<T>(
        &mut self,
        tag: u16,
        payload: impl FnOnce(&mut Writer) -> T,
    ) -> Result<T, CodecError> {
        self.u16(tag);
        let len_at = self.buf.len();
        self.u32(0);
        let out = payload(self);
        let len = self.buf.len() - len_at - 4;
        self.patch_u32(len_at, "section", len)?;
        Ok(out)
    }

    /// Overwrites the `u32` at `at` with `value`.
    pub(crate) fn patch_u32(
        &mut self,
        at: usize,
        what: &'static str,
        value: usize,
    ) -> Result<(), CodecError> {
        let value = u32::try_from(value).map_err(|_| CodecError::LimitExceeded {
            what,
            limit: u64::from(u32::MAX),
        })?;
        self.buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
        Ok(())
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }
}
