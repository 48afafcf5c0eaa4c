//! The SSE parser on arbitrary bytes: never panics, never holds more than
//! twice its bound, and gives the same items for any split of the input.
#![no_main]

use evtop::source::sse::parser::{Parser, parse_all};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else { return };
    let whole = parse_all(bytes, MAX);
    let mut p = Parser::new(MAX);
    let mut out = Vec::new();
    let cut = usize::from(cut).min(bytes.len());
    p.feed(&bytes[..cut], &mut out);
    assert!(p.held_capacity() <= 2 * MAX);
    p.feed(&bytes[cut..], &mut out);
    assert!(p.held_capacity() <= 2 * MAX);
    assert_eq!(whole, out);
});
