//! The filter language of the TUI's `/` prompt and `--filter` (SPEC §5):
//! parsing an expression once, then matching it against events. Pure: no
//! I/O, no clock, no global state.
//!
//! # The language
//!
//! An expression is a list of *terms* separated by ASCII whitespace; an event
//! matches when every term holds. Empty or whitespace-only input matches
//! everything.
//!
//! | term | holds when |
//! | --- | --- |
//! | `type:GLOB` | the event type matches the glob |
//! | `source:GLOB` | the event's source name matches the glob |
//! | `.path OP VALUE` | a field of the JSON data compares with VALUE |
//! | `.path` | the JSON data has that field (any value, `null` included) |
//! | `word`, `"two words"` | case-insensitive substring of the type, the id or the raw data |
//! | `verified:true` / `false` / `none` | a webhook delivery's verification |
//! | `attempt OP N` | a webhook delivery's attempt number (`attempt>1`: redeliveries) |
//! | `forward:2xx` / `forward:502` | what the app behind a webhook's `forward_to` answered |
//! | `drift` | the event failed its `--contract` (SPEC 10; never without one) |
//! | `since:DUR` | received within the last DUR: `received >= now - DUR` |
//! | `until:DUR` | received at least DUR ago: `received <= now - DUR` |
//! | `received OP T` | when evtop received it compares with T; OP is `>` `>=` `<` `<=` |
//! | `time OP T` | the event's own time (`time_pointer`) compares with T; never holds without one |
//! | `-TERM` | the term does not hold |
//!
//! Webhook terms (`filter/meta.rs`) never hold for events of other kinds of
//! source. A term that looks like a keyword or a comparison but is not
//! (`typ:x`, `Type:x`, `amount>5`, `drift:x`, `time:x`) is an error
//! suggesting what was meant (`filter/guard.rs`): a typo never becomes a
//! silent word search. Quoted text is always a word (`"a=b"`).
//! [`FILTER_HELP`] is the user-facing summary (`evtop help filter`, `?`).
//!
//! * **Time** (`filter/time.rs`, SPEC 11.1): DUR is a humantime duration
//!   in whole milliseconds (`500ms`, `30s`, `5m`, `2h`, `1d`, `1h30m`); T is
//!   an RFC 3339 time with any offset and fraction (compared exactly, not
//!   rounded to the millisecond) or a UTC clock time of today,
//!   `HH:MM[:SS[.fff]]`, today being the UTC date of now. The filter reads
//!   no clock: "now" is what the caller last gave [`Filter::set_now`] (from
//!   [`crate::store::Store::clock`]: the wall clock, or a replay's clock),
//!   and [`Filter::is_relative`] says whether the verdict depends on it.
//!
//! * **Quoting.** Any part of a term may be double-quoted (`"two words"`,
//!   `.name="a b"`, `."a.b".c`, `-"two words"`). Inside quotes `\"` and `\\`
//!   are escapes and every other character, backslash included, is itself
//!   (so `.x~"\d+ ms"` is the regex `\d+ ms`). Quoted characters never take a
//!   special meaning: a quoted `-`, `.`, `type:`, operator, `*` or `?` is
//!   just text. An unterminated quote is an error.
//! * **Globs** (`type:`, `source:`) are case-insensitive and must match the
//!   whole name; `*` is any run of characters (dots and nothing included),
//!   `?` is one character. The *positive* `type:` terms form one group that
//!   holds when any of them matches (`type:charge.* type:invoice.*` is
//!   "charges or invoices"); likewise the positive `source:` terms. Each group
//!   is AND-ed with the rest. A negated `-type:`/`-source:` term is an
//!   ordinary AND-ed term, so `type:a.* -type:a.b` means "under `a.` but not
//!   `a.b`". Keywords are lower-case: `Type:x` is an error.
//! * **Field paths**: a term whose first unquoted character is `.` is a field
//!   term (quote it, `".5"`, to search for text instead). Paths start at the
//!   data root and are dot-separated: `.status` is `data["status"]`,
//!   `.data.object.amount` is `data["data"]["object"]["amount"]`. An
//!   unquoted all-digit segment also indexes arrays (`.items.0.price`), `[N]`
//!   is another spelling of `.N` (`.items[0].price`, `.[0]` at the root), and
//!   a quoted segment is always an object key (`."a.b".c`, `."0"`). `[*]` is
//!   every element of an array: `.items[*].sku=A1` holds when any item's
//!   `sku` is `A1`, `.items[*].sku!=A1` when none is, `.items[*].sku` when
//!   any item has one (the catalog's `/items/*/sku`).
//! * **Existence**: a field term without an operator (`.data.object.amount`)
//!   holds when the path finds a value, whatever it is; `-.path` when it
//!   finds none. The catalog view's `f` on a field writes one.
//! * **Operators** are `=` `!=` `>=` `<=` `>` `<` `~`: the first unquoted
//!   operator character after the path starts the operator, longest match
//!   first, and the rest of the term is the value. A value that itself starts
//!   with an operator character must be quoted (`.x=">"`), so a typo like
//!   `.amount>>1` or `.x=>1` is an error instead of a silent string compare;
//!   so is a lone `!` (path segments holding one must be quoted). Only `=`
//!   and `!=` accept an empty value (`.note=` is "is the empty string"); `~`
//!   takes a regex (`regex` crate syntax, case-sensitive unless it says
//!   `(?i)`), searched anywhere in the field's text.
//!
//! # Comparison
//!
//! When the data is not JSON or the path finds nothing, every operator is
//! false except `!=`, which is true: `.a!=v` is always exactly `-.a=v`
//! (with `[*]`, too: `!=` holds when no element's value equals).
//!
//! * `=`: a JSON number equals VALUE when VALUE parses as the same number
//!   (`.amount=1200` matches `1200` and `1200.0`; integers compare exactly,
//!   beyond `f64` precision); a string equals VALUE exactly; `true`, `false`
//!   and `null` equal those words; objects and arrays equal their compact
//!   JSON text, keys in the order of the event's own document (the build
//!   turns on serde_json's `preserve_order`, so the state view shows keys
//!   as they arrived).
//! * `>` `>=` `<` `<=`: numeric when the field is a number, or a string that
//!   parses as one, and VALUE parses as a number; otherwise a lexicographic
//!   compare when the field is a string (so RFC 3339 times order correctly);
//!   otherwise false.
//! * `~`: the regex is searched in a string field's text, or in the compact
//!   JSON of any other value.
//!
//! # Why this design
//!
//! The filter runs over up to a million buffered events while the user types,
//! so all the work that can be done once is done in [`Filter::parse`]: globs,
//! words and regexes become compiled [`Regex`]es, numbers in values are parsed
//! up front, and terms are ordered cheapest first (type/source, then words,
//! then fields) so most events are rejected before their data is touched.
//! The JSON data is parsed lazily, at most once per [`Filter::matches`] call
//! and only when a field term is reached. [`Filter::needs_data`] and
//! [`Filter::matches_type_source`] let callers skip even that, e.g. by caching
//! a result per (type, source) pair. Errors name the offending term because
//! the prompt shows them verbatim while keeping the previous filter.

