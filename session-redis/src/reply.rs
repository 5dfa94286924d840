//! Decoding the server's replies; a reply of another shape becomes a driver error of kind
//! `UnexpectedReturnType`, mapped like every other driver error.

use redis::{ErrorKind as RedisKind, RedisError, RedisResult, Value};
use session_core::Bytes;

use crate::head::base_of;
use crate::scripts::{ABSENT, COMPACTED, NO_JOURNAL, OTHER_EPOCH, WROTE};

/// A reply of an unexpected shape, as a driver error.
fn unexpected(what: &'static str, reply: &Value) -> RedisError {
    RedisError::from((RedisKind::UnexpectedReturnType, what, shape(reply)))
}

/// The type of a reply, for error messages: never its contents, which may be a session's bytes.
fn shape(reply: &Value) -> String {
    match reply {
        Value::Nil => "nil".to_owned(),
        Value::Int(n) => format!("the integer {n}"),
        Value::BulkString(bytes) => format!("a string of {} bytes", bytes.len()),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Okay => "OK".to_owned(),
        _ => "a reply of another type".to_owned(),
    }
}

/// A bulk string reply as bytes (without copying); `None` for a nil reply.
fn bulk(reply: Value, what: &'static str) -> RedisResult<Option<Bytes>> {
    match reply {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => Ok(Some(Bytes::from(bytes))),
        other => Err(unexpected(what, &other)),
    }
}

/// The items of an array reply of exactly `N` items.
fn items<const N: usize>(reply: Value, what: &'static str) -> RedisResult<[Value; N]> {
    let items = match reply {
        Value::Array(items) => <[Value; N]>::try_from(items).map_err(Value::Array),
        other => Err(other),
    };
    items.map_err(|other| unexpected(what, &other))
}

/// What a slot holds, read in one transaction ([`read`](crate::commands::read)).
pub(crate) struct Stored {
    /// The data key's bytes: the session, or the snapshot when the slot has a journal.
    pub(crate) data: Bytes,
    /// The version key's bytes, if it exists (a data key without one was not written by this crate).
    pub(crate) version: Option<Bytes>,
    /// The journal's records, in order.
    pub(crate) records: Vec<Bytes>,
}

/// The replies to `GET data`, `GET version` and `LRANGE journal 0 -1` in one transaction: what the slot
/// holds, or `None` when the data key does not exist (a version key or a list alone is left over and does
/// not count).
pub(crate) fn stored(reply: Value) -> RedisResult<Option<Stored>> {
    let [data, version, records] = items(reply, "the transaction returned")?;
    let Some(data) = bulk(data, "the data key holds")? else {
        return Ok(None);
    };
    let version = bulk(version, "the version key holds")?;
    let records = match records {
        Value::Array(records) => records
            .into_iter()
            .map(|record| {
                bulk(record, "the journal holds")?
                    .ok_or_else(|| unexpected("the journal holds", &Value::Nil))
            })
            .collect::<RedisResult<Vec<Bytes>>>()?,
        other => return Err(unexpected("the journal list holds", &other)),
    };
    Ok(Some(Stored {
        data,
        version,
        records,
    }))
}

/// The error of a data key without a version key beside it.
pub(crate) fn no_version_key() -> RedisError {
    RedisError::from((
        RedisKind::UnexpectedReturnType,
        "the data key has no version key beside it",
        "was it written by another application?".to_owned(),
    ))
}

/// The reply of the conditional write script: whether it wrote.
pub(crate) fn written(reply: Value) -> RedisResult<bool> {
    match reply {
        Value::Int(status) => Ok(status == WROTE),
        other => Err(unexpected("the conditional write script returned", &other)),
    }
}

/// Why the append or compaction script wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The slot is absent.
    Absent,
    /// The slot's snapshot names no journal.
    NoJournal,
    /// The slot's journal is of another epoch.
    OtherEpoch,
    /// The compaction's `next` lies before the journal's base or past its last record.
    OutOfRange {
        /// The index of the journal's first record (the current snapshot's position).
        base: u64,
        /// How many records the journal holds.
        len: u64,
    },
}

/// The refusal that the code `code` of a script stands for, if it is one.
fn refusal(code: i64) -> Option<Refusal> {
    match code {
        ABSENT => Some(Refusal::Absent),
        NO_JOURNAL => Some(Refusal::NoJournal),
        OTHER_EPOCH => Some(Refusal::OtherEpoch),
        _ => None,
    }
}

/// The `{base, length}` a script returns: the base as decimal digits, the length as an integer.
fn base_and_len(reply: Value, what: &'static str) -> RedisResult<(u64, u64)> {
    let [base, len] = items(reply, what)?;
    let base = match base {
        Value::BulkString(digits) => {
            base_of(&digits).ok_or_else(|| unexpected(what, &Value::BulkString(digits)))?
        }
        other => return Err(unexpected(what, &other)),
    };
    let len = match len {
        Value::Int(n) => u64::try_from(n).map_err(|_| unexpected(what, &Value::Int(n)))?,
        other => return Err(unexpected(what, &other)),
    };
    Ok((base, len))
}

