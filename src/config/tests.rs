//! Tests of the config file: the example, defaults, presets, kind/key
//! mismatches, syntax/shape/validation errors and `${VAR}` expansion.
//! Lookup, command-line sources, merge and masking live in `tests/`.

mod alert;
mod cli;
mod lookup;
mod reconcile;
mod text;
mod webhook;

use std::path::Path;
use std::time::Duration;

use super::raw::{SETTINGS_KEYS, TOP_KEYS};
use super::*;
use super::{parse_raw, source_keys as all_source_keys};

/// An environment with nothing set.
pub(super) fn no_env(_: &str) -> Option<String> {
    None
}

/// An environment with exactly `pairs` set.
pub(super) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_config(text, "config.toml", &no_env)
}

/// The error `text` gives, checked to be one line.
fn err(text: &str) -> String {
    err_env(text, &no_env)
}

fn err_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let message = parse_config(text, "config.toml", env)
        .expect_err("config should be rejected")
        .to_string();
    assert!(!message.contains('\n'), "not one line: {message:?}");
    message
}

/// A source named "s" with a valid URL and `body` added.
fn source(body: &str) -> String {
    format!("[[source]]\nname = \"s\"\nurl = \"https://h.example/x\"\n{body}\n")
}

/// The only source of a config that must load.
fn only(text: &str) -> SourceSpec {
    let mut config = parse(text).expect("config should load");
    assert_eq!(config.sources.len(), 1);
    config.sources.remove(0)
}

fn poll_of(spec: &SourceSpec) -> &PollOptions {
    match &spec.kind {
        SourceKind::Poll(p) => p,
        other => panic!("expected a poll source, got {other:?}"),
    }
}

fn sse_of(spec: &SourceSpec) -> &SseOptions {
    match &spec.kind {
        SourceKind::Sse(s) => s,
        other => panic!("expected an sse source, got {other:?}"),
    }
}

fn example_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

#[test]
fn example_config_loads_with_its_variables_set() {
    let env = env_of(&[
        ("PAYMENTS_TOKEN", "tok_pay"),
        ("STRIPE_API_KEY", "sk_test_1"),
        ("GITHUB_TOKEN", "ghp_2"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_3"),
        ("GITHUB_WEBHOOK_SECRET", "gh_hook_4"),
        ("EXCHANGE_TOKEN", "ex_5"),
        ("SHOP_TOKEN", "shop_6"),
        ("NATS_CREDS_FILE", "/etc/nats/viewer.creds"),
        ("NATS_TOKEN", "nats_7"),
        ("NATS_PASSWORD", "nats_8"),
    ]);
    let config = load(&example_path(), &env).expect("example loads");
    assert_eq!(config.settings, Settings::default());
    let alerts: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(alerts, ["failed charges", "payments quiet", "large refund"]);
    let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "payments",
            "stripe",
            "github",
            "order-42",
            "stripe-hooks",
            "github-hooks",
            "yesterday",
            "ticker",
            "orders",
            "orders-bus",
            "audit-bus",
            "relay"
        ]
    );
    assert_eq!(
        config.secrets,
        [
            "tok_pay",
            "sk_test_1",
            "ghp_2",
            "whsec_3",
            "gh_hook_4",
            "ex_5",
            "shop_6",
            "/etc/nats/viewer.creds",
            "nats_7",
            "nats_8"
        ]
    );
    assert_eq!(config.reconcile.len(), 1);
    assert_eq!(
        (
            config.reconcile[0].listed.as_str(),
            config.reconcile[0].delivered.as_str()
        ),
        ("stripe", "stripe-hooks")
    );
    let payments = &config.sources[0];
    assert_eq!(payments.headers[0].value, "Bearer tok_pay");
    assert_eq!(sse_of(payments), &SseOptions::default());
    assert_eq!(poll_of(&config.sources[1]).limit, Some(100));
    assert_eq!(poll_of(&config.sources[3]).mode, PollMode::Diff);
    assert_eq!(
        config.sources[3].url,
        "https://api.example.com/v1/orders/42?$expand=items"
    );
}

#[test]
fn example_config_fails_without_its_variables() {
    let message = load(&example_path(), &no_env).unwrap_err().to_string();
    assert!(message.ends_with(
        "config.example.toml: source \"payments\": headers.Authorization: environment variable PAYMENTS_TOKEN is not set"
    ), "{message}");
}

