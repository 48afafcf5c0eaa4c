//! Errors of syntax and shape, names, URLs, headers, `${VAR}` expansion,
//! secrets, and `mask_secrets`.

use std::borrow::Cow;

use super::super::raw::line_column;
use super::super::*;
use super::{env_of, err, err_env, no_env, only, parse, source};

#[test]
fn toml_syntax_error_gives_line_and_column() {
    assert_eq!(
        err("[settings]\nfps = 30\nbuffer = = 3\n"),
        "config.toml:3:10: extra `=`, expected nothing"
    );
    assert_eq!(
        err("[settings]\nfps = 30\n  url = \"x\n"),
        "config.toml:3:11: invalid basic string, expected `\"`"
    );
}

#[test]
fn duplicate_toml_key_is_a_syntax_error_with_position() {
    assert_eq!(
        err("[settings]\nfps = 30\nfps = 31\n"),
        "config.toml:3:1: duplicate key fps"
    );
}

#[test]
fn line_column_counts_characters_from_one() {
    assert_eq!(line_column("abc", 0), (1, 1));
    assert_eq!(line_column("ab\ncd", 4), (2, 2));
    assert_eq!(line_column("é\nxé=", 6), (2, 3));
    // An offset inside a character counts from that character's start.
    assert_eq!(line_column("é\nxé=", 5), (2, 2));
    assert_eq!(line_column("ab", 99), (1, 3));
}

#[test]
fn unknown_key_names_the_key_its_table_and_the_allowed_keys() {
    let text = "[[source]]\nname = \"payments\"\nurl = \"https://h.example\"\nintervall = \"1s\"";
    assert_eq!(
        err(text),
        "config.toml: source \"payments\": unknown key `intervall`; allowed keys: name, kind, \
         url, headers, type_pointer, id_pointer, time_pointer, patch, idle_timeout, preset, \
         interval, mode, items, order, cursor_param, has_more, limit, path, follow, speed, \
         listen, verify, secret, tolerance, forward_to, subscribe, ping, protocol, query, \
         variables, init_payload, urls, subject, stream, start, credentials, token, user, \
         password, type_from, format"
    );
    assert_eq!(
        err("[settings]\nframes = 3"),
        "config.toml: [settings]: unknown key `frames`; allowed keys: buffer, max_event_bytes, fps"
    );
    assert_eq!(
        err("[sources]\n"),
        "config.toml: top level: unknown key `sources`; allowed keys: settings, source, alert, reconcile"
    );
    assert!(
        err("[[source]]\nurl = \"https://h\"\n[[source]]\nnom = \"x\"")
            .starts_with("config.toml: source[1]: unknown key `nom`; allowed keys: name,")
    );
}

#[test]
fn single_source_table_gets_a_hint() {
    assert_eq!(
        err("[source]\nname = \"s\"\nurl = \"https://h\""),
        "config.toml: top level: key `source`: write each source as [[source]] (an array of tables), not [source]"
    );
}

#[test]
fn wrong_type_names_the_path() {
    let text = "[[source]]\nname = \"a\"\nurl = \"https://h\"\n[[source]]\nurl = \"https://h\"\nkind = \"poll\"\nlimit = \"a\"";
    assert_eq!(
        err(text),
        "config.toml: source[1].limit: invalid type: string \"a\", expected u32"
    );
    let named = "[[source]]\nname = \"payments\"\nurl = \"https://h\"\nkind = \"poll\"\nlimit = \"a\"";
    assert_eq!(
        err(named),
        "config.toml: source \"payments\".limit: invalid type: string \"a\", expected u32"
    );
    assert_eq!(
        err("[settings]\nfps = \"x\""),
        "config.toml: settings.fps: invalid type: string \"x\", expected u32"
    );
    assert_eq!(
        err(&source("headers = { Authorization = 5 }")),
        "config.toml: source \"s\".headers.Authorization: invalid type: integer `5`, expected a string"
    );
    assert_eq!(
        err(&source("patch = \"yes\"")),
        "config.toml: source \"s\".patch: invalid type: string \"yes\", expected a boolean"
    );
}

#[test]
fn unset_variable_names_file_source_key_and_variable() {
    let text = "[[source]]\nname = \"payments\"\nurl = \"https://h.example\"\n\
                headers = { Authorization = \"Bearer ${PAYMENTS_TOKEN}\" }";
    assert_eq!(
        err(text),
        "config.toml: source \"payments\": headers.Authorization: environment variable PAYMENTS_TOKEN is not set"
    );
    let text = "[[source]]\nname = \"payments\"\nurl = \"https://${HOST}/x\"";
    assert_eq!(
        err(text),
        "config.toml: source \"payments\": url: environment variable HOST is not set"
    );
}

