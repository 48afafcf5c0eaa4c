//! `[[reconcile]]`: the pairing read, and every error naming
//! `reconcile[N].key` and why (unknown source, with a suggestion; wrong
//! kind; diff mode; `within` not longer than the poll interval; duplicates).

use std::time::Duration;

use super::super::*;
use super::{err, parse};

/// A Stripe events list polled every 2 s, a webhook source and a diff-mode
/// poll source, then `body`.
fn with(body: &str) -> String {
    format!(
        "[[source]]\nname = \"stripe\"\nkind = \"poll\"\npreset = \"stripe\"\nurl = \"https://api.stripe.com/v1/events\"\n\
         [[source]]\nname = \"stripe-hooks\"\nkind = \"webhook\"\nlisten = \"8787\"\n\
         [[source]]\nname = \"order\"\nkind = \"poll\"\nmode = \"diff\"\nurl = \"https://h.example/o\"\n\
         [[source]]\nname = \"live\"\nurl = \"https://h.example/s\"\n{body}\n"
    )
}

fn pairing(name: &str, listed: &str, delivered: &str, within: &str) -> String {
    format!(
        "[[reconcile]]\nname = \"{name}\"\nlisted = \"{listed}\"\ndelivered = \"{delivered}\"\nwithin = \"{within}\"\n"
    )
}

#[test]
fn a_pairing_is_read_with_the_listed_sources_interval() {
    let config = parse(&with(&pairing("stripe webhooks", "stripe", "stripe-hooks", "2m"))).unwrap();
    assert_eq!(
        config.reconcile,
        [ReconcileSpec {
            name: "stripe webhooks".into(),
            listed: "stripe".into(),
            delivered: "stripe-hooks".into(),
            within: Duration::from_secs(120),
            interval: DEFAULT_INTERVAL,
            notify: Default::default(),
            exec: None,
        }]
    );
    assert!(parse(&with("")).unwrap().reconcile.is_empty());
}

#[test]
fn unknown_source_names_are_errors_with_a_suggestion() {
    assert_eq!(
        err(&with(&pairing("r", "strpe", "stripe-hooks", "2m"))),
        "config.toml: reconcile[0]: key `listed`: no source is named \"strpe\"; did you mean \"stripe\"?"
    );
    assert_eq!(
        err(&with(&pairing("r", "stripe", "nothing-like-it", "2m"))),
        "config.toml: reconcile[0]: key `delivered`: no source is named \"nothing-like-it\"; sources: \"stripe\", \"stripe-hooks\", \"order\" and \"live\""
    );
}

#[test]
fn wrong_kinds_are_errors_naming_the_kind_wanted() {
    assert_eq!(
        err(&with(&pairing("r", "live", "stripe-hooks", "2m"))),
        "config.toml: reconcile[0]: key `listed`: source \"live\" is of kind \"sse\"; `listed` must name a poll source (kind = \"poll\") listing the provider's events"
    );
    assert_eq!(
        err(&with(&pairing("r", "order", "stripe-hooks", "2m"))),
        "config.toml: reconcile[0]: key `listed`: source \"order\" polls in mode = \"diff\"; it must list events (mode = \"events\") to be reconciled"
    );
    assert_eq!(
        err(&with(&pairing("r", "stripe", "stripe", "2m"))),
        "config.toml: reconcile[0]: key `delivered`: source \"stripe\" is of kind \"poll\"; `delivered` must name a webhook source (kind = \"webhook\")"
    );
}

