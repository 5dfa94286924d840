//! Quick start: create a session, store it in a file, load it back and print a redacted summary.
//!
//! Run with `cargo run --example quickstart` from the repository root.

use std::net::SocketAddrV4;

use session_core::{AuthKey, DcEntry, Session, SessionStorageExt, StorageError, UpdateState, User};
use session_file::FileStorage;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), StorageError> {
    let dir = std::env::temp_dir().join(format!("tgsession-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| {
        StorageError::new(
            session_core::ErrorKind::Config,
            "quickstart",
            "cannot create a temporary directory",
        )
        .with_source(e)
    })?;
    let path = dir.join("my.session");

    // What a client has after logging in (the key here is a fake one).
    let mut session = Session::new();
    session.home_dc = Some(2);
    let mut dc = DcEntry::new(2);
    dc.ipv4 = Some(SocketAddrV4::new([149, 154, 167, 51].into(), 443));
    dc.auth_key = Some(AuthKey::new(std::array::from_fn(|i| i as u8)));
    session.dcs.push(dc);
    session.user = Some(User {
        id: 123_456_789,
        bot: false,
        username: Some("alice_test".into()),
        dc: Some(2),
    });
    session.update_state = Some(UpdateState {
        pts: 100,
        qts: 7,
        date: 1_700_000_000,
        seq: 42,
        ..Default::default()
    });

    let storage = FileStorage::new(&path)?;
    storage.store_session(&session).await?;
    let loaded = storage
        .load_session()
        .await?
        .expect("the session was just stored");
    assert_eq!(loaded, session);

    let mode = std::fs::metadata(&path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap_or_default();
    println!(
        "stored and loaded {} (mode {mode:04o}, {} bytes)",
        path.display(),
        session.encode().map(|b| b.len()).unwrap_or(0)
    );
    print_summary(&loaded);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Everything but secrets: auth keys show as their key id.
fn print_summary(session: &Session) {
    println!("home DC: {:?}", session.home_dc);
    for dc in &session.dcs {
        let key = dc
            .auth_key
            .as_ref()
            .map(|k| k.id().to_string())
            .unwrap_or_else(|| "none".into());
        println!("  DC {} at {:?}: auth key id {key}", dc.id, dc.ipv4);
    }
    if let Some(user) = &session.user {
        println!(
            "user: {} (@{}), bot: {}",
            user.id,
            user.username.as_deref().unwrap_or("-"),
            user.bot
        );
    }
    if let Some(state) = &session.update_state {
        println!(
            "update state: pts {} qts {} date {} seq {}",
            state.pts, state.qts, state.date, state.seq
        );
    }
    println!("peers cached: {}", session.peers.len());
}
