//! The session file and the two companion files next to it.

use std::ffi::OsString;
use std::path::PathBuf;

use session_core::StorageError;

use crate::error::config_error;

/// The longest file name common file systems accept (`NAME_MAX` on Linux and macOS).
pub(crate) const NAME_MAX: usize = 255;

/// How many bytes the longest companion name adds to the session file's name: a leading `.` and `.lock`.
pub(crate) const COMPANION_OVERHEAD: usize = 1 + LOCK_SUFFIX.len();

const LOCK_SUFFIX: &str = ".lock";
const TEMP_SUFFIX: &str = ".tmp";
/// No longer than [`LOCK_SUFFIX`], so the journal adds nothing to the longest companion name.
const JOURNAL_SUFFIX: &str = ".jnl";
/// No longer than [`LOCK_SUFFIX`] either.
const HOLD_SUFFIX: &str = ".hold";

/// Where one session lives: `<dir>/<name>`, its lock file `<dir>/.<name>.lock`, its temporary file
/// `<dir>/.<name>.tmp`, its journal `<dir>/.<name>.jnl` and its lease file `<dir>/.<name>.hold`.
#[derive(Debug)]
pub(crate) struct SessionPaths {
    /// The session file, exactly as the user named it.
    pub(crate) target: PathBuf,
    /// The directory holding the session file and its companions (`.` for a bare file name).
    pub(crate) dir: PathBuf,
    /// The lock file every writer locks; created on the first write and never deleted.
    pub(crate) lock: PathBuf,
    /// The file a writer fills before renaming it over `target` (or over `journal`).
    pub(crate) temp: PathBuf,
    /// The journal of records after the snapshot in `target`, when the session keeps one.
    pub(crate) journal: PathBuf,
    /// The lease file: locked by the lease's holder, and holding the lease record with its fencing token;
    /// created on the first acquisition and never deleted.
    pub(crate) hold: PathBuf,
}

impl SessionPaths {
    /// Derives the companion paths of `target`; fails with [`ErrorKind::Config`](session_core::ErrorKind)
    /// if `target` does not end in a file name (`/`, `..`, an empty path) or if the companion names would be
    /// longer than [`NAME_MAX`]. Touches no file.
    pub(crate) fn new(target: PathBuf) -> Result<SessionPaths, StorageError> {
        let Some(name) = target.file_name() else {
            return Err(config_error(format!(
                "{:?} does not name a file",
                target.display().to_string()
            )));
        };
        if name.len() + COMPANION_OVERHEAD > NAME_MAX {
            return Err(config_error(format!(
                "the file name of {} is too long: at most {} bytes are allowed, so that the lock file name \
                 fits in {NAME_MAX} bytes",
                target.display(),
                NAME_MAX - COMPANION_OVERHEAD
            )));
        }
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let companion = |suffix: &str| {
            let mut hidden = OsString::from(".");
            hidden.push(name);
            hidden.push(suffix);
            dir.join(hidden)
        };
        Ok(SessionPaths {
            lock: companion(LOCK_SUFFIX),
            temp: companion(TEMP_SUFFIX),
            journal: companion(JOURNAL_SUFFIX),
            hold: companion(HOLD_SUFFIX),
            target,
            dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use session_core::ErrorKind;

    use super::*;

    #[test]
    fn companions_sit_next_to_the_target() {
        let paths = SessionPaths::new("/srv/tg/bot.session".into()).unwrap();
        assert_eq!(paths.dir, Path::new("/srv/tg"));
        assert_eq!(paths.lock, Path::new("/srv/tg/.bot.session.lock"));
        assert_eq!(paths.temp, Path::new("/srv/tg/.bot.session.tmp"));
        assert_eq!(paths.target, Path::new("/srv/tg/bot.session"));
    }

    #[test]
    fn a_bare_name_lives_in_the_current_directory() {
        let paths = SessionPaths::new("my.session".into()).unwrap();
        assert_eq!(paths.dir, Path::new("."));
        assert_eq!(paths.lock, Path::new("./.my.session.lock"));
        assert_eq!(paths.target, Path::new("my.session"));
    }

    #[test]
    fn rejects_paths_without_a_file_name() {
        for path in ["", "/", "sessions/..", ".."] {
            let err = SessionPaths::new(path.into()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{path:?}");
        }
    }

    #[test]
    fn rejects_names_whose_lock_file_name_would_not_fit() {
        let longest = "x".repeat(NAME_MAX - COMPANION_OVERHEAD);
        assert!(SessionPaths::new(longest.clone().into()).is_ok());
        let err = SessionPaths::new(format!("{longest}x").into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("too long"), "{err}");
    }
}
