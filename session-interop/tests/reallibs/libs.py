"""Makes and loads sessions with the real Telethon and Pyrogram, offline.

Run by session-interop's `tests/real_libraries.rs` with the Python of the virtual environment that
`scripts/reallibs setup` makes (Telethon 1.45.0 and Pyrogram 2.0.106 from PyPI):

    python libs.py make FORMAT OUT   the library writes a session of FORMAT to OUT from the fake inputs below
    python libs.py load FORMAT PATH  the library loads PATH and prints, as one JSON object, what it sees

FORMAT is telethon-string, telethon-string-ipv6 (make only; load telethon-string reads both),
telethon-sqlite, pyrogram-string or pyrogram-sqlite. Sessions are built and read only through the
libraries' own session classes and storage APIs; nothing here talks to Telegram, and any attempt to open a
network connection fails (see `forbid_network`).

The fake inputs are those of tests/vectors/README.md: DC 2 at 149.154.167.51:443 (IPv6
2001:67c:4e8:f002::a), the auth key 00 01 .. ff, user 123456789 (not a bot), api id 12345, four peers and an
update state. `load` looks peers up by the ids, usernames and phone number of those inputs, the way a
client asks its session for them.
"""

import asyncio
import datetime
import json
import pathlib
import socket
import sys

DC_ID = 2
IPV4 = "149.154.167.51"
IPV6 = "2001:67c:4e8:f002::a"
PORT = 443
AUTH_KEY = bytes(range(256))
USER_ID = 123456789
API_ID = 12345

ALICE = {"id": 123456789, "hash": -1111111111111111111, "username": "alice_test",
         "phone": "15550001111", "first_name": "Alice", "last_name": "Doe"}
BOB = {"id": 987654321, "hash": 2222222222222222222, "username": "bob_bot", "first_name": "Bob"}
GROUP = {"id": 4242, "title": "Small group"}
CHANNEL = {"id": 1234567890, "hash": -3333333333333333333, "username": "mychannel",
           "title": "My Channel"}
STATE = {"pts": 100, "qts": 7, "date": 1700000000, "seq": 42}
CHANNEL_PTS = 555

# Bot API "marked" ids: user id, basic group -id, channel -(10^12 + id).
CHANNEL_MARK = 1000000000000
MARKED_IDS = [ALICE["id"], BOB["id"], -GROUP["id"], -(CHANNEL_MARK + CHANNEL["id"])]
USERNAMES = [ALICE["username"], BOB["username"], CHANNEL["username"]]
PHONES = [ALICE["phone"]]


def forbid_network():
    """Makes every attempt to resolve a name or open a connection fail: these tests are offline."""

    def refuse(*_args, **_kwargs):
        raise OSError("reallibs: network access is not allowed in the real-library tests")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


def utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)


def marked(peer_type, bare_id):
    return {"user": bare_id, "chat": -bare_id, "channel": -(CHANNEL_MARK + bare_id)}[peer_type]


def describe_input_peer(peer):
    """An InputPeer (Telethon's or Pyrogram's, same TL names) as {type, id, access_hash}."""
    name = type(peer).__name__
    if name == "InputPeerUser":
        return {"type": "user", "id": peer.user_id, "access_hash": peer.access_hash}
    if name == "InputPeerChat":
        return {"type": "chat", "id": peer.chat_id, "access_hash": None}
    if name == "InputPeerChannel":
        return {"type": "channel", "id": peer.channel_id, "access_hash": peer.access_hash}
    return {"type": name, "id": None, "access_hash": None}


def marked_of(description):
    if description["type"] in ("user", "chat", "channel"):
        return marked(description["type"], description["id"])
    return None


# ---------------------------------------------------------------- Telethon


def telethon_fill_dc(session, address):
    from telethon.crypto import AuthKey

    session.set_dc(DC_ID, address, PORT)
    session.auth_key = AuthKey(AUTH_KEY)


def telethon_make_string(out, address):
    from telethon.sessions import StringSession

    session = StringSession()
    telethon_fill_dc(session, address)
    pathlib.Path(out).write_text(session.save())


