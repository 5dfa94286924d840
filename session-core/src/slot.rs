//! Validated slot names.

use std::fmt;

use crate::error::{ErrorKind, StorageError};

/// The name of one stored session, validated once here so every adapter can map it to a file name, key,
/// row or object name without escaping.
///
/// A slot name is 1 to 255 bytes of `A-Z a-z 0-9 . _ : @ + = -`, and is neither `.` nor `..`.
///
/// ```
/// use session_core::Slot;
///
/// let slot = Slot::new("bot-42@prod").unwrap();
/// assert_eq!(slot.as_str(), "bot-42@prod");
/// assert!(Slot::new("../etc/passwd").is_err());
/// assert!(Slot::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(String);

impl Slot {
    /// The longest slot name, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Validates `name`; fails with [`ErrorKind::InvalidInput`] and a message naming the problem.
    pub fn new(name: impl Into<String>) -> Result<Slot, StorageError> {
        let name = name.into();
        match Self::problem(&name) {
            None => Ok(Slot(name)),
            Some(problem) => Err(StorageError::new(
                ErrorKind::InvalidInput,
                "slot",
                format!("invalid slot name {name:?}: {problem}"),
            )),
        }
    }

    fn problem(name: &str) -> Option<&'static str> {
        if name.is_empty() {
            return Some("it is empty");
        }
        if name.len() > Self::MAX_LEN {
            return Some("it is longer than 255 bytes");
        }
        if name == "." || name == ".." {
            return Some("`.` and `..` are reserved");
        }
        if !name.bytes().all(Self::allowed_byte) {
            return Some("only A-Z a-z 0-9 . _ : @ + = - are allowed");
        }
        None
    }

    fn allowed_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'@' | b'+' | b'=' | b'-')
    }

    /// The slot name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slot {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Slot {
    type Error = StorageError;

    fn try_from(name: &str) -> Result<Slot, StorageError> {
        Slot::new(name)
    }
}

impl TryFrom<String> for Slot {
    type Error = StorageError;

    fn try_from(name: String) -> Result<Slot, StorageError> {
        Slot::new(name)
    }
}

impl std::str::FromStr for Slot {
    type Err = StorageError;

    fn from_str(name: &str) -> Result<Slot, StorageError> {
        Slot::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        for name in [
            "a",
            "A.b_c:d@e+f=g-h",
            "0",
            "..x",
            ".hidden",
            &"x".repeat(255),
        ] {
            assert!(Slot::new(name).is_ok(), "{name:?} should be valid");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a b",
            "é",
            "a\0",
            &"x".repeat(256),
        ] {
            let err = Slot::new(name).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name:?}");
        }
    }
}
