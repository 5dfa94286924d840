//! The values a lease is made of: who holds it, its fencing token, what is asked and what is granted.

use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

use compact_str::CompactString;

use crate::error::{ErrorKind, StorageError};

/// Who holds a lease: a short label chosen by the client, shown to whoever finds the slot taken.
///
/// 1 to [`MAX_LEN`](Self::MAX_LEN) printable ASCII characters. The label only informs: a lease belongs to
/// its [`FencingToken`], so two processes with the same label still exclude each other.
///
/// ```
/// use session_core::HolderId;
///
/// let holder = HolderId::new("worker-7")?;
/// assert_eq!(holder.as_str(), "worker-7");
/// assert!(HolderId::new("").is_err());
/// assert!(HolderId::for_this_process().as_str().contains(&std::process::id().to_string()));
/// # Ok::<(), session_core::StorageError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HolderId(CompactString);

impl HolderId {
    /// The longest label, in bytes.
    pub const MAX_LEN: usize = 128;

    /// A holder label; fails with [`ErrorKind::InvalidInput`] unless it is 1 to [`MAX_LEN`](Self::MAX_LEN)
    /// printable ASCII characters (space to `~`).
    pub fn new(label: impl AsRef<str>) -> Result<HolderId, StorageError> {
        let label = label.as_ref();
        if label.is_empty() || label.len() > Self::MAX_LEN {
            return Err(StorageError::new(
                ErrorKind::InvalidInput,
                "lease",
                format!(
                    "a holder id must be 1 to {} bytes long, not {}",
                    Self::MAX_LEN,
                    label.len()
                ),
            ));
        }
        if let Some(position) = label.bytes().position(|b| !(b' '..=b'~').contains(&b)) {
            return Err(StorageError::new(
                ErrorKind::InvalidInput,
                "lease",
                format!("a holder id must be printable ASCII; byte {position} is not"),
            ));
        }
        Ok(HolderId(label.into()))
    }

    /// `host:pid:random`: the host name (from `/proc/sys/kernel/hostname`, or `host` where that is not
    /// readable), this process's id, and 4 random hex digits, so that two guards of one process differ.
    pub fn for_this_process() -> HolderId {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host: String = host
            .trim()
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        let host = if host.is_empty() { "host".into() } else { host };
        let label = format!("{host}:{}:{:04x}", std::process::id(), fastrand::u16(..));
        HolderId(label.into())
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HolderId({:?})", self.0.as_str())
    }
}

impl fmt::Display for HolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fencing token: the number of one acquisition of a slot's lease.
///
/// Every acquisition of a slot gets a token greater than every token the slot had before, also across
/// restarts of the backend, so a storage can refuse a write made under an older lease.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FencingToken(NonZeroU64);

impl FencingToken {
    /// The first token a slot hands out.
    pub const FIRST: FencingToken = FencingToken(NonZeroU64::MIN);

    /// The token numbered `value`; `None` for 0, which is never a token.
    pub fn new(value: u64) -> Option<FencingToken> {
        NonZeroU64::new(value).map(FencingToken)
    }

    /// The token's number.
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// The token after this one, or an [`ErrorKind::Other`] error if `backend`'s counter is exhausted
    /// (after 2^64 - 1 acquisitions).
    pub fn next(self, backend: &'static str) -> Result<FencingToken, StorageError> {
        self.0.checked_add(1).map(FencingToken).ok_or_else(|| {
            StorageError::new(
                ErrorKind::Other,
                backend,
                "the slot's fencing tokens are exhausted",
            )
        })
    }
}

impl fmt::Debug for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FencingToken({})", self.0)
    }
}

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a client asks for when it acquires a lease.
///
/// ```
/// use std::time::Duration;
/// use session_core::{HolderId, LeaseRequest};
///
/// let request = LeaseRequest::new(HolderId::new("worker-7")?)
///     .with_ttl(Duration::from_secs(20))?
///     .with_takeover_delay(Duration::from_secs(60));
/// assert_eq!(request.ttl(), Duration::from_secs(20));
/// # Ok::<(), session_core::StorageError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRequest {
    holder: HolderId,
    ttl: Duration,
    takeover_delay: Duration,
}

