//! The event catalog (SPEC 10): what each event type is made of, learned
//! from the events themselves.
//!
//! Per type: how many events, from which sources, first and last seen;
//! per field (a JSON pointer into the event's data, array elements as
//! `/items/*`): the JSON kinds seen and how often, presence (the share of
//! the type's learned events carrying it), up to [`MAX_EXAMPLES`] distinct
//! examples (never under secret-looking or header-like keys), numbers'
//! min/max/sum, a string format when every string value has it, and for
//! low-cardinality fields the values with their counts (which
//! `decline_code`s, which `currency`).
//!
//! Pure and bounded, `now` passed in, like the rest of the store. The bounds
//! are named constants; what they leave out is counted
//! ([`TypeEntry::not_catalogued`]). Learning costs a JSON parse and a walk,
//! so at high rates only a sample is learned ([`Sampling::PerSecond`]): the
//! first events of each type in each second. Counts and times stay exact;
//! field statistics are over the learned events, and the view says so.
//!
//! [`schema`] turns a type's fields into a JSON Schema (draft-07).

pub mod schema;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

/// Deepest field path learned (the data root is depth 0); objects and
/// arrays deeper down are counted in [`TypeEntry::too_deep`].
pub const MAX_DEPTH: usize = 8;
/// Field paths kept per type; further paths are counted in
/// [`TypeEntry::paths_dropped`].
pub const MAX_PATHS_PER_TYPE: usize = 200;
/// Field paths kept across all types (with the store's type cap, this
/// bounds the catalog's memory to a few tens of MiB); further paths are
/// counted as [`MAX_PATHS_PER_TYPE`]'s are.
pub const MAX_PATHS_TOTAL: usize = 100_000;
/// Distinct example values kept per field.
pub const MAX_EXAMPLES: usize = 5;
/// Characters of a string example kept (longer ones are cut, with `…`).
pub const EXAMPLE_CHARS: usize = 80;
/// Distinct values counted per field for its top values; a field with more
/// is high-cardinality and its values are no longer counted.
pub const TOP_TRACKED: usize = 32;
/// Whole payloads kept per type as examples (the smallest seen first).
pub const PAYLOAD_EXAMPLES: usize = 3;
/// Largest payload kept as an example.
pub const PAYLOAD_EXAMPLE_BYTES: usize = 4096;
/// Source names kept per type.
pub const MAX_SOURCES_PER_TYPE: usize = 32;
/// A field or kind first seen after this many events of its type is new.
pub const NEW_AFTER: u64 = 1_000;
/// With [`Sampling::PerSecond`]: events of one type learned per second.
pub const LEARN_PER_SECOND: u32 = 100;

/// The JSON kinds, in the order statistics and schemas list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Object,
    Array,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::String,
        Kind::Integer,
        Kind::Number,
        Kind::Boolean,
        Kind::Null,
        Kind::Object,
        Kind::Array,
    ];

    /// Its JSON Schema name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
            Kind::Object => "object",
            Kind::Array => "array",
        }
    }

    /// The kind of a JSON value; integers are numbers without a fraction
    /// part as serde_json reads them (`1` but not `1.0`).
    pub fn of(value: &Value) -> Kind {
        match value {
            Value::String(_) => Kind::String,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::Bool(_) => Kind::Boolean,
            Value::Null => Kind::Null,
            Value::Object(_) => Kind::Object,
            Value::Array(_) => Kind::Array,
        }
    }
}

/// String formats recognised, most specific first; each decided by the
/// `jsonschema` crate's own `format` check (so a schema evtop writes and a
/// validator reading it agree). `uuid` is not a draft-07 format (2019-09
/// added it): draft-07 validators take it as an annotation, so it is
/// checked with the 2020-12 rules.
pub const FORMATS: [&str; 5] = ["uuid", "date-time", "date", "email", "uri"];

/// One validator per format of [`FORMATS`].
static FORMAT_CHECKS: LazyLock<Vec<jsonschema::Validator>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|f| {
            let schema = serde_json::json!({ "format": f });
            let built = if *f == "uuid" {
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&schema)
            } else {
                jsonschema::draft7::options()
                    .should_validate_formats(true)
                    .build(&schema)
            };
            built.expect("a format-only schema compiles")
        })
        .collect()
});

/// All of [`FORMATS`] still possible.
const ALL_FORMATS: u8 = (1 << FORMATS.len()) - 1;

