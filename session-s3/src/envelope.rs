//! The fenced form of a slot's object: what a write under a lease, a lease's acquisition and a break leave
//! in the object, so that every such event changes its ETag and no write of an earlier holder that read the
//! old ETag can land afterwards.
//!
//! S3 ETags of single-part uploads are content hashes, so an event changes the ETag only if it changes the
//! bytes: the fenced form puts a small header before the value, naming the lease's token and counting the
//! rewrites (bumps) that left the value as it was. The header is marked by the user metadata
//! [`METADATA`]; an object without it holds the value unchanged, as every plain write leaves it, so plain
//! values are never misread whatever their bytes.
//!
//! Bytes of the fenced form: `TGSF`, layout `1`, the token (u64 LE), the bump count (u32 LE), flags (bit 0:
//! the slot is empty, a tombstone of a fenced delete), then the value (nothing for a tombstone).

use bytes::{BufMut, Bytes, BytesMut};
use session_core::{ErrorKind, FencingToken, StorageError};

use crate::error::BACKEND;

/// The user metadata (`x-amz-meta-…`) that marks the fenced form; its value is a [`Form`]'s marker.
pub(crate) const METADATA: &str = "tgsession-fence";

const MAGIC: &[u8; 4] = b"TGSF";
const LAYOUT: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 8 + 4 + 1;
/// Flag bit: the object stands for an empty slot.
const TOMBSTONE: u8 = 1;

/// The header of an object in the fenced form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fence {
    /// The lease the object was written under.
    pub(crate) token: FencingToken,
    /// How many times the object was rewritten with its value unchanged under this token.
    pub(crate) bumps: u32,
}

/// The form of a slot's object, as its metadata says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// The value unchanged (no [`METADATA`]).
    Plain,
    /// The fenced header, then the value.
    Fenced,
    /// The fenced header of an empty slot.
    Tombstone,
}

impl Form {
    /// The form whose [`METADATA`] is `marker`; [`ErrorKind::Unsupported`] for a marker of a newer build.
    pub(crate) fn of_marker(marker: Option<&str>) -> Result<Form, StorageError> {
        match marker {
            None => Ok(Form::Plain),
            Some("1") => Ok(Form::Fenced),
            Some("1-tombstone") => Ok(Form::Tombstone),
            Some(other) => Err(StorageError::new(
                ErrorKind::Unsupported,
                BACKEND,
                format!(
                    "the slot's object is marked {METADATA}: {other:?}, a fenced layout this build \
                     cannot read"
                ),
            )),
        }
    }

    /// The value of [`METADATA`] for this form; `None` for a plain value.
    pub(crate) fn marker(self) -> Option<&'static str> {
        match self {
            Form::Plain => None,
            Form::Fenced => Some("1"),
            Form::Tombstone => Some("1-tombstone"),
        }
    }

    /// Whether an object of this form stands for a value (not an empty slot).
    pub(crate) fn holds_value(self) -> bool {
        self != Form::Tombstone
    }
}

/// What a slot's object holds, read from its bytes and metadata. `Debug` shows the value's length only:
/// it holds auth keys.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// The slot's value; `None` for a tombstone.
    pub(crate) value: Option<Bytes>,
    /// The header, if the object is in the fenced form.
    pub(crate) fence: Option<Fence>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("value", &self.value.as_ref().map(|value| value.len()))
            .field("fence", &self.fence)
            .finish()
    }
}

impl Object {
    /// Reads an object of `form` (from its metadata) whose bytes are `data`.
    pub(crate) fn read(data: Bytes, form: Form) -> Result<Object, StorageError> {
        if form == Form::Plain {
            return Ok(Object {
                value: Some(data),
                fence: None,
            });
        }
        let corrupt = |why: &str| {
            StorageError::new(
                ErrorKind::Corrupt,
                BACKEND,
                format!("the slot's object is marked as fenced but {why}"),
            )
        };
        if data.len() < HEADER_LEN || &data[..4] != MAGIC || data[4] != LAYOUT {
            return Err(corrupt("does not start with the fenced header"));
        }
        let mut token = [0; 8];
        token.copy_from_slice(&data[5..13]);
        let token = FencingToken::new(u64::from_le_bytes(token))
            .ok_or_else(|| corrupt("its token is 0"))?;
        let mut bumps = [0; 4];
        bumps.copy_from_slice(&data[13..17]);
        let bumps = u32::from_le_bytes(bumps);
        let value = match (data[17], form) {
            (0, Form::Fenced) => Some(data.slice(HEADER_LEN..)),
            (TOMBSTONE, Form::Tombstone) if data.len() == HEADER_LEN => None,
            (TOMBSTONE, Form::Tombstone) => return Err(corrupt("a tombstone carries a value")),
            _ => return Err(corrupt("its flags do not match its metadata")),
        };
        Ok(Object {
            value,
            fence: Some(Fence { token, bumps }),
        })
    }

