//! The one error type of this crate.

use crate::format::Format;

/// Why a session could not be read, detected or written.
///
/// Messages never contain key material: readers describe what is wrong with the input's structure, never its
/// bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InteropError {
    /// The input is not a valid session of the named format.
    #[error("not a valid {} ({format}): {reason}", format.description())]
    Malformed {
        /// The format the input was read as.
        format: Format,
        /// What is wrong, in words (never the input's bytes).
        reason: String,
    },
    /// The input is a session of the named format, but of a version or variant this crate does not read.
    #[error("unsupported {} ({format}): {reason}", format.description())]
    Unsupported {
        /// The format the input was read as.
        format: Format,
        /// What is not supported.
        reason: String,
    },
    /// [`detect`](crate::detect) found no format the input is valid in.
    #[error("not a session file or string of any known format ({reason}); name the format explicitly to see why it is rejected")]
    Unrecognized {
        /// A short account of what the input looks like.
        reason: String,
    },
    /// [`detect`](crate::detect) found the input valid in more than one format and does not guess.
    #[error("the input is valid as {}; name the format to use (`--from <FORMAT>` on the command line, `session_interop::read(Format::.., bytes)` in code)", candidates_text(candidates))]
    Ambiguous {
        /// Every format the input is valid in.
        candidates: Vec<Format>,
    },
    /// The target format must hold a field that the session does not have.
    #[error("cannot write {} ({format}): the session has no {field}{}", format.description(), hint_text(hint))]
    MissingField {
        /// The target format.
        format: Format,
        /// The missing field, e.g. `api id`.
        field: &'static str,
        /// How to supply it, when there is a way.
        hint: Option<&'static str>,
    },
    /// The session holds a value the target format cannot represent at all (a DC id above 255 in a format
    /// that stores it in one byte, say), so no faithful file can be written.
    #[error("cannot write {} ({format}): {reason}", format.description())]
    Unwritable {
        /// The target format.
        format: Format,
        /// What cannot be represented.
        reason: String,
    },
    /// The format can be read but not written.
    #[error("{} ({}) can be read but not written; pick a writable format", .0.description(), .0)]
    ReadOnly(Format),
    /// A format name that is not one of [`Format::ALL`].
    #[error("unknown format `{name}`; known formats: {}", known_formats())]
    UnknownFormat {
        /// The name given.
        name: String,
    },
}

impl InteropError {
    /// A [`InteropError::Malformed`] error for `format`.
    pub(crate) fn malformed(format: Format, reason: impl Into<String>) -> InteropError {
        InteropError::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

fn candidates_text(candidates: &[Format]) -> String {
    let names: Vec<String> = candidates
        .iter()
        .map(|format| format!("{} ({format})", format.description()))
        .collect();
    names.join(" and as ")
}

fn hint_text(hint: &Option<&'static str>) -> String {
    hint.map(|hint| format!("; {hint}")).unwrap_or_default()
}

fn known_formats() -> String {
    let names: Vec<&str> = Format::ALL.iter().map(|format| format.name()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguity_names_every_candidate_and_the_way_out() {
        let err = InteropError::Ambiguous {
            candidates: vec![Format::TelethonString, Format::GramjsString],
        };
        let text = err.to_string();
        assert!(text.contains("telethon-string"), "{text}");
        assert!(text.contains("gramjs-string"), "{text}");
        assert!(text.contains("--from"), "{text}");
    }

    #[test]
    fn missing_field_names_the_field() {
        let err = InteropError::MissingField {
            format: Format::PyrogramString,
            field: "api id",
            hint: Some("set it with --api-id"),
        };
        assert_eq!(
            err.to_string(),
            "cannot write Pyrogram 2 / Kurigram string session (pyrogram-string): the session has no api id; \
             set it with --api-id"
        );
    }
}
