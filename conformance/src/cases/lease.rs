//! The cases of [`LeaseStorage`]: one holder at a time, renewals, lapses and the takeover delay, release and
//! break, fencing of every write a stale holder makes, and tokens that never repeat.
//!
//! The cases use short times to live (a few hundred milliseconds) and check times against the test's own
//! clock with a small tolerance: a lease is measured from when its request was sent, so a backend may let a
//! lease run a little longer than asked, never shorter.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use session_core::{
    ErrorKind, Expect, FencedOutcome, FencedWrite, FencingToken, HolderId, JournalPosition,
    JournalStorage, LeaseGrant, LeaseRequest, LeaseState, LeaseStorage, LeaseTerm, Session,
    SessionStorage, StorageError,
};
use tokio::sync::Barrier;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::check::Check;
use crate::context::Ctx;
use crate::Harness;

/// The time to live of the cases' leases.
const TTL: Duration = Duration::from_millis(400);
/// How much earlier than allowed a backend's clock may let a lease be taken (clock granularity).
const TOLERANCE: Duration = Duration::from_millis(30);

/// A request by `holder` with the cases' time to live and `delay`.
fn request(check: Check, holder: &str, delay: Duration) -> LeaseRequest {
    let holder = check.ok(HolderId::new(holder), "building a holder id");
    check
        .ok(
            LeaseRequest::new(holder).with_ttl(TTL),
            "building a request",
        )
        .with_takeover_delay(delay)
}

async fn acquire<S: LeaseStorage + ?Sized>(
    check: Check,
    storage: &S,
    request: &LeaseRequest,
    doing: &str,
) -> FencingToken {
    check.ok(storage.acquire_lease(request).await, doing).token
}

/// Fails unless `result` is [`ErrorKind::Held`] naming `holder`.
fn held_by<T: std::fmt::Debug>(
    check: Check,
    result: Result<T, StorageError>,
    holder: &str,
    doing: &str,
) {
    let err = check.fails_with(ErrorKind::Held, result, doing);
    match err.lease_held() {
        Some(info) if info.holder.as_str() == holder => {}
        Some(info) => check.fail(format_args!(
            "{doing} failed with Held naming holder {:?}, but {holder:?} holds the lease",
            info.holder.as_str()
        )),
        None => check.fail(format_args!(
            "{doing} failed with Held without naming the lease in the way (StorageError::held attaches it)"
        )),
    }
}

/// Fails unless the fenced `write` under `token` fails with [`ErrorKind::Fenced`] (or, for a write the
/// storage lacks, [`ErrorKind::Unsupported`]).
async fn refused<S: LeaseStorage + ?Sized>(
    check: Check,
    storage: &S,
    token: FencingToken,
    write: FencedWrite,
    doing: &str,
) {
    let name = write.name();
    match storage.write_fenced(token, write).await {
        Err(err) if err.kind() == ErrorKind::Fenced => {}
        Err(err)
            if err.kind() == ErrorKind::Unsupported && matches!(name, "append" | "compact") => {}
        other => {
            check.fails_with(ErrorKind::Fenced, other, &format!("{doing} ({name})"));
        }
    }
}

/// A fresh slot with nothing stored and no lease yet reads `None`; the first acquisition is then held by
/// its holder.
pub async fn lease_of_a_fresh_slot<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("lease_of_a_fresh_slot", h);
    cx.run(async {
        let check = cx.check();
        let storage = cx.open(&cx.fresh_slot()).await;
        let before = check.ok(storage.read_lease().await, "read_lease on a fresh slot");
        if before.is_some() {
            check.fail(format_args!("read_lease on a fresh slot returned {before:?}, expected None"));
        }
        let token = acquire(check, &storage, &request(check, "first", Duration::ZERO), "acquire").await;
        match check.ok(storage.read_lease().await, "read_lease after acquire") {
            Some(info)
                if info.holder.as_str() == "first"
                    && info.token == token
                    && matches!(info.state, LeaseState::Held { .. }) => {}
            other => check.fail(format_args!(
                "after acquiring with token {token}, read_lease returned {other:?}, expected it held by \"first\""
            )),
        }
        if check.ok(storage.load().await, "load after acquire").is_some() {
            check.fail("acquiring a lease stored a value in the slot");
        }
    })
    .await;
}

