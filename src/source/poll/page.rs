//! Reading a polled response body: find the array of events (by the `items`
//! pointer, or auto-detected), read the `has_more` flag, and keep each
//! item's JSON text exactly as it arrived — key order and number spelling
//! intact — only with the whitespace between tokens removed.
//!
//! The body is validated once as a whole; pointers are then followed through
//! borrowed [`RawValue`]s, so an item's text is never rebuilt from a parsed
//! `Value` (which would sort its keys and respell its numbers).

use std::collections::HashMap;
use std::fmt;

use serde_json::value::RawValue;

use crate::source::quote_text;

/// Where the events are looked for when no `items` pointer is set: the body
/// itself when it is an array, else the first of these that is one.
pub const AUTO_ITEMS: [&str; 3] = ["/data", "/items", "/events"];

/// One response of an events-mode source.
#[derive(Debug)]
pub struct Page<'a> {
    /// The listed events, in the server's order, as raw JSON text.
    pub items: Vec<&'a RawValue>,
    /// The `has_more` pointer found `true`: another page waits.
    pub has_more: bool,
}

/// Why a response body could not be read as a page. Displays as one line
/// naming what was looked for; the caller prefixes the source name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// The body is not one JSON value.
    NotJson {
        /// serde_json's reason (with line and column).
        error: String,
        /// The start of the body, on one line.
        start: String,
    },
    /// No array where the `items` pointer points (`None`: auto-detection
    /// found none).
    NoItems(Option<String>),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::NotJson { error, start } if start.is_empty() => {
                write!(f, "response is not JSON ({error}): empty body")
            }
            PageError::NotJson { error, start } => write!(f, "response is not JSON ({error}): {start}"),
            PageError::NoItems(Some(p)) if p.is_empty() => {
                f.write_str("response is not an array (items = \"\", the whole body)")
            }
            PageError::NoItems(Some(p)) => write!(f, "response has no array at {p} (items)"),
            PageError::NoItems(None) => write!(
                f,
                "response is not an array and has none at {} (set `items` to say where the events are)",
                AUTO_ITEMS.join(", ")
            ),
        }
    }
}

/// Validate `body` as JSON; `PageError::NotJson` quotes its start.
pub fn parse_json(body: &str) -> Result<&RawValue, PageError> {
    serde_json::from_str::<&RawValue>(body).map_err(|e| PageError::NotJson {
        error: e.to_string(),
        start: quote_text(body),
    })
}

/// Read one page: the array at `items` (or auto-detected when `None`) and
/// the boolean at `has_more` (false when unset, missing or not a boolean).
pub fn parse<'a>(body: &'a str, items: Option<&str>, has_more: Option<&str>) -> Result<Page<'a>, PageError> {
    let root = parse_json(body)?;
    let list = match items {
        Some(p) => at(root, p)
            .and_then(array)
            .ok_or_else(|| PageError::NoItems(Some(p.to_owned())))?,
        None => std::iter::once("")
            .chain(AUTO_ITEMS)
            .find_map(|p| at(root, p).and_then(array))
            .ok_or(PageError::NoItems(None))?,
    };
    let has_more = has_more
        .and_then(|p| at(root, p))
        .and_then(|v| serde_json::from_str::<bool>(v.get()).ok())
        .unwrap_or(false);
    Ok(Page {
        items: list,
        has_more,
    })
}

/// The elements of a raw JSON array; `None` when it is something else.
fn array(raw: &RawValue) -> Option<Vec<&RawValue>> {
    serde_json::from_str(raw.get()).ok()
}

/// Follow an RFC 6901 pointer through raw JSON. Each step parses one level
/// (an object's members or an array's elements) without copying values.
pub fn at<'a>(root: &'a RawValue, pointer: &str) -> Option<&'a RawValue> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut cur = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let text = cur.get().trim_start();
        cur = if text.starts_with('{') {
            let members: HashMap<String, &RawValue> = serde_json::from_str(text).ok()?;
            members.get(&token).copied()?
        } else if text.starts_with('[') {
            let index = array_index(&token)?;
            let elements: Vec<&RawValue> = serde_json::from_str(text).ok()?;
            elements.get(index).copied()?
        } else {
            return None;
        };
    }
    Some(cur)
}

