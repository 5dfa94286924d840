//! The storage under test as the model sees it: every operation of the three traits, those the storage does
//! not implement answering "not supported".

use bytes::Bytes;
use session_core::{
    Expect, SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};

use crate::async_trait;

/// Which of the optional traits the storage implements, so that only operations it has are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caps {
    /// [`SessionDelete`].
    pub(crate) delete: bool,
    /// [`VersionedStorage`].
    pub(crate) versioned: bool,
}

/// One handle, with the optional operations as `None` when the storage lacks them.
#[async_trait]
pub(crate) trait Subject: Send + Sync {
    async fn load(&self) -> Result<Option<Bytes>, StorageError>;
    async fn store(&self, data: Bytes) -> Result<(), StorageError>;
    async fn delete(&self) -> Option<Result<(), StorageError>>;
    async fn load_versioned(&self) -> Option<Result<Option<(Bytes, Version)>, StorageError>>;
    async fn store_if(&self, data: Bytes, expect: Expect) -> Option<Result<Version, StorageError>>;
}

/// A storage with only the two required methods.
pub(crate) struct Plain<S>(pub(crate) S);
/// A storage with [`SessionDelete`].
pub(crate) struct Deletable<S>(pub(crate) S);
/// A storage with [`VersionedStorage`].
pub(crate) struct Versioned<S>(pub(crate) S);
/// A storage with both.
pub(crate) struct Full<S>(pub(crate) S);

/// Implements [`Subject`] for a wrapper: the required methods always, `delete` and the versioned methods
/// through the given expressions, in which `$s` is the wrapped storage.
macro_rules! subject {
    (
        $wrapper:ident [$($bound:path),*];
        delete($s:ident) $delete:expr;
        load_versioned($s2:ident) $load_versioned:expr;
        store_if($s3:ident, $data:ident, $expect:ident) $store_if:expr
    ) => {
        #[async_trait]
        impl<S: SessionStorage $(+ $bound)*> Subject for $wrapper<S> {
            async fn load(&self) -> Result<Option<Bytes>, StorageError> {
                self.0.load().await
            }
            async fn store(&self, data: Bytes) -> Result<(), StorageError> {
                self.0.store(data).await
            }
            async fn delete(&self) -> Option<Result<(), StorageError>> {
                let $s = &self.0;
                $delete
            }
            async fn load_versioned(&self) -> Option<Result<Option<(Bytes, Version)>, StorageError>> {
                let $s2 = &self.0;
                $load_versioned
            }
            async fn store_if(&self, $data: Bytes, $expect: Expect) -> Option<Result<Version, StorageError>> {
                let $s3 = &self.0;
                $store_if
            }
        }
    };
}

subject!(Plain [];
    delete(_s) None;
    load_versioned(_s) None;
    store_if(_s, _data, _expect) None);
subject!(Deletable [SessionDelete];
    delete(s) Some(s.delete().await);
    load_versioned(_s) None;
    store_if(_s, _data, _expect) None);
subject!(Versioned [VersionedStorage];
    delete(_s) None;
    load_versioned(s) Some(s.load_versioned().await);
    store_if(s, data, expect) Some(s.store_if(data, expect).await));
subject!(Full [SessionDelete, VersionedStorage];
    delete(s) Some(s.delete().await);
    load_versioned(s) Some(s.load_versioned().await);
    store_if(s, data, expect) Some(s.store_if(data, expect).await));
