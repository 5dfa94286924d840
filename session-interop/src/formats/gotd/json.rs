//! The JSON shape of a gotd session file, as gotd's Go types marshal it.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::InteropError;
use crate::format::Format;

const FORMAT: Format = Format::GotdJson;

/// The only stored version gotd (and this crate) reads.
pub(super) const VERSION: i64 = 1;

/// The outer object, read first for its version alone so another version is reported as such.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    #[serde(rename = "Version")]
    version: i64,
    #[serde(rename = "Data")]
    _data: IgnoredAny,
}

/// The whole file: `{"Version": 1, "Data": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    #[serde(rename = "Version")]
    pub(super) version: i64,
    #[serde(rename = "Data")]
    pub(super) data: Data,
}

/// gotd's `session.Data`: the config, the DC and address the session is on, its key and salt.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Data {
    #[serde(rename = "Config")]
    pub(super) config: Config,
    #[serde(rename = "DC")]
    pub(super) dc: i64,
    #[serde(rename = "Addr")]
    pub(super) addr: String,
    /// Go's `[]byte`: standard base64, or `null` when nil.
    #[serde(rename = "AuthKey")]
    pub(super) auth_key: Option<SecretText>,
    #[serde(rename = "AuthKeyID")]
    pub(super) auth_key_id: Option<String>,
    #[serde(rename = "Salt")]
    pub(super) salt: i64,
}

/// gotd's `session.Config`, a subset of `help.getConfig`'s answer. Fields missing from the input are zero (as
/// Go's decoder leaves them); fields this crate does not know are kept in `unknown` to be reported dropped.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Config {
    #[serde(rename = "BlockedMode")]
    pub(super) blocked_mode: bool,
    #[serde(rename = "ForceTryIpv6")]
    pub(super) force_try_ipv6: bool,
    #[serde(rename = "Date")]
    pub(super) date: i64,
    #[serde(rename = "Expires")]
    pub(super) expires: i64,
    #[serde(rename = "TestMode")]
    pub(super) test_mode: bool,
    #[serde(rename = "ThisDC")]
    pub(super) this_dc: i64,
    /// Go's nil slice marshals as `null`.
    #[serde(rename = "DCOptions")]
    pub(super) dc_options: Option<Vec<DcOption>>,
    #[serde(rename = "DCTxtDomainName")]
    pub(super) dc_txt_domain_name: String,
    #[serde(rename = "TmpSessions")]
    pub(super) tmp_sessions: i64,
    #[serde(rename = "WebfileDCID")]
    pub(super) webfile_dc_id: i64,
    #[serde(flatten, skip_serializing)]
    pub(super) unknown: BTreeMap<String, IgnoredJson>,
}

/// gotd's `tg.DCOption`. The booleans are what gotd goes by (it recomputes `Flags` from them when it encodes
/// an option), so `Flags` is written to match them and not checked when read.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct DcOption {
    #[serde(rename = "Flags", default)]
    pub(super) flags: u32,
    #[serde(rename = "Ipv6", default)]
    pub(super) ipv6: bool,
    #[serde(rename = "MediaOnly", default)]
    pub(super) media_only: bool,
    #[serde(rename = "TCPObfuscatedOnly", default)]
    pub(super) tcpo_only: bool,
    #[serde(rename = "CDN", default)]
    pub(super) cdn: bool,
    #[serde(rename = "Static", default)]
    pub(super) is_static: bool,
    #[serde(rename = "ThisPortOnly", default)]
    pub(super) this_port_only: bool,
    #[serde(rename = "ID")]
    pub(super) id: i64,
    #[serde(rename = "IPAddress")]
    pub(super) ip_address: String,
    #[serde(rename = "Port")]
    pub(super) port: i64,
    /// The MTProxy-style secret of an obfuscated-transport option: standard base64, or `null`.
    #[serde(rename = "Secret", default)]
    pub(super) secret: Option<String>,
    #[serde(flatten, skip_serializing)]
    pub(super) unknown: BTreeMap<String, IgnoredJson>,
}

/// A JSON value this crate does not use; only its presence is kept (to be reported), never its content.
#[derive(Debug)]
pub(super) struct IgnoredJson;

impl<'de> Deserialize<'de> for IgnoredJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IgnoredJson, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| IgnoredJson)
    }
}

/// Text holding key material: zeroized on drop, never shown by `Debug`.
pub(super) struct SecretText(pub(super) Zeroizing<String>);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} characters>", self.0.len())
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SecretText, D::Error> {
        String::deserialize(deserializer).map(|text| SecretText(Zeroizing::new(text)))
    }
}

impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Parses a gotd session file: another version than 1 is [`InteropError::Unsupported`], any other
/// deviation from the shape [`InteropError::Malformed`].
pub(super) fn parse(bytes: &[u8]) -> Result<File, InteropError> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(json_error)?;
    if probe.version != VERSION {
        return Err(InteropError::Unsupported {
            format: FORMAT,
            reason: format!(
                "session version {}; this crate reads version {VERSION}",
                probe.version
            ),
        });
    }
    serde_json::from_slice(bytes).map_err(json_error)
}

/// Serializes `file` compactly, as Go's `json.Marshal` does, into a buffer zeroized on drop.
pub(super) fn to_bytes(file: &File) -> Result<Zeroizing<Vec<u8>>, InteropError> {
    let mut out = Zeroizing::new(Vec::with_capacity(2048));
    serde_json::to_writer(&mut *out, file).map_err(|err| InteropError::Unwritable {
        format: FORMAT,
        reason: format!("cannot serialize the JSON: {}", describe(&err)),
    })?;
    Ok(out)
}

/// The one mapping of serde_json's errors: a missing or doubled field is named (those names are this
/// crate's own); anything else is described by its position only, since serde_json's messages quote the
/// input's values, which may be key material.
fn json_error(err: serde_json::Error) -> InteropError {
    InteropError::malformed(FORMAT, describe(&err))
}

fn describe(err: &serde_json::Error) -> String {
    let message = err.to_string();
    if message.starts_with("missing field") || message.starts_with("duplicate field") {
        return message;
    }
    let what = match err.classify() {
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Eof => "JSON that ends early",
        serde_json::error::Category::Data => "a value or field that does not fit gotd's session",
        serde_json::error::Category::Io => "JSON that cannot be read",
    };
    format!("{what} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_quote_values() {
        let json = br#"{"Version":1,"Data":{"Config":{},"DC":"SECRETSECRET","Addr":"","AuthKey":null,"AuthKeyID":null,"Salt":0}}"#;
        let err = parse(json).unwrap_err().to_string();
        assert!(!err.contains("SECRET"), "{err}");
        assert!(err.contains("line 1 column"), "{err}");
        let err = parse(br#"{"Version":1,"Data":{"Config":{}}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `DC`"), "{err}");
    }

    #[test]
    fn other_versions_are_unsupported() {
        assert!(matches!(
            parse(br#"{"Version":2,"Data":{"Anything":true}}"#),
            Err(InteropError::Unsupported { .. })
        ));
        assert!(matches!(
            parse(br#"{"Version":1,"Data":{},"Extra":1}"#),
            Err(InteropError::Malformed { .. })
        ));
    }

    #[test]
    fn secret_text_hides_itself() {
        let text = SecretText(Zeroizing::new("abcdef".to_owned()));
        assert_eq!(format!("{text:?}"), "<6 characters>");
    }
}
