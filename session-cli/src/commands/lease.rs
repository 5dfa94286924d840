//! `tgsession lease status` and `tgsession lease break`: the lease that lets one client at a time use a
//! slot.

use session_core::{LeaseInfo, LeaseState, LeaseStorage};

use crate::backend::{self, BackendUrl};
use crate::cli::{LeaseBreakArgs, LeaseCommand, LeaseStatusArgs, Location};
use crate::error::{CliError, Role};
use crate::exit::Exit;
use crate::output::{self, note};
use crate::redact::Shown;

/// Runs a `lease` subcommand.
pub(crate) async fn run(command: LeaseCommand) -> Result<Exit, CliError> {
    match command {
        LeaseCommand::Status(args) => status(args).await,
        LeaseCommand::Break(args) => break_lease(args).await,
    }
}

async fn status(args: LeaseStatusArgs) -> Result<Exit, CliError> {
    let (url, storage) = open(&args.url).await?;
    let info = storage
        .read_lease()
        .await
        .map_err(|err| CliError::storage(&err, &url.shown, Role::Source))?;
    if args.json {
        output::print(json(info.as_ref()).to_string() + "\n")?;
    } else {
        match info {
            Some(info) => output::print(format!("{}: {info}\n", url.shown))?,
            None => output::print(format!("{}: no client ever took its lease\n", url.shown))?,
        }
    }
    Ok(Exit::Success)
}

async fn break_lease(args: LeaseBreakArgs) -> Result<Exit, CliError> {
    if !args.force {
        return Err(CliError::usage(
            "breaking a lease needs --force",
            "stop the holder first: if it still runs, it keeps its connections to Telegram until it notices, \
             and two clients on one auth key make Telegram invalidate the key",
        ));
    }
    let (url, storage) = open(&args.url).await?;
    let before = storage
        .break_lease()
        .await
        .map_err(|err| CliError::storage(&err, &url.shown, Role::Destination))?;
    match before {
        Some(info) => note(format_args!(
            "tgsession: broke the lease of {}, which was {info}; its holder's writes now fail, but if it \
             still runs it keeps using the account until it notices",
            url.shown
        )),
        None => note(format_args!(
            "tgsession: {} had no lease; nothing to break",
            url.shown
        )),
    }
    Ok(Exit::Success)
}

/// Opens the slot `location` names (a backend URL; a bare path is refused with a hint).
async fn open(location: &Location) -> Result<(BackendUrl, backend::Storage), CliError> {
    if !BackendUrl::is_url(&location.0) {
        return Err(CliError::usage(
            format!("{} is not a backend URL", Shown::arg(&location.0)),
            "write file:PATH for a tgsession file, or a sled:, redis://, postgres:// or s3:// URL",
        ));
    }
    let url = BackendUrl::parse(&location.0)?;
    let storage = backend::open(&url, Role::Source).await?;
    Ok((url, storage))
}

/// The lease as JSON: `{"lease": null}`, or holder, token, state and seconds left or since the lapse.
fn json(info: Option<&LeaseInfo>) -> serde_json::Value {
    let Some(info) = info else {
        return serde_json::json!({ "lease": null });
    };
    let (state, seconds) = match info.state {
        LeaseState::Held { lapses_in } => ("held", lapses_in.map(|left| left.as_secs_f64())),
        LeaseState::Lapsed { ago } => ("lapsed", Some(ago.as_secs_f64())),
        LeaseState::Released => ("released", None),
    };
    serde_json::json!({
        "lease": {
            "holder": info.holder.as_str(),
            "token": info.token.get(),
            "state": state,
            "lapses_in_seconds": if state == "held" { seconds } else { None },
            "lapsed_seconds_ago": if state == "lapsed" { seconds } else { None },
        }
    })
}
