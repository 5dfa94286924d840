//! gotd/td JSON sessions (version 1): the hand-built vector, round trips of full configs, and broken inputs.

mod support;

use proptest::prelude::*;
use serde_json::{json, Value};
use session_core::{DcEntry, DcFlags, Session};
use session_interop::{detect, read, write, Exported, Format, InteropError, WriteOptions};

use support::{
    assert_input_error, assert_mentions, assert_plausible, edits, full_session, mentions, mutate,
    vector_dc, vector_key, vector_peers,
};

const VECTOR: &str = include_str!("vectors/gotd_session_v1_CONSTRUCTED.json");

/// What the vector holds: DC 2 with its address, the key and the salt.
fn vector_session() -> Session {
    let mut dc = vector_dc();
    dc.server_salt = 1_234_567_890_123_456_789;
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs.push(dc);
    session
}

fn write_gotd(session: &Session) -> Result<Exported, InteropError> {
    write(Format::GotdJson, session, &WriteOptions::default())
}

fn vector_json() -> Value {
    serde_json::from_str(VECTOR).unwrap()
}

fn read_json(value: &Value) -> Result<Session, InteropError> {
    read(Format::GotdJson, value.to_string().as_bytes()).map(|imported| imported.session)
}

/// Every object key path of `value` (arrays by their first element), to compare shapes.
fn shape(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = format!("{prefix}/{key}");
                out.push(path.clone());
                shape(inner, &path, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                shape(first, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn shape_of(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    shape(value, "", &mut out);
    out.sort();
    out
}

#[test]
fn the_vector_reads_as_the_session_it_was_built_from() {
    let imported = read(Format::GotdJson, VECTOR.as_bytes()).unwrap();
    assert_eq!(imported.session, vector_session());
    assert_eq!(imported.dropped.len(), 1, "{:?}", imported.dropped);
    assert_mentions(
        &imported.dropped,
        &["gotd config fields Date, Expires, WebfileDCID"],
    );
    assert_eq!(detect(VECTOR.as_bytes()).unwrap(), Format::GotdJson);
}

#[test]
fn the_writer_gives_the_vector_s_shape_and_reads_back() {
    let session = read(Format::GotdJson, VECTOR.as_bytes()).unwrap().session;
    let written = write_gotd(&session).unwrap();
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    let text = std::str::from_utf8(&written.bytes).unwrap();
    assert!(
        !text.contains('\n') && !text.contains(": "),
        "compact, as json.Marshal: {text}"
    );
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(shape_of(&value), shape_of(&vector_json()));
    let vector = vector_json();
    for key in ["DC", "Addr", "AuthKey", "AuthKeyID", "Salt"] {
        assert_eq!(value["Data"][key], vector["Data"][key], "{key}");
    }
    assert_eq!(value["Version"], 1);
    assert_eq!(
        value["Data"]["Config"]["DCOptions"],
        vector["Data"]["Config"]["DCOptions"]
    );
    assert_eq!(value["Data"]["Config"]["ThisDC"], 2);
    let again = read(Format::GotdJson, &written.bytes).unwrap();
    assert_eq!(again.session, session);
    assert!(again.dropped.is_empty(), "{:?}", again.dropped);
}

/// A config the way Telegram sends it: several options per DC, IPv6, media-only, CDN, a secret.
fn telegram_config() -> Value {
    let option = |id: i64, ip: &str, ipv6: bool, media: bool, cdn: bool, secret: Option<&str>| {
        let flags = u32::from(ipv6)
            | u32::from(media) << 1
            | u32::from(cdn) << 3
            | u32::from(secret.is_some()) << 10;
        json!({"Flags": flags, "Ipv6": ipv6, "MediaOnly": media, "TCPObfuscatedOnly": false, "CDN": cdn,
               "Static": false, "ThisPortOnly": false, "ID": id, "IPAddress": ip, "Port": 443, "Secret": secret})
    };
    let mut value = vector_json();
    value["Data"]["Config"]["DCOptions"] = json!([
        option(1, "149.154.175.53", false, false, false, None),
        option(1, "2001:b28:f23d:f001::a", true, false, false, None),
        option(2, "149.154.167.51", false, false, false, None),
        option(2, "149.154.167.151", false, true, false, None),
        option(2, "2001:67c:4e8:f002::a", true, false, false, None),
        option(2, "2001:67c:4e8:f002::b", true, true, false, None),
        option(4, "149.154.167.91", false, false, false, Some("AQID")),
        option(203, "91.105.192.100", false, false, true, None),
    ]);
    value
}

#[test]
fn a_full_config_becomes_entries_and_round_trips() {
    let imported = read(Format::GotdJson, telegram_config().to_string().as_bytes()).unwrap();
    let session = &imported.session;
    assert_mentions(&imported.dropped, &["obfuscation secrets of 1 DC options"]);
    let summary: Vec<(i32, bool, bool, bool, bool)> = session
        .dcs
        .iter()
        .map(|dc| {
            (
                dc.id,
                dc.ipv4.is_some(),
                dc.ipv6.is_some(),
                dc.flags.media_only,
                dc.flags.cdn,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, true, true, false, false),
            (1, true, true, false, false),
            (2, true, true, true, false),
            (4, true, false, false, false),
            (203, true, false, false, true),
        ]
    );
    assert_eq!(session.home_auth_key(), Some(&vector_key()));
    assert_eq!(session.dcs[0].server_salt, 1_234_567_890_123_456_789);
    assert_plausible(session);
    let written = write_gotd(session).unwrap();
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    assert_eq!(
        &read(Format::GotdJson, &written.bytes).unwrap().session,
        session
    );
}

#[test]
fn an_address_missing_from_the_options_gets_its_own_first_entry() {
    let mut value = telegram_config();
    value["Data"]["Addr"] = json!("[2001:67c:4e8:f002::99]:80");
    let session = read_json(&value).unwrap();
    let home = &session.dcs[0];
    assert_eq!(
        (home.id, home.ipv4, home.ipv6),
        (2, None, Some("[2001:67c:4e8:f002::99]:80".parse().unwrap()))
    );
    assert_eq!(home.auth_key, Some(vector_key()));
    assert_eq!(session.dcs.len(), 6);
    let written = write_gotd(&session).unwrap();
    let again = read(Format::GotdJson, &written.bytes).unwrap().session;
    assert_eq!(again, session);
}

#[test]
fn test_mode_comes_from_the_config() {
    let mut value = vector_json();
    value["Data"]["Config"]["TestMode"] = json!(true);
    let session = read_json(&value).unwrap();
    assert!(session.test_mode);
    let written = write_gotd(&session).unwrap();
    let json: Value = serde_json::from_slice(&written.bytes).unwrap();
    assert_eq!(json["Data"]["Config"]["TestMode"], true);
}

#[test]
fn unknown_config_fields_are_reported_not_refused() {
    let mut value = vector_json();
    value["Data"]["Config"]["SomethingNew"] = json!({"nested": [1, 2]});
    value["Data"]["Config"]["DCOptions"][0]["NewFlag"] = json!(true);
    value["Data"]["Config"]["ThisDC"] = json!(4);
    let imported = read(Format::GotdJson, value.to_string().as_bytes()).unwrap();
    assert_eq!(imported.session, vector_session());
    assert_mentions(
        &imported.dropped,
        &[
            "1 gotd config fields this crate does not know",
            "in 1 DC options",
            "ThisDC",
        ],
    );
    // Missing config fields are zero, as Go reads them.
    value["Data"]["Config"] = json!({});
    let session = read_json(&value).unwrap();
    assert_eq!(session, vector_session());
}

#[test]
fn ten_megabytes_of_dc_options_read_within_two_seconds() {
    // 200,000 options for 20,200 different DCs and kinds: pairing each with the latest entry of its DC and
    // kind must be a lookup, not a search through every entry before it.
    let options: Vec<Value> = (0..200_000_u32)
        .map(|i| {
            let mut option = json!({
                "ID": i % 10_100 + 1,
                "IPAddress": format!("1.1.1.{}", i % 250 + 1),
                "Port": 443,
            });
            if (i / 10_100) % 2 == 1 {
                option["CDN"] = json!(true);
            }
            option
        })
        .collect();
    let mut value = vector_json();
    value["Data"]["Config"]["DCOptions"] = Value::Array(options);
    let text = value.to_string();
    assert!(text.len() <= 10_500_000, "{} bytes", text.len());
    let start = std::time::Instant::now();
    let session = read(Format::GotdJson, text.as_bytes()).unwrap().session;
    let elapsed = start.elapsed();
    // One entry per option (none has an IPv6 address to pair), and one for the dialed address.
    assert_eq!(session.dcs.len(), 200_001);
    assert!(elapsed <= std::time::Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn malformed_files_are_refused_with_the_reason() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("Version", json!("1"), "line 1"),
        ("Data/DC", json!(0), "DC id 0"),
        ("Data/DC", json!(20000), "DC id 20000"),
        ("Data/Addr", json!("149.154.167.51"), "`ip:port`"),
        ("Data/Addr", json!("149.154.167.51:0"), "port 0"),
        ("Data/Addr", json!("0.0.0.0:443"), "0.0.0.0/8"),
        ("Data/Addr", json!("[ff02::1]:443"), "multicast"),
        (
            "Data/Config/DCOptions/0/IPAddress",
            json!("255.255.255.255"),
            "broadcast",
        ),
        ("Data/AuthKey", Value::Null, "AuthKey is null"),
        ("Data/AuthKey", json!("AAECAwQF"), "auth key of 6 bytes"),
        ("Data/AuthKey", json!(base64_of(&[0; 256])), "all-zero"),
        (
            "Data/AuthKeyID",
            json!("AAAAAAAAAAA="),
            "not the id of AuthKey",
        ),
        ("Data/AuthKeyID", json!("MtFYbqRX38g"), "AuthKeyID has"),
        ("Data/AuthKeyID", Value::Null, "AuthKeyID is null"),
        ("Data/Salt", json!(1.5), "line 1"),
        (
            "Data/Config/DCOptions/0/IPAddress",
            json!("2001:67c:4e8:f002::a"),
            "DC option 0",
        ),
        ("Data/Config/DCOptions/0/Ipv6", json!(true), "DC option 0"),
        ("Data/Config/DCOptions/0/Port", json!(70000), "out of range"),
        ("Data/Config/DCOptions/0/Port", json!(0), "port 0"),
        ("Data/Config/DCOptions/0/ID", json!(-2), "DC id -2"),
        (
            "Data/Config/DCOptions/0/Secret",
            json!("!!"),
            "DC option 0: the secret",
        ),
        ("Data/Config/TestMode", json!(1), "line 1"),
        ("Data/Extra", json!(1), "line 1"),
        ("Extra", json!(1), "line 1"),
    ];
    for (path, replacement, reason) in cases {
        let mut value = vector_json();
        set(&mut value, path, replacement);
        let err = read_json(&value).unwrap_err();
        assert_input_error(&err);
        assert!(err.to_string().contains(reason), "{path}: {err}");
    }
    let mut missing = vector_json();
    missing["Data"].as_object_mut().unwrap().remove("Salt");
    assert!(read_json(&missing)
        .unwrap_err()
        .to_string()
        .contains("missing field `Salt`"));
    for text in [
        "",
        "{}",
        "[]",
        "null",
        "{\"Version\":1}",
        &VECTOR[..VECTOR.len() / 2],
    ] {
        assert_input_error(&read(Format::GotdJson, text.as_bytes()).unwrap_err());
    }
    let doubled = VECTOR.replacen("\"Salt\"", "\"DC\":2,\"Salt\"", 1);
    assert!(read(Format::GotdJson, doubled.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("duplicate field"));
}

/// Sets the value at `path` (`/`-separated object keys and array indexes), adding a missing last key.
fn set(value: &mut Value, path: &str, replacement: Value) {
    let mut slot = value;
    for segment in path.split('/') {
        slot = match slot {
            Value::Array(items) => &mut items[segment.parse::<usize>().unwrap()],
            Value::Object(map) => map.entry(segment).or_insert(Value::Null),
            other => panic!("{path}: {other}"),
        };
    }
    *slot = replacement;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn other_versions_are_unsupported_not_missing() {
    for version in [0, 2, 7] {
        let mut value = vector_json();
        value["Version"] = json!(version);
        match read_json(&value) {
            Err(InteropError::Unsupported { format, reason }) => {
                assert_eq!(format, Format::GotdJson);
                assert!(reason.contains(&format!("version {version}")), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_writer_needs_a_home_dc_with_key_and_address() {
    let mut no_key = vector_session();
    no_key.dcs[0].auth_key = None;
    assert!(matches!(
        write_gotd(&no_key),
        Err(InteropError::MissingField {
            field: "auth key for its home DC",
            ..
        })
    ));
    let mut no_addr = vector_session();
    no_addr.dcs[0].ipv4 = None;
    assert!(matches!(
        write_gotd(&no_addr),
        Err(InteropError::MissingField {
            field: "address of its home DC",
            ..
        })
    ));
    assert!(matches!(
        write_gotd(&Session::new()),
        Err(InteropError::MissingField {
            field: "home DC",
            ..
        })
    ));
    let mut far = vector_session();
    let mut odd = DcEntry::new(0);
    odd.ipv4 = Some("10.0.0.1:443".parse().unwrap());
    far.dcs.push(odd);
    assert!(matches!(
        write_gotd(&far),
        Err(InteropError::Unwritable { .. })
    ));
    for unusable in ["10.0.0.1:0", "0.0.0.0:443", "224.0.0.1:443"] {
        let mut session = vector_session();
        session.dcs[0].ipv4 = Some(unusable.parse().unwrap());
        assert!(
            matches!(write_gotd(&session), Err(InteropError::Unwritable { .. })),
            "{unusable}"
        );
    }
}

#[test]
fn the_writer_reports_everything_it_drops() {
    let mut session = full_session();
    session.dcs.push(DcEntry::new(5));
    let written = write_gotd(&session).unwrap();
    assert_mentions(
        &written.dropped,
        &[
            "auth key of DC 4",
            "server salt of DC 4",
            "an entry of DC 5 without an address",
            "temporary auth key of DC 2",
            "clock offset of DC 2",
            "logged-in user",
            "update state",
            &format!("{} cached peers", vector_peers().len()),
            "api id",
            "takeout id",
            "device info",
            "creation time",
            "update time",
        ],
    );
    for kept in [
        "server salt of DC 2",
        "flags of DC 2",
        "address of DC 4",
        "IPv6",
        "test-mode",
    ] {
        assert!(
            !mentions(&written.dropped, kept),
            "{kept}: {:?}",
            written.dropped
        );
    }
    let again = read(Format::GotdJson, &written.bytes).unwrap().session;
    assert_eq!(again.dcs[0].server_salt, 77);
    assert_eq!(
        again.dcs[0].flags,
        DcFlags {
            is_static: true,
            ..DcFlags::default()
        }
    );
    assert_eq!(again.dcs[0].ipv6, session.dcs[0].ipv6);
    assert_eq!(again.dcs[1].ipv4, session.dcs[1].ipv4);
    assert_eq!(again.dcs[1].auth_key, None);
}

/// Options of a few DCs, families and kinds, in any order.
fn option_lists() -> impl Strategy<Value = Vec<(i64, bool, bool, bool, u8)>> {
    proptest::collection::vec(
        (1i64..4, any::<bool>(), any::<bool>(), any::<bool>(), 0u8..4),
        0..12,
    )
}

proptest! {
    #[test]
    fn any_option_list_reads_and_writes_back_to_the_same_session(
        options in option_lists(), home in 0usize..12,
    ) {
        let list: Vec<Value> = options
            .iter()
            .map(|&(id, ipv6, media, cdn, host)| {
                let ip = if ipv6 { format!("2001:db8::{host}") } else { format!("10.0.{id}.{host}") };
                json!({"Ipv6": ipv6, "MediaOnly": media, "CDN": cdn, "ID": id, "IPAddress": ip, "Port": 443})
            })
            .collect();
        let mut value = vector_json();
        if let Some(&(id, ipv6, _, _, host)) = options.get(home) {
            value["Data"]["DC"] = json!(id);
            value["Data"]["Addr"] = json!(if ipv6 { format!("[2001:db8::{host}]:443") } else { format!("10.0.{id}.{host}:443") });
        }
        value["Data"]["Config"]["DCOptions"] = Value::Array(list);
        let session = read_json(&value).unwrap();
        assert_plausible(&session);
        prop_assert_eq!(session.dcs[0].auth_key.as_ref(), Some(&vector_key()));
        let written = write_gotd(&session).unwrap();
        prop_assert!(written.dropped.is_empty(), "{:?}", written.dropped);
        prop_assert_eq!(read(Format::GotdJson, &written.bytes).unwrap().session, session);
    }

    #[test]
    fn truncations_and_mutations_never_panic(cut in 0usize..VECTOR.len(), changes in edits()) {
        check(&VECTOR.as_bytes()[..cut]);
        check(&mutate(VECTOR.as_bytes(), &changes));
        let written = write_gotd(&full_session()).unwrap();
        check(&mutate(&written.bytes, &changes));
    }
}

/// Reads `bytes`: an error of the input kind, or a plausible session that writes back and reads again
/// unchanged.
fn check(bytes: &[u8]) {
    match read(Format::GotdJson, bytes) {
        Err(err) => assert_input_error(&err),
        Ok(imported) => {
            assert_plausible(&imported.session);
            let written = write_gotd(&imported.session).unwrap();
            assert_eq!(
                read(Format::GotdJson, &written.bytes).unwrap().session,
                imported.session
            );
        }
    }
}
