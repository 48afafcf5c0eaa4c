//! Every parsing rule of SPEC 3.1 as a table, each case fed whole, one byte
//! at a time and in random splits; plus a differential property test against
//! a literal, non-incremental transcription of the WHATWG algorithm.

use super::*;
use proptest::prelude::*;

const BIG: usize = 1 << 20;

fn ev(ty: &str, data: &str, id: Option<&str>, last: &str) -> Item {
    Item::Event(SseEvent {
        event_type: ty.to_owned(),
        data: data.to_owned(),
        id: id.map(str::to_owned),
        last_event_id: last.to_owned(),
    })
}

fn msg(data: &str) -> Item {
    ev("message", data, None, "")
}

/// Feed `bytes` split at the given cut points.
fn feed_split(bytes: &[u8], cuts: &[usize], max: usize) -> Vec<Item> {
    let mut p = Parser::new(max);
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts {
        let c = c.min(bytes.len()).max(last);
        p.feed(&bytes[last..c], &mut out);
        last = c;
    }
    p.feed(&bytes[last..], &mut out);
    out
}

fn byte_at_a_time(bytes: &[u8], max: usize) -> Vec<Item> {
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    feed_split(bytes, &cuts, max)
}

/// The table: (rule, input, expected items).
fn cases() -> Vec<(&'static str, Vec<u8>, Vec<Item>)> {
    vec![
        ("simple event, LF", b"data: hi\n\n".to_vec(), vec![msg("hi")]),
        ("CRLF line ends", b"data: hi\r\n\r\n".to_vec(), vec![msg("hi")]),
        (
            "CR-only line ends",
            b"data: hi\r\rdata: two\r\r".to_vec(),
            vec![msg("hi"), msg("two")],
        ),
        (
            "mixed line ends",
            b"data: a\r\ndata: b\rdata: c\n\r\n".to_vec(),
            vec![msg("a\nb\nc")],
        ),
        (
            "UTF-8 BOM dropped",
            b"\xEF\xBB\xBFdata: x\n\n".to_vec(),
            vec![msg("x")],
        ),
        (
            "only one BOM dropped",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n".to_vec(),
            // The second BOM starts the field name, so the field is unknown.
            vec![],
        ),
        (
            "BOM prefix that is not a BOM is content",
            b"\xEF\xBBdata: x\n\ndata: y\n\n".to_vec(),
            vec![msg("y")],
        ),
        (
            "comment ignored",
            b": keepalive\ndata: x\n\n".to_vec(),
            vec![msg("x")],
        ),
        (
            "comment-only block not dispatched",
            b": ping\n\n".to_vec(),
            vec![],
        ),
        (
            "field with no colon is a field with empty value",
            b"data\ndata\ndata: z\n\n".to_vec(),
            vec![msg("\n\nz")],
        ),
        (
            "one leading space removed",
            b"data:  two\n\n".to_vec(),
            vec![msg(" two")],
        ),
        ("no space after colon", b"data:x\n\n".to_vec(), vec![msg("x")]),
        (
            "colon in value kept",
            b"data: a:b: c\n\n".to_vec(),
            vec![msg("a:b: c")],
        ),
        (
            "multi-line data joined by LF",
            b"data: one\ndata: two\ndata: three\n\n".to_vec(),
            vec![msg("one\ntwo\nthree")],
        ),
        (
            "a lone data field dispatches empty data",
            b"data\n\n".to_vec(),
            vec![msg("")],
        ),
        (
            "data: then empty -> one newline",
            b"data:\ndata:\n\n".to_vec(),
            vec![msg("\n")],
        ),
        (
            "event type",
            b"event: charge.succeeded\ndata: {}\n\n".to_vec(),
            vec![ev("charge.succeeded", "{}", None, "")],
        ),
        (
            "event type resets after dispatch",
            b"event: a\ndata: 1\n\ndata: 2\n\n".to_vec(),
            vec![ev("a", "1", None, ""), msg("2")],
        ),
        (
            "empty event field means message",
            b"event:\ndata: 1\n\n".to_vec(),
            vec![msg("1")],
        ),
        (
            "id carried and persists as last_event_id",
            b"id: 7\ndata: a\n\ndata: b\n\n".to_vec(),
            vec![ev("message", "a", Some("7"), "7"), ev("message", "b", None, "7")],
        ),
        (
            "id with NUL ignored",
            b"id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n".to_vec(),
            vec![ev("message", "a", Some("1"), "1"), ev("message", "b", None, "1")],
        ),
        (
            "empty id resets last event id",
            b"id: 1\ndata: a\n\nid\ndata: b\n\n".to_vec(),
            vec![ev("message", "a", Some("1"), "1"), ev("message", "b", None, "")],
        ),
        (
            "id-only block not dispatched but id kept",
            b"id: 5\n\ndata: a\n\n".to_vec(),
            vec![ev("message", "a", None, "5")],
        ),
        (
            "retry all digits",
            b"retry: 2500\n\n".to_vec(),
            vec![Item::Retry(2500)],
        ),
        (
            "retry not digits ignored",
            b"retry: 25x\nretry: -1\nretry:\nretry: 1.5\n\n".to_vec(),
            vec![],
        ),
        (
            "retry huge saturates",
            b"retry: 99999999999999999999999\n\n".to_vec(),
            vec![Item::Retry(u64::MAX)],
        ),
        (
            "unknown field ignored",
            b"foo: bar\ndata: x\nDATA: y\n\n".to_vec(),
            vec![msg("x")],
        ),
        (
            "block with no data not dispatched",
            b"event: a\n\n".to_vec(),
            vec![],
        ),
        (
            "unterminated block at end discarded",
            b"data: a\n\ndata: b\n".to_vec(),
            vec![msg("a")],
        ),
        (
            "unterminated line at end discarded",
            b"data: a\n\ndata: b".to_vec(),
            vec![msg("a")],
        ),
        (
            "UTF-8 multibyte kept",
            "data: héllo ✓ 😀\n\n".as_bytes().to_vec(),
            vec![msg("héllo ✓ 😀")],
        ),
        (
            "invalid UTF-8 replaced",
            b"data: a\xFFb\n\n".to_vec(),
            vec![msg("a\u{FFFD}b")],
        ),
        (
            "CR at end then LF next is one line end",
            b"data: a\r\n\r\ndata: b\r\n\r\n".to_vec(),
            vec![msg("a"), msg("b")],
        ),
        (
            "leading blank lines harmless",
            b"\n\n\ndata: a\n\n".to_vec(),
            vec![msg("a")],
        ),
    ]
}

