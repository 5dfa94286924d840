//! The one error type of the binary: an [`Exit`] code, a reason and a fix, printed as one line.

use std::fmt;

use session_core::{ErrorKind, StorageError};
use session_interop::InteropError;

use crate::exit::Exit;
use crate::redact::Shown;

/// A failed command: what went wrong, how to fix it, and the exit code it ends the process with.
///
/// `Display` is the single line printed on standard error: `tgsession: <reason>; <fix>`. Reasons and fixes
/// **must not** contain key material or passwords; the constructors here only use texts that the libraries
/// guarantee are free of both (their error messages) and the names of sources and destinations as [`Shown`]
/// shows them. A library's message about a location whose name could hold a session string is left out,
/// since it may quote a path built from that name. (Whatever is printed also passes through the guard of
/// [`crate::redact`].)
#[derive(Debug)]
pub(crate) struct CliError {
    exit: Exit,
    reason: String,
    fix: Option<String>,
}

/// How a source was read, for the advice when it could not be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadAs {
    /// As the format `--from` named.
    Named,
    /// As a backend's tgsession value.
    Stored,
    /// As the format detection found (or failed to find).
    Detected,
}

/// Which end of a transfer a storage error happened at; it decides what a damaged value means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The session is read from here.
    Source,
    /// The session is written here.
    Destination,
}

impl CliError {
    /// An error with a fix.
    pub(crate) fn new(exit: Exit, reason: impl Into<String>, fix: impl Into<String>) -> CliError {
        CliError {
            exit,
            reason: reason.into(),
            fix: Some(fix.into()),
        }
    }

    /// An error whose reason already says what to do.
    pub(crate) fn bare(exit: Exit, reason: impl Into<String>) -> CliError {
        CliError {
            exit,
            reason: reason.into(),
            fix: None,
        }
    }

    /// A usage error (exit code 2).
    pub(crate) fn usage(reason: impl Into<String>, fix: impl Into<String>) -> CliError {
        CliError::new(Exit::Usage, reason, fix)
    }

    /// The exit code this error ends the process with.
    pub(crate) fn exit(&self) -> Exit {
        self.exit
    }

    /// A session that could not be read from `what` (a source, as shown to the user); `how` it was read
    /// changes the advice.
    pub(crate) fn unreadable(err: InteropError, what: &Shown, how: ReadAs) -> CliError {
        match err {
            InteropError::Unrecognized { reason } => CliError::new(
                Exit::Input,
                format!("{what} is not a session of any known format ({reason})"),
                "name its format with --from <FORMAT> to see why it is rejected (`tgsession formats` lists \
                 them)",
            ),
            InteropError::Ambiguous { candidates } => {
                let names: Vec<String> = candidates.iter().map(|f| f.to_string()).collect();
                let choices: Vec<String> = names.iter().map(|n| format!("--from {n}")).collect();
                CliError::new(
                    Exit::Input,
                    format!(
                        "{what} is valid in more than one format: {}",
                        names.join(", ")
                    ),
                    format!("say which it is with {}", choices.join(" or ")),
                )
            }
            InteropError::Malformed { .. } => CliError::new(
                Exit::Input,
                format!("{what}: {err}"),
                match how {
                    ReadAs::Named => {
                        "check that --from names its format (or leave --from out to detect it) and that the \
                         whole session was copied"
                    }
                    ReadAs::Stored => {
                        "a backend holds tgsession values; to read another library's file, give its path \
                         without `file:`"
                    }
                    ReadAs::Detected => {
                        "check that the whole session was copied, with nothing cut off or added"
                    }
                },
            ),
            InteropError::Unsupported { .. } => CliError::new(
                Exit::Input,
                format!("{what}: {err}"),
                "open it once with a current version of the library that made it, or convert it there to a \
                 format tgsession reads",
            ),
            other => CliError::bare(Exit::Input, format!("{what}: {other}")),
        }
    }

    /// A session that could not be written in the target format.
    pub(crate) fn unwritable(err: InteropError) -> CliError {
        match err {
            InteropError::ReadOnly(_) | InteropError::UnknownFormat { .. } => CliError::new(
                Exit::Usage,
                err.to_string(),
                "`tgsession formats` lists the formats and which can be written",
            ),
            InteropError::MissingField { hint: None, .. } | InteropError::Unwritable { .. } => {
                CliError::new(
                    Exit::Input,
                    err.to_string(),
                    "convert to another format (`tgsession formats` lists them)",
                )
            }
            other => CliError::bare(Exit::Input, other.to_string()),
        }
    }

