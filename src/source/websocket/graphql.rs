//! The `graphql-transport-ws` protocol (SPEC 8.2), as messages: what the
//! client sends (`connection_init`, `subscribe`, `ping`, `pong`) and what a
//! server's text frame means.
//!
//! A `next` message's event has the whole `payload` as its `data`
//! (`{"data": {"orderPlaced": {…}}}`, with `errors` when the server sent
//! some), so pointers read `/data/orderPlaced/id`; its type is the root
//! field (the first key of `payload.data`) unless `type_pointer` is set.

use serde_json::{Value, json};

use super::config::GraphqlOptions;

/// The subprotocol asked for in the upgrade.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// `connection_init`, with the `init_payload` when there is one.
pub fn connection_init(opts: &GraphqlOptions) -> String {
    match &opts.init_payload {
        Some(payload) => json!({"type": "connection_init", "payload": payload}).to_string(),
        None => json!({"type": "connection_init"}).to_string(),
    }
}

/// The `subscribe` message of query `index` (its id is `index + 1`).
pub fn subscribe(opts: &GraphqlOptions, index: usize) -> String {
    let mut payload = json!({"query": opts.queries[index]});
    if let Some(variables) = &opts.variables {
        payload["variables"] = variables.clone();
    }
    json!({"type": "subscribe", "id": (index + 1).to_string(), "payload": payload}).to_string()
}

/// A protocol `ping` or `pong`.
pub fn ping() -> String {
    json!({"type": "ping"}).to_string()
}

/// A protocol `pong`.
pub fn pong() -> String {
    json!({"type": "pong"}).to_string()
}

/// A server message, decoded.
#[derive(Debug, PartialEq)]
pub enum ServerMsg {
    ConnectionAck,
    Ping,
    Pong,
    /// A result of subscription `id`: the payload's text, the root field.
    Next {
        id: String,
        payload: String,
        root: Option<String>,
    },
    /// Subscription `id` failed: the errors, on one line.
    Error {
        id: String,
        message: String,
    },
    /// The server ended subscription `id`.
    Complete {
        id: String,
    },
    /// Anything else (an unknown type, not JSON): said in words.
    Unexpected(String),
}

/// Decode one text frame of the server.
pub fn decode(text: &str) -> ServerMsg {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return ServerMsg::Unexpected(format!("not a JSON message: {}", super::super::quote_text(text)));
    };
    let id = value.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
    match value.get("type").and_then(Value::as_str).unwrap_or("") {
        "connection_ack" => ServerMsg::ConnectionAck,
        "ping" => ServerMsg::Ping,
        "pong" => ServerMsg::Pong,
        "next" => {
            let payload = value.get_mut("payload").map(Value::take).unwrap_or(Value::Null);
            let root = payload
                .get("data")
                .and_then(Value::as_object)
                .and_then(|d| d.keys().next().cloned());
            ServerMsg::Next {
                id,
                payload: payload.to_string(),
                root,
            }
        }
        "error" => ServerMsg::Error {
            id,
            message: error_text(value.get("payload").unwrap_or(&Value::Null)),
        },
        "complete" => ServerMsg::Complete { id },
        other => ServerMsg::Unexpected(format!("unexpected message type {other:?}")),
    }
}

/// The `message`s of an `error` payload (a list of GraphQL errors), joined.
fn error_text(payload: &Value) -> String {
    let messages: Vec<&str> = match payload {
        Value::Array(errors) => errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect(),
        other => other.get("message").and_then(Value::as_str).into_iter().collect(),
    };
    if messages.is_empty() {
        super::super::quote_text(&payload.to_string())
    } else {
        super::super::quote_text(&messages.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> GraphqlOptions {
        GraphqlOptions {
            queries: vec!["subscription { orderPlaced { id } }".into()],
            variables: Some(json!({"shop": "eu"})),
            init_payload: Some(json!({"token": "t"})),
        }
    }

    #[test]
    fn client_messages() {
        assert_eq!(
            connection_init(&opts()),
            r#"{"type":"connection_init","payload":{"token":"t"}}"#
        );
        assert_eq!(
            subscribe(&opts(), 0),
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription { orderPlaced { id } }","variables":{"shop":"eu"}}}"#
        );
    }

    #[test]
    fn server_messages() {
        assert_eq!(
            decode(r#"{"type":"next","id":"1","payload":{"data":{"orderPlaced":{"id":7}}}}"#),
            ServerMsg::Next {
                id: "1".into(),
                payload: r#"{"data":{"orderPlaced":{"id":7}}}"#.into(),
                root: Some("orderPlaced".into()),
            }
        );
        assert_eq!(
            decode(r#"{"type":"error","id":"2","payload":[{"message":"Cannot query field \"x\""}]}"#),
            ServerMsg::Error {
                id: "2".into(),
                message: "Cannot query field \"x\"".into()
            }
        );
        assert_eq!(decode(r#"{"type":"connection_ack"}"#), ServerMsg::ConnectionAck);
        assert!(matches!(decode("nope"), ServerMsg::Unexpected(_)));
    }
}
