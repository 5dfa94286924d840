//! layer's DC records: one per address, merged into one entry per DC id and kind of endpoint.

use session_core::{DcEntry, DcFlags};

use super::Layout;
use crate::error::InteropError;
use crate::formats::cursor::Cursor;
use crate::formats::{addr, common, layer_records};
use crate::report::Dropped;

/// Reads the DC count and records, and merges the records of one endpoint (see the module documentation).
pub(super) fn read(
    cursor: &mut Cursor<'_>,
    layout: Layout,
    dropped: &mut Vec<Dropped>,
) -> Result<Vec<DcEntry>, InteropError> {
    let count = cursor.u8("the DC count")?.into();
    // id, has_key, first_salt, time_offset, addr_len (+ flags): a record without key and address.
    let min_len = 4 + 1 + 8 + 4 + 1 + usize::from(layout.dc_flags());
    let count = cursor.count(count, min_len, "DC records")?;
    let records = (0..count)
        .map(|_| record(cursor, layout))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(layer_records::merge_dcs(records, dropped))
}

/// One DC record, as an entry with one address.
fn record(cursor: &mut Cursor<'_>, layout: Layout) -> Result<DcEntry, InteropError> {
    let format = cursor.format();
    let id = common::dc_id(format, cursor.i32("a DC id")?.into())?;
    let auth_key = match cursor.u8("a key flag")? {
        0 => None,
        1 => common::auth_key(format, cursor.take(256, "an auth key")?)?,
        other => return Err(cursor.error(format_args!("key flag {other} (must be 0 or 1)"))),
    };
    let server_salt = cursor.i64("a salt")?;
    let time_offset = cursor.i32("a time offset")?;
    let len = cursor.u8("an address length")?.into();
    let text = std::str::from_utf8(cursor.take(len, "an address")?)
        .map_err(|_| cursor.error("an address that is not UTF-8"))?;
    let server = addr::socket_addr(format, text)?;
    let flags = if layout.dc_flags() {
        let bits = cursor.u8("DC flags")?;
        layer_records::dc_flags(bits, server.is_ipv6()).map_err(|reason| cursor.error(reason))?
    } else {
        DcFlags::default()
    };
    let mut entry = DcEntry {
        flags,
        auth_key,
        server_salt,
        time_offset,
        ..DcEntry::new(id)
    };
    addr::set(&mut entry, server);
    Ok(entry)
}
