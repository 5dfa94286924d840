//! A real grammers `SenderPool` and `Client` built on a `GrammersSession` (no network: the pool is started
//! and told to quit before any request).

use std::sync::Arc;

use grammers_client::{Client, SenderPool};
use grammers_session::types::DcOption;
use grammers_session::Session as _;
use session_file::FileStorage;
use session_grammers::GrammersSession;

#[tokio::test]
async fn sender_pool_and_client_run_on_a_grammers_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.tgs");
    {
        let session = GrammersSession::open(FileStorage::new(&path).unwrap())
            .await
            .unwrap();
        let mut option = session.dc_option(4).unwrap().expect("a known DC");
        option.auth_key = Some([9; 256]);
        session.set_dc_option(&option).await.unwrap();
        session.set_home_dc_id(4).await.unwrap();
    }

    let session = Arc::new(
        GrammersSession::open(FileStorage::new(&path).unwrap())
            .await
            .unwrap(),
    );
    let SenderPool { runner, handle, .. } = SenderPool::new(Arc::clone(&session), 12345);
    // The pool reads the session through grammers' type-erased handle: it sees what was stored.
    assert_eq!(handle.session.home_dc_id().unwrap(), 4);
    let option: DcOption = handle.session.dc_option(4).unwrap().unwrap();
    assert_eq!(option.auth_key, Some([9; 256]));

    let thin = handle.thin.clone();
    let client = Client::new(handle);
    let pool = tokio::spawn(runner.run());
    assert!(thin.quit(), "the runner is listening");
    pool.await.expect("the pool stops when told to quit");
    drop(client);

    // The pool has let go of the session; it still answers and persists.
    assert_eq!(Arc::strong_count(&session), 1);
    session.set_home_dc_id(2).await.unwrap();
    drop(session);
    let reopened = GrammersSession::open(FileStorage::new(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(reopened.home_dc_id().unwrap(), 2);
}
