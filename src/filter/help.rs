//! The filter language as users read it: printed by `evtop help filter` and
//! shown in the TUI's `?` help, one text for both (kept in step with the
//! README's filter table and SPEC 5).

/// The filter language in under 80 columns a line.
pub const FILTER_HELP: &str = "\
Filter: terms separated by spaces; an event must match every term.
  (TUI: `/` opens the prompt; `tail`, `replay`, `resend`: -f/--filter EXPR)

  type:GLOB            type matches; * any run, ? one character
                       (several type: terms: any of them)
  source:GLOB          came from that source (several: any of them)
  .path OP VALUE       a field of the JSON data; OP is = != > >= < <= ~
                       .status=failed  .data.object.amount>1000
                       .items[0].price<5  .email~@acme\\.com$  (~ is a regex)
  .path                the field is present: .data.object.amount
                       [*] is any element: .items[*].sku=A1  .items[*].sku
  word  \"two words\"    case-insensitive text in the type, id or data
  verified:true        webhook deliveries whose signature checked out
    verified:false       ... or failed; verified:none: verify = \"none\"
  attempt>1            webhook redeliveries (attempt OP N, OP as above)
  forward:5xx          the app behind forward_to answered 5xx (or 502, 2xx)
  drift  -drift        failed (or passed) the --contract FILE's schema for
                       its type, or its type is not in the contract
  since:5m             received in the last 5 minutes (500ms 30s 2h 1d 1h30m)
  until:1h             received at least an hour ago
  received>=14:05      received at or after 14:05 UTC today; OP is > >= < <=
                       received<14:05:30.5  received>=2026-12-02T14:05:00Z
                       (RFC 3339, any offset; a range: two terms)
  time<2026-12-02T15:05:00+01:00
                       the same with the event's own time (time_pointer);
                       false for events without one
                       now: the wall clock; in a replay, the replay's clock
  -TERM                negation: -type:ping  -source:test  -verified:true

  Webhook terms never match events of other sources.
  Quoted text is always a word: \"a=b\", \"typ:x\", \"-x\".
  Typos are errors, not searches: typ:x (did you mean type:?),
  amount>5 (did you mean .amount>5?).

Examples:
  type:charge.* .data.object.amount>1000 -source:test since:15m
  verified:false   attempt>1 forward:5xx   \"card declined\"   drift
  evtop tail -f -source:test URL   (a filter may start with -)
";
