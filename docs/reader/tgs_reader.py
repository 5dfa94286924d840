#!/usr/bin/env python3
"""An independent reader of the tgsession session format, version 1.

Written from ``docs/FORMAT.md`` alone (no knowledge of the Rust codec), with
the Python standard library only (Python 3.9+). It exists to show that the
specification is complete; ``session-core/tests/format_spec.rs`` checks that
it reads the golden files, and damaged variants of them, exactly as
``Session::decode`` does.

Usage::

    tgs_reader.py FILE      print the session in FILE as JSON
    tgs_reader.py -         the same, reading standard input
    tgs_reader.py --batch   read one hex-encoded input per line on standard
                            input; print one line per input: ``ok <json>``
                            or ``error <kind>``

Bad input exits with status 1 and ``error: <kind>: <message>`` on standard
error. Auth keys are never printed, only their key ids.
"""

import hashlib
import ipaddress
import json
import struct
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

MAGIC = b"\x89TGS\r\n\x1a\n"
"""The eight bytes every encoding starts with."""

FORMAT_VERSION = 1
"""The newest (and only) format version this reader knows."""

HEADER_LEN = 16
"""Magic, format_version, reserved and body_length."""

CHECKSUM_LEN = 4
"""The CRC-32C after the body."""

KINDS = (
    "bad_magic",
    "truncated",
    "unsupported_version",
    "checksum_mismatch",
    "invalid_field",
)
"""The failure kinds of FORMAT.md, "Decoding order"."""


class FormatError(Exception):
    """The input is not a valid version-1 session; ``kind`` says why."""

    def __init__(self, kind: str, message: str) -> None:
        if kind not in KINDS:
            raise ValueError("unknown error kind: " + kind)
        super().__init__(kind + ": " + message)
        self.kind = kind
        self.message = message


def _invalid(message: str) -> FormatError:
    """An ``invalid_field`` error."""
    return FormatError("invalid_field", message)


# --- CRC-32C ---------------------------------------------------------------

_CRC32C_REFLECTED_POLY = 0x82F63B78


def _crc32c_table() -> List[int]:
    """The 256-entry lookup table of the reflected Castagnoli polynomial."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_REFLECTED_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli): initial value and final XOR ``0xFFFFFFFF``."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# --- Cursor over one container --------------------------------------------


class _Cursor:
    """Reads little-endian fields from one container (the body or a payload).

    Every read checks the bytes that remain first: running past the end of
    the container is ``truncated``.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self._data = data
        self._pos = 0
        self.name = name

    def remaining(self) -> int:
        """How many bytes are left unread."""
        return len(self._data) - self._pos

    def take(self, size: int, what: str) -> bytes:
        """The next ``size`` bytes."""
        if size > self.remaining():
            raise FormatError(
                "truncated",
                "{} needs {} bytes, {} has {} left".format(
                    what, size, self.name, self.remaining()
                ),
            )
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def _unpack(self, fmt: str, what: str) -> int:
        """One integer in ``struct`` format ``fmt`` (little-endian)."""
        raw = self.take(struct.calcsize(fmt), what)
        return struct.unpack(fmt, raw)[0]

    def u8(self, what: str) -> int:
        """An unsigned byte."""
        return self._unpack("<B", what)

    def u16(self, what: str) -> int:
        """An unsigned 16-bit integer."""
        return self._unpack("<H", what)

    def u32(self, what: str) -> int:
        """An unsigned 32-bit integer."""
        return self._unpack("<I", what)

    def i32(self, what: str) -> int:
        """A signed 32-bit integer."""
        return self._unpack("<i", what)

    def i64(self, what: str) -> int:
        """A signed 64-bit integer."""
        return self._unpack("<q", what)

    def string(self, what: str) -> str:
        """A ``u16`` byte length, then that many bytes of valid UTF-8."""
        raw = self.take(self.u16(what + " length"), what)
        try:
            return raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as err:
            raise _invalid("{} is not valid UTF-8 ({})".format(what, err)) from None

    def count(self, what: str, smallest: int) -> int:
        """A ``u32`` element count, checked against the bytes left.

        A count larger than ``remaining / smallest element size`` cannot fit
        and is ``truncated``, before anything is allocated.
        """
        count = self.u32(what + " count")
        if count > self.remaining() // smallest:
            raise FormatError(
                "truncated",
                "{} {} of at least {} bytes each do not fit in {} bytes".format(
                    count, what, smallest, self.remaining()
                ),
            )
        return count

    def finish(self) -> None:
        """Require the container to be consumed exactly."""
        if self.remaining():
            raise _invalid(
                "{} has {} bytes left over".format(self.name, self.remaining())
            )


def _flags(value: int, reserved_mask: int, what: str) -> int:
    """``value`` unless one of its reserved bits is set."""
    if value & reserved_mask:
        raise _invalid("{} has reserved bits set: {:#x}".format(what, value))
    return value


