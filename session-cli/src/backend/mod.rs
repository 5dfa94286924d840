//! The storage backends named by URL: parsing the URL ([`url`], with [`params`]), opening the adapter, and
//! the two things the commands do with it: load a value, and write one without replacing an existing session
//! unless asked.

mod params;
mod url;

use std::path::Path;

use session_core::{Bytes, Expect, LeaseRequest, LeaseState, LeaseStorage, VersionedStorage};
use session_file::FileStorage;
use session_postgres::PostgresStorage;
use session_redis::RedisStorage;
use session_s3::S3Storage;
use session_sled::SledStorage;
use zeroize::{Zeroize, Zeroizing};

pub(crate) use self::url::{BackendUrl, Target};
use crate::error::{CliError, Role};
use crate::exit::Exit;
use crate::redact::Shown;

/// A handle on one slot of any backend: its value with versions, and its lease.
pub(crate) trait SlotStorage: VersionedStorage + LeaseStorage {}

impl<S: VersionedStorage + LeaseStorage> SlotStorage for S {}

/// A handle on one slot of any backend.
pub(crate) type Storage = Box<dyn SlotStorage>;

/// Refuses (exit 6) to write into a slot whose lease another holder holds (or held until less than the
/// default takeover delay ago, without releasing it), unless `force`: a running client would keep writing
/// over what this command stores, or be cut off by it. A check before the write, not a fence: a client that
/// takes the lease in between is not seen.
pub(crate) async fn refuse_if_leased(
    storage: &dyn SlotStorage,
    force: bool,
    shown: &Shown,
) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    let info = storage
        .read_lease()
        .await
        .map_err(|err| CliError::storage(&err, shown, Role::Destination))?;
    // A lease that lapsed without a release less than the default takeover delay ago may belong to a holder
    // that is frozen, not gone: it is treated as held.
    let in_use = |state: LeaseState| match state {
        LeaseState::Held { .. } => true,
        LeaseState::Lapsed { ago } => ago < LeaseRequest::DEFAULT_TAKEOVER_DELAY,
        LeaseState::Released => false,
    };
    match info {
        Some(info) if in_use(info.state) => Err(CliError::new(
            Exit::Refused,
            format!("{shown} is in use: its lease is {info}; nothing was written"),
            "stop that client first (it releases the lease when it closes), or add --force to write anyway",
        )),
        _ => Ok(()),
    }
}

/// Opens the backend `url` names, for reading (`Role::Source`) or writing (`Role::Destination`).
///
/// Reading never creates anything: a sled directory that does not exist is an error rather than a new,
/// empty database. Writing to PostgreSQL first runs the adapter's `migrate()`, which creates the schema and
/// table if they are missing and is idempotent.
pub(crate) async fn open(url: &BackendUrl, role: Role) -> Result<Storage, CliError> {
    let failed = |err: session_core::StorageError| CliError::storage(&err, &url.shown, role);
    Ok(match &url.target {
        Target::File(path) => Box::new(file(path, &url.shown, role)?),
        Target::Sled { path, slot, prefix } => {
            if role == Role::Source && !path.join("conf").is_file() {
                return Err(CliError::new(
                    Exit::Input,
                    format!("{}: there is no sled database there", url.shown),
                    "check the path",
                ));
            }
            let db = session_sled::open_db(path).map_err(failed)?;
            let storage = SledStorage::new(&db, slot.clone());
            Box::new(match prefix {
                Some(prefix) => storage.with_prefix(prefix),
                None => storage,
            })
        }
        Target::Redis {
            url: driver,
            slot,
            prefix,
        } => {
            let storage = RedisStorage::connect(&driver.0, slot.clone())
                .await
                .map_err(failed)?;
            Box::new(match prefix {
                Some(prefix) => storage.with_prefix(prefix).map_err(failed)?,
                None => storage,
            })
        }
        Target::Postgres { config, slot } => {
            let storage: PostgresStorage = config.open(slot.clone()).map_err(failed)?;
            if role == Role::Destination {
                storage.migrate().await.map_err(failed)?;
            }
            Box::new(storage)
        }
        Target::S3 { config, slot } => {
            Box::new(S3Storage::from_config(config, slot.clone()).map_err(failed)?)
        }
    })
}

/// The [`FileStorage`] for the session file at `path` (`shown` names it in messages).
pub(crate) fn file(path: &Path, shown: &Shown, role: Role) -> Result<FileStorage, CliError> {
    FileStorage::new(path).map_err(|err| CliError::storage(&err, shown, role))
}

/// Loads the slot's value; nothing stored is an input error.
pub(crate) async fn load(
    storage: &dyn VersionedStorage,
    shown: &Shown,
) -> Result<Zeroizing<Vec<u8>>, CliError> {
    match storage.load().await {
        Ok(Some(data)) => {
            let copy = Zeroizing::new(data.to_vec());
            wipe(data);
            Ok(copy)
        }
        Ok(None) => Err(CliError::new(
            Exit::Input,
            format!("{shown} holds no session"),
            "check the slot name (and the prefix, table or bucket) in the URL",
        )),
        Err(err) => Err(CliError::storage(&err, shown, Role::Source)),
    }
}

/// Writes `data` to the slot: with `force`, replacing whatever it holds; without, only if it holds nothing,
/// in one create-if-absent write (`store_if(Expect::Absent)`), so of two concurrent writers exactly one wins
/// and the other fails with [`Exit::Exists`].
pub(crate) async fn save(
    storage: &dyn VersionedStorage,
    data: &[u8],
    force: bool,
    shown: &Shown,
) -> Result<(), CliError> {
    let value = Bytes::copy_from_slice(data);
    let result = if force {
        storage.store(value.clone()).await
    } else {
        storage
            .store_if(value.clone(), Expect::Absent)
            .await
            .map(drop)
    };
    wipe(value);
    result.map_err(|err| CliError::storage(&err, shown, Role::Destination))
}

/// Zeroizes a value once nobody else holds it, so key bytes do not linger in freed memory.
fn wipe(data: Bytes) {
    if let Ok(mut owned) = data.try_into_mut() {
        owned.as_mut().zeroize();
    }
}
