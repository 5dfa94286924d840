//! The journal beside a session file: `.<name>.jnl`, a header naming the journal's epoch and the index of
//! its first record, then the records (`docs/FORMAT.md`, "Journal"), appended one write and one `fdatasync`
//! at a time.
//!
//! ```text
//! header  magic 8A 54 47 4A 4E 4C 0D 0A ("\x8aTGJNL\r\n"), version u16 = 1, reserved u16 = 0,
//!         epoch bytes[16], base u64, CRC-32C u32 of the 36 bytes before it (40 bytes in all)
//! records one after the other, each a whole record; a last one that is cut or damaged is a torn append,
//!         left out by readers and cut off by the next append; a damaged one with whole records after
//!         it is corruption (a crash never makes it), reported and never cut off
//! ```
//!
//! The slot's epoch is the one its snapshot (the session file) names; a journal of another epoch, with a
//! damaged header, or ending before the snapshot's position belongs to a session that was replaced and holds
//! nothing to apply. A crash between a compaction's two renames leaves the new snapshot with the old
//! journal: the snapshot's position tells which of its records are included, so nothing is lost or applied
//! twice.

use std::fs::{self, File};
use std::io;
use std::ops::Range;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::time::Duration;

use session_core::{
    CodecError, Epoch, ErrorKind, FencingToken, Journal, JournalPosition, Record, Session,
    StorageError,
};

use crate::error::{io_error, BACKEND};
use crate::fsio::{
    check_dir, open_companion, open_companion_for_reading, remove_if_present, sync_dir,
};
use crate::lock::WriteLock;
use crate::ops::{open_regular, read_all, replace, replace_file};
use crate::paths::SessionPaths;

/// The first eight bytes of a journal file.
const MAGIC: [u8; 8] = *b"\x8aTGJNL\r\n";
/// The journal file format this build writes and reads.
const VERSION: u16 = 1;
/// The size of the header.
pub(crate) const HEADER_LEN: usize = 40;

