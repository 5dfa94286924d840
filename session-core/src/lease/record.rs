//! [`LeaseRecord`]: a slot's lease as a value, with the rules of [`LeaseStorage`](crate::LeaseStorage)
//! applied to it, and its byte form — for storages that keep the lease themselves (memory, file, sled, S3)
//! rather than in a server's own expiring keys.

use std::time::Duration;

use super::{FencingToken, HolderId, LeaseInfo, LeaseRequest, LeaseState};
use crate::error::{ErrorKind, StorageError};

/// A slot's current or last lease.
///
/// Times are milliseconds on a clock the storage chooses (the process's monotonic clock for memory, the
/// system clock for sled); every call of one storage must use the same clock. A storage with no clock its
/// callers share (S3) keeps [`RecordState::Observed`] records instead, and passes as "now" how long the
/// caller watched the record unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRecord {
    /// The token of the acquisition; the next one is greater.
    pub token: FencingToken,
    /// Who took it.
    pub holder: HolderId,
    /// Whether it is held, and until when.
    pub state: RecordState,
}

/// Whether a [`LeaseRecord`] is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordState {
    /// Held until the clock reads `expires_at_ms`, after which it has lapsed.
    Until {
        /// When it lapses unless renewed.
        expires_at_ms: u64,
    },
    /// Held for as long as its holder keeps it (a file lock): it never lapses by time.
    WhileHeld,
    /// Released or broken.
    Released,
    /// Held until somebody watched this very record unchanged for `ttl_ms` on their own clock: for a
    /// storage without a clock its users share (S3), where every renewal rewrites the record (`renewals`
    /// counts them, so no two writes of one lease are equal) and a taker judges the lapse by observation.
    Observed {
        /// The holder's time to live, in milliseconds (at most a day, so it fits).
        ttl_ms: u32,
        /// How many times the lease was renewed (wrapping).
        renewals: u32,
    },
}

/// How a lease made by [`LeaseRecord::acquire`] lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// Until an expiry on the storage's clock ([`RecordState::Until`]).
    Timed,
    /// As long as its holder keeps a lock ([`RecordState::WhileHeld`]).
    WhileHeld,
    /// Until a taker watched it unchanged for its time to live ([`RecordState::Observed`]).
    Observed,
}

/// The bytes that start an encoded lease record.
const MAGIC: &[u8; 4] = b"TGSL";
/// The record layout this build writes and reads.
const LAYOUT: u8 = 1;

impl LeaseRecord {
    /// What [`read_lease`](crate::LeaseStorage::read_lease) reports at `now_ms`; for an
    /// [`Observed`](RecordState::Observed) record, `now_ms` is how long the caller has watched it unchanged.
    pub fn info(&self, now_ms: u64) -> LeaseInfo {
        let state = match self.state {
            RecordState::Observed { ttl_ms, .. } if u64::from(ttl_ms) > now_ms => {
                LeaseState::Held {
                    lapses_in: Some(Duration::from_millis(u64::from(ttl_ms) - now_ms)),
                }
            }
            RecordState::Observed { ttl_ms, .. } => LeaseState::Lapsed {
                ago: Duration::from_millis(now_ms - u64::from(ttl_ms)),
            },
            RecordState::Until { expires_at_ms } if expires_at_ms > now_ms => LeaseState::Held {
                lapses_in: Some(Duration::from_millis(expires_at_ms - now_ms)),
            },
            RecordState::Until { expires_at_ms } => LeaseState::Lapsed {
                ago: Duration::from_millis(now_ms - expires_at_ms),
            },
            RecordState::WhileHeld => LeaseState::Held { lapses_in: None },
            RecordState::Released => LeaseState::Released,
        };
        LeaseInfo {
            holder: self.holder.clone(),
            token: self.token,
            state,
        }
    }

