//! Reading a contract file and compiling its schemas, with errors that
//! name the file, the message or type, and what is wrong.
//!
//! The file is JSON or YAML: YAML when its name ends in `.yaml`/`.yml`, or
//! when it does not end in `.json` and does not start with `{`. Its shape
//! decides what it is: an object with an `asyncapi` member is an AsyncAPI
//! document (`contract/asyncapi.rs` finds its messages); any other object
//! maps event types to JSON Schemas.
//!
//! Every schema is checked against the draft-07 meta-schema first (so a
//! typo like `"type": "integr"` is an error naming where it is, not a
//! validator that rejects everything), then compiled once. An AsyncAPI
//! payload is compiled as a `$ref` into the whole document, registered
//! under [`DOC_URI`], so its own `$ref`s (`#/components/schemas/Charge`)
//! resolve against the document as the author meant; references outside
//! the file are errors (the validator is built without its HTTP and file
//! resolvers). Each schema of a type → schema object is a document of its
//! own.

use std::path::{Path, PathBuf};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::asyncapi::{self, Found};
use super::{Contract, TypeSchemas};

/// The URI the AsyncAPI document is registered under for `$ref`s.
pub const DOC_URI: &str = "urn:evtop:contract";

/// Characters kept as they are in a `$ref` fragment: a JSON pointer's
/// separators and the unreserved ones; everything else is percent-encoded.
const FRAGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'~')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Why a contract could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("contract {}: {}{problem}", file.display(), place.as_deref().map(|p| format!("{p}: ")).unwrap_or_default())]
pub struct ContractError {
    /// The contract file.
    pub file: PathBuf,
    /// Where in it: `message "charge.succeeded" at /channels/…`, `type
    /// "charge.succeeded"`, `line 3, column 5`; `None` for the whole file.
    pub place: Option<String>,
    /// What is wrong.
    pub problem: String,
}

/// One schema to compile for a type.
enum Schema<'d> {
    /// A payload inside the AsyncAPI document, by JSON pointer.
    InDoc(String),
    /// A schema that is a document of its own.
    Own(&'d Value),
    /// No payload: any data.
    Any,
}

pub(super) fn load(path: &Path) -> Result<Contract, ContractError> {
    let text = std::fs::read_to_string(path).map_err(|e| ContractError {
        file: path.to_owned(),
        place: None,
        problem: format!("cannot read: {e}"),
    })?;
    from_text(&text, path)
}

pub(super) fn from_text(text: &str, path: &Path) -> Result<Contract, ContractError> {
    let error = |place: Option<String>, problem: String| ContractError {
        file: path.to_owned(),
        place,
        problem,
    };
    let doc = parse(text, path).map_err(|(place, problem)| error(place, problem))?;
    let Value::Object(map) = &doc else {
        return Err(error(
            None,
            format!(
                "expected an AsyncAPI document or a JSON object of event type → JSON Schema, got {}",
                super::reasons::kind_of(&doc)
            ),
        ));
    };
    let mut entries: Vec<(String, Option<String>, Schema<'_>)> = Vec::new();
    if map.contains_key("asyncapi") {
        let found = asyncapi::messages(&doc).map_err(|(place, problem)| error(place, problem))?;
        for Found { ty, at, payload } in found {
            let place = Some(format!("message {ty:?} at {at}"));
            let schema = payload.map_or(Schema::Any, Schema::InDoc);
            entries.push((ty, place, schema));
        }
    } else {
        if let Some(key) = ["channels", "components", "operations"]
            .into_iter()
            .find(|k| map.get(*k).is_some_and(Value::is_object))
        {
            return Err(error(
                None,
                format!("has `{key}` but no `asyncapi` version: add one, like \"asyncapi\": \"3.0.0\""),
            ));
        }
        if map.is_empty() {
            return Err(error(None, "names no event types".to_owned()));
        }
        for (ty, schema) in map {
            let place = Some(format!("type {ty:?}"));
            if !(schema.is_object() || schema.is_boolean()) {
                return Err(error(
                    place,
                    format!(
                        "expected a JSON Schema (an object, or true/false), got {}",
                        super::reasons::kind_of(schema)
                    ),
                ));
            }
            entries.push((ty.clone(), place, Schema::Own(schema)));
        }
    }
    compile(&doc, entries, path)
}

/// Parse the file's text as JSON or YAML into one JSON value.
fn parse(text: &str, path: &Path) -> Result<Value, (Option<String>, String)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let yaml = ext == "yaml" || ext == "yml" || (ext != "json" && !text.trim_start().starts_with('{'));
    if yaml {
        yaml_serde::from_str::<Value>(text).map_err(|e| {
            let place = e
                .location()
                .map(|l| format!("line {}, column {}", l.line(), l.column()));
            (place, format!("not valid YAML: {e}"))
        })
    } else {
        serde_json::from_str::<Value>(text).map_err(|e| {
            let full = e.to_string();
            let msg = full.split(" at line ").next().unwrap_or(&full);
            (
                Some(format!("line {}, column {}", e.line(), e.column())),
                format!("not valid JSON: {msg}"),
            )
        })
    }
}

