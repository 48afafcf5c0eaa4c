//! WebSocket sources through the real binary: `evtop tail ws://…`, a
//! GraphQL config, and the size bound measured by the OS.

use serde_json::json;

use crate::support::*;
use crate::websocket_servers::*;
