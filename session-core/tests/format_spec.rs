//! `docs/FORMAT.md` is a complete specification: `docs/reader/tgs_reader.py`, a Python reader written from
//! that document alone, reads the golden files exactly as [`Session::decode`] does, rejects broken inputs
//! with the error kinds the document names, and agrees with `Session::decode` on thousands of damaged
//! variants of the golden files (every byte changed, every truncation, sections dropped, swapped, duplicated
//! or added).
//!
//! The test needs `python3` (3.9 or newer) on the `PATH` and fails, saying so, without it.

use std::io::{ErrorKind, Write};
use std::net::SocketAddrV6;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use session_conformance::fixtures;
use session_core::{CodecError, DcEntry, Peer, PeerId, PeerKind, Session};

/// The workspace root: the reader and the golden files are named relative to it.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The reader, relative to [`ROOT`].
const READER: &str = "docs/reader/tgs_reader.py";
/// The golden files, relative to [`ROOT`].
const GOLDEN_DIR: &str = "session-core/tests/golden";
/// The magic and the length of the framing around the body.
const MAGIC: &[u8; 8] = b"\x89TGS\r\n\x1a\n";
const HEADER_LEN: usize = 16;

// --- Running the reader ---------------------------------------------------------------------------------

/// Runs the Python reader with one argument, feeding it `stdin`.
fn run_reader(arg: &str, stdin: Vec<u8>) -> Output {
    let spawned = Command::new("python3")
        .arg(READER)
        .arg(arg)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == ErrorKind::NotFound => panic!(
            "python3 is needed to run this test (it checks docs/FORMAT.md with the Python reader \
             {READER}); install Python 3.9 or newer: {err}"
        ),
        Err(err) => panic!("cannot start python3: {err}"),
    };
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let output = child.wait_with_output().expect("python3 runs to the end");
    writer
        .join()
        .expect("the stdin writer does not panic")
        .expect("python3 reads its whole input");
    output
}

/// Decodes `data` with the Python reader (through stdin, as `-`): its JSON, or its error kind.
fn python_decode(data: &[u8]) -> Result<Value, String> {
    outcome_of(&run_reader("-", data.to_vec()))
}

/// The JSON a successful run printed, or the error kind of a failed one (checking the exit code and the
/// stderr format).
fn outcome_of(output: &Output) -> Result<Value, String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        let value = serde_json::from_slice(&output.stdout).expect("the reader prints JSON");
        return Ok(normalize(value));
    }
    assert_eq!(output.status.code(), Some(1), "bad input exits 1: {stderr}");
    let rest = stderr
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("stderr is `error: <kind>: <message>`, got {stderr:?}"));
    let (kind, _message) = rest
        .split_once(": ")
        .unwrap_or_else(|| panic!("stderr is `error: <kind>: <message>`, got {stderr:?}"));
    Err(kind.to_owned())
}

