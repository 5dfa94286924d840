//! What a client keeps about logins besides keys: where "min" users were seen, and the token of the last
//! logout.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Where a user the client saw only as a "min" user (one whose access hash it may not use) was seen: a
/// message of a chat, through which Telegram lets the client address the user
/// (`inputPeerUserFromMessage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct MinContext {
    /// The chat (user, basic group or channel) whose message mentioned the user, by the bare id the client
    /// keeps it under.
    pub chat_id: i64,
    /// The message's id in that chat.
    pub msg_id: i32,
}

/// The token `auth.logOut` returned (`future_auth_token`), which the next login on this device passes back
/// in `auth.sendCode` to skip the login code.
///
/// A credential in its own right, so it is guarded like an [`AuthKey`](crate::AuthKey): zeroized on drop,
/// `Debug` shows its length only, there is no `Display`, equality takes the same time whatever the bytes.
/// With serde it serializes as lowercase hex, for explicit exports only.
///
/// ```
/// use session_core::LogoutToken;
///
/// let token = LogoutToken::new(vec![0x42; 32]).unwrap();
/// assert_eq!(format!("{token:?}"), "LogoutToken(32 bytes)");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct LogoutToken(Box<[u8]>);

impl LogoutToken {
    /// The longest token kept (Telegram's are a few dozen bytes).
    pub const MAX_LEN: usize = 1024;

    /// Wraps the token's bytes; `None` if they are empty or longer than [`MAX_LEN`](Self::MAX_LEN) (the
    /// bytes are zeroized then too).
    pub fn new(bytes: Vec<u8>) -> Option<LogoutToken> {
        let bytes = Zeroizing::new(bytes);
        if bytes.is_empty() || bytes.len() > LogoutToken::MAX_LEN {
            return None;
        }
        Some(LogoutToken(bytes.as_slice().into()))
    }

    /// The token's bytes. Handle with care: never log them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for LogoutToken {
    fn eq(&self, other: &LogoutToken) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for LogoutToken {}

impl fmt::Debug for LogoutToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogoutToken({} bytes)", self.0.len())
    }
}

impl Serialize for LogoutToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(hex::encode(&self.0[..]));
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for LogoutToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LogoutToken, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        let bytes = hex::decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("a logout token must be hexadecimal digits"))?;
        LogoutToken::new(bytes).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "a logout token must be 1 to {} bytes",
                LogoutToken::MAX_LEN
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bounded_and_never_shown() {
        assert!(LogoutToken::new(Vec::new()).is_none());
        assert!(LogoutToken::new(vec![1; LogoutToken::MAX_LEN + 1]).is_none());
        let token = LogoutToken::new(vec![0xab; 24]).unwrap();
        assert_eq!(token.as_bytes(), &[0xab; 24]);
        assert!(!format!("{token:?}").contains("ab"));
        assert_ne!(token, LogoutToken::new(vec![0xab; 25]).unwrap());
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(serde_json::from_str::<LogoutToken>(&json).unwrap(), token);
    }
}
