//! `tgsession formats`: the format names `--from` and `--to` accept.

use std::fmt::Write;

use session_interop::Format;

use crate::error::CliError;
use crate::exit::Exit;
use crate::output;

/// Prints every format with whether it can be read and written.
pub(crate) fn run() -> Result<Exit, CliError> {
    let mut table = format!("{:<18} {:<11} description\n", "name", "can");
    for format in Format::ALL {
        let can = if format.can_write() {
            "read, write"
        } else {
            "read"
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            table,
            "{:<18} {can:<11} {}",
            format.name(),
            format.description()
        );
    }
    output::print(table)?;
    Ok(Exit::Success)
}