/// The header of a journal that starts at record `base` of `epoch`.
fn header(epoch: &Epoch, base: u64) -> [u8; HEADER_LEN] {
    let mut out = [0; HEADER_LEN];
    out[..8].copy_from_slice(&MAGIC);
    out[8..10].copy_from_slice(&VERSION.to_le_bytes());
    out[12..28].copy_from_slice(epoch.as_bytes());
    out[28..36].copy_from_slice(&base.to_le_bytes());
    let crc = crc32c::crc32c(&out[..36]);
    out[36..].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The epoch and base of a journal file's header, if it has a valid one.
fn parse_header(data: &[u8]) -> Option<(Epoch, u64)> {
    let head = data.get(..HEADER_LEN)?;
    let valid = head[..8] == MAGIC
        && head[8..10] == VERSION.to_le_bytes()
        && head[10..12] == [0, 0]
        && crc32c::crc32c(&head[..36]).to_le_bytes() == head[36..];
    if !valid {
        return None;
    }
    let mut epoch = [0; 16];
    epoch.copy_from_slice(&head[12..28]);
    let mut base = [0; 8];
    base.copy_from_slice(&head[28..36]);
    Some((Epoch::from_bytes(epoch), u64::from_le_bytes(base)))
}

/// A journal file as read: its epoch and base, and where its whole records lie in `data`.
struct Parsed {
    epoch: Epoch,
    base: u64,
    records: Vec<Range<usize>>,
    /// Where the last whole record ends: a longer file has a torn append at its end.
    end: usize,
    /// Whether a whole record of the journal's epoch starts somewhere after `end`: then the bytes at `end`
    /// are not a torn append (a crash only ever tears the last record) but a damaged record, and the
    /// records after it are acknowledged ones that must be neither dropped nor cut off.
    damaged: bool,
    /// Whether the bytes at `end` start a record of a newer record version than this build reads: written
    /// by a newer tgsession, so neither torn nor to be cut off.
    newer: bool,
}

/// Parses the journal file `data`; `None` without a valid header.
fn parse(data: &[u8]) -> Option<Parsed> {
    let (epoch, base) = parse_header(data)?;
    let mut records = Vec::new();
    let mut at = HEADER_LEN;
    while let Some(len) = Record::length_at(&data[at..]) {
        records.push(at..at + len);
        at += len;
    }
    // Only the bytes after the last whole record are searched: nothing in normal operation, a part of one
    // record after a crash. A record counts only if it is of this journal's epoch (bytes 8..24 of a record,
    // `docs/FORMAT.md`): one of another epoch could only be a leftover of an older journal.
    let damaged = (at + 1..data.len()).any(|from| {
        Record::length_at(&data[from..]).is_some()
            && data.get(from + 8..from + 24) == Some(&epoch.as_bytes()[..])
    });
    let newer = newer_record(&data[at..]);
    Some(Parsed {
        epoch,
        base,
        records,
        end: at,
        damaged,
        newer,
    })
}

/// The journal file `data` as the journal of the snapshot at `position`, or `None` when it is not that
/// snapshot's journal and holds nothing for it: no valid header, another epoch, or a journal that starts
/// after the position or ends before it (one a crash left behind when a store had replaced the session
/// file but not yet removed it). Fails with [`ErrorKind::Corrupt`] if it is the snapshot's journal but a
/// record other than the last is damaged.
fn fitting(
    paths: &SessionPaths,
    data: &[u8],
    position: JournalPosition,
) -> Result<Option<Parsed>, StorageError> {
    if newer_header(data) {
        return Err(newer_version(paths, "its header"));
    }
    let Some(parsed) = parse(data) else {
        return Ok(None);
    };
    if parsed.epoch != position.epoch || parsed.base > position.next {
        return Ok(None);
    }
    if parsed.newer {
        return Err(newer_version(
            paths,
            format_args!("the record at byte {}", parsed.end),
        ));
    }
    if parsed.damaged {
        return Err(StorageError::new(
            ErrorKind::Corrupt,
            BACKEND,
            format!(
                "{}: the record at byte {} is damaged, yet whole records follow it (a crash only ever \
                 tears the last record): the journal is corrupt. Nothing was changed; storing a whole \
                 session replaces it",
                paths.journal.display(),
                parsed.end
            ),
        ));
    }
    if parsed.base + (parsed.records.len() as u64) < position.next {
        return Ok(None);
    }
    Ok(Some(parsed))
}

/// Whether `data` starts with a whole, undamaged record (its checksum holds) of a newer record version than
/// this build reads. A damaged or cut one is a torn append like any other.
fn newer_record(data: &[u8]) -> bool {
    // The record frame (`docs/FORMAT.md`): magic (4), version (2), kind (2), epoch (16), payload length (4),
    // payload, CRC-32C (4) of everything before it.
    const FRAME_HEADER: usize = 28;
    if !matches!(
        Record::decode(data),
        Err(CodecError::UnsupportedVersion { .. })
    ) {
        return false;
    }
    let len = u32::from_le_bytes([data[24], data[25], data[26], data[27]]) as usize;
    let covered = FRAME_HEADER.saturating_add(len);
    match data.get(covered..covered.saturating_add(4)) {
        Some(stored) => crc32c::crc32c(&data[..covered]).to_le_bytes() == stored,
        None => false,
    }
}

/// Whether `data` starts with an undamaged journal header (its checksum holds) of a newer file version
/// than this build reads. A damaged header is no journal; a newer one must not be overwritten.
fn newer_header(data: &[u8]) -> bool {
    data.len() >= HEADER_LEN
        && data[..8] == MAGIC
        && u16::from_le_bytes([data[8], data[9]]) > VERSION
        && crc32c::crc32c(&data[..36]).to_le_bytes() == data[36..HEADER_LEN]
}

/// The error for a journal that a newer version of tgsession wrote (`what` names the part): nothing is read
/// past it or cut off.
fn newer_version(paths: &SessionPaths, what: impl std::fmt::Display) -> StorageError {
    StorageError::new(
        ErrorKind::Unsupported,
        BACKEND,
        format!(
            "{}: {what} was written by a newer version of tgsession; nothing was changed (upgrade to \
             read or append to this journal)",
            paths.journal.display()
        ),
    )
}

/// The journal position the snapshot `data` names, if it is a tgsession snapshot with one.
fn position_of(data: &[u8]) -> Option<JournalPosition> {
    Session::snapshot_position(data).ok().flatten()
}

/// The records of the journal file that apply to the snapshot `position`: those of its epoch, from the
/// journal's base on (the reader skips the ones the snapshot includes).
fn applicable(
    paths: &SessionPaths,
    journal: &[u8],
    position: JournalPosition,
) -> Result<(u64, Vec<Range<usize>>), StorageError> {
    Ok(match fitting(paths, journal, position)? {
        Some(parsed) => (parsed.base, parsed.records),
        None => (position.next, Vec::new()),
    })
}

/// The session file, the position it names, and the journal file when it names one, read without the lock
/// as one consistent pair; `None` if the session file does not exist in an existing directory.
///
/// Writers replace or remove the session file before they replace or remove the journal (`store`,
/// `compact`, `delete`), so a journal read while the session file is still the one read belongs to it; if
/// the session file was replaced meanwhile, both are read again. Without this a load racing a compaction
/// could pair the old session file with the new journal, which starts after the old file's position, and
/// miss the records in between. The session file stays open until the check, so that its inode number
/// cannot be reused by a new file.
fn read_slot(paths: &SessionPaths) -> Result<Option<Slot>, StorageError> {
    /// Each attempt is undone only by a write that completed during it.
    const ATTEMPTS: usize = 100;
    for _ in 0..ATTEMPTS {
        let Some((file, meta)) = open_regular(&paths.target)? else {
            check_dir(paths)?;
            return Ok(None);
        };
        let snapshot = read_all(&file, &meta, &paths.target)?;
        let Some(position) = position_of(&snapshot) else {
            return Ok(Some(Slot {
                snapshot,
                position: None,
                journal: None,
            }));
        };
        let journal = read_journal(paths)?;
        match fs::metadata(&paths.target) {
            Ok(now) if FileId::of(&now) == FileId::of(&meta) => {
                return Ok(Some(Slot {
                    snapshot,
                    position: Some(position),
                    journal,
                }));
            }
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(io_error(err, "inspect", &paths.target)),
        }
        drop(file);
    }
    Err(StorageError::new(
        ErrorKind::Unavailable,
        BACKEND,
        format!(
            "{} was replaced {ATTEMPTS} times while it was being read with its journal; try again",
            paths.target.display()
        ),
    ))
}

/// What [`read_slot`] reads.
struct Slot {
    snapshot: Vec<u8>,
    position: Option<JournalPosition>,
    journal: Option<Vec<u8>>,
}

/// The journal file's bytes, or `None` if there is none. It is opened like an append opens it: a
/// symbolic link, a hard link, a non-file or another user's file there is refused with
/// [`ErrorKind::PermissionDenied`], never read.
fn read_journal(paths: &SessionPaths) -> Result<Option<Vec<u8>>, StorageError> {
    let Some(file) = open_companion_for_reading(&paths.journal, paths)? else {
        return Ok(None);
    };
    let meta = file
        .metadata()
        .map_err(|err| io_error(err, "inspect", &paths.journal))?;
    read_all(&file, &meta, &paths.journal).map(Some)
}

/// The stored value for a plain load: the snapshot as it is when no journal record follows it, else the
/// snapshot with the records applied, encoded again with the position after them; `None` if the slot is
/// absent.
pub(crate) fn load(paths: &SessionPaths) -> Result<Option<Vec<u8>>, StorageError> {
    let Some(slot) = read_slot(paths)? else {
        return Ok(None);
    };
    let (Some(position), Some(journal)) = (slot.position, slot.journal) else {
        return Ok(Some(slot.snapshot));
    };
    let (base, records) = applicable(paths, &journal, position)?;
    if base + records.len() as u64 <= position.next {
        return Ok(Some(slot.snapshot));
    }
    let value = journal_of(slot.snapshot, base, &journal, &records).materialize()?;
    Ok(Some(value.into()))
}

/// The [`Journal`] of `snapshot` and the records at `ranges` of `journal`.
fn journal_of(snapshot: Vec<u8>, base: u64, journal: &[u8], ranges: &[Range<usize>]) -> Journal {
    Journal {
        snapshot: snapshot.into(),
        base,
        records: ranges
            .iter()
            .map(|range| session_core::Bytes::copy_from_slice(&journal[range.clone()]))
            .collect(),
    }
}

/// The snapshot and the records after it, or `None` if the slot is absent. Takes no lock: snapshot and
/// journal are each replaced by a rename or only appended to, [`read_slot`] reads them as a pair, and a
/// half-appended last record is left out.
pub(crate) fn load_journal(paths: &SessionPaths) -> Result<Option<Journal>, StorageError> {
    let Some(slot) = read_slot(paths)? else {
        return Ok(None);
    };
    let Some(position) = slot.position else {
        return Ok(Some(journal_of(slot.snapshot, 0, &[], &[])));
    };
    let journal = slot.journal.unwrap_or_default();
    let (base, records) = applicable(paths, &journal, position)?;
    Ok(Some(journal_of(slot.snapshot, base, &journal, &records)))
}

/// After the session file was replaced (under the write lock): removes the journal of the session it
/// replaced, so that none of its records can apply to the new snapshot. A snapshot that names a position
/// gets its journal on its first append, so storing a new session costs nothing more than the session file.
pub(crate) fn reset(paths: &SessionPaths) -> Result<(), StorageError> {
    if remove_if_present(&paths.journal, paths)? {
        sync_dir(paths)?;
    }
    Ok(())
}

/// What a handle remembers of the journal it appended to last, so that the next append needs no read:
/// valid only while the session file and the journal are the very files (and sizes) it saw.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// The session file as read, its identity and the position it names. It is kept open: a file's inode
    /// number is reused for a new file as soon as the old one is gone (ext4 does so at once), and a session
    /// file replaced twice by others could otherwise come back with the remembered number and size but
    /// another epoch, letting this handle append a record of the replaced session.
    snapshot: Option<(File, FileId, Option<JournalPosition>)>,
    /// The journal file's identity and length, and the index of the next record.
    journal: Option<(FileId, u64, u64)>,
}

