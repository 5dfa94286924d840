//! A small file system to fill, for the adapters' full-disk tests: a tmpfs of a given size mounted on a
//! temporary directory, which [`Tmpfs::fill`] fills to the last byte.
//!
//! Mounting needs root; [`Tmpfs::mount`] fails the test with a message saying so when the tests do not run
//! as root (CI does), so a full-disk test never passes without staging the full disk.

#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmpfs mounted on a temporary directory, unmounted (lazily, as a storage under test may keep files
/// open) when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it: `32m`) on a new temporary directory.
    ///
    /// # Panics
    ///
    /// When the process is not root, or the mount fails.
    pub fn mount(size: &str) -> Tmpfs {
        assert_eq!(
            rustix::process::geteuid().as_raw(),
            0,
            "this test mounts a small tmpfs and fills it, which needs root (CI runs as root): run it with sudo"
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mount a tmpfs on {}",
            dir.path().display()
        );
        Tmpfs { dir }
    }

    /// The directory the tmpfs is mounted on.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The bytes still free on the tmpfs.
    pub fn free(&self) -> u64 {
        let vfs = rustix::fs::statvfs(self.path()).expect("statvfs of the tmpfs");
        vfs.f_bavail.saturating_mul(vfs.f_frsize)
    }

    /// Waits (up to 10 s) until at least `bytes` are free; returns how many are.
    pub fn wait_for_free(&self, bytes: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let free = self.free();
            if free >= bytes || Instant::now() >= deadline {
                return free;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Fills the tmpfs with one file until not even a byte fits; returns that file.
    ///
    /// # Panics
    ///
    /// When the file cannot be created, or space is left afterwards.
    pub fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = File::create(&path).expect("create the filler file");
        for chunk in [1 << 16, 1 << 12, 1 << 9, 1] {
            let bytes = vec![0xa5u8; chunk];
            while file.write_all(&bytes).is_ok() {}
        }
        assert_eq!(self.free(), 0, "the file system is full");
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
