//! The storage traits for [`RedisStorage`]: one round trip per call, bounded by the operation timeout, tried
//! a second time when the first attempt certainly did no harm. (The journal's own operations are in
//! [`journal`](crate::journal).)

use async_trait::async_trait;
use redis::{RedisError, Value};
use session_core::{
    Bytes, ErrorKind, Expect, FencingToken, SessionDelete, SessionStorage, StorageError, Version,
    VersionedStorage,
};

use crate::commands::{self, Condition, Request};
use crate::error::{map_redis_error, timed_out, Phase, BACKEND};
use crate::head::{self, position_of, version_value};
use crate::reply::{self, Stored};
use crate::scripts::FENCED;
use crate::storage::RedisStorage;
use crate::token::next_token;

/// Whether a call may be sent again after its connection dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Doing it twice has the effect of doing it once (`load`, `load_versioned`, `load_journal`, `store`,
    /// `delete`).
    Harmless,
    /// It may have been applied before the connection dropped, and doing it again would not be the same
    /// (`store_if`, `append`, `compact`): only sent again if the first attempt never reached the server.
    OnlyIfUnsent,
}

/// Whether `err` says the first attempt failed in a way that makes a second one safe and worth it: the
/// server refused the connection (nothing was sent), or, for a harmless repeat, the connection dropped
/// (the manager is reconnecting).
fn worth_repeating(err: &RedisError, repeat: Repeat) -> bool {
    err.is_connection_refusal() || (repeat == Repeat::Harmless && err.is_connection_dropped())
}

/// Whether a call changes the slot; the error of a write that may have reached the server says that its
/// outcome is unknown ([`StorageError::with_unknown_outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// `load`, `load_versioned`, `load_journal`.
    Reads,
    /// `store`, `store_if`, `delete`, `append`, `compact`.
    Writes,
}

/// Whether a failed attempt may have reached the server: it timed out or lost its connection, rather than
/// being refused one.
fn may_have_arrived(err: &RedisError) -> bool {
    !err.is_connection_refusal() && (err.is_timeout() || err.is_connection_dropped())
}

