//! Checks on webhook `listen` addresses made once at start (SPEC 1): an
//! address that cannot be bound is an error then, naming the port and, on
//! Linux, the process that holds it, instead of a source that retries
//! forever; and a source that accepts unverified deliveries from other
//! hosts is worth a warning.

use std::net::SocketAddr;

use super::super::registry::SourceKind;
use crate::config::{SourceSpec, Verify};

/// Try to bind every webhook source's address (each once; port 0 always
/// binds). The error names the address, the sources on it, the OS reason
/// and, when it can be found, who holds the port. Binding is synchronous:
/// call it before the runtime starts.
pub fn check_listen_addresses(sources: &[SourceSpec]) -> Result<(), String> {
    let mut addrs: Vec<(SocketAddr, Vec<&str>)> = Vec::new();
    for s in sources {
        if let SourceKind::Webhook(opts) = &s.kind {
            match addrs.iter_mut().find(|(a, _)| *a == opts.listen) {
                Some((_, names)) => names.push(&s.name),
                None => addrs.push((opts.listen, vec![&s.name])),
            }
        }
    }
    for (addr, names) in addrs {
        if addr.port() == 0 {
            continue;
        }
        if let Err(e) = try_bind(addr) {
            let holder = holder_of(addr.port())
                .map(|h| format!("; {h} is listening there"))
                .unwrap_or_default();
            return Err(format!(
                "cannot listen on {addr} (source {}): {e}{holder}",
                names.join(", ")
            ));
        }
    }
    Ok(())
}

/// Bind (without listening) as the webhook server will, with
/// `SO_REUSEADDR`, so connections of an earlier run lingering in TIME_WAIT
/// do not count as "in use" but another listener does.
fn try_bind(addr: SocketAddr) -> std::io::Result<()> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)
}

/// Warnings for webhook sources that accept deliveries from other hosts
/// without checking signatures (`--listen 0.0.0.0:PORT`).
pub fn listen_warnings(sources: &[SourceSpec]) -> Vec<String> {
    sources
        .iter()
        .filter_map(|s| match &s.kind {
            SourceKind::Webhook(opts) if opts.verify == Verify::None && !opts.listen.ip().is_loopback() => {
                Some(format!(
                    "warning: {}: listening on {} without verification: anyone who can reach it can \
                     post events; set `verify` and `secret` in a config file, or listen on 127.0.0.1",
                    s.name, opts.listen
                ))
            }
            _ => None,
        })
        .collect()
}

/// `pid 1234 (python3)` for the process listening on TCP `port`, read from
/// `/proc` (Linux; only processes this user may inspect). `None` elsewhere
/// or when it cannot be told.
fn holder_of(port: u16) -> Option<String> {
    let inodes: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|table| listening_inodes(&table, port))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    let targets: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for proc_entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = proc_entry.file_name();
        let Some(pid) = pid.to_str().filter(|p| p.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if targets.iter().any(|t| link.as_os_str() == t.as_str()) {
                let comm = std::fs::read_to_string(proc_entry.path().join("comm")).unwrap_or_default();
                return Some(format!("pid {pid} ({})", comm.trim()));
            }
        }
    }
    None
}

/// The socket inodes of listening sockets on `port` in a `/proc/net/tcp`
/// table (`local_address` is `ADDR:PORT` in hex; state `0A` is LISTEN).
fn listening_inodes(table: &str, port: u16) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port = cols.get(1)?.rsplit(':').next()?;
            let listening = *cols.get(3)? == "0A";
            (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| cols.get(9).map(|s| (*s).to_owned()))?
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_inodes_reads_the_proc_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
            0: 0100007F:223B 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0\n   \
            1: 0100007F:223B 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 100 0 0 10 0\n   \
            2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 0x223B), ["4242"]);
        assert_eq!(listening_inodes(table, 8080), ["4444"]);
        assert!(listening_inodes(table, 1).is_empty());
    }

    #[test]
    fn a_port_in_use_is_an_error_naming_it_and_its_holder() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let spec = crate::config::cli_webhook_source(&format!("hooks=127.0.0.1:{port}")).unwrap();
        let err = check_listen_addresses(std::slice::from_ref(&spec)).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot listen on 127.0.0.1:{port} (source hooks): ")),
            "{err}"
        );
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        drop(held);
        check_listen_addresses(&[spec]).unwrap();
    }

    #[test]
    fn only_unverified_sources_on_other_hosts_are_warned_about() {
        let open = crate::config::cli_webhook_source("0.0.0.0:8787").unwrap();
        let local = crate::config::cli_webhook_source("8787").unwrap();
        let warnings = listen_warnings(&[open, local]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("0.0.0.0:8787 without verification"),
            "{warnings:?}"
        );
    }
}
