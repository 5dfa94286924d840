//! Sections this version of the format does not know, kept for the round trip.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::CodecError;
use super::tag;

/// Sections of an encoded session that this version of the format does not know, written by a newer one.
///
/// [`Session::decode`](crate::Session::decode) keeps them here and [`Session::encode`](crate::Session::encode)
/// writes them back unchanged, in tag order among the known sections, so an older program that loads and
/// saves a session does not strip what a newer one added. They can only come from decoding (or from a serde
/// export of a decoded session), never be made up, so they never collide with a known section.
///
/// `Debug` shows only their tags and sizes: a future section may hold secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UnknownSections(pub(super) Vec<(u16, Vec<u8>)>);

impl UnknownSections {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many sections there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The sections as `(tag, payload)`, in increasing tag order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &[u8])> + '_ {
        self.0.iter().map(|(tag, data)| (*tag, data.as_slice()))
    }

    /// Checks that tags are unknown to this version and strictly increasing.
    fn validate(sections: Vec<(u16, Vec<u8>)>) -> Result<UnknownSections, CodecError> {
        for pair in sections.windows(2) {
            if pair[0].0 >= pair[1].0 {
                return Err(CodecError::invalid(
                    "unknown_sections",
                    "tags must be strictly increasing",
                ));
            }
        }
        if let Some((known, _)) = sections.iter().find(|(t, _)| tag::is_known(*t)) {
            return Err(CodecError::invalid(
                "unknown_sections",
                format!("tag {known:#06x} is a known section"),
            ));
        }
        Ok(UnknownSections(sections))
    }
}

impl fmt::Debug for UnknownSections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(tag, data)| format!("tag {tag:#06x}: {} bytes", data.len())),
            )
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct Raw {
    tag: u16,
    data: String,
}

impl Serialize for UnknownSections {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(tag, data)| Raw {
            tag: *tag,
            data: hex::encode(data),
        }))
    }
}

impl<'de> Deserialize<'de> for UnknownSections {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UnknownSections, D::Error> {
        let raw = Vec::<Raw>::deserialize(deserializer)?;
        let sections = raw
            .into_iter()
            .map(|r| hex::decode(&r.data).map(|data| (r.tag, data)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        UnknownSections::validate(sections).map_err(serde::de::Error::custom)
    }
}
