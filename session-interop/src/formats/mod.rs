//! One module per format: `read` (and `write`, for writable formats) with the format's own checks.

mod addr;
mod common;
mod cursor;
mod dc_merge;
mod dc_table;
pub(crate) mod ferogram_string;
pub(crate) mod gotd;
pub(crate) mod gramjs;
pub(crate) mod grammers_sqlite;
pub(crate) mod grammers_tl;
pub(crate) mod layer;
mod layer_records;
pub(crate) mod layer_sqlite;
mod pyrogram;
pub(crate) mod pyrogram_sqlite;
pub(crate) mod pyrogram_string;
pub(crate) mod telethon2_sqlite;
pub(crate) mod telethon_sqlite;
pub(crate) mod telethon_string;
pub(crate) mod tgsession;
mod versioned_string;