mod guard;
mod help;
mod meta;
mod parse;
#[cfg(test)]
mod tests;
mod time;

pub use guard::nearest_word;
pub use help::FILTER_HELP;
pub use time::Window;

use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use crate::event::EventRef;

/// Why an expression could not be parsed: the first bad term, exactly as the
/// user wrote it, and a short lower-case reason saying what was expected.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("bad filter term `{term}`: {reason}")]
pub struct FilterError {
    /// The offending term as written (from its first character to its last;
    /// for an unterminated quote, to the end of the expression).
    pub term: String,
    /// What is wrong and what was expected.
    pub reason: String,
}

/// A compiled filter expression. Cheap to clone (compiled regexes are shared)
/// and safe to use from several threads.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The expression it was parsed from, trimmed of ASCII whitespace.
    text: String,
    /// Positive `type:` globs; OR-ed; empty means no constraint.
    types: Vec<Glob>,
    /// Positive `source:` globs; OR-ed; empty means no constraint.
    sources: Vec<Glob>,
    /// Every other term, AND-ed, cheapest first (see [`Test::cost`]).
    terms: Vec<Term>,
    /// "Now" for the time terms, unix ms ([`Filter::set_now`]; 0 until set).
    now: i64,
}

/// The empty filter: matches every event.
impl Default for Filter {
    fn default() -> Self {
        Filter {
            text: String::new(),
            types: Vec::new(),
            sources: Vec::new(),
            terms: Vec::new(),
            now: 0,
        }
    }
}

