//! `tgsession inspect`: the detected format and a redacted summary.

use crate::cli::InspectArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::input;
use crate::output::{self, json, text};
use crate::source::Source;

/// Reads the source and prints its summary as text, or as one JSON object with `--json`.
pub(crate) async fn run(args: InspectArgs) -> Result<Exit, CliError> {
    let source = Source::from_args(args.source.map(|source| source.0), args.input.string)?;
    let loaded = input::load(&source, args.input.from).await?;
    let summary = if args.json {
        format!("{:#}\n", json::summary(loaded.format, &loaded.imported))
    } else {
        text::summary(loaded.format, &loaded.imported)
    };
    output::print(summary)?;
    Ok(Exit::Success)
}
