//! Contracts and drift (SPEC 10): `--contract FILE` names, per event type,
//! the JSON Schema its `data` must satisfy; an event of a type the contract
//! does not name, or whose data fails its type's schema, is a *drift*.
//!
//! - [`Contract::load`] reads an AsyncAPI document (3.0 as `evtop catalog`
//!   writes it or as written by hand, 2.x too; JSON or YAML) or a JSON object
//!   of type → JSON Schema, and compiles every schema once, with the
//!   `jsonschema` crate, as draft-07 (`contract/load.rs`). A bad file is an
//!   error naming the file, the message or type, and what is wrong.
//! - [`Contract::drifts`] is the verdict alone (`is_valid`, no error texts):
//!   what the store needs for every event it takes in.
//!   [`Contract::reasons`] says why, one line per validation error
//!   (`/amount: expected integer, got string`, at most [`MAX_REASONS`] and
//!   then `+N more`; `contract/reasons.rs`): what NDJSON lines and the detail
//!   pane show, computed only for the events shown or printed.
//!
//! Data that is JSON is checked as that JSON value; any other data as a JSON
//! string holding it. `format` is not asserted (an annotation, as in JSON
//! Schema 2019-09 and later and in most validators' draft-07 defaults): a
//! learned `"format": "uuid"` says what the values seen so far looked like,
//! and a contract that needs a shape can say so with `pattern`.
//!
//! Reasons quote paths and values from event data: they are inert only once
//! [`crate::sanitize::inert`] has made them so, wherever they reach a
//! terminal. Everything here is pure and `Send + Sync`: the store, the
//! printer thread and the TUI share one `Arc<Contract>`.

mod asyncapi;
mod load;
mod reasons;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use rustc_hash::FxHasher;
use serde_json::Value;

pub use load::ContractError;

/// Reasons listed for one drifted event; the rest are counted (`+N more`).
pub const MAX_REASONS: usize = 5;
/// The reason of an event whose type the contract does not name.
pub const NOT_IN_CONTRACT: &str = "type not in the contract";

/// A loaded contract: compiled validators by event type.
pub struct Contract {
    /// The file it was loaded from, for messages.
    path: PathBuf,
    /// Type name → index into `types`.
    index: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    types: Vec<TypeSchemas>,
}

/// The schemas one event type must satisfy. Usually one; a type named by
/// several messages (the same event on several channels, or versions of it)
/// passes when its data satisfies any of them.
struct TypeSchemas {
    name: Box<str>,
    validators: Vec<jsonschema::Validator>,
}

/// Where a type's schemas are in a [`Contract`]: looked up once per type
/// and kept by callers that intern types (the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeRef(u32);

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("path", &self.path)
            .field("types", &self.types.iter().map(|t| &t.name).collect::<Vec<_>>())
            .finish()
    }
}

impl Contract {
    /// Read and compile a contract file. Blocking file I/O: call it before
    /// the runtime starts (as `main` does) or off the runtime's threads.
    pub fn load(path: &Path) -> Result<Contract, ContractError> {
        load::load(path)
    }

    /// A contract from text (`path` names it in errors and says whether it
    /// is YAML, by its extension).
    pub fn from_text(text: &str, path: &Path) -> Result<Contract, ContractError> {
        load::from_text(text, path)
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The event types the contract names, in the order first named.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        self.types.iter().map(|t| &*t.name)
    }

    /// Where `ty`'s schemas are; `None`: the contract does not name it.
    pub fn lookup(&self, ty: &str) -> Option<TypeRef> {
        self.index.get(ty).map(|&i| TypeRef(i))
    }

    /// Whether an event of type `ty` with this data drifts: true for a type
    /// the contract does not name. See [`Contract::drifts_at`].
    pub fn drifts(&self, ty: &str, data: &str, json: bool) -> bool {
        self.drifts_at(self.lookup(ty), data, json)
    }

    /// [`Contract::drifts`] with the type already looked up: the data is
    /// parsed once and checked without building any error text.
    pub fn drifts_at(&self, at: Option<TypeRef>, data: &str, json: bool) -> bool {
        let Some(TypeRef(i)) = at else {
            return true;
        };
        let value = instance(data, json);
        !self.types[i as usize]
            .validators
            .iter()
            .any(|v| v.is_valid(&value))
    }

    /// Why an event drifts: empty when it does not. `["type not in the
    /// contract"]` for a type it does not name; else one line per
    /// validation error of the schema it came closest to (fewest errors), at
    /// most [`MAX_REASONS`] and a last `+N more`.
    pub fn reasons(&self, ty: &str, data: &str, json: bool) -> Vec<String> {
        let Some(TypeRef(i)) = self.lookup(ty) else {
            return vec![NOT_IN_CONTRACT.to_owned()];
        };
        let value = instance(data, json);
        let validators = &self.types[i as usize].validators;
        if validators.iter().any(|v| v.is_valid(&value)) {
            return Vec::new();
        }
        validators
            .iter()
            .map(|v| reasons::collect(v.iter_errors(&value)))
            .min_by_key(|(_, total)| *total)
            .map(|(lines, _)| lines)
            .unwrap_or_default()
    }
}

/// What a schema is checked against: the data's JSON value when it is JSON,
/// else the text as a JSON string.
fn instance(data: &str, json: bool) -> Value {
    if json {
        if let Ok(v) = serde_json::from_str(data) {
            return v;
        }
    }
    Value::String(data.to_owned())
}
