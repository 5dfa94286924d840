// Makes and loads GramJS StringSessions with the real npm package `telegram` (GramJS), offline.
//
// Run by session-interop's `tests/real_libraries.rs` with the package that `scripts/reallibs setup` installs
// (telegram 2.26.22) under $TGSESSION_REALLIBS_NODE_MODULES:
//
//   node gramjs.js make gramjs-string OUT   GramJS writes a StringSession to OUT from the fake inputs below
//   node gramjs.js load gramjs-string PATH  GramJS loads the string in PATH and prints, as one JSON object,
//                                           what it sees
//
// Sessions are built and read only through GramJS's own StringSession and AuthKey; nothing here talks to
// Telegram, and any attempt to open a network connection fails (see forbidNetwork). The fake inputs are those
// of tests/vectors/README.md: DC 2 at 149.154.167.51:443 and the auth key 00 01 .. ff.
"use strict";

const fs = require("fs");
const path = require("path");

const DC_ID = 2;
const IPV4 = "149.154.167.51";
const PORT = 443;
const AUTH_KEY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function forbidNetwork() {
  const refuse = () => {
    throw new Error("reallibs: network access is not allowed in the real-library tests");
  };
  const net = require("net");
  const dns = require("dns");
  net.Socket.prototype.connect = refuse;
  net.connect = refuse;
  net.createConnection = refuse;
  dns.lookup = refuse;
  dns.resolve = refuse;
}

function gramjs() {
  const modules = process.env.TGSESSION_REALLIBS_NODE_MODULES;
  if (!modules) {
    throw new Error("TGSESSION_REALLIBS_NODE_MODULES is not set: run `eval \"$(scripts/reallibs setup)\"`");
  }
  const { StringSession } = require(path.join(modules, "telegram", "sessions"));
  const { AuthKey } = require(path.join(modules, "telegram", "crypto", "AuthKey"));
  const { version } = require(path.join(modules, "telegram", "package.json"));
  return { StringSession, AuthKey, version };
}

async function make(out) {
  const { StringSession, AuthKey } = gramjs();
  const session = new StringSession("");
  session.setDC(DC_ID, IPV4, PORT);
  const key = new AuthKey();
  await key.setKey(AUTH_KEY);
  session.authKey = key;
  fs.writeFileSync(out, session.save());
}

async function load(file) {
  const { StringSession, version } = gramjs();
  const session = new StringSession(fs.readFileSync(file, "utf8"));
  await session.load();
  const key = session.authKey ? session.authKey.getKey() : undefined;
  return {
    library: "telegram " + version,
    dc_id: session.dcId,
    server_address: session.serverAddress,
    port: session.port,
    auth_key: key ? Buffer.from(key).toString("hex") : null,
  };
}

async function main(argv) {
  const [action, format, file] = argv;
  if (argv.length !== 3 || !["make", "load"].includes(action)) {
    throw new Error("usage: node gramjs.js make|load gramjs-string PATH");
  }
  if (format !== "gramjs-string") {
    throw new Error(`unknown format '${format}'`);
  }
  forbidNetwork();
  if (action === "make") {
    await make(file);
  } else {
    process.stdout.write(JSON.stringify(await load(file)) + "\n");
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`gramjs.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
