//! What every case starts from: its name, the harness, fresh slot names, a time limit, and joining the
//! tasks it spawns.

use std::any::Any;
use std::future::Future;
use std::ops::Deref;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::JoinSet;

use crate::check::Check;
use crate::Harness;

/// How long one case may take before it fails as hanging.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// One running case: its [`Check`] (reachable through `Deref`) and the harness.
pub(crate) struct Ctx<'h, H> {
    check: Check,
    harness: &'h H,
}

impl<'h, H: Harness> Ctx<'h, H> {
    pub(crate) fn new(case: &'static str, harness: &'h H) -> Self {
        Ctx {
            check: Check::new(case),
            harness,
        }
    }

    /// The harness.
    pub(crate) fn harness(&self) -> &'h H {
        self.harness
    }

    /// The reporter, to move into spawned tasks.
    pub(crate) fn check(&self) -> Check {
        self.check
    }

    /// A slot name nobody used before: `conf-<case>-<16 random hex digits>`.
    pub(crate) fn fresh_slot(&self) -> String {
        format!("conf-{}-{:016x}", self.check.case(), fastrand::u64(..))
    }

    /// A handle on `slot`, failing the case if the harness cannot open one.
    pub(crate) async fn open(&self, slot: &str) -> H::Storage {
        let opened = self.harness.open(slot).await;
        self.check
            .ok(opened, format_args!("opening a handle on slot {slot:?}"))
    }

    /// Simulates a process restart through the harness.
    pub(crate) async fn reopen(&self) {
        let reopened = self.harness.reopen().await;
        self.check.ok(reopened, "reopening the harness");
    }

    /// Simulates a crash through the harness. A harness that cannot ([`ErrorKind::Unsupported`]) fails the
    /// case: its crash cases must not be run (they are ignored tests unless `crash` is listed, and
    /// [`run_crash`](crate::run_crash) leaves them out).
    ///
    /// [`ErrorKind::Unsupported`]: session_core::ErrorKind::Unsupported
    pub(crate) async fn crash(&self) {
        match self.harness.crash().await {
            Err(err) if err.kind() == session_core::ErrorKind::Unsupported => self.check.fail(
                "the harness does not implement Harness::crash, so this crash case cannot run; list `crash` \
                 in conformance_tests! (or call run_crash) only for a harness that implements it",
            ),
            result => self.check.ok(result, "crashing the harness"),
        }
    }

    /// Runs the body of the case, failing it when it takes longer than [`CASE_TIMEOUT`], and when the
    /// storage panics (a storage must not), with the panic's message.
    pub(crate) async fn run(&self, body: impl Future<Output = ()>) {
        match CatchUnwind::new(tokio::time::timeout(CASE_TIMEOUT, body)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => self.check.fail(format_args!(
                "did not finish within {} s (a storage call hangs?)",
                CASE_TIMEOUT.as_secs()
            )),
            Err(payload) if is_case_failure(&*payload) => resume_unwind(payload),
            Err(payload) => self.check.fail(format_args!(
                "the storage panicked, which it must never do: {}",
                panic_message(&*payload)
            )),
        }
    }
}

impl<H> Deref for Ctx<'_, H> {
    type Target = Check;

    fn deref(&self) -> &Check {
        &self.check
    }
}

/// A future that turns a panic while polling `F` into an `Err` with the panic's payload.
pub(crate) struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> Self {
        CatchUnwind(Box::pin(future))
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.get_mut().0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Whether a panic is a case reporting a broken rule (which passes through as it is).
fn is_case_failure(payload: &(dyn Any + Send)) -> bool {
    panic_message(payload).starts_with("conformance case `")
}

/// Waits for every task of `tasks`; a task's panic is re-raised as it is (its message already names the
/// case), and dropping the set on the way out aborts the remaining tasks.
pub(crate) async fn join_all(check: Check, tasks: &mut JoinSet<()>) {
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(()) => {}
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => check.fail(format_args!("a task of the case did not finish: {err}")),
        }
    }
}
