//! [`LeaseStorage`] for [`RedisStorage`]: the lease in a hash beside the slot's keys, one script per
//! operation ([`crate::lease_scripts`]); writes under it are the fenced variants of the write scripts
//! ([`crate::scripts`]).

use std::time::Duration;

use async_trait::async_trait;
use session_core::{
    ErrorKind, FencedOutcome, FencedWrite, FencingToken, LeaseGrant, LeaseInfo, LeaseRequest,
    LeaseStorage, LeaseTerm, StorageError,
};

use session_core::lease::checked_ttl;

use crate::commands;
use crate::error::BACKEND;
use crate::lease_scripts::{lease_reply, millis, LeaseReply, ACQUIRE, BREAK, READ, RELEASE, RENEW};
use crate::ops::{Effect, Repeat};
use crate::storage::RedisStorage;

impl RedisStorage {
    /// Runs the lease script `script` of `op` with `args`.
    async fn lease_script(
        &self,
        op: &str,
        script: &'static redis::Script,
        args: &[&[u8]],
        repeat: Repeat,
        effect: Effect,
    ) -> Result<LeaseReply, StorageError> {
        let request = commands::lease(script, self.keys(), args);
        let reply = self.send(op, &request, repeat, effect).await?;
        lease_reply(reply).map_err(|err| self.fail(op, err))
    }
}

#[async_trait]
impl LeaseStorage for RedisStorage {
    /// One script: refuses with [`ErrorKind::Held`] while the lease is held or lapsed less than the
    /// takeover delay ago (on the server's clock); otherwise writes the new lease with the next token. Not
    /// repeated after a dropped connection (it may have been granted, and would then refuse itself).
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        let ttl = millis(request.ttl()).to_string();
        let delay = millis(request.takeover_delay()).to_string();
        let args = [
            request.holder().as_str().as_bytes(),
            ttl.as_bytes(),
            delay.as_bytes(),
        ];
        let reply = self
            .lease_script(
                "acquire the lease of",
                &ACQUIRE,
                &args,
                Repeat::OnlyIfUnsent,
                Effect::Writes,
            )
            .await?;
        match (reply.done, reply.info()) {
            (true, Some(info)) => Ok(LeaseGrant {
                token: info.token,
                term: LeaseTerm::Lapses(request.ttl()),
            }),
            (false, Some(info)) => Err(StorageError::held(BACKEND, info)),
            (_, None) => Err(StorageError::new(
                ErrorKind::Corrupt,
                BACKEND,
                format!(
                    "cannot {}: the script returned no lease",
                    self.action("acquire the lease of")
                ),
            )),
        }
    }

    /// One script: extends the lease to `ttl` from now on the server's clock if `token` is its current,
    /// unreleased token.
    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        const OP: &str = "renew the lease of";
        let ttl = checked_ttl(ttl)?;
        let (token_arg, ttl_arg) = (token.get().to_string(), millis(ttl).to_string());
        let reply = self
            .lease_script(
                OP,
                &RENEW,
                &[token_arg.as_bytes(), ttl_arg.as_bytes()],
                Repeat::Harmless,
                Effect::Writes,
            )
            .await?;
        if !reply.done {
            return Err(StorageError::fenced(BACKEND, token, &self.action(OP)));
        }
        Ok(LeaseGrant {
            token,
            term: LeaseTerm::Lapses(ttl),
        })
    }

    /// One script: marks the lease released if `token` is its own.
    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        let token = token.get().to_string();
        self.lease_script(
            "release the lease of",
            &RELEASE,
            &[token.as_bytes()],
            Repeat::Harmless,
            Effect::Writes,
        )
        .await
        .map(drop)
    }

    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        let reply = self
            .lease_script(
                "read the lease of",
                &READ,
                &[],
                Repeat::Harmless,
                Effect::Reads,
            )
            .await?;
        Ok(reply.info())
    }

    /// One script: marks the lease released whoever holds it; returns what it was.
    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        let reply = self
            .lease_script(
                "break the lease of",
                &BREAK,
                &[],
                Repeat::OnlyIfUnsent,
                Effect::Writes,
            )
            .await?;
        Ok(reply.info())
    }

    /// The fenced variant of the write's script: the lease check and the write in one script.
    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        let fence = Some(token);
        Ok(match write {
            FencedWrite::Store(data) => {
                self.put("store", data, None, fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::StoreIf(data, expect) => {
                FencedOutcome::Version(self.put("store_if", data, Some(&expect), fence).await?)
            }
            FencedWrite::Delete => {
                let request = commands::delete_fenced(self.keys(), token);
                self.send_script("delete", &request, fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::Append(epoch, record) => {
                FencedOutcome::Appended(self.append_under(epoch, record, fence).await?)
            }
            FencedWrite::Compact(snapshot, position) => {
                self.compact_under(snapshot, position, fence).await?;
                FencedOutcome::Done
            }
        })
    }
}
