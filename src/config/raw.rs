//! The config file as written: a flat schema in which every key is optional,
//! and the first two steps of loading — TOML syntax, then shape (unknown
//! keys, wrong types). Meaning is checked afterwards, in `validate`.
//!
//! Unknown keys are found by walking the parsed TOML table against the key
//! lists below before serde runs, so the error can name the table (and the
//! source by name) and list what is allowed. `deny_unknown_fields` stays on
//! every struct as a backstop; a test keeps the lists and the structs equal.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::ConfigError;

/// Keys allowed at the top level.
pub(super) const TOP_KEYS: &[&str] = &["settings", "source", "alert", "reconcile"];
/// Keys allowed in `[settings]`.
pub(super) const SETTINGS_KEYS: &[&str] = &["buffer", "max_event_bytes", "fps"];
/// Keys every `[[source]]` table may have, whatever its kind; each kind
/// adds its own (`source::registry::Kind::keys`, passed in as [`Kinds`]).
pub(super) const SOURCE_KEYS: &[&str] = &[
    "name",
    "kind",
    "url",
    "headers",
    "type_pointer",
    "id_pointer",
    "time_pointer",
];

/// Every key a `[[source]]` table may have: [`SOURCE_KEYS`], then every
/// kind's.
pub(super) fn all_source_keys(kind_keys: &[&'static str]) -> Vec<&'static str> {
    let mut keys = SOURCE_KEYS.to_vec();
    keys.extend(kind_keys);
    keys
}

/// What the kinds tell the parser: their keys, each once, and the check of
/// their keys' TOML types (see `source::registry`). Passed in, so this
/// module imports nothing that imports it.
pub(super) struct Kinds<'a> {
    pub keys: &'a [&'static str],
    pub check_types: fn(&RawSource, &str) -> Result<(), ConfigError>,
}

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a TOML document")]
pub(super) struct RawFile {
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub source: Vec<RawSource>,
    #[serde(default)]
    pub alert: Vec<super::alert::RawAlert>,
    #[serde(default)]
    pub reconcile: Vec<super::reconcile::RawReconcile>,
}

/// `[settings]`; integers are read wide and range-checked in `validate`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([settings])")]
pub(super) struct RawSettings {
    pub buffer: Option<u64>,
    pub max_event_bytes: Option<u64>,
    pub fps: Option<u32>,
}

/// One `[[source]]` table: the keys every kind has, typed, and the whole
/// table, from which the source's kind reads its own keys
/// ([`RawSource::options`]). Unknown keys were rejected before serde runs.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a table ([[source]])")]
pub struct RawSource {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub url: Option<String>,
    pub headers: Option<RawHeaders>,
    pub type_pointer: Option<String>,
    pub id_pointer: Option<String>,
    pub time_pointer: Option<String>,
    /// The table as written, for the kind's keys.
    #[serde(skip)]
    pub table: toml::Table,
    /// `source "payments"` or `source[1]`, as type errors name it.
    #[serde(skip)]
    pub label: String,
}

impl RawSource {
    /// The keys of the table that are not common to every kind, in the
    /// order `keys` (every kind's) lists them.
    pub(super) fn kind_keys<'a>(
        &'a self,
        keys: &'a [&'static str],
    ) -> impl Iterator<Item = &'static str> + 'a {
        keys.iter().copied().filter(|k| self.table.contains_key(*k))
    }

    /// The kind's own keys read into its raw options `T` (every field
    /// optional, serde's `Deserialize`); a value of the wrong type is an
    /// error naming the source and the key (`source "payments".limit:
    /// invalid type: string "a", expected u32`).
    pub fn options<T: serde::de::DeserializeOwned>(
        &self,
        file: &str,
        keys: &[&str],
    ) -> Result<T, ConfigError> {
        let own: toml::Table = self
            .table
            .iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_path_to_error::deserialize(toml::Value::Table(own)).map_err(|e| ConfigError::Type {
            file: file.to_owned(),
            path: format!("{}.{}", self.label, e.path()),
            message: one_line(e.inner().message()),
        })
    }
}

/// `headers = { Name = "value", ... }`, in the order the TOML parser gives
/// them (sorted by name: TOML tables are unordered).
#[derive(Debug, Default)]
pub struct RawHeaders(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for RawHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;
        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = RawHeaders;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeaders, A::Error> {
                let mut headers = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    headers.push((name, value));
                }
                Ok(RawHeaders(headers))
            }
        }
        deserializer.deserialize_map(HeadersVisitor)
    }
}