/// An RFC 6901 array index: `0`, or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// Valid JSON text without the whitespace between tokens; strings (and so
/// every key and value) are kept byte for byte.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(page: &Page<'_>) -> Vec<String> {
        page.items.iter().map(|r| minify(r.get())).collect()
    }

    #[test]
    fn items_pointer_and_has_more() {
        let body = r#"{"object":"list","data":[{"id":"b"},{"id":"a"}],"has_more":true}"#;
        let page = parse(body, Some("/data"), Some("/has_more")).unwrap();
        assert_eq!(texts(&page), [r#"{"id":"b"}"#, r#"{"id":"a"}"#]);
        assert!(page.has_more);
        let page = parse(body, Some("/data"), None).unwrap();
        assert!(!page.has_more, "no has_more pointer: no more pages");
        let page = parse(
            r#"{"data":[],"has_more":"yes"}"#,
            Some("/data"),
            Some("/has_more"),
        )
        .unwrap();
        assert!(!page.has_more, "not a boolean counts as false");
    }

    #[test]
    fn auto_detects_the_body_or_the_first_array_under_data_items_events() {
        let cases = [
            (r#"[{"n":1}]"#, r#"{"n":1}"#),
            (r#"{"data":[{"n":2}],"items":[{"n":0}]}"#, r#"{"n":2}"#),
            (r#"{"data":{"x":1},"items":[{"n":3}]}"#, r#"{"n":3}"#),
            (r#"{"events":[{"n":4}],"next":null}"#, r#"{"n":4}"#),
        ];
        for (body, first) in cases {
            let page = parse(body, None, None).unwrap();
            assert_eq!(texts(&page), [first], "{body}");
        }
        assert_eq!(
            parse(r#"{"results":[1]}"#, None, None).unwrap_err(),
            PageError::NoItems(None)
        );
    }

    #[test]
    fn errors_name_the_pointer() {
        let err = parse(r#"{"items":[]}"#, Some("/data"), None).unwrap_err();
        assert_eq!(err.to_string(), "response has no array at /data (items)");
        let err = parse(r#"{"data":{"a":1}}"#, Some("/data"), None).unwrap_err();
        assert_eq!(err.to_string(), "response has no array at /data (items)");
        let err = parse(r#"{"a":1}"#, Some(""), None).unwrap_err();
        assert!(err.to_string().contains("items = \"\""), "{err}");
        let err = parse(r#"{"a":1}"#, None, None).unwrap_err();
        assert!(err.to_string().contains("/data, /items, /events"), "{err}");
    }

    #[test]
    fn not_json_quotes_the_start_of_the_body() {
        let err = parse("<html>\n  <b>502 Bad   Gateway</b>\n</html>", None, None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("response is not JSON (expected value at line 1 column 1)"),
            "{text}"
        );
        assert!(
            text.ends_with(": <html> <b>502 Bad Gateway</b> </html>"),
            "{text}"
        );
        let err = parse("", None, None).unwrap_err();
        assert!(err.to_string().ends_with("empty body"), "{err}");
        let err = parse(r#"{"data":[1,2"#, Some("/data"), None).unwrap_err();
        assert!(err.to_string().contains("EOF"), "{err}");
    }

    #[test]
    fn pointers_walk_objects_arrays_and_escapes() {
        let body = r#"{"a/b":{"m~n":[10,{"deep":[true]}]},"list":[[1],[2]]}"#;
        let root = parse_json(body).unwrap();
        assert_eq!(at(root, "/a~1b/m~0n/1/deep").unwrap().get(), "[true]");
        assert_eq!(at(root, "/a~1b/m~0n/0").unwrap().get(), "10");
        assert_eq!(at(root, "/list/1").unwrap().get(), "[2]");
        assert!(at(root, "/list/01").is_none(), "leading zero");
        assert!(at(root, "/list/-").is_none());
        assert!(at(root, "/missing").is_none());
        assert!(at(root, "/list/0/0/0").is_none(), "through a number");
        assert!(at(root, "no-slash").is_none());
        assert_eq!(at(root, "").unwrap().get(), body);
    }

    #[test]
    fn item_text_keeps_key_order_and_number_spelling() {
        let body = "{ \"data\" : [\n  { \"z\" : 1.50, \"a\" : \"two  words\\\" \\\\\" ,\n \"n\": 1e3 }\n ] }";
        let page = parse(body, Some("/data"), None).unwrap();
        assert_eq!(texts(&page), [r#"{"z":1.50,"a":"two  words\" \\","n":1e3}"#]);
    }

    #[test]
    fn minify_keeps_strings_whole() {
        let text = "[ \"a b\\\\\", \"\\\" c \" , { \"k\\n\" :\t\"\u{2003}x\" } ]";
        assert_eq!(minify(text), "[\"a b\\\\\",\"\\\" c \",{\"k\\n\":\"\u{2003}x\"}]");
        let v1: serde_json::Value = serde_json::from_str(text).unwrap();
        let v2: serde_json::Value = serde_json::from_str(&minify(text)).unwrap();
        assert_eq!(v1, v2);
    }
}