/// What tells one file from another, and one version of an appended file from the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
        }
    }
}

/// Appends `record` to the journal of `epoch` under the write lock; returns its index.
pub(crate) fn append(
    paths: &SessionPaths,
    cursor: &mut Cursor,
    epoch: Epoch,
    record: &[u8],
    timeout: Duration,
    fence: Option<FencingToken>,
) -> Result<u64, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, fence)?;
    let position = slot_position(paths, cursor)?;
    check_epoch(paths, position, epoch)?;
    let Some(position) = position else {
        return Err(no_journal(paths));
    };
    let existed = paths.journal.exists();
    let file = open_companion(&paths.journal, paths, "open the journal")?;
    let meta = file
        .metadata()
        .map_err(|err| io_error(err, "inspect", &paths.journal))?;
    let id = FileId::of(&meta);
    let found = match cursor.journal {
        Some((known, end, next)) if known == id && end == id.len => Some((end, next)),
        _ => find_end(paths, &file, &meta, position)?,
    };
    cursor.journal = None;
    // A journal of a replaced session (or none yet) holds nothing that applies any more: it is started
    // afresh, header and record in one write.
    let (start, data, next) = match found {
        Some((end, next)) => (end, std::borrow::Cow::Borrowed(record), next),
        None => {
            let mut fresh = header(&position.epoch, position.next).to_vec();
            fresh.extend_from_slice(record);
            (0, std::borrow::Cow::Owned(fresh), position.next)
        }
    };
    if id.len > start {
        // A torn append (a crash mid-write), or a stale journal, is cut off before the record goes after it.
        file.set_len(start)
            .map_err(|err| io_error(err, "cut a torn record off", &paths.journal))?;
    }
    let written = file
        .write_all_at(&data, start)
        .and_then(|()| file.sync_data());
    if let Err(err) = written {
        // Best effort: the next append cuts off whatever part of the record reached the file.
        let _ = file.set_len(start);
        return Err(io_error(err, "append to", &paths.journal));
    }
    if !existed {
        sync_dir(paths)?;
    }
    let len = start + data.len() as u64;
    cursor.journal = Some((FileId { len, ..id }, len, next + 1));
    Ok(next)
}

