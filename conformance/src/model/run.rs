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

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use session_core::{ErrorKind, Expect, StorageError, Version};

use super::gen::{fresh, variant, ExpectSpec, Op, Value};
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
#[derive(Default)]
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
        }
    }

    /// The `Expect` for `spec`, and what the model says a `store_if` with it must do.
    fn expect(&self, spec: ExpectSpec) -> (Expect, Outcome) {
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
        let Some(version) = version else {
            let outcome = if self.value.is_none() {
                Outcome::Succeeds
            } else {
                Outcome::Conflicts("the slot holds a value (an empty value is not absence)")
            };
            return (Expect::Absent, outcome);
        };
        let outcome = match (&self.value, self.named.get(&version)) {
            (_, None) if matches!(spec, ExpectSpec::Forged(_)) => Outcome::Foreign,
            (None, _) => Outcome::Conflicts("the slot is absent"),
            (Some(_), _) if self.current.contains(&version) => Outcome::Succeeds,
            (Some(current), Some(named)) if named == current => Outcome::Either,
            (Some(_), Some(_)) => {
                Outcome::Conflicts("the version named a different value than the slot holds")
            }
            (Some(_), None) => Outcome::Foreign,
        };
        (Expect::Version(version), outcome)
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

/// One run of a sequence: the harness, the slots' names and models, and the open handles.
pub(crate) struct Run<'h, H: Harness> {
    harness: &'h H,
    wrap: fn(H::Storage) -> Box<dyn Subject>,
    caps: Caps,
    names: Vec<String>,
    slots: Vec<SlotModel>,
    handles: HashMap<(usize, usize), Box<dyn Subject>>,
}

impl<'h, H: Harness> Run<'h, H> {
    pub(crate) fn new(
        harness: &'h H,
        wrap: fn(H::Storage) -> Box<dyn Subject>,
        caps: Caps,
        names: Vec<String>,
    ) -> Self {
        let slots = names.iter().map(|_| SlotModel::default()).collect();
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
    /// run left), then each operation, comparing every result with the model; then loads every slot through
    /// a new handle; last, if the storage can, deletes the slots again. Stops at the first mismatch.
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
            self.slots[slot].value = value.clone();
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
                    self.slots[slot].observe(&version, &data)?;
                }
            }
        }
        Ok(())
    }

    /// A new handle on `slot`.
    async fn open(&self, slot: usize) -> Result<Box<dyn Subject>, String> {
        let name = &self.names[slot];
        let storage = self
            .harness
            .open(name)
            .await
            .map_err(|err| format!("opening a handle on slot {name:?}: {}", report(&err)))?;
        Ok((self.wrap)(storage))
    }

    /// The handle `handle` of `slot`, opened on first use.
    async fn handle(&mut self, slot: usize, handle: usize) -> Result<&dyn Subject, String> {
        if !self.handles.contains_key(&(slot, handle)) {
            let opened = self.open(slot).await?;
            self.handles.insert((slot, handle), opened);
        }
        Ok(self.handles[&(slot, handle)].as_ref())
    }

    async fn step(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Load { slot, handle } => {
                let got = self
                    .handle(*slot, *handle)
                    .await?
                    .load()
                    .await
                    .map_err(failed)?;
                let want = self.slots[*slot].value.clone();
                same(got.as_deref(), want.as_deref())
            }
            Op::Store {
                slot,
                handle,
                value,
            } => {
                let data = self.slots[*slot].resolve(value);
                let storage = self.handle(*slot, *handle).await?;
                storage.store(data.clone()).await.map_err(failed)?;
                self.slots[*slot].written(Some(data));
                Ok(())
            }
            Op::Delete { slot, handle } => {
                let storage = self.handle(*slot, *handle).await?;
                if let Some(result) = storage.delete().await {
                    result.map_err(failed)?;
                    self.slots[*slot].written(None);
                }
                Ok(())
            }
            Op::LoadVersioned { slot, handle } => {
                let storage = self.handle(*slot, *handle).await?;
                let Some(result) = storage.load_versioned().await else {
                    return Ok(());
                };
                let got = result.map_err(failed)?;
                let model = &mut self.slots[*slot];
                same(
                    got.as_ref().map(|(data, _)| &data[..]),
                    model.value.as_deref(),
                )?;
                match got {
                    Some((data, version)) => model.observe(&version, &data),
                    None => Ok(()),
                }
            }
            Op::StoreIf {
                slot,
                handle,
                value,
                expect,
            } => {
                let data = self.slots[*slot].resolve(value);
                let (expect, outcome) = self.slots[*slot].expect(*expect);
                let shown = format!("{expect:?}");
                let storage = self.handle(*slot, *handle).await?;
                let Some(result) = storage.store_if(data.clone(), expect).await else {
                    return Ok(());
                };
                let model = &mut self.slots[*slot];
                match (result, outcome) {
                    (Ok(version), Outcome::Succeeds | Outcome::Either) => {
                        model.written(Some(data.clone()));
                        model.observe(&version, &data)
                    }
                    (Ok(version), Outcome::Conflicts(why)) => Err(format!(
                        "store_if with {shown} succeeded (returned {version:?}), but must fail with a \
                         conflict: {why}"
                    )),
                    (Ok(version), Outcome::Foreign) => Err(format!(
                        "store_if with {shown}, a version this storage never made, succeeded (returned \
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
                    (Err(err), Outcome::Succeeds) if err.kind() == ErrorKind::Conflict => {
                        Err(format!(
                            "store_if with {shown} failed with a conflict, but must succeed: the version \
                             was returned since the slot's last write ({})",
                            report(&err)
                        ))
                    }
                    (Err(err), _) => Err(failed(err)),
                }
            }
            Op::Reopen => {
                self.handles.clear();
                self.harness
                    .reopen()
                    .await
                    .map_err(|err| format!("reopening the harness: {}", report(&err)))
            }
        }
    }

    /// Every slot, loaded through a handle opened now, holds what the model says.
    async fn final_check(&mut self) -> Result<(), String> {
        for slot in 0..self.slots.len() {
            let context = |what: String| {
                format!("after the last step, a load of slot #{slot} through a new handle: {what}")
            };
            let storage = self.open(slot).await.map_err(context)?;
            let got = storage.load().await.map_err(|err| context(failed(err)))?;
            let want = self.slots[slot].value.clone();
            same(got.as_deref(), want.as_deref()).map_err(context)?;
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

/// The message for an operation that returned an error the model does not allow.
fn failed(err: StorageError) -> String {
    format!("returned an error: {}", report(&err))
}

/// `Ok` if the value got is the model's.
fn same(got: Option<&[u8]>, want: Option<&[u8]>) -> Result<(), String> {
    match difference(got, want) {
        None => Ok(()),
        Some(differs) => Err(differs),
    }
}
