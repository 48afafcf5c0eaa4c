//! The filter parser on arbitrary strings: never panics; a filter that
//! parses can be matched against an event without panicking.
#![no_main]

use evtop::event::EventRef;
use evtop::filter::Filter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|expr: &str| {
    if let Ok(f) = Filter::parse(expr) {
        let ev = EventRef {
            source: "payments",
            id: Some("evt_1"),
            ty: "charge.succeeded",
            time: None,
            received: 0,
            data: r#"{"amount":1200,"status":"failed","user":{"email":"a@acme.com"},"items":[{"sku":"A1"}]}"#,
            json: true,
            webhook: None,
            drift: false,
        };
        let _ = f.matches(&ev);
    }
});
