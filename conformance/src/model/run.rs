//! Running a sequence against the storage and, step by step, against a reference model of the contract.
//!
//! The model allows exactly what the trait documentation allows:
//!
//! - `load` returns the slot's current value (absent, empty and every byte count and value told apart),
//!   through any handle, also after a reopen.
//! - `store` and `delete` succeed and change the slot; `delete` of an absent slot succeeds.
//! - A version names exactly one value of its slot, forever (also across reopens): a version returned for
//!   one value and later for a different one is a failure. Versions may repeat for equal values (backends
//!   that version by content), and need not.
//! - `store_if(Absent)` succeeds if and only if the slot is absent (an empty value is not absence).
//! - `store_if(Version(v))` succeeds if `v` was returned since the slot's last write (by `load_versioned`
//!   or `store_if`, through any handle, before or after a reopen); fails with `Conflict` if the slot is absent
//!   or `v` named a different value than the current one; may do either if `v` named a value equal to the
//!   current one before a later write (content versions); and, if `v` was never made by this storage, fails
//!   with `Conflict` or `InvalidInput`.
//! - A failed `store_if` writes nothing.
//! - Two operations run at once ([`Op::Together`]) take effect one after the other, in either order
//!   (linearizability): their results and the slot's state afterwards must be those of one of the two
//!   orders. Until a later result tells the orders apart, the model keeps the state of each order that
//!   explains what was seen so far.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use session_core::{ErrorKind, Expect, StorageError, Version};

use super::gen::{fresh, lookalike, variant, ExpectSpec, Op, Value};
use super::subject::{Caps, Subject};
use crate::check::{difference, report};
use crate::context::{panic_message, CatchUnwind};
use crate::Harness;

/// How long one operation may take before the run reports it as hanging (with its seed and steps, which the
/// case's own time limit could not report).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one step of the model: a storage call that hangs or panics is a mismatch like any other.
async fn guarded<T>(what: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    match CatchUnwind::new(tokio::time::timeout(STEP_TIMEOUT, what)).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(format!(
            "did not finish within {} s (a storage call hangs?)",
            STEP_TIMEOUT.as_secs()
        )),
        Err(payload) => Err(format!(
            "the storage panicked, which it must never do: {}",
            panic_message(&*payload)
        )),
    }
}

/// Where and how the storage left the model: the step (`None`: while learning the slots' initial state)
/// and what differed.
#[derive(Debug)]
pub(crate) struct Mismatch {
    pub(crate) step: Option<usize>,
    pub(crate) what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(f, "at step {}: {}", step + 1, self.what),
            None => write!(f, "while reading the slots' initial state: {}", self.what),
        }
    }
}

/// What the model knows of one slot.
#[derive(Clone, Default)]
struct SlotModel {
    /// The current value.
    value: Option<Bytes>,
    /// Every value written, oldest first.
    history: Vec<Bytes>,
    /// Every version the storage returned for the slot, with the value it named.
    named: HashMap<Version, Bytes>,
    /// The distinct versions in the order first seen, for `ExpectSpec::Latest` and `Older`.
    seen: Vec<Version>,
    /// The versions returned since the slot's last write: they name its current state.
    current: Vec<Version>,
}

impl SlotModel {
    /// Records that the storage returned `version` for `value`; fails if it named another value before.
    fn observe(&mut self, version: &Version, value: &Bytes) -> Result<(), String> {
        match self.named.get(version) {
            Some(before) if before != value => {
                return Err(format!(
                    "{version:?} was returned for a value of {} bytes, but earlier for a different value of \
                     {} bytes: a version must name one value",
                    value.len(),
                    before.len()
                ))
            }
            Some(_) => {}
            None => {
                self.named.insert(version.clone(), value.clone());
            }
        }
        if !self.seen.contains(version) {
            self.seen.push(version.clone());
        }
        if !self.current.contains(version) {
            self.current.push(version.clone());
        }
        Ok(())
    }

    /// The slot was written: it holds `value` now, and no version seen so far is current.
    fn written(&mut self, value: Option<Bytes>) {
        if let Some(value) = &value {
            self.history.push(value.clone());
        }
        self.value = value;
        self.current.clear();
    }