/// Parse `text` into the raw schema: syntax errors with line and column,
/// then unknown keys, then type errors with the key's path.
pub(super) fn parse(text: &str, file: &str, kinds: &Kinds) -> Result<RawFile, ConfigError> {
    let table: toml::Table = text.parse().map_err(|e| syntax_error(text, file, &e))?;
    check_unknown_keys(&table, file, kinds.keys)?;
    let deserializer = toml::Deserializer::parse(text).map_err(|e| syntax_error(text, file, &e))?;
    let mut raw: RawFile = serde_path_to_error::deserialize(deserializer).map_err(|e| ConfigError::Type {
        file: file.to_owned(),
        path: render_path(e.path(), &table),
        message: one_line(e.inner().message()),
    })?;
    for (index, source) in raw.source.iter_mut().enumerate() {
        source.label = source_label(index, source.name.as_deref());
        if let Some(t) = table
            .get("source")
            .and_then(|s| s.get(index))
            .and_then(toml::Value::as_table)
        {
            source.table = t.clone();
        }
        (kinds.check_types)(source, file)?;
    }
    Ok(raw)
}

/// A TOML syntax error as `file:line:col: message`.
fn syntax_error(text: &str, file: &str, e: &toml::de::Error) -> ConfigError {
    let mut message = one_line(e.message());
    match e.span() {
        Some(span) => {
            // toml says only "duplicate key"; its span covers the key.
            if message == "duplicate key"
                && let Some(key) = text.get(span.clone())
            {
                message = format!("duplicate key {}", one_line(key));
            }
            let (line, column) = line_column(text, span.start);
            ConfigError::Syntax {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        }
        None => ConfigError::Type {
            file: file.to_owned(),
            path: "top level".to_owned(),
            message,
        },
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A message squeezed onto one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a `[[source]]` is named in messages: `source "payments"` when it has
/// a string name, else `source[1]` (0-based, as in type errors).
pub(super) fn source_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("source {name:?}"),
        None => format!("source[{index}]"),
    }
}

/// The name of the `index`th source in the parsed table, if it has one.
fn source_name(table: &toml::Table, index: usize) -> Option<&str> {
    table.get("source")?.as_array()?.get(index)?.get("name")?.as_str()
}

/// A serde path as `settings.fps`, `source "payments".limit` or
/// `source[1].headers.Authorization`.
fn render_path(path: &serde_path_to_error::Path, table: &toml::Table) -> String {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < segments.len() {
        match (segments[i], segments.get(i + 1)) {
            (Segment::Map { key }, Some(Segment::Seq { index })) if key == "source" && i == 0 => {
                out.push_str(&source_label(*index, source_name(table, *index)));
                i += 2;
                continue;
            }
            (Segment::Seq { index }, _) => out.push_str(&format!("[{index}]")),
            (segment, _) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&segment.to_string());
            }
        }
        i += 1;
    }
    if out.is_empty() {
        out.push_str("top level");
    }
    out
}

/// Reject keys the schema does not have, naming the key and its table and
/// listing the allowed keys. Values of the wrong type are left to serde.
fn check_unknown_keys(
    table: &toml::Table,
    file: &str,
    kind_keys: &[&'static str],
) -> Result<(), ConfigError> {
    let unknown = |keys: &toml::Table, allowed: &[&str], label: &dyn Fn() -> String| match keys
        .keys()
        .find(|k| !allowed.contains(&k.as_str()))
    {
        Some(key) => Err(ConfigError::UnknownKey {
            file: file.to_owned(),
            table: label(),
            key: key.clone(),
            allowed: allowed.join(", "),
        }),
        None => Ok(()),
    };
    unknown(table, TOP_KEYS, &|| "top level".to_owned())?;
    if let Some(settings) = table.get("settings").and_then(toml::Value::as_table) {
        unknown(settings, SETTINGS_KEYS, &|| "[settings]".to_owned())?;
    }
    match table.get("source") {
        Some(toml::Value::Array(sources)) => {
            let allowed = all_source_keys(kind_keys);
            for (index, source) in sources.iter().enumerate() {
                if let Some(keys) = source.as_table() {
                    let name = keys.get("name").and_then(toml::Value::as_str);
                    unknown(keys, &allowed, &|| source_label(index, name))?;
                }
            }
        }
        Some(toml::Value::Table(_)) => {
            return Err(ConfigError::Invalid {
                file: file.to_owned(),
                at: "top level".to_owned(),
                key: "source".to_owned(),
                message: "write each source as [[source]] (an array of tables), not [source]".to_owned(),
            });
        }
        _ => {}
    }
    match table.get("reconcile") {
        Some(toml::Value::Array(tables)) => {
            for (index, t) in tables.iter().enumerate() {
                if let Some(keys) = t.as_table() {
                    unknown(keys, super::reconcile::RECONCILE_KEYS, &|| {
                        format!("reconcile[{index}]")
                    })?;
                }
            }
        }
        Some(toml::Value::Table(_)) => {
            return Err(ConfigError::Invalid {
                file: file.to_owned(),
                at: "top level".to_owned(),
                key: "reconcile".to_owned(),
                message: "write each pairing as [[reconcile]] (an array of tables), not [reconcile]"
                    .to_owned(),
            });
        }
        _ => {}
    }
    super::alert::check_unknown_keys(table, file, &unknown)
}

/// The check of one table's keys against a list, naming the table.
pub(super) type KeyCheck<'a> =
    dyn Fn(&toml::Table, &[&str], &dyn Fn() -> String) -> Result<(), ConfigError> + 'a;
