//! The Redis commands of every storage operation, and the one Lua script that conditional writes run.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind as RedisKind, Pipeline, RedisResult, Script, ServerErrorKind, Value};

/// The conditional write script. `KEYS[1]` is the slot's data key, `KEYS[2]` its version key; `ARGV` holds
/// the value, the new version token, the TTL in milliseconds (`0`: none), the condition (`absent` or
/// `version`) and, for `version`, the expected token.
///
/// The slot is present when its data key exists; `version` also needs the version key to hold the expected
/// token. The script returns `1` when it wrote and `0` when the condition did not hold (then it wrote
/// nothing). Redis runs it atomically, so nothing can change the keys between the check and the write. The
/// write itself is the same as a plain store's ([`store`]).
const STORE_IF_LUA: &str = r#"
local data, version = KEYS[1], KEYS[2]
local present = redis.call('EXISTS', data) == 1
if ARGV[4] == 'absent' then
  if present then return 0 end
elseif not present or redis.call('GET', version) ~= ARGV[5] then
  return 0
end
local px = {}
if ARGV[3] ~= '0' then px = {'PX', ARGV[3]} end
redis.call('SET', data, ARGV[1], unpack(px))
redis.call('SET', version, ARGV[2], unpack(px))
return 1
"#;

/// The script with its SHA-1, computed once.
static STORE_IF: LazyLock<Script> = LazyLock::new(|| Script::new(STORE_IF_LUA));

/// The reply of the conditional write script when it wrote.
pub(crate) const WROTE: i64 = 1;

/// The two keys of a slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys<'a> {
    /// The key whose string value is the session's bytes.
    pub(crate) data: &'a [u8],
    /// The key whose string value is the version token of those bytes.
    pub(crate) version: &'a [u8],
}

/// What a conditional write expects the slot to hold.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Condition<'a> {
    /// Nothing: the data key does not exist.
    Absent,
    /// A value whose version key holds these bytes.
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

/// `GET data`.
pub(crate) fn load(keys: Keys<'_>) -> Request {
    let mut cmd = redis::cmd("GET");
    cmd.arg(keys.data);
    Request::Command(cmd)
}

/// `MULTI`, `GET data`, `GET version`, `EXEC`: both values as of one moment.
///
/// Not `MGET`, which answers nil for a key of another type, so a foreign key would look absent.
pub(crate) fn load_versioned(keys: Keys<'_>) -> Request {
    let mut pipeline = redis::pipe();
    pipeline
        .atomic()
        .cmd("GET")
        .arg(keys.data)
        .cmd("GET")
        .arg(keys.version);
    Request::Pipeline(pipeline)
}

/// `MSET data <data> version <token>`, or with a TTL `MULTI`, `SET data <data> PX <ttl>`,
/// `SET version <token> PX <ttl>`, `EXEC`: one round trip that sets both keys atomically, so a conditional
/// write cannot run in between.
///
/// `MSET`, like a `SET` without `PX`, removes any TTL the keys had. It costs about as much as a bare `SET`,
/// where the transaction costs about 10 % more on a 4 KiB value.
pub(crate) fn store(keys: Keys<'_>, data: &[u8], token: &[u8], ttl_millis: u64) -> Request {
    if ttl_millis == 0 {
        let mut cmd = redis::cmd("MSET");
        cmd.arg(keys.data).arg(data).arg(keys.version).arg(token);
        return Request::Command(cmd);
    }
    let mut pipeline = redis::pipe();
    pipeline.atomic();
    for (key, value) in [(keys.data, data), (keys.version, token)] {
        pipeline
            .cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl_millis)
            .ignore();
    }
    Request::Pipeline(pipeline)
}

/// `EVALSHA` of the conditional write script: store `data` with version `token` if `condition` holds.
pub(crate) fn store_if(
    keys: Keys<'_>,
    data: &[u8],
    token: &[u8],
    ttl_millis: u64,
    condition: Condition<'_>,
) -> Request {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(STORE_IF.get_hash())
        .arg(2)
        .arg(keys.data)
        .arg(keys.version)
        .arg(data)
        .arg(token)
        .arg(ttl_millis);
    match condition {
        Condition::Absent => cmd.arg("absent"),
        Condition::Version(expected) => cmd.arg("version").arg(expected),
    };
    Request::Script(cmd)
}

/// `DEL data version`.
pub(crate) fn delete(keys: Keys<'_>) -> Request {
    let mut cmd = redis::cmd("DEL");
    cmd.arg(keys.data).arg(keys.version);
    Request::Command(cmd)
}