impl LeaseRequest {
    /// The default time to live: a holder renews every third of it.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
    /// The default wait after a lease lapsed without a clean release before another holder may take it:
    /// Telegram drops a silent connection within about 75 s (clients ask for `ping_delay_disconnect` of
    /// 75 s), so after 90 s the old holder's connections are gone even if it never noticed it lost the lease.
    pub const DEFAULT_TAKEOVER_DELAY: Duration = Duration::from_secs(90);
    /// The shortest time to live accepted.
    pub const MIN_TTL: Duration = Duration::from_millis(50);
    /// The longest time to live accepted.
    pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

    /// A request by `holder` with the default time to live and takeover delay.
    pub fn new(holder: HolderId) -> LeaseRequest {
        LeaseRequest {
            holder,
            ttl: Self::DEFAULT_TTL,
            takeover_delay: Self::DEFAULT_TAKEOVER_DELAY,
        }
    }

    /// The same request with another time to live; fails with [`ErrorKind::InvalidInput`] outside
    /// [`MIN_TTL`](Self::MIN_TTL)..=[`MAX_TTL`](Self::MAX_TTL).
    pub fn with_ttl(mut self, ttl: Duration) -> Result<LeaseRequest, StorageError> {
        self.ttl = checked_ttl(ttl)?;
        Ok(self)
    }

    /// The same request with another takeover delay (how long after an unclean lapse this holder waits
    /// before taking the lease). 0 takes a lapsed lease at once: only safe when the old holder is known to
    /// be gone.
    pub fn with_takeover_delay(mut self, delay: Duration) -> LeaseRequest {
        self.takeover_delay = delay;
        self
    }

    /// Who asks.
    pub fn holder(&self) -> &HolderId {
        &self.holder
    }

    /// How long the lease lasts without renewal.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How long after an unclean lapse this holder waits before taking the lease.
    pub fn takeover_delay(&self) -> Duration {
        self.takeover_delay
    }
}

/// How a client bridge or a [`Leased`](crate::Leased) handle takes its lease: the request, and how long to wait
/// while another holder has it.
///
/// The default asks as [`HolderId::for_this_process`] with the default time to live and takeover delay, and
/// waits up to [`DEFAULT_WAIT`](Self::DEFAULT_WAIT) — long enough for a handle of this process that was just
/// dropped to finish releasing, far too short to wait out a live holder.
///
/// ```
/// use std::time::Duration;
/// use session_core::{HolderId, LeaseOptions, LeaseRequest};
///
/// let options = LeaseOptions::new(LeaseRequest::new(HolderId::new("worker-7")?))
///     .with_wait(Duration::from_secs(120)); // e.g. a deploy waiting for the old container to stop
/// assert_eq!(options.wait(), Duration::from_secs(120));
/// # Ok::<(), session_core::StorageError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseOptions {
    request: LeaseRequest,
    wait: Duration,
}

impl LeaseOptions {
    /// The default wait: 3 seconds.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(3);

    /// Options for `request`, with the default wait.
    pub fn new(request: LeaseRequest) -> LeaseOptions {
        LeaseOptions {
            request,
            wait: Self::DEFAULT_WAIT,
        }
    }

    /// The same options, waiting up to `wait` while another holder has the lease (0: try once).
    pub fn with_wait(mut self, wait: Duration) -> LeaseOptions {
        self.wait = wait;
        self
    }

    /// The request.
    pub fn request(&self) -> &LeaseRequest {
        &self.request
    }

    /// How long to wait while another holder has the lease.
    pub fn wait(&self) -> Duration {
        self.wait
    }
}

impl Default for LeaseOptions {
    fn default() -> LeaseOptions {
        LeaseOptions::new(LeaseRequest::new(HolderId::for_this_process()))
    }
}

/// `ttl` if it is within the accepted range, else an [`ErrorKind::InvalidInput`] error.
pub fn checked_ttl(ttl: Duration) -> Result<Duration, StorageError> {
    if (LeaseRequest::MIN_TTL..=LeaseRequest::MAX_TTL).contains(&ttl) {
        Ok(ttl)
    } else {
        Err(StorageError::new(
            ErrorKind::InvalidInput,
            "lease",
            format!(
                "a lease's time to live must be between {:?} and {:?}, not {ttl:?}",
                LeaseRequest::MIN_TTL,
                LeaseRequest::MAX_TTL
            ),
        ))
    }
}