/// The reply of the append script: the index of the appended record, or why it appended nothing.
pub(crate) fn appended(reply: Value) -> RedisResult<Result<u64, Refusal>> {
    const WHAT: &str = "the append script returned";
    match reply {
        Value::Int(index) => match u64::try_from(index) {
            Ok(index) => Ok(Ok(index)),
            Err(_) => refusal(index)
                .map(Err)
                .ok_or_else(|| unexpected(WHAT, &Value::Int(index))),
        },
        array @ Value::Array(_) => {
            let (base, len) = base_and_len(array, WHAT)?;
            len.checked_sub(1)
                .and_then(|last| base.checked_add(last))
                .map(Ok)
                .ok_or_else(|| {
                    RedisError::from((
                        RedisKind::UnexpectedReturnType,
                        "the append script returned an index past the largest there is",
                        format!("base {base}, length {len}"),
                    ))
                })
        }
        other => Err(unexpected(WHAT, &other)),
    }
}

/// The reply of the compaction script: done, or why it changed nothing.
pub(crate) fn compacted(reply: Value) -> RedisResult<Result<(), Refusal>> {
    const WHAT: &str = "the compaction script returned";
    match reply {
        Value::Int(COMPACTED) => Ok(Ok(())),
        Value::Int(code) => refusal(code)
            .map(Err)
            .ok_or_else(|| unexpected(WHAT, &Value::Int(code))),
        array @ Value::Array(_) => {
            let (base, len) = base_and_len(array, WHAT)?;
            Ok(Err(Refusal::OutOfRange { base, len }))
        }
        other => Err(unexpected(WHAT, &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk_string(bytes: &[u8]) -> Value {
        Value::BulkString(bytes.to_vec())
    }

    fn read_reply(data: Value, version: Value, records: Value) -> Value {
        Value::Array(vec![data, version, records])
    }

    #[test]
    fn values_and_absence_are_told_apart() {
        let none = Value::Array(vec![]);
        for absent in [
            read_reply(Value::Nil, Value::Nil, none.clone()),
            read_reply(Value::Nil, bulk_string(b"v1"), none.clone()),
            read_reply(
                Value::Nil,
                bulk_string(b"v1"),
                Value::Array(vec![bulk_string(b"r")]),
            ),
        ] {
            assert!(stored(absent).unwrap().is_none());
        }
        let empty = stored(read_reply(bulk_string(b""), Value::Nil, none.clone()))
            .unwrap()
            .unwrap();
        assert_eq!((&empty.data[..], empty.version), (&b""[..], None));
        let full = read_reply(
            bulk_string(b"data"),
            bulk_string(b"v1"),
            Value::Array(vec![bulk_string(b"r0"), bulk_string(b"r1")]),
        );
        let full = stored(full).unwrap().unwrap();
        assert_eq!(&full.data[..], b"data");
        assert_eq!(full.version.as_deref(), Some(&b"v1"[..]));
        assert_eq!(full.records, [&b"r0"[..], &b"r1"[..]]);
    }

    #[test]
    fn replies_of_another_shape_are_errors_that_do_not_show_the_bytes() {
        for broken in [
            read_reply(Value::Int(1), Value::Nil, Value::Array(vec![])),
            read_reply(bulk_string(b"data"), Value::Int(1), Value::Array(vec![])),
            read_reply(bulk_string(b"data"), Value::Nil, Value::Nil),
            read_reply(
                bulk_string(b"data"),
                Value::Nil,
                Value::Array(vec![Value::Nil]),
            ),
            Value::Array(vec![bulk_string(b"SECRET")]),
            Value::Nil,
        ] {
            let err = stored(broken).err().expect("an error");
            assert_eq!(err.kind(), RedisKind::UnexpectedReturnType);
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
    }

    #[test]
    fn the_script_says_whether_it_wrote() {
        assert!(written(Value::Int(WROTE)).unwrap());
        assert!(!written(Value::Int(0)).unwrap());
        assert!(written(Value::Okay).is_err());
    }

    #[test]
    fn appends_return_the_index_or_a_refusal() {
        assert_eq!(appended(Value::Int(0)).unwrap(), Ok(0));
        assert_eq!(appended(Value::Int(41)).unwrap(), Ok(41));
        let large = Value::Array(vec![bulk_string(b"18446744073709551000"), Value::Int(3)]);
        assert_eq!(appended(large).unwrap(), Ok(18_446_744_073_709_551_002));
        assert_eq!(appended(Value::Int(ABSENT)).unwrap(), Err(Refusal::Absent));
        assert_eq!(
            appended(Value::Int(NO_JOURNAL)).unwrap(),
            Err(Refusal::NoJournal)
        );
        assert_eq!(
            appended(Value::Int(OTHER_EPOCH)).unwrap(),
            Err(Refusal::OtherEpoch)
        );
        for broken in [
            Value::Int(-9),
            Value::Nil,
            Value::Array(vec![bulk_string(b"x1"), Value::Int(1)]),
            Value::Array(vec![bulk_string(b"5"), Value::Int(-1)]),
            Value::Array(vec![bulk_string(b"5"), Value::Int(0)]),
            Value::Array(vec![bulk_string(b"18446744073709551615"), Value::Int(2)]),
        ] {
            assert!(appended(broken).is_err());
        }
    }

    #[test]
    fn compactions_return_done_or_a_refusal() {
        assert_eq!(compacted(Value::Int(COMPACTED)).unwrap(), Ok(()));
        assert_eq!(
            compacted(Value::Int(OTHER_EPOCH)).unwrap(),
            Err(Refusal::OtherEpoch)
        );
        let range = Value::Array(vec![bulk_string(b"9"), Value::Int(4)]);
        assert_eq!(
            compacted(range).unwrap(),
            Err(Refusal::OutOfRange { base: 9, len: 4 })
        );
        for broken in [
            Value::Int(7),
            Value::Array(vec![]),
            Value::Array(vec![Value::Int(4)]),
            Value::Okay,
        ] {
            assert!(compacted(broken).is_err());
        }
    }
}
