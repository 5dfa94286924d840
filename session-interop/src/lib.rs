//! Read and write other Telegram libraries' session formats as tgsession [`Session`]s.
//!
//! People arrive with sessions that Telethon (1.x or 2), Pyrogram, GramJS, gotd, grammers or layer/ferogram
//! already made.
//! This crate reads each of those formats into a [`Session`] and writes a [`Session`] back into the formats
//! other libraries load, so a session can move between libraries and between storage backends without
//! logging in again.
//!
//! - [`detect`] decides a format from the content's structure (never from its length alone) and refuses to
//!   guess when two formats fit ([`InteropError::Ambiguous`]).
//! - [`read`] and [`read_any`] give an [`Imported`] session plus the list of what the source held that a
//!   [`Session`] has no place for; [`write()`] gives the bytes plus the list of what the target format cannot
//!   hold ([`Dropped`]). Nothing is dropped silently.
//! - Every reader rejects malformed input with a typed [`InteropError`], never a panic, and has bounded cost:
//!   at most twice its input plus a constant in memory (beyond the session it returns), time proportional
//!   to its input, no temporary files. SQLite files are untrusted down to their schema: it is checked
//!   (tables, columns, declared types; no views, virtual tables, generated columns, indexes on expressions)
//!   before any row is read, and every statement runs under a work budget and a time limit.
//!
//! | format ([`Format`] name) | read | write |
//! |---|---|---|
//! | `tgsession` (this project's own) | yes | yes |
//! | `telethon-string` (IPv4 and IPv6) | yes | yes |
//! | `telethon-sqlite` (schemas 7 and 8) | yes | yes (7 by default, 8 on request) |
//! | `telethon2-sqlite` (Telethon 2, schema 10) | yes | yes |
//! | `pyrogram-string` (Pyrogram 2 / Kurigram) | yes | yes |
//! | `pyrogram1-string` (Pyrogram 1.x, both lengths) | yes | no |
//! | `pyrogram-sqlite` (Pyrogram 2 schema 3, Kurigram schema 7) | yes | yes (schema 3) |
//! | `gramjs-string` (GramJS / teleproto) | yes | yes |
//! | `gotd-json` (gotd/td, version 1) | yes | yes |
//! | `grammers-sqlite` (grammers-session 0.11) | yes | yes |
//! | `grammers-tl` (grammers-session ≤ 0.7) | yes | no |
//! | `layer`, `layer-string` (layer / ferogram, versions 1 to 8) | yes | no |
//! | `ferogram-string` (ferogram's portable `StringSession`, versions 1 and 2) | yes | yes (version 2) |
//! | `layer-sqlite` (layer-client 0.5.0 `SqliteBackend`) | yes | yes |
//! | `ferogram-sqlite` (ferogram-session 0.6.6 `SqliteBackend` / `LibSqlBackend`) | yes | yes |
//!
//! # Example
//!
//! ```
//! use session_interop::{read_any, write, Format, WriteOptions};
//!
//! // A Telethon StringSession (the key is the fake 00 01 02 .. ff of the test vectors).
//! let telethon = include_str!("../tests/vectors/telethon_string_ipv4.txt");
//! let (format, imported) = read_any(telethon.as_bytes())?;
//! assert_eq!(format, Format::TelethonString);
//! assert_eq!(imported.session.home_dc, Some(2));
//!
//! // The same session as a GramJS StringSession.
//! let gramjs = write(Format::GramjsString, &imported.session, &WriteOptions::default())?;
//! assert!(gramjs.dropped.is_empty());
//! assert!(gramjs.bytes.starts_with(b"1"));
//! # Ok::<(), session_interop::InteropError>(())
//! ```

mod b64;
mod convert;
mod error;
mod format;
mod formats;
mod options;
mod report;
mod sqlite;

pub use session_core::Session;

pub use crate::convert::{detect, read, read_any, write};
pub use crate::error::InteropError;
pub use crate::format::Format;
pub use crate::options::{TelethonSchema, WriteOptions};
pub use crate::report::{Dropped, Exported, Imported};
