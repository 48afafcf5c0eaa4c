//! Fitting network text into cells: made inert, cut to a display width.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

use crate::sanitize::inert;

/// `s` made inert and cut to `width` display columns (with `…` when cut),
/// padded with spaces to exactly `width` when `pad`.
pub fn fit(s: &str, width: usize, pad: bool) -> String {
    let s: Cow<'_, str> = inert(s);
    let mut out = String::with_capacity(width.min(s.len()) + 4);
    let mut used = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        out.push_str(&s);
        used = total;
    } else if width > 0 {
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width - 1 {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    if pad {
        out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    }
    out
}

/// The first `max` bytes of `s` on a char boundary: bounds the work spent
/// on a huge event when only a line of it is shown.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}