#[test]
fn expanded_values_are_masked_and_collected_as_secrets() {
    let env = env_of(&[("TOKEN", "s3cr3t"), ("HOST", "h.example"), ("EMPTY", "")]);
    let text = source("").replace("https://h.example/x", "https://${HOST}/x?key=${TOKEN}")
        + "headers = { Authorization = \"Bearer ${TOKEN}\", X-Trace = \"${EMPTY}\" }\n";
    let config = parse_config(&text, "config.toml", &env).unwrap();
    let spec = &config.sources[0];
    assert_eq!(spec.url, "https://h.example/x?key=s3cr3t");
    assert_eq!(spec.url_display, "https://***/x?key=***");
    assert_eq!(spec.headers.len(), 2);
    let auth = &spec.headers[0];
    assert_eq!(
        (
            auth.name.as_str(),
            auth.value.as_str(),
            auth.display.as_str(),
            auth.sensitive
        ),
        ("Authorization", "Bearer s3cr3t", "***", true)
    );
    let trace = &spec.headers[1];
    assert_eq!(
        (trace.value.as_str(), trace.display.as_str(), trace.sensitive),
        ("", "***", true)
    );
    // Each non-empty value once, in order of appearance.
    assert_eq!(config.secrets, ["h.example", "s3cr3t"]);
}

#[test]
fn headers_are_sensitive_by_name() {
    let headers = "headers = { Accept = \"text/event-stream\", X-Api-Key = \"k1\", Cookie = \"c=1\", \
                   Proxy-Authorization = \"p\", X-Hub-Signature-256 = \"s\", X-Auth-Token = \"t\", \
                   Client-Secret = \"cs\" }";
    let spec = only(&source(headers));
    let shown: Vec<(&str, &str, bool)> = spec
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.display.as_str(), h.sensitive))
        .collect();
    assert!(shown.contains(&("Accept", "text/event-stream", false)));
    for name in [
        "X-Api-Key",
        "Cookie",
        "Proxy-Authorization",
        "X-Hub-Signature-256",
        "X-Auth-Token",
        "Client-Secret",
    ] {
        assert!(shown.contains(&(name, "***", true)), "{name}: {shown:?}");
    }
    // Literal values are not collected as secrets; only ${VAR} values are.
    assert!(parse(&source(headers)).unwrap().secrets.is_empty());
}

#[test]
fn double_dollar_is_a_literal_dollar() {
    let spec = only(&(source("").replace("/x", "/x?$$filter=a") + "headers = { X-Price = \"5$$\" }"));
    assert_eq!(spec.url, "https://h.example/x?$filter=a");
    assert_eq!(spec.url_display, "https://h.example/x?$filter=a");
    assert_eq!(spec.headers[0].value, "5$");
    assert_eq!(spec.headers[0].display, "5$");
    assert!(!spec.headers[0].sensitive);
}

#[test]
fn bad_dollar_syntax_is_rejected() {
    assert_eq!(
        err(&source("headers = { X = \"$TOKEN\" }")),
        "config.toml: source \"s\": key `headers.X`: a `$` must start `${NAME}`; write `$$` for a literal `$`"
    );
    assert_eq!(
        err(&source("headers = { X = \"${TOKEN\" }")),
        "config.toml: source \"s\": key `headers.X`: `${` without a closing `}`; write `$$` for a literal `$`"
    );
    assert!(
        err(&source("headers = { X = \"${1A}\" }"))
            .starts_with("config.toml: source \"s\": key `headers.X`: \"1A\" is not a variable name")
    );
}

#[test]
fn names_follow_the_name_rule() {
    for good in ["a", "0", "a.b_c-d", "Payments2", &"n".repeat(64)] {
        let text = source("").replace("name = \"s\"", &format!("name = \"{good}\""));
        assert_eq!(only(&text).name, good);
    }
    for bad in ["-a", ".a", "_a", "a b", "a/b", "a:b", "é"] {
        let text = source("").replace("name = \"s\"", &format!("name = \"{bad}\""));
        assert_eq!(
            err(&text),
            format!(
                "config.toml: source {bad:?}: key `name`: {bad:?} must start with a letter or digit and contain only letters, digits, `.`, `_` and `-`"
            )
        );
    }
    let long = "n".repeat(65);
    let text = source("").replace("name = \"s\"", &format!("name = \"{long}\""));
    assert_eq!(
        err(&text),
        format!("config.toml: source \"{long}\": key `name`: must be at most 64 characters, got 65")
    );
    assert_eq!(
        err("[[source]]\nurl = \"https://h\""),
        "config.toml: source[0]: key `name` is required"
    );
}

#[test]
fn duplicate_names_are_rejected() {
    let text = source("") + &source("");
    assert_eq!(
        err(&text),
        "config.toml: source[1]: key `name`: \"s\" is already the name of source[0]; names must be unique"
    );
}

#[test]
fn url_is_required_and_must_be_http() {
    assert_eq!(
        err("[[source]]\nname = \"s\""),
        "config.toml: source \"s\": key `url` is required"
    );
    assert_eq!(
        err("[[source]]\nname = \"s\"\nurl = \"ftp://h.example/x\""),
        "config.toml: source \"s\": key `url`: expected an http or https URL, not ftp:: \"ftp://h.example/x\""
    );
    assert_eq!(
        err("[[source]]\nname = \"s\"\nurl = \"/stream\""),
        "config.toml: source \"s\": key `url`: not a valid URL (relative URL without a base): \"/stream\""
    );
}