/// One AND-ed term: a test and whether it was negated with `-`.
#[derive(Debug, Clone)]
struct Term {
    negated: bool,
    test: Test,
}

/// What a single term checks.
#[derive(Debug, Clone)]
enum Test {
    /// `type:GLOB`.
    Type(Glob),
    /// `source:GLOB`.
    Source(Glob),
    /// `word` / `"two words"`: `(?i)` + the escaped word.
    Word(Regex),
    /// `.path OP VALUE`.
    Field(Field),
    /// `verified:`, `attempt OP N`, `forward:`: webhook metadata.
    Meta(meta::Meta),
    /// `drift`: the event failed its contract ([`EventRef::drift`]).
    Drift,
    /// `since:`, `until:`, `received OP T`, `time OP T` (`filter/time.rs`).
    Time(time::TimeTest),
}

/// What a filter's `drift` / `-drift` terms ask of an event's drift verdict,
/// apart from the rest of the filter ([`Filter::split_drift`]): so a caller
/// that must validate to know (`tail`'s printer) validates only the events
/// the rest lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftRule {
    /// No drift term.
    Any,
    /// `drift`: only events that drifted.
    Drifted,
    /// `-drift`: only events that did not.
    Clean,
    /// Both: nothing.
    Never,
}

impl DriftRule {
    /// Whether an event with this verdict passes.
    pub fn allows(self, drifted: bool) -> bool {
        match self {
            DriftRule::Any => true,
            DriftRule::Drifted => drifted,
            DriftRule::Clean => !drifted,
            DriftRule::Never => false,
        }
    }
}

/// A whole-string, case-insensitive glob compiled to an anchored regex,
/// with the pieces it was written as (for [`Filter::required_types`]).
#[derive(Debug, Clone)]
struct Glob {
    re: Regex,
    parts: Vec<GlobPart>,
}

/// One piece of a `type:` glob as written, for a source that translates
/// the filter into its server's own terms ([`Filter::required_types`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobPart {
    /// Literal text (quoted wildcards included), matched case-insensitively.
    Text(String),
    /// `*`: any run of characters, dots and nothing included.
    AnyRun,
    /// `?`: any one character.
    AnyChar,
}

/// A field term: where to look and how to compare.
#[derive(Debug, Clone)]
struct Field {
    path: Vec<Segment>,
    cmp: Cmp,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
struct Segment {
    /// The object key this step looks up.
    key: String,
    /// The array index this step takes, for an unquoted all-digit segment or
    /// a `[N]`; `None` means the step never indexes arrays.
    index: Option<usize>,
    /// `[*]`: every element of an array (the term holds when it holds for
    /// any of them); never an object key.
    any: bool,
}

/// A field term's operator with its prepared value.
#[derive(Debug, Clone)]
enum Cmp {
    /// No operator: the path finds a value (`null` included).
    Exists,
    Eq(Operand),
    Ne(Operand),
    Order(OrderOp, Operand),
    Regex(Regex),
}

/// The four ordering operators.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OrderOp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison value as written, with its number parsed once up front.
#[derive(Debug, Clone)]
struct Operand {
    text: String,
    num: Option<Num>,
}

/// A number from a value or from the data. Integers are kept exact so that
/// ids beyond 2^53 compare correctly; anything else is a finite `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Filter {
    /// Parse an expression; empty/whitespace-only input gives a filter
    /// matching everything. The first bad term is the error; see the module
    /// docs for the language.
    pub fn parse(expr: &str) -> Result<Filter, FilterError> {
        let text = expr.trim_matches(|c: char| c.is_ascii_whitespace());
        let mut filter = Filter {
            text: text.to_owned(),
            types: Vec::new(),
            sources: Vec::new(),
            terms: Vec::new(),
            now: 0,
        };
        for raw in parse::split(text)? {
            match parse::term(&raw)? {
                Term {
                    negated: false,
                    test: Test::Type(glob),
                } => filter.types.push(glob),
                Term {
                    negated: false,
                    test: Test::Source(glob),
                } => filter.sources.push(glob),
                term => filter.terms.push(term),
            }
        }
        // Stable: terms of one kind keep the order the user wrote them in.
        filter.terms.sort_by_key(|t| t.test.cost());
        Ok(filter)
    }

