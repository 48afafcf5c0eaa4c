//! `[[alert]]`: the three rules, notify, exec, and every error naming
//! `alert[N].key` and why.

use std::time::Duration;

use super::{err, parse};
use crate::alert::{RateOp, Rule};

/// A config with one source and `alerts` appended.
fn with(alerts: &str) -> String {
    format!("[[source]]\nname = \"s\"\nurl = \"https://h.example/x\"\n{alerts}\n")
}

#[test]
fn the_three_rules_notify_and_exec_load() {
    let config = parse(&with(
        r#"
[[alert]]
name = "failed charges"
when = "type:charge.failed"
rate = "> 5/1m"
notify = ["bell", "desktop"]
exec = ["/usr/local/bin/page-me", "--severity", "high"]

[[alert]]
name = "quiet"
when = "source:s"
silent = "2m"

[[alert]]
name = "big refund"
when = "type:charge.refunded .amount>100000"
each = true
exec = ["true"]
exec_timeout = "500ms"
"#,
    ))
    .unwrap();
    let a = &config.alerts;
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].name, "failed charges");
    assert_eq!(
        a[0].rule,
        Rule::Rate {
            op: RateOp::Gt,
            count: 5,
            window: Duration::from_secs(60)
        }
    );
    assert!(a[0].notify.bell && a[0].notify.desktop);
    let exec = a[0].exec.as_ref().unwrap();
    assert_eq!(exec.argv, ["/usr/local/bin/page-me", "--severity", "high"]);
    assert_eq!(exec.timeout, crate::alert::DEFAULT_EXEC_TIMEOUT);
    assert_eq!(a[1].rule, Rule::Silent(Duration::from_secs(120)));
    assert!(!a[1].notify.any() && a[1].exec.is_none());
    assert_eq!(a[2].rule, Rule::Each);
    assert_eq!(a[2].exec.as_ref().unwrap().timeout, Duration::from_millis(500));
}

#[test]
fn errors_name_the_alert_the_key_and_why() {
    let cases = [
        (
            "when = \"x\"\nrate = \"> 1/1m\"",
            "alert[0]: key `name` is required",
        ),
        (
            "name = \"a\"\nrate = \"> 1/1m\"",
            "alert[0]: key `when` is required",
        ),
        (
            "name = \"a\"\nwhen = \"type:\"\nrate = \"> 1/1m\"",
            "alert[0]: key `when`: bad filter term `type:`",
        ),
        (
            "name = \"a\"\nwhen = \"x\"",
            "alert[0]: key `when`: an alert needs a rule",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\nrate = \"> 1/1m\"\nsilent = \"1m\"",
            "alert[0]: key `silent`: give exactly one of `rate`, `silent` and `each`, not `rate` and `silent`",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\nrate = \"5/1m\"",
            "alert[0]: key `rate`: \"5/1m\" does not start with >, >=, < or <=",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\nsilent = \"soon\"",
            "alert[0]: key `silent`: \"soon\" is not a duration",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = false",
            "alert[0]: key `each`: `each = false` is no rule",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = true\nnotify = [\"email\"]",
            "alert[0]: key `notify`: \"email\" is not a notification",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = true\nexec = []",
            "alert[0]: key `exec`: give the program",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = true\nexec = [\"x\"]\nexec_timeout = \"1h\"",
            "alert[0]: key `exec_timeout`: \"1h\" is outside 100ms to 10m",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = true\nexec_timeout = \"1s\"",
            "alert[0]: key `exec_timeout`: applies only with `exec`",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\neach = true\nshell = \"sh\"",
            "alert[0]: unknown key `shell`",
        ),
        (
            "name = \"a\"\nwhen = \"x\"\nrate = 5",
            "alert[0].rate: invalid type: integer `5`, expected a string",
        ),
        (
            "name = \"\"\nwhen = \"x\"\neach = true",
            "alert[0]: key `name`: \"\": write 1 to 128 characters",
        ),
    ];
    for (body, want) in cases {
        let message = err(&with(&format!("[[alert]]\n{body}")));
        assert!(message.contains(want), "{body:?}:\n got {message}\nwant {want}");
        assert!(message.starts_with("config.toml: "), "{message}");
    }
}

#[test]
fn duplicate_names_and_a_single_table_are_refused() {
    let two = "[[alert]]\nname = \"a\"\nwhen = \"x\"\neach = true\n[[alert]]\nname = \"a\"\nwhen = \"y\"\neach = true";
    assert_eq!(
        err(&with(two)),
        "config.toml: alert[1]: key `name`: \"a\" is already the name of alert[0]; names must be unique"
    );
    assert!(err(&with("[alert]\nname = \"a\"")).contains("write each alert as [[alert]]"));
}

#[test]
fn at_most_max_alerts() {
    let many = |n: usize| -> String {
        (0..n)
            .map(|i| format!("[[alert]]\nname = \"a{i}\"\nwhen = \"x\"\neach = true\n"))
            .collect()
    };
    let max = crate::alert::MAX_ALERTS;
    assert_eq!(parse(&with(&many(max))).unwrap().alerts.len(), max);
    assert_eq!(
        err(&with(&many(max + 1))),
        format!(
            "config.toml: top level: key `alert`: {} alerts given; at most {max} are supported",
            max + 1
        )
    );
}