def _bit(value: int, bit: int) -> bool:
    """Whether ``bit`` is set in ``value``."""
    return bool(value >> bit & 1)


# --- Framing ---------------------------------------------------------------


def _check_frame(data: bytes) -> bytes:
    """Checks steps 1-6 of the decoding order and returns the body."""
    if data[: len(MAGIC)] != MAGIC[: len(data)]:
        raise FormatError("bad_magic", "the input does not start with the magic")
    if len(data) < HEADER_LEN:
        raise FormatError(
            "truncated", "{} bytes is shorter than the header".format(len(data))
        )
    version, reserved, body_length = struct.unpack_from("<HHI", data, len(MAGIC))
    if version > FORMAT_VERSION:
        raise FormatError(
            "unsupported_version",
            "format version {} is newer than {}".format(version, FORMAT_VERSION),
        )
    if version == 0:
        raise _invalid("format_version is 0")
    if reserved != 0:
        raise _invalid("reserved is {:#x}, not 0".format(reserved))
    expected = HEADER_LEN + body_length + CHECKSUM_LEN
    if len(data) < expected:
        raise FormatError(
            "truncated", "{} of {} bytes".format(len(data), expected)
        )
    if len(data) > expected:
        raise _invalid("{} trailing bytes".format(len(data) - expected))
    (stored,) = struct.unpack_from("<I", data, HEADER_LEN + body_length)
    computed = crc32c(data[: HEADER_LEN + body_length])
    if stored != computed:
        raise FormatError(
            "checksum_mismatch",
            "stored {:#010x}, computed {:#010x}".format(stored, computed),
        )
    return data[HEADER_LEN : HEADER_LEN + body_length]


# --- DC entries ------------------------------------------------------------

DC_ENTRY_MIN = 18
"""The smallest DC entry: id, flags, server_salt, time_offset."""

DC_FLAG_NAMES = ("media_only", "cdn", "tcpo_only", "static", "this_port_only")
"""DC flag bits 0-4, in bit order."""

DC_HAS_IPV4, DC_HAS_IPV6, DC_HAS_AUTH_KEY, DC_HAS_TEMP_AUTH_KEY = 5, 6, 7, 8
DC_RESERVED = 0xFE00
AUTH_KEY_LEN = 256


def auth_key_id(key: bytes) -> str:
    """The key id of an auth key: bytes 12..20 of its SHA-1, as hex."""
    return hashlib.sha1(key).digest()[12:20].hex()


def _ipv4(cur: _Cursor) -> str:
    """An IPv4 endpoint as ``a.b.c.d:port``."""
    address = ipaddress.IPv4Address(cur.take(4, "ipv4"))
    return "{}:{}".format(address, cur.u16("ipv4 port"))


def _ipv6(cur: _Cursor) -> Tuple[str, int, int]:
    """An IPv6 endpoint as ``([addr]:port, flowinfo, scope_id)``."""
    address = ipaddress.IPv6Address(cur.take(16, "ipv6"))
    port = cur.u16("ipv6 port")
    flowinfo = cur.u32("ipv6 flowinfo")
    scope_id = cur.u32("ipv6 scope_id")
    return "[{}]:{}".format(address, port), flowinfo, scope_id


def _dc_entry(cur: _Cursor) -> Dict[str, Any]:
    """One DC entry."""
    entry: Dict[str, Any] = {"id": cur.i32("dc id")}
    flags = _flags(cur.u16("dc flags"), DC_RESERVED, "dc flags")
    for bit, name in enumerate(DC_FLAG_NAMES):
        entry[name] = _bit(flags, bit)
    entry["ipv4"] = _ipv4(cur) if _bit(flags, DC_HAS_IPV4) else None
    ipv6 = _ipv6(cur) if _bit(flags, DC_HAS_IPV6) else (None, None, None)
    entry["ipv6"], entry["ipv6_flowinfo"], entry["ipv6_scope_id"] = ipv6
    entry["auth_key_id"] = None
    if _bit(flags, DC_HAS_AUTH_KEY):
        entry["auth_key_id"] = auth_key_id(cur.take(AUTH_KEY_LEN, "auth_key"))
    entry["temp_auth_key_id"] = entry["temp_auth_key_expires_at"] = None
    if _bit(flags, DC_HAS_TEMP_AUTH_KEY):
        entry["temp_auth_key_id"] = auth_key_id(
            cur.take(AUTH_KEY_LEN, "temp_auth_key")
        )
        entry["temp_auth_key_expires_at"] = cur.i64("temp_auth_key expires_at")
    entry["server_salt"] = cur.i64("server_salt")
    entry["time_offset"] = cur.i32("time_offset")
    return entry


