//! Running sled transactions: one that commits unless its body refuses, and one that only reads.
//!
//! In sled 0.34.7 a transaction holds sled's process-wide transaction lock from its first read to its
//! commit, and every plain sled call (`get`, `insert`, `flush`, ...) takes that lock shared, so a body sees
//! one state of every key it reads and nothing changes them until it commits. Its writes reach sled's log as
//! one batch, which recovery applies whole or not at all. A body runs once (sled 0.34.7 never retries one
//! that does not report a conflict itself), and it must not call the plain `Tree` methods: they would wait
//! for the lock the transaction holds.

use std::convert::Infallible;

use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionalTree,
};

/// Runs `body` as one transaction on `tree`: `Ok(Ok(value))` if it committed, `Ok(Err(refusal))` if the
/// body refused with [`ConflictableTransactionError::Abort`] (nothing written), `Err` on a sled error.
pub(crate) fn commit<T, E>(
    tree: &sled::Tree,
    body: impl Fn(&TransactionalTree) -> ConflictableTransactionResult<T, E>,
) -> sled::Result<Result<T, E>> {
    match tree.transaction(body) {
        Ok(value) => Ok(Ok(value)),
        Err(TransactionError::Abort(refusal)) => Ok(Err(refusal)),
        Err(TransactionError::Storage(err)) => Err(err),
    }
}

/// Runs `body` in a transaction that never commits: it reads one consistent state of the keys it reads
/// and writes nothing. (A committed transaction, even one without writes, appends a batch marker to
/// sled's log; an aborted one leaves the log alone.) The result is `body`'s, as [`commit`] gives it.
pub(crate) fn read<T, E>(
    tree: &sled::Tree,
    body: impl Fn(&TransactionalTree) -> ConflictableTransactionResult<T, E>,
) -> sled::Result<Result<T, E>> {
    let aborted = tree.transaction(
        |tx| -> ConflictableTransactionResult<Infallible, Result<T, E>> {
            let outcome = match body(tx) {
                Ok(value) => Ok(value),
                Err(ConflictableTransactionError::Abort(refusal)) => Err(refusal),
                Err(ConflictableTransactionError::Conflict) => {
                    return Err(ConflictableTransactionError::Conflict)
                }
                Err(ConflictableTransactionError::Storage(err)) => {
                    return Err(ConflictableTransactionError::Storage(err))
                }
            };
            Err(ConflictableTransactionError::Abort(outcome))
        },
    );
    match aborted {
        Ok(never) => match never {},
        Err(TransactionError::Abort(outcome)) => Ok(outcome),
        Err(TransactionError::Storage(err)) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary() -> sled::Db {
        sled::Config::new()
            .temporary(true)
            .open()
            .expect("a temporary database")
    }

    #[test]
    fn commit_writes_and_a_refusal_writes_nothing() {
        let db = temporary();
        let done = commit::<_, ()>(&db, |tx| {
            tx.insert(b"a", b"1")?;
            tx.insert(b"b", b"2")?;
            Ok(7)
        });
        assert_eq!(done, Ok(Ok(7)));
        let refused = commit::<(), _>(&db, |tx| {
            tx.insert(b"a", b"changed")?;
            Err(ConflictableTransactionError::Abort("no"))
        });
        assert_eq!(refused, Ok(Err("no")));
        assert_eq!(db.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn read_sees_the_keys_and_writes_nothing() {
        let db = temporary();
        db.insert(b"a", b"1").unwrap();
        let seen = read::<_, ()>(&db, |tx| {
            let value = tx.get(b"a")?;
            tx.insert(b"a", b"ignored")?;
            Ok(value)
        });
        assert_eq!(seen, Ok(Ok(Some(sled::IVec::from(b"1")))));
        assert_eq!(db.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
        let refused = read::<(), _>(&db, |_| Err(ConflictableTransactionError::Abort(3)));
        assert_eq!(refused, Ok(Err(3)));
    }
}
