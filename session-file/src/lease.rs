//! The file lease: `flock(2)` on `.<name>.hold`, held for the lease's life and released by the kernel when
//! the holder exits or is killed, and the lease record (with its fencing token) kept durably in that file.
//!
//! The record is written in one of two 256-byte slots, alternately, each with a sequence number and a
//! checksum, and synced: a write torn by a power loss leaves the other slot, so the token never goes back.
//! Every read and write of the record happens under the session's write lock (`.<name>.lock`), and so does
//! the fence check of every write, so a write and a takeover never interleave.

use std::fs::{File, TryLockError};
use std::os::unix::fs::FileExt;
use std::time::Duration;

use session_core::lease::LeaseRecord;
use session_core::{
    ErrorKind, FencingToken, LeaseGrant, LeaseInfo, LeaseRequest, LeaseState, LeaseTerm,
    StorageError,
};

use crate::error::{io_error, BACKEND};
use crate::fsio::{open_companion, open_companion_for_reading, sync_dir};
use crate::lock::WriteLock;
use crate::paths::SessionPaths;

/// The size of one record slot in the hold file.
const SLOT: u64 = 256;
/// A slot: sequence number (u64 LE), record length (u16 LE), the record, CRC-32C (u32 LE) of all before.
const FRAME_OVERHEAD: usize = 8 + 2 + 4;

/// The lease this handle holds: the locked hold file and its token.
#[derive(Debug)]
pub(crate) struct HeldLease {
    /// Locked for as long as it is open.
    _file: File,
    token: FencingToken,
}

/// The record and the sequence number of the slot it was read from.
struct Stored {
    record: LeaseRecord,
    seq: u64,
}

/// Takes the lease for `request`: under the write lock, locks the hold file without waiting; stores a new
/// record with the next token. Fails with [`ErrorKind::Held`] if another handle or process holds the lock.
pub(crate) fn acquire(
    paths: &SessionPaths,
    held: &mut Option<HeldLease>,
    request: &LeaseRequest,
    timeout: Duration,
) -> Result<LeaseGrant, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, None)?;
    let stored = read(paths)?;
    if held.is_some() {
        return Err(held_error(paths, stored.map(|s| s.record))?);
    }
    let file = open_companion(&paths.hold, paths, "open the lease file")?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(held_error(paths, stored.map(|s| s.record))?);
        }
        Err(TryLockError::Error(err)) => return Err(io_error(err, "lock", &paths.hold)),
    }
    let previous = stored.as_ref().map(|s| &s.record);
    let token = match previous {
        Some(previous) => previous.token.next(BACKEND)?,
        None => FencingToken::FIRST,
    };
    // The lock is ours, so whoever held the lease before is gone (released, or its process ended): no
    // takeover delay applies, and the previous record's state does not matter.
    let record = LeaseRecord {
        token,
        holder: request.holder().clone(),
        state: session_core::lease::RecordState::WhileHeld,
    };
    write(paths, &file, stored.as_ref().map_or(0, |s| s.seq), &record)?;
    *held = Some(HeldLease { _file: file, token });
    Ok(LeaseGrant {
        token,
        term: LeaseTerm::WhileHeld,
    })
}

/// The [`ErrorKind::Held`] error for the lease in `record`, whose lock someone holds.
fn held_error(
    paths: &SessionPaths,
    record: Option<LeaseRecord>,
) -> Result<StorageError, StorageError> {
    match record {
        Some(record) => {
            // Whatever the record says (a broken lease reads as released), the lock is held: its holder's
            // process still has the handle open, and nobody may take the lease before it closes it.
            let mut info = record.info(0);
            info.state = LeaseState::Held { lapses_in: None };
            Ok(StorageError::held(BACKEND, info))
        }
        None => Err(StorageError::new(
            ErrorKind::Corrupt,
            BACKEND,
            format!(
                "{} is locked but holds no lease record",
                paths.hold.display()
            ),
        )),
    }
}

/// Checks under the write lock that `token` is the current lease: `Ok` for a renewal (a file lease needs
/// none, it lasts while its lock is held).
pub(crate) fn renew(
    paths: &SessionPaths,
    token: FencingToken,
    timeout: Duration,
) -> Result<LeaseGrant, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, Some(token))?;
    Ok(LeaseGrant {
        token,
        term: LeaseTerm::WhileHeld,
    })
}

/// Marks the lease of `token` released (if it is the current one) and unlocks it if this handle holds it.
pub(crate) fn release(
    paths: &SessionPaths,
    held: &mut Option<HeldLease>,
    token: FencingToken,
    timeout: Duration,
) -> Result<(), StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, None)?;
    if let Some(mut stored) = read(paths)? {
        if stored.record.token == token {
            stored.record.release(token);
            rewrite(paths, &stored)?;
        }
    }
    if held.as_ref().is_some_and(|lease| lease.token == token) {
        *held = None;
    }
    Ok(())
}

