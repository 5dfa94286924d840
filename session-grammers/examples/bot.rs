//! A grammers client whose session lives in a tgsession backend.
//!
//! ```sh
//! cargo run -p session-grammers --example bot                      # the file bot.tgs
//! cargo run -p session-grammers --example bot -- file:/tmp/me.tgs
//! cargo run -p session-grammers --example bot -- 'redis://127.0.0.1:6379/?slot=bot'
//! ```
//!
//! It opens the session, builds grammers' `SenderPool` and `Client` on it, shows what the session holds,
//! and stops where logging in would need the network and your credentials.

use std::error::Error;
use std::sync::Arc;

use grammers_client::{Client, SenderPool};
use grammers_session::types::PeerId;
use grammers_session::Session as _;
use session_core::Slot;
use session_file::FileStorage;
use session_grammers::GrammersSession;
use session_redis::RedisStorage;

/// Opens the session the backend URL names: `file:PATH`, a plain path, or `redis://...?slot=NAME`.
async fn open(url: &str) -> Result<GrammersSession, Box<dyn Error>> {
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        let (server, query) = url
            .split_once('?')
            .ok_or("a Redis URL needs `?slot=NAME`")?;
        let slot = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("slot="))
            .ok_or("a Redis URL needs `?slot=NAME`")?;
        let storage = RedisStorage::connect(server, Slot::new(slot)?).await?;
        return Ok(GrammersSession::open(storage).await?);
    }
    let path = url.strip_prefix("file:").unwrap_or(url);
    Ok(GrammersSession::open(FileStorage::new(path)?).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bot.tgs".to_owned());
    let session = Arc::new(open(&url).await?);

    let SenderPool { runner, handle, .. } = SenderPool::new(Arc::clone(&session), 12345);
    let quit = handle.thin.clone();
    let client = Client::new(handle);
    let pool = tokio::spawn(runner.run());

    let home = session.home_dc_id()?;
    let key = session
        .dc_option(home)?
        .is_some_and(|option| option.auth_key.is_some());
    println!("session: {url}");
    println!(
        "home DC: {home} (auth key: {})",
        if key { "yes" } else { "not yet" }
    );
    match session.peer(PeerId::self_user()).await? {
        Some(me) => println!("logged in as: {:?}", me.id()),
        None => println!("logged in as: nobody yet"),
    }
    println!(
        "\nThe client is ready. Logging in needs the network and your credentials, so this example stops \
         here; a real bot goes on with\n    client.bot_sign_in(BOT_TOKEN, API_HASH).await?\n(api id and hash \
         from https://my.telegram.org) and every key, DC and peer it learns is stored in {url}."
    );

    drop(client);
    quit.quit();
    pool.await?;
    session.flush().await?;
    Ok(())
}
