//! The long texts of `--help`: what a SOURCE is, the backend URL forms, and the exit codes.

use crate::exit::EXIT_CODES_HELP;

/// What the program does, for `tgsession --help`.
pub(crate) const LONG_ABOUT: &str = "\
Inspect, convert, copy and verify Telegram (MTProto) sessions.

Reads the session formats of Telethon, Pyrogram/Kurigram, GramJS/teleproto, gotd, grammers and \
layer/ferogram, detecting the format from the content (never guessing: when two formats fit, it says so), \
and writes the formats those libraries load. Moves sessions between storage backends (a file, sled, Redis, \
PostgreSQL, S3) without ever replacing an existing session unless --force is given. Key bytes are never \
printed: auth keys are shown by their 16-hex-digit key id.";

/// How a SOURCE may be given.
const SOURCES_HELP: &str = "\
Sources:
  PATH               a session file of any known format (`tgsession formats` lists them)
  -                  standard input (a string session or a whole file)
  --string SESSION   a string session given on the command line; other users of the machine may see
                     command lines, so prefer `-` (echo \"$SESSION\" | tgsession inspect -)
  URL                a tgsession value in a backend (URL forms: `tgsession copy --help`)";

/// The backend URL forms.
const URLS_HELP: &str = "\
Backend URLs (the slot is part of the URL; values are tgsession-encoded sessions):
  file:PATH                the session file PATH (also file:///abs/path); written atomically, mode 0600
  sled:DIR?slot=NAME[&prefix=P]
                           slot NAME of the sled database in directory DIR (created when written to)
  redis://[USER[:PASS]@]HOST[:PORT][/DB]?slot=NAME[&prefix=P]
                           the key P+NAME (prefix `tgsession:` by default)
  postgres://[USER[:PASS]@]HOST[:PORT]/DB?slot=NAME[&schema=S][&table=T]
                           the row NAME of table S.T (tgsession.sessions by default); writing creates
                           the schema and table if they are missing (the adapter's idempotent migrate)
  s3://[KEY_ID:SECRET@]BUCKET?slot=NAME[&prefix=P][&endpoint=URL][&region=R][&path_style=true|false]
                           the object P+NAME (prefix `tgsession/` by default); the bucket must exist
Credentials come from the URL or the usual environment variables: PGUSER, PGPASSWORD, PGHOST, ... and
~/.pgpass for PostgreSQL; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and
AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for S3. Redis credentials come from the URL only, never from
the environment: redis://USER:PASSWORD@HOST, redis://:PASSWORD@HOST, or ?pass= for redis+unix://.
Percent-encode special characters of passwords and secrets (/ as %2F, + as %2B). Other query parameters
go to the driver (Redis `protocol`, PostgreSQL `sslmode`, ...). Messages show URLs with the password
replaced by ***.";

/// The end of `tgsession --help`: sources, URL forms, exit codes.
pub(crate) fn main_after_help() -> String {
    [SOURCES_HELP, URLS_HELP, EXIT_CODES_HELP].join("\n\n")
}

/// The end of the `--help` of a command that reads a SOURCE.
pub(crate) fn source_after_help() -> String {
    [SOURCES_HELP, EXIT_CODES_HELP].join("\n\n")
}

/// The end of `tgsession copy --help`.
pub(crate) fn copy_after_help() -> String {
    [URLS_HELP, EXIT_CODES_HELP].join("\n\n")
}
