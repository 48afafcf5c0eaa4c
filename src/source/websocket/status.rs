//! What a WebSocket source says about how a connection ended: a failed
//! upgrade with its HTTP status, a close frame with its code in words.

use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::Outcome;
use crate::source::{quote_text, retry_after, status_text};

/// A failed upgrade as an outcome: the HTTP status when there was one.
pub(super) fn upgrade_failure(e: WsError) -> Outcome {
    match e {
        WsError::Http(resp) => {
            let status = resp.status();
            let mut reason = format!("HTTP {}", status_text(status));
            if let Some(body) = resp.body().as_deref().filter(|b| !b.is_empty()) {
                reason.push_str(": ");
                reason.push_str(&quote_text(&String::from_utf8_lossy(body)));
            }
            if status.is_success() || status.is_redirection() || status.is_informational() {
                reason.push_str(" (not a WebSocket upgrade)");
            }
            Outcome::Http {
                status: status.as_u16(),
                retry_after: retry_after(resp.headers()),
                reason,
            }
        }
        // rustls's refusal arrives inside the I/O error of the handshake.
        WsError::Io(e) => match crate::source::tls::certificate_problem(&e) {
            Some(words) => Outcome::Failed(format!("cannot connect: {words}")),
            None => Outcome::Failed(format!("cannot connect: {e}")),
        },
        WsError::Tls(e) => match crate::source::tls::certificate_problem(&e) {
            Some(words) => Outcome::Failed(format!("cannot connect: {words}")),
            None => Outcome::Failed(format!("cannot connect: TLS: {e}")),
        },
        e => Outcome::Failed(format!("upgrade failed: {e}")),
    }
}

/// A close frame as the status says it (`closed by server: 1008 policy
/// violation: <reason>`), and whether it refuses our credentials.
pub(super) fn close_text(frame: Option<&CloseFrame>) -> (String, bool) {
    let Some(frame) = frame else {
        return ("closed by server (no close code)".into(), false);
    };
    let code = u16::from(frame.code);
    let name = close_name(code);
    let reason = quote_text(frame.reason.as_str());
    let mut text = format!("closed by server: {code}");
    if !name.is_empty() {
        text.push(' ');
        text.push_str(name);
    }
    if !reason.is_empty() && !reason.eq_ignore_ascii_case(name) {
        text.push_str(": ");
        text.push_str(&reason);
    }
    (text, matches!(code, 4401 | 4403))
}

/// The name of a close code (RFC 6455 and graphql-transport-ws's 44xx).
fn close_name(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1007 => "invalid data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "extension required",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        4400 => "bad request",
        4401 => "unauthorized",
        4403 => "forbidden",
        4406 => "subprotocol not acceptable",
        4408 => "connection initialisation timeout",
        4409 => "subscriber already exists",
        4429 => "too many initialisation requests",
        4500 => "internal server error",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    #[test]
    fn close_frames_in_words() {
        let frame = |code: u16, reason: &str| CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        assert_eq!(
            close_text(Some(&frame(1008, "policy violation"))),
            ("closed by server: 1008 policy violation".into(), false)
        );
        assert_eq!(
            close_text(Some(&frame(4403, "Forbidden"))),
            ("closed by server: 4403 forbidden".into(), true)
        );
        assert_eq!(
            close_text(Some(&frame(4000, "rotating"))),
            ("closed by server: 4000: rotating".into(), false)
        );
    }
}