/// Decodes many inputs with one run of the reader (`--batch`), in order.
fn python_decode_batch(inputs: &[Vec<u8>]) -> Vec<Result<Value, String>> {
    let lines: String = inputs.iter().map(|i| hex::encode(i) + "\n").collect();
    let output = run_reader("--batch", lines.into_bytes());
    let stdout = String::from_utf8(output.stdout).expect("the reader prints UTF-8");
    assert!(
        output.status.success(),
        "batch run fails: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<_> = stdout
        .lines()
        .map(|line| match line.split_once(' ') {
            Some(("ok", json)) => Ok(normalize(serde_json::from_str(json).expect("valid JSON"))),
            Some(("error", kind)) => Err(kind.to_owned()),
            _ => panic!("unexpected batch line {line:?}"),
        })
        .collect();
    assert_eq!(results.len(), inputs.len(), "one result line per input");
    results
}

/// Rewrites the reader's IPv6 endpoints in Rust's notation: both print RFC 5952 text, but differ on
/// IPv4-mapped addresses (`::ffff:1.2.3.4`), which Python 3.11 prints in hex.
fn normalize(mut session: Value) -> Value {
    for dc in session["dcs"].as_array_mut().into_iter().flatten() {
        if let Some(text) = dc["ipv6"].as_str() {
            let addr: SocketAddrV6 = text.parse().expect("the reader prints [addr]:port");
            dc["ipv6"] = json!(format!("[{}]:{}", addr.ip(), addr.port()));
        }
    }
    session
}

// --- What the reader must print, from the Rust side ------------------------------------------------------

/// The JSON the reader prints for `session`, built from the Rust model.
fn expected_json(session: &Session) -> Value {
    json!({
        "home_dc": session.home_dc,
        "test_mode": session.test_mode,
        "api_id": session.api_id,
        "takeout_id": session.takeout_id,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "dcs": session.dcs.iter().map(dc_json).collect::<Vec<_>>(),
        "user": session.user.as_ref().map(|user| json!({
            "id": user.id, "bot": user.bot, "username": user.username, "dc": user.dc,
        })),
        "update_state": session.update_state.as_ref().map(|state| json!({
            "pts": state.pts, "qts": state.qts, "date": state.date, "seq": state.seq,
            "channels": state.channels.iter().map(|(id, pts)| json!([id, pts])).collect::<Vec<_>>(),
        })),
        "device": session.device.as_ref().map(|device| json!({
            "device_model": device.device_model,
            "system_version": device.system_version,
            "app_version": device.app_version,
            "system_lang_code": device.system_lang_code,
            "lang_pack": device.lang_pack,
            "lang_code": device.lang_code,
        })),
        "peers": session.peers.iter().map(|(id, peer)| peer_json(*id, peer)).collect::<Vec<_>>(),
        "min_contexts": session
            .min_contexts
            .iter()
            .map(|(user, context)| json!([user, context.chat_id, context.msg_id]))
            .collect::<Vec<_>>(),
        "logout_token_len": session.logout_token.as_ref().map(|token| token.as_bytes().len()),
        "unknown_sections": session
            .unknown_sections
            .iter()
            .map(|(tag, payload)| json!([tag, hex::encode(payload)]))
            .collect::<Vec<_>>(),
    })
}

/// One DC entry as the reader prints it: key ids, never key bytes.
fn dc_json(dc: &DcEntry) -> Value {
    json!({
        "id": dc.id,
        "media_only": dc.flags.media_only,
        "cdn": dc.flags.cdn,
        "tcpo_only": dc.flags.tcpo_only,
        "static": dc.flags.is_static,
        "this_port_only": dc.flags.this_port_only,
        "ipv4": dc.ipv4.map(|addr| addr.to_string()),
        "ipv6": dc.ipv6.map(|addr| format!("[{}]:{}", addr.ip(), addr.port())),
        "ipv6_flowinfo": dc.ipv6.map(|addr| addr.flowinfo()),
        "ipv6_scope_id": dc.ipv6.map(|addr| addr.scope_id()),
        "auth_key_id": dc.auth_key.as_ref().map(|key| key.id().to_string()),
        "temp_auth_key_id": dc.temp_auth_key.as_ref().map(|temp| temp.key.id().to_string()),
        "temp_auth_key_expires_at": dc.temp_auth_key.as_ref().map(|temp| temp.expires_at),
        "server_salt": dc.server_salt,
        "time_offset": dc.time_offset,
    })
}

/// One peer as the reader prints it; the reader derives the id class from the kind, so they must agree.
fn peer_json(id: PeerId, peer: &Peer) -> Value {
    assert_eq!(
        id.class(),
        peer.kind.class(),
        "a decoded peer's kind matches its id"
    );
    json!({
        "kind": PeerKind::name(peer.kind),
        "id": id.bare(),
        "access_hash": peer.access_hash,
        "username": peer.username,
        "phone": peer.phone,
        "min": peer.min,
    })
}

/// The reader's kind of a decoding error. `LimitExceeded` and future variants are not failures FORMAT.md
/// names, so they map to names the reader never prints.
fn error_kind(err: &CodecError) -> String {
    let kind = match err {
        CodecError::BadMagic => "bad_magic",
        CodecError::Truncated => "truncated",
        CodecError::UnsupportedVersion { .. } => "unsupported_version",
        CodecError::ChecksumMismatch { .. } => "checksum_mismatch",
        CodecError::InvalidField { .. } => "invalid_field",
        CodecError::LimitExceeded { .. } => "rust_limit_exceeded",
        _ => "rust_unknown_error",
    };
    kind.to_owned()
}

/// What `Session::decode` makes of `data`, in the reader's terms.
fn rust_decode(data: &[u8]) -> Result<Value, String> {
    Session::decode(data)
        .map(|session| expected_json(&session))
        .map_err(|err| error_kind(&err))
}

// --- Building inputs -------------------------------------------------------------------------------------

/// The bytes of a golden file.
fn golden(name: &str) -> Vec<u8> {
    let path: PathBuf = [ROOT, GOLDEN_DIR, name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The body of a well-formed encoding.
fn body_of(encoding: &[u8]) -> &[u8] {
    &encoding[HEADER_LEN..encoding.len() - 4]
}

/// A version-1 encoding of `body`, with the right length and checksum.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&u32::try_from(body.len()).expect("small body").to_le_bytes());
    out.extend_from_slice(body);
    let checksum = crc32c::crc32c(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// One section: tag, length, payload.
fn section(tag: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = tag.to_le_bytes().to_vec();
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .expect("small payload")
            .to_le_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// The sections of a well-formed body, as `(tag, payload)`.
fn split_sections(mut body: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut sections = Vec::new();
    while !body.is_empty() {
        let tag = u16::from_le_bytes([body[0], body[1]]);
        let len = u32::from_le_bytes([body[2], body[3], body[4], body[5]]) as usize;
        sections.push((tag, body[6..6 + len].to_vec()));
        body = &body[6 + len..];
    }
    sections
}

/// A body made of `sections`, in the given order.
fn join_sections(sections: &[(u16, Vec<u8>)]) -> Vec<u8> {
    sections
        .iter()
        .flat_map(|(tag, payload)| section(*tag, payload))
        .collect()
}

/// `data` with `f` applied to a copy.
fn with(data: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut copy = data.to_vec();
    f(&mut copy);
    copy
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Every damaged variant of one golden file the differential test feeds both readers.
fn variants(encoding: &[u8]) -> Vec<Vec<u8>> {
    let body = body_of(encoding);
    let mut out = Vec::new();
    for len in 0..encoding.len() {
        out.push(encoding[..len].to_vec());
    }
    for i in 0..HEADER_LEN {
        out.push(with(encoding, |d| d[i] ^= 0x01));
    }
    for i in 0..body.len() {
        for mask in [0x01, 0x02, 0x80, 0xff] {
            out.push(frame(&with(body, |b| b[i] ^= mask)));
        }
    }
    for len in 0..body.len() {
        out.push(frame(&body[..len]));
    }
    out.extend(section_variants(&split_sections(body)));
    out
}

/// Bodies with one section dropped, duplicated, swapped with the next, or an unknown one inserted.
fn section_variants(sections: &[(u16, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..sections.len() {
        out.push(frame(&join_sections(&with_removed(sections, i))));
        let mut duplicated = sections.to_vec();
        duplicated.insert(i, sections[i].clone());
        out.push(frame(&join_sections(&duplicated)));
        if i + 1 < sections.len() {
            let mut swapped = sections.to_vec();
            swapped.swap(i, i + 1);
            out.push(frame(&join_sections(&swapped)));
        }
    }
    for tag in [0x0000, 0x0007, 0x000f, 0x0011, 0x0041, 0x0051, 0xffff] {
        for at in 0..=sections.len() {
            let mut added = sections.to_vec();
            added.insert(at, (tag, vec![0xab; usize::from(tag % 5)]));
            out.push(frame(&join_sections(&added)));
        }
    }
    out
}

/// `sections` without the one at `i`.
fn with_removed(sections: &[(u16, Vec<u8>)], i: usize) -> Vec<(u16, Vec<u8>)> {
    let mut out = sections.to_vec();
    out.remove(i);
    out
}

/// A `count` followed by `items`.
fn counted(count: u32, items: &[u8]) -> Vec<u8> {
    [&count.to_le_bytes()[..], items].concat()
}

/// A `string`.
fn string(text: &[u8]) -> Vec<u8> {
    let len = u16::try_from(text.len()).expect("a short string");
    [&len.to_le_bytes()[..], text].concat()
}

/// A `dcs` section with `count` and the bytes of the entries.
fn dcs(count: u32, entries: &[u8]) -> Vec<u8> {
    section(0x0010, &counted(count, entries))
}

/// A DC entry of DC 2 with `flags`, the `fields` they announce, zero salt and offset.
fn dc_entry(flags: u16, fields: &[u8]) -> Vec<u8> {
    [
        &2i32.to_le_bytes()[..],
        &flags.to_le_bytes(),
        fields,
        &[0; 12],
    ]
    .concat()
}

/// An IPv6 endpoint: address, port 443, flowinfo, scope id.
fn ipv6(address: [u8; 16], flowinfo: u32, scope_id: u32) -> Vec<u8> {
    [
        &address[..],
        &443u16.to_le_bytes(),
        &flowinfo.to_le_bytes(),
        &scope_id.to_le_bytes(),
    ]
    .concat()
}

/// A `user` section for user 5 with `flags` and the `tail` they announce.
fn user(flags: u8, tail: &[u8]) -> Vec<u8> {
    section(0x0020, &[&5i64.to_le_bytes()[..], &[flags], tail].concat())
}

/// An `update_state` section with zero counters and `count` channels `(id, pts 7)`, plus `extra` bytes.
fn update_state(count: u32, ids: &[i64], extra: &[u8]) -> Vec<u8> {
    let channels: Vec<u8> = ids
        .iter()
        .flat_map(|id| [&id.to_le_bytes()[..], &7i32.to_le_bytes()].concat())
        .chain(extra.iter().copied())
        .collect();
    section(0x0030, &[&[0; 16][..], &counted(count, &channels)].concat())
}

/// A `peers` section with `count` and `entries`.
fn peers(count: u32, entries: &[Vec<u8>]) -> Vec<u8> {
    section(0x0050, &counted(count, &entries.concat()))
}

/// A peer entry with `flags` and the `tail` they announce.
fn peer(kind: u8, id: i64, flags: u8, tail: &[u8]) -> Vec<u8> {
    [&[kind][..], &id.to_le_bytes(), &[flags], tail].concat()
}

/// Hand-made bodies probing the corners of FORMAT.md one by one, each with a label.
fn corner_cases() -> Vec<(&'static str, Vec<u8>)> {
    [
        section_cases(),
        dc_cases(),
        user_state_device_cases(),
        peer_cases(),
    ]
    .concat()
}

/// Section framing: lengths, order, unknown tags, exact consumption.
fn section_cases() -> Vec<(&'static str, Vec<u8>)> {
    let home = section(0x0001, &2i32.to_le_bytes());
    vec![
        ("empty body", vec![]),
        ("home_dc only", home.clone()),
        ("home_dc payload too short", section(0x0001, &[2, 0])),
        (
            "home_dc payload too long",
            section(0x0001, &[2, 0, 0, 0, 0]),
        ),
        ("test_mode with a payload", section(0x0002, &[1])),
        ("section header cut", [&home[..], &[2, 0, 0]].concat()),
        (
            "section length past the body",
            [&home[..], &[2, 0, 1, 0, 0, 0]].concat(),
        ),
        (
            "duplicate tag, length past the body",
            [&home[..], &[1, 0, 9, 0, 0, 0]].concat(),
        ),
        (
            "duplicate tag, header cut",
            [&home[..], &[1, 0, 0]].concat(),
        ),
        (
            "unknown section kept",
            [home.clone(), section(0x0007, b"new")].concat(),
        ),
        (
            "unknown tag 0 first",
            [section(0x0000, b""), home.clone()].concat(),
        ),
        (
            "unknown section out of order",
            [section(0x0007, b""), home].concat(),
        ),
    ]
}

/// DC entries: counts, flags, optional fields.
fn dc_cases() -> Vec<(&'static str, Vec<u8>)> {
    let doc_address = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4];
    let reserved_then_invalid = [&dc_entry(1 << 9, &[])[..], &[0; 17]].concat();
    vec![
        ("dcs count 0", dcs(0, &[])),
        ("dcs count too large", dcs(2, &dc_entry(0, &[]))),
        ("dcs count huge", dcs(u32::MAX, &dc_entry(0, &[]))),
        (
            "dcs count past the bytes, first invalid",
            dcs(2, &reserved_then_invalid),
        ),
        ("dc reserved flag bit", dcs(1, &dc_entry(1 << 9, &[]))),
        (
            "dc reserved flag bit, key missing",
            dcs(1, &dc_entry(1 << 15 | 1 << 7, &[])),
        ),
        (
            "dc has_ipv4 without the bytes",
            dcs(1, &dc_entry(1 << 5, &[])),
        ),
        (
            "dc ipv6 flowinfo and scope",
            dcs(1, &dc_entry(1 << 6, &ipv6(doc_address, 9, 3))),
        ),
        (
            "dc ipv4-mapped ipv6",
            dcs(1, &dc_entry(1 << 6, &ipv6(mapped, 0, 0))),
        ),
        ("dc all flags, no endpoint", dcs(1, &dc_entry(0x1f, &[]))),
        (
            "dc temp key without a permanent key",
            dcs(1, &dc_entry(1 << 8, &[7; 264])),
        ),
    ]
}

/// The user, update state and device sections.
fn user_state_device_cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("user minimal", user(0, &[])),
        ("user reserved flag bit", user(0x08, &[])),
        ("user reserved flag bit, username missing", user(0x0a, &[])),
        ("user username with @", user(0x02, &string(b"@bob"))),
        ("user empty username", user(0x02, &string(b""))),
        ("user invalid UTF-8", user(0x02, &string(b"a\xff"))),
        ("user overlong UTF-8", user(0x02, &string(b"\xc0\xaf"))),
        (
            "user surrogate in UTF-8",
            user(0x02, &string(b"\xed\xa0\x80")),
        ),
        ("user string length past section", user(0x02, &[9, 0, b'a'])),
        ("update_state no channels", update_state(0, &[], &[])),
        (
            "update_state channels sorted",
            update_state(2, &[-5, 9], &[]),
        ),
        (
            "update_state channels unsorted",
            update_state(2, &[9, -5], &[]),
        ),
        ("update_state channels equal", update_state(2, &[9, 9], &[])),
        (
            "update_state channel count too large",
            update_state(2, &[1], &[]),
        ),
        (
            "channels count past the bytes, unsorted",
            update_state(3, &[9, 1], &[0; 11]),
        ),
        (
            "device cut",
            section(0x0040, &[string(b"a"), string(b"b")].concat()),
        ),
        ("device empty strings", section(0x0040, &[0; 12])),
    ]
}

/// Peer entries: counts, kinds, flags, order, values FORMAT.md does not constrain.
fn peer_cases() -> Vec<(&'static str, Vec<u8>)> {
    let phone = string(b"+1 555");
    vec![
        ("peers count 0", peers(0, &[])),
        ("peers count too large", peers(2, &[peer(0, 1, 0, &[])])),
        (
            "peers count past the bytes, first invalid",
            peers(2, &[peer(0, 1, 0x10, &[9; 9])]),
        ),
        ("peer kind 7", peers(1, &[peer(7, 1, 0, &[])])),
        (
            "peer kind 7, hash missing",
            peers(1, &[peer(7, 1, 0x01, &[])]),
        ),
        ("peer reserved flag bit", peers(1, &[peer(0, 1, 0x10, &[])])),
        (
            "peer reserved flag bit, hash missing",
            peers(1, &[peer(0, 1, 0x11, &[])]),
        ),
        (
            "peer min without access hash",
            peers(1, &[peer(0, 1, 0x02, &[])]),
        ),
        (
            "chat with access hash",
            peers(1, &[peer(2, 1, 0x01, &[1; 8])]),
        ),
        (
            "peer phone not digits",
            peers(1, &[peer(0, 1, 0x08, &phone)]),
        ),
        (
            "peer ids 0 and negative",
            peers(2, &[peer(0, -3, 0, &[]), peer(0, 0, 0, &[])]),
        ),
        (
            "peers sorted by class",
            peers(
                3,
                &[peer(1, 9, 0, &[]), peer(2, 1, 0, &[]), peer(6, 0, 0, &[])],
            ),
        ),
        (
            "peers class order wrong",
            peers(2, &[peer(2, 1, 0, &[]), peer(0, 9, 0, &[])]),
        ),
        (
            "peers same class and id",
            peers(2, &[peer(3, 1, 0, &[]), peer(4, 1, 0, &[])]),
        ),
        (
            "peers same id, other class",
            peers(2, &[peer(0, 1, 0, &[]), peer(3, 1, 0, &[])]),
        ),
        (
            "unsorted peer, hash missing",
            peers(2, &[peer(0, 9, 0, &[]), peer(0, 1, 0x01, &[])]),
        ),
    ]
}

// --- Tests -------------------------------------------------------------------------------------------------

#[test]
fn golden_files_read_the_same_in_python_and_rust() {
    let sessions = [
        ("empty.tgs", Session::new()),
        ("auth_only.tgs", fixtures::auth_only()),
        ("full.tgs", fixtures::full()),
        ("login_state.tgs", fixtures::login_state()),
    ];
    for (name, fixture) in sessions {
        let output = run_reader(&format!("{GOLDEN_DIR}/{name}"), Vec::new());
        let python = outcome_of(&output)
            .unwrap_or_else(|kind| panic!("the reader rejects {name} as {kind}"));
        let decoded = Session::decode(&golden(name)).expect("the golden file decodes");
        assert_eq!(decoded, fixture, "{name} holds its fixture");
        assert_eq!(python, expected_json(&decoded), "{name}");
    }
}

#[test]
fn full_golden_file_exercises_every_field() {
    let python = python_decode(&golden("full.tgs")).expect("full.tgs decodes");
    let dcs = python["dcs"].as_array().expect("dcs");
    assert_eq!(dcs.len(), 6);
    assert_eq!(dcs[0]["auth_key_id"], "32d1586ea457dfc8");
    assert_eq!(dcs[5]["ipv6"], "[2001:67c:4e8:f002::a]:443");
    assert_eq!(dcs[5]["temp_auth_key_expires_at"], 1_700_086_400);
    assert_eq!(python["peers"].as_array().expect("peers").len(), 7);
    assert_eq!(
        python["update_state"]["channels"],
        json!([[1_234_567_890, 555]])
    );
    assert_eq!(python["device"]["lang_pack"], "tdesktop");
    assert_eq!(python["test_mode"], true);
    let text = String::from_utf8(run_reader("-", golden("full.tgs")).stdout).expect("UTF-8");
    assert!(
        !text.contains("000102030405"),
        "key bytes are never printed"
    );
}

#[test]
fn login_state_golden_file_shows_no_token() {
    let python = python_decode(&golden("login_state.tgs")).expect("login_state.tgs decodes");
    assert_eq!(
        python["min_contexts"],
        json!([[i64::MIN, -1, 1], [777_000, 1_234_567_890, i32::MAX]])
    );
    assert_eq!(python["logout_token_len"], 23);
    let output = run_reader("-", golden("login_state.tgs"));
    assert!(output.status.success(), "the reader fails: {output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(text.contains("\"logout_token_len\": 23"), "{text}");
    assert!(!text.contains("logout-token"), "the token is never printed");
    assert!(!text.contains(&hex::encode("logout-token")), "nor its hex");
}

#[test]
fn broken_inputs_fail_with_the_specified_kind() {
    let empty = golden("empty.tgs");
    let full = golden("full.tgs");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty input", vec![], "truncated"),
        ("magic prefix", MAGIC[..3].to_vec(), "truncated"),
        ("header cut", full[..12].to_vec(), "truncated"),
        (
            "last byte cut",
            full[..full.len() - 1].to_vec(),
            "truncated",
        ),
        (
            "random bytes",
            noise(64, 0x9e37_79b9_7f4a_7c15),
            "bad_magic",
        ),
        ("text", b"1BJWap1sBu5CUZqR2eKq8M...".to_vec(), "bad_magic"),
        (
            "flipped body byte",
            with(&full, |d| d[700] ^= 0x10),
            "checksum_mismatch",
        ),
        (
            "flipped checksum byte",
            with(&empty, |d| d[19] ^= 0x01),
            "checksum_mismatch",
        ),
        (
            "version 2",
            with(&empty, |d| d[8] = 2),
            "unsupported_version",
        ),
        ("version 0", with(&empty, |d| d[8] = 0), "invalid_field"),
        (
            "reserved set",
            with(&empty, |d| d[11] = 0x80),
            "invalid_field",
        ),
        (
            "trailing byte",
            with(&empty, |d| d.push(0)),
            "invalid_field",
        ),
        ("dcs count 0", frame(&dcs(0, &[])), "invalid_field"),
        (
            "peer kind 7",
            frame(&peers(1, &[peer(7, 1, 0, &[])])),
            "invalid_field",
        ),
    ];
    for (label, input, kind) in cases {
        assert_eq!(
            python_decode(&input),
            Err(kind.to_owned()),
            "python: {label}"
        );
        assert_eq!(rust_decode(&input), Err(kind.to_owned()), "rust: {label}");
    }
}

#[test]
fn corner_cases_decode_alike() {
    let (labels, inputs): (Vec<_>, Vec<_>) = corner_cases()
        .into_iter()
        .map(|(label, body)| (label, frame(&body)))
        .unzip();
    let python = python_decode_batch(&inputs);
    let differences: Vec<String> = labels
        .iter()
        .zip(&inputs)
        .zip(python)
        .filter_map(|((label, input), python)| {
            let rust = rust_decode(input);
            (python != rust).then(|| format!("{label}: python {python:?}, rust {rust:?}"))
        })
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn damaged_golden_files_decode_alike() {
    for name in ["auth_only.tgs", "full.tgs", "login_state.tgs"] {
        let inputs = variants(&golden(name));
        let python = python_decode_batch(&inputs);
        let mut accepted = 0;
        let mut differences = Vec::new();
        for (input, python) in inputs.iter().zip(python) {
            let rust = rust_decode(input);
            accepted += usize::from(rust.is_ok());
            if python != rust {
                differences.push(format!(
                    "input {}: python {python:?}, rust {rust:?}",
                    hex::encode(input)
                ));
            }
        }
        assert!(
            differences.is_empty(),
            "{name}: {} of {} variants differ, first: {}",
            differences.len(),
            inputs.len(),
            differences[..differences.len().min(5)].join("\n")
        );
        assert!(
            accepted > 100,
            "{name}: the variants include valid sessions ({accepted})"
        );
    }
}
