//! `tgsession convert`: any readable format to any writable one, reporting what was dropped.

use session_interop::{write, InteropError, TelethonSchema, WriteOptions};

use crate::cli::ConvertArgs;
use crate::commands::source_and_target;
use crate::destination::Destination;
use crate::error::CliError;
use crate::exit::Exit;
use crate::input;
use crate::output::{note, report_dropped};

/// Reads the source, writes it in `--to`'s format to DEST, and reports on standard error what reading and
/// writing dropped.
pub(crate) async fn run(args: ConvertArgs) -> Result<Exit, CliError> {
    let (source, dest) = source_and_target(args.locations, args.input.string, "DEST")?;
    let to = args.to;
    if !to.can_write() {
        return Err(CliError::unwritable(InteropError::ReadOnly(to)));
    }
    let options = write_options(args.telethon_schema, to)?;
    let dest = Destination::parse(&dest)?;
    dest.check(to.is_text())?;

    let mut loaded = input::load(&source, args.input.from).await?;
    let from = loaded.format;
    report_dropped(
        &format!("reading {} as {from}", source.describe()),
        &loaded.imported.dropped,
    );
    if let Some(api_id) = args.api_id {
        loaded.imported.session.api_id = Some(api_id);
    }
    let exported = write(to, &loaded.imported.session, &options).map_err(CliError::unwritable)?;
    report_dropped(&format!("writing {to}"), &exported.dropped);
    dest.write(&exported.bytes, to.is_text(), args.force)
        .await?;
    note(format_args!(
        "tgsession: converted {} ({from}) to {} ({to})",
        source.describe(),
        dest.describe()
    ));
    Ok(Exit::Success)
}

/// The writer's options: `--telethon-schema` (7 or 8, already range-checked by clap), which only a Telethon
/// SQLite target takes.
fn write_options(
    schema: Option<u8>,
    to: session_interop::Format,
) -> Result<WriteOptions, CliError> {
    let Some(schema) = schema else {
        return Ok(WriteOptions::default());
    };
    if to != session_interop::Format::TelethonSqlite {
        return Err(CliError::usage(
            format!("--telethon-schema applies to --to telethon-sqlite, not to --to {to}"),
            "leave it out",
        ));
    }
    let schema = if schema == 8 {
        TelethonSchema::V8
    } else {
        TelethonSchema::V7
    };
    Ok(WriteOptions::default().with_telethon_schema(schema))
}
