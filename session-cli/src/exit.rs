//! The process exit codes, one per kind of outcome, and their documentation for `--help`.

use std::process::ExitCode;

/// How a run of `tgsession` ended. Every value is a documented exit code; scripts **may** rely on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: the command did what was asked.
    Success,
    /// 1: the input cannot be used: missing, unreadable, not a valid session, ambiguous, nothing stored in the
    /// slot a source URL names, or lacking what the target format needs.
    Input,
    /// 2: the command line is wrong: an unknown option or format, a malformed URL, a read-only target format.
    Usage,
    /// 3: the destination already holds a session and `--force` was not given; nothing was written.
    Exists,
    /// 4: `verify` read the session and found a problem.
    Problem,
    /// 5: a backend could not be reached or did not answer in time; trying again may help.
    Unavailable,
    /// 6: the destination or a backend refused the operation (permissions, a missing bucket, table or
    /// directory, a full disk).
    Refused,
}

impl Exit {
    /// The numeric exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Input => 1,
            Exit::Usage => 2,
            Exit::Exists => 3,
            Exit::Problem => 4,
            Exit::Unavailable => 5,
            Exit::Refused => 6,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// The exit-code table shown at the end of every `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  the input cannot be used: missing, unreadable, not a valid session, ambiguous (add --from),
     nothing stored in the slot, or lacking what the target format needs (Pyrogram's api id:
     add --api-id)
  2  usage error: unknown option or format, malformed URL, read-only target format
  3  the destination already exists (a file, or a slot holding a session); nothing was written
     (add --force to replace it)
  4  verify found a problem (no key for the home DC, file readable by group or others, ...)
  5  a backend could not be reached or did not answer in time; try again
  6  the destination or backend refused (permissions, missing bucket/table/directory, disk full)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_once() {
        let all = [
            Exit::Success,
            Exit::Input,
            Exit::Usage,
            Exit::Exists,
            Exit::Problem,
            Exit::Unavailable,
            Exit::Refused,
        ];
        for exit in all {
            let line = format!("\n  {}  ", exit.code());
            assert_eq!(EXIT_CODES_HELP.matches(&line).count(), 1, "{exit:?}");
        }
    }
}
