//! The WebSocket kind's config: keys, defaults, errors, command-line URLs.

use std::time::Duration;

use serde_json::json;

use super::config::{GraphqlOptions, Protocol, WebSocketOptions};
use crate::config::{Config, SourceKind, cli_url_source, parse_config};

fn load(body: &str, env: &[(&str, &str)]) -> Result<Config, String> {
    let text = format!("[[source]]\nname = \"ws\"\nkind = \"websocket\"\n{body}\n");
    let lookup = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
    parse_config(&text, "c.toml", &lookup).map_err(|e| e.to_string())
}

fn options(body: &str) -> WebSocketOptions {
    let config = load(body, &[]).unwrap();
    match &config.sources[0].kind {
        SourceKind::WebSocket(o) => o.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_and_plain_keys() {
    assert_eq!(options("url = \"ws://h/\""), WebSocketOptions::default());
    let o = options(
        "url = \"wss://h/feed\"\nsubscribe = ['{\"a\":1}', 'b']\nping = \"off\"\nidle_timeout = \"5s\"",
    );
    assert_eq!(o.subscribe, ["{\"a\":1}", "b"]);
    assert_eq!((o.ping, o.idle_timeout), (None, Some(Duration::from_secs(5))));
    assert_eq!(o.protocol, Protocol::Plain);
}

#[test]
fn graphql_keys_with_secrets_from_the_environment() {
    let config = load(
        "url = \"ws://h/graphql\"\nprotocol = \"graphql-ws\"\nquery = \"subscription { a }\"\n\
         variables = { shop = \"eu\", n = 2 }\ninit_payload = { auth = { token = \"${T}\" } }",
        &[("T", "tok_9")],
    )
    .unwrap();
    let SourceKind::WebSocket(o) = &config.sources[0].kind else {
        panic!()
    };
    assert_eq!(
        o.protocol,
        Protocol::GraphqlWs(GraphqlOptions {
            queries: vec!["subscription { a }".into()],
            variables: Some(json!({"shop": "eu", "n": 2})),
            init_payload: Some(json!({"auth": {"token": "tok_9"}})),
        })
    );
    assert_eq!(config.secrets, ["tok_9"]);
}

#[test]
fn errors_name_the_key_and_why() {
    let err = |body: &str| load(body, &[]).unwrap_err();
    assert_eq!(
        err("url = \"https://h/\""),
        "c.toml: source \"ws\": key `url`: kind = \"websocket\" needs a ws or wss URL, not https:: \"https://h/\""
    );
    assert_eq!(
        err("url = \"ws://h/\"\nprotocol = \"graphql\""),
        "c.toml: source \"ws\": key `protocol`: expected \"plain\" or \"graphql-ws\", got \"graphql\""
    );
    assert_eq!(
        err("url = \"ws://h/\"\nquery = \"subscription { a }\""),
        "c.toml: source \"ws\": key `query`: applies only to protocol = \"graphql-ws\""
    );
    assert!(err("url = \"ws://h/\"\nprotocol = \"graphql-ws\"").starts_with(
        "c.toml: source \"ws\": key `query`: protocol = \"graphql-ws\" needs at least one subscription"
    ),);
    assert_eq!(
        err("url = \"ws://h/\"\nsubscribe = 3"),
        "c.toml: source \"ws\": key `subscribe`: expected a string or a list of strings"
    );
    assert!(
        err("url = \"ws://h/\"\nping = \"often\"")
            .starts_with("c.toml: source \"ws\": key `ping`: \"often\" is not a duration")
    );
    assert_eq!(
        err("url = \"ws://h/\"\nsubscribe = '${NOPE}'"),
        "c.toml: source \"ws\": subscribe: environment variable NOPE is not set"
    );
}

#[test]
fn websocket_keys_on_another_kind_are_rejected() {
    let text = "[[source]]\nname = \"s\"\nurl = \"https://h/\"\nsubscribe = 'x'\n";
    let err = parse_config(text, "c.toml", &|_| None).unwrap_err().to_string();
    assert!(
        err.contains("subscribe") && err.contains("\"websocket\""),
        "{err}"
    );
}

#[test]
fn ws_urls_on_the_command_line_are_websocket_sources() {
    let spec = cli_url_source("ticks=wss://feed.example/ws?x=1", &["X-Key: k".into()]).unwrap();
    assert_eq!(
        (spec.name.as_str(), spec.url.as_str()),
        ("ticks", "wss://feed.example/ws?x=1")
    );
    assert_eq!(spec.kind, SourceKind::WebSocket(WebSocketOptions::default()));
    assert_eq!(spec.headers[0].name, "X-Key");
    let spec = cli_url_source("ws://127.0.0.1:9/", &[]).unwrap();
    assert_eq!(spec.name, "127.0.0.1");
    let spec = cli_url_source("WSS://h/", &[]).unwrap();
    assert!(matches!(spec.kind, SourceKind::WebSocket(_)));
    let spec = cli_url_source("h=https://h/", &[]).unwrap();
    assert!(matches!(spec.kind, SourceKind::Sse(_)));
}
