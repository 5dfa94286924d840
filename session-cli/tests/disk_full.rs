//! A full disk under the destination: `copy` into a `file:` or `sled:` backend and `convert` to a file fail
//! with exit 6 (refused, not "try again") and say to free space, whichever adapter ran out of it, and leave
//! the session that was there untouched.
//!
//! Staged on a small tmpfs that the test fills; mounting needs root (CI runs as root): run without root the
//! test fails and says so.

#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{arg, run, vector};

/// A tmpfs mounted on a temporary directory, unmounted (lazily) when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        assert_eq!(
            rustix::process::geteuid().as_raw(),
            0,
            "this test mounts a small tmpfs and fills it, which needs root (CI runs as root): run it with sudo"
        );
        let dir = tempfile::tempdir().unwrap();
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

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system with one file until not even a byte fits.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = File::create(&path).unwrap();
        for chunk in [1 << 16, 1 << 12, 1 << 9, 1] {
            let bytes = vec![0xa5u8; chunk];
            while file.write_all(&bytes).is_ok() {}
        }
        let free = rustix::fs::statvfs(self.path()).unwrap().f_bavail;
        assert_eq!(free, 0, "the file system is full");
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

#[test]
fn a_full_disk_is_exit_6_and_says_to_free_space_for_every_local_backend() {
    // Larger than the sled adapter's free-space reserve (8 MiB), so the first writes fit.
    let fs = Tmpfs::mount("32m");
    let source = vector("telethon_v8.session");
    let other = vector("gramjs_2.26.22_string_ipv4.txt");
    let file = fs.path().join("kept.tgs");
    let file_url = format!("file:{}", arg(&file));
    let sled_url = format!("sled:{}?slot=main", arg(&fs.path().join("db")));
    let converted = fs.path().join("kept.session");
    for url in [&file_url, &sled_url] {
        run(&["copy", arg(&source), url]).ok();
    }
    run(&[
        "convert",
        arg(&source),
        arg(&converted),
        "--to",
        "telethon-string",
    ])
    .ok();
    let before: Vec<String> = [&file_url, &sled_url]
        .iter()
        .map(|url| run(&["inspect", "--json", url]).ok().text())
        .collect();
    let converted_before = std::fs::read(&converted).unwrap();

    fs.fill();
    let new_file = format!("file:{}", arg(&fs.path().join("new.tgs")));
    let new_slot = format!("sled:{}?slot=new", arg(&fs.path().join("db")));
    let new_converted = fs.path().join("new.session");
    let attempts = [
        vec!["copy", "--force", arg(&other), &file_url],
        vec!["copy", arg(&other), &new_file],
        vec!["copy", "--force", arg(&other), &sled_url],
        vec!["copy", arg(&other), &new_slot],
        vec![
            "convert",
            "--force",
            arg(&other),
            arg(&converted),
            "--to",
            "telethon-string",
        ],
        vec![
            "convert",
            arg(&other),
            arg(&new_converted),
            "--to",
            "telethon-string",
        ],
    ];
    for args in &attempts {
        let result = run(args);
        result.fails(6, "free space");
    }
    let after: Vec<String> = [&file_url, &sled_url]
        .iter()
        .map(|url| run(&["inspect", "--json", url]).ok().text())
        .collect();
    assert_eq!(after, before, "the sessions that were there are untouched");
    assert_eq!(std::fs::read(&converted).unwrap(), converted_before);
    assert!(!new_converted.exists());
}