    /// A storage error at `target` (a destination or source, as shown to the user).
    pub(crate) fn storage(err: &StorageError, target: &Shown, role: Role) -> CliError {
        let reason = if target.is_sensitive() {
            // The library's message names paths built from the name (a parent directory, a lock file).
            format!("{target}: {}: {}", err.backend(), err.kind())
        } else {
            format!("{target}: {err}")
        };
        match (err.kind(), role) {
            (ErrorKind::Conflict, _) => CliError::new(
                Exit::Exists,
                format!("{target} already exists; nothing was written"),
                "add --force to replace it",
            ),
            (ErrorKind::Timeout, _) if err.backend() == "file" => CliError::new(
                Exit::Unavailable,
                reason,
                "another process is writing this session file and holds its lock file (named above); \
                 try again when it is done, or stop it",
            ),
            // sled's only lock is its `db` file's, held by whoever has the database open.
            (ErrorKind::Unavailable, _) if err.backend() == "sled" => CliError::new(
                Exit::Unavailable,
                reason,
                "another process has this sled database open and holds its lock file (named above); try \
                 again when it is done, or stop it",
            ),
            (ErrorKind::StorageFull, _) => CliError::new(
                Exit::Refused,
                reason,
                "free space on the disk (or the server's memory or quota), then try again; nothing was written",
            ),
            (ErrorKind::Unavailable | ErrorKind::Timeout, _) => CliError::new(
                Exit::Unavailable,
                reason,
                "check that the server is running and reachable, then try again",
            ),
            (ErrorKind::PermissionDenied, _) => CliError::new(
                Exit::Refused,
                reason,
                "check the credentials (in the URL or the environment) and the permissions",
            ),
            (ErrorKind::Config, _) => CliError::new(
                Exit::Refused,
                reason,
                "check the URL, and that the directory, database, table or bucket exists",
            ),
            (ErrorKind::Corrupt | ErrorKind::Unsupported, Role::Source) => CliError::new(
                Exit::Input,
                reason,
                "the stored value is not a tgsession session this version can read; nothing was changed",
            ),
            (ErrorKind::InvalidInput, _) => CliError::new(
                Exit::Usage,
                reason,
                "check the URL (a slot name is 1 to 255 of A-Z a-z 0-9 . _ : @ + = -)",
            ),
            _ => CliError::bare(Exit::Refused, reason),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tgsession: {}", one_line(&self.reason))?;
        if let Some(fix) = &self.fix {
            write!(f, "; {}", one_line(fix))?;
        }
        Ok(())
    }
}

/// `text` with line breaks turned into spaces, so an error is always one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_interop::Format;

    #[test]
    fn an_error_is_one_line_with_reason_and_fix() {
        let err = CliError::new(Exit::Input, "first\nsecond", "do\r\nthis");
        assert_eq!(err.to_string(), "tgsession: first second; do this");
        assert_eq!(CliError::bare(Exit::Usage, "x").to_string(), "tgsession: x");
    }

    #[test]
    fn ambiguity_offers_each_choice() {
        let err = InteropError::Ambiguous {
            candidates: vec![Format::TelethonString, Format::GramjsString],
        };
        let err = CliError::unreadable(err, &Shown::fixed("standard input"), ReadAs::Detected);
        assert_eq!(err.exit(), Exit::Input);
        let text = err.to_string();
        assert!(
            text.contains("--from telethon-string or --from gramjs-string"),
            "{text}"
        );
    }

    #[test]
    fn storage_kinds_map_to_exit_codes() {
        let cases = [
            (ErrorKind::Conflict, Role::Destination, Exit::Exists),
            (ErrorKind::Unavailable, Role::Destination, Exit::Unavailable),
            (ErrorKind::Timeout, Role::Source, Exit::Unavailable),
            (ErrorKind::PermissionDenied, Role::Source, Exit::Refused),
            (ErrorKind::Config, Role::Destination, Exit::Refused),
            (ErrorKind::Corrupt, Role::Source, Exit::Input),
            (ErrorKind::Corrupt, Role::Destination, Exit::Refused),
            (ErrorKind::InvalidInput, Role::Destination, Exit::Usage),
            (ErrorKind::StorageFull, Role::Destination, Exit::Refused),
            (ErrorKind::Other, Role::Destination, Exit::Refused),
        ];
        for (kind, role, exit) in cases {
            let err = StorageError::new(kind, "test", "message");
            assert_eq!(
                CliError::storage(&err, &Shown::fixed("there"), role).exit(),
                exit,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_lock_held_by_another_writer_says_so_not_that_a_server_is_down() {
        let err = StorageError::new(ErrorKind::Timeout, "file", "held the lock file /x/.a.lock");
        let text = CliError::storage(&err, &Shown::fixed("/x/a"), Role::Destination).to_string();
        assert!(
            text.contains("/x/.a.lock") && text.contains("another process"),
            "{text}"
        );
        assert!(!text.contains("server"), "{text}");
        let err = StorageError::new(
            ErrorKind::Unavailable,
            "sled",
            "cannot open the database /x/db.sled: it is locked: another process (or another open handle in \
             this process) has it open and held its lock file /x/db.sled/db for more than 2s",
        );
        let run = CliError::storage(&err, &Shown::fixed("sled:/x/db.sled?slot=a"), Role::Source);
        assert_eq!(run.exit(), Exit::Unavailable);
        let text = run.to_string();
        assert!(
            text.contains("/x/db.sled/db") && text.contains("another process"),
            "{text}"
        );
        assert!(!text.contains("server"), "{text}");
    }

    #[test]
    fn the_message_about_a_session_like_name_is_left_out() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        let err = StorageError::new(
            ErrorKind::Config,
            "file",
            format!("the directory {} does not exist", &session[..100]),
        );
        let text = CliError::storage(&err, &Shown::arg(&session), Role::Destination).to_string();
        assert!(!text.contains(&session[..100]), "{text}");
        assert!(
            text.contains("<341 characters>: file: configuration error"),
            "{text}"
        );
    }
}