def _dcs(cur: _Cursor) -> List[Dict[str, Any]]:
    """The ``dcs`` section: a non-zero count of DC entries."""
    count = cur.count("dc entries", DC_ENTRY_MIN)
    if count == 0:
        raise _invalid("dcs count is 0")
    return [_dc_entry(cur) for _ in range(count)]


# --- User, update state, device -------------------------------------------

USER_BOT, USER_HAS_USERNAME, USER_HAS_DC = 0, 1, 2
USER_RESERVED = 0xF8


def _user(cur: _Cursor) -> Dict[str, Any]:
    """The ``user`` section."""
    user_id = cur.i64("user id")
    flags = _flags(cur.u8("user flags"), USER_RESERVED, "user flags")
    username = cur.string("username") if _bit(flags, USER_HAS_USERNAME) else None
    dc = cur.i32("user dc") if _bit(flags, USER_HAS_DC) else None
    return {"id": user_id, "bot": _bit(flags, USER_BOT), "username": username, "dc": dc}


CHANNEL_ENTRY_LEN = 12
"""channel_id i64 + pts i32."""


def _update_state(cur: _Cursor) -> Dict[str, Any]:
    """The ``update_state`` section; channel ids strictly increasing."""
    state: Dict[str, Any] = {
        name: cur.i32(name) for name in ("pts", "qts", "date", "seq")
    }
    channels: List[List[int]] = []
    for _ in range(cur.count("channels", CHANNEL_ENTRY_LEN)):
        channel_id = cur.i64("channel_id")
        if channels and channel_id <= channels[-1][0]:
            raise _invalid(
                "channel id {} is not greater than {}".format(
                    channel_id, channels[-1][0]
                )
            )
        channels.append([channel_id, cur.i32("channel pts")])
    state["channels"] = channels
    return state


DEVICE_FIELDS = (
    "device_model",
    "system_version",
    "app_version",
    "system_lang_code",
    "lang_pack",
    "lang_code",
)
"""The six strings of the ``device`` section, in order."""


def _device(cur: _Cursor) -> Dict[str, str]:
    """The ``device`` section."""
    return {name: cur.string(name) for name in DEVICE_FIELDS}


# --- Peers -----------------------------------------------------------------

PEER_ENTRY_MIN = 10
"""The smallest peer entry: kind, id, flags."""

PEER_KINDS = ("user", "bot", "chat", "channel", "broadcast", "megagroup", "gigagroup")
"""Peer kinds by their ``u8`` value."""

PEER_CLASSES = (0, 0, 1, 2, 2, 2, 2)
"""The id class (0 users, 1 chats, 2 channels) of each peer kind."""

PEER_HAS_ACCESS_HASH, PEER_MIN, PEER_HAS_USERNAME, PEER_HAS_PHONE = 0, 1, 2, 3
PEER_RESERVED = 0xF0


def _peer_head(cur: _Cursor) -> Tuple[int, int]:
    """The kind and the bare id that start a peer entry."""
    kind = cur.u8("peer kind")
    if kind >= len(PEER_KINDS):
        raise _invalid("peer kind {} is not defined".format(kind))
    return kind, cur.i64("peer id")


def _peer_tail(cur: _Cursor, kind: int, peer_id: int) -> Dict[str, Any]:
    """The flags and optional fields of a peer entry, after its head."""
    flags = _flags(cur.u8("peer flags"), PEER_RESERVED, "peer flags")
    access_hash = (
        cur.i64("access_hash") if _bit(flags, PEER_HAS_ACCESS_HASH) else None
    )
    username = cur.string("peer username") if _bit(flags, PEER_HAS_USERNAME) else None
    phone = cur.string("peer phone") if _bit(flags, PEER_HAS_PHONE) else None
    return {
        "kind": PEER_KINDS[kind],
        "id": peer_id,
        "access_hash": access_hash,
        "username": username,
        "phone": phone,
        "min": _bit(flags, PEER_MIN),
    }


def _peers(cur: _Cursor) -> List[Dict[str, Any]]:
    """The ``peers`` section: a non-zero count, sorted by (class, id).

    The order is checked as soon as an entry's kind and id are read, before
    its flags and optional fields.
    """
    count = cur.count("peer entries", PEER_ENTRY_MIN)
    if count == 0:
        raise _invalid("peers count is 0")
    peers = []
    previous: Optional[Tuple[int, int]] = None
    for _ in range(count):
        kind, peer_id = _peer_head(cur)
        key = (PEER_CLASSES[kind], peer_id)
        if previous is not None and key <= previous:
            raise _invalid(
                "peer (class, id) {} is not greater than {}".format(key, previous)
            )
        previous = key
        peers.append(_peer_tail(cur, kind, peer_id))
    return peers


# --- Body ------------------------------------------------------------------


