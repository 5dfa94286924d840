//! The command line: the commands, their arguments and their help, as clap parses them. `Debug` of the
//! arguments never shows a `--string` session, a password in a URL, or a SOURCE that could be a string
//! session.

use std::fmt;

use clap::{Args, Parser, Subcommand};
use session_interop::Format;

use crate::help;
use crate::redact::Shown;

/// `tgsession`: inspect, convert, copy and verify Telegram sessions.
#[derive(Debug, Parser)]
#[command(
    name = "tgsession",
    version,
    about = "Inspect, convert, copy and verify Telegram sessions",
    long_about = help::LONG_ABOUT,
    after_help = help::main_after_help(),
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show a session's format and a redacted summary
    ///
    /// The detected format, DCs with addresses and auth key ids (never key bytes), test mode, user, update
    /// state, peer counts by kind, min contexts, whether there is a logout token (never its bytes), device
    /// info, api id, and what reading it dropped. With --json, one JSON object with the keys format,
    /// home_dc, dcs (id, ipv4, ipv6, auth_key_id, ...), user (id, is_bot, ...), update_state (pts, qts, date,
    /// seq, ...), peers (the number of cached peers), peer_kinds, min_contexts (a count), logout_token (true
    /// or false), device, api_id, test_mode and dropped.
    #[command(after_help = help::source_after_help())]
    Inspect(InspectArgs),
    /// Convert a session to another library's format
    ///
    /// Reads SOURCE in any known format (detected, or named with --from) and writes it to DEST in the format
    /// --to names. What reading or the target format drops is listed on standard error, never dropped
    /// silently. A DEST file is created atomically with mode 0600 and never replaced without --force (a hidden
    /// lock file .DEST.lock stays beside it); DEST `-` prints to standard output.
    #[command(
        override_usage = "tgsession convert [OPTIONS] --to <FORMAT> <SOURCE> <DEST>\n       \
                          tgsession convert [OPTIONS] --to <FORMAT> --string <SESSION> <DEST>",
        after_help = help::source_after_help()
    )]
    Convert(ConvertArgs),
    /// Copy a session into a backend (file, sled, Redis, PostgreSQL, S3)
    ///
    /// FROM is a backend URL, or a session of any known format (a file, `-`, or --string), which is stored
    /// as a tgsession value. The session is decoded and checked before anything is written. Without --force
    /// the write is create-if-absent: an existing session at TO is never replaced (exit 3), and of two
    /// concurrent copies to the same new slot exactly one succeeds.
    #[command(
        override_usage = "tgsession copy [OPTIONS] <FROM> <TO>\n       \
                          tgsession copy [OPTIONS] --string <SESSION> <TO>",
        after_help = help::copy_after_help()
    )]
    Copy(CopyArgs),
    /// Check that a session is intact, usable and private
    ///
    /// Checks that the session reads without error (checksums and structure), re-encodes as tgsession, has an
    /// auth key for its home DC, and, for a file, that neither group nor others can access it (mode 0600).
    /// Exits 4 when any check finds a problem, 1 when the session cannot be read at all.
    #[command(after_help = help::source_after_help())]
    Verify(VerifyArgs),
    /// List the format names for --from and --to, and which can be written
    Formats,
    /// Show or break the lease that lets one client at a time use a slot
    ///
    /// A client (GrammersSession, FerogramBackend, LiveSession over Leased) holds its slot's lease while it
    /// runs, so a second process cannot use the same account at once. `status` shows the holder, the fencing
    /// token and the time left; `break` ends the lease of a holder that is gone.
    #[command(subcommand)]
    Lease(LeaseCommand),
}

/// `tgsession lease ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum LeaseCommand {
    /// Show the slot's lease: holder, fencing token, and time left (or since when it lapsed)
    Status(LeaseStatusArgs),
    /// End the slot's lease whoever holds it (needs --force)
    ///
    /// For a holder that is gone (its machine died, it hangs) when you cannot wait for the lease to lapse.
    /// The holder's writes fail from then on, but if it is still running, its connections to Telegram do
    /// not stop until it notices: two clients on one auth key make Telegram invalidate the key. Stop the
    /// holder first. A file lease is a lock its process holds: breaking it stops the holder's writes, but
    /// the next client gets the slot only once that process exits.
    Break(LeaseBreakArgs),
}

