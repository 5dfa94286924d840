//! JSON objects read field by field as they stream past: known fields by name, every other field skipped
//! unread and counted.
//!
//! This replaces serde's `#[serde(flatten)]`, which buffers a whole object (and so a large unknown field in
//! it, at many times its size) before it looks at any field. Here a skipped value is never stored, and a key
//! is compared in place, never copied.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;

/// A struct read from a JSON object by [`deserialize`].
pub(super) trait Object: Default {
    /// The struct's name, for serde's messages.
    const NAME: &'static str;
    /// The known field names (at most 64), as they appear in the JSON.
    const FIELDS: &'static [&'static str];
    /// Indexes into [`Object::FIELDS`] of the fields the object must have.
    const REQUIRED: &'static [usize];

    /// Reads the value of field `FIELDS[index]` from `map` into `self`.
    fn field<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;

    /// Records that the object had `count` fields not in [`Object::FIELDS`].
    fn unknown(&mut self, count: usize);
}

/// Reads a `T` from a JSON object. A known field given twice fails with serde's "duplicate field" error, a
/// missing required one with "missing field".
pub(super) fn deserialize<'de, D: Deserializer<'de>, T: Object>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_struct(T::NAME, T::FIELDS, ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut object = T::default();
        let mut seen = 0_u64;
        let mut unknown = 0;
        while let Some(key) = map.next_key_seed(Key(T::FIELDS))? {
            let Some(index) = key else {
                map.next_value::<IgnoredAny>()?;
                unknown += 1;
                continue;
            };
            let bit = 1_u64 << index;
            if seen & bit != 0 {
                return Err(de::Error::duplicate_field(T::FIELDS[index]));
            }
            seen |= bit;
            object.field(index, &mut map)?;
        }
        if let Some(&missing) = T::REQUIRED.iter().find(|&&index| seen & (1 << index) == 0) {
            return Err(de::Error::missing_field(T::FIELDS[missing]));
        }
        object.unknown(unknown);
        Ok(object)
    }
}

/// A key, as the index of the known name it equals (`None` for any other key).
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| name.as_bytes() == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default)]
    struct Point {
        x: i64,
        y: i64,
        unknown: usize,
    }

    impl Object for Point {
        const NAME: &'static str = "Point";
        const FIELDS: &'static [&'static str] = &["X", "Y"];
        const REQUIRED: &'static [usize] = &[0];

        fn field<'de, A: MapAccess<'de>>(
            &mut self,
            index: usize,
            map: &mut A,
        ) -> Result<(), A::Error> {
            match index {
                0 => self.x = map.next_value()?,
                _ => self.y = map.next_value()?,
            }
            Ok(())
        }

        fn unknown(&mut self, count: usize) {
            self.unknown = count;
        }
    }

    impl<'de> Deserialize<'de> for Point {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Point, D::Error> {
            deserialize(deserializer)
        }
    }

    fn parse(json: &str) -> Result<Point, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn known_fields_are_read_and_the_others_skipped_and_counted() {
        let point =
            parse(r#"{"Z": {"deep": [1, [2]]}, "X": 1, "Y\u0000": "", "Y": 2, "Z": 3}"#).unwrap();
        assert_eq!((point.x, point.y, point.unknown), (1, 2, 3));
        let point = parse(r#"{"X": -4}"#).unwrap();
        assert_eq!((point.x, point.y, point.unknown), (-4, 0, 0));
    }

    #[test]
    fn doubled_and_missing_fields_are_errors() {
        assert!(parse(r#"{"X": 1, "X": 2}"#)
            .unwrap_err()
            .starts_with("duplicate field `X`"));
        assert!(parse(r#"{"Y": 1}"#)
            .unwrap_err()
            .starts_with("missing field `X`"));
        assert!(parse("[1, 2]").is_err());
    }
}
