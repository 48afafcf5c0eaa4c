//! Pretty JSON as coloured lines, each knowing the JSON pointer it shows —
//! so the detail pane can colour it and the state view can mark the paths
//! that changed.

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::Theme;
use crate::sanitize::inert;

/// Lines rendered at most (a huge document is cut, with a note).
pub const MAX_LINES: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Punct,
    Key,
    Str,
    Num,
    Lit,
}

/// One line of pretty JSON.
#[derive(Debug, Clone)]
pub struct JsonLine {
    pub indent: usize,
    pub parts: Vec<(String, Tok)>,
    /// JSON pointer of the value on this line.
    pub path: String,
}

/// `v` pretty-printed, two spaces an indent.
pub fn lines(v: &Value) -> Vec<JsonLine> {
    let mut out = Vec::new();
    walk(v, 0, None, String::new(), false, &mut out);
    out
}

fn escape_key(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn walk(v: &Value, indent: usize, key: Option<&str>, path: String, comma: bool, out: &mut Vec<JsonLine>) {
    if out.len() >= MAX_LINES {
        return;
    }
    let mut parts = Vec::new();
    if let Some(k) = key {
        parts.push((json_string(k), Tok::Key));
        parts.push((": ".into(), Tok::Punct));
    }
    let tail = if comma { "," } else { "" };
    match v {
        Value::Object(map) if !map.is_empty() => {
            parts.push(("{".into(), Tok::Punct));
            out.push(JsonLine {
                indent,
                parts,
                path: path.clone(),
            });
            let n = map.len();
            for (i, (k, child)) in map.iter().enumerate() {
                walk(
                    child,
                    indent + 1,
                    Some(k),
                    format!("{path}/{}", escape_key(k)),
                    i + 1 < n,
                    out,
                );
            }
            out.push(JsonLine {
                indent,
                parts: vec![(format!("}}{tail}"), Tok::Punct)],
                path,
            });
        }
        Value::Array(items) if !items.is_empty() => {
            parts.push(("[".into(), Tok::Punct));
            out.push(JsonLine {
                indent,
                parts,
                path: path.clone(),
            });
            let n = items.len();
            for (i, child) in items.iter().enumerate() {
                walk(child, indent + 1, None, format!("{path}/{i}"), i + 1 < n, out);
            }
            out.push(JsonLine {
                indent,
                parts: vec![(format!("]{tail}"), Tok::Punct)],
                path,
            });
        }
        scalar => {
            let (text, tok) = match scalar {
                Value::String(s) => (json_string(s), Tok::Str),
                Value::Number(n) => (n.to_string(), Tok::Num),
                Value::Object(_) => ("{}".into(), Tok::Punct),
                Value::Array(_) => ("[]".into(), Tok::Punct),
                other => (other.to_string(), Tok::Lit),
            };
            parts.push((text, tok));
            if comma {
                parts.push((",".into(), Tok::Punct));
            }
            out.push(JsonLine { indent, parts, path });
        }
    }
}

/// A JSON string literal, made inert (serde escapes C0 controls; bidi and
/// zero-width characters are not escaped by JSON and are handled here).
fn json_string(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    inert(&quoted).into_owned()
}

/// One line as spans with the theme's colours; `extra` styles the whole line.
pub fn render(line: &JsonLine, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::with_capacity(line.parts.len() + 1);
    spans.push(Span::raw("  ".repeat(line.indent)));
    for (text, tok) in &line.parts {
        let style = match tok {
            Tok::Punct => ratatui::style::Style::new(),
            Tok::Key => theme.key(),
            Tok::Str => theme.string(),
            Tok::Num => theme.number(),
            Tok::Lit => theme.literal(),
        };
        spans.push(Span::styled(text.clone(), style));
    }
    Line::from(spans)
}

/// The rows the detail pane shows for a document: its pretty lines, or
/// with `paths` one row per scalar field as `.filter.path value` — the
/// spelling the filter takes (`f` appends `.path=value`).
pub fn detail_rows(doc: &Value, paths: bool) -> Vec<JsonLine> {
    let all = lines(doc);
    if !paths {
        return all;
    }
    all.into_iter()
        .filter(|l| !l.path.is_empty() && l.parts.iter().any(|(_, t)| *t != Tok::Punct && *t != Tok::Key))
        .map(|l| {
            let fpath = filter_path(doc, &l.path).unwrap_or_default();
            let value: Vec<(String, Tok)> = l
                .parts
                .into_iter()
                .filter(|(_, t)| *t != Tok::Punct && *t != Tok::Key)
                .collect();
            let mut parts = vec![
                (inert(&fpath).into_owned(), Tok::Key),
                (" ".to_owned(), Tok::Punct),
            ];
            parts.extend(value);
            JsonLine {
                indent: 0,
                parts,
                path: l.path,
            }
        })
        .collect()
}

/// The filter's spelling of a JSON pointer into `doc`: `/data/object/amount`
/// is `.data.object.amount`, an array element `[0]`, a key the filter would
/// misread (digits, dots, spaces, operators, quotes) is quoted. `None` for
/// the root or a pointer that finds nothing.
pub fn filter_path(doc: &Value, pointer: &str) -> Option<String> {
    let mut out = String::new();
    let mut at = doc;
    for raw in pointer.strip_prefix('/')?.split('/') {
        let key = raw.replace("~1", "/").replace("~0", "~");
        match at {
            Value::Array(items) => {
                let i: usize = key.parse().ok()?;
                at = items.get(i)?;
                out.push_str(&format!("[{i}]"));
            }
            Value::Object(map) => {
                at = map.get(&key)?;
                out.push('.');
                if needs_quotes(&key) {
                    out.push_str(&quote(&key));
                } else {
                    out.push_str(&key);
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `.path=VALUE` for the scalar at `pointer` (strings quoted, as the
/// filter parser requires for text); `None` for objects, arrays, the root.
pub fn filter_term(doc: &Value, pointer: &str) -> Option<String> {
    let path = filter_path(doc, pointer)?;
    let value = match doc.pointer(pointer)? {
        Value::String(s) => quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Object(_) | Value::Array(_) => return None,
    };
    Some(format!("{path}={value}"))
}

/// The filter's spelling of a catalog field path (a JSON pointer whose
/// array elements are `*`): `/data/object/amount` is `.data.object.amount`,
/// `/items/*/sku` is `.items[*].sku` (any item). `None` for the data root.
pub fn catalog_path(pointer: &str) -> Option<String> {
    let mut out = String::new();
    for raw in pointer.strip_prefix('/')?.split('/') {
        if raw == "*" {
            out.push_str("[*]");
            continue;
        }
        let key = raw.replace("~1", "/").replace("~0", "~");
        out.push('.');
        if needs_quotes(&key) {
            out.push_str(&quote(&key));
        } else {
            out.push_str(&key);
        }
    }
    Some(out)
}

/// `PATH=VALUE` for a catalog top value (its JSON text: `"usd"`, `12`,
/// `true`, `null`), strings quoted as the filter reads them.
pub fn value_term(path: &str, json_text: &str) -> String {
    let value = match serde_json::from_str::<Value>(json_text) {
        Ok(Value::String(s)) => quote(&s),
        _ => json_text.to_owned(),
    };
    format!("{path}={value}")
}

/// Whether an object key must be quoted in a filter path.
fn needs_quotes(key: &str) -> bool {
    key.is_empty()
        || key.bytes().all(|b| b.is_ascii_digit())
        || key
            .chars()
            .any(|c| c.is_whitespace() || ".[]\"\\=!<>~".contains(c))
}

/// `"text"` with `\"` and `\\` escaped, as the filter reads quotes.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_pointers() {
        let v = serde_json::json!({"a": [1, {"b/c": "x"}], "d": null});
        let ls = lines(&v);
        let rendered: Vec<(String, String)> = ls
            .iter()
            .map(|l| {
                let text: String = l.parts.iter().map(|(t, _)| t.as_str()).collect();
                (format!("{}{}", "  ".repeat(l.indent), text), l.path.clone())
            })
            .collect();
        let want = [
            ("{", ""),
            ("  \"a\": [", "/a"),
            ("    1,", "/a/0"),
            ("    {", "/a/1"),
            ("      \"b/c\": \"x\"", "/a/1/b~1c"),
            ("    }", "/a/1"),
            ("  ],", "/a"),
            ("  \"d\": null", "/d"),
            ("}", ""),
        ];
        let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(rendered, want);
    }

    #[test]
    fn filter_paths_and_terms_parse_back_and_match() {
        let doc = serde_json::json!({
            "data": {"object": {"amount": 124576, "status": "paid \"ok\""}},
            "items": [{"a.b": true}, {"0": null}],
        });
        let cases = [
            ("/data/object/amount", ".data.object.amount=124576"),
            ("/data/object/status", ".data.object.status=\"paid \\\"ok\\\"\""),
            ("/items/0/a.b", ".items[0].\"a.b\"=true"),
            ("/items/1/0", ".items[1].\"0\"=null"),
        ];
        let ev = crate::event::EventRef {
            source: "s",
            id: None,
            ty: "t",
            time: None,
            received: 0,
            data: &doc.to_string(),
            json: true,
            meta: None,
            drift: false,
        };
        for (pointer, want) in cases {
            let term = filter_term(&doc, pointer).unwrap();
            assert_eq!(term, want);
            let f = crate::filter::Filter::parse(&term).unwrap();
            assert!(f.matches(&ev), "{term} does not match its own event");
        }
        assert_eq!(filter_term(&doc, "/data"), None, "objects are not values");
        assert_eq!(filter_term(&doc, ""), None);
    }

    #[test]
    fn path_rows_show_each_scalar_with_its_filter_path() {
        let doc = serde_json::json!({"data": {"object": {"amount": 5}}, "tags": ["x"]});
        let rows: Vec<String> = detail_rows(&doc, true)
            .iter()
            .map(|l| l.parts.iter().map(|(t, _)| t.as_str()).collect())
            .collect();
        assert_eq!(rows, [".data.object.amount 5", ".tags[0] \"x\""]);
    }

    #[test]
    fn strings_are_inert() {
        let v = serde_json::json!({"k": "a\u{1b}[2J\u{202e}b"});
        let text: String = lines(&v)[1].parts.iter().map(|(t, _)| t.as_str()).collect();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
    }
}
