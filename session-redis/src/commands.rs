//! The Redis commands of every storage operation, each one round trip: a command, a transaction, or an
//! `EVALSHA` of one of the [scripts](crate::scripts).

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind as RedisKind, Pipeline, RedisResult, Script, ServerErrorKind, Value};
use session_core::{FencingToken, JournalPosition};

use crate::scripts::{WriteScript, APPEND, COMPACT, DELETE, STORE_IF};

/// The keys of a slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys<'a> {
    /// The key whose string value is the session's bytes (the snapshot, when it has a journal).
    pub(crate) data: &'a [u8],
    /// The key whose string value is the version value: the token, and the journal head if any.
    pub(crate) version: &'a [u8],
    /// The list of the journal's records.
    pub(crate) journal: &'a [u8],
    /// The hash of the slot's lease ([`crate::lease_scripts`]).
    pub(crate) lease: &'a [u8],
}

/// What a conditional write expects the slot to hold.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Condition<'a> {
    /// Anything: a plain store (under a lease).
    Any,
    /// Nothing: the data key does not exist.
    Absent,
    /// A value of this version ([`crate::head::version`]).
    Version(&'a [u8]),
}

/// One round trip to the server. (No `Debug`: its arguments include the session's bytes.)
pub(crate) enum Request {
    /// A single command.
    Command(Cmd),
    /// Several commands sent together.
    Pipeline(Pipeline),
    /// An `EVALSHA` of the script; the script is loaded if the server does not have it.
    Script(&'static Script, Cmd),
}

impl Request {
    /// Sends the request on `connection`. A script the server does not know (`NOSCRIPT`, after a restart
    /// or `SCRIPT FLUSH`) is loaded with `SCRIPT LOAD` and sent again.
    pub(crate) async fn send(&self, connection: &mut impl ConnectionLike) -> RedisResult<Value> {
        match self {
            Request::Command(cmd) => cmd.query_async(connection).await,
            Request::Pipeline(pipeline) => pipeline.query_async(connection).await,
            Request::Script(script, cmd) => match cmd.query_async(connection).await {
                Err(err) if err.kind() == RedisKind::Server(ServerErrorKind::NoScript) => {
                    script.load_async(connection).await?;
                    cmd.query_async(connection).await
                }
                done => done,
            },
        }
    }
}

/// `MULTI`, `GET data`, `GET version`, `LRANGE journal 0 -1`, `EXEC`: the value, its version value and the
/// journal's records as of one moment.
///
/// Not `MGET`, which answers nil for a key of another type, so a foreign key would look absent.
pub(crate) fn read(keys: Keys<'_>) -> Request {
    let mut pipeline = redis::pipe();
    pipeline
        .atomic()
        .cmd("GET")
        .arg(keys.data)
        .cmd("GET")
        .arg(keys.version)
        .cmd("LRANGE")
        .arg(keys.journal)
        .arg(0)
        .arg(-1);
    Request::Pipeline(pipeline)
}

/// `MULTI`, `MSET data <data> version <version>`, `DEL journal`, `EXEC`, or with a TTL `MULTI`,
/// `SET data <data> PX <ttl>`, `SET version <version> PX <ttl>`, `DEL journal`, `EXEC`: one round trip that
/// replaces value and journal atomically, so neither a conditional write nor an append can run in between.
///
/// `MSET`, like a `SET` without `PX`, removes any TTL the keys had.
pub(crate) fn store(keys: Keys<'_>, data: &[u8], version: &[u8], ttl_millis: u64) -> Request {
    let mut pipeline = redis::pipe();
    pipeline.atomic();
    if ttl_millis == 0 {
        pipeline
            .cmd("MSET")
            .arg(keys.data)
            .arg(data)
            .arg(keys.version)
            .arg(version)
            .ignore();
    } else {
        for (key, value) in [(keys.data, data), (keys.version, version)] {
            pipeline
                .cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(ttl_millis)
                .ignore();
        }
    }
    pipeline.cmd("DEL").arg(keys.journal).ignore();
    Request::Pipeline(pipeline)
}

/// `EVALSHA` of the conditional write script: store `data` with the version value `version` if `condition`
/// holds (and, with `fence`, the lease is current).
pub(crate) fn store_if(
    keys: Keys<'_>,
    data: &[u8],
    version: &[u8],
    ttl_millis: u64,
    condition: Condition<'_>,
    fence: Option<FencingToken>,
) -> Request {
    write_script(&STORE_IF, keys, fence, |cmd| {
        cmd.arg(data).arg(version).arg(ttl_millis);
        match condition {
            Condition::Any => cmd.arg("any"),
            Condition::Absent => cmd.arg("absent"),
            Condition::Version(expected) => cmd.arg("version").arg(expected),
        };
    })
}

/// `DEL data version journal`.
pub(crate) fn delete(keys: Keys<'_>) -> Request {
    let mut cmd = redis::cmd("DEL");
    cmd.arg(keys.data).arg(keys.version).arg(keys.journal);
    Request::Command(cmd)
}

/// `EVALSHA` of the fenced delete script: `DEL data version journal` if the lease of `fence` is current.
pub(crate) fn delete_fenced(keys: Keys<'_>, fence: FencingToken) -> Request {
    write_script(&DELETE, keys, Some(fence), |_| {})
}

/// `EVALSHA` of the append script: push `record` onto the journal if it is of `epoch` (and, with `fence`,
/// the lease is current).
pub(crate) fn append(
    keys: Keys<'_>,
    epoch: &[u8; 16],
    record: &[u8],
    ttl_millis: u64,
    fence: Option<FencingToken>,
) -> Request {
    write_script(&APPEND, keys, fence, |cmd| {
        cmd.arg(&epoch[..]).arg(record).arg(ttl_millis);
    })
}

/// `EVALSHA` of the compaction script: replace the snapshot with `snapshot` at `position`, with the version
/// value `version`, and drop the records before `position.next` (with `fence`, if the lease is current).
pub(crate) fn compact(
    keys: Keys<'_>,
    snapshot: &[u8],
    version: &[u8],
    position: JournalPosition,
    ttl_millis: u64,
    fence: Option<FencingToken>,
) -> Request {
    write_script(&COMPACT, keys, fence, |cmd| {
        cmd.arg(snapshot)
            .arg(version)
            .arg(&position.epoch.as_bytes()[..])
            .arg(position.next / DECIMAL_SPLIT)
            .arg(position.next % DECIMAL_SPLIT)
            .arg(ttl_millis);
    })
}

/// `EVALSHA` of the lease script `script` on the lease hash of `keys`, with `args`.
pub(crate) fn lease(script: &'static Script, keys: Keys<'_>, args: &[&[u8]]) -> Request {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash()).arg(1).arg(keys.lease);
    for arg in args {
        cmd.arg(*arg);
    }
    Request::Script(script, cmd)
}

/// The compaction script takes `next` as `next / DECIMAL_SPLIT` and `next % DECIMAL_SPLIT`, each exact in a
/// Lua number.
const DECIMAL_SPLIT: u64 = 1_000_000_000;

/// `EVALSHA <sha> 3 data version journal <args>` of the plain variant of `script`, or, with `fence`,
/// `EVALSHA <sha> 4 data version journal lease <token> <args>` of its fenced variant; `args` adds the
/// body's own arguments.
fn write_script(
    script: &'static WriteScript,
    keys: Keys<'_>,
    fence: Option<FencingToken>,
    args: impl FnOnce(&mut Cmd),
) -> Request {
    let variant = if fence.is_some() {
        &script.fenced
    } else {
        &script.plain
    };
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(variant.get_hash());
    match fence {
        None => cmd
            .arg(3)
            .arg(keys.data)
            .arg(keys.version)
            .arg(keys.journal),
        Some(token) => cmd
            .arg(4)
            .arg(keys.data)
            .arg(keys.version)
            .arg(keys.journal)
            .arg(keys.lease)
            .arg(token.get()),
    };
    args(&mut cmd);
    Request::Script(variant, cmd)
}
