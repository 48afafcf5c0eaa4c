//! The NATS kind's config: keys, defaults, errors, command-line URLs.

use std::time::Duration;

use super::config::{Auth, Format, NatsOptions, Start, TypeFrom};
use crate::config::{Config, SourceKind, cli_url_source, parse_config};

fn load(body: &str, env: &[(&str, &str)]) -> Result<Config, String> {
    let text = format!("[[source]]\nname = \"n\"\nkind = \"nats\"\n{body}\n");
    let lookup = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
    parse_config(&text, "c.toml", &lookup).map_err(|e| e.to_string())
}

fn options(body: &str) -> NatsOptions {
    let config = load(body, &[]).unwrap();
    match &config.sources[0].kind {
        SourceKind::Nats(o) => o.clone(),
        other => panic!("{other:?}"),
    }
}

const BASE: &str = "url = \"nats://127.0.0.1:4222\"\nsubject = \"orders.>\"";

#[test]
fn defaults_and_every_key() {
    let o = options(BASE);
    assert_eq!(o.urls, ["nats://127.0.0.1:4222"]);
    assert_eq!((o.subject.as_str(), &o.stream), ("orders.>", &None));
    assert_eq!(
        (o.start, o.type_from, o.format),
        (Start::New, TypeFrom::Subject, Format::Json)
    );
    assert!(o.auth == Auth::None);
    let js = |start: &str| options(&format!("{BASE}\nstream = \"ORDERS\"\nstart = {start}")).start;
    assert_eq!(js("\"all\""), Start::All);
    assert_eq!(js("\"last\""), Start::Last);
    assert_eq!(js("\"new\""), Start::New);
    assert_eq!(js("\"1h\""), Start::Ago(Duration::from_secs(3600)));
    assert_eq!(js("42"), Start::Sequence(42));
    let o = options(
        "urls = [\"nats://a:4222\", \"tls://b:4222\"]\nsubject = \"x\"\ntype_pointer = \"/t\"\nformat = \"json\"",
    );
    assert_eq!(o.urls, ["nats://a:4222", "tls://b:4222"]);
    assert_eq!(o.type_from, TypeFrom::Pointer);
    assert_eq!(
        options(&format!("{BASE}\nformat = \"evtop\"")).format,
        Format::Evtop
    );
}

#[test]
fn credentials_and_secrets_from_the_environment() {
    let config = load(
        &format!("{BASE}\nuser = \"viewer\"\npassword = \"${{NATS_PASS}}\""),
        &[("NATS_PASS", "pw_9")],
    )
    .unwrap();
    let SourceKind::Nats(o) = &config.sources[0].kind else {
        panic!()
    };
    assert!(o.auth == Auth::UserPassword("viewer".into(), "pw_9".into()));
    assert_eq!(config.secrets, ["pw_9"]);
    // A literal token is a secret too: masked wherever evtop writes.
    let config = load(&format!("{BASE}\ntoken = \"s3cret\""), &[]).unwrap();
    assert_eq!(config.secrets, ["s3cret"]);
    let config = load(
        &format!("{BASE}\ncredentials = \"${{CREDS}}\""),
        &[("CREDS", "/etc/nats/viewer.creds")],
    )
    .unwrap();
    let SourceKind::Nats(o) = &config.sources[0].kind else {
        panic!()
    };
    assert!(o.auth == Auth::Credentials("/etc/nats/viewer.creds".into()));
    assert!(!format!("{o:?}").contains("pw_9"));
    let config = load(
        "url = \"nats://u:${P}@h:4222\"\nsubject = \"a\"",
        &[("P", "hunter2")],
    )
    .unwrap();
    assert_eq!(config.sources[0].url_display, "nats://u:***@h:4222");
    assert_eq!(config.secrets, ["hunter2"]);
}

