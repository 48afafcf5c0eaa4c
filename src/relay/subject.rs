//! What `evtop relay` names things on the broker: each event's subject
//! (`P.<source>.<type>`), its `Nats-Msg-Id`, the default stream name, and
//! whether an existing stream's subjects cover the relay's. Pure functions:
//! no I/O, and none of them panics whatever the network sent.

/// Longest subject the relay publishes on, in bytes. The server reads a
/// publish's subject, reply inbox and sizes from one control line of at most
/// 4096 bytes (`max_control_line`) and closes the connection past it, so an
/// event type the size of a paragraph must not reach it: longer subjects
/// are cut (at a character boundary, never leaving an empty last token).
/// The payload always carries the full type.
pub const MAX_SUBJECT_BYTES: usize = 512;

/// Longest `--prefix`, in bytes, so that source and type keep room.
pub const MAX_PREFIX_BYTES: usize = 128;

/// Whether NATS cannot carry `c` inside a subject token: the token
/// separator, the wildcards, whitespace (the protocol splits on it) and
/// control characters.
fn unfit(c: char) -> bool {
    c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control()
}

/// Append `token` with every character NATS cannot carry replaced by `_`;
/// an empty token becomes `_`.
fn push_token(out: &mut String, token: &str) {
    if token.is_empty() {
        out.push('_');
        return;
    }
    out.extend(token.chars().map(|c| if unfit(c) { '_' } else { c }));
}

/// The subject an event is published on: `prefix.source.type`.
///
/// The source name is one token (its dots become `_`, so a viewer can
/// always take the token after the prefix as the source). The type's dots
/// stay token separators (`charge.succeeded` → `….charge.succeeded`, so
/// `evtop.*.charge.>` selects charges); within each of its tokens spaces,
/// `*`, `>` and control characters become `_`, and empty tokens (a leading,
/// trailing or doubled dot, or an empty type) become `_`. The result is cut
/// to [`MAX_SUBJECT_BYTES`]. `prefix` must already be valid
/// ([`check_prefix`]).
pub fn subject(prefix: &str, source: &str, ty: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + source.len() + ty.len() + 2);
    out.push_str(prefix);
    out.push('.');
    push_token(&mut out, source);
    for token in ty.split('.') {
        out.push('.');
        push_token(&mut out, token);
    }
    if out.len() > MAX_SUBJECT_BYTES {
        let mut cut = MAX_SUBJECT_BYTES - 1;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        if out.ends_with('.') {
            out.push('_');
        }
    }
    out
}

/// The `Nats-Msg-Id` of an event with an id: `source:id`, and for a webhook
/// redelivery (attempt 2 and later) `source:id:attempt`, so the redelivery
/// is a message of its own that viewers see too, while the same delivery
/// relayed twice (a restarted relay) is one.
///
/// Header values cannot hold line breaks: control characters are written
/// as `%XX`, and so is `%` itself, so different ids never share a
/// message id.
pub fn msg_id(source: &str, id: &str, attempt: Option<u64>) -> String {
    let mut out = String::with_capacity(source.len() + id.len() + 8);
    for part in [source, id] {
        if !out.is_empty() {
            out.push(':');
        }
        for c in part.chars() {
            if c == '%' || c.is_control() {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
    }
    if let Some(n) = attempt.filter(|&n| n > 1) {
        out.push_str(&format!(":{n}"));
    }
    out
}

/// Check `--prefix`: one or more tokens separated by dots, none empty, no
/// wildcards, whitespace or control characters, at most
/// [`MAX_PREFIX_BYTES`].
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > MAX_PREFIX_BYTES {
        return Err(format!(
            "--prefix: at most {MAX_PREFIX_BYTES} bytes, got {}",
            prefix.len()
        ));
    }
    if prefix.split('.').any(str::is_empty) {
        return Err(format!(
            "--prefix {prefix:?}: NATS subject tokens separated by dots, none empty (e.g. evtop or team.events)"
        ));
    }
    if let Some(c) = prefix.chars().find(|&c| c != '.' && unfit(c)) {
        return Err(format!(
            "--prefix {prefix:?}: {c:?} cannot appear in a NATS subject you publish on"
        ));
    }
    Ok(())
}

/// The stream's name when `--stream` is not given: the prefix in capitals,
/// anything but letters, digits, `-` and `_` as `_` (`evtop` → `EVTOP`,
/// `team.events` → `TEAM_EVENTS`), so each prefix gets a stream of its own.
pub fn default_stream(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Check `--stream`: JetStream stream names cannot hold whitespace, `.`,
/// `*`, `>`, path separators or control characters.
pub fn check_stream(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err("--stream: a name of 1 to 255 characters".into());
    }
    if let Some(c) = name.chars().find(|&c| unfit(c) || c == '/' || c == '\\') {
        return Err(format!(
            "--stream {name:?}: {c:?} cannot appear in a JetStream stream name"
        ));
    }
    Ok(())
}

/// Whether every subject matching `pattern` also matches `filter` (a
/// stream's subject): `evtop.>` covers `evtop.>`, `>` covers everything,
/// `*.>` covers `evtop.>`, but `evtop.*` does not (it misses
/// `evtop.a.b`).
pub fn covers(filter: &str, pattern: &str) -> bool {
    let mut f = filter.split('.');
    let mut p = pattern.split('.');
    loop {
        match (f.next(), p.next()) {
            (Some(">"), Some(_)) => return true,
            (Some(_), Some(">")) => return false,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) => {
                if b == "*" || a != b {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests;
