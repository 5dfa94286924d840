//! Who besides this user can read or replace a session file: its mode, its owner, the symbolic links on
//! the way to it and the directories it lives in. `verify` reports what this finds.

use std::path::{Component, Path, PathBuf};

use crate::redact::Shown;

/// One thing that lets someone else read or replace the session, with how to fix it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Exposure {
    /// What is wrong.
    pub(crate) problem: String,
    /// How to fix it.
    pub(crate) fix: String,
}

/// Everything that exposes the session file at `path` (`shown` names it in messages), or, if nothing does,
/// what was checked.
#[cfg(unix)]
pub(crate) fn check_file(path: &Path, shown: &Shown) -> Result<String, Vec<Exposure>> {
    use std::os::unix::fs::MetadataExt;

    let meta = std::fs::metadata(path).map_err(|err| {
        vec![Exposure {
            problem: format!("cannot read the permissions of {shown}: {err}"),
            fix: "check the path".to_owned(),
        }]
    })?;
    let me = rustix::process::geteuid().as_raw();
    let mode = meta.mode() & 0o7777;
    let mut found = Vec::new();
    if mode & 0o077 != 0 {
        found.push(Exposure {
            problem: format!(
                "{shown} can be read or changed by group or others (mode {mode:04o}); anyone who reads it is \
                 logged in as the account"
            ),
            fix: format!("run `chmod 600 {shown}`"),
        });
    }
    if meta.uid() != me {
        found.push(Exposure {
            problem: format!(
                "{shown} is owned by uid {}, not by you (uid {me}): that user can read it and replace it",
                meta.uid()
            ),
            fix: "keep the session in a file of your own (`tgsession copy` it to a path you own)".to_owned(),
        });
    }
    found.extend(links_on_the_way(path, me));
    if let Ok(real) = std::fs::canonicalize(path) {
        found.extend(open_directories(&real));
    }
    if found.is_empty() {
        Ok(format!(
            "mode {mode:04o}, owner only (uid {me}), in directories only the owner can change"
        ))
    } else {
        Err(found)
    }
}

/// On systems without Unix permissions there is nothing to check.
#[cfg(not(unix))]
pub(crate) fn check_file(_path: &Path, _shown: &Shown) -> Result<String, Vec<Exposure>> {
    Ok("not checked on this system".to_owned())
}

/// Everything in the sled database directory `dir` that is not private to this user (see
/// [`session_sled::check_private`]), or, if nothing is, what was checked.
pub(crate) fn check_sled(dir: &Path) -> Result<String, Vec<Exposure>> {
    let shown = Shown::arg(&dir.to_string_lossy());
    let problems = session_sled::check_private(dir).map_err(|err| {
        vec![Exposure {
            problem: format!(
                "cannot check the files of the sled database {shown}: {}",
                err.kind()
            ),
            fix: "check the path".to_owned(),
        }]
    })?;
    if problems.is_empty() {
        return Ok("every file of the database is private to its owner".to_owned());
    }
    Err(problems
        .into_iter()
        .map(|problem| Exposure {
            problem: format!(
                "{} {}; other users may read the auth keys in it or change what sled reads",
                Shown::arg(&problem.path.to_string_lossy()),
                problem.issue
            ),
            fix: format!(
                "make the database directory {shown} yours and private (`chmod -R go-rwx`), with no links in it"
            ),
        })
        .collect())
}

/// The symbolic links among the components of `path` as given (relative ones resolved against the current
/// directory) that someone else controls: owned by another user than `me` or root, or in a directory others
/// may write to without the sticky bit (so they could replace the link).
#[cfg(unix)]
fn links_on_the_way(path: &Path, me: u32) -> Vec<Exposure> {
    use std::os::unix::fs::MetadataExt;

    let mut found = Vec::new();
    let mut prefix = absolute(path);
    let mut prefixes = Vec::new();
    while prefix.parent().is_some() {
        prefixes.push(prefix.clone());
        prefix.pop();
    }
    for link in prefixes {
        let Ok(meta) = std::fs::symlink_metadata(&link) else {
            continue;
        };
        if !meta.file_type().is_symlink() {
            continue;
        }
        let shown = Shown::arg(&link.to_string_lossy());
        if meta.uid() != me && meta.uid() != 0 {
            found.push(Exposure {
                problem: format!(
                    "the session is reached through the symbolic link {shown}, owned by uid {}: that user \
                     decides which file is read and written",
                    meta.uid()
                ),
                fix: "name the file by a path without links other users own".to_owned(),
            });
        } else if let Some(dir) = link.parent().and_then(writable_by_others) {
            found.push(Exposure {
                problem: format!(
                    "the session is reached through the symbolic link {shown} in {dir}, which others may \
                     write to: they can replace the link"
                ),
                fix: "name the file by a path without links in shared directories".to_owned(),
            });
        }
    }
    found
}

/// The directories from `/` to the directory of `real` (a canonical path) that others may write to
/// without the sticky bit: whoever can, can replace the session file with their own.
#[cfg(unix)]
fn open_directories(real: &Path) -> Vec<Exposure> {
    real.ancestors()
        .skip(1)
        .filter_map(writable_by_others)
        .map(|dir| Exposure {
            problem: format!(
                "the directory {dir} can be written by group or others without the sticky bit: they can \
                 replace the session file"
            ),
            fix: format!("run `chmod go-w {dir}`, or keep the session in a private directory"),
        })
        .collect()
}

/// `dir` as shown, if group or others may create and remove entries in it, and the sticky bit does not stop
/// them from removing or renaming other users' entries.
#[cfg(unix)]
fn writable_by_others(dir: &Path) -> Option<Shown> {
    use std::os::unix::fs::MetadataExt;

    let mode = std::fs::metadata(dir).ok()?.mode();
    let sticky = mode & 0o1000 != 0;
    (mode & 0o022 != 0 && !sticky).then(|| Shown::arg(&dir.to_string_lossy()))
}

/// `path` made absolute against the current directory, without resolving links, `.` removed.
fn absolute(path: &Path) -> PathBuf {
    let base = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_default()
    };
    path.components()
        .filter(|component| *component != Component::CurDir)
        .fold(base, |mut whole, component| {
            whole.push(component);
            whole
        })
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn check(path: &Path) -> Result<String, Vec<Exposure>> {
        check_file(path, &Shown::arg(&path.to_string_lossy()))
    }

    #[test]
    fn a_private_file_in_a_private_directory_passes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.session");
        fs::write(&file, b"x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        let found = check(&file).unwrap();
        assert!(found.starts_with("mode 0600, owner only"), "{found}");
    }

    #[test]
    fn a_group_readable_file_and_an_open_directory_are_both_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let file = dir.path().join("a.session");
        fs::write(&file, b"x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        let found = check(&file).unwrap_err();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].problem.contains("mode 0640"));
        assert!(found[1].problem.contains("without the sticky bit"));
    }

    #[test]
    fn a_sticky_shared_directory_alone_is_no_problem() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).unwrap();
        let file = dir.path().join("a.session");
        fs::write(&file, b"x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check(&file).is_ok());
    }
}
