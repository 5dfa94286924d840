//! The Lua scripts of the writes: the conditional write, the journal append, the compaction and the fenced
//! delete. Each runs atomically on the server, so nothing can change the slot's keys between its checks and
//! its writes.
//!
//! Every script takes the slot's three keys, in this order: `KEYS[1]` the data key, `KEYS[2]` the version key
//! (a token, followed by the journal head when the slot has a journal: the epoch, then the base in decimal
//! digits; see [`crate::head`]), `KEYS[3]` the journal list. A TTL argument is in milliseconds, `0` for none.
//!
//! Each body is written once and built into two scripts ([`WriteScript`]): the plain one, and the **fenced**
//! one for writes under a lease ([`LeaseStorage::write_fenced`](session_core::LeaseStorage::write_fenced)),
//! which takes the slot's lease key as `KEYS[4]` and the lease's fencing token before the body's own
//! arguments, and first checks, atomically with the write, that the token is the lease's current one and
//! was not released ([`FENCE_LUA`]); otherwise it returns [`FENCED`] and writes nothing. Bodies read their
//! arguments from the local `argv`, which the prelude of each variant sets.

use std::sync::LazyLock;

use redis::Script;

/// The prelude of a plain write: the body's arguments are the script's.
const PLAIN_LUA: &str = "local argv = ARGV\n";

/// The prelude of a fenced write: `KEYS[4]` is the slot's lease hash ([`crate::lease_scripts`]), `ARGV[1]` the
/// fencing token in decimal; the body's arguments follow it. Refuses with [`FENCED`] unless the hash holds
/// that token and the lease was not released. (A lease that lapsed without being taken over still passes,
/// as in every storage: its holder's writes cannot race a new holder's.)
const FENCE_LUA: &str = r#"
local lease = redis.call('HMGET', KEYS[4], 'token', 'released')
if lease[1] ~= ARGV[1] or lease[2] ~= '0' then return -4 end
local argv = {unpack(ARGV, 2)}
"#;

/// One write's script in its two variants, built from one body.
pub(crate) struct WriteScript {
    /// The write as it is: `KEYS[1..3]`, the body's arguments.
    pub(crate) plain: Script,
    /// The write under a lease: `KEYS[1..4]`, the token, the body's arguments.
    pub(crate) fenced: Script,
}

impl WriteScript {
    /// The two variants of `body`.
    fn new(body: &str) -> WriteScript {
        WriteScript {
            plain: Script::new(&[PLAIN_LUA, body].concat()),
            fenced: Script::new(&[FENCE_LUA, body].concat()),
        }
    }
}

/// The conditional write. `argv` holds the value, the new version value, the TTL, the condition (`any`,
/// `absent` or `version`) and, for `version`, the expected version.
///
/// `any` always writes (a plain `store` under a lease). The slot is present when its data key exists;
/// `version` also needs the slot's current version to be the expected one: the version key's value, followed by `#` and the journal list's length when the list is
/// not empty ([`crate::head::version`]). The script returns `1` when it wrote and `0` when the condition did
/// not hold (then it wrote nothing). The write itself is the same as a plain store's: both string keys set
/// (with `PX` when there is a TTL), and the journal list deleted.
const STORE_IF_LUA: &str = r#"
local data, version, journal = KEYS[1], KEYS[2], KEYS[3]
local present = argv[4] == 'any' or redis.call('EXISTS', data) == 1
if argv[4] == 'absent' then
  if present then return 0 end
elseif argv[4] == 'version' then
  if not present then return 0 end
  local current = redis.call('GET', version)
  if not current then return 0 end
  local records = redis.call('LLEN', journal)
  if records > 0 then current = current .. '#' .. records end
  if current ~= argv[5] then return 0 end
end
local px = {}
if argv[3] ~= '0' then px = {'PX', argv[3]} end
redis.call('SET', data, argv[1], unpack(px))
redis.call('SET', version, argv[2], unpack(px))
redis.call('DEL', journal)
return 1
"#;

/// The journal append: the hot path, kept to the fewest commands (two without a TTL: `GET`, `RPUSH`) and
/// an integer reply (a table reply costs more than the rest of the script). `argv` holds the epoch (16
/// bytes), the record and the TTL.
///
/// Refuses, writing nothing, with [`ABSENT`] when the slot is absent (no version key; with a TTL, also
/// no data key), [`NO_JOURNAL`] when it has no journal (the version key holds no head) and [`OTHER_EPOCH`]
/// when its journal is of another epoch. Otherwise it pushes the record onto the list and returns its index,
/// `base + length - 1`; when the base is so large that a Lua number (a double) cannot hold that sum exactly,
/// it returns `{base, length}` instead, the base as the head's decimal digits. It does not write the version
/// key: the list's length is part of the slot's version, so the longer list is the new version.
///
/// With a TTL it sets it afresh on all three keys, data key first (and refuses if the data key is gone);
/// without one it leaves expiry as it is, except that a list this append creates gets the data key's
/// remaining TTL, so that records never outlive or predecease their snapshot.
const APPEND_LUA: &str = r#"
local head = redis.call('GET', KEYS[2])
if not head then return -1 end
if #head < 33 then return -2 end
if string.sub(head, 17, 32) ~= argv[1] then return -3 end
local n
if argv[3] ~= '0' then
  if redis.call('PEXPIRE', KEYS[1], argv[3]) == 0 then return -1 end
  n = redis.call('RPUSH', KEYS[3], argv[2])
  redis.call('PEXPIRE', KEYS[3], argv[3])
  redis.call('PEXPIRE', KEYS[2], argv[3])
