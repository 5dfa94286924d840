//! `tgsession`: inspect, convert, copy and verify Telegram (MTProto) sessions.
//!
//! - `inspect SOURCE [--json]`: the detected format and a redacted summary (key ids, never key bytes).
//! - `convert SOURCE DEST --to FORMAT`: any readable format to any writable one, reporting what was dropped.
//! - `copy FROM TO`: into a backend named by URL (`file:`, `sled:`, `redis://`, `postgres://`, `s3://`),
//!   from another backend or any readable session; never replaces an existing session without `--force`.
//! - `verify SOURCE`: reads, checks integrity, the home DC's key and the file's permissions; exits 4 on any
//!   problem.
//!
//! Errors are one line on standard error, `tgsession: <reason>; <fix>`, and the exit codes are documented
//! in [`exit`] and in `tgsession --help`.
//!
//! Nothing it prints ever holds a password or any 16 characters of a session string or auth key: see
//! [`redact`].
//!
//! Modules: [`cli`] (arguments), [`help`] (help texts), [`source`] and [`input`] (reading a session),
//! [`destination`] (writing `convert`'s output), [`backend`] (URLs and adapters), [`commands`] (one module
//! per command), [`output`] (text and JSON), [`redact`] (secrets kept out of the output), [`error`] and
//! [`exit`].

mod backend;
mod cli;
mod commands;
mod destination;
mod error;
mod exit;
mod help;
mod input;
mod output;
mod redact;
mod source;

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use crate::cli::Cli;
use crate::error::CliError;
use crate::exit::Exit;

/// Parses the command line, runs the command, and turns its outcome into the documented exit code.
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    redact::protect_args(&args);
    std::panic::set_hook(Box::new(report_panic));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return command_line_error(&err),
    };
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            output::note(&err);
            err.exit().into()
        }
    }
}

/// Reports a panic (a bug) as one line through the output guard, so that not even a bug's message can print
/// a secret (the default hook would print the payload as it is); if the guard itself is stuck, without the
/// payload.
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info
        .payload()
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let place = info
        .location()
        .map(|at| format!(" at {}:{}", at.file(), at.line()))
        .unwrap_or_default();
    let line = format!(
        "tgsession: internal error{place}: {payload}; please report it (nothing secret is in this line)"
    );
    // The guard may be what panicked, with its lock held on this thread: never wait for it then.
    let shown = redact::try_scrub(&line)
        .unwrap_or_else(|| "tgsession: internal error; please report it".to_owned());
    let _ = writeln!(std::io::stderr().lock(), "{shown}");
}

/// Prints help or the version as clap does, and any other command-line error as one line (which
/// [`output::note`] rids of the arguments' secrets); usage errors exit with [`Exit::Usage`].
fn command_line_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // If even printing help fails there is nothing left to report it on.
        let _ = err.print();
        return if err.use_stderr() {
            Exit::Usage.into()
        } else {
            Exit::Success.into()
        };
    }
    let rendered = err.render().to_string();
    let reason: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(|line| line.trim().trim_start_matches("error: "))
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    output::note(CliError::usage(
        reason.join(" "),
        "run with --help for usage",
    ));
    Exit::Usage.into()
}
