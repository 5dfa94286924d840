//! Section tags of format version 1 (see `docs/FORMAT.md`).

pub(crate) const HOME_DC: u16 = 0x0001;
pub(crate) const TEST_MODE: u16 = 0x0002;
pub(crate) const API_ID: u16 = 0x0003;
pub(crate) const TAKEOUT_ID: u16 = 0x0004;
pub(crate) const CREATED_AT: u16 = 0x0005;
pub(crate) const UPDATED_AT: u16 = 0x0006;
pub(crate) const DCS: u16 = 0x0010;
pub(crate) const USER: u16 = 0x0020;
pub(crate) const UPDATE_STATE: u16 = 0x0030;
pub(crate) const DEVICE: u16 = 0x0040;
pub(crate) const PEERS: u16 = 0x0050;
pub(crate) const MIN_CONTEXTS: u16 = 0x0058;
pub(crate) const JOURNAL: u16 = 0x0060;
pub(crate) const LOGOUT_TOKEN: u16 = 0x0070;

/// Whether version 1 defines a section with this tag.
pub(crate) fn is_known(tag: u16) -> bool {
    matches!(
        tag,
        HOME_DC
            | TEST_MODE
            | API_ID
            | TAKEOUT_ID
            | CREATED_AT
            | UPDATED_AT
            | DCS
            | USER
            | UPDATE_STATE
            | DEVICE
            | PEERS
            | MIN_CONTEXTS
            | JOURNAL
            | LOGOUT_TOKEN
    )
}
