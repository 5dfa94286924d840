//! The Redis commands of every storage operation, and the one Lua script that conditional writes run.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind as RedisKind, Pipeline, RedisResult, Script, ServerErrorKind, Value};

/// The hash field that holds the session's bytes.
const DATA: &str = "data";
/// The hash field that holds the version token.
const VERSION: &str = "version";

/// The conditional write script. `KEYS[1]` is the slot's hash; `ARGV` holds the value, the new version
/// token, the TTL in milliseconds (`0`: none), the condition (`absent` or `version`) and, for `version`, the
/// expected token.
///
/// It returns `1` when it wrote and `0` when the condition did not hold (then it wrote nothing). Redis runs
/// it atomically, so nothing can change the key between the check and the write. The write itself is the
/// same as a plain store's ([`store`]).
const STORE_IF_LUA: &str = r#"
local key = KEYS[1]
if ARGV[4] == 'absent' then
  if redis.call('EXISTS', key) == 1 then return 0 end
elseif redis.call('HGET', key, 'version') ~= ARGV[5] then
  return 0
end
redis.call('HSET', key, 'data', ARGV[1], 'version', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', key, ttl)
else
  redis.call('PERSIST', key)
end
return 1
"#;

/// The script with its SHA-1, computed once.
static STORE_IF: LazyLock<Script> = LazyLock::new(|| Script::new(STORE_IF_LUA));

/// The reply of the conditional write script when it wrote.
pub(crate) const WROTE: i64 = 1;

/// What a conditional write expects the key to hold.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Condition<'a> {
    /// Nothing: the key does not exist.
    Absent,
    /// A hash whose `version` field holds these bytes.
    Version(&'a [u8]),
}

/// One round trip to the server. (No `Debug`: its arguments include the session's bytes.)
pub(crate) enum Request {
    /// A single command.
    Command(Cmd),
    /// Several commands sent together.
    Pipeline(Pipeline),
    /// An `EVALSHA` of [`STORE_IF`]; the script is loaded if the server does not have it.
    Script(Cmd),
}

impl Request {
    /// Sends the request on `connection`. A script the server does not know (`NOSCRIPT`, after a restart
    /// or `SCRIPT FLUSH`) is loaded with `SCRIPT LOAD` and sent again.
    pub(crate) async fn send(&self, connection: &mut impl ConnectionLike) -> RedisResult<Value> {
        match self {
            Request::Command(cmd) => cmd.query_async(connection).await,
            Request::Pipeline(pipeline) => pipeline.query_async(connection).await,
            Request::Script(cmd) => match cmd.query_async(connection).await {
                Err(err) if err.kind() == RedisKind::Server(ServerErrorKind::NoScript) => {
                    STORE_IF.load_async(connection).await?;
                    cmd.query_async(connection).await
                }
                done => done,
            },
        }
    }
}

/// `HGET key data`.
pub(crate) fn load(key: &[u8]) -> Request {
    let mut cmd = redis::cmd("HGET");
    cmd.arg(key).arg(DATA);
    Request::Command(cmd)
}

/// `HMGET key data version`.
pub(crate) fn load_versioned(key: &[u8]) -> Request {
    let mut cmd = redis::cmd("HMGET");
    cmd.arg(key).arg(DATA).arg(VERSION);
    Request::Command(cmd)
}

/// `HSET key data <data> version <token>`, then `PEXPIRE key <ttl>` (or `PERSIST key` without a TTL), in
/// one round trip.
///
/// The `HSET` replaces value and version together, atomically; the expiry command follows it on the same
/// connection. They are pipelined, not wrapped in `MULTI`/`EXEC` (which costs about 15 % on a 4 KiB store):
/// only two handles with different TTL settings writing the same key at the same moment could leave the
/// TTL of the one whose value lost.
pub(crate) fn store(key: &[u8], data: &[u8], token: &[u8], ttl_millis: u64) -> Request {
    let mut pipeline = redis::pipe();
    pipeline
        .cmd("HSET")
        .arg(key)
        .arg(DATA)
        .arg(data)
        .arg(VERSION)
        .arg(token)
        .ignore();
    if ttl_millis > 0 {
        pipeline.cmd("PEXPIRE").arg(key).arg(ttl_millis).ignore();
    } else {
        pipeline.cmd("PERSIST").arg(key).ignore();
    }
    Request::Pipeline(pipeline)
}

/// `EVALSHA` of the conditional write script: store `data` with version `token` under `key` if
/// `condition` holds.
pub(crate) fn store_if(
    key: &[u8],
    data: &[u8],
    token: &[u8],
    ttl_millis: u64,
    condition: Condition<'_>,
) -> Request {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(STORE_IF.get_hash())
        .arg(1)
        .arg(key)
        .arg(data)
        .arg(token)
        .arg(ttl_millis);
    match condition {
        Condition::Absent => cmd.arg("absent"),
        Condition::Version(expected) => cmd.arg("version").arg(expected),
    };
    Request::Script(cmd)
}

/// `DEL key`.
pub(crate) fn delete(key: &[u8]) -> Request {
    let mut cmd = redis::cmd("DEL");
    cmd.arg(key);
    Request::Command(cmd)
}
