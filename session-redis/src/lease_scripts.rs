//! The Lua scripts of the lease operations, one per operation, and the decoding of their common reply.
//!
//! A slot's lease is a hash beside its keys, `KEYS[1]` of every lease script (the data key followed by
//! `#lease`, [`RedisStorage::lease_key`](crate::RedisStorage::lease_key)):
//!
//! ```text
//! token       decimal   the fencing token of the last acquisition
//! holder      text      who took it (a HolderId)
//! expires_at  decimal   when it lapses unless renewed: milliseconds since the Unix epoch, server clock
//! released    0 or 1    whether it was released (or broken)
//! ```
//!
//! The hash is never deleted (not by `delete`, not by a TTL), so the slot's next token follows its last one.
//! Every time is the server's clock (`TIME`), never a client's, and a new token is at least the server's
//! clock in microseconds: tokens keep growing even after a restart that lost the hash (a server without
//! persistence), as long as the server's clock does not go back. Scripts that call `TIME` replicate their
//! effects, not themselves (the default from Redis 5 on, always from Redis 7 on).
//!
//! Every script returns `{status, now, token, holder, expires_at, released}`: the status (`1` done, `0`
//! refused), the server's clock in milliseconds, and the hash's fields after the operation (before it, for
//! a break), nil when the slot never had a lease. Numbers travel as decimal strings: Lua numbers are
//! doubles, and `string.format('%d')` writes them exactly (tokens and times stay far below 2^53).

use std::sync::LazyLock;
use std::time::Duration;

use redis::{ErrorKind as RedisKind, RedisError, RedisResult, Script, Value};
use session_core::lease::{LeaseRecord, RecordState};
use session_core::{FencingToken, HolderId, LeaseInfo};

/// What every lease script starts with: the clock and the hash, and `reply(status)`.
const PRELUDE_LUA: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lease = redis.call('HMGET', KEYS[1], 'token', 'holder', 'expires_at', 'released')
local function reply(status)
  return {status, string.format('%d', now), lease[1], lease[2], lease[3], lease[4]}
end
"#;

/// Acquire: `ARGV` holds the holder, the TTL and the takeover delay (both in milliseconds). Refuses while
/// the lease is held, or lapsed less than the delay ago; otherwise writes a new lease whose token is the
/// greater of the last one plus 1 and the server's clock in microseconds.
const ACQUIRE_LUA: &str = r#"
if lease[1] and lease[4] ~= '1' and now < tonumber(lease[3]) + tonumber(ARGV[3]) then
  return reply(0)
end
local token = math.max((tonumber(lease[1]) or 0) + 1, tonumber(clock[1]) * 1000000 + tonumber(clock[2]))
if token >= 9007199254740992 then return redis.error_reply('the slot\'s fencing tokens are exhausted') end
lease = {string.format('%d', token), ARGV[1], string.format('%d', now + tonumber(ARGV[2])), '0'}
redis.call('HSET', KEYS[1], 'token', lease[1], 'holder', lease[2], 'expires_at', lease[3], 'released', '0')
return reply(1)
"#;

/// Renew: `ARGV` holds the token and the TTL in milliseconds. Refuses unless the token is the lease's and
/// it was not released.
const RENEW_LUA: &str = r#"
if lease[1] ~= ARGV[1] or lease[4] ~= '0' then return reply(0) end
lease[3] = string.format('%d', now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'expires_at', lease[3])
return reply(1)
"#;

/// Release: `ARGV` holds the token; releases the lease if the token is its own, else changes nothing.
const RELEASE_LUA: &str = r#"
if lease[1] == ARGV[1] and lease[4] == '0' then
  redis.call('HSET', KEYS[1], 'released', '1')
  lease[4] = '1'
end
return reply(1)
"#;

/// Read: the lease as it is.
const READ_LUA: &str = "return reply(1)\n";

/// Break: releases the lease whoever holds it; replies with what it was.
const BREAK_LUA: &str = r#"
local before = reply(1)
if lease[1] and lease[4] == '0' then redis.call('HSET', KEYS[1], 'released', '1') end
return before
"#;

/// `body` after the prelude.
fn script(body: &str) -> Script {
    Script::new(&[PRELUDE_LUA, body].concat())
}

/// The acquire script.
pub(crate) static ACQUIRE: LazyLock<Script> = LazyLock::new(|| script(ACQUIRE_LUA));
/// The renew script.
pub(crate) static RENEW: LazyLock<Script> = LazyLock::new(|| script(RENEW_LUA));
/// The release script.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| script(RELEASE_LUA));
/// The read script.
pub(crate) static READ: LazyLock<Script> = LazyLock::new(|| script(READ_LUA));
/// The break script.
pub(crate) static BREAK: LazyLock<Script> = LazyLock::new(|| script(BREAK_LUA));

