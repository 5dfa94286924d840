//! The JSON shape of a gotd session file, as gotd's Go types marshal it.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::object::{self, Object};
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
    #[serde(rename = "Addr", deserialize_with = "text")]
    pub(super) addr: String,
    /// Go's `[]byte`: standard base64, or `null` when nil.
    #[serde(rename = "AuthKey")]
    pub(super) auth_key: Option<SecretText>,
    #[serde(rename = "AuthKeyID", default, deserialize_with = "text_or_null")]
    pub(super) auth_key_id: Option<String>,
    #[serde(rename = "Salt")]
    pub(super) salt: i64,
}

/// gotd's `session.Config`, a subset of `help.getConfig`'s answer. Fields missing from the input are zero (as
/// Go's decoder leaves them); fields this crate does not know are skipped and counted in `unknown` (each time
/// one appears), to be reported dropped.
#[derive(Debug, Default, Serialize)]
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
    #[serde(skip)]
    pub(super) unknown: usize,
}

impl Object for Config {
    const NAME: &'static str = "Config";
    const FIELDS: &'static [&'static str] = &[
        "BlockedMode",
        "ForceTryIpv6",
        "Date",
        "Expires",
        "TestMode",
        "ThisDC",
        "DCOptions",
        "DCTxtDomainName",
        "TmpSessions",
        "WebfileDCID",
    ];
    const REQUIRED: &'static [usize] = &[];

    fn field<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.blocked_mode = map.next_value()?,
            1 => self.force_try_ipv6 = map.next_value()?,
            2 => self.date = map.next_value()?,
            3 => self.expires = map.next_value()?,
            4 => self.test_mode = map.next_value()?,
            5 => self.this_dc = map.next_value()?,
            6 => self.dc_options = map.next_value()?,
            7 => self.dc_txt_domain_name = map.next_value::<Text>()?.0,
            8 => self.tmp_sessions = map.next_value()?,
            _ => self.webfile_dc_id = map.next_value()?,
        }
        Ok(())
    }

    fn unknown(&mut self, count: usize) {
        self.unknown = count;
    }
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Config, D::Error> {
        object::deserialize(deserializer)
    }
}

/// gotd's `tg.DCOption`. The booleans are what gotd goes by (it recomputes `Flags` from them when it encodes
/// an option), so `Flags` is written to match them and not checked when read. `ID`, `IPAddress` and `Port`
/// are required; fields this crate does not know are counted in `unknown`.
#[derive(Debug, Default, Serialize)]
pub(super) struct DcOption {
    #[serde(rename = "Flags")]
    pub(super) flags: u32,
    #[serde(rename = "Ipv6")]
    pub(super) ipv6: bool,
    #[serde(rename = "MediaOnly")]
    pub(super) media_only: bool,
    #[serde(rename = "TCPObfuscatedOnly")]
    pub(super) tcpo_only: bool,
    #[serde(rename = "CDN")]
    pub(super) cdn: bool,
    #[serde(rename = "Static")]
    pub(super) is_static: bool,
    #[serde(rename = "ThisPortOnly")]
    pub(super) this_port_only: bool,
    #[serde(rename = "ID")]
    pub(super) id: i64,
    #[serde(rename = "IPAddress")]
    pub(super) ip_address: String,
    #[serde(rename = "Port")]
    pub(super) port: i64,
    /// The MTProxy-style secret of an obfuscated-transport option: standard base64, or `null`.
    #[serde(rename = "Secret")]
    pub(super) secret: Option<String>,
    #[serde(skip)]
    pub(super) unknown: usize,
}

impl Object for DcOption {
    const NAME: &'static str = "DCOption";
    const FIELDS: &'static [&'static str] = &[
        "Flags",
        "Ipv6",
        "MediaOnly",
        "TCPObfuscatedOnly",
        "CDN",
        "Static",
        "ThisPortOnly",
        "ID",
        "IPAddress",
        "Port",
        "Secret",
    ];
    const REQUIRED: &'static [usize] = &[7, 8, 9];

    fn field<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.flags = map.next_value()?,
            1 => self.ipv6 = map.next_value()?,
            2 => self.media_only = map.next_value()?,
            3 => self.tcpo_only = map.next_value()?,
            4 => self.cdn = map.next_value()?,
            5 => self.is_static = map.next_value()?,
            6 => self.this_port_only = map.next_value()?,
            7 => self.id = map.next_value()?,
            8 => self.ip_address = map.next_value::<Text>()?.0,
            9 => self.port = map.next_value()?,
            _ => self.secret = map.next_value::<Option<Text>>()?.map(|text| text.0),
        }
        Ok(())
    }

    fn unknown(&mut self, count: usize) {
        self.unknown = count;
    }
}

impl<'de> Deserialize<'de> for DcOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DcOption, D::Error> {
        object::deserialize(deserializer)
    }
}

/// The longest string any field of a gotd session holds is the auth key's base64 (344 characters); a longer
/// one is refused before it is copied, so no string costs more than the input's own bytes (and serde_json's
/// buffer for one with escapes).
pub(super) const MAX_TEXT: usize = 4096;

/// The text of a string field of at most [`MAX_TEXT`] bytes.
pub(super) struct Text(pub(super) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of at most {MAX_TEXT} bytes")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<String, E> {
        if text.len() > MAX_TEXT {
            return Err(E::invalid_length(text.len(), &self));
        }
        Ok(text.to_owned())
    }
}

/// A string field of at most [`MAX_TEXT`] bytes (for `deserialize_with`).
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Text::deserialize(deserializer).map(|text| text.0)
}

/// A string field of at most [`MAX_TEXT`] bytes, or `null` (for `deserialize_with`).
fn text_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<Text>::deserialize(deserializer).map(|text| text.map(|text| text.0))
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
        text(deserializer).map(|text| SecretText(Zeroizing::new(text)))
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