/// Of 8 handles racing to acquire one slot's lease, exactly one wins; the others fail with `Held` naming it.
pub async fn one_holder_among_racing_acquirers<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("one_holder_among_racing_acquirers", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        for round in 0..3 {
            let racers = 8;
            let barrier = Arc::new(Barrier::new(racers));
            let mut tasks = JoinSet::new();
            for racer in 0..racers {
                let storage = cx.open(&slot).await;
                let barrier = barrier.clone();
                let request = request(check, &format!("racer-{round}-{racer}"), TTL * 100);
                tasks.spawn(async move {
                    barrier.wait().await;
                    let result = storage.acquire_lease(&request).await;
                    // The handle lives on until every racer tried: a lock-based lease ends with its handle.
                    (racer, result, storage)
                });
            }
            let mut winners = Vec::new();
            let mut losers = Vec::new();
            let mut handles = Vec::new();
            while let Some(joined) = tasks.join_next().await {
                let (racer, result, handle) = joined.unwrap_or_else(|err| check.fail(format_args!("a racer panicked: {err}")));
                handles.push(handle);
                match result {
                    Ok(grant) => winners.push((racer, grant.token)),
                    Err(err) if err.kind() == ErrorKind::Held => losers.push(err),
                    Err(err) => check.error(&err, format_args!("racer {racer}'s acquire")),
                }
            }
            let [(winner, token)] = winners[..] else {
                check.fail(format_args!(
                    "round {round}: {} of {racers} racing acquisitions succeeded ({winners:?}), expected exactly one",
                    winners.len()
                ));
            };
            let name = format!("racer-{round}-{winner}");
            for err in losers {
                held_by(check, Err::<(), _>(err), &name, "a losing racer's acquire");
            }
            let storage = cx.open(&slot).await;
            storage.release_lease(token).await.unwrap_or_else(|err| check.error(&err, "releasing the winner's lease"));
            drop(handles);
        }
    })
    .await;
}

/// Renewing keeps the lease past its first time to live: nobody else can take it, its token stays.
pub async fn renew_keeps_the_lease<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("renew_keeps_the_lease", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let holder = cx.open(&slot).await;
        let other = cx.open(&slot).await;
        let token = acquire(
            check,
            &holder,
            &request(check, "holder", Duration::ZERO),
            "acquire",
        )
        .await;
        let taker = request(check, "taker", Duration::ZERO);
        let end = Instant::now() + TTL * 3;
        while Instant::now() < end {
            tokio::time::sleep(TTL / 4).await;
            let grant: LeaseGrant =
                check.ok(holder.renew_lease(token, TTL).await, "renew by the holder");
            if grant.token != token {
                check.fail(format_args!(
                    "renewing lease {token} returned token {}",
                    grant.token
                ));
            }
            held_by(
                check,
                other.acquire_lease(&taker).await,
                "holder",
                "acquire while the holder renews",
            );
        }
        check.ok(
            holder
                .write_fenced(token, FencedWrite::Store(Bytes::from_static(b"kept")))
                .await,
            "a write under the renewed lease",
        );
    })
    .await;
}

/// A lease that lapsed without a release can be taken only once its takeover delay passed after the lapse,
/// and the taker gets a bigger token.
pub async fn lapsed_lease_is_taken_after_the_delay<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("lapsed_lease_is_taken_after_the_delay", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let holder = cx.open(&slot).await;
        let taker = cx.open(&slot).await;
        let delay = TTL * 2;
        let started = Instant::now();
        let grant = check.ok(
            holder
                .acquire_lease(&request(check, "gone", Duration::ZERO))
                .await,
            "acquire",
        );
        let first = grant.token;
        if grant.term == LeaseTerm::WhileHeld {
            // A lease held for as long as its holder's handle lives (a lock) lapses when the holder is gone,
            // and needs no delay: its holder cannot be talking to Telegram any more.
            drop(holder);
            let request = request(check, "taker", LeaseRequest::DEFAULT_TAKEOVER_DELAY);
            let second = acquire(check, &taker, &request, "acquire after the holder's handle closed").await;
            if second <= first {
                check.fail(format_args!("the taker got token {second}, not greater than {first}"));
            }
            return;
        }
        let request = request(check, "taker", delay);
        let earliest = started + TTL + delay - TOLERANCE;
        let give_up = started + TTL + delay + Duration::from_secs(10);
        let second = loop {
            let tried = Instant::now();
            match taker.acquire_lease(&request).await {
                Ok(_) if tried < earliest => check.fail(format_args!(
                    "the lease was taken {:?} after it was acquired with a time to live of {TTL:?} and a \
                     takeover delay of {delay:?}: earlier than the delay allows",
                    tried - started
                )),
                Ok(grant) => break grant.token,
                Err(err) if err.kind() == ErrorKind::Held && tried < give_up => {
                    held_by(check, Err::<(), _>(err), "gone", "acquire of a lapsing lease");
                }
                other => {
                    check.ok(other, "acquire after the time to live and the takeover delay");
                }
            }
            tokio::time::sleep(TTL / 8).await;
        };
        if second <= first {
            check.fail(format_args!("the taker got token {second}, not greater than the lapsed lease's {first}"));
        }
    })
    .await;
}

