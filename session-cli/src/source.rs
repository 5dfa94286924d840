//! Where a session is read from: a file, standard input, a string given on the command line, or a backend
//! named by URL.

use std::fmt;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use session_interop::Format;
use zeroize::Zeroizing;

use crate::backend::{self, BackendUrl, Target};
use crate::error::{CliError, Role};
use crate::exit::Exit;
use crate::output;
use crate::redact::{protect_input, Shown};

/// The most bytes read from a file or standard input: far above any real session (a Telethon file with a
/// large entity cache is a few MiB), low enough that a wrong path such as `/dev/zero` fails instead of
/// exhausting memory.
const MAX_INPUT: u64 = 256 * 1024 * 1024;

/// A session's source, as named on the command line. `Debug` shows a `--string` session by its length only.
pub(crate) enum Source {
    /// `-`: standard input.
    Stdin,
    /// `--string <SESSION>`.
    Text(Zeroizing<String>),
    /// A file path.
    Path(PathBuf),
    /// A backend URL (`file:`, `sled:`, `redis://`, `postgres://`, `s3://`).
    Backend(BackendUrl),
}

impl Source {
    /// The source named by a positional `location` or by `--string`; exactly one must be given.
    pub(crate) fn from_args(
        location: Option<String>,
        string: Option<String>,
    ) -> Result<Source, CliError> {
        match (location, string) {
            (Some(_), Some(_)) => Err(CliError::usage(
                "both a SOURCE and --string were given",
                "give one of them",
            )),
            (None, None) => Err(CliError::usage(
                "no session given",
                "name a file, `-` for standard input, a backend URL, or --string <SESSION>",
            )),
            (None, Some(text)) => Ok(Source::Text(Zeroizing::new(text))),
            (Some(location), None) => Source::at(&location),
        }
    }

    /// The source at `location`: `-`, a backend URL or a path.
    pub(crate) fn at(location: &str) -> Result<Source, CliError> {
        if location == "-" {
            Ok(Source::Stdin)
        } else if BackendUrl::is_url(location) {
            Ok(Source::Backend(BackendUrl::parse(location)?))
        } else {
            Ok(Source::Path(PathBuf::from(location)))
        }
    }

    /// How the source is named in messages (a URL with its password hidden, anything that could be a
    /// session string by its length).
    pub(crate) fn describe(&self) -> Shown {
        match self {
            Source::Stdin => Shown::fixed("standard input"),
            Source::Text(_) => Shown::fixed("the --string session"),
            Source::Path(path) => Shown::arg(&path.to_string_lossy()),
            Source::Backend(url) => url.shown.clone(),
        }
    }

    /// The file the session is in, when it is one (a path, or a `file:` URL).
    pub(crate) fn file_path(&self) -> Option<&Path> {
        match self {
            Source::Path(path) => Some(path),
            Source::Backend(BackendUrl {
                target: Target::File(path),
                ..
            }) => Some(path),
            _ => None,
        }
    }

    /// The directory of the sled database the source names, when it is one.
    pub(crate) fn sled_dir(&self) -> Option<&Path> {
        match self {
            Source::Backend(BackendUrl {
                target: Target::Sled { path, .. },
                ..
            }) => Some(path),
            _ => None,
        }
    }

    /// The format the source is in without detection: backends hold tgsession values.
    pub(crate) fn known_format(&self) -> Option<Format> {
        match self {
            Source::Backend(_) => Some(Format::Tgsession),
            _ => None,
        }
    }

    /// Reads the whole source, and tells the output guard to never print any part of it that could be a
    /// session string.
    pub(crate) async fn bytes(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let data = self.read().await?;
        protect_input(&data);
        Ok(data)
    }

