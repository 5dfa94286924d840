//! What Pyrogram's string and SQLite sessions share: one DC known by its id alone (the address comes from
//! [Telegram's public DC table](super::dc_table)), the api id, the test-mode flag and the logged-in user.

use session_core::{AuthKey, DcEntry, Session, User};

use super::{common, dc_table};
use crate::error::InteropError;
use crate::format::Format;
use crate::report::Dropped;

/// The entry of DC `id` for a session that keeps no address: the table's IPv4 address for it. An id the
/// table does not have is malformed, since Pyrogram could not connect to it either.
pub(crate) fn table_entry(
    format: Format,
    test_mode: bool,
    id: i64,
) -> Result<DcEntry, InteropError> {
    let known = i32::try_from(id)
        .ok()
        .and_then(|id| dc_table::ipv4(test_mode, id).map(|addr| (id, addr)));
    let (id, addr) = known.ok_or_else(|| {
        InteropError::malformed(
            format,
            format!(
                "DC id {id} is not one of Telegram's {}",
                dc_table::known_ids(test_mode)
            ),
        )
    })?;
    let mut entry = DcEntry::new(id);
    entry.ipv4 = Some(addr);
    Ok(entry)
}

/// An api id as read: Telegram's api ids are positive 31-bit numbers.
pub(crate) fn api_id(format: Format, value: i64) -> Result<i32, InteropError> {
    i32::try_from(value)
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            InteropError::malformed(format, format!("api id {value} is not a valid api id"))
        })
}

/// The logged-in user as read: Telegram user ids are positive.
pub(crate) fn user(format: Format, id: i64, bot: bool) -> Result<User, InteropError> {
    if id <= 0 {
        return Err(InteropError::malformed(
            format,
            format!("user id {id} is not a Telegram user id"),
        ));
    }
    Ok(User {
        id,
        bot,
        username: None,
        dc: None,
    })
}

/// A 0/1 flag as read (Python's `bool` packs as one byte, SQLite as an integer); anything else is malformed.
pub(crate) fn flag(format: Format, what: &str, value: i64) -> Result<bool, InteropError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(InteropError::malformed(
            format,
            format!("{what} is {value}, not 0 or 1"),
        )),
    }
}

/// What a writer takes from a session's home DC.
#[derive(Debug)]
pub(crate) struct Home<'a> {
    /// The DC id, one of the table's.
    pub(crate) id: u8,
    /// The DC's permanent auth key.
    pub(crate) auth_key: Option<&'a AuthKey>,
    /// Everything the DCs hold that a Pyrogram session cannot (other DCs, addresses other than the table's).
    pub(crate) dropped: Vec<Dropped>,
}

/// The home DC a Pyrogram writer stores, with what is lost: other DCs' keys and addresses, and the home DC's
/// own address when it is not the table's (Pyrogram keeps no address and always connects to the table's).
///
/// Fails with [`InteropError::MissingField`] without a home DC, and with [`InteropError::Unwritable`] when the
/// home DC is not in the table for the session's test mode (Pyrogram knows no other DC).
pub(crate) fn home(format: Format, session: &Session) -> Result<Home<'_>, InteropError> {
    let (entry, mut dropped) = common::home_dc(format, session)?;
    let table = dc_table::ipv4(session.test_mode, entry.id);
    let (id, table) =
        u8::try_from(entry.id)
            .ok()
            .zip(table)
            .ok_or_else(|| InteropError::Unwritable {
                format,
                reason: format!(
                    "the home DC {} is not one of Telegram's {}, the only DCs Pyrogram knows",
                    entry.id,
                    dc_table::known_ids(session.test_mode)
                ),
            })?;
    if let Some(own) = entry.ipv4.filter(|&own| own != table) {
        dropped.push(Dropped::new(
            format!("address {own} of DC {id}"),
            format!(
                "{} keeps no address; Pyrogram connects to {table}, Telegram's public address of DC {id}",
                format.description()
            ),
        ));
    }
    if entry.ipv6.is_some() {
        dropped.push(Dropped::new(
            format!("IPv6 address of DC {id}"),
            format!("{} keeps no address", format.description()),
        ));
    }
    Ok(Home {
        id,
        auth_key: entry.auth_key.as_ref(),
        dropped,
    })
}

