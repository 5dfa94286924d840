//! A full disk under the destination: `copy` into a `file:` or `sled:` backend and `convert` to a file fail
//! with exit 6 (refused, not "try again") and say to free space, whichever adapter ran out of it, and leave
//! the session that was there untouched.
//!
//! Staged on a small tmpfs that the test fills; mounting needs root (CI runs as root): run without root the
//! test fails and says so.

#![cfg(target_os = "linux")]

mod support;

use session_conformance::tmpfs::Tmpfs;
use support::{arg, run, vector};

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
