//! The commands, one module each, and what they share: the runtime and how the positional arguments and
//! `--string` name a source and a destination.

mod convert;
mod copy;
mod formats;
mod inspect;
mod lease;
mod privacy;
mod verify;

use crate::cli::{Cli, Command, Location};
use crate::error::CliError;
use crate::exit::Exit;
use crate::source::Source;

/// Runs the command `cli` names and returns how it ended.
pub(crate) fn run(cli: Cli) -> Result<Exit, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::bare(Exit::Refused, format!("cannot start the runtime: {err}")))?;
    runtime.block_on(async {
        match cli.command {
            Command::Inspect(args) => inspect::run(args).await,
            Command::Convert(args) => convert::run(args).await,
            Command::Copy(args) => copy::run(args).await,
            Command::Verify(args) => verify::run(args).await,
            Command::Formats => formats::run(),
            Command::Lease(command) => lease::run(command).await,
        }
    })
}

/// The source and the second location of `convert` (`DEST`) or `copy` (`TO`): the positional arguments are
/// `SOURCE TARGET`, or only `TARGET` when the session is given with `--string`.
fn source_and_target(
    locations: Vec<Location>,
    string: Option<String>,
    target_name: &str,
) -> Result<(Source, String), CliError> {
    let mut locations: Vec<String> = locations.into_iter().map(|location| location.0).collect();
    let target = match (locations.len(), string.is_some()) {
        (2, false) | (1, true) => locations.pop(),
        _ => None,
    };
    let Some(target) = target else {
        let reason = if string.is_some() {
            format!("with --string, give only {target_name}")
        } else {
            format!("give a source and {target_name}")
        };
        return Err(CliError::usage(reason, "run with --help for usage"));
    };
    Ok((Source::from_args(locations.pop(), string)?, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<Location> {
        items
            .iter()
            .map(|item| Location((*item).to_owned()))
            .collect()
    }

    #[test]
    fn positionals_and_string_name_source_and_target() {
        let (source, target) = source_and_target(strings(&["a", "b"]), None, "DEST").unwrap();
        assert_eq!(
            (source.describe().to_string().as_str(), target.as_str()),
            ("a", "b")
        );
        let (source, target) =
            source_and_target(strings(&["b"]), Some("1xyz".into()), "DEST").unwrap();
        assert!(matches!(source, Source::Text(_)));
        assert_eq!(target, "b");
        for (locations, string) in [
            (strings(&["a"]), None),
            (strings(&["a", "b"]), Some("1xyz".to_owned())),
        ] {
            let err = source_and_target(locations, string, "DEST").unwrap_err();
            assert_eq!(err.exit(), Exit::Usage);
        }
    }
}