    /// Whether the event satisfies every term. Parses the event's JSON data
    /// at most once, and only if a field term is reached.
    pub fn matches(&self, ev: &EventRef<'_>) -> bool {
        self.eval(ev, &mut LazyData::new(ev))
    }

    /// Whether the filter has no terms (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.sources.is_empty() && self.terms.is_empty()
    }

    /// The expression this filter was parsed from, trimmed of ASCII
    /// whitespace: what the prompt shows as the current filter.
    pub fn source_text(&self) -> &str {
        &self.text
    }

    /// Whether any term looks inside data (field terms or word terms) — lets
    /// callers skip work. A filter of only `type:`/`source:` terms says no.
    pub fn needs_data(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t.test, Test::Word(_) | Test::Field(_)))
    }

    /// Decide on type and source alone when the filter has only
    /// `type:`/`source:` terms (possibly negated): `Some(result)`, the same
    /// answer [`Filter::matches`] gives for any event with that type and
    /// source; an empty filter gives `Some(true)`. When any term looks at
    /// data: `None`. Used to cache results per (type, source).
    pub fn matches_type_source(&self, ty: &str, source: &str) -> Option<bool> {
        let mut result = any_match(&self.types, ty) && any_match(&self.sources, source);
        for term in &self.terms {
            let held = match &term.test {
                Test::Type(glob) => glob.is_match(ty),
                Test::Source(glob) => glob.is_match(source),
                Test::Word(_) | Test::Field(_) | Test::Meta(_) | Test::Drift | Test::Time(_) => return None,
            };
            result &= held != term.negated;
        }
        Some(result)
    }

    /// What type and source alone decide, for callers that cache a verdict
    /// per (type, source): `Some(false)` when no event with them can match,
    /// `Some(true)` when every event with them matches, `None` when other
    /// terms must look at the event itself.
    pub fn decide_type_source(&self, ty: &str, source: &str) -> Option<bool> {
        if !(any_match(&self.types, ty) && any_match(&self.sources, source)) {
            return Some(false);
        }
        let mut undecided = false;
        for term in &self.terms {
            let held = match &term.test {
                Test::Type(glob) => glob.is_match(ty),
                Test::Source(glob) => glob.is_match(source),
                _ => {
                    undecided = true;
                    continue;
                }
            };
            if held == term.negated {
                return Some(false);
            }
        }
        (!undecided).then_some(true)
    }

    /// The globs of which the type of every event this filter matches
    /// matches at least one (case-insensitively, see [`GlobPart`]): its
    /// positive `type:` terms, which are OR-ed with each other and AND-ed
    /// with everything else. `None` when it has none: any type may match.
    /// A source may ask its server for a superset of these (a NATS subject
    /// filter) and so receive no less than what is shown.
    pub fn required_types(&self) -> Option<Vec<&[GlobPart]>> {
        (!self.types.is_empty()).then(|| self.types.iter().map(|g| g.parts.as_slice()).collect())
    }

    /// Whether an event from the source named `source` can match, judged
    /// on the `source:` terms alone: one of the positive ones (OR-ed; none
    /// means any source) matches the name and no negated one does. What an
    /// alert watches for liveness ([`crate::alert`]).
    pub fn may_match_source(&self, source: &str) -> bool {
        any_match(&self.sources, source)
            && !self
                .terms
                .iter()
                .any(|t| t.negated && matches!(&t.test, Test::Source(g) if g.is_match(source)))
    }

    /// Whether any term is `drift` or `-drift`.
    pub fn has_drift_terms(&self) -> bool {
        self.terms.iter().any(|t| matches!(t.test, Test::Drift))
    }

    /// The filter without its `drift` terms, and what those asked: an event
    /// matches this filter exactly when it matches the rest and the rule
    /// allows its verdict (the terms are AND-ed).
    pub fn split_drift(&self) -> (Filter, DriftRule) {
        let mut rest = self.clone();
        rest.terms.retain(|t| !matches!(t.test, Test::Drift));
        let mut rule = DriftRule::Any;
        for t in self.terms.iter().filter(|t| matches!(t.test, Test::Drift)) {
            let want = if t.negated {
                DriftRule::Clean
            } else {
                DriftRule::Drifted
            };
            rule = match rule {
                DriftRule::Any => want,
                r if r == want => r,
                _ => DriftRule::Never,
            };
        }
        (rest, rule)
    }

    /// [`Filter::matches`] with the lazily parsed data supplied by the caller
    /// (so tests can see whether and how often it was parsed).
    fn eval(&self, ev: &EventRef<'_>, data: &mut LazyData<'_>) -> bool {
        any_match(&self.types, ev.ty)
            && any_match(&self.sources, ev.source)
            && self
                .terms
                .iter()
                .all(|t| t.test.holds(ev, data, self.now) != t.negated)
    }
}