#[test]
fn url_is_checked_after_expansion_and_shown_masked() {
    let text = "[[source]]\nname = \"s\"\nurl = \"${BASE}/stream\"";
    let spec = parse_config(text, "config.toml", &env_of(&[("BASE", "http://h.example")])).unwrap();
    assert_eq!(spec.sources[0].url, "http://h.example/stream");
    assert_eq!(spec.sources[0].url_display, "***/stream");
    let message = err_env(text, &env_of(&[("BASE", "ftp://hidden.example")]));
    assert_eq!(
        message,
        "config.toml: source \"s\": key `url`: expected an http or https URL, not ftp:: \"***/stream\""
    );
}

#[test]
fn header_names_and_values_must_be_valid_http() {
    assert_eq!(
        err(&source("headers = { \"Bad Name\" = \"x\" }")),
        "config.toml: source \"s\": key `headers.Bad Name`: \"Bad Name\" is not a valid HTTP header name"
    );
    let message = err_env(
        &source("headers = { X-Token = \"${T}\" }"),
        &env_of(&[("T", "abc\r\nInjected: 1")]),
    );
    assert_eq!(
        message,
        "config.toml: source \"s\": key `headers.X-Token`: the value contains a line break, another \
         control character or non-ASCII text; header values must be printable ASCII"
    );
    assert!(!message.contains("abc"));
    assert_eq!(
        err(&source("headers = { Accept = \"a\", accept = \"b\" }")),
        "config.toml: source \"s\": key `headers.accept`: header given twice (names are case-insensitive)"
    );
}

#[test]
fn load_names_the_path_and_the_os_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let message = load(&path, &no_env).unwrap_err().to_string();
    let os_reason = std::fs::read_to_string(&path).unwrap_err();
    assert_eq!(
        message,
        format!("{}: cannot read config file: {os_reason}", path.display())
    );
    assert!(message.contains("missing.toml"));
}

#[test]
fn load_uses_the_path_as_the_file_name_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evtop.toml");
    std::fs::write(&path, "[settings]\nfps = 0\n").unwrap();
    assert_eq!(
        load(&path, &no_env).unwrap_err().to_string(),
        format!(
            "{}: [settings]: key `fps`: must be between 1 and 240, got 0",
            path.display()
        )
    );
}

#[test]
fn parse_duration_reads_humantime() {
    assert_eq!(parse_duration("500ms"), Ok(std::time::Duration::from_millis(500)));
    assert_eq!(parse_duration("10s"), Ok(std::time::Duration::from_secs(10)));
    assert_eq!(parse_duration("2m"), Ok(std::time::Duration::from_secs(120)));
    let message = parse_duration("10").unwrap_err();
    assert_eq!(
        message,
        "\"10\" is not a duration (time unit needed, for example 10sec or 10ms); write e.g. 500ms, 10s or 2m"
    );
}

#[test]
fn mask_secrets_replaces_every_occurrence() {
    let secrets = vec!["tok".to_string(), String::new()];
    assert_eq!(mask_secrets("a tok b tok", &secrets), "a *** b ***");
    assert!(matches!(mask_secrets("nothing here", &secrets), Cow::Borrowed(_)));
    assert!(matches!(mask_secrets("", &secrets), Cow::Borrowed(_)));
}

#[test]
fn mask_secrets_prefers_the_longest_secret() {
    let secrets = vec!["abc".to_string(), "abcdef".to_string()];
    assert_eq!(mask_secrets("xabcdefx abc", &secrets), "x***x ***");
    let secrets = vec!["é€".to_string()];
    assert_eq!(mask_secrets("aé€bé", &secrets), "a***bé");
}

#[test]
fn mask_secrets_is_not_fooled_by_its_own_mask() {
    let secrets = vec!["x".to_string(), "**".to_string()];
    assert_eq!(mask_secrets("x", &secrets), "***");
    assert_eq!(mask_secrets("**x", &secrets), "******");
}

#[test]
fn parse_uses_no_environment_when_nothing_is_referenced() {
    assert!(parse_config(&source(""), "c.toml", &|_| panic!("env read")).is_ok());
}

#[test]
fn tables_of_the_wrong_type_say_what_was_expected() {
    assert_eq!(
        err("settings = 5"),
        "config.toml: settings: invalid type: integer `5`, expected a table ([settings])"
    );
    assert_eq!(
        err("source = [1]"),
        "config.toml: source[0]: invalid type: integer `1`, expected a table ([[source]])"
    );
    assert_eq!(
        err(&source("headers = 3")),
        "config.toml: source \"s\".headers: invalid type: integer `3`, expected a table of header names to string values"
    );
}
