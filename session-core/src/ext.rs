//! `load_session` / `store_session` for every storage.

use async_trait::async_trait;
use bytes::Bytes;
use zeroize::Zeroize;

use crate::error::StorageError;
use crate::session::Session;
use crate::storage::SessionStorage;

/// Typed access for every [`SessionStorage`]: encodes and decodes [`Session`]s with the tgsession codec.
///
/// Implemented for every storage; bring it into scope with `use session_core::SessionStorageExt`.
///
/// ```
/// use session_core::{MemoryStorage, Session, SessionStorageExt};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let storage = MemoryStorage::new();
/// let mut session = Session::new();
/// session.home_dc = Some(2);
/// storage.store_session(&session).await?;
/// assert_eq!(storage.load_session().await?, Some(session));
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait SessionStorageExt: SessionStorage {
    /// Loads and decodes the stored session; `Ok(None)` when nothing is stored.
    ///
    /// Bytes that are not a valid session fail with [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) (or
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) for a newer format version), with the
    /// [`CodecError`](crate::CodecError) as source; the stored data is left as it is.
    async fn load_session(&self) -> Result<Option<Session>, StorageError> {
        let Some(data) = self.load().await? else {
            return Ok(None);
        };
        let decoded = Session::decode(&data);
        wipe(data);
        Ok(Some(decoded?))
    }

    /// Encodes `session` and stores it.
    async fn store_session(&self, session: &Session) -> Result<(), StorageError> {
        let data = Bytes::from(session.encode()?);
        let result = self.store(data.clone()).await;
        wipe(data);
        result
    }
}

impl<T: SessionStorage + ?Sized> SessionStorageExt for T {}

/// Zeroizes an encoded session once nobody else holds it, so key bytes do not linger in freed memory.
pub(crate) fn wipe(data: Bytes) {
    if let Ok(mut owned) = data.try_into_mut() {
        owned.as_mut().zeroize();
    }
}
