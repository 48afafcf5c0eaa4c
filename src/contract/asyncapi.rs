//! Finding the messages of an AsyncAPI document and where their payload
//! schemas are.
//!
//! - 3.x: every message under `channels/*/messages/*` and
//!   `components/messages/*` (channels and messages may be `$ref`s).
//! - 2.x: every message of `channels/*/subscribe|publish/message` (a
//!   message, a `$ref` or `oneOf` a list of them) and
//!   `components/messages/*`.
//!
//! A message's event type is its `name` (what `evtop catalog` writes: the
//! event type exactly), else its `messageId` (2.x), else the key it is
//! defined under. Its schema is `payload`, or `payload/schema` when the
//! payload is a multi-format schema object; a `schemaFormat` other than
//! AsyncAPI's own or JSON Schema draft-07 is an error, since evtop could
//! not check it. A message without a payload lets any data through.
//!
//! Message and channel `$ref`s are followed here, inside the file only;
//! `$ref`s inside payload schemas are left to the validator, which resolves
//! them against the whole document (`contract/load.rs`).

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Longest chain of `$ref`s followed to reach a message or channel.
const MAX_REF_HOPS: usize = 32;

/// A message found in the document.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    /// The event type it describes.
    pub ty: String,
    /// JSON pointer of the message object (after `$ref`s), for messages.
    pub at: String,
    /// JSON pointer of its payload schema; `None`: no payload.
    pub payload: Option<String>,
}

/// What went wrong, and where (a JSON pointer or a message) when known.
pub(super) type Problem = (Option<String>, String);

/// The messages of an AsyncAPI document, in document order.
pub(super) fn messages(doc: &Value) -> Result<Vec<Found>, Problem> {
    let version = match doc.get("asyncapi") {
        Some(Value::String(v)) => v.as_str(),
        _ => {
            return Err((
                None,
                "`asyncapi` must be the version string, like \"3.0.0\"".to_owned(),
            ));
        }
    };
    let mut found = Vec::new();
    match version.split('.').next() {
        Some("3") => {
            for (name, channel) in members(doc, "/channels")? {
                let at = format!("/channels/{}", escape(name));
                let (at, channel) = resolve(doc, at, channel)?;
                for (key, msg) in members(channel, "/messages")? {
                    let at = format!("{at}/messages/{}", escape(key));
                    found.push(message(doc, at, msg)?);
                }
            }
        }
        Some("2") => {
            for (name, channel) in members(doc, "/channels")? {
                let at = format!("/channels/{}", escape(name));
                let (at, channel) = resolve(doc, at, channel)?;
                for op in ["subscribe", "publish"] {
                    let Some(m) = channel.get(op).and_then(|o| o.get("message")) else {
                        continue;
                    };
                    let (at, m) = resolve(doc, format!("{at}/{op}/message"), m)?;
                    match m.get("oneOf") {
                        Some(Value::Array(list)) => {
                            for (i, one) in list.iter().enumerate() {
                                found.push(message(doc, format!("{at}/oneOf/{i}"), one)?);
                            }
                        }
                        _ => found.push(message(doc, at, m)?),
                    }
                }
            }
        }
        _ => {
            return Err((
                None,
                format!("AsyncAPI {version:?} is not supported (2.x and 3.x are)"),
            ));
        }
    }
    for (key, msg) in members(doc, "/components/messages")? {
        found.push(message(
            doc,
            format!("/components/messages/{}", escape(key)),
            msg,
        )?);
    }
    if found.is_empty() {
        return Err((
            None,
            "the AsyncAPI document has no messages (channels/*/messages or components/messages)".to_owned(),
        ));
    }
    Ok(found)
}

/// The members of the object at `pointer` under `v` (none when absent).
fn members<'v>(v: &'v Value, pointer: &str) -> Result<Vec<(&'v str, &'v Value)>, Problem> {
    match v.pointer(pointer) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        Some(other) => Err((
            Some(pointer.to_owned()),
            format!("expected an object, got {}", super::reasons::kind_of(other)),
        )),
    }
}

/// One message object (or `$ref` to one) at `at`.
fn message(doc: &Value, at: String, msg: &Value) -> Result<Found, Problem> {
    let (at, msg) = resolve(doc, at, msg)?;
    let Value::Object(m) = msg else {
        return Err((
            Some(at),
            format!("expected a message object, got {}", super::reasons::kind_of(msg)),
        ));
    };
    let key = at.rsplit('/').next().map(unescape).unwrap_or_default();
    let ty = match (m.get("name"), m.get("messageId")) {
        (Some(Value::String(n)), _) => n.clone(),
        (_, Some(Value::String(id))) => id.clone(),
        _ if at.contains("/oneOf/") || at.ends_with("/message") => {
            return Err((
                Some(at),
                "the message has no `name` (the event type it describes)".to_owned(),
            ));
        }
        _ => key,
    };
    let place = |p: &str| Some(format!("message {ty:?} at {p}"));
    if let Some(Value::String(f)) = m.get("schemaFormat") {
        supported(f).map_err(|e| (place(&at), e))?;
    }
    let payload = match m.get("payload") {
        None => None,
        Some(Value::Object(p)) if p.contains_key("schemaFormat") && p.contains_key("schema") => {
            if let Some(Value::String(f)) = p.get("schemaFormat") {
                supported(f).map_err(|e| (place(&at), e))?;
            }
            Some(format!("{at}/payload/schema"))
        }
        Some(_) => Some(format!("{at}/payload")),
    };
    Ok(Found { ty, at, payload })
}

/// Whether a `schemaFormat` is one evtop checks.
fn supported(format: &str) -> Result<(), String> {
    let f = format.replace(' ', "").to_ascii_lowercase();
    let ok = f.starts_with("application/vnd.aai.asyncapi")
        || f.starts_with("application/schema+json;version=draft-07")
        || f.starts_with("application/schema+yaml;version=draft-07");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "schemaFormat {format:?} is not supported: evtop checks AsyncAPI schemas and JSON Schema draft-07"
        ))
    }
}

/// Follow `$ref`s from `v` (found at `at`) to what they point at, inside
/// the document only.
pub(super) fn resolve<'v>(
    doc: &'v Value,
    mut at: String,
    mut v: &'v Value,
) -> Result<(String, &'v Value), Problem> {
    for _ in 0..MAX_REF_HOPS {
        let Some(Value::String(r)) = v.get("$ref") else {
            return Ok((at, v));
        };
        let Some(fragment) = r.strip_prefix('#') else {
            return Err((
                Some(at),
                format!(
                    "unresolvable $ref {r:?}: only references inside the contract file (#/…) are followed"
                ),
            ));
        };
        let pointer = percent_decode_str(fragment).decode_utf8_lossy().into_owned();
        match doc.pointer(&pointer) {
            Some(target) => {
                at = pointer;
                v = target;
            }
            None => {
                return Err((Some(at), format!("unresolvable $ref {r:?}: nothing at {pointer}")));
            }
        }
    }
    Err((
        Some(at),
        format!("more than {MAX_REF_HOPS} $refs in a row (a cycle?)"),
    ))
}

/// A key as a JSON pointer segment (RFC 6901).
pub(super) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}