/// When events are learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every event (`evtop catalog`).
    All,
    /// The first [`LEARN_PER_SECOND`] events of each type in each second
    /// (the monitor: learning never costs more than that).
    PerSecond,
}

/// The values of a field and how often each was seen, while there are few.
#[derive(Debug, Clone, PartialEq)]
pub enum Top {
    /// Value (its JSON text) → count, in first-seen order.
    Values(Vec<(String, u64)>),
    /// More than [`TOP_TRACKED`] distinct values: not counted.
    Many,
}

/// What the catalog knows of one field path of one type.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON pointer into the data (`/data/object/amount`, `/items/*`); the
    /// data itself is `""`.
    pub path: Box<str>,
    /// How many values of each kind ([`Kind::ALL`] order).
    pub kinds: [u64; 7],
    /// Learned events carrying it at least once.
    pub events: u64,
    /// Values seen at this path (each array element counts).
    pub occurrences: u64,
    /// Distinct examples (strings cut at [`EXAMPLE_CHARS`]); none when
    /// `secret`.
    pub examples: Vec<Value>,
    /// Under a secret-looking or header-like key: no value is kept.
    pub secret: bool,
    /// Numbers' minimum, maximum and sum.
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    /// [`FORMATS`] every string value so far has (a bit each).
    formats: u8,
    /// The values and their counts, while few (not for secret fields).
    pub top: Top,
    /// When it was first seen, and how many events of its type had been
    /// seen before.
    pub first_seen: i64,
    pub first_seen_after: u64,
    /// Per kind, how many events of its type had been seen before the
    /// first value of that kind (`u64::MAX`: never).
    pub kind_first_after: [u64; 7],
    /// The learned event that last carried it (for `events`).
    last_event: u64,
}

impl Field {
    fn new(path: &str, secret: bool, now: i64, after: u64) -> Field {
        Field {
            path: path.into(),
            kinds: [0; 7],
            events: 0,
            occurrences: 0,
            examples: Vec::new(),
            secret,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            formats: ALL_FORMATS,
            top: Top::Values(Vec::new()),
            first_seen: now,
            first_seen_after: after,
            kind_first_after: [u64::MAX; 7],
            last_event: u64::MAX,
        }
    }

    /// Values seen of `kind`.
    pub fn count(&self, kind: Kind) -> u64 {
        self.kinds[kind as usize]
    }

    /// The kinds seen, in [`Kind::ALL`] order.
    pub fn kinds_seen(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        Kind::ALL
            .into_iter()
            .map(|k| (k, self.kinds[k as usize]))
            .filter(|(_, n)| *n > 0)
    }