/// After a takeover, every write of the stale holder fails with `Fenced` and changes nothing, and its
/// renewal fails too.
pub async fn stale_holder_cannot_write<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("stale_holder_cannot_write", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let stale = cx.open(&slot).await;
        let fresh = cx.open(&slot).await;
        let old = acquire(
            check,
            &stale,
            &request(check, "paused", Duration::ZERO),
            "acquire",
        )
        .await;
        check.ok(
            stale
                .write_fenced(old, FencedWrite::Store(Bytes::from_static(b"old")))
                .await,
            "store under the first lease",
        );
        // The holder goes silent (a lock-based lease's handle is closed, as when its process dies); a new
        // handle writes under the old token afterwards.
        drop(stale);
        let new = take_over(check, &fresh, "successor").await;
        let stale = cx.open(&slot).await;
        check.ok(
            fresh
                .write_fenced(new, FencedWrite::Store(Bytes::from_static(b"new")))
                .await,
            "store under the new lease",
        );
        for write in fenced_writes() {
            refused(
                check,
                &stale,
                old,
                write,
                "a write of the holder that was taken over",
            )
            .await;
        }
        check.fails_with(
            ErrorKind::Fenced,
            stale.renew_lease(old, TTL).await,
            "renewal of the lease that was taken over",
        );
        check
            .expect_load(&fresh, Some(&b"new"[..]), "after the stale holder's writes")
            .await;
    })
    .await;
}

/// Takes over `storage`'s lease: waits out the current holder's time to live, then acquires with no delay.
async fn take_over<S: LeaseStorage + ?Sized>(
    check: Check,
    storage: &S,
    holder: &str,
) -> FencingToken {
    let request = request(check, holder, Duration::ZERO);
    let give_up = Instant::now() + TTL + Duration::from_secs(10);
    loop {
        match storage.acquire_lease(&request).await {
            Ok(grant) => return grant.token,
            Err(err) if err.kind() == ErrorKind::Held && Instant::now() < give_up => {
                tokio::time::sleep(TTL / 4).await;
            }
            Err(err) => check.error(&err, "acquiring the lapsed lease with no delay"),
        }
    }
}

/// Every kind of write, with values that would show if one landed.
fn fenced_writes() -> Vec<FencedWrite> {
    let position = JournalPosition::start();
    let snapshot = Session::new()
        .encode_snapshot(&position)
        .map(Bytes::from)
        .unwrap_or_default();
    vec![
        FencedWrite::Store(Bytes::from_static(b"stale store")),
        FencedWrite::StoreIf(Bytes::from_static(b"stale store_if"), Expect::Absent),
        FencedWrite::Delete,
        FencedWrite::Append(position.epoch, Bytes::from_static(b"stale record")),
        FencedWrite::Compact(snapshot, position),
    ]
}

