//! Running operations at once in interleavings chosen by a round number, so that a few rounds sweep the
//! orders in which a storage's steps can meet instead of hoping for them.

use std::future::Future;

use tokio::task::JoinHandle;

/// Runs `a` and `b` at once; round `round` starts them after `round % 3` and `(round / 3) % 3` yields to
/// the scheduler, as two futures of one task (polled in turn, so a storage that yields between two steps
/// lets the other operation in exactly there) when `(round / 9)` is even, else on two tasks. Rounds 0 to 17
/// cover every combination.
pub(crate) async fn two_at_once<A, B>(round: u64, a: A, b: B) -> (A::Output, B::Output)
where
    A: Future + Send + 'static,
    B: Future + Send + 'static,
    A::Output: Send + 'static,
    B::Output: Send + 'static,
{
    let a = after_yields(round % 3, a);
    let b = after_yields((round / 3) % 3, b);
    if (round / 9).is_multiple_of(2) {
        tokio::join!(a, b)
    } else {
        let (a, b) = (tokio::spawn(a), tokio::spawn(b));
        (joined(a).await, joined(b).await)
    }
}

/// Runs `a`, `b` and `c` at once; round `round` starts them after `round % 3`, `(round / 3) % 3` and
/// `(round / 9) % 3` yields, in one task when `round` is even, else on three tasks. Rounds 0 to 26 cover
/// every combination of yields (each in one of the two ways).
pub(crate) async fn three_at_once<A, B, C>(
    round: u64,
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output)
where
    A: Future + Send + 'static,
    B: Future + Send + 'static,
    C: Future + Send + 'static,
    A::Output: Send + 'static,
    B::Output: Send + 'static,
    C::Output: Send + 'static,
{
    let a = after_yields(round % 3, a);
    let b = after_yields((round / 3) % 3, b);
    let c = after_yields((round / 9) % 3, c);
    if round.is_multiple_of(2) {
        tokio::join!(a, b, c)
    } else {
        let (a, b, c) = (tokio::spawn(a), tokio::spawn(b), tokio::spawn(c));
        (joined(a).await, joined(b).await, joined(c).await)
    }
}

/// `what`, started after `n` yields to the scheduler.
async fn after_yields<T>(n: u64, what: impl Future<Output = T>) -> T {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    what.await
}

/// The output of a spawned task; its panic (a case failure or the storage's) goes on as a panic.
async fn joined<T>(task: JoinHandle<T>) -> T {
    match task.await {
        Ok(output) => output,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => panic!("a task of a race did not finish: {err}"),
    }
}
