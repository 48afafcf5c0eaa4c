//! Incremental, size-bounded parser for `text/event-stream`.
//!
//! It follows the WHATWG EventSource parsing algorithm (HTML §9.2.6) to the
//! letter — one leading UTF-8 BOM dropped, LF / CR / CRLF line ends, comments,
//! fields without a colon, one leading space removed from values, multi-line
//! `data` joined by `\n`, `id` containing NUL ignored, `retry` only when all
//! ASCII digits, unknown fields ignored, blocks without data not dispatched —
//! and it accepts bytes split anywhere, inside a CRLF or a UTF-8 sequence too.
//!
//! Unlike a browser it has a hard memory bound: the bytes it holds for one
//! event (the current line plus the `data` and `event` buffers) never exceed
//! `max_event_bytes`, and the buffers' capacity never exceeds that either. A
//! block that would go past it is skipped up to its end (the blank line) and
//! reported once as [`Item::Oversize`]; `id` and `retry` lines inside it still
//! take effect, so resuming stays correct. A line that never ends therefore
//! costs at most `max_event_bytes`, however long the server keeps sending.
//!
//! One parser is made per connection: the WHATWG buffers belong to a stream.
//! What outlives a connection — the last event ID string — is kept by the
//! source and read here through [`Parser::last_event_id`].

/// Capacity kept by the buffers between events; anything larger is given
/// back after a big event so one burst does not pin memory.
const RETAINED_CAPACITY: usize = 64 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `message` when there was none.
    pub event_type: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
    /// The `id:` field of this block itself, when it had a non-empty one.
    /// (WHATWG's `lastEventId` carries the previous id forward — see
    /// [`Parser::last_event_id`]; a monitor showing ids wants to know which
    /// event actually carried one.)
    pub id: Option<String>,
    /// WHATWG's `lastEventId` for this event, kept only in unit tests (to
    /// hold the parser to the algorithm) so release builds do not copy it
    /// per event.
    #[cfg(test)]
    pub last_event_id: String,
}

/// What the parser produces as bytes come in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete event.
    Event(SseEvent),
    /// A valid `retry:` field: the server's reconnection time in ms.
    Retry(u64),
    /// A block (or a line in it) went past the size bound and was skipped;
    /// `bytes` is how many bytes it had when it ended.
    Oversize { bytes: u64 },
}

/// The incremental parser. Feed it chunks; it appends what they complete.
#[derive(Debug)]
pub struct Parser {
    max: usize,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// WHATWG data buffer.
    data: String,
    /// WHATWG event type buffer.
    event_type: String,
    /// WHATWG last event ID buffer.
    id_buffer: String,
    /// The last event ID string as of the last dispatch, while `id_buffer`
    /// holds a newer, not yet dispatched value (`pending_id`). Swapped, not
    /// copied, so steady streams of ids allocate nothing here.
    committed_id: String,
    /// An `id:` line arrived since the last dispatch.
    pending_id: bool,
    /// Something was dispatched on this stream (until then the source keeps
    /// the previous connection's last event ID).
    dispatched: bool,
    /// The current block went past the bound and will not be dispatched.
    oversize: bool,
    /// The current line went past the bound: drop bytes until its end.
    skipping_line: bool,
    /// Bytes seen in the current block (for the oversize report).
    block_bytes: u64,
    /// The previous chunk ended in CR: a leading LF belongs to it.
    after_cr: bool,
    /// How many bytes of a leading BOM have been matched; `None` once the
    /// start of the stream is behind us.
    bom_matched: Option<usize>,
}