#[test]
fn example_config_documents_every_key_with_a_comment() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let alert_keys = super::alert::ALERT_KEYS.iter();
    let reconcile_keys = super::reconcile::RECONCILE_KEYS.iter();
    for key in SETTINGS_KEYS
        .iter()
        .chain(&all_source_keys())
        .chain(alert_keys)
        .chain(reconcile_keys)
    {
        let documented = text
            .lines()
            .any(|line| line.trim_start().starts_with(&format!("{key} =")) && line.contains(" # "));
        assert!(
            documented,
            "key `{key}` has no commented line in config.example.toml"
        );
    }
}

#[test]
fn key_lists_match_the_raw_schema() {
    // Every listed key (common, then each kind's) deserializes (so the
    // lists name no key the structs lack) and any other is rejected.
    let values = [
        ("name", "\"a\""),
        ("kind", "\"poll\""),
        ("url", "\"https://h.example\""),
        ("headers", "{}"),
        ("type_pointer", "\"\""),
        ("id_pointer", "\"\""),
        ("time_pointer", "\"\""),
        ("patch", "true"),
        ("idle_timeout", "\"1s\""),
        ("preset", "\"stripe\""),
        ("interval", "\"1s\""),
        ("mode", "\"events\""),
        ("items", "\"\""),
        ("order", "\"oldest_first\""),
        ("cursor_param", "\"c\""),
        ("has_more", "\"/h\""),
        ("limit", "1"),
        ("path", "\"/\""),
        ("follow", "true"),
        ("speed", "2.0"),
        ("listen", "\"8787\""),
        ("verify", "\"none\""),
        ("secret", "\"s\""),
        ("tolerance", "\"1m\""),
        ("forward_to", "\"http://127.0.0.1:3000/\""),
        ("subscribe", "\"{}\""),
        ("ping", "\"1s\""),
        ("protocol", "\"plain\""),
        ("query", "\"q\""),
        ("variables", "{}"),
        ("init_payload", "{}"),
        ("urls", "[\"nats://h\"]"),
        ("subject", "\"a\""),
        ("stream", "\"S\""),
        ("start", "\"all\""),
        ("credentials", "\"c.creds\""),
        ("token", "\"t\""),
        ("user", "\"u\""),
        ("password", "\"p\""),
        ("type_from", "\"subject\""),
        ("format", "\"json\""),
    ];
    let keys: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, all_source_keys());
    let body: String = values.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    let text = format!("[settings]\nbuffer = 1\nmax_event_bytes = 1024\nfps = 1\n[[source]]\n{body}");
    assert_eq!(TOP_KEYS, ["settings", "source", "alert", "reconcile"]);
    assert_eq!(SETTINGS_KEYS, ["buffer", "max_event_bytes", "fps"]);
    parse_raw(&text, "config.toml").expect("every listed key deserializes");
    let raw = parse_raw("[[source]]\nbogus = 1", "config.toml");
    assert!(raw.unwrap_err().to_string().contains("unknown key `bogus`"));
}

#[test]
fn empty_file_gives_default_settings_and_no_sources() {
    let config = parse("").unwrap();
    assert_eq!(config.settings.buffer, 100_000);
    assert_eq!(config.settings.max_event_bytes, 1_048_576);
    assert_eq!(config.settings.fps, 30);
    assert!(config.sources.is_empty());
    assert!(config.secrets.is_empty());
}

#[test]
fn minimal_source_is_sse_with_defaults() {
    let spec = only(&source(""));
    assert_eq!(spec.name, "s");
    assert_eq!(spec.url, "https://h.example/x");
    assert_eq!(spec.url_display, "https://h.example/x");
    assert!(spec.headers.is_empty());
    assert_eq!(spec.pointers, crate::event::Pointers::default());
    assert!(!spec.named_after_host);
    let sse = sse_of(&spec);
    assert!(!sse.patch);
    assert_eq!(sse.idle_timeout, Some(Duration::from_secs(300)));
}

