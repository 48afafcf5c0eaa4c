//! `kind = "webhook"`: defaults, `listen` forms, presets, `verify` and
//! `secret`, `forward_to`, kind/key mismatches, routes, and `--listen`.

use std::net::SocketAddr;
use std::time::Duration;

use super::super::*;
use super::{env_of, err, err_env, only, parse};

/// A webhook source named "h" listening on 8787 with `body` added.
fn hook(body: &str) -> String {
    format!("[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"8787\"\n{body}\n")
}

fn opts(spec: &SourceSpec) -> &WebhookOptions {
    match &spec.kind {
        SourceKind::Webhook(o) => o,
        other => panic!("expected a webhook source, got {other:?}"),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn minimal_webhook_source_has_the_defaults() {
    let spec = only(&hook(""));
    let o = opts(&spec);
    assert_eq!(o.listen, addr("127.0.0.1:8787"));
    assert_eq!(o.path, "/");
    assert_eq!(o.verify, Verify::None);
    assert_eq!(o.key, SecretKey::default());
    assert_eq!(o.tolerance, Duration::from_secs(300));
    assert_eq!(
        (
            o.forward_to.as_deref(),
            o.type_header.as_deref(),
            o.id_header.as_deref()
        ),
        (None, None, None)
    );
    assert_eq!(spec.pointers, crate::event::Pointers::default());
    assert_eq!(spec.url, "http://127.0.0.1:8787/");
    assert!(spec.headers.is_empty());
}

#[test]
fn listen_takes_a_port_or_an_address() {
    for (text, want) in [
        ("8787", "127.0.0.1:8787"),
        ("127.0.0.1:9000", "127.0.0.1:9000"),
        ("localhost:9000", "127.0.0.1:9000"),
        ("0.0.0.0:9000", "0.0.0.0:9000"),
        ("[::1]:9000", "[::1]:9000"),
        ("0", "127.0.0.1:0"),
    ] {
        assert_eq!(parse_listen(text), Ok(addr(want)), "{text}");
    }
    for bad in ["", "example.com:80", "70000", "127.0.0.1", ":80"] {
        assert!(parse_listen(bad).is_err(), "{bad}");
    }
    assert!(
        err(&hook("").replace("\"8787\"", "\"example.com:80\"")).starts_with(
            "config.toml: source \"h\": key `listen`: \"example.com:80\" is not PORT or HOST:PORT"
        )
    );
    assert_eq!(
        err("[[source]]\nname = \"h\"\nkind = \"webhook\"\n"),
        "config.toml: source \"h\": key `listen` is required"
    );
}

#[test]
fn stripe_preset_fills_pointers_and_verify() {
    let env = env_of(&[("STRIPE_WEBHOOK_SECRET", "whsec_abc123")]);
    let config = parse_config(
        &hook("preset = \"stripe\"\npath = \"/webhooks/stripe\"\nsecret = \"${STRIPE_WEBHOOK_SECRET}\""),
        "config.toml",
        &env,
    )
    .unwrap();
    let spec = &config.sources[0];
    let o = opts(spec);
    assert_eq!(o.verify, Verify::Stripe);
    assert_eq!(o.key.0, b"whsec_abc123");
    assert_eq!(o.path, "/webhooks/stripe");
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/type"));
    assert_eq!(spec.pointers.id_pointer.as_deref(), Some("/id"));
    assert_eq!(spec.pointers.time_pointer.as_deref(), Some("/created"));
    assert_eq!(config.secrets, ["whsec_abc123"]);
    assert!(
        !format!("{spec:?}").contains("abc123"),
        "the key stays out of debug output"
    );
}

#[test]
fn github_preset_reads_the_event_header_and_the_delivery_id() {
    let spec = only(&hook(
        "preset = \"github\"\nsecret = \"It's a Secret to Everybody\"",
    ));
    let o = opts(&spec);
    assert_eq!(o.verify, Verify::Github);
    assert_eq!(o.type_header.as_deref(), Some("x-github-event"));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/action"));
    assert_eq!(o.id_header.as_deref(), Some("x-github-delivery"));
    assert_eq!(spec.pointers.id_pointer, None);
    assert_eq!(o.key.0, b"It's a Secret to Everybody");
    // A literal secret is masked like a ${VAR} one.
    let config = parse(&hook("preset = \"github\"\nsecret = \"literal-secret\"")).unwrap();
    assert_eq!(config.secrets, ["literal-secret"]);
}

#[test]
fn standard_preset_decodes_its_secret() {
    let spec = only(&hook(
        "preset = \"standard\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
    ));
    let o = opts(&spec);
    assert_eq!(o.verify, Verify::Standard);
    assert_eq!(o.id_header.as_deref(), Some("webhook-id"));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/type"));
    assert_eq!(o.key.0, standard_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap());
    let config = parse(&hook(
        "preset = \"standard\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
    ))
    .unwrap();
    assert_eq!(
        config.secrets,
        [
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        ]
    );
    assert_eq!(
        err(&hook("preset = \"standard\"\nsecret = \"whsec_not base64\"")),
        "config.toml: source \"h\": key `secret`: a Standard Webhooks secret is `whsec_` followed by base64, as the sender shows it"
    );
}

#[test]
fn explicit_keys_override_the_preset() {
    let spec = only(&hook(
        "preset = \"stripe\"\nverify = \"none\"\nid_pointer = \"/data/object/id\"\ntolerance = \"10m\"",
    ));
    let o = opts(&spec);
    assert_eq!(o.verify, Verify::None);
    assert_eq!(o.tolerance, Duration::from_secs(600));
    assert_eq!(spec.pointers.id_pointer.as_deref(), Some("/data/object/id"));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/type"));
    let spec = only(&hook("verify = \"github\"\nsecret = \"s\""));
    assert_eq!(opts(&spec).verify, Verify::Github);
    assert_eq!(opts(&spec).type_header, None, "verify alone is not the preset");
}

#[test]
fn secret_is_required_to_verify_and_checked() {
    assert_eq!(
        err(&hook("verify = \"stripe\"")),
        "config.toml: source \"h\": key `secret`: is required unless verify = \"none\" (the signing secret the sender shows, e.g. ${STRIPE_WEBHOOK_SECRET})"
    );
    assert_eq!(
        err(&hook("verify = \"stripe\"\nsecret = \"\"")),
        "config.toml: source \"h\": key `secret`: must not be empty"
    );
    assert_eq!(
        err(&hook("preset = \"stripe\"\nsecret = \"${WH_SECRET}\"")),
        "config.toml: source \"h\": secret: environment variable WH_SECRET is not set"
    );
    assert_eq!(
        err(&hook("verify = \"hmac\"")),
        "config.toml: source \"h\": key `verify`: expected \"stripe\", \"github\", \"standard\" or \"none\", got \"hmac\""
    );
    assert_eq!(
        err(&hook("preset = \"shopify\"")),
        "config.toml: source \"h\": key `preset`: expected \"stripe\", \"github\" or \"standard\", got \"shopify\""
    );
    // With verify = "none" a secret is ignored (not even required to be set).
    assert_eq!(opts(&only(&hook("secret = \"x\""))).key, SecretKey::default());
}

#[test]
fn tolerance_and_path_are_checked() {
    assert_eq!(
        err(&hook("tolerance = \"500ms\"")),
        "config.toml: source \"h\": key `tolerance`: must be at least 1s, got \"500ms\""
    );
    for bad in ["hooks", "/a b", "/a?b=1", "/a#x"] {
        assert!(
            err(&hook(&format!("path = \"{bad}\""))).contains("key `path`: "),
            "{bad}"
        );
    }
}

#[test]
fn forward_to_is_an_http_url_with_secrets_masked_in_display() {
    let env = env_of(&[("APP_TOKEN", "tok_9")]);
    let config = parse_config(
        &hook("forward_to = \"http://127.0.0.1:3000/hooks?token=${APP_TOKEN}\""),
        "config.toml",
        &env,
    )
    .unwrap();
    let spec = &config.sources[0];
    assert_eq!(
        opts(spec).forward_to.as_deref(),
        Some("http://127.0.0.1:3000/hooks?token=tok_9")
    );
    assert_eq!(
        spec.url_display,
        "http://127.0.0.1:8787/ → http://127.0.0.1:3000/hooks?token=***"
    );
    assert_eq!(config.secrets, ["tok_9"]);
    assert!(
        err_env(&hook("forward_to = \"ftp://h/\""), &env)
            .contains("key `forward_to`: expected an http or https URL")
    );
}

#[test]
fn keys_of_other_kinds_are_rejected_both_ways() {
    for (key, value) in [
        ("url", "\"https://h.example/\""),
        ("headers", "{ A = \"b\" }"),
        ("interval", "\"1s\""),
        ("patch", "true"),
    ] {
        let message = err(&hook(&format!("{key} = {value}")));
        assert!(
            message.starts_with(&format!(
                "config.toml: source \"h\": key `{key}` applies only to kind = "
            )),
            "{message}"
        );
    }
    for (key, value) in [
        ("listen", "\"8787\""),
        ("path", "\"/\""),
        ("verify", "\"none\""),
        ("secret", "\"s\""),
        ("tolerance", "\"1m\""),
        ("forward_to", "\"http://h/\""),
    ] {
        for kind in ["sse", "poll"] {
            let text = format!(
                "[[source]]\nname = \"s\"\nkind = \"{kind}\"\nurl = \"https://h.example/\"\n{key} = {value}\n"
            );
            // `path` is also the recording's path of a `kind = "file"` source.
            let kinds = if key == "path" {
                "\"webhook\" or \"file\""
            } else {
                "\"webhook\""
            };
            assert_eq!(
                err(&text),
                format!("config.toml: source \"s\": key `{key}` applies only to kind = {kinds}")
            );
        }
    }
}

#[test]
fn two_sources_cannot_share_an_address_and_a_path() {
    let two = |a: &str, b: &str| {
        format!(
            "[[source]]\nname = \"a\"\nkind = \"webhook\"\nlisten = \"{a}\"\n\n[[source]]\nname = \"b\"\nkind = \"webhook\"\nlisten = \"8787\"\npath = \"{b}\"\n"
        )
    };
    assert_eq!(
        err(&two("127.0.0.1:8787", "/")),
        "sources \"a\" and \"b\" both receive webhooks at http://127.0.0.1:8787/; give one another `path` or `listen`"
    );
    // Another path, or another port, is fine.
    assert_eq!(parse(&two("8787", "/github")).unwrap().sources.len(), 2);
    assert_eq!(parse(&two("9000", "/")).unwrap().sources.len(), 2);
    // Between the file and the command line too.
    let file = parse(&two("8787", "/github")).unwrap().sources;
    let message = merge(file, vec![cli_webhook_source("x=8787/github").unwrap()])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("\"b\" and \"x\" both receive webhooks at http://127.0.0.1:8787/github"),
        "{message}"
    );
}

#[test]
fn listen_on_the_command_line() {
    let spec = cli_webhook_source("8787").unwrap();
    assert_eq!(spec.name, "webhook");
    assert!(spec.named_after_host, "renamed, not refused, when taken");
    assert_eq!(opts(&spec).listen, addr("127.0.0.1:8787"));
    assert_eq!(opts(&spec).path, "/");
    assert_eq!(opts(&spec).verify, Verify::None);
    assert_eq!(spec.url, "http://127.0.0.1:8787/");

    let spec = cli_webhook_source("hooks=0.0.0.0:9000/hooks/stripe").unwrap();
    assert_eq!((spec.name.as_str(), spec.named_after_host), ("hooks", false));
    assert_eq!(opts(&spec).listen, addr("0.0.0.0:9000"));
    assert_eq!(opts(&spec).path, "/hooks/stripe");
    assert_eq!(
        opts(&cli_webhook_source("[::1]:8787/x").unwrap()).listen,
        addr("[::1]:8787")
    );

    let merged = merge(
        Vec::new(),
        vec![
            cli_webhook_source("8787").unwrap(),
            cli_webhook_source("8788").unwrap(),
        ],
    )
    .unwrap();
    let names: Vec<&str> = merged.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["webhook", "webhook-2"]);

    for bad in ["hooks=", "example.com:80", "8787/a b", "hooks=99999/x"] {
        let message = cli_webhook_source(bad).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("command line: --listen {bad:?}: "))
                && message.contains("[NAME=][HOST:]PORT[/PATH]"),
            "{message}"
        );
    }
}
