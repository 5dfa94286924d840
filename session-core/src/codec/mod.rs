//! The versioned binary session format: framing (magic, version, length, checksum) and sections.
//!
//! `docs/FORMAT.md` at the repository root is the specification; this module implements it.

mod error;
mod patch;
mod reader;
mod record;
mod sections;
mod tag;
mod unknown;
mod writer;

pub use self::error::CodecError;
pub(crate) use self::patch::{read_patch, write_patch, PatchPayload};
use self::reader::Reader;
pub(crate) use self::record::{read_record, write_record, KIND_PATCH};
pub use self::record::{RECORD_MAGIC, RECORD_VERSION};
pub use self::unknown::UnknownSections;
use self::writer::Writer;
use crate::journal::JournalPosition;
use crate::session::Session;

/// The first eight bytes of every encoded session.
pub const MAGIC: [u8; 8] = *b"\x89TGS\r\n\x1a\n";

/// The format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;

const HEADER_LEN: usize = 16;
const CHECKSUM_LEN: usize = 4;

impl Session {
    /// Encodes the session in the tgsession binary format (`docs/FORMAT.md`).
    ///
    /// The output is deterministic: equal sessions give equal bytes. It fails only when a value does not fit
    /// the format (a string over 65,535 bytes, a peer whose kind does not match its id's class).
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        self.encode_with(None)
    }

    /// Encodes the session as a journal snapshot: like [`encode`](Self::encode), with a `journal` section
    /// saying which journal records the session already includes (every record of `position.epoch` before
    /// index `position.next`). See `docs/FORMAT.md`, "Journal".
    pub fn encode_snapshot(&self, position: &JournalPosition) -> Result<Vec<u8>, CodecError> {
        self.encode_with(Some(position))
    }

    fn encode_with(&self, position: Option<&JournalPosition>) -> Result<Vec<u8>, CodecError> {
        let mut w = Writer::with_capacity(HEADER_LEN + CHECKSUM_LEN + sections::size_hint(self));
        w.bytes(&MAGIC);
        w.u16(FORMAT_VERSION);
        w.u16(0);
        w.u32(0);
        sections::write_all(&mut w, self, position)?;
        let body_len = w.len() - HEADER_LEN;
        w.patch_u32(12, "session body", body_len)?;
        let checksum = crc32c::crc32c(w.as_slice());
        w.u32(checksum);
        Ok(w.into_vec())
    }

    /// Decodes a session encoded by [`Session::encode`], checking magic, version, length and checksum first.
    ///
    /// Any input gives `Ok` or a [`CodecError`], never a panic; the decoder allocates at most a small multiple
    /// of the input's length. A newer format version fails with [`CodecError::UnsupportedVersion`].
    pub fn decode(data: &[u8]) -> Result<Session, CodecError> {
        Session::decode_snapshot(data).map(|(session, _)| session)
    }

    /// Decodes a session like [`decode`](Self::decode), with the journal position a snapshot carries
    /// (`None` for a session encoded by [`encode`](Self::encode)).
    pub fn decode_snapshot(data: &[u8]) -> Result<(Session, Option<JournalPosition>), CodecError> {
        let body = unframe(data)?;
        sections::read_all(Reader::new(body))
    }

    /// The journal position of a snapshot, without decoding the session: checks the frame and the checksum
    /// and walks the section headers. What a storage needs to know which journal a snapshot starts.
    pub fn snapshot_position(data: &[u8]) -> Result<Option<JournalPosition>, CodecError> {
        let body = unframe(data)?;
        sections::find_position(Reader::new(body))
    }
}

/// Checks the frame and returns the body (the sections).
fn unframe(data: &[u8]) -> Result<&[u8], CodecError> {
    let magic_len = data.len().min(MAGIC.len());
    if data[..magic_len] != MAGIC[..magic_len] {
        return Err(CodecError::BadMagic);
    }
    let mut header = Reader::new(data);
    header.bytes(MAGIC.len())?;
    let version = header.u16()?;
    if version > FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(CodecError::invalid(
            "format_version",
            "version 0 does not exist",
        ));
    }
    let reserved = header.u16()?;
    if reserved != 0 {
        return Err(CodecError::invalid(
            "reserved",
            format!("must be 0, found {reserved:#06x}"),
        ));
    }
    let body_len = usize::try_from(header.u32()?).map_err(|_| CodecError::Truncated)?;
    let total = HEADER_LEN
        .checked_add(body_len)
        .and_then(|n| n.checked_add(CHECKSUM_LEN))
        .ok_or(CodecError::Truncated)?;
    if data.len() < total {
        return Err(CodecError::Truncated);
    }
    if data.len() > total {
        return Err(CodecError::invalid(
            "session",
            format!("{} unexpected bytes after the checksum", data.len() - total),
        ));
    }
    let (covered, stored) = data.split_at(HEADER_LEN + body_len);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = crc32c::crc32c(covered);
    if stored != computed {
        return Err(CodecError::ChecksumMismatch { stored, computed });
    }
    Ok(&covered[HEADER_LEN..])
}