/// An OR group of globs: holds when it is empty or any glob matches.
fn any_match(globs: &[Glob], name: &str) -> bool {
    globs.is_empty() || globs.iter().any(|g| g.is_match(name))
}

impl Glob {
    fn is_match(&self, name: &str) -> bool {
        self.re.is_match(name)
    }
}

impl Test {
    /// Evaluation order: what needs no data first, whole-text scans next,
    /// JSON parsing last.
    fn cost(&self) -> u8 {
        match self {
            Test::Type(_) | Test::Source(_) | Test::Meta(_) | Test::Drift | Test::Time(_) => 0,
            Test::Word(_) => 1,
            Test::Field(_) => 2,
        }
    }

    /// Whether the (un-negated) test holds for the event at `now`.
    fn holds(&self, ev: &EventRef<'_>, data: &mut LazyData<'_>, now: i64) -> bool {
        match self {
            Test::Type(glob) => glob.is_match(ev.ty),
            Test::Source(glob) => glob.is_match(ev.source),
            Test::Word(re) => {
                re.is_match(ev.ty) || ev.id.is_some_and(|id| re.is_match(id)) || re.is_match(ev.data)
            }
            Test::Field(field) => field.holds(data.value()),
            Test::Meta(meta) => meta.holds(ev.meta),
            Test::Drift => ev.drift,
            Test::Time(t) => t.holds(ev, now),
        }
    }
}

/// An event's data, parsed as JSON on first use and at most once.
struct LazyData<'a> {
    text: &'a str,
    json: bool,
    /// `None`: not parsed yet; `Some(None)`: not JSON (or not parseable).
    value: Option<Option<Value>>,
    /// How many times the text was actually parsed.
    #[cfg(test)]
    parses: usize,
}

impl<'a> LazyData<'a> {
    fn new(ev: &EventRef<'a>) -> Self {
        LazyData {
            text: ev.data,
            json: ev.json,
            value: None,
            #[cfg(test)]
            parses: 0,
        }
    }

