//! Data-center entries.

use std::net::{SocketAddrV4, SocketAddrV6};

use serde::{Deserialize, Serialize};

use crate::auth_key::AuthKey;

/// One data-center endpoint with what the client learned about it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DcEntry {
    /// The DC id (1 to 5 in production; test DCs use the same ids).
    pub id: i32,
    /// The IPv4 address and port.
    pub ipv4: Option<SocketAddrV4>,
    /// The IPv6 address and port (flow info and scope id are kept too).
    pub ipv6: Option<SocketAddrV6>,
    /// What kind of endpoint this is.
    pub flags: DcFlags,
    /// The permanent authorization key for this DC.
    pub auth_key: Option<AuthKey>,
    /// A temporary (PFS) key bound to the permanent one, with its expiry.
    pub temp_auth_key: Option<TempAuthKey>,
    /// The current server salt (0 when unknown).
    pub server_salt: i64,
    /// Server time minus local time, in seconds.
    pub time_offset: i32,
}

impl DcEntry {
    /// An entry for `id` with nothing else known.
    pub fn new(id: i32) -> DcEntry {
        DcEntry {
            id,
            ..DcEntry::default()
        }
    }
}

/// The flags of a `dcOption`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DcFlags {
    /// Only for media downloads.
    pub media_only: bool,
    /// A CDN DC.
    pub cdn: bool,
    /// Only reachable with obfuscated TCP.
    pub tcpo_only: bool,
    /// Hard-coded in the client rather than received from the server.
    pub is_static: bool,
    /// The port must be used as is, never swapped.
    pub this_port_only: bool,
}

/// A temporary authorization key (perfect forward secrecy) and when it stops being valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TempAuthKey {
    /// The key.
    pub key: AuthKey,
    /// When the key expires, in Unix seconds.
    pub expires_at: i64,
}
