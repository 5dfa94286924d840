//! Where `convert` writes: standard output, or a file created atomically with mode 0600 that is never
//! replaced without `--force`.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::backend::{self, BackendUrl};
use crate::error::{CliError, Role};
use crate::output;
use crate::redact::Shown;

/// The `DEST` of `convert`.
#[derive(Debug)]
pub(crate) enum Destination {
    /// `-`: standard output.
    Stdout,
    /// A file path.
    File(PathBuf),
}

impl Destination {
    /// The destination named `location`. A backend URL is refused: backends hold tgsession values, which
    /// `copy` writes.
    pub(crate) fn parse(location: &str) -> Result<Destination, CliError> {
        if location == "-" {
            Ok(Destination::Stdout)
        } else if BackendUrl::is_url(location) {
            Err(CliError::usage(
                format!("DEST {} is a backend URL", Shown::arg(location)),
                "use `tgsession copy` to store a session in a backend, or give a file path",
            ))
        } else {
            Ok(Destination::File(PathBuf::from(location)))
        }
    }

    /// Refuses to print a binary format on a terminal, before anything is read.
    pub(crate) fn check(&self, text: bool) -> Result<(), CliError> {
        if matches!(self, Destination::Stdout) && !text && std::io::stdout().is_terminal() {
            return Err(CliError::usage(
                "refusing to print a binary session file on the terminal",
                "redirect standard output to a file, or give a file path as DEST",
            ));
        }
        Ok(())
    }

    /// How the destination is named in messages (a path that looks like a URL with a password, or that
    /// could be a session string, hidden).
    pub(crate) fn describe(&self) -> Shown {
        match self {
            Destination::Stdout => Shown::fixed("standard output"),
            Destination::File(path) => Shown::arg(&path.to_string_lossy()),
        }
    }

    /// Writes `data`. A text format gets a final newline on standard output; a file gets exactly `data`,
    /// written through [`session_file::FileStorage`]: a temporary file (mode 0600) that is fsynced and renamed
    /// into place, so DEST never holds a partial file. Without `force`, the write is create-if-absent and an
    /// existing DEST is an [`Exists`](crate::exit::Exit::Exists) error.
    pub(crate) async fn write(&self, data: &[u8], text: bool, force: bool) -> Result<(), CliError> {
        match self {
            Destination::Stdout => {
                output::print_session(data)?;
                if text {
                    output::print_session("\n")?;
                }
                Ok(())
            }
            Destination::File(path) => {
                let shown = self.describe();
                let file = backend::file(path, &shown, Role::Destination)?;
                backend::refuse_if_leased(&file, force, &shown).await?;
                backend::save(&file, data, force, &shown).await
            }
        }
    }
}