    /// The string format every string value had, if any string was seen.
    pub fn format(&self) -> Option<&'static str> {
        if self.count(Kind::String) == 0 {
            return None;
        }
        (0..FORMATS.len())
            .find(|i| self.formats & (1 << i) != 0)
            .map(|i| FORMATS[i])
    }

    /// Whether any number was seen (so `min`, `max`, `sum` mean something).
    pub fn has_numbers(&self) -> bool {
        self.count(Kind::Integer) + self.count(Kind::Number) > 0
    }

    /// The values and counts, most frequent first (ties: first seen), when
    /// the field is low-cardinality.
    pub fn top_values(&self) -> Option<Vec<(&str, u64)>> {
        match &self.top {
            Top::Values(v) if !v.is_empty() => {
                let mut v: Vec<(&str, u64)> = v.iter().map(|(s, n)| (s.as_str(), *n)).collect();
                v.sort_by_key(|e| std::cmp::Reverse(e.1));
                Some(v)
            }
            _ => None,
        }
    }

    /// First seen after [`NEW_AFTER`] events of its type: new.
    pub fn is_new(&self) -> bool {
        self.first_seen_after >= NEW_AFTER
    }

    /// The kinds first seen after [`NEW_AFTER`] events (on a field that
    /// is not new itself).
    pub fn new_kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        Kind::ALL.into_iter().filter(move |k| {
            let after = self.kind_first_after[*k as usize];
            !self.is_new() && after != u64::MAX && after >= NEW_AFTER
        })
    }

    /// The field's name: the last segment of its path (`(data)` for the root).
    pub fn name(&self) -> &str {
        match self.path.rsplit_once('/') {
            Some((_, last)) => last,
            None => "(data)",
        }
    }

    /// The path of the object or array it belongs to (`None` for the root).
    pub fn parent(&self) -> Option<&str> {
        self.path.rsplit_once('/').map(|(parent, _)| parent)
    }

    /// One value at this path.
    fn record(&mut self, value: &Value, event: u64, seen_before: u64) {
        let kind = Kind::of(value);
        self.kinds[kind as usize] += 1;
        if self.kind_first_after[kind as usize] == u64::MAX {
            self.kind_first_after[kind as usize] = seen_before;
        }
        self.occurrences += 1;
        if self.last_event != event {
            self.last_event = event;
            self.events += 1;
        }
        match value {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    self.min = self.min.min(x);
                    self.max = self.max.max(x);
                    self.sum += x;
                }
            }
            Value::String(_) if self.formats != 0 => {
                for (i, check) in FORMAT_CHECKS.iter().enumerate() {
                    if self.formats & (1 << i) != 0 && !check.is_valid(value) {
                        self.formats &= !(1 << i);
                    }
                }
            }
            _ => {}
        }
        if self.secret {
            return;
        }
        if self.examples.len() < MAX_EXAMPLES && !matches!(value, Value::Object(_) | Value::Array(_)) {
            let example = cut(value);
            if !self.examples.contains(&example) {
                self.examples.push(example);
            }
        }
        self.count_value(value);
    }

    /// Count a scalar value for [`Field::top_values`].
    fn count_value(&mut self, value: &Value) {
        let Top::Values(values) = &mut self.top else {
            return;
        };
        let text = match value {
            Value::String(s) if s.chars().count() <= EXAMPLE_CHARS => value.to_string(),
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_owned(),
            _ => return,
        };
        if let Some((_, n)) = values.iter_mut().find(|(v, _)| *v == text) {
            *n += 1;
        } else if values.len() < TOP_TRACKED {
            values.push((text, 1));
        } else {
            self.top = Top::Many;
        }
    }
}

/// A string value cut to [`EXAMPLE_CHARS`] characters; other values as
/// they are.
fn cut(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > EXAMPLE_CHARS => {
            let mut short: String = s.chars().take(EXAMPLE_CHARS).collect();
            short.push('…');
            Value::String(short)
        }
        v => v.clone(),
    }
}

/// Whether values under this key are never kept: secrets, and header maps
/// (which carry them).
pub fn is_secret_key(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "token",
        "authorization",
        "api_key",
        "apikey",
        "api-key",
        "signature",
        "cookie",
        "credential",
        "private_key",
        "header",
    ];
    let key = key.to_ascii_lowercase();
    WORDS.iter().any(|w| key.contains(w))
}

/// Whether a secret-looking key appears anywhere in `value` (such a
/// payload is never kept as an example).
fn has_secret_key(value: &Value) -> bool {
    match value {
        Value::Object(m) => m.iter().any(|(k, v)| is_secret_key(k) || has_secret_key(v)),
        Value::Array(a) => a.iter().any(has_secret_key),
        _ => false,
    }
}

/// What the catalog knows of one event type.
#[derive(Debug, Clone)]
pub struct TypeEntry {
    pub name: Box<str>,
    /// Events of this type seen (learned or not).
    pub count: u64,
    /// Events learned from.
    pub learned: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The sources it came from (at most [`MAX_SOURCES_PER_TYPE`]).
    pub sources: Vec<Box<str>>,
    /// Learned events whose data was not JSON (learned as a string).
    pub not_json: u64,
    /// Values left out by [`MAX_PATHS_PER_TYPE`] / [`MAX_PATHS_TOTAL`]
    /// (a value at a path not kept, and every value inside it).
    pub paths_dropped: u64,
    /// Objects and arrays below [`MAX_DEPTH`] whose members were not learned.
    pub too_deep: u64,
    /// Up to [`PAYLOAD_EXAMPLES`] whole payloads (the first seen of at most
    /// [`PAYLOAD_EXAMPLE_BYTES`], without secret-looking keys).
    pub payloads: Vec<Value>,
    fields: Vec<Field>,
    index: HashMap<Box<str>, u32>,
    /// The second being learned in ([`Sampling::PerSecond`]), and how many
    /// were learned in it.
    second: i64,
    in_second: u32,
}