/// A release lets the next holder in at once, even with the default 90 s takeover delay; the released
/// holder can neither renew nor write.
pub async fn release_lets_the_next_holder_in<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("release_lets_the_next_holder_in", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let first = cx.open(&slot).await;
        let second = cx.open(&slot).await;
        let old = acquire(
            check,
            &first,
            &request(check, "leaving", Duration::ZERO),
            "acquire",
        )
        .await;
        check.ok(first.release_lease(old).await, "release");
        check.ok(
            first.release_lease(old).await,
            "a second release of the same lease",
        );
        let next = request(check, "arriving", LeaseRequest::DEFAULT_TAKEOVER_DELAY);
        let new = acquire(
            check,
            &second,
            &next,
            "acquire right after a release, with the default delay",
        )
        .await;
        if new <= old {
            check.fail(format_args!(
                "the next holder got token {new}, not greater than the released {old}"
            ));
        }
        check.fails_with(
            ErrorKind::Fenced,
            first.renew_lease(old, TTL).await,
            "renewal of a released lease",
        );
        refused(
            check,
            &first,
            old,
            FencedWrite::Store(Bytes::from_static(b"late")),
            "a write after release",
        )
        .await;
        check.ok(
            first.release_lease(old).await,
            "releasing an old lease while another holder has the slot",
        );
        held_by(
            check,
            first
                .acquire_lease(&request(check, "third", Duration::ZERO))
                .await,
            "arriving",
            "acquire after the old holder released its old token again",
        );
    })
    .await;
}

/// Breaking a lease ends it: its holder's writes fail, and the next holder gets the slot at once.
pub async fn break_fences_the_holder<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("break_fences_the_holder", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let holder = cx.open(&slot).await;
        let operator = cx.open(&slot).await;
        let token = acquire(
            check,
            &holder,
            &request(check, "stuck", Duration::ZERO),
            "acquire",
        )
        .await;
        match check.ok(operator.break_lease().await, "break_lease") {
            Some(info) if info.token == token && info.holder.as_str() == "stuck" => {}
            other => check.fail(format_args!(
                "break_lease returned {other:?}, expected the lease of \"stuck\" ({token})"
            )),
        }
        refused(
            check,
            &holder,
            token,
            FencedWrite::Store(Bytes::from_static(b"after break")),
            "a write of a broken lease",
        )
        .await;
        // A lock-based lease stays locked until its holder's handle closes; other leases are free now.
        drop(holder);
        let next = request(check, "next", LeaseRequest::DEFAULT_TAKEOVER_DELAY);
        acquire(check, &operator, &next, "acquire right after a break").await;
        if check.ok(operator.load().await, "load").is_some() {
            check.fail("a write under a broken lease was stored");
        }
    })
    .await;
}

/// Under a valid lease, fenced writes do what the plain writes do, including a `store_if` conflict.
pub async fn fenced_writes_act_as_plain_writes<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("fenced_writes_act_as_plain_writes", h);
    cx.run(async {
        let check = cx.check();
        let storage = cx.open(&cx.fresh_slot()).await;
        let token = acquire(
            check,
            &storage,
            &request(check, "writer", Duration::ZERO),
            "acquire",
        )
        .await;
        let stored = check.ok(
            storage
                .write_fenced(token, FencedWrite::Store(Bytes::from_static(b"one")))
                .await,
            "fenced store",
        );
        if stored != FencedOutcome::Done {
            check.fail(format_args!(
                "a fenced store returned {stored:?}, expected Done"
            ));
        }
        check
            .expect_load(&storage, Some(&b"one"[..]), "after a fenced store")
            .await;
        check.conflict(
            storage
                .write_fenced(
                    token,
                    FencedWrite::StoreIf(Bytes::from_static(b"two"), Expect::Absent),
                )
                .await,
            "fenced store_if expecting absence on a present slot",
        );
        check
            .expect_load(
                &storage,
                Some(&b"one"[..]),
                "after a refused fenced store_if",
            )
            .await;
        match storage.write_fenced(token, FencedWrite::Delete).await {
            Ok(_) => {
                check
                    .expect_load(&storage, None, "after a fenced delete")
                    .await
            }
            Err(err) if err.kind() == ErrorKind::Unsupported => {}
            Err(err) => check.error(&err, "fenced delete"),
        }
        match storage
            .write_fenced(
                token,
                FencedWrite::StoreIf(Bytes::from_static(b"three"), Expect::Absent),
            )
            .await
        {
            Ok(FencedOutcome::Version(_)) => {
                check
                    .expect_load(&storage, Some(&b"three"[..]), "after a fenced store_if")
                    .await
            }
            Err(err) if err.kind() == ErrorKind::Unsupported => {}
            Err(err) if err.kind() == ErrorKind::Conflict => {} // no delete: the slot still holds "one"
            other => check.fail(format_args!("a fenced store_if returned {other:?}")),
        }
        check.fails_with(
            ErrorKind::Fenced,
            storage
                .renew_lease(token.next("test").unwrap_or(token), TTL)
                .await,
            "renewal with a token the storage never granted",
        );
    })
    .await;
}