    /// The record after `request` acquired the lease at `now_ms`, over `previous` (the slot's last lease, if
    /// any); [`ErrorKind::Held`] if `previous` is still held, or lapsed less than the request's takeover
    /// delay ago. `kind` says how the new lease lasts.
    pub fn acquire(
        backend: &'static str,
        previous: Option<&LeaseRecord>,
        request: &LeaseRequest,
        now_ms: u64,
        kind: RecordKind,
    ) -> Result<LeaseRecord, StorageError> {
        let token = match previous {
            None => FencingToken::FIRST,
            Some(previous) => {
                let info = previous.info(now_ms);
                let free = match info.state {
                    LeaseState::Released => true,
                    LeaseState::Lapsed { ago } => ago >= request.takeover_delay(),
                    LeaseState::Held { .. } => false,
                };
                if !free {
                    return Err(StorageError::held(backend, info));
                }
                previous.token.next(backend)?
            }
        };
        let state = match kind {
            RecordKind::WhileHeld => RecordState::WhileHeld,
            RecordKind::Timed => RecordState::Until {
                expires_at_ms: now_ms.saturating_add(millis(request.ttl())),
            },
            RecordKind::Observed => RecordState::Observed {
                ttl_ms: ttl_millis(request.ttl()),
                renewals: 0,
            },
        };
        Ok(LeaseRecord {
            token,
            holder: request.holder().clone(),
            state,
        })
    }

    /// Extends the lease of `token` to `ttl` after `now_ms` (an [`Observed`](RecordState::Observed) one
    /// takes `ttl` as its time to live and counts the renewal); [`ErrorKind::Fenced`] if `token` is not
    /// this lease or it was released.
    pub fn renew(
        &mut self,
        backend: &'static str,
        token: FencingToken,
        ttl: Duration,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        self.check(backend, token, "renew the lease")?;
        match &mut self.state {
            RecordState::Until { expires_at_ms } => {
                *expires_at_ms = now_ms.saturating_add(millis(ttl));
            }
            RecordState::Observed { ttl_ms, renewals } => {
                *ttl_ms = ttl_millis(ttl);
                *renewals = renewals.wrapping_add(1);
            }
            RecordState::WhileHeld | RecordState::Released => {}
        }
        Ok(())
    }

    /// Releases the lease if `token` is it; does nothing otherwise.
    pub fn release(&mut self, token: FencingToken) {
        if token == self.token {
            self.state = RecordState::Released;
        }
    }

    /// Ends the lease whoever holds it; returns what it was at `now_ms`.
    pub fn break_lease(&mut self, now_ms: u64) -> LeaseInfo {
        let info = self.info(now_ms);
        self.state = RecordState::Released;
        info
    }

    /// Fails with [`ErrorKind::Fenced`] unless `token` is this lease and it was not released: the check
    /// of every fenced write, made under the same lock as the write. (A lapsed lease nobody took over still
    /// passes: its holder's writes cannot race a new holder's.)
    pub fn check(
        &self,
        backend: &'static str,
        token: FencingToken,
        action: &str,
    ) -> Result<(), StorageError> {
        if token == self.token && self.state != RecordState::Released {
            Ok(())
        } else {
            Err(StorageError::fenced(backend, token, action))
        }
    }