impl TypeEntry {
    fn new(name: &str, now: i64) -> TypeEntry {
        TypeEntry {
            name: name.into(),
            count: 0,
            learned: 0,
            first_seen: now,
            last_seen: now,
            sources: Vec::new(),
            not_json: 0,
            paths_dropped: 0,
            too_deep: 0,
            payloads: Vec::new(),
            fields: Vec::new(),
            index: HashMap::new(),
            second: i64::MIN,
            in_second: 0,
        }
    }

    /// The fields, in first-seen order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field at `path`.
    pub fn field(&self, path: &str) -> Option<&Field> {
        self.index.get(path).map(|&i| &self.fields[i as usize])
    }

    /// Values the bounds left out (paths over the cap, members too deep).
    pub fn not_catalogued(&self) -> u64 {
        self.paths_dropped + self.too_deep
    }

    /// Fields (and kinds) first seen after [`NEW_AFTER`] events.
    pub fn new_fields(&self) -> usize {
        self.fields
            .iter()
            .filter(|f| f.is_new() || f.new_kinds().next().is_some())
            .count()
    }

    /// The share of learned events carrying `field`, 0 to 1.
    pub fn presence(&self, field: &Field) -> f64 {
        if self.learned == 0 {
            0.0
        } else {
            field.events as f64 / self.learned as f64
        }
    }

    /// The members of the object at `path` (and its array items, `path/*`).
    pub fn children<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields.iter().filter(move |f| f.parent() == Some(path))
    }

    fn keep_payload(&mut self, len: usize, value: &Value) {
        if len > PAYLOAD_EXAMPLE_BYTES || self.payloads.contains(value) || has_secret_key(value) {
            return;
        }
        if self.payloads.len() < PAYLOAD_EXAMPLES {
            self.payloads.push(value.clone());
        }
    }

    fn add_source(&mut self, source: &str) {
        if self.sources.len() < MAX_SOURCES_PER_TYPE && !self.sources.iter().any(|s| &**s == source) {
            self.sources.push(source.into());
        }
    }
}

/// The catalog of every type. Types are numbered by the caller (the
/// store's interned type ids) or by name ([`Catalog::learn_named`]).
#[derive(Debug, Clone)]
pub struct Catalog {
    types: Vec<Option<TypeEntry>>,
    by_name: HashMap<Box<str>, u32>,
    paths: usize,
    sampling: Sampling,
}

impl Catalog {
    pub fn new(sampling: Sampling) -> Catalog {
        Catalog {
            types: Vec::new(),
            by_name: HashMap::new(),
            paths: 0,
            sampling,
        }
    }

    /// How events are chosen for learning.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// Every type seen, in first-seen order.
    pub fn types(&self) -> impl Iterator<Item = &TypeEntry> {
        self.types.iter().flatten()
    }

    /// The type numbered `id`.
    pub fn get(&self, id: u32) -> Option<&TypeEntry> {
        self.types.get(id as usize).and_then(Option::as_ref)
    }

    /// The type named `name`.
    pub fn by_name(&self, name: &str) -> Option<&TypeEntry> {
        self.types().find(|t| &*t.name == name)
    }

    /// Field paths kept across all types.
    pub fn paths(&self) -> usize {
        self.paths
    }

    /// Count one event of type `name`, numbered `id` by the caller, from
    /// `source`, and learn its `data` unless sampling skips it.
    pub fn learn(&mut self, id: u32, name: &str, source: &str, data: &str, now: i64) {
        let idx = self.count(id, name, source, now);
        if self.sampled_out(idx, now) {
            return;
        }
        let Some(entry) = self.types[idx].as_mut() else {
            return;
        };
        let parsed = serde_json::from_str::<Value>(data);
        let value = match parsed {
            Ok(v) => v,
            Err(_) => {
                entry.not_json += 1;
                Value::String(data.to_owned())
            }
        };
        self.learn_parsed(idx, &value, data.len(), now);
    }

    /// Learn one event's data, already parsed, `len` bytes as text. The
    /// type `idx` has been counted.
    fn learn_parsed(&mut self, idx: usize, value: &Value, len: usize, now: i64) {
        let Some(entry) = self.types[idx].as_mut() else {
            return;
        };
        let seen_before = entry.count - 1;
        let event = entry.learned;
        entry.learned += 1;
        entry.keep_payload(len, value);
        let mut walk = Walk {
            entry,
            paths: &mut self.paths,
            event,
            seen_before,
            now,
        };
        let mut path = String::new();
        walk.value(value, &mut path, 0, false);
    }

