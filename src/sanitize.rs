//! Making text from the network inert before it reaches a terminal.
//!
//! Event types, ids, data, and error texts that quote a server all pass
//! through [`inert`] before they are written to a terminal cell or a text
//! line. Nothing a server sends can then move the cursor, change colours,
//! set the window title, write the clipboard (OSC 52) or reorder text with
//! bidi overrides: such characters are shown as visible stand-ins.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as itself.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
        | '\u{2028}'..='\u{202e}'   // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{2069}'   // word joiner, invisible operators, bidi isolates
        | '\u{061c}'                // Arabic letter mark
        | '\u{feff}'                // zero-width no-break space
    )
}

/// `text` with every control, bidi and zero-width character replaced by a
/// visible stand-in: C0 controls by their Control Pictures (`␛` for ESC,
/// `␊` for LF), a tab by one space, DEL by `␡`, everything else as
/// `\u{…}`. Borrows when nothing needs replacing.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\t' => out.push(' '),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('␡'),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(inert("charge.succeeded héllo ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_become_visible() {
        let cases = [
            ("\x1b]0;pwned\x07", "␛]0;pwned␇"),
            ("\x1b]52;c;aGk=\x07", "␛]52;c;aGk=␇"),
            ("\x1b[2J", "␛[2J"),
            ("\x1b[31mred", "␛[31mred"),
            ("a\r\nb", "a␍␊b"),
            ("tab\there", "tab here"),
            ("del\x7f", "del␡"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("abc\u{202e}cba", "abc\\u{202e}cba"),
            ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
            ("zero\u{200b}width", "zero\\u{200b}width"),
            ("bom\u{feff}", "bom\\u{feff}"),
        ];
        for (input, want) in cases {
            assert_eq!(inert(input), want, "{input:?}");
        }
    }

    #[test]
    fn output_never_contains_controls() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = inert(&all);
        assert!(!out.chars().any(needs_escape));
    }
}
