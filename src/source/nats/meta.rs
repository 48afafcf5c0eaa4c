//! What a NATS message records besides its payload (SPEC 9.1): the subject
//! it was published on and, from a JetStream stream, its stream sequence —
//! the `"nats"` member of its NDJSON line and two lines in the detail pane.
//!
//! An event another evtop relayed (`format = "evtop"`, SPEC 9.2) is the
//! original event: it keeps the original source name and metadata (a
//! webhook delivery's), writes its NDJSON line as it was first written and
//! marks, filters and counts as the original did; only the detail pane adds
//! where it came through.

use serde::{Deserialize, Serialize};

use super::super::registry::{DetailLine, Meta, Tone};

/// A NATS message's subject and stream sequence, exactly as the NDJSON
/// line's `"nats"` object carries it; or a relayed event's origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatsMeta {
    /// The subject the message was published on.
    pub subject: String,
    /// Its stream sequence, from a JetStream stream; `null` from a core
    /// subscription.
    pub seq: Option<u64>,
    /// Set when the payload was an event relayed by another evtop.
    #[serde(skip)]
    relayed: Option<Box<Relayed>>,
}

/// A relayed event's origin: the source that first produced it and what
/// that kind of source recorded besides the data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Relayed {
    source: String,
    meta: Option<Meta>,
}

impl NatsMeta {
    /// The NDJSON member this metadata is written as.
    pub const NDJSON_KEY: &'static str = "nats";

    /// A message received on `subject` (with its stream sequence).
    pub fn new(subject: String, seq: Option<u64>) -> Self {
        NatsMeta {
            subject,
            seq,
            relayed: None,
        }
    }

    /// A relayed event, first produced by the source named `source` with
    /// `meta`, received on `subject`.
    pub fn relayed(subject: String, seq: Option<u64>, source: String, meta: Option<Meta>) -> Self {
        NatsMeta {
            subject,
            seq,
            relayed: Some(Box::new(Relayed { source, meta })),
        }
    }

    /// Whether this is a relayed event (its NDJSON line is the original's).
    pub fn is_relayed(&self) -> bool {
        self.relayed.is_some()
    }

    /// A relayed event's own metadata (a webhook delivery's), if any.
    pub fn relayed_meta(&self) -> Option<&Meta> {
        self.relayed.as_ref().and_then(|r| r.meta.as_ref())
    }

    /// A relayed event's original source name.
    pub fn relayed_source(&self) -> Option<&str> {
        self.relayed.as_ref().map(|r| r.source.as_str())
    }

    /// The detail pane's lines: a relayed event's own lines first, then
    /// the subject and stream sequence it came with.
    pub fn detail(&self) -> Vec<DetailLine> {
        let mut lines = self.relayed_meta().map(Meta::detail).unwrap_or_default();
        let via = if self.is_relayed() { "relayed" } else { "subject" };
        lines.push(DetailLine::Field(via, self.subject.clone(), Tone::Plain));
        let seq = match self.seq {
            Some(seq) => (format!("{seq} (stream)"), Tone::Plain),
            None => ("none (core NATS)".to_owned(), Tone::Dim),
        };
        lines.push(DetailLine::Field("sequence", seq.0, seq.1));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventRef, WebhookMeta};

    fn line(meta: &Meta, source: &str) -> String {
        let ev = EventRef {
            source,
            id: Some("e1"),
            ty: "paid",
            time: None,
            received: 0,
            data: "{}",
            json: true,
            meta: Some(meta),
            drift: false,
        };
        let mut out = Vec::new();
        crate::output::ndjson(&ev, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ndjson_carries_subject_and_sequence() {
        let meta = Meta::Nats(NatsMeta::new("orders.paid".into(), Some(7)));
        assert!(
            line(&meta, "orders").ends_with(",\"nats\":{\"subject\":\"orders.paid\",\"seq\":7}}\n"),
            "{}",
            line(&meta, "orders")
        );
        let core = Meta::Nats(NatsMeta::new("a.b".into(), None));
        assert!(line(&core, "a").contains("\"nats\":{\"subject\":\"a.b\",\"seq\":null}"));
        assert_eq!(core.mark(), "");
        assert_eq!(core.source_name(), None);
    }

    #[test]
    fn a_relayed_event_is_written_marked_and_named_as_the_original() {
        let hook = WebhookMeta {
            verified: Some(false),
            reason: Some("bad signature".into()),
            headers: Default::default(),
            forward: None,
            attempt: 2,
        };
        let original = Meta::Webhook(hook.clone());
        let relayed = Meta::Nats(NatsMeta::relayed(
            "evtop.hooks.paid".into(),
            Some(3),
            "hooks".into(),
            Some(original.clone()),
        ));
        assert_eq!(line(&relayed, "relay"), line(&original, "relay"));
        assert_eq!(relayed.mark(), original.mark());
        assert_eq!(relayed.webhook(), Some(&hook));
        assert!(relayed.repeat() && relayed.failed_check());
        assert_eq!(relayed.source_name(), Some("hooks"));
        let plain = Meta::Nats(NatsMeta::relayed("evtop.s.t".into(), Some(4), "s".into(), None));
        assert!(
            !line(&plain, "relay").contains("nats"),
            "{}",
            line(&plain, "relay")
        );
        let detail = relayed.detail();
        assert_eq!(
            detail.last(),
            Some(&DetailLine::Field("sequence", "3 (stream)".into(), Tone::Plain))
        );
        assert!(detail.len() > 2, "the webhook's lines come first: {detail:?}");
    }
}