else
  n = redis.call('RPUSH', KEYS[3], argv[2])
  if n == 1 then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
  end
end
local base = tonumber(string.sub(head, 33))
if base < 9007194959773696 then return base + n - 1 end
return {string.sub(head, 33), n}
"#;

/// The compaction. `argv` holds the new snapshot, the new version value (token, epoch, `next`), the epoch
/// (16 bytes), `next` split in decimal as `floor(next / 10^9)` and `next mod 10^9`, and the TTL.
///
/// Refuses like the append with [`ABSENT`], [`NO_JOURNAL`] or [`OTHER_EPOCH`], and with `{base, length}`
/// when `next` lies before the journal's base (the current snapshot's position) or past its last record;
/// each time without writing anything. Otherwise it sets the snapshot, drops exactly the `next - base`
/// records at the head of the list (`LTRIM`; records appended since the caller read the journal stay), sets
/// the version value and returns [`COMPACTED`]. Like a store, it sets the TTL afresh on all three keys, or
/// removes it.
///
/// Lua numbers are doubles: `next - base` is computed from the two decimal parts of each, which is exact
/// whenever the difference is below 2^53, and otherwise far outside any list's length either way.
const COMPACT_LUA: &str = r#"
local head = redis.call('GET', KEYS[2])
if not head or redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if #head < 33 then return -2 end
if string.sub(head, 17, 32) ~= argv[3] then return -3 end
local base = string.sub(head, 33)
local base_hi = tonumber(string.sub(base, 1, -10)) or 0
local base_lo = tonumber(string.sub(base, -9))
local len = redis.call('LLEN', KEYS[3])
local skip = (tonumber(argv[4]) - base_hi) * 1000000000 + (tonumber(argv[5]) - base_lo)
if skip < 0 or skip > len then return {base, len} end
local px = {}
if argv[6] ~= '0' then px = {'PX', argv[6]} end
redis.call('SET', KEYS[1], argv[1], unpack(px))
if skip > 0 then redis.call('LTRIM', KEYS[3], skip, -1) end
if argv[6] ~= '0' then
  redis.call('PEXPIRE', KEYS[3], argv[6])
else
  redis.call('PERSIST', KEYS[3])
end
redis.call('SET', KEYS[2], argv[2], unpack(px))
return 1
"#;

/// The delete under a lease (a plain `delete` is one `DEL` command): removes the slot's three keys, and
/// returns [`WROTE`].
const DELETE_LUA: &str = r#"
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"#;

/// The conditional write scripts (also a fenced `store`, with the condition `any`), with their SHA-1s,
/// computed once.
pub(crate) static STORE_IF: LazyLock<WriteScript> =
    LazyLock::new(|| WriteScript::new(STORE_IF_LUA));

/// The append scripts.
pub(crate) static APPEND: LazyLock<WriteScript> = LazyLock::new(|| WriteScript::new(APPEND_LUA));

/// The compaction scripts.
pub(crate) static COMPACT: LazyLock<WriteScript> = LazyLock::new(|| WriteScript::new(COMPACT_LUA));

/// The delete scripts (only the fenced one is used).
pub(crate) static DELETE: LazyLock<WriteScript> = LazyLock::new(|| WriteScript::new(DELETE_LUA));

/// The reply of the conditional write script when it wrote.
pub(crate) const WROTE: i64 = 1;

/// The reply of an append or compaction that refused because the slot is absent.
pub(crate) const ABSENT: i64 = -1;
/// The reply of an append or compaction that refused because the slot's snapshot names no journal.
pub(crate) const NO_JOURNAL: i64 = -2;
/// The reply of an append or compaction that refused because the slot's journal is of another epoch.
pub(crate) const OTHER_EPOCH: i64 = -3;
/// The reply of a compaction that wrote.
pub(crate) const COMPACTED: i64 = 1;
/// The reply of a fenced write whose token is not the slot's current lease (or whose lease was released).
pub(crate) const FENCED: i64 = -4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_return_the_codes_the_replies_are_read_with() {
        for script in [APPEND_LUA, COMPACT_LUA] {
            for code in [ABSENT, NO_JOURNAL, OTHER_EPOCH] {
                assert!(script.contains(&format!("return {code} end")), "{code}");
            }
        }
        assert!(COMPACT_LUA.contains(&format!("return {COMPACTED}\n")));
        for script in [STORE_IF_LUA, DELETE_LUA] {
            assert!(script.contains(&format!("return {WROTE}\n")));
        }
        assert!(FENCE_LUA.contains(&format!("return {FENCED} end")));
    }

    #[test]
    fn bodies_read_their_arguments_from_the_prelude() {
        for body in [STORE_IF_LUA, APPEND_LUA, COMPACT_LUA, DELETE_LUA] {
            assert!(!body.contains("ARGV"), "{body}");
        }
        let append = WriteScript::new(APPEND_LUA);
        assert_ne!(append.plain.get_hash(), append.fenced.get_hash());
    }
}