/// How long a granted lease lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseTerm {
    /// It lapses this long after the request was sent unless renewed before.
    Lapses(Duration),
    /// It lasts as long as the holding process and handle live (a file lock), and needs no renewal.
    WhileHeld,
}

/// What a storage grants on [`acquire_lease`](crate::LeaseStorage::acquire_lease) and
/// [`renew_lease`](crate::LeaseStorage::renew_lease).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseGrant {
    /// The acquisition's fencing token.
    pub token: FencingToken,
    /// How long the lease lasts from the moment the request was sent.
    pub term: LeaseTerm,
}

/// The state of a slot's lease, as [`read_lease`](crate::LeaseStorage::read_lease) sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseState {
    /// Held. `lapses_in` is the time left before it lapses unless renewed (on S3, where a lapse is judged by
    /// watching the lease unchanged, the most it can have left: its time to live minus how long this client
    /// has watched it); `None` when it lasts as long as its holder's process (a file lock).
    Held {
        /// The time left, when known.
        lapses_in: Option<Duration>,
    },
    /// Lapsed `ago` without a clean release: its holder stopped renewing (it died, hangs or lost the
    /// backend). Another holder may take it once `ago` reaches its takeover delay.
    Lapsed {
        /// How long ago it lapsed.
        ago: Duration,
    },
    /// Released cleanly (or broken): the next holder may take it at once.
    Released,
}

/// The current (or last) lease of a slot.
#[derive(Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// Who holds (or last held) it.
    pub holder: HolderId,
    /// Its fencing token.
    pub token: FencingToken,
    /// Whether it is held, lapsed or released.
    pub state: LeaseState,
}

impl fmt::Debug for LeaseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseInfo")
            .field("holder", &self.holder)
            .field("token", &self.token)
            .field("state", &self.state)
            .finish()
    }
}

impl fmt::Display for LeaseInfo {
    /// One line: `held by "worker-7" (token #3) for 12.5 s more`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LeaseInfo {
            holder,
            token,
            state,
        } = self;
        match state {
            LeaseState::Held {
                lapses_in: Some(left),
            } => write!(
                f,
                "held by {:?} (token {token}) for {:.1} s more unless renewed",
                holder.as_str(),
                left.as_secs_f64()
            ),
            LeaseState::Held { lapses_in: None } => write!(
                f,
                "held by {:?} (token {token}) for as long as its holder runs",
                holder.as_str()
            ),
            LeaseState::Lapsed { ago } => write!(
                f,
                "last held by {:?} (token {token}), lapsed {:.1} s ago without a release",
                holder.as_str(),
                ago.as_secs_f64()
            ),
            LeaseState::Released => write!(f, "released by {:?} (token {token})", holder.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_ids_are_printable_and_bounded() {
        assert!(HolderId::new("a").is_ok());
        assert!(HolderId::new("x".repeat(HolderId::MAX_LEN)).is_ok());
        assert!(HolderId::new("x".repeat(HolderId::MAX_LEN + 1)).is_err());
        assert!(HolderId::new("tab\there").is_err());
        assert!(HolderId::new("é").is_err());
        let own = HolderId::for_this_process();
        assert!(HolderId::new(own.as_str()).is_ok());
    }

    #[test]
    fn tokens_grow_and_never_wrap() {
        assert_eq!(FencingToken::new(0), None);
        let first = FencingToken::FIRST;
        assert!(first.next("test").unwrap() > first);
        let last = FencingToken::new(u64::MAX).unwrap();
        assert_eq!(last.next("test").unwrap_err().kind(), ErrorKind::Other);
    }

    #[test]
    fn ttls_are_bounded() {
        let request = LeaseRequest::new(HolderId::new("a").unwrap());
        assert!(request.clone().with_ttl(Duration::from_millis(1)).is_err());
        assert!(request
            .clone()
            .with_ttl(Duration::from_secs(2 * 24 * 3600))
            .is_err());
        assert!(request.with_ttl(Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn info_reads_as_a_sentence() {
        let info = LeaseInfo {
            holder: HolderId::new("w1").unwrap(),
            token: FencingToken::new(3).unwrap(),
            state: LeaseState::Held {
                lapses_in: Some(Duration::from_millis(12_500)),
            },
        };
        assert_eq!(
            info.to_string(),
            "held by \"w1\" (token #3) for 12.5 s more unless renewed"
        );
    }
}
