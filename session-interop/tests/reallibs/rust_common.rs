//! What the real-library programs written in Rust (`ferogram/`, `layer-client/`) share: the fake inputs of
//! `tests/vectors/README.md`, the command line (`make FORMAT OUT` / `load FORMAT PATH`) and a small JSON writer
//! for what a library sees when it loads a session. Included by each program with `#[path]`.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The home DC of the fake account.
pub const DC_ID: i32 = 2;
/// DC 2's IPv4 address and port.
pub const IPV4: &str = "149.154.167.51:443";
/// DC 2's IPv6 address and port, as layer and ferogram write it.
pub const IPV6: &str = "[2001:67c:4e8:f002::a]:443";
/// The logged-in user.
pub const USER_ID: i64 = 123_456_789;
/// The first server salt and clock offset the binary vector holds for DC 2.
pub const SALT: i64 = 0x0102_0304_0506_0708;
pub const TIME_OFFSET: i32 = -3;
/// The update state: pts, qts, date, seq; and the one channel's id and pts.
pub const STATE: [i32; 4] = [100, 7, 1_700_000_000, 42];
pub const CHANNEL: (i64, i32) = (1_234_567_890, 555);
/// The peers: alice (user), the broadcast channel and the basic group, with their access hashes.
pub const ALICE: (i64, i64) = (123_456_789, -1_111_111_111_111_111_111);
pub const CHANNEL_PEER: (i64, i64) = (1_234_567_890, -3_333_333_333_333_333_333);
pub const GROUP: i64 = 4242;

/// The fake auth key: the bytes 00 01 .. ff.
pub fn key() -> [u8; 256] {
    std::array::from_fn(|i| i as u8)
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The command line: the action (`make` or `load`), the format and the file.
pub fn args() -> (String, String, PathBuf) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match &args[..] {
        [action, format, file] => (action.clone(), format.clone(), PathBuf::from(file)),
        _ => fail("usage: make|load FORMAT FILE"),
    }
}

/// Prints `message` on standard error and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("reallibs: {message}");
    std::process::exit(2)
}

/// A JSON value, written by hand (the programs have no JSON dependency).
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object of `fields`.
    pub fn object<const N: usize>(fields: [(&str, Json); N]) -> Json {
        Json::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string value.
    pub fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    /// The JSON text.
    pub fn text(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => b.to_string(),
            Json::Int(n) => n.to_string(),
            Json::Str(s) => quote(s),
            Json::List(items) => {
                let items: Vec<String> = items.iter().map(Json::text).collect();
                format!("[{}]", items.join(","))
            }
            Json::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", quote(k), v.text()))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
        }
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The fields every library's DC record has, as JSON.
pub fn dc_json(
    dc_id: i32,
    addr: &str,
    auth_key: Option<&[u8; 256]>,
    first_salt: i64,
    time_offset: i32,
    flags: u8,
) -> Json {
    Json::object([
        ("dc_id", Json::Int(dc_id.into())),
        ("addr", Json::str(addr)),
        (
            "auth_key",
            auth_key.map_or(Json::Null, |key| Json::str(hex(key))),
        ),
        ("first_salt", Json::Int(first_salt)),
        ("time_offset", Json::Int(time_offset.into())),
        ("flags", Json::Int(flags.into())),
    ])
}

/// The update state as JSON: the counters and the channels' pts by channel id.
pub fn state_json(counters: [i32; 4], channels: &[(i64, i32)]) -> (Json, Json) {
    let [pts, qts, date, seq] = counters.map(i64::from);
    let state = Json::object([
        ("pts", Json::Int(pts)),
        ("qts", Json::Int(qts)),
        ("date", Json::Int(date)),
        ("seq", Json::Int(seq)),
    ]);
    let channels = Json::Object(
        channels
            .iter()
            .map(|&(id, pts)| (id.to_string(), Json::Int(pts.into())))
            .collect(),
    );
    (state, channels)
}