    /// The bytes of `value`, resolved against this slot.
    fn resolve(&self, value: &Value) -> Bytes {
        match value {
            Value::Fresh { len, seed } => Bytes::from(fresh(*len, *seed)),
            Value::Variant { seed } => match &self.value {
                Some(current) => Bytes::from(variant(current, *seed)),
                None => Bytes::from(fresh((*seed % 64) as usize, *seed)),
            },
            Value::Earlier { back } => self
                .history
                .len()
                .checked_sub(*back)
                .and_then(|at| self.history.get(at))
                .cloned()
                .unwrap_or_default(),
            Value::Lookalike { which } => Bytes::from(lookalike(*which)),
            // Resolved by the run, which sees every slot.
            Value::Copy { from } => Bytes::from(fresh(*from % 64, *from as u64)),
        }
    }

    /// The `Expect` for `spec` (and whether it is forged).
    fn expect(&self, spec: ExpectSpec) -> (Expect, bool) {
        let version = match spec {
            ExpectSpec::Absent => None,
            ExpectSpec::Latest => self.seen.last().cloned(),
            ExpectSpec::Older(back) => self
                .seen
                .len()
                .checked_sub(back + 1)
                .map(|at| self.seen[at].clone())
                .or_else(|| self.seen.last().cloned()),
            ExpectSpec::Forged(seed) => Some(Version::from_bytes(fresh(16, seed))),
        };
        let forged = matches!(spec, ExpectSpec::Forged(_));
        (version.map_or(Expect::Absent, Expect::Version), forged)
    }

    /// What the model says a `store_if` expecting `expect` must do.
    fn outcome(&self, expect: &Expect, forged: bool) -> Outcome {
        let Expect::Version(version) = expect else {
            return if self.value.is_none() {
                Outcome::Succeeds
            } else {
                Outcome::Conflicts("the slot holds a value (an empty value is not absence)")
            };
        };
        match (&self.value, self.named.get(version)) {
            (_, None) if forged => Outcome::Foreign,
            (None, _) => Outcome::Conflicts("the slot is absent"),
            (Some(_), _) if self.current.contains(version) => Outcome::Succeeds,
            (Some(current), Some(named)) if named == current => Outcome::Either,
            (Some(_), Some(_)) => {
                Outcome::Conflicts("the version named a different value than the slot holds")
            }
            (Some(_), None) => Outcome::Foreign,
        }
    }

    /// Whether `other` is the same state as far as any later result can tell.
    fn same_state(&self, other: &SlotModel) -> bool {
        self.value == other.value
            && self.named == other.named
            && self.current.len() == other.current.len()
            && self.current.iter().all(|v| other.current.contains(v))
    }
}