    /// The parsed data, or `None` when the event's data is not JSON. Trusts
    /// the event's `json` flag (decided at ingest) to skip non-JSON text.
    fn value(&mut self) -> Option<&Value> {
        if self.value.is_none() {
            let parsed = if self.json {
                #[cfg(test)]
                {
                    self.parses += 1;
                }
                serde_json::from_str(self.text).ok()
            } else {
                None
            };
            self.value = Some(parsed);
        }
        self.value.as_ref().and_then(Option::as_ref)
    }
}

impl Field {
    /// Whether the comparison holds given the event's parsed data (`None`
    /// when it is not JSON). With `[*]` in the path, whether it holds for
    /// any value the path finds (and `!=` whether none equals).
    fn holds(&self, data: Option<&Value>) -> bool {
        let found = |test: &mut dyn FnMut(&Value) -> bool| data.is_some_and(|v| any_at(v, &self.path, test));
        match &self.cmp {
            Cmp::Exists => found(&mut |_| true),
            Cmp::Ne(rhs) => !found(&mut |v| equals(v, rhs)),
            Cmp::Eq(rhs) => found(&mut |v| equals(v, rhs)),
            Cmp::Order(op, rhs) => found(&mut |v| compare(v, rhs).is_some_and(|o| op.holds(o))),
            Cmp::Regex(re) => found(&mut |v| match v {
                Value::String(s) => re.is_match(s),
                v => re.is_match(&v.to_string()),
            }),
        }
    }
}

/// Follow a path from `value`: keys into objects, indexes into arrays,
/// `[*]` into every element; whether `test` holds for a value it finds.
fn any_at(value: &Value, path: &[Segment], test: &mut dyn FnMut(&Value) -> bool) -> bool {
    let Some((seg, rest)) = path.split_first() else {
        return test(value);
    };
    match value {
        Value::Array(items) if seg.any => items.iter().any(|v| any_at(v, rest, test)),
        Value::Object(map) if !seg.any => map.get(&seg.key).is_some_and(|v| any_at(v, rest, test)),
        Value::Array(items) => seg
            .index
            .and_then(|i| items.get(i))
            .is_some_and(|v| any_at(v, rest, test)),
        _ => false,
    }
}

/// `=`: see the module docs for how each kind of JSON value compares.
fn equals(v: &Value, rhs: &Operand) -> bool {
    match v {
        Value::Number(n) => rhs
            .num
            .is_some_and(|r| Num::from_json(n).order(r) == Some(Ordering::Equal)),
        Value::String(s) => *s == rhs.text,
        Value::Bool(b) => rhs.text == if *b { "true" } else { "false" },
        Value::Null => rhs.text == "null",
        // Not `*v == rhs.text`: serde_json's `Value == String` asks whether
        // the value is that JSON string, which an object never is.
        Value::Array(_) | Value::Object(_) => {
            rhs.text.starts_with(['[', '{']) && serde_json::to_string(v).is_ok_and(|json| json == rhs.text)
        }
    }
}

/// `>` `>=` `<` `<=`: how the field orders against the value, if it does.
fn compare(v: &Value, rhs: &Operand) -> Option<Ordering> {
    match v {
        Value::Number(n) => Num::from_json(n).order(rhs.num?),
        Value::String(s) => match (Num::parse(s), rhs.num) {
            (Some(l), Some(r)) => l.order(r),
            _ => Some(s.as_str().cmp(rhs.text.as_str())),
        },
        _ => None,
    }
}

impl OrderOp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            OrderOp::Gt => o == Ordering::Greater,
            OrderOp::Ge => o != Ordering::Less,
            OrderOp::Lt => o == Ordering::Less,
            OrderOp::Le => o != Ordering::Greater,
        }
    }
}

impl Num {
    /// A number written as text: an integer exactly, else a finite float
    /// (`1e3`, `-0.5`); `inf`, `NaN` and anything else are not numbers.
    fn parse(s: &str) -> Option<Num> {
        if let Ok(i) = s.parse::<i128>() {
            return Some(Num::Int(i));
        }
        s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Num::Float)
    }

    fn from_json(n: &serde_json::Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i.into())
        } else if let Some(u) = n.as_u64() {
            Num::Int(u.into())
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn order(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}
