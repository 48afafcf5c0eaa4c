//! The loader on every shape it reads and every error it names; reasons.

use std::path::Path;

use super::*;

fn load(text: &str, file: &str) -> Result<Contract, ContractError> {
    Contract::from_text(text, Path::new(file))
}

fn error(text: &str, file: &str) -> String {
    match load(text, file) {
        Ok(c) => panic!("loaded: {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// The shape `evtop catalog` writes (SPEC 10): a channel per source, a
/// message per type named exactly as the type, draft-07 payloads.
const EVTOP_SHAPED: &str = r#"{
  "asyncapi": "3.0.0",
  "info": {"title": "evtop catalog", "version": "1"},
  "channels": {
    "payments": {
      "address": "payments",
      "messages": {
        "charge.succeeded": {
          "name": "charge.succeeded",
          "payload": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["id", "amount"],
            "properties": {
              "id": {"type": "string"},
              "amount": {"type": "integer"},
              "created": {"type": "string", "format": "date-time"}
            }
          },
          "x-evtop": {"count": 3, "first_seen": "2026-11-22T10:00:00Z", "last_seen": "2026-11-22T10:01:00Z", "sources": ["payments"]}
        },
        "ping": {"name": "ping", "payload": {"type": "string"}}
      }
    }
  }
}"#;

#[test]
fn evtop_shaped_asyncapi_json_checks_each_type() {
    let c = load(EVTOP_SHAPED, "contract.json").unwrap();
    assert_eq!(c.type_names().collect::<Vec<_>>(), ["charge.succeeded", "ping"]);
    let ok = r#"{"id":"ch_1","amount":1200,"created":"not a date"}"#;
    assert!(!c.drifts("charge.succeeded", ok, true), "format is not asserted");
    assert!(c.reasons("charge.succeeded", ok, true).is_empty());
    assert_eq!(
        c.reasons("charge.succeeded", r#"{"id":"ch_1","amount":"1200"}"#, true),
        ["/amount: expected integer, got string"]
    );
    assert_eq!(
        c.reasons("charge.succeeded", r#"{"id":"ch_1"}"#, true),
        ["/amount: missing (required)"]
    );
    // Non-JSON data is checked as a JSON string.
    assert!(!c.drifts("ping", "hello", false));
    assert!(
        !c.drifts("ping", "not json {", true),
        "unparsable data counts as text"
    );
    assert_eq!(c.reasons("ping", "{}", true), ["/: expected string, got object"]);
    assert_eq!(c.reasons("refund.created", "{}", true), [NOT_IN_CONTRACT]);
    assert!(c.drifts("refund.created", "{}", true));
}

const HAND_WRITTEN_YAML: &str = r##"
asyncapi: 3.0.0
info: {title: Payments, version: 2.1.0}
channels:
  charges:
    address: /v1/charges
    messages:
      succeeded:
        $ref: '#/components/messages/ChargeSucceeded'
      failed:
        $ref: '#/components/messages/ChargeFailed'
  refunds:
    $ref: '#/components/channels/refunds'
components:
  channels:
    refunds:
      messages:
        refund:
          payload:
            type: object
            properties:
              amount: {type: integer, minimum: 1}
  messages:
    ChargeSucceeded:
      name: charge.succeeded
      payload:
        $ref: '#/components/schemas/Charge'
    ChargeFailed:
      name: charge.failed
      payload:
        schemaFormat: application/vnd.aai.asyncapi+json;version=3.0.0
        schema:
          allOf:
            - $ref: '#/components/schemas/Charge'
            - required: [failure_code]
  schemas:
    Charge:
      type: object
      required: [data]
      properties:
        data:
          type: object
          properties:
            object:
              $ref: '#/components/schemas/ChargeObject'
    ChargeObject:
      type: object
      required: [amount, currency]
      additionalProperties: false
      properties:
        amount: {type: integer}
        currency: {type: string, enum: [usd, eur]}
        status: {const: succeeded}
"##;

#[test]
fn hand_written_asyncapi_yaml_with_refs_into_components() {
    let c = load(HAND_WRITTEN_YAML, "contract.yaml").unwrap();
    let mut names: Vec<_> = c.type_names().collect();
    names.sort_unstable();
    // The refund message has no name: the key it is defined under.
    assert_eq!(names, ["charge.failed", "charge.succeeded", "refund"]);
    let ok = r#"{"data":{"object":{"amount":5,"currency":"usd"}}}"#;
    assert!(!c.drifts("charge.succeeded", ok, true));
    assert_eq!(
        c.reasons("charge.failed", ok, true),
        ["/failure_code: missing (required)"]
    );
    let bad = r#"{"data":{"object":{"amount":5.5,"currency":"gbp","status":"lost","extra":1}}}"#;
    assert_eq!(
        c.reasons("charge.succeeded", bad, true),
        [
            "/data/object/amount: expected integer, got number",
            r#"/data/object/currency: "gbp" is not one of ["usd","eur"]"#,
            r#"/data/object/status: expected "succeeded", got "lost""#,
            "/data/object/extra: not allowed (additionalProperties)",
        ]
    );
    assert_eq!(
        c.reasons("refund", r#"{"amount":0}"#, true),
        ["/amount: 0 is less than the minimum of 1"]
    );
}

#[test]
fn asyncapi_2_channels_with_one_of_and_components() {
    let doc = r##"{
      "asyncapi": "2.6.0",
      "info": {"title": "t", "version": "1"},
      "channels": {
        "events": {
          "subscribe": {"message": {"oneOf": [
            {"$ref": "#/components/messages/Created"},
            {"name": "thing.deleted", "payload": {"type": "object", "required": ["id"]}}
          ]}},
          "publish": {"message": {"messageId": "thing.poked", "payload": {"type": "null"}}}
        }
      },
      "components": {"messages": {"Created": {"name": "thing.created", "payload": {"type": "object"}}}}
    }"##;
    let c = load(doc, "c.json").unwrap();
    let mut names: Vec<_> = c.type_names().collect();
    names.sort_unstable();
    assert_eq!(names, ["thing.created", "thing.deleted", "thing.poked"]);
    assert!(!c.drifts("thing.created", "{}", true));
    assert_eq!(
        c.reasons("thing.deleted", "{}", true),
        ["/id: missing (required)"]
    );
    assert!(!c.drifts("thing.poked", "null", true));
}

#[test]
fn type_to_schema_object() {
    let doc = r##"{
      "order.created": {"type": "object", "properties": {"total": {"type": "number"}},
                        "definitions": {"line": {"type": "string"}},
                        "patternProperties": {"^line": {"$ref": "#/definitions/line"}}},
      "heartbeat": true,
      "never": false
    }"##;
    let c = load(doc, "types.json").unwrap();
    assert!(!c.drifts("order.created", r#"{"total": 1.5, "line1": "x"}"#, true));
    assert_eq!(
        c.reasons("order.created", r#"{"line1": 2}"#, true),
        ["/line1: expected string, got integer"],
        "$refs resolve inside the type's own schema"
    );
    assert!(!c.drifts("heartbeat", "anything", false));
    assert_eq!(
        c.reasons("never", "{}", true),
        ["/: not allowed (the schema is false)"]
    );
}

#[test]
fn a_type_named_twice_passes_either_schema_and_reasons_follow_the_closest() {
    let doc = r#"{"asyncapi": "3.0.0", "channels": {
        "a": {"messages": {"m": {"name": "t", "payload": {"type": "object", "required": ["x", "w"]}}}},
        "b": {"messages": {"m": {"name": "t", "payload": {"type": "object", "required": ["y", "z"]}}}},
        "c": {"messages": {"m": {"name": "t", "payload": {"type": "object", "required": ["x", "w"]}}}}
    }}"#;
    let c = load(doc, "c.json").unwrap();
    assert_eq!(c.types[0].validators.len(), 2, "the same payload compiles once");
    assert!(!c.drifts("t", r#"{"x":1,"w":0}"#, true));
    assert!(!c.drifts("t", r#"{"y":1,"z":2}"#, true));
    assert_eq!(c.reasons("t", r#"{"y":1}"#, true), ["/z: missing (required)"]);
}

#[test]
fn reasons_are_bounded() {
    let c = load(
        r#"{"t": {"type": "array", "items": {"type": "integer"}}}"#,
        "c.json",
    )
    .unwrap();
    let data = serde_json::to_string(&(0..20).map(|i| i.to_string()).collect::<Vec<_>>()).unwrap();
    let r = c.reasons("t", &data, true);
    assert_eq!(r.len(), MAX_REASONS + 1);
    assert_eq!(r[0], "/0: expected integer, got string");
    assert_eq!(r[MAX_REASONS], "+15 more");
    // Long values are cut.
    let c = load(r#"{"t": {"enum": ["a"]}}"#, "c.json").unwrap();
    let long = format!("\"{}\"", "x".repeat(500));
    let r = c.reasons("t", &long, true);
    assert!(r[0].chars().count() < 80, "{r:?}");
    assert!(r[0].contains('…'));
}

#[test]
fn paths_from_data_keep_their_characters_for_the_sanitizer() {
    let c = load(
        r#"{"t": {"additionalProperties": {"type": "integer"}}}"#,
        "c.json",
    )
    .unwrap();
    let r = c.reasons("t", r#"{"a/b\u001b[2J": "x"}"#, true);
    assert_eq!(r, ["/a~1b\u{1b}[2J: expected integer, got string"]);
    assert_eq!(
        crate::sanitize::inert(&r[0]),
        "/a~1b␛[2J: expected integer, got string"
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    assert_eq!(
        error("{\n  \"a\": {\"type\": \"object\",}\n}", "c.json"),
        "contract c.json: line 2, column 26: not valid JSON: trailing comma"
    );
    let e = error("asyncapi: 3.0.0\nchannels:\n  a: [unclosed\n", "c.yaml");
    assert!(
        e.starts_with("contract c.yaml: line 4, column 1: not valid YAML: "),
        "{e}"
    );
    let e = error("[1, 2]", "c.json");
    assert!(e.ends_with("got array"), "{e}");
}

#[test]
fn bad_schemas_name_the_message_and_the_place() {
    assert_eq!(
        error(
            r#"{"charge": {"properties": {"amount": {"type": "integr"}}}}"#,
            "c.json"
        ),
        "contract c.json: type \"charge\": invalid schema at /properties/amount/type: \"integr\" is not valid under any of the schemas listed in the 'anyOf' keyword"
    );
    let doc = EVTOP_SHAPED.replace(r#""required": ["id", "amount"]"#, r#""required": "id""#);
    assert_eq!(
        error(&doc, "c.json"),
        "contract c.json: message \"charge.succeeded\" at /channels/payments/messages/charge.succeeded: \
         invalid schema at /channels/payments/messages/charge.succeeded/payload/required: \"id\" is not of type \"array\""
    );
    let doc = HAND_WRITTEN_YAML.replace("amount: {type: integer}", "amount: {type: 5}");
    let e = error(&doc, "c.yml");
    assert!(
        e.starts_with("contract c.yml: schema \"ChargeObject\": invalid schema at /components/schemas/ChargeObject/properties/amount/type:"),
        "{e}"
    );
    assert_eq!(
        error(r#"{"t": "string"}"#, "c.json"),
        "contract c.json: type \"t\": expected a JSON Schema (an object, or true/false), got string"
    );
}

#[test]
fn unresolvable_refs_are_errors_naming_the_message() {
    let doc = HAND_WRITTEN_YAML.replace(
        "'#/components/schemas/ChargeObject'",
        "'#/components/schemas/Nope'",
    );
    let e = error(&doc, "c.yaml");
    assert!(
        e.starts_with("contract c.yaml: message \"charge.succeeded\" at /components/messages/ChargeSucceeded: unresolvable $ref"),
        "{e}"
    );
    assert!(e.contains("Nope"), "{e}");
    let doc = HAND_WRITTEN_YAML.replace("'#/components/schemas/Charge'\n", "'other.yaml#/Charge'\n");
    let e = error(&doc, "c.yaml");
    assert!(e.contains("unresolvable $ref"), "{e}");
    assert!(e.contains("other.yaml"), "{e}");
    let doc = HAND_WRITTEN_YAML.replace(
        "'#/components/messages/ChargeFailed'",
        "'#/components/messages/Gone'",
    );
    assert_eq!(
        error(&doc, "c.yaml"),
        "contract c.yaml: /channels/charges/messages/failed: unresolvable $ref \"#/components/messages/Gone\": nothing at /components/messages/Gone"
    );
    let doc = HAND_WRITTEN_YAML.replace(
        "'#/components/messages/ChargeFailed'",
        "'https://example.com/m.json'",
    );
    assert!(error(&doc, "c.yaml").contains("only references inside the contract file"));
}

#[test]
fn documents_evtop_cannot_check_are_errors() {
    let e = error(r#"{"asyncapi": "1.2.0", "channels": {}}"#, "c.json");
    assert_eq!(
        e,
        "contract c.json: AsyncAPI \"1.2.0\" is not supported (2.x and 3.x are)"
    );
    let e = error(r#"{"asyncapi": "3.0.0", "channels": {}}"#, "c.json");
    assert!(
        e.ends_with("has no messages (channels/*/messages or components/messages)"),
        "{e}"
    );
    let e = error(r#"{"info": {}, "channels": {"a": {}}}"#, "c.json");
    assert!(e.contains("no `asyncapi` version"), "{e}");
    assert_eq!(error("{}", "c.json"), "contract c.json: names no event types");
    let doc = r#"{"asyncapi": "3.0.0", "components": {"messages": {"M": {"name": "m",
        "payload": {"schemaFormat": "application/vnd.apache.avro;version=1.9.0", "schema": {}}}}}}"#;
    assert_eq!(
        error(doc, "c.json"),
        "contract c.json: message \"m\" at /components/messages/M: schemaFormat \"application/vnd.apache.avro;version=1.9.0\" \
         is not supported: evtop checks AsyncAPI schemas and JSON Schema draft-07"
    );
    let doc = r#"{"asyncapi": "2.6.0", "channels": {"c": {"subscribe": {"message": {"payload": {}}}}}}"#;
    assert_eq!(
        error(doc, "c.json"),
        "contract c.json: /channels/c/subscribe/message: the message has no `name` (the event type it describes)"
    );
    let e = Contract::load(Path::new("/nonexistent/contract.json"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("contract /nonexistent/contract.json: cannot read: "),
        "{e}"
    );
}
