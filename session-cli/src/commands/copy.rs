//! `tgsession copy`: a session into a backend, from another backend or from a session of any format.

use session_core::Session;
use session_interop::Format;
use zeroize::Zeroizing;

use crate::backend::{self, BackendUrl};
use crate::cli::CopyArgs;
use crate::commands::source_and_target;
use crate::error::{CliError, Role};
use crate::exit::Exit;
use crate::input::{self, Loaded};
use crate::output::{note, report_dropped};
use crate::redact::Shown;

/// Reads FROM, checks that it is a valid session, and writes it to TO as a tgsession value; without
/// `--force`, only if TO holds nothing (one create-if-absent write).
pub(crate) async fn run(args: CopyArgs) -> Result<Exit, CliError> {
    let (source, to) = source_and_target(args.locations, args.input.string, "TO")?;
    if !BackendUrl::is_url(&to) {
        return Err(CliError::usage(
            format!("TO {} is not a backend URL", Shown::arg(&to)),
            "write file:PATH to store a tgsession file, a sled:, redis://, postgres:// or s3:// URL, or use \
             `tgsession convert` to write another library's format",
        ));
    }
    let to = BackendUrl::parse(&to)?;
    let loaded = input::load(&source, args.input.from).await?;
    report_dropped(
        &format!("reading {} as {}", source.describe(), loaded.format),
        &loaded.imported.dropped,
    );
    let value = value(&loaded)?;
    let storage = backend::open(&to, Role::Destination).await?;
    backend::refuse_if_leased(storage.as_ref(), args.force, &to.shown).await?;
    backend::save(storage.as_ref(), &value, args.force, &to.shown).await?;
    note(format_args!(
        "tgsession: copied {} ({}) to {}",
        source.describe(),
        loaded.format,
        to.shown
    ));
    Ok(Exit::Success)
}

/// The tgsession value to store: a tgsession source's bytes as they are (reading them decoded and checked
/// them), anything else encoded, and decoded again before it is written, so a copy never stores a value
/// that does not read back.
fn value(loaded: &Loaded) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if loaded.format == Format::Tgsession {
        return Ok(loaded.raw.clone());
    }
    let encoded = loaded
        .imported
        .session
        .encode()
        .map(Zeroizing::new)
        .map_err(|err| {
            CliError::bare(
                Exit::Input,
                format!("the session cannot be stored as tgsession: {err}"),
            )
        })?;
    match Session::decode(&encoded) {
        Ok(decoded) if decoded == loaded.imported.session => Ok(encoded),
        _ => Err(CliError::bare(
            Exit::Input,
            "the session does not read back the same after encoding it as tgsession; nothing was written",
        )),
    }
}