impl Parser {
    /// A parser for one connection that holds at most `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Parser {
            max: max_event_bytes.max(1),
            line: Vec::new(),
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            committed_id: String::new(),
            pending_id: false,
            dispatched: false,
            oversize: false,
            skipping_line: false,
            block_bytes: 0,
            after_cr: false,
            bom_matched: Some(0),
        }
    }

    /// The last event ID string as of the latest dispatch on this stream, or
    /// `None` when nothing has been dispatched yet (blocks with only an `id`
    /// count: they are dispatched, just not delivered).
    pub fn last_event_id(&self) -> Option<&str> {
        match (self.dispatched, self.pending_id) {
            (false, _) => None,
            (true, true) => Some(&self.committed_id),
            (true, false) => Some(&self.id_buffer),
        }
    }

    /// Bytes of capacity held by the line and data buffers right now. Their
    /// content never passes the bound and each one's capacity stays within
    /// it, so this is at most twice the bound.
    pub fn held_capacity(&self) -> usize {
        self.line.capacity() + self.data.capacity()
    }

    /// Feed the next chunk of the stream, appending completed items to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<Item>) {
        if let Some(matched) = self.bom_matched {
            let mut m = matched;
            while m < BOM.len() {
                match chunk.first() {
                    None => {
                        self.bom_matched = Some(m);
                        return;
                    }
                    Some(&b) if b == BOM[m] => {
                        m += 1;
                        chunk = &chunk[1..];
                    }
                    Some(_) => break,
                }
            }
            self.bom_matched = None;
            if m < BOM.len() {
                // Not a BOM after all: what matched so far is content.
                self.process(&BOM[..m], out);
            }
        }
        self.process(chunk, out);
    }

    fn process(&mut self, mut bytes: &[u8], out: &mut Vec<Item>) {
        // Fast path: with no partial line pending, the chunk's complete
        // lines are checked as UTF-8 once, together, and parsed in place.
        if self.line.is_empty() && !self.skipping_line {
            if let Some(last) = memchr::memrchr2(b'\r', b'\n', bytes) {
                if let Ok(text) = std::str::from_utf8(&bytes[..=last]) {
                    self.complete_lines(text, out);
                    bytes = &bytes[last + 1..];
                }
            }
        }
        while !bytes.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if bytes[0] == b'\n' {
                    bytes = &bytes[1..];
                    continue;
                }
            }
            match memchr::memchr2(b'\r', b'\n', bytes) {
                None => {
                    self.push_line(bytes);
                    return;
                }
                Some(i) => {
                    if self.line.is_empty() && !self.skipping_line {
                        // The whole line is in this chunk (the common
                        // case): parse it where it is, without a copy.
                        self.whole_line(&bytes[..i], out);
                    } else {
                        self.push_line(&bytes[..i]);
                        self.block_bytes = self.block_bytes.saturating_add(1);
                        self.end_line(out);
                    }
                    self.after_cr = bytes[i] == b'\r';
                    bytes = &bytes[i + 1..];
                }
            }
        }
    }

    /// Append part of the current line, keeping the bound.
    fn push_line(&mut self, part: &[u8]) {
        if part.is_empty() {
            return;
        }
        self.block_bytes = self.block_bytes.saturating_add(part.len() as u64);
        if self.skipping_line {
            return;
        }
        let held = self.line.len() + self.data.len() + self.event_type.len();
        if held + part.len() > self.max {
            self.skipping_line = true;
            self.mark_oversize();
            return;
        }
        reserve_bounded(&mut self.line, part.len(), self.max);
        self.line.extend_from_slice(part);
    }

    /// Lines of valid UTF-8, each with its line end (`text` ends with one).
    fn complete_lines(&mut self, mut text: &str, out: &mut Vec<Item>) {
        while !text.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if text.as_bytes()[0] == b'\n' {
                    text = &text[1..];
                    continue;
                }
            }
            let Some(i) = memchr::memchr2(b'\r', b'\n', text.as_bytes()) else {
                return; // not reached: the caller cut `text` after a line end
            };
            self.whole_str_line(&text[..i], out);
            self.after_cr = text.as_bytes()[i] == b'\r';
            text = &text[i + 1..];
        }
    }

    /// A complete line that arrived in one piece: the same steps as
    /// [`Parser::push_line`] then [`Parser::end_line`], reading it in place.
    fn whole_line(&mut self, line: &[u8], out: &mut Vec<Item>) {
        match std::str::from_utf8(line) {
            Ok(text) => self.whole_str_line(text, out),
            Err(_) => {
                // Counted by its raw length, as in pieces.
                self.block_bytes = self.block_bytes.saturating_add(line.len() as u64 + 1);
                if self.data.len() + self.event_type.len() + line.len() > self.max {
                    self.mark_oversize();
                    return;
                }
                self.field(&String::from_utf8_lossy(line), out);
            }
        }
    }

    fn whole_str_line(&mut self, line: &str, out: &mut Vec<Item>) {
        self.block_bytes = self.block_bytes.saturating_add(line.len() as u64 + 1);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if self.data.len() + self.event_type.len() + line.len() > self.max {
            // Over the bound: the line is lost and the block skipped, as
            // when it arrives in pieces.
            self.mark_oversize();
            return;
        }
        self.field(line, out);
    }

    fn mark_oversize(&mut self) {
        self.oversize = true;
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
    }

    fn end_line(&mut self, out: &mut Vec<Item>) {
        if self.skipping_line {
            // The overlong line is lost; the block is already oversize.
            self.skipping_line = false;
            self.line.clear();
            return;
        }
        if self.line.is_empty() {
            self.dispatch(out);
            return;
        }
        let line = std::mem::take(&mut self.line);
        // Valid UTF-8 is the common case and `from_utf8` checks it much
        // faster than the lossy decoder walks it.
        let text = match std::str::from_utf8(&line) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(&line),
        };
        self.field(&text, out);
        drop(text);
        self.line = line;
        self.line.clear();
    }

    fn field(&mut self, line: &str, out: &mut Vec<Item>) {
        if line.starts_with(':') {
            return;
        }
        let (name, value) = match memchr::memchr(b':', line.as_bytes()) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        // Matched as byte arrays: compared in registers, no `memcmp` call
        // per line.
        match *name.as_bytes() {
            [b'e', b'v', b'e', b'n', b't'] if !self.oversize => {
                self.event_type.clear();
                self.event_type.push_str(value);
            }
            [b'd', b'a', b't', b'a'] if !self.oversize => {
                if self.data.len() + value.len() + 1 + self.event_type.len() > self.max {
                    self.mark_oversize();
                    return;
                }
                reserve_bounded_str(&mut self.data, value.len() + 1, self.max);
                self.data.push_str(value);
                self.data.push('\n');
            }
            [b'i', b'd'] if !value.contains('\0') => {
                if !self.pending_id {
                    std::mem::swap(&mut self.committed_id, &mut self.id_buffer);
                    self.pending_id = true;
                }
                self.id_buffer.clear();
                self.id_buffer.push_str(value);
            }
            [b'r', b'e', b't', b'r', b'y']
                if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let ms = value.bytes().fold(0u64, |acc, b| {
                    acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                out.push(Item::Retry(ms));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Item>) {
        let block_had_id = std::mem::replace(&mut self.pending_id, false);
        self.dispatched = true;
        if self.oversize {
            out.push(Item::Oversize {
                bytes: self.block_bytes.saturating_sub(1),
            });
            self.oversize = false;
            self.reset_block();
            return;
        }
        if self.data.is_empty() {
            self.reset_block();
            return;
        }
        // An exact-size copy (without the trailing LF): the buffer keeps its
        // capacity for the next event, and the event holds no slack.
        let data = self.data[..self.data.len() - 1].to_owned();
        let event_type = if self.event_type.is_empty() {
            "message".to_owned()
        } else {
            self.event_type.clone()
        };
        let id = (block_had_id && !self.id_buffer.is_empty()).then(|| self.id_buffer.clone());
        out.push(Item::Event(SseEvent {
            event_type,
            data,
            id,
            #[cfg(test)]
            last_event_id: self.id_buffer.clone(),
        }));
        self.reset_block();
    }

    fn reset_block(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.block_bytes = 0;
        if self.line.capacity() > RETAINED_CAPACITY {
            self.line.shrink_to(RETAINED_CAPACITY);
        }
        if self.data.capacity() > RETAINED_CAPACITY {
            self.data.shrink_to(RETAINED_CAPACITY);
        }
    }
}

/// Grow `buf` for `extra` more bytes without its capacity passing `max`
/// (plain `Vec` growth doubles, which would overshoot the bound).
fn reserve_bounded(buf: &mut Vec<u8>, extra: usize, max: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let target = (buf.capacity() * 2).clamp(need, max.max(need));
        buf.reserve_exact(target - buf.len());
    }
}

fn reserve_bounded_str(buf: &mut String, extra: usize, max: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let target = (buf.capacity() * 2).clamp(need, max.max(need));
        buf.reserve_exact(target - buf.len());
    }
}

/// Decode helper used by tests and tools: the whole stream at once.
pub fn parse_all(bytes: &[u8], max_event_bytes: usize) -> Vec<Item> {
    let mut p = Parser::new(max_event_bytes);
    let mut out = Vec::new();
    p.feed(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests;
