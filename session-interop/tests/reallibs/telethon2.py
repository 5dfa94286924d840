"""Makes and loads Telethon 2 SQLite sessions with Telethon 2's own session code, offline.

Telethon 2 (the v2 branch of LonamiWebs/Telethon, `client/src/telethon`) is not on PyPI, so this runs its
session modules straight from a checkout of its source (nothing of it is copied here):

    python telethon2.py SRC make OUT    Telethon 2's SqliteSession saves the fake account to OUT
    python telethon2.py SRC load PATH   Telethon 2's SqliteSession loads PATH; prints what it sees as JSON

SRC is the checkout's `client/src` directory. Only `telethon._impl.session.session` (the session types),
`telethon._impl.session.storage` (SqliteSession) and the `tl.core` modules they import are loaded: the
packages above them are stood in for by empty package objects pointing at the same source directories, so
that their `__init__` files (which import the generated TL types, not in the source tree) do not run.
Needs `typing_extensions` (the reallibs virtual environment has it).

The fake inputs are those of tests/vectors/README.md: DC 2 at 149.154.167.51:443 and 2001:67c:4e8:f002::a
port 443 (which Telethon 2 stores as `ip:port`, without brackets) with the key 00 01 .. ff, DC 4 known by its
address only, user 123456789 (not a bot, home DC 2, username alice_test) and the update state.
"""

import asyncio
import json
import pathlib
import sys
import types


def load_session_modules(src):
    """Imports Telethon 2's session types and SqliteSession from the checkout at `src`."""
    root = pathlib.Path(src) / "telethon"
    for name, path in [
        ("telethon", root),
        ("telethon._impl", root / "_impl"),
        ("telethon._impl.session", root / "_impl" / "session"),
        ("telethon._impl.tl", root / "_impl" / "tl"),
        ("telethon._impl.tl.core", root / "_impl" / "tl" / "core"),
    ]:
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package
    from telethon._impl.session import session
    from telethon._impl.session.storage import sqlite

    return session, sqlite.SqliteSession


def account(s):
    return s.Session(
        dcs=[
            s.DataCenter(
                id=2,
                ipv4_addr="149.154.167.51:443",
                ipv6_addr="2001:67c:4e8:f002::a:443",
                auth=bytes(range(256)),
            ),
            s.DataCenter(id=4, ipv4_addr="149.154.167.91:443", ipv6_addr=None, auth=None),
        ],
        user=s.User(id=123456789, dc=2, bot=False, username="alice_test"),
        state=s.UpdateState(
            pts=100,
            qts=7,
            date=1700000000,
            seq=42,
            channels=[s.ChannelState(id=1234567890, pts=555)],
        ),
    )


def describe(session):
    return {
        "library": "telethon 2 (v2 branch)",
        "dcs": [
            {
                "id": dc.id,
                "ipv4_addr": dc.ipv4_addr,
                "ipv6_addr": dc.ipv6_addr,
                "auth": dc.auth.hex() if dc.auth else None,
            }
            for dc in session.dcs
        ],
        "user": session.user
        and {
            "id": session.user.id,
            "dc": session.user.dc,
            "bot": session.user.bot,
            "username": session.user.username,
        },
        "state": session.state
        and {
            "pts": session.state.pts,
            "qts": session.state.qts,
            "date": session.state.date,
            "seq": session.state.seq,
            "channels": {str(c.id): c.pts for c in session.state.channels},
        },
    }


async def main(src, action, path):
    s, SqliteSession = load_session_modules(src)
    storage = SqliteSession(path)
    try:
        if action == "make":
            await storage.load()  # creates the tables, as the client does before it saves
            await storage.save(account(s))
        elif action == "load":
            print(json.dumps(describe(await storage.load())))
        else:
            raise SystemExit(f"unknown action {action}")
    finally:
        await storage.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    asyncio.run(main(*sys.argv[1:]))
