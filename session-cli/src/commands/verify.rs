//! `tgsession verify`: is the session intact, usable and private?

use session_core::Session;

use crate::cli::VerifyArgs;
use crate::commands::privacy;
use crate::error::CliError;
use crate::exit::Exit;
use crate::input;
use crate::output;
use crate::source::Source;

/// The outcome of one check: `Ok` with what was found, or the problems, each with its fix.
type Outcome = Result<String, Vec<(String, String)>>;

/// Reads the source (any failure is an input error, exit 1), then runs every check and prints one line per
/// check; each problem is also reported on standard error as `tgsession: <problem>; <fix>`. Exits 4 when any
/// check found a problem.
pub(crate) async fn run(args: VerifyArgs) -> Result<Exit, CliError> {
    let source = Source::from_args(args.source.map(|source| source.0), args.input.string)?;
    // Before reading: opening a sled database makes its files private, which would hide what was exposed.
    let permissions = permissions(&source);
    let loaded = input::load(&source, args.input.from).await?;
    let session = &loaded.imported.session;
    let checks: [(&str, Outcome); 4] = [
        (
            "integrity",
            Ok(format!(
                "read as {} ({})",
                loaded.format,
                loaded.format.description()
            )),
        ),
        ("re-encoding", reencodes(session)),
        ("home DC key", home_key(session)),
        ("permissions", permissions),
    ];
    let mut report = String::new();
    let mut problems = 0;
    for (name, outcome) in checks {
        match outcome {
            Ok(found) => report.push_str(&format!("{name:<12} ok: {found}\n")),
            Err(found) => {
                for (problem, fix) in found {
                    problems += 1;
                    report.push_str(&format!("{name:<12} PROBLEM: {problem}\n"));
                    output::note(CliError::new(Exit::Problem, problem, fix));
                }
            }
        }
    }
    report.push_str(&match problems {
        0 => "verified: no problems found\n".to_owned(),
        n => format!("{n} problem(s) found\n"),
    });
    output::print(report)?;
    Ok(if problems == 0 {
        Exit::Success
    } else {
        Exit::Problem
    })
}

/// The session encodes as tgsession and decodes back to the same session.
fn reencodes(session: &Session) -> Outcome {
    let problem = |what: String| {
        Err(vec![(
            what,
            "report it: the reader produced a session tgsession cannot store".to_owned(),
        )])
    };
    match session.encode() {
        Err(err) => problem(format!("the session cannot be encoded as tgsession: {err}")),
        Ok(bytes) => match Session::decode(&bytes) {
            Ok(decoded) if decoded == *session => Ok(format!("{} bytes as tgsession", bytes.len())),
            _ => problem("the session does not read back the same from tgsession".to_owned()),
        },
    }
}

/// The session names a home DC and has a permanent auth key for it.
fn home_key(session: &Session) -> Outcome {
    let fix = "this session cannot log in; export it again from a logged-in client".to_owned();
    match session.home_dc {
        None => Err(vec![("the session names no home DC".to_owned(), fix)]),
        Some(dc) => match session.auth_key(dc) {
            Some(key) => Ok(format!("DC {dc}, auth key {}", key.id())),
            None => Err(vec![(
                format!("there is no auth key for the home DC {dc}"),
                fix,
            )]),
        },
    }
}

/// Nobody but this user can read or replace the session: for a file, its mode, owner, the links on the way
/// to it and its directories ([`privacy`]); for a sled database, every file and directory in it.
fn permissions(source: &Source) -> Outcome {
    let found = if let Some(path) = source.file_path() {
        privacy::check_file(path, &source.describe())
    } else if let Some(dir) = source.sled_dir() {
        privacy::check_sled(dir)
    } else {
        return Ok("not a file, nothing to check".to_owned());
    };
    found.map_err(|found| {
        found
            .into_iter()
            .map(|exposure| (exposure.problem, exposure.fix))
            .collect()
    })
}