#[test]
fn errors_name_the_key_and_why() {
    let err = |body: &str| load(body, &[]).unwrap_err();
    let at = "c.toml: source \"n\": key";
    assert_eq!(
        err("url = \"http://h/\"\nsubject = \"a\""),
        format!("{at} `url`: kind = \"nats\" needs a nats:// or tls:// URL, not http:: \"http://h/\"")
    );
    assert!(err("subject = \"a\"").starts_with(&format!("{at} `url`: missing")));
    assert_eq!(
        err("url = \"nats://h\"\nurls = [\"nats://h\"]\nsubject = \"a\""),
        format!("{at} `urls`: give `url` or `urls`, not both")
    );
    assert!(err("url = \"nats://h\"").starts_with(&format!("{at} `subject`: missing")));
    assert!(
        err("url = \"nats://h\"\nsubject = \"a.>.b\"")
            .contains("key `subject`: \"a.>.b\": `>` may only be the last token")
    );
    assert_eq!(
        err(&format!("{BASE}\nstart = \"all\"")),
        format!(
            "{at} `start`: applies only to JetStream sources (set `stream`); a core subscription is live only"
        )
    );
    assert!(
        err(&format!("{BASE}\nstream = \"S\"\nstart = \"yesterday\"")).starts_with(&format!(
            "{at} `start`: expected \"new\", \"all\", \"last\", a duration (\"1h\") or a stream sequence"
        ))
    );
    assert_eq!(
        err(&format!("{BASE}\nstream = \"S\"\nstart = 0")),
        format!("{at} `start`: a stream sequence starts at 1, got 0")
    );
    assert!(
        err(&format!("{BASE}\nstream = \"A.B\""))
            .starts_with(&format!("{at} `stream`: \"A.B\" is not a stream name"))
    );
    assert_eq!(
        err(&format!("{BASE}\ntoken = \"t\"\nuser = \"u\"\npassword = \"p\"")),
        format!("{at} `user`: choose one way to authenticate: `token` is set too")
    );
    assert_eq!(
        err(&format!("{BASE}\nuser = \"u\"")),
        format!("{at} `password`: missing: `user` needs a `password`")
    );
    assert_eq!(
        err(&format!("{BASE}\ntype_from = \"pointer\"")),
        format!("{at} `type_from`: is \"pointer\" but type_pointer is not set")
    );
    assert_eq!(
        err(&format!("{BASE}\ntype_from = \"subject\"\ntype_pointer = \"/t\"")),
        format!("{at} `type_from`: is \"subject\" but type_pointer is set too: remove one")
    );
    assert_eq!(
        err(&format!("{BASE}\ntype_from = \"header\"")),
        format!("{at} `type_from`: expected \"subject\" or \"pointer\", got \"header\"")
    );
    assert_eq!(
        err(&format!("{BASE}\nformat = \"xml\"")),
        format!("{at} `format`: expected \"json\" or \"evtop\", got \"xml\"")
    );
    assert_eq!(
        err(&format!("{BASE}\nformat = \"evtop\"\nid_pointer = \"/id\"")),
        format!(
            "{at} `id_pointer`: does not apply to format = \"evtop\" (each line carries its own type, id and time)"
        )
    );
    assert!(
        err(&format!("{BASE}\nheaders = {{ A = \"b\" }}"))
            .starts_with(&format!("{at} `headers`: does not apply"))
    );
    assert_eq!(
        err(&format!("{BASE}\ntoken = \"${{NOPE}}\"")),
        "c.toml: source \"n\": token: environment variable NOPE is not set"
    );
    assert!(
        err(&format!("{BASE}\nstart = [1]")).contains("start"),
        "{}",
        err(&format!("{BASE}\nstart = [1]"))
    );
}

#[test]
fn nats_keys_on_another_kind_are_rejected() {
    let text = "[[source]]\nname = \"s\"\nurl = \"https://h/\"\nsubject = 'x'\n";
    let err = parse_config(text, "c.toml", &|_| None).unwrap_err().to_string();
    assert!(err.contains("subject") && err.contains("\"nats\""), "{err}");
}

#[test]
fn nats_urls_on_the_command_line_name_their_subject() {
    let spec = cli_url_source(
        "orders=nats://127.0.0.1:4222/orders.>?stream=ORDERS&start=1h",
        &[],
    )
    .unwrap();
    assert_eq!(
        (spec.name.as_str(), spec.url.as_str()),
        ("orders", "nats://127.0.0.1:4222")
    );
    let SourceKind::Nats(o) = &spec.kind else {
        panic!("{spec:?}")
    };
    assert_eq!(
        (o.subject.as_str(), o.stream.as_deref()),
        ("orders.>", Some("ORDERS"))
    );
    assert_eq!(o.start, Start::Ago(Duration::from_secs(3600)));
    let spec = cli_url_source(
        "nats://relay.example:4333/evtop.%3E?stream=EVTOP&format=evtop&start=7",
        &[],
    )
    .unwrap();
    assert_eq!(
        (spec.name.as_str(), spec.url.as_str()),
        ("relay.example", "nats://relay.example:4333")
    );
    let SourceKind::Nats(o) = &spec.kind else { panic!() };
    assert_eq!(
        (o.subject.as_str(), o.format, o.start),
        ("evtop.>", Format::Evtop, Start::Sequence(7))
    );
    let err = |arg: &str| cli_url_source(arg, &[]).unwrap_err().to_string();
    assert!(
        err("nats://h:4222").contains("a NATS URL names its subject as its path"),
        "{}",
        err("nats://h:4222")
    );
    assert!(err("nats://h/a?start=all").contains("start: applies only to JetStream sources"));
    assert!(err("nats://h/a?group=x").contains("unknown query parameter \"group\""));
}