#[test]
fn minimal_poll_source_has_poll_defaults() {
    let spec = only(&source("kind = \"poll\""));
    let poll = poll_of(&spec);
    assert_eq!(poll.interval, Duration::from_secs(2));
    assert_eq!(poll.mode, PollMode::Events);
    assert_eq!(poll.items, None);
    assert_eq!(poll.order, Order::NewestFirst);
    assert_eq!(poll.cursor_param, None);
    assert_eq!(poll.has_more, None);
    assert_eq!(poll.limit, None);
    assert_eq!(spec.pointers, crate::event::Pointers::default());
}

#[test]
fn settings_are_read_and_range_checked_at_their_edges() {
    let ok = |buffer: u64, bytes: u64, fps: u32| {
        parse(&format!(
            "[settings]\nbuffer = {buffer}\nmax_event_bytes = {bytes}\nfps = {fps}"
        ))
        .map(|c| c.settings)
    };
    let low = ok(1, 1024, 1).unwrap();
    assert_eq!((low.buffer, low.max_event_bytes, low.fps), (1, 1024, 1));
    let high = ok(50_000_000, 1_073_741_824, 240).unwrap();
    assert_eq!(
        (high.buffer, high.max_event_bytes, high.fps),
        (50_000_000, 1_073_741_824, 240)
    );
    assert_eq!(
        err("[settings]\nbuffer = 0"),
        "config.toml: [settings]: key `buffer`: must be between 1 and 50000000, got 0"
    );
    assert_eq!(
        err("[settings]\nbuffer = 50000001"),
        "config.toml: [settings]: key `buffer`: must be between 1 and 50000000, got 50000001"
    );
    assert_eq!(
        err("[settings]\nmax_event_bytes = 1023"),
        "config.toml: [settings]: key `max_event_bytes`: must be between 1024 and 1073741824, got 1023"
    );
    assert_eq!(
        err("[settings]\nfps = 241"),
        "config.toml: [settings]: key `fps`: must be between 1 and 240, got 241"
    );
}

#[test]
fn stripe_preset_fills_everything() {
    let spec = only(&source("kind = \"poll\"\npreset = \"stripe\""));
    assert_eq!(
        poll_of(&spec),
        &PollOptions {
            interval: Duration::from_secs(2),
            mode: PollMode::Events,
            items: Some("/data".into()),
            order: Order::NewestFirst,
            cursor_param: Some("ending_before".into()),
            has_more: Some("/has_more".into()),
            limit: Some(100),
        }
    );
    assert_eq!(spec.pointers.id_pointer.as_deref(), Some("/id"));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/type"));
    assert_eq!(spec.pointers.time_pointer.as_deref(), Some("/created"));
}

#[test]
fn github_preset_fills_everything() {
    let spec = only(&source("kind = \"poll\"\npreset = \"github\""));
    assert_eq!(
        poll_of(&spec),
        &PollOptions {
            interval: Duration::from_secs(2),
            mode: PollMode::Events,
            items: Some(String::new()),
            order: Order::NewestFirst,
            cursor_param: None,
            has_more: None,
            limit: None,
        }
    );
    assert_eq!(spec.pointers.id_pointer.as_deref(), Some("/id"));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some("/type"));
    assert_eq!(spec.pointers.time_pointer.as_deref(), Some("/created_at"));
}

#[test]
fn explicit_keys_override_the_preset() {
    let spec = only(&source(
        "kind = \"poll\"\npreset = \"stripe\"\nitems = \"/events\"\norder = \"oldest_first\"\n\
         cursor_param = \"after\"\nhas_more = \"/more\"\nlimit = 10\ninterval = \"5s\"\n\
         id_pointer = \"/obj/id\"\ntype_pointer = \"/kind\"\ntime_pointer = \"/at\"",
    ));
    assert_eq!(
        poll_of(&spec),
        &PollOptions {
            interval: Duration::from_secs(5),
            mode: PollMode::Events,
            items: Some("/events".into()),
            order: Order::OldestFirst,
            cursor_param: Some("after".into()),
            has_more: Some("/more".into()),
            limit: Some(10),
        }
    );
    assert_eq!(
        spec.pointers,
        crate::event::Pointers {
            type_pointer: Some("/kind".into()),
            id_pointer: Some("/obj/id".into()),
            time_pointer: Some("/at".into()),
        }
    );
}

