use proptest::prelude::*;

use super::*;

/// What the NATS server accepts as a subject to publish on (and the relay
/// promises besides: no wildcard characters at all, bounded length).
fn valid_publish_subject(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SUBJECT_BYTES
        && s.split('.').all(|t| !t.is_empty())
        && !s
            .chars()
            .any(|c| c == '*' || c == '>' || c.is_whitespace() || c.is_control())
}

#[test]
fn types_keep_their_dots_as_separators() {
    assert_eq!(
        subject("evtop", "payments", "charge.succeeded"),
        "evtop.payments.charge.succeeded"
    );
    assert_eq!(subject("team.x", "gh", "issues"), "team.x.gh.issues");
}

#[test]
fn characters_subjects_cannot_carry_become_underscores() {
    assert_eq!(subject("evtop", "s", "a b"), "evtop.s.a_b");
    assert_eq!(subject("evtop", "s", "a*b.>"), "evtop.s.a_b._");
    assert_eq!(subject("evtop", "s", "*"), "evtop.s._");
    assert_eq!(subject("evtop", "s", "tab\there\r\n"), "evtop.s.tab_here__");
    assert_eq!(subject("evtop", "s", "é.ü"), "evtop.s.é.ü", "UTF-8 letters stay");
}

#[test]
fn empty_tokens_become_underscores() {
    assert_eq!(subject("evtop", "s", ""), "evtop.s._");
    assert_eq!(subject("evtop", "s", ".a..b."), "evtop.s._.a._.b._");
    assert_eq!(subject("evtop", "", "x"), "evtop._.x");
}

#[test]
fn a_source_name_is_one_token() {
    assert_eq!(
        subject("evtop", "api.example.com", "x"),
        "evtop.api_example_com.x"
    );
    assert_eq!(subject("evtop", "my hooks", "x"), "evtop.my_hooks.x");
}

#[test]
fn long_types_are_cut_without_an_empty_last_token() {
    let ty = format!("{}.{}", "a".repeat(MAX_SUBJECT_BYTES - 16), "b".repeat(100));
    let s = subject("evtop", "src", &ty);
    assert_eq!(s.len(), MAX_SUBJECT_BYTES - 1);
    assert!(valid_publish_subject(&s), "{s}");
    // A cut that would end on the separator.
    let head = MAX_SUBJECT_BYTES - 1 - "evtop.src.".len() - 1;
    let ty = format!("{}.{}", "a".repeat(head), "b".repeat(50));
    let s = subject("evtop", "src", &ty);
    assert!(s.ends_with("._"), "{}", &s[s.len() - 5..]);
    assert!(valid_publish_subject(&s));
    // Multi-byte characters are never split.
    let s = subject("evtop", "src", &"é".repeat(600));
    assert!(s.len() <= MAX_SUBJECT_BYTES && valid_publish_subject(&s));
}

#[test]
fn msg_ids_name_the_source_and_redeliveries() {
    assert_eq!(msg_id("stripe", "evt_1", None), "stripe:evt_1");
    assert_eq!(msg_id("stripe", "evt_1", Some(1)), "stripe:evt_1");
    assert_eq!(msg_id("stripe", "evt_1", Some(3)), "stripe:evt_1:3");
    assert_eq!(msg_id("s", "a\r\nb%", None), "s:a%0D%0Ab%25");
    assert_ne!(msg_id("s", "%0A", None), msg_id("s", "\n", None));
}

#[test]
fn prefixes_are_checked() {
    assert!(check_prefix("evtop").is_ok());
    assert!(check_prefix("team.events").is_ok());
    for bad in ["", ".x", "x.", "a..b", "a b", "a.*", "a.>", "a\tb"] {
        assert!(check_prefix(bad).is_err(), "{bad:?}");
    }
    assert!(check_prefix(&"a".repeat(MAX_PREFIX_BYTES + 1)).is_err());
}

#[test]
fn stream_names_follow_the_prefix() {
    assert_eq!(default_stream("evtop"), "EVTOP");
    assert_eq!(default_stream("team.events-1"), "TEAM_EVENTS-1");
    assert!(check_stream("EVTOP").is_ok());
    for bad in ["", "a.b", "a b", "a/b", "a*", ">"] {
        assert!(check_stream(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn coverage_of_the_relay_subjects() {
    assert!(covers("evtop.>", "evtop.>"));
    assert!(covers(">", "evtop.>"));
    assert!(covers("*.>", "evtop.>"));
    assert!(covers("team.>", "team.events.>"));
    assert!(!covers("evtop.*", "evtop.>"));
    assert!(!covers("evtop.a.>", "evtop.>"));
    assert!(!covers("other.>", "evtop.>"));
    assert!(!covers("evtop", "evtop.>"));
    assert!(!covers("team.events.>", "team.>"));
}

proptest! {
    #[test]
    fn any_type_and_source_give_a_valid_subject(source in any::<String>(), ty in any::<String>()) {
        let s = subject("evtop", &source, &ty);
        prop_assert!(valid_publish_subject(&s), "{:?}", s);
        prop_assert!(s.starts_with("evtop."));
    }

    #[test]
    fn short_clean_types_keep_their_tokens(
        tokens in proptest::collection::vec("[a-z0-9_-]{1,12}", 1..6),
    ) {
        let ty = tokens.join(".");
        prop_assert_eq!(subject("p", "s", &ty), format!("p.s.{ty}"));
    }

    #[test]
    fn any_id_gives_a_header_value(source in any::<String>(), id in any::<String>(), attempt in 0u64..5) {
        let v = msg_id(&source, &id, Some(attempt));
        prop_assert!(!v.contains(['\r', '\n']));
        prop_assert!(v.parse::<async_nats::HeaderValue>().is_ok());
    }

    #[test]
    fn coverage_is_reflexive_and_full_wildcard_covers_all(p in "[a-z]{1,4}(\\.[a-z]{1,4}){0,3}") {
        let pattern = format!("{p}.>");
        prop_assert!(covers(&pattern, &pattern));
        prop_assert!(covers(">", &pattern));
    }
}
