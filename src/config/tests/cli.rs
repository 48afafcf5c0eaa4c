//! Command-line sources, `-H` headers and the merge with config sources.

use std::time::Duration;

use super::super::*;
use super::parse;

fn sse(arg: &str) -> SourceSpec {
    cli_sse_source(arg, &[]).expect("valid command-line source")
}

fn cli_err(result: Result<SourceSpec, ConfigError>) -> String {
    let message = result.expect_err("should be rejected").to_string();
    assert!(!message.contains('\n'));
    message
}

#[test]
fn name_equals_url_names_the_source() {
    let spec = sse("payments=https://events.example.com/stream");
    assert_eq!(spec.name, "payments");
    assert_eq!(spec.url, "https://events.example.com/stream");
    assert_eq!(spec.url_display, "https://events.example.com/stream");
    assert!(!spec.named_after_host);
    assert_eq!(spec.kind, SourceKind::Sse(SseOptions::default()));
}

#[test]
fn plain_url_is_named_after_its_host() {
    let spec = sse("https://events.example.com:8443/stream");
    assert_eq!(spec.name, "events.example.com");
    assert_eq!(spec.url, "https://events.example.com:8443/stream");
    assert!(spec.named_after_host);
}

#[test]
fn equals_sign_inside_the_url_is_not_a_name() {
    let spec = sse("https://h.example/stream?a=b&c=d");
    assert_eq!(spec.name, "h.example");
    assert_eq!(spec.url, "https://h.example/stream?a=b&c=d");
    let spec = sse("feed=https://h.example/stream?a=b");
    assert_eq!(spec.name, "feed");
    assert_eq!(spec.url, "https://h.example/stream?a=b");
}

#[test]
fn prefix_that_breaks_the_name_rule_is_part_of_the_url() {
    assert_eq!(
        cli_err(cli_sse_source("-x=https://h.example/", &[])),
        "command line: \"-x=https://h.example/\": not a valid URL (relative URL without a base)"
    );
}

#[test]
fn non_http_urls_are_rejected() {
    assert_eq!(
        cli_err(cli_sse_source("ws://h.example/", &[])),
        "command line: \"ws://h.example/\": expected an http or https URL, not ws:"
    );
    assert_eq!(
        cli_err(cli_sse_source("feed=/stream", &[])),
        "command line: \"/stream\": not a valid URL (relative URL without a base)"
    );
}

#[test]
fn a_url_without_a_scheme_is_taken_as_http_with_a_note() {
    for (arg, name, url) in [
        (
            "localhost:8701/stream",
            "localhost",
            "http://localhost:8701/stream",
        ),
        ("feed=h.example/stream?a=b", "feed", "http://h.example/stream?a=b"),
        ("127.0.0.1:9/", "127.0.0.1", "http://127.0.0.1:9/"),
    ] {
        let spec = sse(arg);
        assert_eq!((spec.name.as_str(), spec.url.as_str()), (name, url), "{arg}");
        let note = cli_url_note(arg).unwrap_or_else(|| panic!("no note for {arg}"));
        assert!(note.contains(&format!("using {url} (as curl does)")), "{note}");
    }
    assert_eq!(cli_url_note("https://h.example/"), None);
    assert_eq!(cli_url_note("feed=http://h.example/"), None);
    let spec = cli_poll_source("localhost:8701/v1/events", &[], None).unwrap();
    assert_eq!(spec.url, "http://localhost:8701/v1/events");
}

#[test]
fn headers_are_parsed_trimmed_and_masked_by_name() {
    let headers = vec![
        "Authorization:  Bearer abc ".to_string(),
        "Accept: text/event-stream".to_string(),
    ];
    let spec = cli_sse_source("https://h.example/", &headers).unwrap();
    assert_eq!(
        spec.headers,
        vec![
            HeaderSpec {
                name: "Authorization".into(),
                value: "Bearer abc".into(),
                display: "***".into(),
                sensitive: true,
            },
            HeaderSpec {
                name: "Accept".into(),
                value: "text/event-stream".into(),
                display: "text/event-stream".into(),
                sensitive: false,
            },
        ]
    );
}

#[test]
fn no_expansion_on_the_command_line() {
    let spec = cli_sse_source("https://h.example/?q=${X}", &["X-Price: $$5".to_string()]).unwrap();
    assert_eq!(spec.url, "https://h.example/?q=${X}");
    assert_eq!(spec.headers[0].value, "$$5");
}