/// What the model says a `store_if` must do.
enum Outcome {
    Succeeds,
    Conflicts(&'static str),
    /// The expected version named a value equal to the current one before a later write.
    Either,
    /// The version was never made by this storage: a conflict, or an `InvalidInput` error from a storage
    /// that can tell; nothing written either way.
    Foreign,
}

/// One storage call, its inputs resolved against the model before it runs.
#[derive(Clone)]
enum Call {
    Load,
    Store(Bytes),
    Delete,
    LoadVersioned,
    StoreIf {
        data: Bytes,
        expect: Expect,
        forged: bool,
    },
}

/// What a storage call returned (`None`: the storage lacks the operation).
enum Answer {
    Load(Result<Option<Bytes>, StorageError>),
    Store(Result<(), StorageError>),
    Delete(Option<Result<(), StorageError>>),
    LoadVersioned(Option<Result<Option<(Bytes, Version)>, StorageError>>),
    StoreIf(Option<Result<Version, StorageError>>),
}

/// Makes `call` on `storage`.
async fn perform(storage: Arc<dyn Subject>, call: Call) -> Answer {
    match call {
        Call::Load => Answer::Load(storage.load().await),
        Call::Store(data) => Answer::Store(storage.store(data).await),
        Call::Delete => Answer::Delete(storage.delete().await),
        Call::LoadVersioned => Answer::LoadVersioned(storage.load_versioned().await),
        Call::StoreIf { data, expect, .. } => Answer::StoreIf(storage.store_if(data, expect).await),
    }
}

/// Checks `answer` to `call` against `model` and applies the call's effect to it.
fn judge(model: &mut SlotModel, call: &Call, answer: &Answer) -> Result<(), String> {
    match (call, answer) {
        (Call::Load, Answer::Load(result)) => {
            let got = result.as_ref().map_err(failed)?;
            same(got.as_deref(), model.value.as_deref())
        }
        (Call::Store(data), Answer::Store(result)) => {
            result.as_ref().map_err(failed)?;
            model.written(Some(data.clone()));
            Ok(())
        }
        (Call::Delete, Answer::Delete(result)) => {
            if let Some(result) = result {
                result.as_ref().map_err(failed)?;
                model.written(None);
            }
            Ok(())
        }
        (Call::LoadVersioned, Answer::LoadVersioned(result)) => {
            let Some(result) = result else {
                return Ok(());
            };
            let got = result.as_ref().map_err(failed)?;
            same(
                got.as_ref().map(|(data, _)| &data[..]),
                model.value.as_deref(),
            )?;
            match got {
                Some((data, version)) => model.observe(version, data),
                None => Ok(()),
            }
        }
        (
            Call::StoreIf {
                data,
                expect,
                forged,
            },
            Answer::StoreIf(result),
        ) => {
            let Some(result) = result else {
                return Ok(());
            };
            let outcome = model.outcome(expect, *forged);
            match (result, outcome) {
                (Ok(version), Outcome::Succeeds | Outcome::Either) => {
                    model.written(Some(data.clone()));
                    model.observe(version, data)
                }
                (Ok(version), Outcome::Conflicts(why)) => Err(format!(
                    "store_if with {expect:?} succeeded (returned {version:?}), but must fail with a \
                     conflict: {why}"
                )),
                (Ok(version), Outcome::Foreign) => Err(format!(
                    "store_if with {expect:?}, a version this storage never made, succeeded (returned \
                     {version:?}), but must fail with a conflict"
                )),
                (Err(err), Outcome::Foreign)
                    if matches!(err.kind(), ErrorKind::Conflict | ErrorKind::InvalidInput) =>
                {
                    Ok(())
                }
                (Err(err), Outcome::Conflicts(_) | Outcome::Either)
                    if err.kind() == ErrorKind::Conflict =>
                {
                    Ok(())
                }
                (Err(err), Outcome::Succeeds) if err.kind() == ErrorKind::Conflict => Err(format!(
                    "store_if with {expect:?} failed with a conflict, but must succeed: the version was \
                     returned since the slot's last write ({})",
                    report(err)
                )),
                (Err(err), _) => Err(failed(err)),
            }
        }
        _ => Err("the model paired a call with another call's answer".to_owned()),
    }
}

/// One run of a sequence: the harness, the slots' names and models, and the open handles.
///
/// Each slot has one or more candidate states: after operations ran at once, one per order that explains
/// every result seen since; an operation keeps the candidates that explain its result.
pub(crate) struct Run<'h, H: Harness> {
    harness: &'h H,
    wrap: fn(H::Storage) -> Box<dyn Subject>,
    caps: Caps,
    names: Vec<String>,
    slots: Vec<Vec<SlotModel>>,
    handles: HashMap<(usize, usize), Arc<dyn Subject>>,
}

/// More candidate states than this for one slot, and the run settles them with a load through a new handle.
const MAX_CANDIDATES: usize = 16;

impl<'h, H: Harness> Run<'h, H> {
    pub(crate) fn new(
        harness: &'h H,
        wrap: fn(H::Storage) -> Box<dyn Subject>,
        caps: Caps,
        names: Vec<String>,
    ) -> Self {
        let slots = names.iter().map(|_| vec![SlotModel::default()]).collect();
        Run {
            harness,
            wrap,
            caps,
            names,
            slots,
            handles: HashMap::new(),
        }
    }

    /// Runs `ops`: first reads every slot's initial state (a slot with a short name may hold what an earlier
    /// run left), then each operation, comparing every result with the model; then reopens the harness and
    /// loads every slot through a new handle; last, if the storage can, deletes the slots again. Stops at the
    /// first mismatch.
    pub(crate) async fn execute(mut self, ops: &[Op]) -> Result<(), Mismatch> {
        guarded(self.learn_initial_state())
            .await
            .map_err(|what| Mismatch { step: None, what })?;
        for (at, op) in ops.iter().enumerate() {
            guarded(self.step(op)).await.map_err(|what| Mismatch {
                step: Some(at),
                what: format!("{op}: {what}"),
            })?;
        }
        guarded(self.final_check()).await.map_err(|what| Mismatch {
            step: Some(ops.len()),
            what,
        })?;
        self.clean_up().await;
        Ok(())
    }

