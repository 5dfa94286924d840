//! Date columns as Telethon writes them: an integer (`int(time.time())` for entities) or a float
//! (`datetime.timestamp()` for update states, e.g. `1795471096.533902` for a channel's state, which SQLite
//! keeps as a REAL in an INTEGER column unless it has no fraction).

use rusqlite::types::ValueRef;

use super::FORMAT;
use crate::error::InteropError;

/// A date column's value in whole seconds: an INTEGER, or a finite REAL truncated toward zero, which must fit
/// in 32 bits (MTProto's dates do); `None` for NULL. Text, blobs, infinities and dates beyond 32 bits are
/// [`InteropError::Malformed`], naming `what`.
pub(super) fn read(what: &str, value: ValueRef<'_>) -> Result<Option<i32>, InteropError> {
    let seconds = match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(seconds) => i32::try_from(seconds).ok(),
        ValueRef::Real(seconds) => {
            let whole = seconds.trunc();
            // Finite and within range, so the cast neither saturates nor rounds.
            (whole.is_finite() && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&whole))
                .then_some(whole as i32)
        }
        ValueRef::Text(_) | ValueRef::Blob(_) => {
            return Err(InteropError::malformed(
                FORMAT,
                format!("{what} is not a number"),
            ))
        }
    };
    seconds.map(Some).ok_or_else(|| {
        InteropError::malformed(
            FORMAT,
            format!("{what} is not a date in the 32-bit range MTProto uses"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_floats_are_whole_seconds() {
        let date = |value| read("a date", value);
        assert_eq!(date(ValueRef::Null).unwrap(), None);
        assert_eq!(
            date(ValueRef::Integer(1_700_000_000)).unwrap(),
            Some(1_700_000_000)
        );
        assert_eq!(
            date(ValueRef::Real(1_795_471_096.533_902)).unwrap(),
            Some(1_795_471_096)
        );
        assert_eq!(date(ValueRef::Real(-0.5)).unwrap(), Some(0));
        assert_eq!(date(ValueRef::Real(-1.5)).unwrap(), Some(-1));
        assert_eq!(
            date(ValueRef::Real(2_147_483_647.9)).unwrap(),
            Some(i32::MAX)
        );
        for bad in [
            ValueRef::Integer(1 << 31),
            ValueRef::Integer(i64::MIN),
            ValueRef::Real(2_147_483_648.0),
            ValueRef::Real(-2_147_483_649.0),
            ValueRef::Real(f64::INFINITY),
            ValueRef::Real(f64::NEG_INFINITY),
            ValueRef::Real(f64::NAN),
            ValueRef::Text(b"1700000000"),
            ValueRef::Blob(b"\x01"),
        ] {
            let err = date(bad).unwrap_err().to_string();
            assert!(err.contains("a date"), "{err}");
        }
    }
}