/// The session's api id for a writer: [`InteropError::MissingField`] when it has none (Pyrogram sends the
/// stored api id with every connection), [`InteropError::Unwritable`] for an id that is not positive.
pub(crate) fn api_id_to_write(format: Format, session: &Session) -> Result<u32, InteropError> {
    let id = session.api_id.ok_or_else(|| missing_api_id(format))?;
    u32::try_from(id)
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| InteropError::Unwritable {
            format,
            reason: format!("api id {id} is not a valid api id"),
        })
}

/// The logged-in user's id and bot flag for a writer: [`InteropError::MissingField`] when the session has no
/// user (Pyrogram takes a session without one for an empty one and logs in again), [`InteropError::Unwritable`]
/// for an id that is not positive.
pub(crate) fn user_to_write(
    format: Format,
    session: &Session,
) -> Result<(i64, bool), InteropError> {
    match &session.user {
        None => Err(missing_user(format)),
        Some(user) if user.id > 0 => Ok((user.id, user.bot)),
        Some(user) => Err(InteropError::Unwritable {
            format,
            reason: format!("user id {} is not a Telegram user id", user.id),
        }),
    }
}

/// The error of a writer that needs the api id when the session has none.
fn missing_api_id(format: Format) -> InteropError {
    InteropError::MissingField {
        format,
        field: "api id",
        hint: Some(
            "Pyrogram stores the application's api id (from my.telegram.org): set it on the session \
             (Session::api_id; --api-id on the command line)",
        ),
    }
}

/// The error of a writer that needs the logged-in user when the session has none.
fn missing_user(format: Format) -> InteropError {
    InteropError::MissingField {
        format,
        field: "logged-in user",
        hint: Some(
            "Pyrogram stores the logged-in user's id: convert from a format that keeps it (Telethon or \
             Pyrogram SQLite, grammers, tgsession) or set Session::user",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_the_address() {
        let entry = table_entry(Format::PyrogramString, false, 2).unwrap();
        assert_eq!(entry.ipv4, Some("149.154.167.51:443".parse().unwrap()));
        assert_eq!(
            table_entry(Format::PyrogramString, true, 2).unwrap().ipv4,
            Some("149.154.167.40:443".parse().unwrap())
        );
        for id in [0, 6, -1, i64::from(u32::MAX) + 2] {
            assert!(matches!(
                table_entry(Format::PyrogramString, false, id),
                Err(InteropError::Malformed { .. })
            ));
        }
        assert!(table_entry(Format::PyrogramString, true, 4).is_err());
    }

    #[test]
    fn ids_and_flags_are_checked() {
        assert_eq!(api_id(Format::PyrogramSqlite, 12345).unwrap(), 12345);
        assert!(api_id(Format::PyrogramSqlite, 0).is_err());
        assert!(api_id(Format::PyrogramSqlite, 1 << 31).is_err());
        assert!(user(Format::PyrogramSqlite, 0, false).is_err());
        assert!(user(Format::PyrogramSqlite, -5, false).is_err());
        assert!(user(Format::PyrogramSqlite, 7, true).unwrap().bot);
        assert!(!flag(Format::PyrogramSqlite, "x", 0).unwrap());
        assert!(flag(Format::PyrogramSqlite, "x", 1).unwrap());
        assert!(flag(Format::PyrogramSqlite, "x", 2).is_err());
    }

    #[test]
    fn writers_report_foreign_addresses_and_refuse_unknown_dcs() {
        let mut session = Session::new();
        session.home_dc = Some(2);
        let mut dc = DcEntry::new(2);
        dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
        session.dcs.push(dc);
        let written = home(Format::PyrogramString, &session).unwrap();
        assert_eq!((written.id, written.dropped.len()), (2, 0));

        session.dcs[0].ipv4 = Some("10.0.0.1:443".parse().unwrap());
        session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
        let written = home(Format::PyrogramString, &session).unwrap();
        assert_eq!(written.dropped.len(), 2, "{:?}", written.dropped);

        session.test_mode = true;
        session.home_dc = Some(5);
        session.dcs[0].id = 5;
        assert!(matches!(
            home(Format::PyrogramString, &session),
            Err(InteropError::Unwritable { .. })
        ));
    }
}
