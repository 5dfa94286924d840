//! [`CompactionPolicy`]: when a [`LiveSession`](super::LiveSession) folds its journal into a new snapshot.

/// When a [`LiveSession`](super::LiveSession) over a [`JournalStorage`](crate::JournalStorage) compacts:
/// writes a new snapshot that includes the journal's records and drops them.
///
/// Records make persisting a small change cheap; every record also has to be read and applied on the next
/// load, so a journal is compacted once it holds `max_records` records, or once its bytes reach
/// `max_bytes_percent` percent of the snapshot's size and at least `min_bytes` (whichever comes first).
/// The defaults (1,000 records, 50%, 64 KiB) keep a reload under about twice the cost of reading the
/// snapshot alone, while a 3.5 MB session with 100,000 peers compacts about once per 1,000 changes.
///
/// ```
/// use session_core::CompactionPolicy;
///
/// // Compact after 100 records, or once the journal is a quarter of the snapshot (and at least 16 KiB).
/// let policy = CompactionPolicy { max_records: 100, max_bytes_percent: 25, min_bytes: 16 * 1024 };
/// assert!(policy.is_due(100, 0, 1_000_000));
/// assert!(policy.is_due(3, 250_000, 1_000_000));
/// assert!(!policy.is_due(3, 10_000, 20_000)); // a quarter, but under 16 KiB
/// assert!(!CompactionPolicy::never().is_due(u64::MAX, u64::MAX, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// Compact once the journal holds this many records (`u64::MAX`: never for this reason).
    pub max_records: u64,
    /// Compact once the journal's bytes reach this percentage of the snapshot's bytes (`u32::MAX`: never
    /// for this reason)...
    pub max_bytes_percent: u32,
    /// ...and are at least this many.
    pub min_bytes: u64,
}

impl CompactionPolicy {
    /// A policy that never compacts on its own ([`LiveSession::compact`](super::LiveSession::compact) still
    /// does when called).
    pub fn never() -> CompactionPolicy {
        CompactionPolicy {
            max_records: u64::MAX,
            max_bytes_percent: u32::MAX,
            min_bytes: u64::MAX,
        }
    }

    /// Whether a journal of `records` records and `journal_bytes` bytes after a snapshot of
    /// `snapshot_bytes` bytes is due for compaction.
    pub fn is_due(&self, records: u64, journal_bytes: u64, snapshot_bytes: u64) -> bool {
        if records == 0 {
            return false;
        }
        if self.max_records != u64::MAX && records >= self.max_records {
            return true;
        }
        let share = u128::from(journal_bytes) * 100;
        let limit = u128::from(snapshot_bytes) * u128::from(self.max_bytes_percent);
        self.max_bytes_percent != u32::MAX && journal_bytes >= self.min_bytes && share >= limit
    }
}

impl Default for CompactionPolicy {
    fn default() -> CompactionPolicy {
        CompactionPolicy {
            max_records: 1_000,
            max_bytes_percent: 50,
            min_bytes: 64 * 1024,
        }
    }
}
