//! The bytes of `notify`: a bell (BEL, `\x07`) and a desktop notification
//! written to the terminal, which travels over SSH like any output:
//!
//! - OSC 777: `ESC ] 777 ; notify ; TITLE ; BODY BEL` — VTE terminals
//!   (GNOME Terminal, Tilix, …), foot, WezTerm, kitty, Ghostty, urxvt
//!   with its notify extension;
//! - OSC 9: `ESC ] 9 ; BODY BEL` — iTerm2, Windows Terminal, WezTerm,
//!   kitty, Ghostty, ConEmu.
//!
//! Both are sent; a terminal ignores the one it does not know. Names and
//! texts are made inert — control, bidi and zero-width characters shown as
//! stand-ins (`␛`) — and `;` becomes `,` in the title (OSC 777's
//! separator), so nothing in an alert's name or an event can end
//! the sequence early or start another.

use super::Notify;

/// Longest title or body sent, in characters: terminals cut or drop long
/// notifications, and the rest belongs in the `!` view.
pub const MAX_NOTIFY_CHARS: usize = 200;

/// Least time between two notifications of one alert, ms: an `each` alert
/// on a busy type must not ring a thousand bells a second. A firing inside
/// it is still printed, shown and `exec`'d.
pub const NOTIFY_MIN_GAP_MS: i64 = 1000;

/// Which alerts may notify now ([`NOTIFY_MIN_GAP_MS`]).
#[derive(Debug, Default)]
pub struct Limiter {
    last: Vec<Option<i64>>,
}

impl Limiter {
    /// Whether alert `alert` may notify at `now` (ms); if so, counts it.
    pub fn allow(&mut self, alert: usize, now: i64) -> bool {
        if self.last.len() <= alert {
            self.last.resize(alert + 1, None);
        }
        match self.last[alert] {
            Some(t) if now - t < NOTIFY_MIN_GAP_MS && now >= t => false,
            _ => {
                self.last[alert] = Some(now);
                true
            }
        }
    }
}

/// The bytes to write for `notify` with this title and body (empty when
/// nothing is asked for).
pub fn sequence(notify: Notify, title: &str, body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if notify.bell {
        out.push(0x07);
    }
    if notify.desktop {
        let title = clean(title, true);
        let body = clean(body, false);
        out.extend_from_slice(format!("\x1b]777;notify;{title};{body}\x07").as_bytes());
        out.extend_from_slice(format!("\x1b]9;{title}: {body}\x07").as_bytes());
    }
    out
}

/// `text` made inert ([`crate::sanitize::inert`]: control, bidi and
/// zero-width characters become visible stand-ins, so none reaches the
/// terminal), cut at [`MAX_NOTIFY_CHARS`]; `;` becomes `,` in a title.
pub fn clean(text: &str, title: bool) -> String {
    crate::sanitize::inert(text)
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if title && c == ';' { ',' } else { c })
        .take(MAX_NOTIFY_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bell_and_desktop_bytes_with_controls_made_inert() {
        let both = Notify {
            bell: true,
            desktop: true,
        };
        let bytes = sequence(both, "evtop; x\x1b]0;pwn\x07", "7 in 1m\u{9c}\n\u{202e}");
        let want = "\x07\x1b]777;notify;evtop, x␛]0,pwn␇;7 in 1m\\u{9c}␊\\u{202e}\x07\x1b]9;evtop, x␛]0,pwn␇: 7 in 1m\\u{9c}␊\\u{202e}\x07";
        assert_eq!(String::from_utf8(bytes).unwrap(), want);
        assert!(sequence(Notify::default(), "a", "b").is_empty());
        let bell = Notify {
            bell: true,
            desktop: false,
        };
        assert_eq!(sequence(bell, "a", "b"), b"\x07".to_vec());
        let mut limit = Limiter::default();
        assert!(limit.allow(3, 10_000));
        assert!(!limit.allow(3, 10_000 + NOTIFY_MIN_GAP_MS - 1));
        assert!(limit.allow(0, 10_000), "per alert");
        assert!(limit.allow(3, 10_000 + NOTIFY_MIN_GAP_MS));
        let long = "x".repeat(MAX_NOTIFY_CHARS + 5);
        assert_eq!(clean(&long, false).chars().count(), MAX_NOTIFY_CHARS);
    }
}
