//! A ferogram client configuration whose session lives in a tgsession storage.
//!
//! ```sh
//! cargo run -p session-ferogram --example bot                                  # file ferogram-bot.tgs
//! cargo run -p session-ferogram --example bot -- file:/var/lib/bot/main.tgs
//! cargo run -p session-ferogram --example bot -- 'sled:/var/lib/bot/db?slot=main'
//! cargo run -p session-ferogram --example bot -- 'redis://127.0.0.1:6379/?slot=main'
//! ```
//!
//! It opens the storage, shows what the session holds (key ids, never keys), builds the client
//! configuration with the backend and stops where the network and your credentials are needed.

use std::error::Error;
use std::sync::Arc;

use ferogram_session::SessionBackend;
use session_core::Slot;
use session_ferogram::FerogramBackend;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(err) = run().await {
        eprintln!("bot: {err}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "file:ferogram-bot.tgs".to_owned());
    let backend = open(&url).await?;

    match backend.load()? {
        None => println!("{url}: no session yet; the client would log in and store one here"),
        Some(session) => {
            println!("{url}: home DC {}", session.home_dc_id);
            for dc in &session.dcs {
                let key = match &dc.auth_key {
                    Some(key) => format!("key id {}", session_core::AuthKey::new(*key).id()),
                    None => "no key".to_owned(),
                };
                println!("  DC {} at {:?}: {key}", dc.dc_id, dc.addr);
            }
            println!(
                "  {} cached peers, pts {}",
                session.peers.len(),
                session.updates_state.pts
            );
        }
    }

    let api_id = std::env::var("TG_API_ID")
        .ok()
        .and_then(|id| id.parse().ok());
    let api_hash = std::env::var("TG_API_HASH").ok();
    let credentials = api_id.is_some() && api_hash.is_some();
    // Placeholders stand in for missing credentials: building the configuration needs no network.
    let config = ferogram::Client::builder()
        .api_id(api_id.unwrap_or(1))
        .api_hash(api_hash.unwrap_or_else(|| "0".repeat(32)))
        .session_backend(Arc::new(backend))
        .build()?;
    println!(
        "client configuration built with session backend {:?}",
        config.session_backend.name()
    );
    if !credentials {
        println!("no credentials: set TG_API_ID and TG_API_HASH (from my.telegram.org) for a real client.");
    }
    println!(
        "stopping before `ferogram::Client::connect(config)`: connecting needs the network, and logging \
         in needs a bot token or a phone number. Every session change the client makes is then stored in \
         {url}."
    );
    Ok(())
}

/// The storage a URL names: `file:PATH` (or a bare path), `sled:DIR?slot=NAME`, `redis://...?slot=NAME`.
async fn open(url: &str) -> Result<FerogramBackend, Box<dyn Error>> {
    if let Some(rest) = url.strip_prefix("sled:") {
        let (dir, slot) = split_slot(rest)?;
        let storage = session_sled::SledStorage::open(dir, slot)?;
        return Ok(FerogramBackend::open(storage).await?);
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        let (server, slot) = split_slot(url)?;
        let storage = session_redis::RedisStorage::connect(server, slot).await?;
        return Ok(FerogramBackend::open(storage).await?);
    }
    if url.contains("://") {
        return Err(format!(
            "{url}: this example opens file:, sled: and redis:// URLs; for PostgreSQL or S3 build the \
             storage (session-postgres, session-s3) and call FerogramBackend::open or open_snapshots"
        )
        .into());
    }
    let path = url.strip_prefix("file:").unwrap_or(url);
    Ok(FerogramBackend::open(session_file::FileStorage::new(path)?).await?)
}

/// `PLACE?slot=NAME` into the place and the slot.
fn split_slot(url: &str) -> Result<(&str, Slot), Box<dyn Error>> {
    let (place, query) = url
        .split_once('?')
        .ok_or_else(|| format!("{url}: add ?slot=NAME"))?;
    let name = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("slot="))
        .ok_or_else(|| format!("{url}: add ?slot=NAME"))?;
    Ok((place, Slot::new(name)?))
}