/// Tokens grow across releases, a reopen (a restart of the backend) and a delete of the slot's value.
pub async fn tokens_never_repeat_across_reopen<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("tokens_never_repeat_across_reopen", h);
    cx.run(tokens_never_repeat(&cx, false)).await;
}

/// Tokens grow across a crash of the backend ([`Harness::crash`]).
pub async fn tokens_never_repeat_across_crash<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    let cx = Ctx::new("tokens_never_repeat_across_crash", h);
    cx.run(tokens_never_repeat(&cx, true)).await;
}

async fn tokens_never_repeat<H: Harness>(cx: &Ctx<'_, H>, crash: bool)
where
    H::Storage: LeaseStorage,
{
    let check = cx.check();
    let slot = cx.fresh_slot();
    let mut last = None;
    for round in 0..3 {
        let storage = cx.open(&slot).await;
        let token = acquire(
            check,
            &storage,
            &request(check, "round", Duration::ZERO),
            "acquire",
        )
        .await;
        if last.is_some_and(|last| token <= last) {
            check.fail(format_args!(
                "round {round} got token {token} after token {last:?}"
            ));
        }
        last = Some(token);
        check.ok(
            storage
                .write_fenced(token, FencedWrite::Store(Bytes::from_static(b"v")))
                .await,
            "fenced store",
        );
        match storage.write_fenced(token, FencedWrite::Delete).await {
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::Unsupported => {}
            Err(err) => check.error(&err, "fenced delete"),
        }
        if !crash {
            check.ok(storage.release_lease(token).await, "release");
        }
        drop(storage);
        if crash {
            cx.crash().await;
            // The crashed holder never released: break its lease as an operator would after a crash.
            let storage = cx.open(&slot).await;
            check.ok(storage.break_lease().await, "break_lease after the crash");
        } else {
            cx.reopen().await;
        }
    }
}

/// The cases that need [`JournalStorage`] too: a stale holder's appends and compactions are fenced, and a
/// holder's journal writes work under its lease.
pub async fn journal_writes_are_fenced<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage + JournalStorage,
{
    let cx = Ctx::new("journal_writes_are_fenced", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let stale = cx.open(&slot).await;
        let fresh = cx.open(&slot).await;
        let old = acquire(check, &stale, &request(check, "journal-writer", Duration::ZERO), "acquire").await;
        let position = JournalPosition::start();
        let snapshot = Bytes::from(check.ok(Session::new().encode_snapshot(&position).map_err(StorageError::from), "encoding a snapshot"));
        check.ok(stale.write_fenced(old, FencedWrite::Store(snapshot.clone())).await, "fenced store of a snapshot");
        let record = Bytes::from(check.ok(session_core::Record::encode_patch(position.epoch, &session_core::Patch::new()).map_err(StorageError::from), "encoding a record"));
        match check.ok(stale.write_fenced(old, FencedWrite::Append(position.epoch, record.clone())).await, "fenced append") {
            FencedOutcome::Appended(index) if index == position.next => {}
            other => check.fail(format_args!("the first fenced append returned {other:?}, expected index {}", position.next)),
        }
        drop(stale);
        take_over(check, &fresh, "journal-successor").await;
        let stale = cx.open(&slot).await;
        refused(check, &stale, old, FencedWrite::Append(position.epoch, record), "an append of the holder that was taken over").await;
        let compacted = JournalPosition { epoch: position.epoch, next: position.next + 1 };
        let snapshot = Bytes::from(check.ok(Session::new().encode_snapshot(&compacted).map_err(StorageError::from), "encoding a snapshot"));
        refused(check, &stale, old, FencedWrite::Compact(snapshot, compacted), "a compaction of the holder that was taken over").await;
        let journal = check.ok(fresh.load_journal().await, "load_journal").unwrap_or_else(|| check.fail("the slot is absent after fenced writes"));
        if journal.records.len() != 1 || journal.base != position.next {
            check.fail(format_args!("after a stale append and compaction, the journal holds {} records from {}, expected the 1 record from {}", journal.records.len(), journal.base, position.next));
        }
    })
    .await;
}
