//! "Now" for a time filter over whole recordings (`resend --filter`,
//! `catalog FILE… --filter`): the latest `received` in them — where the
//! clock of a replay of the same files ends ([`crate::store::Store::clock`]),
//! so `since:5m` means the recording's last five minutes whenever it is
//! read, and `until:` / clock times mean the same as in its replay.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::PathBuf;

use serde::Deserialize;

use crate::event::parse_rfc3339_millis;

/// The one member of a line this reads.
#[derive(Deserialize)]
struct Received<'a> {
    #[serde(borrow)]
    received: Cow<'a, str>,
}

/// The latest `received` in the files, unix ms; `None` when no line has
/// one. Lines that are not events are skipped (their reader reports them).
/// Synchronous: call it off the async runtime.
pub fn latest_received(files: &[PathBuf]) -> std::io::Result<Option<i64>> {
    let mut latest: Option<i64> = None;
    let mut line = Vec::new();
    for path in files {
        let named = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(named)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(named)? == 0 {
                break;
            }
            let t = serde_json::from_slice::<Received<'_>>(&line)
                .ok()
                .and_then(|r| parse_rfc3339_millis(&r.received));
            if let Some(t) = t {
                latest = Some(latest.map_or(t, |l| l.max(t)));
            }
        }
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_received_across_files_skipping_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let line = |received: &str| {
            format!(
                r#"{{"source":"s","id":null,"type":"t","time":null,"received":"{received}","data":{{}}}}"#
            )
        };
        let a = dir.path().join("a.ndjson");
        let b = dir.path().join("b.ndjson");
        std::fs::write(
            &a,
            [
                line("2026-12-02T14:05:00Z"),
                "not json".into(),
                line("2026-12-02T14:07:00.5Z"),
            ]
            .join("\n"),
        )
        .unwrap();
        std::fs::write(&b, line("2026-12-02T14:06:00+00:00")).unwrap();
        let t = 1_796_220_300_000;
        assert_eq!(
            latest_received(&[a.clone(), b.clone()]).unwrap(),
            Some(t + 120_500)
        );
        assert_eq!(latest_received(&[b]).unwrap(), Some(t + 60_000));
        std::fs::write(&a, "nothing\n").unwrap();
        assert_eq!(latest_received(&[a]).unwrap(), None);
    }
}