    /// The record's bytes: `TGSL`, layout 1, token (u64 LE), state (0 until, 1 while held, 2 released,
    /// 3 observed), a u64 LE (state 0: the expiry in ms; state 3: the time to live in ms in the low 32 bits
    /// and the renewal count in the high 32; else 0), holder length (u8) and holder, CRC-32C (u32 LE) of
    /// all before.
    pub fn encode(&self) -> Vec<u8> {
        let holder = self.holder.as_str().as_bytes();
        let (state, expires_at_ms) = match self.state {
            RecordState::Until { expires_at_ms } => (0u8, expires_at_ms),
            RecordState::WhileHeld => (1, 0),
            RecordState::Released => (2, 0),
            RecordState::Observed { ttl_ms, renewals } => {
                (3, u64::from(renewals) << 32 | u64::from(ttl_ms))
            }
        };
        let mut out = Vec::with_capacity(4 + 1 + 8 + 1 + 8 + 1 + holder.len() + 4);
        out.extend_from_slice(MAGIC);
        out.push(LAYOUT);
        out.extend_from_slice(&self.token.get().to_le_bytes());
        out.push(state);
        out.extend_from_slice(&expires_at_ms.to_le_bytes());
        // A holder id is at most 128 bytes.
        out.push(holder.len() as u8);
        out.extend_from_slice(holder);
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads a record written by [`encode`](Self::encode); [`ErrorKind::Corrupt`] for anything else, and
    /// [`ErrorKind::Unsupported`] for a newer layout.
    pub fn decode(backend: &'static str, bytes: &[u8]) -> Result<LeaseRecord, StorageError> {
        let corrupt = |why: &str| {
            StorageError::new(
                ErrorKind::Corrupt,
                backend,
                format!("the slot's lease record is damaged: {why}"),
            )
        };
        let fixed = 4 + 1 + 8 + 1 + 8 + 1;
        if bytes.len() < fixed + 4 || &bytes[..4] != MAGIC {
            return Err(corrupt("it is not a lease record"));
        }
        if bytes[4] != LAYOUT {
            return Err(StorageError::new(
                ErrorKind::Unsupported,
                backend,
                format!(
                    "the slot's lease record has layout {}, this build reads layout {LAYOUT}",
                    bytes[4]
                ),
            ));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32c::crc32c(body).to_le_bytes() != crc {
            return Err(corrupt("its checksum does not match"));
        }
        let u64_at = |at: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&body[at..at + 8]);
            u64::from_le_bytes(word)
        };
        let token = FencingToken::new(u64_at(5)).ok_or_else(|| corrupt("its token is 0"))?;
        let state = match (body[13], u64_at(14)) {
            (0, expires_at_ms) => RecordState::Until { expires_at_ms },
            (1, 0) => RecordState::WhileHeld,
            (2, 0) => RecordState::Released,
            (3, packed) if packed as u32 != 0 => RecordState::Observed {
                ttl_ms: packed as u32,
                renewals: (packed >> 32) as u32,
            },
            _ => return Err(corrupt("its state is unknown")),
        };
        let holder_len = usize::from(body[22]);
        if body.len() != fixed + holder_len {
            return Err(corrupt("its length does not match its holder id"));
        }
        let holder = std::str::from_utf8(&body[fixed..])
            .ok()
            .and_then(|label| HolderId::new(label).ok())
            .ok_or_else(|| corrupt("its holder id is not printable ASCII"))?;
        Ok(LeaseRecord {
            token,
            holder,
            state,
        })
    }
}