#[test]
fn table_whole_bytewise_and_split() {
    let mut rng = fastrand::Rng::with_seed(7);
    for (rule, input, expected) in cases() {
        assert_eq!(parse_all(&input, BIG), expected, "whole: {rule}");
        assert_eq!(byte_at_a_time(&input, BIG), expected, "byte at a time: {rule}");
        for _ in 0..50 {
            let mut cuts: Vec<usize> = (0..rng.usize(0..6)).map(|_| rng.usize(0..=input.len())).collect();
            cuts.sort_unstable();
            assert_eq!(feed_split(&input, &cuts, BIG), expected, "split {cuts:?}: {rule}");
        }
    }
}

#[test]
fn utf8_character_split_across_reads() {
    let input = "data: €\n\n".as_bytes();
    // '€' is 3 bytes at offsets 6..9: cut inside it both ways.
    for cuts in [vec![7], vec![8], vec![7, 8]] {
        assert_eq!(feed_split(input, &cuts, BIG), vec![msg("€")], "cuts {cuts:?}");
    }
}

#[test]
fn bom_split_across_reads() {
    let input = b"\xEF\xBB\xBFdata: x\n\n";
    for cut in 1..4 {
        assert_eq!(feed_split(input, &[cut], BIG), vec![msg("x")], "cut {cut}");
    }
}

#[test]
fn crlf_split_between_cr_and_lf_is_one_line_end() {
    let input = b"data: a\r\n\r\n";
    assert_eq!(feed_split(input, &[8], BIG), vec![msg("a")]);
    assert_eq!(feed_split(input, &[10], BIG), vec![msg("a")]);
}

#[test]
fn last_event_id_committed_on_dispatch_only() {
    let mut p = Parser::new(BIG);
    let mut out = Vec::new();
    p.feed(b"id: 9\n", &mut out);
    assert_eq!(p.last_event_id(), None, "not committed before the block ends");
    p.feed(b"\n", &mut out);
    assert_eq!(p.last_event_id(), Some("9"));
    assert!(out.is_empty());
}

#[test]
fn oversize_event_between_two_small_ones_is_skipped_and_reported() {
    let max = 1024;
    let mut input = b"data: small1\n\n".to_vec();
    input.extend_from_slice(b"event: big\ndata: ");
    input.extend(std::iter::repeat_n(b'x', 5000));
    input.extend_from_slice(b"\nid: 42\ndata: tail\n\ndata: small2\n\n");
    for items in [parse_all(&input, max), byte_at_a_time(&input, max)] {
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0], msg("small1"));
        assert!(
            matches!(items[1], Item::Oversize { bytes } if bytes > 5000),
            "{:?}",
            items[1]
        );
        // The id inside the skipped block still counts for resuming.
        assert_eq!(items[2], ev("message", "small2", None, "42"));
    }
}

