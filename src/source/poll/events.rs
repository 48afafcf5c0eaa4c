//! Events mode (SPEC 3.3) without the network: turn pages of listed events
//! into [`Event`]s, each exactly once and oldest first, and keep the cursor.
//!
//! - **Order**: a page is read in the server's `order` and emitted oldest
//!   first; with a cursor, pages come oldest page first, so a whole poll is
//!   oldest first too.
//! - **Cursor**: after each page it is the id of the page's newest event
//!   that has one; the caller sends it as `cursor_param` on the next request.
//! - **Exactly once**: every event's key — its id, or for an event without
//!   one a hash of its text — is remembered, and an event whose key was seen
//!   is skipped. This is what makes a cursorless source (GitHub's window of
//!   the newest events) work, and it guards cursor sources against servers
//!   that include the cursor's own event. Memory is bounded: only as many
//!   keys as the server can still return are kept — twice the largest page
//!   seen, at most [`MAX_REMEMBERED`] — oldest forgotten first.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use serde_json::Value;
use serde_json::value::RawValue;

use super::page::minify;
use crate::config::Order;
use crate::event::{Event, Pointers, SourceId};

/// Type of an event whose data has no type (or no `type_pointer` is set).
pub const DEFAULT_TYPE: &str = "message";
/// Id pointer used when the source sets none: a listed event's `id` member.
pub const DEFAULT_ID_POINTER: &str = "/id";
/// Most event keys remembered for deduplication, whatever the page size.
pub const MAX_REMEMBERED: usize = 100_000;
/// Keys remembered per event of the largest page seen.
const REMEMBER_PAGES: usize = 2;

/// How an event is recognised when it is listed again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(Box<str>),
    /// An event without an id: a hash of its (minified) text.
    Content(u64),
}

/// The keys of recently emitted events, oldest first, bounded.
#[derive(Debug, Default)]
struct Seen {
    set: HashSet<Key>,
    order: VecDeque<Key>,
}

impl Seen {
    /// Remember `key`; false when it was already remembered.
    fn insert(&mut self, key: Key) -> bool {
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        true
    }

    /// Forget the oldest keys until at most `cap` are left.
    fn shrink_to(&mut self, cap: usize) {
        while self.order.len() > cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.order.len()
    }
}

/// What one page gave.
#[derive(Debug, Default)]
pub struct Taken {
    /// New events, oldest first.
    pub events: Vec<Event>,
    /// Sizes of new events skipped for being over `max_event_bytes`.
    pub oversize: Vec<usize>,
}

/// The events-mode state of one source.
#[derive(Debug)]
pub struct EventsState {
    source: SourceId,
    pointers: Pointers,
    order: Order,
    max_event_bytes: usize,
    cursor: Option<String>,
    seen: Seen,
    largest_page: usize,
}

impl EventsState {
    /// State for a source reading events with `pointers` (the id pointer
    /// defaults to [`DEFAULT_ID_POINTER`]) from pages listed in `order`.
    pub fn new(source: SourceId, pointers: &Pointers, order: Order, max_event_bytes: usize) -> Self {
        let mut pointers = pointers.clone();
        pointers
            .id_pointer
            .get_or_insert_with(|| DEFAULT_ID_POINTER.to_owned());
        EventsState {
            source,
            pointers,
            order,
            max_event_bytes,
            cursor: None,
            seen: Seen::default(),
            largest_page: 0,
        }
    }

    /// The id of the newest event seen, for `cursor_param`.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// Take in one page (in the server's order): the events not seen before,
    /// oldest first, stamped `received`. Moves the cursor to the page's
    /// newest id.
    pub fn take(&mut self, items: &[&RawValue], received: i64) -> Taken {
        self.largest_page = self.largest_page.max(items.len());
        let mut taken = Taken::default();
        let oldest_first: Box<dyn Iterator<Item = &&RawValue>> = match self.order {
            Order::OldestFirst => Box::new(items.iter()),
            Order::NewestFirst => Box::new(items.iter().rev()),
        };
        for raw in oldest_first {
            let ev = self.build(raw, received);
            if let Some(id) = &ev.id {
                self.cursor = Some(id.clone());
            }
            let key = match &ev.id {
                Some(id) => Key::Id(id.as_str().into()),
                None => Key::Content(hash(&ev.data)),
            };
            if !self.seen.insert(key) {
                continue;
            }
            if ev.data.len() > self.max_event_bytes {
                taken.oversize.push(ev.data.len());
            } else {
                taken.events.push(ev);
            }
        }
        let cap = self
            .largest_page
            .saturating_mul(REMEMBER_PAGES)
            .min(MAX_REMEMBERED);
        self.seen.shrink_to(cap);
        taken
    }

    /// One listed event as an [`Event`]: data is its minified text, type,
    /// id and time come from the pointers.
    fn build(&self, raw: &RawValue, received: i64) -> Event {
        let data = minify(raw.get());
        let mut ev = Event {
            source: self.source,
            id: None,
            ty: DEFAULT_TYPE.to_owned(),
            time: None,
            received,
            data,
            json: Some(true),
            meta: None,
        };
        // The body was validated as a whole, so this parses.
        if let Ok(value) = serde_json::from_str::<Value>(&ev.data) {
            self.pointers.apply(&value, &mut ev);
        }
        ev
    }
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe_pointers() -> Pointers {
        Pointers {
            type_pointer: Some("/type".into()),
            id_pointer: Some("/id".into()),
            time_pointer: Some("/created".into()),
        }
    }

