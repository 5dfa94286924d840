//! The framing of journal records (`docs/FORMAT.md`, "Journal records"): magic, version, kind, epoch,
//! payload length, payload, CRC-32C.

use super::error::CodecError;
use super::reader::Reader;
use super::writer::Writer;

/// The first four bytes of every journal record.
pub const RECORD_MAGIC: [u8; 4] = *b"\x8aTGJ";

/// The record format version this build writes, and the newest it reads.
pub const RECORD_VERSION: u16 = 1;

/// The kind of a record holding a patch.
pub(crate) const KIND_PATCH: u16 = 1;

/// Bytes before the payload: magic, version, kind, epoch, payload length.
pub(crate) const RECORD_HEADER_LEN: usize = 4 + 2 + 2 + 16 + 4;

/// The bytes after the payload: the checksum.
const RECORD_CHECKSUM_LEN: usize = 4;

/// One record as framed: its kind, the epoch it belongs to, and its payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawRecord<'a> {
    pub(crate) kind: u16,
    pub(crate) epoch: [u8; 16],
    pub(crate) payload: &'a [u8],
}

/// Frames `payload` as a record of `kind` in `epoch`.
pub(crate) fn write_record(
    kind: u16,
    epoch: [u8; 16],
    payload: impl FnOnce(&mut Writer) -> Result<(), CodecError>,
) -> Result<Vec<u8>, CodecError> {
    let mut w = Writer::with_capacity(RECORD_HEADER_LEN + RECORD_CHECKSUM_LEN + 64);
    w.bytes(&RECORD_MAGIC);
    w.u16(RECORD_VERSION);
    w.u16(kind);
    w.bytes(&epoch);
    w.u32(0);
    payload(&mut w)?;
    let len = w.len() - RECORD_HEADER_LEN;
    w.patch_u32(RECORD_HEADER_LEN - 4, "record payload", len)?;
    let checksum = crc32c::crc32c(w.as_slice());
    w.u32(checksum);
    Ok(w.into_vec())
}

/// Reads the record at the start of `data`; returns it and how many bytes it takes. Checks, in order: the
/// magic, that the header is there, the version, that the whole record is there, the checksum.
pub(crate) fn read_record(data: &[u8]) -> Result<(RawRecord<'_>, usize), CodecError> {
    let magic_len = data.len().min(RECORD_MAGIC.len());
    if data[..magic_len] != RECORD_MAGIC[..magic_len] {
        return Err(CodecError::BadMagic);
    }
    let mut r = Reader::new(data);
    r.bytes(RECORD_MAGIC.len())?;
    let version = r.u16()?;
    let kind = r.u16()?;
    let epoch = r.array::<16>()?;
    let len = usize::try_from(r.u32()?).map_err(|_| CodecError::Truncated)?;
    if version > RECORD_VERSION {
        return Err(CodecError::UnsupportedVersion {
            found: version,
            supported: RECORD_VERSION,
        });
    }
    if version == 0 {
        return Err(CodecError::invalid(
            "record version",
            "version 0 does not exist",
        ));
    }
    let total = RECORD_HEADER_LEN
        .checked_add(len)
        .and_then(|n| n.checked_add(RECORD_CHECKSUM_LEN))
        .ok_or(CodecError::Truncated)?;
    if data.len() < total {
        return Err(CodecError::Truncated);
    }
    let covered = &data[..RECORD_HEADER_LEN + len];
    let stored = &data[RECORD_HEADER_LEN + len..total];
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = crc32c::crc32c(covered);
    if stored != computed {
        return Err(CodecError::ChecksumMismatch { stored, computed });
    }
    Ok((
        RawRecord {
            kind,
            epoch,
            payload: &covered[RECORD_HEADER_LEN..],
        },
        total,
    ))
}