#[test]
fn header_parse_errors() {
    let headers = |h: &str| vec!["Accept: */*".to_string(), h.to_string()];
    assert_eq!(
        cli_err(cli_sse_source("https://h.example/", &headers("Bearer abc"))),
        "command line: header #2 (-H) has no `:`; write -H 'Name: value'"
    );
    assert_eq!(
        cli_err(cli_sse_source("https://h.example/", &headers("Bad Name: x"))),
        "command line: header #2 (-H): \"Bad Name\" is not a valid HTTP header name; write -H 'Name: value'"
    );
    assert_eq!(
        cli_err(cli_sse_source("https://h.example/", &headers(": x"))),
        "command line: header #2 (-H): \"\" is not a valid HTTP header name; write -H 'Name: value'"
    );
    let message = cli_err(cli_sse_source("https://h.example/", &headers("X-Token: a\nb")));
    assert_eq!(
        message,
        "command line: header X-Token (-H): the value contains a line break, another control \
         character or non-ASCII text; header values must be printable ASCII"
    );
}

#[test]
fn poll_source_has_events_mode_defaults_and_the_interval() {
    let spec = cli_poll_source("https://api.example.com/events", &[], None).unwrap();
    assert_eq!(spec.name, "api.example.com");
    assert!(spec.named_after_host);
    assert_eq!(spec.kind, SourceKind::Poll(PollOptions::default()));
    assert_eq!(
        (
            spec.pointers.type_pointer.as_deref(),
            spec.pointers.id_pointer.as_deref()
        ),
        (Some("/type"), Some("/id")),
        "--poll reads /type and /id as --listen does"
    );
    let spec = cli_poll_source(
        "ev=https://api.example.com/events",
        &[],
        Some(Duration::from_millis(100)),
    )
    .unwrap();
    assert_eq!(spec.name, "ev");
    match spec.kind {
        SourceKind::Poll(p) => {
            assert_eq!(p.interval, Duration::from_millis(100));
            assert_eq!(p.mode, PollMode::Events);
            assert_eq!(p.items, None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        cli_err(cli_poll_source(
            "https://h.example/",
            &[],
            Some(Duration::from_millis(50))
        )),
        "command line: --interval must be at least 100ms, got 50ms"
    );
}

#[test]
fn diff_source_is_a_poll_source_in_diff_mode() {
    let spec = cli_diff_source(
        "btc=https://api.example.com/ticker",
        &[],
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    assert_eq!(spec.name, "btc");
    assert_eq!(spec.pointers, crate::event::Pointers::default());
    match spec.kind {
        SourceKind::Poll(p) => {
            assert_eq!(p.mode, PollMode::Diff);
            assert_eq!(p.interval, Duration::from_secs(1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        cli_err(cli_diff_source(
            "https://h.example/",
            &[],
            Some(Duration::from_millis(50))
        )),
        "command line: --interval must be at least 100ms, got 50ms"
    );
}

fn config_sources() -> Vec<SourceSpec> {
    parse(
        "[[source]]\nname = \"h.example\"\nurl = \"https://h.example/a\"\n\
         [[source]]\nname = \"payments\"\nurl = \"https://pay.example/s\"",
    )
    .unwrap()
    .sources
}

fn names(sources: &[SourceSpec]) -> Vec<&str> {
    sources.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn merge_puts_config_first_and_suffixes_host_names() {
    let cli = vec![
        sse("https://h.example/b"),
        sse("https://other.example/"),
        sse("https://h.example/c"),
    ];
    let merged = merge(config_sources(), cli).unwrap();
    assert_eq!(
        names(&merged),
        [
            "h.example",
            "payments",
            "h.example-2",
            "other.example",
            "h.example-3"
        ]
    );
    assert_eq!(merged[2].url, "https://h.example/b");
    assert_eq!(merged[4].url, "https://h.example/c");
}

#[test]
fn explicit_names_are_reserved_before_host_names() {
    let cli = vec![
        sse("https://feed/x"),
        sse("feed=https://a.example/"),
        sse("feed-2=https://b.example/"),
    ];
    let merged = merge(Vec::new(), cli).unwrap();
    assert_eq!(names(&merged), ["feed-3", "feed", "feed-2"]);
}

#[test]
fn explicit_name_colliding_with_config_is_an_error_naming_both() {
    let error = merge(config_sources(), vec![sse("payments=https://other.example/s")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "two sources are named \"payments\": the config source for https://pay.example/s and \
         the command-line source for https://other.example/s; rename one (NAME=URL on the command line)"
    );
}

#[test]
fn explicit_names_colliding_on_the_command_line_are_an_error() {
    let cli = vec![sse("a=https://one.example/"), sse("a=https://two.example/")];
    assert_eq!(
        merge(Vec::new(), cli).unwrap_err().to_string(),
        "two sources are named \"a\": the command-line source for https://one.example/ and \
         the command-line source for https://two.example/; rename one (NAME=URL on the command line)"
    );
}

#[test]
fn merge_allows_at_most_65535_sources() {
    let one = sse("a=https://h.example/");
    let many: Vec<SourceSpec> = (0..MAX_SOURCES)
        .map(|i| SourceSpec {
            name: format!("s{i}"),
            ..one.clone()
        })
        .collect();
    assert_eq!(merge(many.clone(), Vec::new()).unwrap().len(), 65_535);
    let error = merge(many, vec![one]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "65536 sources given; at most 65535 are supported"
    );
}