def telethon_make_sqlite(out):
    """What TelegramClient stores after a login and a few updates, through the same session calls."""
    from telethon.sessions import SQLiteSession
    from telethon.tl import types

    if not out.endswith(".session"):
        raise SystemExit("telethon-sqlite: the output path must end with .session")
    session = SQLiteSession(out)
    telethon_fill_dc(session, IPV4)
    users = [
        types.User(id=ALICE["id"], access_hash=ALICE["hash"], first_name=ALICE["first_name"],
                   last_name=ALICE["last_name"], username=ALICE["username"], phone=ALICE["phone"]),
        types.User(id=BOB["id"], access_hash=BOB["hash"], bot=True, first_name=BOB["first_name"],
                   username=BOB["username"]),
    ]
    chats = [
        types.Chat(id=GROUP["id"], title=GROUP["title"], photo=types.ChatPhotoEmpty(),
                   participants_count=3, date=utc(STATE["date"]), version=1),
        types.Channel(id=CHANNEL["id"], title=CHANNEL["title"], photo=types.ChatPhotoEmpty(),
                      date=utc(STATE["date"]), broadcast=True, access_hash=CHANNEL["hash"],
                      username=CHANNEL["username"]),
    ]
    session.process_entities(types.contacts.ResolvedPeer(None, chats, users))
    # TelegramClient keeps the logged-in user's id as the access hash of the row with id 0.
    session.process_entities(
        types.contacts.ResolvedPeer(None, [types.InputPeerUser(0, USER_ID)], []))
    session.set_update_state(0, types.updates.State(
        STATE["pts"], STATE["qts"], utc(STATE["date"]), STATE["seq"], unread_count=0))
    # TelegramClient saves channel states with the current time and no qts/seq.
    session.set_update_state(CHANNEL["id"], types.updates.State(
        CHANNEL_PTS, 0, datetime.datetime.now(), 0, unread_count=0))
    session.cache_file(b"\x01" * 16, 1024, types.InputDocument(5555, 6666, b""))
    session.save()
    session.close()


def telethon_lookup(session, key):
    try:
        return describe_input_peer(session.get_input_entity(key))
    except ValueError:
        return None


def telethon_load(fmt, path):
    import telethon
    from telethon.sessions import SQLiteSession, StringSession

    if fmt == "telethon-string":
        session = StringSession(pathlib.Path(path).read_text())
    else:
        session = SQLiteSession(path)
    seen = {
        "library": "telethon " + telethon.__version__,
        "dc_id": session.dc_id,
        "server_address": session.server_address,
        "port": session.port,
        "auth_key": session.auth_key.key.hex() if session.auth_key and session.auth_key.key else None,
        "takeout_id": session.takeout_id,
    }
    if fmt == "telethon-sqlite":
        # The logged-in user: the access hash of the row with id 0 (Telethon does not keep the bot flag).
        me = telethon_lookup(session, 0)
        seen["user_id"] = me["access_hash"] if me else None
        seen["peers_by_id"] = {str(i): telethon_lookup(session, i) for i in MARKED_IDS}
        seen["peers_by_username"] = {u: marked_or_none(telethon_lookup(session, u)) for u in USERNAMES}
        seen["peers_by_phone"] = {p: marked_or_none(telethon_lookup(session, "+" + p)) for p in PHONES}
        seen["update_state"] = None
        seen["channel_pts"] = {}
        for entity_id, state in session.get_update_states():
            if entity_id == 0:
                seen["update_state"] = {"pts": state.pts, "qts": state.qts,
                                        "date": int(state.date.timestamp()), "seq": state.seq}
            else:
                seen["channel_pts"][str(entity_id)] = state.pts
        session.close()
    return seen


def marked_or_none(description):
    return marked_of(description) if description else None


# ---------------------------------------------------------------- Pyrogram