    async fn learn_initial_state(&mut self) -> Result<(), String> {
        for slot in 0..self.slots.len() {
            let name = &self.names[slot];
            let storage = self.open(slot).await?;
            let value = storage
                .load()
                .await
                .map_err(|err| format!("load of slot {name:?}: {}", report(&err)))?;
            let model = &mut self.slots[slot][0];
            model.value = value.clone();
            if let Some(result) = storage.load_versioned().await {
                let loaded = result
                    .map_err(|err| format!("load_versioned of slot {name:?}: {}", report(&err)))?;
                let got = loaded.as_ref().map(|(data, _)| &data[..]);
                if let Some(differs) = difference(got, value.as_deref()) {
                    return Err(format!(
                        "load_versioned of slot {name:?} disagrees with load: {differs}"
                    ));
                }
                if let Some((data, version)) = loaded {
                    model.observe(&version, &data)?;
                }
            }
        }
        Ok(())
    }

    /// A new handle on `slot`.
    async fn open(&self, slot: usize) -> Result<Arc<dyn Subject>, String> {
        let name = &self.names[slot];
        let storage = self
            .harness
            .open(name)
            .await
            .map_err(|err| format!("opening a handle on slot {name:?}: {}", report(&err)))?;
        Ok(Arc::from((self.wrap)(storage)))
    }

    /// The handle `handle` of `slot`, opened on first use.
    async fn handle(&mut self, slot: usize, handle: usize) -> Result<Arc<dyn Subject>, String> {
        if !self.handles.contains_key(&(slot, handle)) {
            let opened = self.open(slot).await?;
            self.handles.insert((slot, handle), opened);
        }
        Ok(Arc::clone(&self.handles[&(slot, handle)]))
    }

    /// The call `op` makes, its inputs resolved against the slot's first candidate state; with the slot and
    /// handle. `None` for a reopen or a pair.
    fn call(&self, op: &Op) -> Option<(usize, usize, Call)> {
        let model = |slot: &usize| &self.slots[*slot][0];
        let resolve = |slot: &usize, value: &Value| match value {
            Value::Copy { from } => match &self.slots[*from % self.slots.len()][0].value {
                Some(value) => value.clone(),
                None => model(slot).resolve(value),
            },
            value => model(slot).resolve(value),
        };
        Some(match op {
            Op::Load { slot, handle } => (*slot, *handle, Call::Load),
            Op::Store {
                slot,
                handle,
                value,
            } => (*slot, *handle, Call::Store(resolve(slot, value))),
            Op::Delete { slot, handle } => (*slot, *handle, Call::Delete),
            Op::LoadVersioned { slot, handle } => (*slot, *handle, Call::LoadVersioned),
            Op::StoreIf {
                slot,
                handle,
                value,
                expect,
            } => {
                let (expect, forged) = model(slot).expect(*expect);
                let data = resolve(slot, value);
                (
                    *slot,
                    *handle,
                    Call::StoreIf {
                        data,
                        expect,
                        forged,
                    },
                )
            }
            Op::Reopen | Op::Together { .. } => return None,
        })
    }

