//! Decoding the server's replies; a reply of another shape becomes a driver error of kind
//! `UnexpectedReturnType`, mapped like every other driver error.

use redis::{ErrorKind as RedisKind, RedisError, RedisResult, Value};
use session_core::{Bytes, Version};

use crate::commands::WROTE;

/// A reply of an unexpected shape, as a driver error.
fn unexpected(what: &'static str, reply: &Value) -> RedisError {
    RedisError::from((RedisKind::UnexpectedReturnType, what, format!("{reply:?}")))
}

/// A bulk string reply as bytes (without copying); `None` for a nil reply.
fn bulk(reply: Value, what: &'static str) -> RedisResult<Option<Bytes>> {
    match reply {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => Ok(Some(Bytes::from(bytes))),
        other => Err(unexpected(what, &other)),
    }
}

/// The reply to `GET data`: the stored bytes, or `None`.
pub(crate) fn value(reply: Value) -> RedisResult<Option<Bytes>> {
    bulk(reply, "GET returned")
}

/// The replies to `GET data` and `GET version` in one transaction: the stored bytes and their version, or
/// `None` when the data key does not exist (a version key alone is left over and does not count). A data
/// key without a version key was not written by this crate.
pub(crate) fn versioned(reply: Value) -> RedisResult<Option<(Bytes, Version)>> {
    let replies = match reply {
        Value::Array(replies) => <[Value; 2]>::try_from(replies).map_err(Value::Array),
        other => Err(other),
    };
    let [data, version] =
        replies.map_err(|other| unexpected("the transaction returned", &other))?;
    let Some(data) = bulk(data, "the data key holds")? else {
        return Ok(None);
    };
    match bulk(version, "the version key holds")? {
        Some(version) => Ok(Some((data, Version::from_bytes(version)))),
        None => Err(RedisError::from((
            RedisKind::UnexpectedReturnType,
            "the data key has no version key beside it",
            "was it written by another application?".to_owned(),
        ))),
    }
}

/// The reply of the conditional write script: whether it wrote.
pub(crate) fn written(reply: Value) -> RedisResult<bool> {
    match reply {
        Value::Int(status) => Ok(status == WROTE),
        other => Err(unexpected("the conditional write script returned", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk_string(bytes: &[u8]) -> Value {
        Value::BulkString(bytes.to_vec())
    }

    #[test]
    fn values_and_absence_are_told_apart() {
        assert_eq!(value(Value::Nil).unwrap(), None);
        assert_eq!(value(bulk_string(b"")).unwrap().as_deref(), Some(&b""[..]));
        assert_eq!(
            value(bulk_string(b"x")).unwrap().as_deref(),
            Some(&b"x"[..])
        );
        assert!(value(Value::Int(1)).is_err());
    }

    #[test]
    fn versioned_replies_need_a_version_beside_the_data() {
        let both = Value::Array(vec![bulk_string(b"data"), bulk_string(b"v1")]);
        let (data, version) = versioned(both).unwrap().unwrap();
        assert_eq!(
            (&data[..], version),
            (&b"data"[..], Version::from_bytes(b"v1"))
        );
        for absent in [
            Value::Array(vec![Value::Nil, Value::Nil]),
            Value::Array(vec![Value::Nil, bulk_string(b"v1")]),
        ] {
            assert_eq!(versioned(absent).unwrap(), None);
        }
        for broken in [
            Value::Array(vec![bulk_string(b"data"), Value::Nil]),
            Value::Array(vec![bulk_string(b"data"), Value::Int(1)]),
            Value::Array(vec![Value::Nil]),
            Value::Nil,
        ] {
            let err = versioned(broken).unwrap_err();
            assert_eq!(err.kind(), RedisKind::UnexpectedReturnType);
        }
    }

    #[test]
    fn the_script_says_whether_it_wrote() {
        assert!(written(Value::Int(WROTE)).unwrap());
        assert!(!written(Value::Int(0)).unwrap());
        assert!(written(Value::Okay).is_err());
    }
}
