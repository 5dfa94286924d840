//! Version tokens: 128 bits written with every value, never repeated.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::SystemTime;

/// The length of a token in bytes.
pub(crate) const TOKEN_LEN: usize = 16;

/// A fresh token: 64 random bits chosen once per process, followed by a 64-bit counter of this process.
///
/// A token therefore never repeats within a process (the counter would need 2^64 writes to wrap), and two
/// processes produce the same token only if their random halves collide, a chance of 2^-64 per pair of
/// processes, and their counters are equal. No server round trip is needed to make one.
pub(crate) fn next_token() -> [u8; TOKEN_LEN] {
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = *PROCESS.get_or_init(random_u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut token = [0; TOKEN_LEN];
    token[..8].copy_from_slice(&process.to_be_bytes());
    token[8..].copy_from_slice(&count.to_be_bytes());
    token
}

/// 64 random bits: the standard library seeds [`RandomState`] from the operating system's random source;
/// the process id and the time are hashed in as well, for good measure.
fn random_u64() -> u64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    RandomState::new().hash_one((std::process::id(), now))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_do_not_repeat() {
        let tokens: HashSet<_> = (0..10_000).map(|_| next_token()).collect();
        assert_eq!(tokens.len(), 10_000);
    }

    #[test]
    fn tokens_share_the_process_half() {
        let (a, b) = (next_token(), next_token());
        assert_eq!(a[..8], b[..8]);
        assert_ne!(a[8..], b[8..]);
    }
}
