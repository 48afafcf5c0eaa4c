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

fn width_of(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `s` made inert and cut to `width` columns keeping its *end* (`…5ee4af`):
/// ids share their prefix and differ at the end. Padded when `pad`.
/// [`fit`] for prose (status texts, reasons): when it must be cut, it is
/// cut after a whole word (and a trailing `:`/`,` goes), so the status bar
/// never shows half a word. A single word longer than `width` is cut.
pub fn fit_words(s: &str, width: usize) -> String {
    let whole = fit(s, width, false);
    if !whole.ends_with('…') {
        return whole;
    }
    let kept = whole.trim_end_matches('…');
    // Cut at the last space, unless the text is one long word.
    match kept.rfind(' ') {
        Some(i) if i > 0 => {
            let head = kept[..i].trim_end_matches([' ', ':', ',', ';', '—', '-']);
            format!("{head}…")
        }
        _ => whole,
    }
}

pub fn fit_end(s: &str, width: usize, pad: bool) -> String {
    let s: Cow<'_, str> = inert(s);
    let total = width_of(&s);
    let mut out = if total <= width {
        s.into_owned()
    } else if width == 0 {
        String::new()
    } else {
        let mut tail = Vec::new();
        let mut used = 0;
        for c in s.chars().rev() {
            let w = c.width().unwrap_or(0);
            if used + w > width - 1 {
                break;
            }
            tail.push(c);
            used += w;
        }
        std::iter::once('…').chain(tail.into_iter().rev()).collect()
    };
    if pad {
        let used = width_of(&out);
        out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    }
    out
}

/// `s` (already inert) cut to `width` columns as `head` columns, `…`, and
/// the end: `payment_i…succeeded`.
fn fit_mid(s: &str, width: usize, head: usize) -> String {
    if width_of(s) <= width || width < 3 {
        return fit(s, width, false);
    }
    let head = head.min(width - 2);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out.push_str(&fit_end(s, width - used, false)[3..]);
    out
}

/// Names (types, sources) shortened to `width` columns so that two
/// different names never look the same: a middle ellipsis keeping the end
/// (`customer.…n.updated`), where the head and tail split is chosen so the
/// shortened names among `names` stay distinct; when no split can tell
/// them apart, the end alone (where names differ most). Same order as
/// `names`; each made inert.
pub fn shorten_names(names: &[&str], width: usize) -> Vec<String> {
    let inert_names: Vec<Cow<'_, str>> = names.iter().map(|n| inert(n)).collect();
    if inert_names.iter().all(|n| width_of(n) <= width) || width < 3 {
        return inert_names.iter().map(|n| fit(n, width, false)).collect();
    }
    let mut distinct: Vec<&str> = inert_names.iter().map(|n| n.as_ref()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let try_split = |head: usize| -> Option<Vec<String>> {
        let mut seen = std::collections::HashMap::new();
        for n in &distinct {
            let short = fit_mid(n, width, head);
            if seen.insert(short, *n).is_some() {
                return None;
            }
        }
        Some(inert_names.iter().map(|n| fit_mid(n, width, head)).collect())
    };
    let third = width / 3;
    let mut heads = vec![width / 2, third, width.saturating_sub(4), 2, 0];
    heads.extend(1..width.saturating_sub(1));
    for head in heads {
        if let Some(out) = try_split(head) {
            return out;
        }
    }
    inert_names.iter().map(|n| fit_mid(n, width, third)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_cut_after_whole_words() {
        let reason = "cannot connect: tcp connect error: Connection refused (os error 111)";
        assert_eq!(fit_words(reason, 40), "cannot connect: tcp connect error…");
        assert_eq!(fit_words(reason, 100), reason, "what fits is whole");
        assert_eq!(
            fit_words("HTTP 200 but content type is application/json", 35),
            "HTTP 200 but content type is…"
        );
        assert_eq!(
            fit_words("averyveryverylongsingleword", 10),
            "averyvery…",
            "one long word is cut"
        );
        // Once the first word fits, never a word cut in the middle: every
        // word kept is a word of the text.
        let words: Vec<&str> = reason.split(' ').collect();
        for w in words[0].len() + 1..reason.len() {
            let cut = fit_words(reason, w);
            for kept in cut.trim_end_matches('…').split(' ') {
                assert!(words.contains(&kept), "{w}: {cut:?} cuts {kept:?}");
            }
        }
    }

    #[test]
    fn ids_keep_their_end() {
        assert_eq!(fit_end("evt_00005ee4af", 8, false), "…05ee4af");
        assert_eq!(fit_end("evt_00005ee4af", 7, true), "…5ee4af");
        assert_eq!(fit_end("short", 7, true), "short  ");
    }

    #[test]
    fn shortened_names_never_look_the_same() {
        let names = [
            "customer.subscription.created",
            "customer.subscription.updated",
            "payment_intent.succeeded",
            "payment_intent.created",
        ];
        for width in [8, 10, 12, 16, 20] {
            let short = shorten_names(&names, width);
            let mut uniq = short.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), names.len(), "at {width}: {short:?}");
            assert!(short.iter().all(|s| width_of(s) <= width), "{short:?}");
        }
        // Names that differ only in the middle keep the middle visible.
        let names = ["svc-eu-west-1-prod", "svc-eu-east-1-prod"];
        let short = shorten_names(&names, 12);
        assert_ne!(short[0], short[1], "{short:?}");
        // Short names are left alone.
        assert_eq!(shorten_names(&["a", "b"], 5), ["a", "b"]);
    }
}
