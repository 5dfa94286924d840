//! What a conversion produced, and what it could not carry over.

use std::fmt;

use session_core::Session;
use zeroize::Zeroizing;

/// One piece of information a conversion could not carry over, and why.
///
/// Readers report what the source held that a [`Session`] has no place for (Telethon's entity names, say);
/// writers report what the session holds that the target format cannot (a second DC's key in a format that
/// keeps one DC). Nothing is ever dropped without an entry here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// What was dropped, e.g. `auth key of DC 4` or `names of 12 entities`.
    pub what: String,
    /// Why, e.g. `Telethon StringSession keeps one DC`.
    pub why: String,
}

impl Dropped {
    /// A new entry.
    pub fn new(what: impl Into<String>, why: impl Into<String>) -> Dropped {
        Dropped {
            what: what.into(),
            why: why.into(),
        }
    }
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.what, self.why)
    }
}

/// A session read from another format.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The session.
    pub session: Session,
    /// What the source held that the session has no place for.
    pub dropped: Vec<Dropped>,
}

/// A session written in another format.
///
/// The bytes hold auth keys: they are zeroized on drop and left out of `Debug`.
pub struct Exported {
    /// The file's or string's bytes (a string format's text has no trailing newline).
    pub bytes: Zeroizing<Vec<u8>>,
    /// What the session held that the format cannot.
    pub dropped: Vec<Dropped>,
}

impl fmt::Debug for Exported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exported")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("dropped", &self.dropped)
            .finish()
    }
}