/// `tgsession lease status`.
#[derive(Debug, Args)]
pub(crate) struct LeaseStatusArgs {
    /// The slot: a backend URL (file:PATH, sled:, redis://, postgres://)
    #[arg(value_name = "URL")]
    pub(crate) url: Location,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tgsession lease break`.
#[derive(Debug, Args)]
pub(crate) struct LeaseBreakArgs {
    /// The slot: a backend URL (file:PATH, sled:, redis://, postgres://)
    #[arg(value_name = "URL")]
    pub(crate) url: Location,
    /// Break it: required, because a holder that is still running keeps using the account
    #[arg(long)]
    pub(crate) force: bool,
}

/// How the session to read is named, besides a positional SOURCE. `Debug` shows `--string` by its length.
#[derive(Args)]
pub(crate) struct InputArgs {
    /// A string session given on the command line instead of a SOURCE (visible in the process list; prefer
    /// `-` and standard input)
    #[arg(long, value_name = "SESSION", allow_hyphen_values = true)]
    pub(crate) string: Option<String>,
    /// The source's format, when detection is not wanted or cannot decide (`tgsession formats` lists them)
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub(crate) from: Option<Format>,
}

/// `tgsession inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The session: a file, `-` for standard input, or a backend URL
    #[arg(value_name = "SOURCE")]
    pub(crate) source: Option<Location>,
    /// How the session is given and read.
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tgsession convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// SOURCE (a file, `-`, or a backend URL; left out with --string) and DEST (a file, or `-` for standard
    /// output)
    #[arg(value_names = ["SOURCE", "DEST"], required = true, num_args = 1..=2)]
    pub(crate) locations: Vec<Location>,
    /// How the session is given and read.
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// The format to write (`tgsession formats` lists the writable ones)
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub(crate) to: Format,
    /// The Telethon SQLite schema to write: 7 (opened by every Telethon from 1.36 on) or 8 (Telethon 1.43+)
    #[arg(long, value_name = "7|8", value_parser = clap::value_parser!(u8).range(7..=8))]
    pub(crate) telethon_schema: Option<u8>,
    /// The application's api id (from my.telegram.org), which Pyrogram formats must hold; replaces the
    /// session's own
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub(crate) api_id: Option<i32>,
    /// Replace DEST if it exists
    #[arg(long)]
    pub(crate) force: bool,
}

/// `tgsession copy`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// FROM (a backend URL, or a session file of any known format, or `-`; left out with --string) and TO
    /// (a backend URL)
    #[arg(value_names = ["FROM", "TO"], required = true, num_args = 1..=2)]
    pub(crate) locations: Vec<Location>,
    /// How the session is given and read.
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Replace the session TO holds, if any
    #[arg(long)]
    pub(crate) force: bool,
}

/// `tgsession verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The session: a file, `-` for standard input, or a backend URL
    #[arg(value_name = "SOURCE")]
    pub(crate) source: Option<Location>,
    /// How the session is given and read.
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// A positional argument naming a source or destination: a path, `-` or a backend URL. `Debug` shows it as
/// messages do: a URL's password as `***`, an argument that could be a string session by its length.
#[derive(Clone)]
pub(crate) struct Location(pub(crate) String);

impl From<String> for Location {
    fn from(text: String) -> Location {
        Location(text)
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({})", Shown::arg(&self.0))
    }
}

impl fmt::Debug for InputArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let string = self
            .string
            .as_ref()
            .map(|text| format!("<{} characters>", text.chars().count()));
        f.debug_struct("InputArgs")
            .field("string", &format_args!("{string:?}"))
            .field("from", &self.from)
            .finish()
    }
}

/// Parses a format name for clap; the error lists the known names.
fn parse_format(name: &str) -> Result<Format, String> {
    name.parse::<Format>().map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn debug_never_shows_a_session_or_a_password() {
        let session = format!("1{}", "ApWapzMBuwABAgMEBQYH".repeat(17));
        let url = "redis://u:hunter2@h?slot=a";
        for args in [
            vec!["tgsession", "inspect", "--string", &session],
            vec!["tgsession", "verify", &session],
            vec!["tgsession", "convert", &session, url, "--to", "tgsession"],
            vec!["tgsession", "copy", "--string", &session, url],
        ] {
            let cli = Cli::try_parse_from(&args).unwrap();
            let shown = format!("{cli:?}");
            assert!(!shown.contains("ApWap"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("<341 characters>"), "{shown}");
        }
    }
}
