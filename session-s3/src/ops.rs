//! The storage traits for [`S3Storage`], on top of four bounded requests: get, head, put and delete.

use std::error::Error as StdError;
use std::future::Future;

use async_trait::async_trait;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use session_core::{
    ErrorKind, Expect, SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};

use crate::envelope::{Form, Object, METADATA};
use crate::error::{map_error, Action, Failure, Target, BACKEND};
use crate::storage::S3Storage;

/// The precondition of a `PutObject`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Precondition<'a> {
    /// None: an unconditional write.
    None,
    /// `If-None-Match: *`: write only if the key is absent.
    Absent,
    /// `If-Match: <etag>`: write only if the object has this ETag.
    Matches(&'a str),
}

impl S3Storage {
    /// Runs `request` within the handle's operation timeout and maps its failure, naming `key`.
    async fn bounded<T, E>(
        &self,
        action: Action,
        key: &str,
        request: impl Future<Output = Result<T, Failure<E>>>,
    ) -> Result<T, StorageError>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let limit = self.operation_timeout();
        let result = tokio::time::timeout(limit, request)
            .await
            .unwrap_or(Err(Failure::Elapsed(limit)));
        result.map_err(|failure| {
            let bucket = self.bucket();
            map_error(
                failure,
                Target {
                    action,
                    bucket,
                    key,
                },
            )
        })
    }

    /// `PutObject` of `data` at `key` under `precondition`; returns the new object's ETag, if the server
    /// sent one.
    pub(crate) async fn put(
        &self,
        key: &str,
        data: Bytes,
        precondition: Precondition<'_>,
        action: Action,
    ) -> Result<Option<String>, StorageError> {
        self.put_as(key, data, Form::Plain, precondition, action)
            .await
    }

    /// [`put`](Self::put) of bytes in `form`, marked in the object's metadata.
    pub(crate) async fn put_as(
        &self,
        key: &str,
        data: Bytes,
        form: Form,
        precondition: Precondition<'_>,
        action: Action,
    ) -> Result<Option<String>, StorageError> {
        let mut request = self
            .client()
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .body(ByteStream::from(data));
        if let Some(marker) = form.marker() {
            request = request.metadata(METADATA, marker);
        }
        let request = match precondition {
            Precondition::None => request,
            Precondition::Absent => request.if_none_match("*"),
            Precondition::Matches(etag) => request.if_match(etag),
        };
        // A conditional write is sent once: a retry of one that was applied would fail its own precondition
        // and report a conflict for the call's own write.
        let retries = match precondition {
            Precondition::None => None,
            _ => Some(aws_sdk_s3::config::Builder::default().retry_config(RetryConfig::disabled())),
        };
        let output = self
            .bounded(action, key, async {
                match retries {
                    None => request.send().await,
                    Some(once) => request.customize().config_override(once).send().await,
                }
                .map_err(Failure::sdk)
            })
            .await?;
        Ok(output.e_tag)
    }

    /// `DeleteObject` of `key`.
    pub(crate) async fn delete_key(&self, key: &str, action: Action) -> Result<(), StorageError> {
        let request = self.client().delete_object().bucket(self.bucket()).key(key);
        self.bounded(action, key, async {
            request.send().await.map_err(Failure::sdk)
        })
        .await?;
        Ok(())
    }

    /// `GetObject` of `key`: the whole object, its ETag and its form, or `None` on `NoSuchKey`.
    pub(crate) async fn get_key(
        &self,
        key: &str,
        action: Action,
    ) -> Result<Option<(Bytes, Option<String>, Form)>, StorageError> {
        let request = self.client().get_object().bucket(self.bucket()).key(key);
        let found = self
            .bounded(action, key, async {
                let output = match request.send().await {
                    Ok(output) => output,
                    Err(err)
                        if err
                            .as_service_error()
                            .is_some_and(GetObjectError::is_no_such_key) =>
                    {
                        return Ok(None)
                    }
                    Err(err) => return Err(Failure::sdk(err)),
                };
                let marker = output
                    .metadata
                    .as_ref()
                    .and_then(|metadata| metadata.get(METADATA).cloned());
                let etag = output.e_tag;
                let data = output.body.collect().await.map_err(Failure::Body)?;
                Ok(Some((data.into_bytes(), etag, marker)))
            })
            .await?;
        match found {
            None => Ok(None),
            Some((data, etag, marker)) => {
                Ok(Some((data, etag, Form::of_marker(marker.as_deref())?)))
            }
        }
    }

    /// The slot's object, read whole: what it holds and its ETag, or `None` if there is none.
    pub(crate) async fn fetch(&self) -> Result<Option<(Object, Option<String>)>, StorageError> {
        match self.get_key(self.key(), Action::Load).await? {
            None => Ok(None),
            Some((data, etag, form)) => Ok(Some((Object::read(data, form)?, etag))),
        }
    }

    /// `HeadObject` of the slot's key: its ETag and form, or `None` if there is no object.
    pub(crate) async fn head(&self) -> Result<Option<(String, Form)>, StorageError> {
        let request = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.key());
        let found = self
            .bounded(Action::Load, self.key(), async {
                match request.send().await {
                    Ok(output) => Ok(Some(output)),
                    Err(err)
                        if err
                            .as_service_error()
                            .is_some_and(HeadObjectError::is_not_found) =>
                    {
                        Ok(None)
                    }
                    Err(err) => Err(Failure::sdk(err)),
                }
            })
            .await?;
        let Some(output) = found else {
            return Ok(None);
        };
        let marker = output
            .metadata()
            .and_then(|metadata| metadata.get(METADATA))
            .map(String::as_str);
        let form = Form::of_marker(marker)?;
        let etag = output.e_tag.ok_or_else(|| no_etag("HeadObject"))?;
        Ok(Some((etag, form)))
    }
}