def _int_section(reader: Callable[[_Cursor, str], int]) -> Callable[[_Cursor], int]:
    """A section whose payload is one integer read by ``reader``."""
    return lambda cur: reader(cur, cur.name)


def _test_mode(cur: _Cursor) -> bool:
    """The ``test_mode`` section: an empty payload (checked by ``finish``)."""
    return True


def _min_contexts(cur: _Cursor) -> List[List[int]]:
    """Section 0x0058: user id, chat id, message id per min user, user ids strictly increasing."""
    count = cur.count("min contexts", 20)
    if count == 0:
        raise _invalid("min_contexts count is 0")
    out: List[List[int]] = []
    previous: Optional[int] = None
    for _ in range(count):
        user = cur.i64("min context user id")
        chat = cur.i64("min context chat id")
        message = cur.i32("min context message id")
        if previous is not None and user <= previous:
            raise _invalid("min context user ids are not strictly increasing")
        previous = user
        out.append([user, chat, message])
    return out


def _logout_token(cur: _Cursor) -> int:
    """Section 0x0070: the whole payload is the token; only its length is printed (it is a credential)."""
    length = cur.remaining()
    if not 1 <= length <= 1024:
        raise _invalid("a logout token is 1 to 1024 bytes, not {}".format(length))
    cur.take(length, "logout token")
    return length


SECTIONS: Dict[int, Tuple[str, Callable[[_Cursor], Any]]] = {
    0x0001: ("home_dc", _int_section(_Cursor.i32)),
    0x0002: ("test_mode", _test_mode),
    0x0003: ("api_id", _int_section(_Cursor.i32)),
    0x0004: ("takeout_id", _int_section(_Cursor.i64)),
    0x0005: ("created_at", _int_section(_Cursor.i64)),
    0x0006: ("updated_at", _int_section(_Cursor.i64)),
    0x0010: ("dcs", _dcs),
    0x0020: ("user", _user),
    0x0030: ("update_state", _update_state),
    0x0040: ("device", _device),
    0x0050: ("peers", _peers),
    0x0058: ("min_contexts", _min_contexts),
    0x0070: ("logout_token_len", _logout_token),
}
"""Known section tags: the session key they fill and their payload parser."""


def _empty_session() -> Dict[str, Any]:
    """The session with no section present."""
    session: Dict[str, Any] = {name: None for name, _ in SECTIONS.values()}
    session.update(test_mode=False, dcs=[], peers=[], min_contexts=[], unknown_sections=[])
    return session


def _decode_body(body: bytes) -> Dict[str, Any]:
    """Step 7: the sections, in strictly increasing tag order."""
    session = _empty_session()
    cur = _Cursor(body, "body")
    previous = -1
    while cur.remaining():
        tag = cur.u16("section tag")
        # The tag is checked as soon as it is read, before its length.
        if tag <= previous:
            raise _invalid(
                "section tag {:#06x} is not greater than {:#06x}".format(tag, previous)
            )
        previous = tag
        payload = cur.take(cur.u32("section length"), "section {:#06x}".format(tag))
        if tag not in SECTIONS:
            session["unknown_sections"].append([tag, payload.hex()])
            continue
        name, parse = SECTIONS[tag]
        section = _Cursor(payload, name)
        session[name] = parse(section)
        section.finish()
    return session


def decode(data: bytes) -> Dict[str, Any]:
    """Decodes one encoded session into a dict, or raises ``FormatError``.

    Checks run in the order of FORMAT.md and stop at the first failure.
    """
    return _decode_body(_check_frame(bytes(data)))


# --- Command line ----------------------------------------------------------


def _to_json(session: Dict[str, Any], indent: Optional[int]) -> str:
    """The session as JSON with sorted keys."""
    return json.dumps(session, sort_keys=True, indent=indent, ensure_ascii=False)


def _batch(lines: List[str]) -> None:
    """Decodes one hex input per line, printing one result line for each."""
    for line in lines:
        try:
            result = "ok " + _to_json(decode(bytes.fromhex(line.strip())), None)
        except FormatError as err:
            result = "error " + err.kind
        print(result)


def _read_input(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as file:
        return file.read()


def main(argv: List[str]) -> int:
    """Runs the command line; returns the exit status."""
    sys.stdout.reconfigure(encoding="utf-8")
    if len(argv) != 1:
        print("usage: tgs_reader.py FILE | - | --batch", file=sys.stderr)
        return 2
    if argv[0] == "--batch":
        _batch(sys.stdin.read().splitlines())
        return 0
    try:
        session = decode(_read_input(argv[0]))
    except FormatError as err:
        print("error: {}: {}".format(err.kind, err.message), file=sys.stderr)
        return 1
    except OSError as err:
        print("error: cannot read {}: {}".format(argv[0], err), file=sys.stderr)
        return 2
    print(_to_json(session, 2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