#[test]
fn empty_cursor_param_turns_the_presets_cursor_off() {
    let spec = only(&source(
        "kind = \"poll\"\npreset = \"stripe\"\ncursor_param = \"\"",
    ));
    assert_eq!(poll_of(&spec).cursor_param, None);
    assert_eq!(poll_of(&spec).limit, Some(100));
}

#[test]
fn unknown_preset_is_rejected() {
    assert_eq!(
        err(&source("kind = \"poll\"\npreset = \"shopify\"")),
        "config.toml: source \"s\": key `preset`: expected \"stripe\" or \"github\", got \"shopify\""
    );
}

/// A value of the right type for each kind-specific key.
const KIND_KEY_VALUES: &[(&str, &str)] = &[
    ("patch", "true"),
    ("idle_timeout", "\"1m\""),
    ("preset", "\"stripe\""),
    ("interval", "\"1s\""),
    ("mode", "\"events\""),
    ("items", "\"/data\""),
    ("order", "\"newest_first\""),
    ("cursor_param", "\"c\""),
    ("has_more", "\"/h\""),
    ("limit", "5"),
];

#[test]
fn poll_keys_are_rejected_on_sse_sources() {
    for (key, value) in &KIND_KEY_VALUES[2..] {
        // `preset` is also a webhook key.
        let kinds = if *key == "preset" {
            "\"poll\" or \"webhook\""
        } else {
            "\"poll\""
        };
        for kind in ["", "kind = \"sse\"\n"] {
            assert_eq!(
                err(&source(&format!("{kind}{key} = {value}"))),
                format!("config.toml: source \"s\": key `{key}` applies only to kind = {kinds}")
            );
        }
    }
}

#[test]
fn sse_keys_are_rejected_on_poll_sources() {
    for (key, value) in &KIND_KEY_VALUES[..2] {
        let kinds = if *key == "idle_timeout" {
            "\"sse\" or \"websocket\""
        } else {
            "\"sse\""
        };
        assert_eq!(
            err(&source(&format!("kind = \"poll\"\n{key} = {value}"))),
            format!("config.toml: source \"s\": key `{key}` applies only to kind = {kinds}")
        );
    }
}

#[test]
fn every_kind_key_is_accepted_by_its_own_kind() {
    let sse: String = KIND_KEY_VALUES[..2]
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    let spec = only(&source(&sse));
    assert_eq!(
        sse_of(&spec),
        &SseOptions {
            patch: true,
            idle_timeout: Some(Duration::from_secs(60))
        }
    );
    let poll: String = KIND_KEY_VALUES[2..]
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    let spec = only(&source(&format!("kind = \"poll\"\n{poll}")));
    assert_eq!(poll_of(&spec).limit, Some(5));
}

#[test]
fn unknown_kind_is_rejected() {
    assert_eq!(
        err(&source("kind = \"kafka\"")),
        "config.toml: source \"s\": key `kind`: expected \"sse\", \"poll\", \"webhook\", \"file\", \"websocket\" or \"nats\", got \"kafka\""
    );
}

#[test]
fn bad_mode_names_the_choices() {
    let text =
        "[[source]]\nname = \"payments\"\nkind = \"poll\"\nurl = \"https://h.example\"\nmode = \"stream\"";
    assert_eq!(
        err(text),
        "config.toml: source \"payments\": key `mode`: expected \"events\" or \"diff\", got \"stream\""
    );
}

#[test]
fn bad_order_names_the_choices() {
    assert_eq!(
        err(&source("kind = \"poll\"\norder = \"newest\"")),
        "config.toml: source \"s\": key `order`: expected \"newest_first\" or \"oldest_first\", got \"newest\""
    );
}

#[test]
fn diff_mode_rejects_event_list_keys() {
    for key in ["preset", "items", "order", "cursor_param", "has_more"] {
        let value = KIND_KEY_VALUES.iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(
            err(&source(&format!(
                "kind = \"poll\"\nmode = \"diff\"\n{key} = {value}"
            ))),
            format!("config.toml: source \"s\": key `{key}`: applies only to mode = \"events\"")
        );
    }
    let spec = only(&source(
        "kind = \"poll\"\nmode = \"diff\"\nlimit = 3\ninterval = \"1s\"",
    ));
    assert_eq!(poll_of(&spec).mode, PollMode::Diff);
    assert_eq!(poll_of(&spec).limit, Some(3));
}

