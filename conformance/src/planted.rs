//! Staging what another local user can do in a shared directory, for the adapters' security tests: a
//! world-writable sticky directory like `/tmp`, and symbolic links or files in it owned by the user
//! `nobody`, planted where an adapter is about to create or open something.
//!
//! Giving a file to another user needs root; [`shared_sticky_dir`] fails the test with a message saying so
//! when the tests do not run as root (CI does), so such a test never passes without staging its attack.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{chown, lchown, symlink, MetadataExt, PermissionsExt};
use std::path::Path;

/// The uid (and gid) of `nobody` on Debian and most Linux systems.
pub const NOBODY: u32 = 65534;

/// A new temporary directory with mode `1777`, as `/tmp` is, removed when dropped.
///
/// # Panics
///
/// When the process is not root (it could not give files to `nobody`), or the directory cannot be made.
pub fn shared_sticky_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The owner of a new directory is the effective user; std has no other safe way to ask for it.
    let me = fs::metadata(dir.path()).expect("its metadata").uid();
    assert_eq!(
        me, 0,
        "this test plants files owned by the user `nobody` and must run as root (CI does): run it with sudo"
    );
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    dir
}

/// Plants, as `nobody`, a symbolic link at `at` pointing to `to`.
///
/// # Panics
///
/// When the link cannot be made or given away.
pub fn plant_symlink(at: &Path, to: &Path) {
    symlink(to, at).unwrap_or_else(|err| panic!("symlink {}: {err}", at.display()));
    lchown(at, Some(NOBODY), Some(NOBODY))
        .unwrap_or_else(|err| panic!("lchown {}: {err}", at.display()));
}

/// Gives the file or directory at `path` to `nobody`.
///
/// # Panics
///
/// When it cannot be given away.
pub fn give_to_nobody(path: &Path) {
    chown(path, Some(NOBODY), Some(NOBODY))
        .unwrap_or_else(|err| panic!("chown {}: {err}", path.display()));
}
