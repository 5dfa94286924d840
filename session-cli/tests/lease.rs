//! `tgsession lease status` and `lease break`, and `copy` / `convert` refusing to write into a slot whose
//! lease another client holds (the test process holds it through session-file, as a running client would).

mod support;

use session_core::{HolderId, LeaseRequest, LeaseStorage};
use session_file::FileStorage;
use support::{arg, run, vector};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn status_copy_convert_and_break_respect_a_held_lease() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.tgs");
    let url = format!("file:{}", arg(&path));
    let source = vector("telethon_v8.session");
    run(&["copy", arg(&source), &url]).ok();
    let status = run(&["lease", "status", &url]).ok().text();
    assert!(status.contains("no client ever took its lease"), "{status}");

    // A running client holds the slot.
    let rt = runtime();
    let client = FileStorage::new(&path).unwrap();
    let request = LeaseRequest::new(HolderId::new("bot-on-host-a").unwrap());
    let grant = rt.block_on(client.acquire_lease(&request)).unwrap();

    let status = run(&["lease", "status", &url]).ok().text();
    assert!(status.contains("held by \"bot-on-host-a\""), "{status}");
    let json = run(&["lease", "status", "--json", &url]).ok().json();
    assert_eq!(json["lease"]["holder"], "bot-on-host-a");
    assert_eq!(json["lease"]["token"], grant.token.get());
    assert_eq!(json["lease"]["state"], "held");

    // copy and convert refuse to write into it without --force, naming the holder.
    let other = vector("gramjs_2.26.22_string_ipv4.txt");
    let stderr = run(&["copy", "--force", arg(&other), &url]).ok().stderr;
    assert!(stderr.contains("copied"), "--force writes anyway: {stderr}");
    run(&["copy", arg(&other), &url]).fails(6, "bot-on-host-a");
    run(&[
        "convert",
        "--to",
        "telethon-sqlite",
        arg(&source),
        arg(&path),
    ])
    .fails(6, "in use");

    // break needs --force, says what it risks, and ends the lease; the client's writes are fenced.
    run(&["lease", "break", &url]).fails(2, "--force");
    let broke = run(&["lease", "break", "--force", &url]).ok();
    assert!(broke.stderr.contains("bot-on-host-a"), "{}", broke.stderr);
    assert!(
        broke.stderr.contains("keeps using the account"),
        "{}",
        broke.stderr
    );
    let json = run(&["lease", "status", "--json", &url]).ok().json();
    assert_eq!(json["lease"]["state"], "released");
    let fenced = rt.block_on(client.write_fenced(
        grant.token,
        session_core::FencedWrite::Store(session_core::Bytes::from_static(b"late")),
    ));
    assert_eq!(fenced.unwrap_err().kind(), session_core::ErrorKind::Fenced);
}

#[test]
fn lease_commands_need_a_url_with_a_lease() {
    run(&["lease", "status", "bot.tgs"]).fails(2, "file:PATH");
}

/// Tests that need the S3 test server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use session_core::{Bytes, ErrorKind, FencedWrite, Slot};
    use session_s3::S3Storage;

    use super::*;
    use crate::support::{s3_bucket, s3_config, s3_url};

    /// S3 keeps leases too: a running client's lease is shown, respected by `copy`, and broken.
    #[tokio::test]
    async fn an_s3_slots_lease_is_shown_respected_and_broken() {
        let bucket = s3_bucket().await;
        let url = s3_url(&bucket);
        let slot = url
            .split_once("slot=")
            .and_then(|(_, rest)| rest.split('&').next())
            .unwrap();
        let source = vector("telethon_v8.session");
        run(&["copy", arg(&source), &url]).ok();

        let client = S3Storage::from_config(&s3_config(&bucket), Slot::new(slot).unwrap()).unwrap();
        let request = LeaseRequest::new(HolderId::new("bot-in-the-cloud").unwrap());
        let grant = client.acquire_lease(&request).await.unwrap();
        let json = run(&["lease", "status", "--json", &url]).ok().json();
        assert_eq!(json["lease"]["holder"], "bot-in-the-cloud");
        assert_eq!(json["lease"]["state"], "held");
        let other = vector("gramjs_2.26.22_string_ipv4.txt");
        run(&["copy", "--force", arg(&other), &url]).ok();
        run(&["copy", arg(&other), &url]).fails(6, "bot-in-the-cloud");

        run(&["lease", "break", "--force", &url]).ok();
        let json = run(&["lease", "status", "--json", &url]).ok().json();
        assert_eq!(json["lease"]["state"], "released");
        let late = client
            .write_fenced(grant.token, FencedWrite::Store(Bytes::from_static(b"late")))
            .await;
        assert_eq!(late.unwrap_err().kind(), ErrorKind::Fenced);
        run(&["copy", "--force", arg(&source), &url]).ok();
        run(&["verify", &url]).ok();
    }
}