/// `duration` in whole milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A time to live in whole milliseconds, at least 1 and saturating at `u32::MAX` (a checked time to live
/// is at most a day: 86,400,000 ms).
fn ttl_millis(ttl: Duration) -> u32 {
    u32::try_from(ttl.as_millis()).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(holder: &str, ttl_ms: u64, delay_ms: u64) -> LeaseRequest {
        LeaseRequest::new(HolderId::new(holder).unwrap())
            .with_ttl(Duration::from_millis(ttl_ms))
            .unwrap()
            .with_takeover_delay(Duration::from_millis(delay_ms))
    }

    #[test]
    fn a_held_lease_excludes_until_it_lapsed_for_the_delay() {
        let a = LeaseRecord::acquire("t", None, &request("a", 100, 50), 1_000, RecordKind::Timed)
            .unwrap();
        assert_eq!(a.token, FencingToken::FIRST);
        let b = request("b", 100, 50);
        for now in [1_000, 1_099, 1_100, 1_149] {
            let err = LeaseRecord::acquire("t", Some(&a), &b, now, RecordKind::Timed).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Held);
            assert_eq!(err.lease_held().unwrap().holder.as_str(), "a");
        }
        let taken = LeaseRecord::acquire("t", Some(&a), &b, 1_150, RecordKind::Timed).unwrap();
        assert!(taken.token > a.token);
        assert_eq!(taken.holder.as_str(), "b");
    }

    #[test]
    fn release_frees_at_once_and_fences_the_old_token() {
        let mut a =
            LeaseRecord::acquire("t", None, &request("a", 100, 90_000), 0, RecordKind::Timed)
                .unwrap();
        a.check("t", a.token, "store").unwrap();
        a.release(a.token);
        assert_eq!(
            a.check("t", a.token, "store").unwrap_err().kind(),
            ErrorKind::Fenced
        );
        let b = LeaseRecord::acquire(
            "t",
            Some(&a),
            &request("b", 100, 90_000),
            1,
            RecordKind::Timed,
        )
        .unwrap();
        assert_eq!(b.token.get(), 2);
        let mut stale = b.clone();
        assert_eq!(
            stale
                .renew("t", a.token, Duration::from_millis(100), 2)
                .unwrap_err()
                .kind(),
            ErrorKind::Fenced
        );
        stale.release(a.token);
        assert_eq!(stale, b, "releasing an old token changes nothing");
    }

    #[test]
    fn renew_extends_and_break_ends() {
        let mut a =
            LeaseRecord::acquire("t", None, &request("a", 100, 0), 0, RecordKind::Timed).unwrap();
        a.renew("t", a.token, Duration::from_millis(100), 90)
            .unwrap();
        assert_eq!(
            a.info(150).state,
            LeaseState::Held {
                lapses_in: Some(Duration::from_millis(40))
            }
        );
        let before = a.break_lease(150);
        assert!(matches!(before.state, LeaseState::Held { .. }));
        assert_eq!(a.info(150).state, LeaseState::Released);
    }

    #[test]
    fn an_observed_lease_lapses_after_its_ttl_of_watching_and_counts_renewals() {
        let b = request("b", 100, 50);
        let mut a = LeaseRecord::acquire("t", None, &request("a", 100, 0), 0, RecordKind::Observed)
            .unwrap();
        assert_eq!(
            a.state,
            RecordState::Observed {
                ttl_ms: 100,
                renewals: 0
            }
        );
        for watched in [0, 99, 100, 149] {
            let err = LeaseRecord::acquire("t", Some(&a), &b, watched, RecordKind::Observed);
            assert_eq!(err.unwrap_err().kind(), ErrorKind::Held, "{watched}");
        }
        assert!(LeaseRecord::acquire("t", Some(&a), &b, 150, RecordKind::Observed).is_ok());
        let before = a.encode();
        a.renew("t", a.token, Duration::from_millis(200), 0)
            .unwrap();
        assert_eq!(
            a.state,
            RecordState::Observed {
                ttl_ms: 200,
                renewals: 1
            }
        );
        assert_ne!(a.encode(), before, "a renewal rewrites the record");
        assert_eq!(LeaseRecord::decode("t", &a.encode()).unwrap(), a);
    }

    #[test]
    fn records_round_trip_and_damage_is_detected() {
        let a = LeaseRecord::acquire(
            "t",
            None,
            &request("worker 7", 100, 0),
            5,
            RecordKind::Timed,
        )
        .unwrap();
        let mut held =
            LeaseRecord::acquire("t", None, &request("w", 100, 0), 0, RecordKind::WhileHeld)
                .unwrap();
        for record in [a.clone(), held.clone()] {
            assert_eq!(LeaseRecord::decode("t", &record.encode()).unwrap(), record);
        }
        held.release(held.token);
        assert_eq!(LeaseRecord::decode("t", &held.encode()).unwrap(), held);
        let bytes = a.encode();
        for cut in 0..bytes.len() {
            assert!(LeaseRecord::decode("t", &bytes[..cut]).is_err());
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            assert!(LeaseRecord::decode("t", &damaged).is_err(), "flip at {at}");
        }
    }
}