/// A lease script's reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LeaseReply {
    /// Whether the script did what it was asked (acquired, renewed).
    pub(crate) done: bool,
    /// The server's clock, in milliseconds since the Unix epoch.
    pub(crate) now_ms: u64,
    /// The slot's lease; `None` if it never had one.
    pub(crate) record: Option<LeaseRecord>,
}

impl LeaseReply {
    /// The lease as [`read_lease`](session_core::LeaseStorage::read_lease) reports it.
    pub(crate) fn info(&self) -> Option<LeaseInfo> {
        self.record.as_ref().map(|record| record.info(self.now_ms))
    }
}

/// A reply of an unexpected shape, as a driver error (never showing the reply's contents).
fn unexpected(what: &'static str) -> RedisError {
    RedisError::from((
        RedisKind::UnexpectedReturnType,
        "the lease script returned",
        what.to_owned(),
    ))
}

/// A string reply item, as text.
fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// A decimal string reply item.
fn number(value: &Value) -> Option<u64> {
    text(value)?.parse().ok()
}

/// Decodes a lease script's reply.
pub(crate) fn lease_reply(reply: Value) -> RedisResult<LeaseReply> {
    let Value::Array(items) = reply else {
        return Err(unexpected("not an array"));
    };
    let [status, now, token, holder, expires_at, released] =
        <[Value; 6]>::try_from(items).map_err(|_| unexpected("an array of another length"))?;
    let done = match status {
        Value::Int(status) => status == 1,
        _ => return Err(unexpected("a status that is not an integer")),
    };
    let now_ms = number(&now).ok_or_else(|| unexpected("a clock that is not a number"))?;
    let record = match token {
        Value::Nil => None,
        token => {
            let token = number(&token)
                .and_then(FencingToken::new)
                .ok_or_else(|| unexpected("a token that is not a positive number"))?;
            let holder = text(&holder)
                .and_then(|label| HolderId::new(label).ok())
                .ok_or_else(|| unexpected("a holder that is not a holder id"))?;
            let state = match text(&released) {
                Some("1") => RecordState::Released,
                Some("0") => RecordState::Until {
                    expires_at_ms: number(&expires_at)
                        .ok_or_else(|| unexpected("an expiry that is not a number"))?,
                },
                _ => return Err(unexpected("a released flag that is neither 0 nor 1")),
            };
            Some(LeaseRecord {
                token,
                holder,
                state,
            })
        }
    };
    Ok(LeaseReply {
        done,
        now_ms,
        record,
    })
}

/// `duration` in whole milliseconds, as the scripts take it (saturating).
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn replies_decode_into_records() {
        let held = Value::Array(vec![
            Value::Int(0),
            bulk("1000"),
            bulk("1734000000000001"),
            bulk("worker-7"),
            bulk("1500"),
            bulk("0"),
        ]);
        let held = lease_reply(held).unwrap();
        assert!(!held.done);
        let info = held.info().unwrap();
        assert_eq!(info.holder.as_str(), "worker-7");
        assert_eq!(info.token.get(), 1_734_000_000_000_001);
        assert_eq!(
            info.state,
            session_core::LeaseState::Held {
                lapses_in: Some(Duration::from_millis(500))
            }
        );
        let none = Value::Array(vec![
            Value::Int(1),
            bulk("5"),
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Nil,
        ]);
        assert_eq!(lease_reply(none).unwrap().info(), None);
    }

    #[test]
    fn replies_of_another_shape_are_errors() {
        let ok = |token: Value, released: Value| {
            Value::Array(vec![
                Value::Int(1),
                bulk("5"),
                token,
                bulk("w"),
                bulk("9"),
                released,
            ])
        };
        assert!(lease_reply(ok(bulk("3"), bulk("1"))).is_ok());
        for broken in [
            ok(bulk("0"), bulk("1")),
            ok(bulk("x"), bulk("1")),
            ok(bulk("3"), bulk("2")),
            Value::Array(vec![Value::Int(1)]),
            Value::Int(1),
        ] {
            let err = lease_reply(broken).unwrap_err();
            assert_eq!(err.kind(), RedisKind::UnexpectedReturnType);
        }
    }

    #[test]
    fn every_script_starts_with_the_prelude() {
        for body in [ACQUIRE_LUA, RENEW_LUA, RELEASE_LUA, READ_LUA, BREAK_LUA] {
            assert!(body.contains("reply("), "{body}");
        }
        assert_ne!(ACQUIRE.get_hash(), READ.get_hash());
    }
}