    async fn step(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Reopen => {
                self.handles.clear();
                self.harness
                    .reopen()
                    .await
                    .map_err(|err| format!("reopening the harness: {}", report(&err)))
            }
            Op::Together { ops, yields, tasks } => self.together(ops, *yields, *tasks).await,
            op => {
                let Some((slot, handle, call)) = self.call(op) else {
                    return Ok(());
                };
                let storage = self.handle(slot, handle).await?;
                let answer = perform(storage, call.clone()).await;
                self.settle(slot, |model| judge(model, &call, &answer))
            }
        }
    }

    /// Runs two operations at once and keeps, for their slot(s), the candidate states of the orders that
    /// explain both results.
    async fn together(
        &mut self,
        ops: &[Op; 2],
        yields: [u8; 2],
        tasks: bool,
    ) -> Result<(), String> {
        let (Some((slot_a, handle_a, call_a)), Some((slot_b, handle_b, call_b))) =
            (self.call(&ops[0]), self.call(&ops[1]))
        else {
            return Ok(());
        };
        let (storage_a, storage_b) = (
            self.handle(slot_a, handle_a).await?,
            self.handle(slot_b, handle_b).await?,
        );
        let first = after_yields(yields[0], perform(storage_a, call_a.clone()));
        let second = after_yields(yields[1], perform(storage_b, call_b.clone()));
        let (answer_a, answer_b) = if tasks {
            let first = tokio::spawn(first);
            let second = tokio::spawn(second);
            (joined(first.await)?, joined(second.await)?)
        } else {
            tokio::join!(first, second)
        };
        if slot_a != slot_b {
            self.settle(slot_a, |model| judge(model, &call_a, &answer_a))?;
            return self.settle(slot_b, |model| judge(model, &call_b, &answer_b));
        }
        let before = std::mem::take(&mut self.slots[slot_a]);
        let mut after: Vec<SlotModel> = Vec::new();
        let mut errors = Vec::new();
        for candidate in &before {
            for (order, steps) in [
                (
                    "the first operation first",
                    [(&call_a, &answer_a), (&call_b, &answer_b)],
                ),
                (
                    "the second operation first",
                    [(&call_b, &answer_b), (&call_a, &answer_a)],
                ),
            ] {
                let mut model = candidate.clone();
                match steps
                    .iter()
                    .try_for_each(|(call, answer)| judge(&mut model, call, answer))
                {
                    Ok(()) => add(&mut after, model),
                    Err(what) => errors.push(format!("{order}: {what}")),
                }
            }
        }
        if after.is_empty() {
            self.slots[slot_a] = before;
            return Err(format!(
                "neither order of the two operations explains their results ({})",
                errors[..errors.len().min(2)].join("; ")
            ));
        }
        self.slots[slot_a] = after;
        if self.slots[slot_a].len() > MAX_CANDIDATES {
            let storage = self.open(slot_a).await?;
            let answer = perform(storage, Call::Load).await;
            self.settle(slot_a, |model| judge(model, &Call::Load, &answer))?;
        }
        Ok(())
    }

    /// Keeps the candidate states of `slot` that `check` accepts (applying its effect); fails if none does,
    /// with what differed from the first.
    fn settle(
        &mut self,
        slot: usize,
        mut check: impl FnMut(&mut SlotModel) -> Result<(), String>,
    ) -> Result<(), String> {
        let before = std::mem::take(&mut self.slots[slot]);
        let count = before.len();
        let mut after = Vec::new();
        let mut first_error = None;
        for mut model in before.iter().cloned() {
            match check(&mut model) {
                Ok(()) => add(&mut after, model),
                Err(what) => {
                    first_error.get_or_insert(what);
                }
            }
        }
        if after.is_empty() {
            self.slots[slot] = before;
            let what = first_error.unwrap_or_default();
            return Err(if count > 1 {
                format!(
                    "{what} (nor does it fit any other of the {count} states the earlier operations run at \
                     once may have left)"
                )
            } else {
                what
            });
        }
        self.slots[slot] = after;
        Ok(())
    }

    /// After a reopen, every slot, loaded through a handle opened now, holds what the model says.
    async fn final_check(&mut self) -> Result<(), String> {
        self.handles.clear();
        self.harness.reopen().await.map_err(|err| {
            format!(
                "after the last step, reopening the harness: {}",
                report(&err)
            )
        })?;
        for slot in 0..self.slots.len() {
            let context = |what: String| {
                format!(
                    "after the last step and a reopen, a load of slot #{slot} through a new handle: {what}"
                )
            };
            let storage = self.open(slot).await.map_err(context)?;
            let answer = perform(storage, Call::Load).await;
            self.settle(slot, |model| judge(model, &Call::Load, &answer))
                .map_err(context)?;
        }
        Ok(())
    }

    /// Deletes the slots if the storage can (best effort: the run already passed).
    async fn clean_up(&mut self) {
        if !self.caps.delete {
            return;
        }
        for slot in 0..self.slots.len() {
            if let Ok(storage) = self.open(slot).await {
                let _ = storage.delete().await;
            }
        }
    }
}

/// Adds `model` to `states` unless an equal state is there.
fn add(states: &mut Vec<SlotModel>, model: SlotModel) {
    if !states.iter().any(|state| state.same_state(&model)) {
        states.push(model);
    }
}

/// `what`, started after `n` yields to the scheduler.
async fn after_yields<T>(n: u8, what: impl Future<Output = T>) -> T {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    what.await
}

/// The answer of a spawned operation; a panic of the storage goes on as a panic (which [`guarded`] reports).
fn joined(result: Result<Answer, tokio::task::JoinError>) -> Result<Answer, String> {
    match result {
        Ok(answer) => Ok(answer),
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => Err(format!("a task of the pair did not finish: {err}")),
    }
}

/// The message for an operation that returned an error the model does not allow.
fn failed(err: &StorageError) -> String {
    format!("returned an error: {}", report(err))
}

/// `Ok` if the value got is the model's.
fn same(got: Option<&[u8]>, want: Option<&[u8]>) -> Result<(), String> {
    match difference(got, want) {
        None => Ok(()),
        Some(differs) => Err(differs),
    }
}