/// The current or last lease. A lease whose lock nobody holds any more (its process ended without
/// releasing it) reads as lapsed just now.
pub(crate) fn read_info(
    paths: &SessionPaths,
    timeout: Duration,
) -> Result<Option<LeaseInfo>, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, None)?;
    let Some(stored) = read(paths)? else {
        return Ok(None);
    };
    let mut info = stored.record.info(0);
    if matches!(info.state, LeaseState::Held { .. }) && !locked_by_someone(paths)? {
        info.state = LeaseState::Lapsed {
            ago: Duration::ZERO,
        };
    }
    Ok(Some(info))
}

/// Whether a process holds the hold file's lock.
fn locked_by_someone(paths: &SessionPaths) -> Result<bool, StorageError> {
    let Some(file) = open_companion_for_reading(&paths.hold, paths)? else {
        return Ok(false);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(err)) => Err(io_error(err, "lock", &paths.hold)),
    }
}

/// Ends the current lease; its holder's writes fail from then on, though its lock stays held until its
/// process closes the handle.
pub(crate) fn break_lease(
    paths: &SessionPaths,
    timeout: Duration,
) -> Result<Option<LeaseInfo>, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, None)?;
    let Some(mut stored) = read(paths)? else {
        return Ok(None);
    };
    let info = stored.record.break_lease(0);
    rewrite(paths, &stored)?;
    Ok(Some(info))
}

/// The fence check of a write, made by [`WriteLock::acquire`] once the write lock is held.
pub(crate) fn check(
    paths: &SessionPaths,
    token: FencingToken,
    action: &str,
) -> Result<(), StorageError> {
    match read(paths)? {
        Some(stored) => stored.record.check(BACKEND, token, action),
        None => Err(StorageError::fenced(BACKEND, token, action)),
    }
}

/// The newest whole record in the hold file; `None` if there is no hold file or it holds no record yet. The
/// caller holds the write lock.
fn read(paths: &SessionPaths) -> Result<Option<Stored>, StorageError> {
    let Some(file) = open_companion_for_reading(&paths.hold, paths)? else {
        return Ok(None);
    };
    let mut newest: Option<Stored> = None;
    let mut damaged = false;
    for slot in 0..2 {
        let mut frame = [0u8; SLOT as usize];
        let read = read_at_most(&file, &mut frame, slot * SLOT, paths)?;
        if read == 0 {
            continue;
        }
        match decode_frame(&frame[..read]) {
            Some((seq, record)) => {
                if newest.as_ref().is_none_or(|n| seq > n.seq) {
                    newest = Some(Stored { record, seq });
                }
            }
            None => damaged = true,
        }
    }
    if newest.is_none() && damaged {
        return Err(StorageError::new(
            ErrorKind::Corrupt,
            BACKEND,
            format!(
                "{} holds no readable lease record: it is damaged or not a lease file",
                paths.hold.display()
            ),
        ));
    }
    Ok(newest)
}

/// Reads up to `buf.len()` bytes at `offset`; fewer at the end of the file.
fn read_at_most(
    file: &File,
    buf: &mut [u8],
    offset: u64,
    paths: &SessionPaths,
) -> Result<usize, StorageError> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(io_error(err, "read", &paths.hold)),
        }
    }
    Ok(done)
}

/// The sequence number and record of a slot, or `None` if it is torn, damaged or empty.
fn decode_frame(frame: &[u8]) -> Option<(u64, LeaseRecord)> {
    let len = usize::from(u16::from_le_bytes(frame.get(8..10)?.try_into().ok()?));
    let end = 10 + len;
    let body = frame.get(..end)?;
    let crc = u32::from_le_bytes(frame.get(end..end + 4)?.try_into().ok()?);
    if crc32c::crc32c(body) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(body[..8].try_into().ok()?);
    let record = LeaseRecord::decode(BACKEND, &body[10..]).ok()?;
    Some((seq, record))
}

/// Writes `stored.record` as the next sequence number over the older slot.
fn rewrite(paths: &SessionPaths, stored: &Stored) -> Result<(), StorageError> {
    let file = open_companion(&paths.hold, paths, "open the lease file")?;
    write(paths, &file, stored.seq, &stored.record)
}

/// Writes `record` with sequence number `seq + 1` into the slot that does not hold `seq`, and syncs it (and
/// the directory, when the file is new).
fn write(
    paths: &SessionPaths,
    file: &File,
    seq: u64,
    record: &LeaseRecord,
) -> Result<(), StorageError> {
    let seq = seq + 1;
    let encoded = record.encode();
    let mut frame = Vec::with_capacity(encoded.len() + FRAME_OVERHEAD);
    frame.extend_from_slice(&seq.to_le_bytes());
    // A record is at most 155 bytes.
    frame.extend_from_slice(&(encoded.len() as u16).to_le_bytes());
    frame.extend_from_slice(&encoded);
    let crc = crc32c::crc32c(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    let new_file = file
        .metadata()
        .map_err(|err| io_error(err, "inspect", &paths.hold))?
        .len()
        == 0;
    file.write_all_at(&frame, (seq % 2) * SLOT)
        .and_then(|()| file.sync_data())
        .map_err(|err| io_error(err, "write the lease record to", &paths.hold))?;
    if new_file {
        sync_dir(paths)?;
    }
    Ok(())
}