    /// `take` over a page written as JSON text.
    fn take(state: &mut EventsState, page: &str) -> Vec<Event> {
        let items: Vec<&RawValue> = serde_json::from_str(page).unwrap();
        state.take(&items, 7).events
    }

    fn ids(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.id.as_deref().unwrap()).collect()
    }

    #[test]
    fn newest_first_pages_come_out_oldest_first_with_the_cursor_on_the_newest() {
        let mut s = EventsState::new(3, &stripe_pointers(), Order::NewestFirst, 1 << 20);
        let got = take(
            &mut s,
            r#"[{"id":"evt_3","type":"b","created":1795860003},{"id":"evt_2","type":"a","created":"2026-11-28T10:00:02Z"}]"#,
        );
        assert_eq!(ids(&got), ["evt_2", "evt_3"]);
        assert_eq!(s.cursor(), Some("evt_3"));
        assert_eq!(got[1].ty, "b");
        assert_eq!(got[1].time, Some(1_795_860_003_000));
        assert_eq!(got[0].time, Some(1_795_860_002_000), "RFC 3339 time");
        assert_eq!(got[0].source, 3);
        assert_eq!(got[0].received, 7);
        assert_eq!(got[0].json, Some(true));
        assert_eq!(
            got[0].data,
            r#"{"id":"evt_2","type":"a","created":"2026-11-28T10:00:02Z"}"#
        );
    }

    #[test]
    fn oldest_first_pages_keep_their_order() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::OldestFirst, 1 << 20);
        let got = take(&mut s, r#"[{"id":1},{"id":2},{"id":3}]"#);
        assert_eq!(ids(&got), ["1", "2", "3"]);
        assert_eq!(s.cursor(), Some("3"), "numeric ids become text");
        assert_eq!(got[0].ty, DEFAULT_TYPE, "no type pointer");
    }

    #[test]
    fn overlapping_windows_emit_each_event_once() {
        let mut s = EventsState::new(0, &stripe_pointers(), Order::NewestFirst, 1 << 20);
        assert_eq!(
            ids(&take(&mut s, r#"[{"id":"c"},{"id":"b"},{"id":"a"}]"#)),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(&take(&mut s, r#"[{"id":"e"},{"id":"d"},{"id":"c"}]"#)),
            ["d", "e"]
        );
        assert!(take(&mut s, r#"[{"id":"e"},{"id":"d"},{"id":"c"}]"#).is_empty());
        assert_eq!(s.cursor(), Some("e"));
    }

    #[test]
    fn events_without_ids_are_deduplicated_by_content() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::NewestFirst, 1 << 20);
        assert_eq!(take(&mut s, r#"[{"n":2},{"n":1}]"#).len(), 2);
        let got = take(&mut s, r#"[{"n":3},{"n":2}, {"n" : 1}]"#);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].data, r#"{"n":3}"#);
        assert_eq!(s.cursor(), None, "no ids, no cursor");
    }

    #[test]
    fn memory_is_twice_the_largest_page() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::OldestFirst, 1 << 20);
        for start in (0..100).step_by(5) {
            let page: Vec<String> = (start..start + 5).map(|i| format!("{{\"id\":{i}}}")).collect();
            assert_eq!(take(&mut s, &format!("[{}]", page.join(","))).len(), 5);
            assert!(s.seen.len() <= 10, "{}", s.seen.len());
        }
        // The last two pages are still remembered, older ones are not.
        assert!(take(&mut s, r#"[{"id":90},{"id":99}]"#).is_empty());
        assert_eq!(ids(&take(&mut s, r#"[{"id":3}]"#)), ["3"]);
    }

    #[test]
    fn memory_is_capped() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::OldestFirst, 1 << 20);
        let page: Vec<String> = (0..MAX_REMEMBERED).map(|i| format!("{{\"id\":{i}}}")).collect();
        take(&mut s, &format!("[{}]", page.join(",")));
        assert_eq!(s.seen.len(), MAX_REMEMBERED);
        take(&mut s, r#"[{"id":"new"}]"#);
        assert_eq!(s.seen.len(), MAX_REMEMBERED);
        assert_eq!(
            ids(&take(&mut s, r#"[{"id":0}]"#)),
            ["0"],
            "the oldest was forgotten"
        );
    }

    #[test]
    fn oversize_events_are_reported_once_and_not_emitted() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::OldestFirst, 20);
        let page = r#"[{"id":"a"},{"id":"big","pad":"xxxxxxxxxxxxxxxx"},{"id":"b"}]"#;
        let items: Vec<&RawValue> = serde_json::from_str(page).unwrap();
        let taken = s.take(&items, 0);
        assert_eq!(ids(&taken.events), ["a", "b"]);
        assert_eq!(taken.oversize, [r#"{"id":"big","pad":"xxxxxxxxxxxxxxxx"}"#.len()]);
        let again = s.take(&items, 0);
        assert!(again.events.is_empty() && again.oversize.is_empty());
    }

    #[test]
    fn cursor_skips_a_newest_event_without_an_id() {
        let mut s = EventsState::new(0, &Pointers::default(), Order::NewestFirst, 1 << 20);
        take(&mut s, r#"[{"note":"no id"},{"id":"x1"},{"id":"x0"}]"#);
        assert_eq!(s.cursor(), Some("x1"));
    }
}