/// The ETag a version holds: versions of this storage are ETags, which are visible ASCII (`"..."` or
/// `W/"..."`); anything else was never made by it and could not even be sent as an `If-Match` header.
fn etag_of(version: &Version) -> Result<&str, StorageError> {
    std::str::from_utf8(version.as_bytes())
        .ok()
        .filter(|etag| !etag.is_empty() && etag.bytes().all(|byte| byte.is_ascii_graphic()))
        .ok_or_else(|| {
            StorageError::new(
                ErrorKind::InvalidInput,
                BACKEND,
                format!("{version:?} is not a version of an S3 storage (not an ETag)"),
            )
        })
}

/// The version of the object whose ETag is `etag`; a server that sends no ETag cannot do versioned writes.
pub(crate) fn version_of(etag: Option<String>, operation: &str) -> Result<Version, StorageError> {
    etag.map(Version::from_bytes)
        .ok_or_else(|| no_etag(operation))
}

/// The error of a server that sent no ETag with `operation`.
pub(crate) fn no_etag(operation: &str) -> StorageError {
    StorageError::new(
        ErrorKind::Unsupported,
        BACKEND,
        format!("the server sent no ETag with {operation}, so versioned writes are impossible"),
    )
}

#[async_trait]
impl SessionStorage for S3Storage {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        Ok(self.fetch().await?.and_then(|(object, _)| object.value))
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.put(self.key(), data, Precondition::None, Action::Store)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl SessionDelete for S3Storage {
    async fn delete(&self) -> Result<(), StorageError> {
        self.delete_key(self.key(), Action::Delete).await
    }
}

#[async_trait]
impl VersionedStorage for S3Storage {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        self.check_conditional_writes().await?;
        match self.fetch().await? {
            Some((
                Object {
                    value: Some(data), ..
                },
                etag,
            )) => Ok(Some((data, version_of(etag, "GetObject")?))),
            // Nothing, or the tombstone of a fenced delete.
            _ => Ok(None),
        }
    }

    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.check_conditional_writes().await?;
        let etag = match &expect {
            Expect::Absent => None,
            Expect::Version(version) => Some(etag_of(version)?),
        };
        let precondition = etag.map_or(Precondition::Absent, Precondition::Matches);
        let etag = match self
            .put(self.key(), data.clone(), precondition, Action::StoreIf)
            .await
        {
            // The slot may be empty and still have an object: the tombstone of a fenced delete.
            Err(err) if err.kind() == ErrorKind::Conflict && expect == Expect::Absent => {
                match self.head().await? {
                    Some((tombstone, Form::Tombstone)) => {
                        self.put(
                            self.key(),
                            data,
                            Precondition::Matches(&tombstone),
                            Action::StoreIf,
                        )
                        .await?
                    }
                    _ => return Err(err),
                }
            }
            other => other?,
        };
        version_of(etag, "PutObject")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_etags_are_versions_of_this_storage() {
        for etag in ["\"abc\"", "W/\"x-1\""] {
            assert_eq!(etag_of(&Version::from_bytes(etag)).unwrap(), etag);
        }
        for foreign in [
            &b"SQLite format 3\0"[..],
            b"",
            b"a b",
            b"\xff\xfe",
            b"\"a\r\n\"",
        ] {
            let err = etag_of(&Version::from_bytes(foreign)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{foreign:?}");
        }
    }
}
