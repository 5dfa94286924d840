//! Every file the adapter makes sled create is `0600` and every directory `0700`, whatever the umask and
//! the mode of an existing database directory: `db`, `conf`, the blob files of large values, the snapshot
//! sled writes when it reopens a database. And `check_private` reports what is not private.
//!
//! The first test sets the process umask, so it must stay the only test of this binary that creates files
//! whose mode it checks without going through the adapter.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::Mode;
use session_core::{Bytes, SessionStorage, Slot};
use session_sled::{check_private, open_db, Issue, SledStorage};

/// Well over sled's blob threshold (about 128 KiB), so the value goes to a file under `blobs/`.
/// The umask is per process: the test that changes it must not run while another test of this file
/// creates files, so every test here takes this lock.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const LARGE: usize = 300 << 10;

fn slot(name: &str) -> Slot {
    Slot::new(name).unwrap()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Every path under `dir` (not following links), with its mode.
fn modes_under(dir: &Path) -> Vec<(PathBuf, fs::Metadata)> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            found.extend(modes_under(&path));
        }
        found.push((path, meta));
    }
    found
}

/// Asserts that `dir` is `0700` and everything in it `0600` (files) or `0700` (directories), that it holds
/// a blob file and a snapshot file (so both kinds were checked), and that `check_private` agrees.
fn assert_private(dir: &Path, context: &str) {
    let mode = |meta: &fs::Metadata| meta.permissions().mode() & 0o7777;
    assert_eq!(
        mode(&fs::metadata(dir).unwrap()),
        0o700,
        "{context}: {}",
        dir.display()
    );
    let entries = modes_under(dir);
    for (path, meta) in &entries {
        let expected = if meta.is_dir() { 0o700 } else { 0o600 };
        assert!(
            meta.is_dir() || meta.is_file(),
            "{context}: {}",
            path.display()
        );
        assert_eq!(
            mode(meta),
            expected,
            "{context}: mode of {}",
            path.display()
        );
    }
    let names: Vec<String> = entries
        .iter()
        .map(|(path, _)| path.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    assert!(
        names.iter().any(|name| name.starts_with("blobs/")),
        "{context}: no blob file in {names:?}"
    );
    assert!(
        names.iter().any(|name| name.starts_with("snap.")),
        "{context}: no snapshot in {names:?}"
    );
    assert!(
        names.contains(&"db".to_owned()) && names.contains(&"conf".to_owned()),
        "{names:?}"
    );
    assert_eq!(check_private(dir).unwrap(), vec![], "{context}");
}

/// Opens the existing `0755` directory `path`, stores a small and a large value, closes and reopens it
/// (sled writes a snapshot then) and stores another large value.
fn store_small_and_large(path: &Path) {
    block_on(async {
        let storage = SledStorage::open(path, slot("main")).unwrap();
        storage
            .store(Bytes::from_static(b"small session"))
            .await
            .unwrap();
        storage.store(Bytes::from(vec![7u8; LARGE])).await.unwrap();
        drop(storage);
        let storage = SledStorage::open(path, slot("other")).unwrap();
        storage.store(Bytes::from(vec![9u8; LARGE])).await.unwrap();
    });
}

#[test]
fn every_file_is_private_whatever_the_umask_and_the_directory_mode() {
    let _serial = serial();
    for umask in [0o022, 0o000] {
        let old = rustix::process::umask(Mode::from_raw_mode(umask));
        let outcome = std::panic::catch_unwind(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("sessions.sled");
            fs::create_dir(&path).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
            store_small_and_large(&path);
            assert_private(&path, &format!("umask {umask:03o}"));
        });
        rustix::process::umask(old);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn a_database_that_bare_sled_made_readable_is_made_private_when_opened() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sled");
    let db = sled::open(&path).unwrap();
    db.insert(b"tgsession:main", vec![1u8; LARGE]).unwrap();
    db.flush().unwrap();
    drop(db);
    // Whatever the umask, give everything the modes other users could read.
    for (entry, meta) in modes_under(&path) {
        let mode = if meta.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(entry, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!check_private(&path).unwrap().is_empty());

    store_small_and_large(&path);
    assert_private(&path, "a database made by bare sled");
}

#[test]
fn check_private_reports_what_other_users_could_reach() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sled");
    drop(open_db(&path).unwrap());
    assert_eq!(check_private(&path).unwrap(), vec![]);

    fs::set_permissions(path.join("conf"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(path.join("blobs"), fs::Permissions::from_mode(0o711)).unwrap();
    symlink("/etc/hostname", path.join("blobs/12345")).unwrap();
    fs::hard_link(path.join("db"), dir.path().join("elsewhere")).unwrap();

    let mut found: Vec<(String, Issue)> = check_private(&path)
        .unwrap()
        .into_iter()
        .map(|problem| {
            let name = problem
                .path
                .strip_prefix(&path)
                .unwrap()
                .display()
                .to_string();
            (name, problem.issue)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        vec![
            (
                "blobs".to_owned(),
                Issue::AccessibleToOthers { mode: 0o711 }
            ),
            ("blobs/12345".to_owned(), Issue::SymbolicLink),
            ("conf".to_owned(), Issue::AccessibleToOthers { mode: 0o644 }),
            ("db".to_owned(), Issue::HardLinked { links: 2 }),
        ]
    );
    let shown = check_private(&path)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    assert!(
        shown
            .iter()
            .any(|line| line.ends_with("blobs/12345: is a symbolic link")),
        "{shown:?}"
    );

    // A symbolic link in place of the directory is reported, not followed.
    let link = dir.path().join("link.sled");
    symlink(&path, &link).unwrap();
    let problems = check_private(&link).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].issue, Issue::SymbolicLink);
    assert!(check_private(dir.path().join("missing")).is_err());
}

#[test]
fn a_directory_that_is_no_database_is_refused_and_left_as_it_was() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    let notes = home.join("notes.txt");
    fs::write(&notes, b"mine").unwrap();
    fs::set_permissions(&notes, fs::Permissions::from_mode(0o644)).unwrap();

    let err = session_sled::open_db(&home).unwrap_err();
    assert_eq!(err.kind(), session_core::ErrorKind::Config, "{err}");
    assert!(err.message().contains("no sled database"), "{err}");
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o755, "the directory keeps its mode");
    assert_eq!(mode(&notes), 0o644, "its files keep theirs");
    let names: Vec<_> = fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"], "nothing was created in it");
}