async def pyrogram_fill(storage, with_peers):
    await storage.open()
    await storage.dc_id(DC_ID)
    await storage.api_id(API_ID)
    await storage.test_mode(False)
    await storage.auth_key(AUTH_KEY)
    await storage.user_id(USER_ID)
    await storage.is_bot(False)
    if with_peers:
        # The rows Pyrogram's Client.fetch_peers makes: (marked id, access hash, type, username, phone).
        await storage.update_peers([
            (ALICE["id"], ALICE["hash"], "user", ALICE["username"], ALICE["phone"]),
            (BOB["id"], BOB["hash"], "bot", BOB["username"], None),
            (-GROUP["id"], 0, "group", None, None),
            (-(CHANNEL_MARK + CHANNEL["id"]), CHANNEL["hash"], "channel", CHANNEL["username"], None),
        ])
    await storage.save()


def pyrogram_file_storage(path):
    from pyrogram.storage import FileStorage

    path = pathlib.Path(path)
    if path.suffix != ".session":
        raise SystemExit("pyrogram-sqlite: the path must end with .session")
    return FileStorage(path.stem, path.parent)


async def pyrogram_make(fmt, out):
    from pyrogram.storage import MemoryStorage

    if fmt == "pyrogram-string":
        storage = MemoryStorage("reallibs")
        await pyrogram_fill(storage, with_peers=False)
        pathlib.Path(out).write_text(await storage.export_session_string())
    else:
        storage = pyrogram_file_storage(out)
        await pyrogram_fill(storage, with_peers=True)
    await storage.close()


async def pyrogram_lookup(call, key):
    try:
        return describe_input_peer(await call(key))
    except KeyError:
        return None


async def pyrogram_load(fmt, path):
    import pyrogram
    from pyrogram.session.internals import DataCenter
    from pyrogram.storage import MemoryStorage

    if fmt == "pyrogram-string":
        storage = MemoryStorage("reallibs", pathlib.Path(path).read_text())
    else:
        storage = pyrogram_file_storage(path)
    await storage.open()
    dc_id = await storage.dc_id()
    test_mode = bool(await storage.test_mode())
    # Pyrogram keeps no address: it connects to its built-in address of the DC.
    address, port = DataCenter(dc_id, test_mode, False, False)
    key = await storage.auth_key()
    seen = {
        "library": "pyrogram " + pyrogram.__version__,
        "dc_id": dc_id,
        "server_address": address,
        "port": port,
        "auth_key": key.hex() if key else None,
        "api_id": await storage.api_id(),
        "test_mode": test_mode,
        "user_id": await storage.user_id(),
        "is_bot": bool(await storage.is_bot()),
    }
    if fmt == "pyrogram-sqlite":
        seen["peers_by_id"] = {
            str(i): await pyrogram_lookup(storage.get_peer_by_id, i) for i in MARKED_IDS}
        seen["peers_by_username"] = {
            u: marked_or_none(await pyrogram_lookup(storage.get_peer_by_username, u))
            for u in USERNAMES}
        seen["peers_by_phone"] = {
            p: marked_or_none(await pyrogram_lookup(storage.get_peer_by_phone_number, p))
            for p in PHONES}
    await storage.close()
    return seen


# ---------------------------------------------------------------- main


def main(argv):
    if len(argv) != 4 or argv[1] not in ("make", "load"):
        raise SystemExit(__doc__)
    _, action, fmt, path = argv
    forbid_network()
    if action == "make":
        if fmt == "telethon-string":
            telethon_make_string(path, IPV4)
        elif fmt == "telethon-string-ipv6":
            telethon_make_string(path, IPV6)
        elif fmt == "telethon-sqlite":
            telethon_make_sqlite(path)
        elif fmt in ("pyrogram-string", "pyrogram-sqlite"):
            asyncio.run(pyrogram_make(fmt, path))
        else:
            raise SystemExit(f"unknown format {fmt!r}")
        return
    if fmt in ("telethon-string", "telethon-sqlite"):
        seen = telethon_load(fmt, path)
    elif fmt in ("pyrogram-string", "pyrogram-sqlite"):
        seen = asyncio.run(pyrogram_load(fmt, path))
    else:
        raise SystemExit(f"unknown format {fmt!r}")
    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