#[test]
fn within_must_be_a_duration_longer_than_the_poll_interval_and_at_most_an_hour() {
    assert!(
        err(&with(&pairing("r", "stripe", "stripe-hooks", "soon")))
            .starts_with("config.toml: reconcile[0]: key `within`: \"soon\" is not a duration"),
    );
    assert_eq!(
        err(&with(&pairing("r", "stripe", "stripe-hooks", "2s"))),
        "config.toml: reconcile[0]: key `within`: \"2s\" is not longer than source \"stripe\"'s poll interval (2s); every delivery would be reported not listed before the next poll could list it"
    );
    parse(&with(&pairing("r", "stripe", "stripe-hooks", "2001ms"))).expect("just over the interval");
    parse(&with(&pairing("r", "stripe", "stripe-hooks", "1h"))).expect("MAX_WITHIN itself");
    assert_eq!(
        err(&with(&pairing("r", "stripe", "stripe-hooks", "61m"))),
        "config.toml: reconcile[0]: key `within`: \"61m\" is longer than 1h, the most ids are kept for"
    );
}

#[test]
fn missing_keys_duplicates_unknown_keys_and_types_are_errors() {
    assert_eq!(
        err(&with(&pairing("", "stripe", "stripe-hooks", "2m"))),
        "config.toml: reconcile[0]: key `name`: must not be empty"
    );
    assert_eq!(
        err(&with(
            "[[reconcile]]\nname = \"r\"\nlisted = \"stripe\"\nwithin = \"2m\""
        )),
        "config.toml: reconcile[0]: key `delivered` is required"
    );
    let two = format!(
        "{}{}",
        pairing("r", "stripe", "stripe-hooks", "2m"),
        pairing("r", "stripe", "stripe-hooks", "3m")
    );
    assert_eq!(
        err(&with(&two)),
        "config.toml: reconcile[1]: key `name`: \"r\" is already the name of reconcile[0]; names must be unique"
    );
    let same_pair = format!(
        "{}{}",
        pairing("a", "stripe", "stripe-hooks", "2m"),
        pairing("b", "stripe", "stripe-hooks", "3m")
    );
    assert_eq!(
        err(&with(&same_pair)),
        "config.toml: reconcile[1]: key `delivered`: reconcile[0] already pairs \"stripe\" with \"stripe-hooks\""
    );
    assert_eq!(
        err(&with(&format!(
            "{}alert = 1",
            pairing("r", "stripe", "stripe-hooks", "2m")
        ))),
        "config.toml: reconcile[0]: unknown key `alert`; allowed keys: name, listed, delivered, within, notify, exec, exec_timeout"
    );
    assert_eq!(
        err(&with("[[reconcile]]\nname = \"r\"\nwithin = 120")),
        "config.toml: reconcile[0].within: invalid type: integer `120`, expected a string"
    );
    assert_eq!(
        err(&with("[reconcile]\nname = \"r\"")),
        "config.toml: top level: key `reconcile`: write each pairing as [[reconcile]] (an array of tables), not [reconcile]"
    );
}

#[test]
fn notify_and_exec_are_read_as_an_alerts_are() {
    let text = with(&format!(
        "{}notify = [\"bell\"]\nexec = [\"/usr/local/bin/page-me\", \"--low\"]\nexec_timeout = \"3s\"\n",
        pairing("r", "stripe", "stripe-hooks", "2m")
    ));
    let spec = parse(&text).unwrap().reconcile.remove(0);
    assert!(spec.notify.bell && !spec.notify.desktop);
    let exec = spec.exec.unwrap();
    assert_eq!(exec.argv, ["/usr/local/bin/page-me", "--low"]);
    assert_eq!(exec.timeout, Duration::from_secs(3));
    assert_eq!(
        err(&with(&format!(
            "{}notify = [\"pager\"]",
            pairing("r", "stripe", "stripe-hooks", "2m")
        ))),
        "config.toml: reconcile[0]: key `notify`: \"pager\" is not a notification; use \"bell\" and/or \"desktop\""
    );
    assert_eq!(
        err(&with(&format!(
            "{}exec_timeout = \"3s\"",
            pairing("r", "stripe", "stripe-hooks", "2m")
        ))),
        "config.toml: reconcile[0]: key `exec_timeout`: applies only with `exec`"
    );
}