/// Check and compile every schema, grouping them by type.
fn compile(
    doc: &Value,
    entries: Vec<(String, Option<String>, Schema<'_>)>,
    path: &Path,
) -> Result<Contract, ContractError> {
    let error = |place: &Option<String>, problem: String| ContractError {
        file: path.to_owned(),
        place: place.clone(),
        problem,
    };
    let needs_registry = entries.iter().any(|(_, _, s)| matches!(s, Schema::InDoc(_)));
    let registry = if needs_registry {
        check_components(doc).map_err(|(place, problem)| error(&place, problem))?;
        let registry = Registry::new()
            .draft(Draft::Draft7)
            .add(DOC_URI, doc)
            .and_then(|b| b.prepare())
            .map_err(|e| error(&None, format!("cannot index the document's schemas: {e}")))?;
        Some(registry)
    } else {
        None
    };
    let mut contract = Contract {
        path: path.to_owned(),
        index: Default::default(),
        types: Vec::new(),
    };
    // (type index, the schema's identity) already compiled: the same message
    // reached from several channels is compiled once.
    let mut seen: Vec<(u32, Value)> = Vec::new();
    for (ty, place, schema) in entries {
        let (identity, validator) = match &schema {
            Schema::InDoc(pointer) => {
                let Some(payload) = doc.pointer(pointer) else {
                    return Err(error(&place, format!("no payload at {pointer}")));
                };
                meta_check(payload, pointer).map_err(|p| error(&place, p))?;
                let wrapper = serde_json::json!({
                    "$ref": format!("{DOC_URI}#{}", utf8_percent_encode(pointer, FRAGMENT))
                });
                let options = options();
                let options = match &registry {
                    Some(r) => options.with_registry(r),
                    None => options,
                };
                let v = options
                    .build(&wrapper)
                    .map_err(|e| error(&place, build_problem(&e)))?;
                (payload.clone(), v)
            }
            Schema::Own(schema) => {
                meta_check(schema, "").map_err(|p| error(&place, p))?;
                let v = options()
                    .build(schema)
                    .map_err(|e| error(&place, build_problem(&e)))?;
                ((*schema).clone(), v)
            }
            Schema::Any => (
                Value::Bool(true),
                options()
                    .build(&Value::Bool(true))
                    .map_err(|e| error(&place, build_problem(&e)))?,
            ),
        };
        let i = match contract.index.get(ty.as_str()) {
            Some(&i) => i,
            None => {
                let i = contract.types.len() as u32;
                contract.index.insert(ty.as_str().into(), i);
                contract.types.push(TypeSchemas {
                    name: ty.into(),
                    validators: Vec::new(),
                });
                i
            }
        };
        if seen.iter().any(|(t, s)| *t == i && *s == identity) {
            continue;
        }
        seen.push((i, identity));
        contract.types[i as usize].validators.push(validator);
    }
    Ok(contract)
}

/// How every schema is compiled: draft-07, `format` not asserted.
fn options<'i>() -> jsonschema::ValidationOptions<'i> {
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(false)
}

/// A schema checked against the draft-07 meta-schema; the problem names
/// where in the file (`at` is the schema's own pointer).
fn meta_check(schema: &Value, at: &str) -> Result<(), String> {
    jsonschema::draft7::meta::validate(schema).map_err(|e| {
        let inner = e.instance_path().as_str();
        let at = format!("{at}{inner}");
        let at = if at.is_empty() { "/".to_owned() } else { at };
        format!("invalid schema at {at}: {e}")
    })
}

/// The AsyncAPI document's `components/schemas`, each checked against the
/// meta-schema: payloads reach them through `$ref`s.
fn check_components(doc: &Value) -> Result<(), (Option<String>, String)> {
    let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") else {
        return Ok(());
    };
    for (name, schema) in schemas {
        let at = format!("/components/schemas/{}", asyncapi::escape(name));
        if schema.get("schemaFormat").is_some() && schema.get("schema").is_some() {
            continue; // a multi-format schema object: its format is checked where used
        }
        meta_check(schema, &at).map_err(|p| (Some(format!("schema {name:?}")), p))?;
    }
    Ok(())
}

/// What a failed build says: an unresolvable `$ref`, or an invalid schema.
fn build_problem(e: &ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::Referencing(r) => {
            let text = r.to_string();
            let text = text.replace(DOC_URI, "");
            format!("unresolvable $ref: {text} (only references inside the contract file are followed)")
        }
        _ => {
            let at = e.instance_path().as_str();
            format!("invalid schema at {}: {e}", if at.is_empty() { "/" } else { at })
        }
    }
}