/// The valid end of the journal `file` (after its last whole record) and the index of the next record;
/// `None` when it is not the journal of the snapshot at `position` (see [`fitting`]), or is empty, so it
/// must be started afresh.
fn find_end(
    paths: &SessionPaths,
    file: &File,
    meta: &fs::Metadata,
    position: JournalPosition,
) -> Result<Option<(u64, u64)>, StorageError> {
    let data = read_all(file, meta, &paths.journal)?;
    Ok(fitting(paths, &data, position)?
        .map(|parsed| (parsed.end as u64, parsed.base + parsed.records.len() as u64)))
}

/// The position the slot's snapshot names (`None`: no journal), read again only if the session file is not
/// the one the cursor holds.
fn slot_position(
    paths: &SessionPaths,
    cursor: &mut Cursor,
) -> Result<Option<JournalPosition>, StorageError> {
    let meta = match fs::metadata(&paths.target) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(no_journal(paths)),
        Err(err) => return Err(io_error(err, "inspect", &paths.target)),
    };
    if let Some((_, known, position)) = &cursor.snapshot {
        if *known == FileId::of(&meta) {
            return Ok(*position);
        }
    }
    cursor.snapshot = None;
    cursor.journal = None;
    let Some((file, meta)) = open_regular(&paths.target)? else {
        return Err(no_journal(paths));
    };
    let snapshot = read_all(&file, &meta, &paths.target)?;
    let position = position_of(&snapshot);
    cursor.snapshot = Some((file, FileId::of(&meta), position));
    Ok(position)
}