impl RedisStorage {
    /// Sends `request` once, or twice when the first attempt failed as [`worth_repeating`] says, all within
    /// the operation timeout. A write that timed out or lost its connection (rather than being refused one)
    /// may have been applied, or may still be applied by a server that was only slow or frozen: its error
    /// says that its outcome is unknown.
    pub(crate) async fn send(
        &self,
        op: &str,
        request: &Request,
        repeat: Repeat,
        effect: Effect,
    ) -> Result<Value, StorageError> {
        // Whether an attempt that failed may have reached the server, over every attempt made so far.
        let mut maybe_sent = false;
        let attempts = async {
            let first = request.send(&mut self.manager().clone()).await;
            match first {
                Err(err) if worth_repeating(&err, repeat) => {
                    maybe_sent |= may_have_arrived(&err);
                    request.send(&mut self.manager().clone()).await
                }
                done => done,
            }
        };
        let (err, last_maybe_sent) =
            match tokio::time::timeout(self.operation_timeout(), attempts).await {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(err)) => {
                    let arrived = may_have_arrived(&err);
                    (self.fail(op, err), arrived)
                }
                Err(_) => (timed_out(&self.action(op), self.operation_timeout()), true),
            };
        Err(err
            .with_unknown_outcome_if(effect == Effect::Writes && (maybe_sent || last_maybe_sent)))
    }

    /// Sends the write script `request` of `op`, which may have been applied if its connection dropped (so
    /// it is only repeated if unsent); with `fence`, the script's [`FENCED`] reply is the
    /// [`ErrorKind::Fenced`] error.
    pub(crate) async fn send_script(
        &self,
        op: &str,
        request: &Request,
        fence: Option<FencingToken>,
    ) -> Result<Value, StorageError> {
        let reply = self
            .send(op, request, Repeat::OnlyIfUnsent, Effect::Writes)
            .await?;
        match (fence, reply) {
            (Some(token), Value::Int(FENCED)) => {
                Err(StorageError::fenced(BACKEND, token, &self.action(op)))
            }
            (_, reply) => Ok(reply),
        }
    }

    /// The conditional write `op` (`store_if`, or a `store` under a lease when `expect` is `None`): one
    /// script checks `expect` (and with `fence` the lease) and writes, atomically.
    pub(crate) async fn put(
        &self,
        op: &str,
        data: Bytes,
        expect: Option<&Expect>,
        fence: Option<FencingToken>,
    ) -> Result<Version, StorageError> {
        let condition = match expect {
            None => Condition::Any,
            Some(Expect::Absent) => Condition::Absent,
            Some(Expect::Version(version)) => Condition::Version(version.as_bytes()),
        };
        let version = version_value(&next_token(), position_of(&data));
        let request = commands::store_if(
            self.keys(),
            &data,
            &version,
            self.ttl_millis(),
            condition,
            fence,
        );
        let reply = self.send_script(op, &request, fence).await?;
        if reply::written(reply).map_err(|err| self.fail(op, err))? {
            return Ok(Version::from_bytes(version));
        }
        Err(StorageError::new(
            ErrorKind::Conflict,
            BACKEND,
            format!(
                "cannot {}: the slot is not in the expected state ({expect:?}), another write came first; \
                 load it again",
                self.action(op)
            ),
        ))
    }

    /// Maps a driver error of operation `op`.
    pub(crate) fn fail(&self, op: &str, err: RedisError) -> StorageError {
        map_redis_error(err, &self.action(op), Phase::Operation)
    }

    /// What the slot holds, in one atomic read: value, version value and records; `None` if it is absent.
    pub(crate) async fn read(&self, op: &str) -> Result<Option<Stored>, StorageError> {
        let request = commands::read(self.keys());
        let reply = self
            .send(op, &request, Repeat::Harmless, Effect::Reads)
            .await?;
        reply::stored(reply).map_err(|err| self.fail(op, err))
    }
}

#[async_trait]
impl SessionStorage for RedisStorage {
    /// Reads value, version and journal in one transaction; returns the value as stored when no record
    /// follows it, else the snapshot with the records applied, encoded with the position after them.
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        match self.read("load").await? {
            Some(stored) => self.current("load", stored).await.map(Some),
            None => Ok(None),
        }
    }

    /// Sets value and version value and deletes the journal, in one transaction; the version value carries
    /// the journal head when `data` is a snapshot with a journal position.
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        let version = version_value(&next_token(), position_of(&data));
        let request = commands::store(self.keys(), &data, &version, self.ttl_millis());
        self.send("store", &request, Repeat::Harmless, Effect::Writes)
            .await
            .map(drop)
    }
}

#[async_trait]
impl SessionDelete for RedisStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        let request = commands::delete(self.keys());
        self.send("delete", &request, Repeat::Harmless, Effect::Writes)
            .await
            .map(drop)
    }
}

#[async_trait]
impl VersionedStorage for RedisStorage {
    /// Like `load`; the version is the version key's value, followed by the number of records when the
    /// journal holds any.
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        const OP: &str = "load_versioned";
        let Some(stored) = self.read(OP).await? else {
            return Ok(None);
        };
        let Some(value) = &stored.version else {
            return Err(self.fail(OP, reply::no_version_key()));
        };
        let version = head::version(value, stored.records.len());
        let data = self.current(OP, stored).await?;
        Ok(Some((data, version)))
    }

    /// Runs the conditional write script with the condition `expect`: the check and the write happen in one
    /// atomic script on the server, so a write that lands first makes this call fail with
    /// [`ErrorKind::Conflict`] instead of being overwritten.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.put("store_if", data, Some(&expect), None).await
    }
}
