//! What the commands print: the facts both the text and the JSON summary show ([`text`], [`json`]), the
//! notes on what a conversion dropped, and the only three ways anything is written: [`print()`] on standard
//! output and [`note`] on standard error, both through the output guard ([`scrub`]), and
//! [`print_session`] for the session `convert` was asked to write to standard output; none of them panics on
//! a closed pipe.

pub(crate) mod json;
pub(crate) mod text;

use std::fmt;
use std::io::Write;

use session_core::{DcEntry, DcFlags, PeerKind, Session};
use session_interop::Dropped;

use crate::error::CliError;
use crate::exit::Exit;
use crate::redact::scrub;

/// How many cached peers of each kind the session has, in [`PeerKind::ALL`] order, kinds with none left out.
pub(crate) fn peer_kinds(session: &Session) -> Vec<(&'static str, usize)> {
    PeerKind::ALL
        .iter()
        .map(|&kind| {
            let count = session
                .peers
                .iter()
                .filter(|(_, peer)| peer.kind == kind)
                .count();
            (PeerKind::name(kind), count)
        })
        .filter(|&(_, count)| count > 0)
        .collect()
}

/// The key id of a DC's permanent key (16 lowercase hex digits), never the key.
pub(crate) fn auth_key_id(dc: &DcEntry) -> Option<String> {
    dc.auth_key.as_ref().map(|key| key.id().to_string())
}

/// The names of the flags a DC entry has set.
pub(crate) fn flag_names(flags: &DcFlags) -> Vec<&'static str> {
    [
        (flags.media_only, "media_only"),
        (flags.cdn, "cdn"),
        (flags.tcpo_only, "tcpo_only"),
        (flags.is_static, "static"),
        (flags.this_port_only, "this_port_only"),
    ]
    .into_iter()
    .filter(|&(set, _)| set)
    .map(|(_, name)| name)
    .collect()
}

/// Writes `text` (a report, a summary) to standard output, through the output guard, and flushes it; a
/// failed write (a closed pipe, a full disk) is an error rather than a panic.
pub(crate) fn print(text: impl AsRef<str>) -> Result<(), CliError> {
    print_session(scrub(text.as_ref()))
}

/// Writes `data` to standard output as it is and flushes it: only for the session that `convert` was asked
/// to write there, which is secret by nature. Everything else goes through [`print()`].
pub(crate) fn print_session(data: impl AsRef<[u8]>) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(data.as_ref())
        .and_then(|()| stdout.flush())
        .map_err(|err| {
            CliError::bare(
                Exit::Refused,
                format!("cannot write to standard output: {err}"),
            )
        })
}

/// Writes `line` and a line break on standard error, through the output guard ([`scrub`]: a message may
/// quote an argument, or a library's message a path made from one). A failed write (a closed pipe) is
/// ignored rather than a panic: there is nowhere left to report it, and the exit code still tells how the run
/// ended.
pub(crate) fn note(line: impl fmt::Display) {
    let line = scrub(&line.to_string());
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints one line on standard error for each thing `stage` (`reading X`, `writing Y`) dropped.
pub(crate) fn report_dropped(stage: &str, dropped: &[Dropped]) {
    for entry in dropped {
        note(format_args!(
            "tgsession: dropped while {stage}: {}",
            crate::error::one_line(&entry.to_string())
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::{Peer, PeerId};

    #[test]
    fn peers_are_counted_by_kind_in_a_fixed_order() {
        let mut session = Session::new();
        for (id, kind) in [
            (PeerId::Channel(5), PeerKind::Broadcast),
            (PeerId::User(1), PeerKind::Bot),
            (PeerId::User(2), PeerKind::User),
            (PeerId::User(3), PeerKind::Bot),
        ] {
            session.peers.insert(
                id,
                Peer {
                    kind,
                    ..Peer::default()
                },
            );
        }
        assert_eq!(
            peer_kinds(&session),
            vec![("user", 1), ("bot", 2), ("broadcast", 1)]
        );
    }

    #[test]
    fn flags_are_named() {
        let flags = DcFlags {
            media_only: true,
            this_port_only: true,
            ..DcFlags::default()
        };
        assert_eq!(flag_names(&flags), vec!["media_only", "this_port_only"]);
    }
}