/// Fails with a conflict unless the slot's journal has `epoch`.
fn check_epoch(
    paths: &SessionPaths,
    position: Option<JournalPosition>,
    epoch: Epoch,
) -> Result<(), StorageError> {
    match position {
        Some(position) if position.epoch == epoch => Ok(()),
        Some(position) => Err(StorageError::new(
            ErrorKind::Conflict,
            BACKEND,
            format!(
                "{}: the session was replaced: its journal is of {:?}, not {epoch:?}; nothing was written",
                paths.target.display(),
                position.epoch
            ),
        )),
        None => Err(no_journal(paths)),
    }
}

/// The conflict of a write to a journal the slot does not have.
fn no_journal(paths: &SessionPaths) -> StorageError {
    StorageError::new(
        ErrorKind::Conflict,
        BACKEND,
        format!(
            "{} has no journal (it is absent, or was stored whole without one); nothing was written",
            paths.target.display()
        ),
    )
}

/// Replaces the snapshot with `snapshot` (which includes the records before `position.next`) and drops
/// those records, under the write lock: the new session file first, then a new journal holding the records
/// from `position.next` on.
pub(crate) fn compact(
    paths: &SessionPaths,
    cursor: &mut Cursor,
    snapshot: &[u8],
    position: JournalPosition,
    timeout: Duration,
    fence: Option<FencingToken>,
) -> Result<(), StorageError> {
    if let Some(reason) = position.mismatch(snapshot) {
        return Err(StorageError::new(ErrorKind::InvalidInput, BACKEND, reason));
    }
    let _lock = WriteLock::acquire(paths, timeout, fence)?;
    *cursor = Cursor::default();
    let current = slot_position(paths, cursor)?;
    check_epoch(paths, current, position.epoch)?;
    let Some(current) = current else {
        return Err(no_journal(paths));
    };
    let journal = read_journal(paths)?.unwrap_or_default();
    let (base, records) = applicable(paths, &journal, current)?;
    let end = base + records.len() as u64;
    if position.next < current.next || position.next > end {
        return Err(StorageError::new(
            ErrorKind::Conflict,
            BACKEND,
            format!(
                "{}: cannot compact through record {}: the snapshot includes records up to {} and the \
                 journal ends at {end}; nothing was written",
                paths.target.display(),
                position.next,
                current.next
            ),
        ));
    }
    let mut kept = header(&position.epoch, position.next).to_vec();
    let skip = usize::try_from(position.next - base).unwrap_or(usize::MAX);
    for range in records.iter().skip(skip) {
        kept.extend_from_slice(&journal[range.clone()]);
    }
    *cursor = Cursor::default();
    replace(paths, snapshot)?;
    replace_file(paths, &paths.journal, &kept)
}