    /// The bytes of `value` (`None`: an empty slot) in the fenced form under `fence`, and the form to
    /// write in [`METADATA`] with them.
    pub(crate) fn encode(value: Option<&[u8]>, fence: Fence) -> (Bytes, Form) {
        let value_len = value.map_or(0, <[u8]>::len);
        let mut out = BytesMut::with_capacity(HEADER_LEN + value_len);
        out.put_slice(MAGIC);
        out.put_u8(LAYOUT);
        out.put_u64_le(fence.token.get());
        out.put_u32_le(fence.bumps);
        out.put_u8(if value.is_some() { 0 } else { TOMBSTONE });
        if let Some(value) = value {
            out.put_slice(value);
        }
        let form = if value.is_some() {
            Form::Fenced
        } else {
            Form::Tombstone
        };
        (out.freeze(), form)
    }

    /// The header a rewrite of this object under `token` gets: one more bump if it already carries
    /// `token`, so that its bytes change in any case; `None` if a newer token fences it already (a rewrite
    /// under an older token would bring back bytes, hence an ETag, that an earlier holder may have read).
    pub(crate) fn bumped(&self, token: FencingToken) -> Option<Fence> {
        match self.fence {
            Some(fence) if fence.token > token => None,
            Some(fence) if fence.token == token => Some(Fence {
                token,
                bumps: fence.bumps.wrapping_add(1),
            }),
            _ => Some(Fence { token, bumps: 0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fence(token: u64, bumps: u32) -> Fence {
        Fence {
            token: FencingToken::new(token).unwrap(),
            bumps,
        }
    }

    #[test]
    fn plain_values_are_never_read_as_fenced() {
        let (looks_fenced, _) = Object::encode(Some(b"x"), fence(3, 0));
        let object = Object::read(looks_fenced.clone(), Form::Plain).unwrap();
        assert_eq!(object.value, Some(looks_fenced));
        assert_eq!(object.fence, None);
    }

    #[test]
    fn values_and_tombstones_round_trip() {
        for value in [Some(&b""[..]), Some(b"session"), None] {
            let (bytes, form) = Object::encode(value, fence(7, 2));
            assert_eq!(form.holds_value(), value.is_some());
            assert_eq!(Form::of_marker(form.marker()).unwrap(), form);
            let object = Object::read(bytes, form).unwrap();
            assert_eq!(object.value.as_deref(), value);
            assert_eq!(object.fence, Some(fence(7, 2)));
        }
    }

    #[test]
    fn bumps_always_change_the_bytes_or_write_nothing() {
        let (bytes, form) = Object::encode(Some(b"v"), fence(4, 0));
        let object = Object::read(bytes, form).unwrap();
        assert_eq!(
            object.bumped(FencingToken::new(4).unwrap()),
            Some(fence(4, 1))
        );
        assert_eq!(
            object.bumped(FencingToken::new(5).unwrap()),
            Some(fence(5, 0))
        );
        let plain = Object::read(Bytes::from_static(b"v"), Form::Plain).unwrap();
        assert_eq!(
            plain.bumped(FencingToken::new(4).unwrap()),
            Some(fence(4, 0))
        );
    }

    #[test]
    fn an_older_token_never_rewrites_a_newer_fence() {
        // A break of lease 3 finishing after lease 4 was acquired must not write (3, ..) again.
        let (bytes, form) = Object::encode(Some(b"v"), fence(4, 0));
        let object = Object::read(bytes, form).unwrap();
        assert_eq!(object.bumped(FencingToken::new(3).unwrap()), None);
    }

    #[test]
    fn damage_is_an_error_never_a_value() {
        let (bytes, _) = Object::encode(Some(b"value"), fence(1, 0));
        for cut in 0..HEADER_LEN {
            let err = Object::read(bytes.slice(..cut), Form::Fenced).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Corrupt, "cut at {cut}");
        }
        let mut zero_token = bytes.to_vec();
        zero_token[5..13].fill(0);
        let mut flags = bytes.to_vec();
        flags[17] = 0x80;
        let mut tombstone_with_value = bytes.to_vec();
        tombstone_with_value[17] = TOMBSTONE;
        for (damaged, form) in [
            (zero_token, Form::Fenced),
            (flags, Form::Fenced),
            (tombstone_with_value.clone(), Form::Tombstone),
            (tombstone_with_value, Form::Fenced),
            (bytes.to_vec(), Form::Tombstone),
        ] {
            let err = Object::read(Bytes::from(damaged), form).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Corrupt);
        }
        let err = Form::of_marker(Some("2")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}