#[test]
fn oversize_from_many_data_lines() {
    let max = 1024;
    let mut input = Vec::new();
    for _ in 0..100 {
        input.extend_from_slice(b"data: 0123456789abcdef\n");
    }
    input.extend_from_slice(b"\ndata: after\n\n");
    let items = parse_all(&input, max);
    assert!(matches!(items[0], Item::Oversize { .. }), "{items:?}");
    assert_eq!(items[1], msg("after"));
}

#[test]
fn event_exactly_at_bound_is_delivered() {
    let max = 1024;
    // data buffer = value + '\n' must fit: the line "data: " + value is what is held.
    let value = "y".repeat(max - "data: ".len());
    let input = format!("data: {value}\n\n");
    assert_eq!(parse_all(input.as_bytes(), max), vec![msg(&value)]);
    let value = "y".repeat(max - "data: ".len() + 1);
    let input = format!("data: {value}\n\n");
    assert!(matches!(
        parse_all(input.as_bytes(), max)[0],
        Item::Oversize { .. }
    ));
}

#[test]
fn endless_line_never_grows_past_bound() {
    let max = 64 * 1024;
    let mut p = Parser::new(max);
    let mut out = Vec::new();
    p.feed(b"data: ", &mut out);
    let chunk = vec![b'z'; 16 * 1024];
    for _ in 0..4096 {
        // 64 MiB in all, no newline.
        p.feed(&chunk, &mut out);
        assert!(p.held_capacity() <= max, "held {} > {max}", p.held_capacity());
    }
    assert!(out.is_empty());
    p.feed(b"\n\ndata: ok\n\n", &mut out);
    assert!(matches!(out[0], Item::Oversize { bytes } if bytes >= 64 << 20));
    assert_eq!(out[1], msg("ok"));
}

/// A literal transcription of the WHATWG algorithm over the whole input,
/// written for clarity, not speed: the oracle for the property test.
fn reference(input: &[u8]) -> Vec<Item> {
    let bytes = input.strip_prefix(&BOM[..]).unwrap_or(input);
    let text = String::from_utf8_lossy(bytes);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut complete_last = false;
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
                complete_last = true;
            }
            '\n' => {
                lines.push(std::mem::take(&mut cur));
                complete_last = true;
            }
            c => {
                cur.push(c);
                complete_last = false;
            }
        }
    }
    let _ = complete_last; // an unterminated last line is simply never pushed
    let (mut data, mut ty, mut idbuf) = (String::new(), String::new(), String::new());
    let mut block_id: Option<String> = None;
    let mut out = Vec::new();
    for line in lines {
        if line.is_empty() {
            let own = block_id.take();
            if data.is_empty() {
                ty.clear();
                continue;
            }
            data.pop();
            out.push(Item::Event(SseEvent {
                event_type: if ty.is_empty() {
                    "message".into()
                } else {
                    ty.clone()
                },
                data: std::mem::take(&mut data),
                id: own.filter(|s| !s.is_empty()),
                last_event_id: idbuf.clone(),
            }));
            ty.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()),
            None => (line.clone(), String::new()),
        };
        match name.as_str() {
            "event" => ty = value,
            "data" => {
                data.push_str(&value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => {
                idbuf = value.clone();
                block_id = Some(value);
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(Item::Retry(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {}
        }
    }
    out
}

/// Streams made of SSE-ish pieces, so random input exercises real structure.
fn stream_strategy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b": ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("é€😀".as_bytes().to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\xFF".to_vec()),
        "[a-z0-9 :]{0,8}".prop_map(String::into_bytes),
        "[0-9]{1,4}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Agrees with the literal WHATWG transcription, whole and in any split.
    #[test]
    fn agrees_with_reference_on_random_streams(
        input in stream_strategy(),
        cuts in proptest::collection::vec(0usize..400, 0..8),
    ) {
        let expected = reference(&input);
        prop_assert_eq!(&parse_all(&input, BIG), &expected);
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(&feed_split(&input, &cuts, BIG), &expected);
    }

    /// Arbitrary bytes: never panics, never holds more than the bound, and
    /// the split does not change the result.
    #[test]
    fn arbitrary_bytes_bounded_and_split_invariant(
        input in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(0usize..3000, 0..10),
        max in 16usize..512,
    ) {
        let whole = parse_all(&input, max);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut p = Parser::new(max);
        let mut out = Vec::new();
        let mut last = 0;
        for c in cuts.iter().map(|&c| c.min(input.len())) {
            p.feed(&input[last..c.max(last)], &mut out);
            last = c.max(last);
            prop_assert!(p.held_capacity() <= 2 * max);
        }
        p.feed(&input[last..], &mut out);
        prop_assert_eq!(whole, out);
    }
}