    /// Reads the whole source.
    async fn read(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        match self {
            Source::Text(text) => Ok(Zeroizing::new(text.as_bytes().to_vec())),
            Source::Stdin => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    output::note(
                        "tgsession: reading the session from standard input; end it with Ctrl-D",
                    );
                }
                read_limited(stdin.lock(), &self.describe(), 0)
            }
            Source::Path(path) => {
                let file = std::fs::File::open(path).map_err(|err| self.io_error(&err))?;
                let meta = file.metadata().ok();
                if meta.as_ref().is_some_and(|meta| meta.is_dir()) {
                    return Err(CliError::new(
                        Exit::Input,
                        format!("{} is a directory", self.describe()),
                        "name the session file inside it",
                    ));
                }
                let size = meta.map_or(0, |meta| meta.len().min(MAX_INPUT));
                read_limited(file, &self.describe(), size)
            }
            Source::Backend(url) => {
                let storage = backend::open(url, Role::Source).await?;
                backend::load(storage.as_ref(), &url.shown).await
            }
        }
    }

    /// The error for a file that cannot be opened. A path that names nothing (missing, or too long to be a
    /// file name) and could be a string session given by mistake is not shown: that would print its key.
    fn io_error(&self, err: &std::io::Error) -> CliError {
        let what = self.describe();
        let missing = self.file_path().filter(|path| !path.exists());
        if let Some(path) = missing.filter(|_| what.is_sensitive()) {
            return CliError::new(
                Exit::Input,
                format!(
                    "the argument ({} characters) is not a file",
                    path.to_string_lossy().chars().count()
                ),
                "to pass a string session use `-` (stdin) or --string",
            );
        }
        match err.kind() {
            std::io::ErrorKind::NotFound => CliError::new(
                Exit::Input,
                format!("{what}: no such file"),
                "check the path",
            ),
            std::io::ErrorKind::PermissionDenied => CliError::new(
                Exit::Input,
                format!("{what}: permission denied"),
                "run as the file's owner or fix its permissions",
            ),
            _ => CliError::bare(Exit::Input, format!("{what}: cannot read it: {err}")),
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("Stdin"),
            Source::Text(text) => write!(f, "Text(<{} characters>)", text.chars().count()),
            Source::Path(path) => write!(f, "Path({})", Shown::arg(&path.to_string_lossy())),
            Source::Backend(url) => f.debug_tuple("Backend").field(url).finish(),
        }
    }
}

/// How much is read at a time when the size of the input is not known in advance.
const CHUNK: usize = 1 << 20;

/// Reads all of `reader`, at most [`MAX_INPUT`] bytes, failing as soon as there is more. `size` is the
/// expected size (0 if unknown).
///
/// The input is read into buffers that are never reallocated (a reallocation would leave a copy of key bytes
/// in freed memory, and growing a vector by doubling would make an endless input such as `/dev/zero` cost
/// twice the cap): one of exactly `size` + 1 bytes when the size is known, else 1 MiB chunks that are joined
/// once at the end. So reading peaks at the cap plus one chunk for an endless input, and at twice the input
/// for one that ends.
fn read_limited(
    reader: impl Read,
    what: &Shown,
    size: u64,
) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut reader = reader.take(MAX_INPUT + 1);
    let mut chunks: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    let mut total: u64 = 0;
    loop {
        let want = match (chunks.is_empty(), usize::try_from(size)) {
            (true, Ok(size)) if size > 0 => size.saturating_add(1),
            _ => CHUNK,
        };
        let mut chunk = Zeroizing::new(Vec::with_capacity(want));
        (&mut reader)
            .take(want as u64)
            .read_to_end(&mut chunk)
            .map_err(|err| CliError::bare(Exit::Input, format!("{what}: cannot read it: {err}")))?;
        if chunk.is_empty() {
            break;
        }
        total += chunk.len() as u64;
        if total > MAX_INPUT {
            return Err(CliError::new(
                Exit::Input,
                format!("{what} is larger than {} MiB", MAX_INPUT >> 20),
                "check that it is a session",
            ));
        }
        chunks.push(chunk);
    }
    if chunks.len() == 1 {
        return Ok(chunks.remove(0));
    }
    // Below the cap, so the total fits in memory's address space.
    let mut data = Zeroizing::new(Vec::with_capacity(total as usize));
    for chunk in &chunks {
        data.extend_from_slice(chunk);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_string_session() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        let text = Source::from_args(None, Some(session.clone())).unwrap();
        assert_eq!(format!("{text:?}"), "Text(<341 characters>)");
        let path = Source::from_args(Some(session.clone()), None).unwrap();
        assert_eq!(format!("{path:?}"), "Path(<341 characters>)");
        let url = Source::at("redis://u:hunter2@h?slot=a").unwrap();
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("hunter2") && shown.starts_with("Backend("),
            "{shown}"
        );
    }
}
