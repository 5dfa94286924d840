//! Keeping secrets out of everything the binary prints, by construction and as a last line of defence.
//!
//! Two kinds of secret reach the command line: session strings and key material (an auth key is as good as
//! the account's password), and passwords in backend URLs. They are kept out of the output in two layers:
//!
//! 1. **Typed names.** Every argument that names a source or destination is shown through [`Shown`], which
//!    hides its password (only in URLs, where the syntax says it is one) and every part that could be a
//!    session string ([`spans`]) as `<N characters>`, and remembers that it held such a part. An error about a
//!    location whose name held one never quotes the library's message about it (a file adapter's message
//!    names the parent directory of the path, which is most of the string).
//! 2. **The guard.** [`guard`] remembers, from the start of the run, every 16-byte window of every
//!    session-like part of every argument, of every input read, and of the hex and base64 forms of every
//!    auth key read; and the passwords of URL arguments. Everything printed (standard error, and standard
//!    output except the session a `convert` writes there on purpose) passes through [`scrub`], which cuts out
//!    any such window and any such password, whatever message quoted it: clap's, a driver's, ours.

mod guard;
mod shown;
mod spans;

pub(crate) use self::guard::{protect_args, protect_input, protect_session, scrub, try_scrub};
pub(crate) use self::shown::Shown;