#[test]
fn interval_has_a_floor_of_100ms() {
    let spec = only(&source("kind = \"poll\"\ninterval = \"100ms\""));
    assert_eq!(poll_of(&spec).interval, Duration::from_millis(100));
    assert_eq!(
        err(&source("kind = \"poll\"\ninterval = \"99ms\"")),
        "config.toml: source \"s\": key `interval`: must be at least 100ms, got \"99ms\""
    );
    assert!(
        err(&source("kind = \"poll\"\ninterval = \"soon\""))
            .starts_with("config.toml: source \"s\": key `interval`: \"soon\" is not a duration (")
    );
}

#[test]
fn idle_timeout_zero_or_off_disables_it() {
    for off in ["0s", "off", "OFF", "0"] {
        let spec = only(&source(&format!("idle_timeout = \"{off}\"")));
        assert_eq!(sse_of(&spec).idle_timeout, None, "{off}");
    }
    let spec = only(&source("idle_timeout = \"90s\""));
    assert_eq!(sse_of(&spec).idle_timeout, Some(Duration::from_secs(90)));
}

#[test]
fn limit_is_range_checked_at_its_edges() {
    for ok in [1, 10_000] {
        let spec = only(&source(&format!("kind = \"poll\"\nlimit = {ok}")));
        assert_eq!(poll_of(&spec).limit, Some(ok));
    }
    for bad in [0, 10_001] {
        assert_eq!(
            err(&source(&format!("kind = \"poll\"\nlimit = {bad}"))),
            format!("config.toml: source \"s\": key `limit`: must be between 1 and 10000, got {bad}")
        );
    }
}

#[test]
fn pointers_must_be_empty_or_start_with_a_slash() {
    let spec = only(&source("type_pointer = \"\"\nid_pointer = \"/a/0\""));
    assert_eq!(spec.pointers.type_pointer.as_deref(), Some(""));
    assert_eq!(spec.pointers.id_pointer.as_deref(), Some("/a/0"));
    assert_eq!(
        err(&source("type_pointer = \"type\"")),
        "config.toml: source \"s\": key `type_pointer`: must be a JSON pointer (\"\" or starting with `/`), got \"type\"; did you mean \"/type\"?"
    );
    for key in ["id_pointer", "time_pointer"] {
        assert!(
            err(&source(&format!("{key} = \"x\""))).contains(&format!("key `{key}`: must be a JSON pointer"))
        );
    }
    for key in ["items", "has_more"] {
        assert!(
            err(&source(&format!("kind = \"poll\"\n{key} = \"x\"")))
                .contains(&format!("key `{key}`: must be a JSON pointer"))
        );
    }
}

#[test]
fn file_kind_reads_path_follow_speed() {
    let text =
        "[[source]]\nname = \"old\"\nkind = \"file\"\npath = \"rec.ndjson\"\nfollow = true\nspeed = 4\n";
    let config = parse_config(text, "config.toml", &|_| None).unwrap();
    let spec = &config.sources[0];
    assert_eq!(spec.url_display, "file://rec.ndjson");
    let SourceKind::File(opts) = &spec.kind else {
        panic!("{spec:?}")
    };
    assert_eq!(
        (opts.path.to_str(), opts.follow, opts.speed.0),
        (Some("rec.ndjson"), true, 4.0)
    );
    let bad = "[[source]]\nname = \"old\"\nkind = \"file\"\n";
    assert!(
        parse_config(bad, "c.toml", &|_| None)
            .unwrap_err()
            .to_string()
            .contains("path")
    );
    let bad = "[[source]]\nname = \"old\"\nkind = \"file\"\npath = \"x\"\nurl = \"http://a/\"\n";
    let e = parse_config(bad, "c.toml", &|_| None).unwrap_err().to_string();
    assert!(e.contains("`url`") && e.contains("kind = \"file\""), "{e}");
    let bad = "[[source]]\nname = \"s\"\nurl = \"http://a/\"\nspeed = 2\n";
    let e = parse_config(bad, "c.toml", &|_| None).unwrap_err().to_string();
    assert!(e.contains("speed") && e.contains("\"file\""), "{e}");
}