    /// [`Catalog::learn`] for data already parsed (a recording's line),
    /// numbering types by name; `len`: the data's size as text.
    pub fn learn_value(&mut self, name: &str, source: &str, value: &Value, len: usize, now: i64) {
        let idx = self.count_named(name, source, now);
        if self.sampled_out(idx, now) {
            return;
        }
        self.learn_parsed(idx, value, len, now);
    }

    /// [`Catalog::learn`] numbering types by name.
    pub fn learn_named(&mut self, name: &str, source: &str, data: &str, now: i64) {
        let id = self.id_of(name);
        self.learn(id, name, source, data, now);
    }

    /// The number of the type `name` when types are numbered by name.
    fn id_of(&mut self, name: &str) -> u32 {
        let next = self.by_name.len() as u32;
        *self.by_name.entry(name.into()).or_insert(next)
    }

    fn count_named(&mut self, name: &str, source: &str, now: i64) -> usize {
        let id = self.id_of(name);
        self.count(id, name, source, now)
    }

    /// Count one event of type `id`; its index.
    fn count(&mut self, id: u32, name: &str, source: &str, now: i64) -> usize {
        let idx = id as usize;
        if self.types.len() <= idx {
            self.types.resize_with(idx + 1, || None);
        }
        let entry = self.types[idx].get_or_insert_with(|| TypeEntry::new(name, now));
        entry.count += 1;
        entry.first_seen = entry.first_seen.min(now);
        entry.last_seen = entry.last_seen.max(now);
        entry.add_source(source);
        idx
    }

    /// Whether sampling leaves the event just counted in type `idx` out.
    fn sampled_out(&mut self, idx: usize, now: i64) -> bool {
        if self.sampling == Sampling::All {
            return false;
        }
        let Some(entry) = self.types[idx].as_mut() else {
            return true;
        };
        let second = now.div_euclid(1000);
        if entry.second != second {
            entry.second = second;
            entry.in_second = 0;
        }
        if entry.in_second >= LEARN_PER_SECOND {
            return true;
        }
        entry.in_second += 1;
        false
    }
}

/// One event's walk through its data.
struct Walk<'a> {
    entry: &'a mut TypeEntry,
    paths: &'a mut usize,
    event: u64,
    seen_before: u64,
    now: i64,
}

impl Walk<'_> {
    /// Record `value` at `path` (depth `depth`, under a secret key or not)
    /// and walk into it.
    fn value(&mut self, value: &Value, path: &mut String, depth: usize, secret: bool) {
        let Some(i) = self.field(path, secret) else {
            self.entry.paths_dropped += values_in(value);
            return;
        };
        self.entry.fields[i].record(value, self.event, self.seen_before);
        let members = match value {
            Value::Object(m) if !m.is_empty() => m.len(),
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => return,
        };
        if depth >= MAX_DEPTH {
            self.entry.too_deep += 1;
            let _ = members;
            return;
        }
        let len = path.len();
        match value {
            Value::Object(m) => {
                for (key, v) in m {
                    path.push('/');
                    escape_into(key, path);
                    self.value(v, path, depth + 1, secret || is_secret_key(key));
                    path.truncate(len);
                }
            }
            Value::Array(a) => {
                path.push_str("/*");
                for v in a {
                    self.value(v, path, depth + 1, secret);
                }
                path.truncate(len);
            }
            _ => {}
        }
    }

    /// The field at `path`, added when the bounds allow.
    fn field(&mut self, path: &str, secret: bool) -> Option<usize> {
        if let Some(&i) = self.entry.index.get(path) {
            return Some(i as usize);
        }
        if self.entry.fields.len() >= MAX_PATHS_PER_TYPE || *self.paths >= MAX_PATHS_TOTAL {
            return None;
        }
        let i = self.entry.fields.len();
        self.entry
            .fields
            .push(Field::new(path, secret, self.now, self.seen_before));
        self.entry.index.insert(path.into(), i as u32);
        *self.paths += 1;
        Some(i)
    }
}

/// How many values `value` holds, itself included.
fn values_in(value: &Value) -> u64 {
    1 + match value {
        Value::Object(m) => m.values().map(values_in).sum(),
        Value::Array(a) => a.iter().map(values_in).sum(),
        _ => 0,
    }
}

/// `key` as a JSON pointer segment (`~` → `~0`, `/` → `~1`).
fn escape_into(key: &str, out: &mut String) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// A JSON pointer segment back to its key.
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests;
