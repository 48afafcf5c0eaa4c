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
    fn strings_are_inert() {
        let v = serde_json::json!({"k": "a\u{1b}[2J\u{202e}b"});
        let text: String = lines(&v)[1].parts.iter().map(|(t, _)| t.as_str()).collect();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
    }
}
