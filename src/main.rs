//! The `evtop` binary: parse the command line, set up logging, run.
//! Everything else lives in the library (see `lib.rs` for the architecture).

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use evtop::cli::{
    CatalogArgs, Cli, Command, CommonArgs, RelayArgs, ReplayArgs, ResendArgs, SignScheme, TailOutput, TlsArgs,
};
use evtop::config::{self, Config, SourceSpec};
use evtop::filter::Filter;
use evtop::output::Format;
use evtop::tail::{self, TailOptions};

/// mimalloc instead of the system allocator: evtop allocates a few small
/// strings per event on one thread and frees them on another (`tail`'s
/// printer, the TUI's store), which glibc's malloc handles with arena locks;
/// mimalloc's thread-free lists make that cheap (see BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for bad usage: a bad config, filter, or missing sources.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    evtop::logging::init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Fatal::Usage(msg)) => {
            eprintln!("evtop: {msg}");
            ExitCode::from(USAGE)
        }
        Err(Fatal::Other(e)) => {
            eprintln!("evtop: {e:#}");
            ExitCode::from(1)
        }
    }
}

enum Fatal {
    /// The user's input is wrong: exit 2 with one line.
    Usage(String),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Fatal {
    fn from(e: anyhow::Error) -> Self {
        Fatal::Other(e)
    }
}

fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Some(Command::Tail(args)) => {
            let (config, filter) = prepare(&args.common, false)?;
            announce(&config);
            let opts = tail_options(&args.output, colors_wanted(&args.common), filter);
            Ok(tail_runtime()?.block_on(tail::run(config, opts))?)
        }
        Some(Command::Demo(demo)) => {
            let (mut config, filter) = prepare(&demo.args.common, true)?;
            let rt = runtime()?;
            let code = rt.block_on(async {
                let servers = evtop::shutdown::Tasks::default();
                let demo_sources = evtop::demo::start(&servers).await?;
                config.sources = merge(demo_sources, std::mem::take(&mut config.sources))?;
                config.reconcile.extend(evtop::demo::reconcile());
                if config.alerts.is_empty() {
                    config.alerts = evtop::demo::alerts();
                }
                let code = if demo.tail {
                    announce(&config);
                    let opts = tail_options(&demo.args.output, colors_wanted(&demo.args.common), filter);
                    tail::run(config, opts).await?
                } else {
                    let color = colors_wanted(&demo.args.common);
                    evtop::tui::run(config, filter, color).await?
                };
                servers.shutdown(evtop::engine::SHUTDOWN_GRACE).await;
                Ok::<_, Fatal>(code)
            })?;
            Ok(code)
        }
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Resend(args)) => resend(args),
        Some(Command::Catalog(args)) => catalog(args),
        Some(Command::Relay(args)) => relay(args),
        Some(Command::Help { topic }) => help(topic.as_deref()),
        None => {
            let (config, filter) = prepare(&cli.common, false)?;
            if !std::io::stdout().is_terminal() {
                return Err(Fatal::Usage(
                    "the monitor needs a terminal; use `evtop tail` to print events to a pipe or file".into(),
                ));
            }
            let color = colors_wanted(&cli.common);
            Ok(runtime()?.block_on(evtop::tui::run(config, filter, color))?)
        }
    }
}

/// `evtop help [TOPIC]`: the filter language, a subcommand's help, or the
/// main help (clap's own `help` subcommand is replaced by this one).
fn help(topic: Option<&str>) -> Result<u8, Fatal> {
    let mut cmd = Cli::command();
    match topic {
        Some("filter") => print!("{}", evtop::filter::FILTER_HELP),
        None => cmd.print_long_help().map_err(anyhow::Error::from)?,
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_owned())
                .filter(|n| n != "help")
                .collect();
            let Some(sub) = cmd
                .find_subcommand_mut(name)
                .filter(|_| names.iter().any(|n| n == name))
            else {
                return Err(Fatal::Usage(format!(
                    "no help on {name:?}; topics: filter, {}",
                    names.join(", ")
                )));
            };
            let mut sub = sub.clone().bin_name(format!("evtop {name}"));
            sub.print_long_help().map_err(anyhow::Error::from)?;
        }
    }
    Ok(0)
}

/// `tail`'s first stderr lines: which config file is in use, and that
/// certificates are not checked.
fn announce(config: &Config) {
    if let Some(p) = &config.path {
        eprintln!("evtop: config {}", p.display());
    }
    if config.settings.tls.insecure {
        eprintln!("evtop: --insecure: HTTPS certificates are not checked");
    }
}

/// `evtop relay`: the sources, published into JetStream.
fn relay(args: RelayArgs) -> Result<u8, Fatal> {
    use evtop::relay::{BrokerOptions, RelayOptions, subject};
    let usage = Fatal::Usage;
    subject::check_prefix(&args.prefix).map_err(usage)?;
    let stream = args
        .stream
        .clone()
        .unwrap_or_else(|| subject::default_stream(&args.prefix));
    subject::check_stream(&stream).map_err(usage)?;
    let (servers, servers_display) = evtop::relay::parse_servers(&args.to).map_err(usage)?;
    let (config, filter) = prepare(&args.common, false)?;
    announce(&config);
    let opts = RelayOptions {
        broker: BrokerOptions {
            servers,
            servers_display,
            stream,
            prefix: args.prefix,
            replicas: args.replicas.map(usize::from),
            max_age: args.max_age,
            creds: args.creds,
        },
        queue: args.queue,
        filter,
    };
    Ok(tail_runtime()?.block_on(evtop::relay::run(config, opts))?)
}

/// `evtop resend`: recorded deliveries sent again, one line each.
fn resend(args: ResendArgs) -> Result<u8, Fatal> {
    use evtop::config::Verify;
    let mut filter =
        Filter::parse(args.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    if filter.has_drift_terms() {
        return Err(Fatal::Usage(
            "resend checks no contract, so the filter term `drift` could never match".into(),
        ));
    }
    if filter.is_relative() {
        // "Now" is the recording's clock: its latest `received`.
        let latest = evtop::recording::latest_received(std::slice::from_ref(&args.file))
            .map_err(|e| Fatal::Other(anyhow::anyhow!("cannot read {e}")))?;
        filter.set_now(latest.unwrap_or(0));
    }
    let (verify, key) = match (args.verify, args.secret.as_deref()) {
        (Some(SignScheme::Stripe), Some(s)) => (Verify::Stripe, s.as_bytes().to_vec()),
        (Some(SignScheme::Github), Some(s)) => (Verify::Github, s.as_bytes().to_vec()),
        (Some(SignScheme::Standard), Some(s)) => (
            Verify::Standard,
            config::standard_key(s).map_err(|e| Fatal::Usage(format!("--secret: {e}")))?,
        ),
        _ => (Verify::None, Vec::new()),
    };
    match reqwest::Url::parse(&args.to) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        _ => {
            return Err(Fatal::Usage(format!(
                "--to: expected an http or https URL, got {:?}",
                args.to
            )));
        }
    }
    let opts = evtop::resend::ResendOptions {
        file: args.file,
        to: args.to,
        filter,
        verify,
        key,
        include_unverified: args.include_unverified,
        tls: tls(&args.tls)?,
    };
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    Ok(evtop::resend::run(opts, &tail_runtime()?, &mut out, &mut err)?)
}

/// `evtop catalog`: learn from recordings, or from the config's sources for
/// a while, and write the catalog.
fn catalog(args: CatalogArgs) -> Result<u8, Fatal> {
    let filter =
        Filter::parse(args.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    let diag = evtop::tail::stderr::Diagnostics::start().map_err(|e| Fatal::Other(e.into()))?;
    let learned = if args.files.is_empty() {
        let common = CommonArgs {
            config: args.config.clone(),
            no_config: args.no_config,
            tls: args.tls.clone(),
            ..CommonArgs::default()
        };
        let (config, _) = prepare(&common, false)?;
        announce(&config);
        runtime()?.block_on(evtop::catalog::from_sources(
            &config,
            &filter,
            args.duration,
            &diag,
        ))?
    } else {
        if args.config.is_some() || args.duration.is_some() {
            return Err(Fatal::Usage(
                "evtop catalog: give recordings (FILE…) or live sources (-c FILE --duration DUR), not both"
                    .into(),
            ));
        }
        evtop::catalog::from_recordings(&args.files, &filter, &diag).map_err(Fatal::Usage)?
    };
    diag.finish(std::time::Duration::from_secs(2));
    let yaml = evtop::catalog::wants_yaml(args.output.as_deref());
    let bytes = evtop::catalog::render(&learned, args.format, yaml)?;
    evtop::catalog::write_out(&bytes, args.output.as_deref()).map_err(|e| match &args.output {
        Some(p) => Fatal::Other(anyhow::anyhow!("cannot write {}: {e}", p.display())),
        None => Fatal::Other(e.into()),
    })?;
    let types = learned.catalog.types().count();
    eprintln!(
        "evtop: catalogued {} events of {types} types{}",
        learned.events,
        if learned.bad_lines > 0 {
            format!("; {} lines skipped (not evtop NDJSON)", learned.bad_lines)
        } else {
            String::new()
        }
    );
    Ok(0)
}

/// `evtop replay`: the recordings' sources, then the monitor or `tail`.
fn replay(args: ReplayArgs) -> Result<u8, Fatal> {
    let plan = evtop::recording::plan(&args.files, args.follow, args.speed, &[]).map_err(Fatal::Usage)?;
    let mut config = Config::default();
    config.settings.buffer = args.buffer.unwrap_or_else(|| plan.buffer());
    config.sources = plan.sources;
    let filter =
        Filter::parse(args.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    config.contract = contract(args.contract.as_deref(), &filter)?;
    if let Some(path) = &args.alerts {
        config.alerts = config::load(path, &|k| std::env::var(k).ok())
            .map_err(|e| Fatal::Usage(e.to_string()))?
            .alerts;
    }
    let color = !args.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if args.tail {
        // Recordings read to their end: a relative filter (`since:10s`)
        // counts back from their latest event, as `resend` and `catalog` do
        // (README "Investigating an incident"). One more pass, only then.
        let fixed_now = if filter.is_relative() && !args.follow {
            evtop::recording::latest_received(&args.files)
                .map_err(|e| Fatal::Usage(format!("cannot read {e}")))?
        } else {
            None
        };
        let mut opts = tail_options(&args.output, color, filter);
        opts.fixed_now = fixed_now;
        return Ok(tail_runtime()?.block_on(tail::run(config, opts))?);
    }
    if !std::io::stdout().is_terminal() {
        return Err(Fatal::Usage(
            "the monitor needs a terminal; add --tail to print the replay".into(),
        ));
    }
    Ok(runtime()?.block_on(evtop::tui::run(config, filter, color))?)
}

fn tail_options(args: &TailOutput, colors: bool, filter: Filter) -> TailOptions {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Ndjson
    });
    let color = format == Format::Text && colors && std::io::stdout().is_terminal();
    TailOptions {
        format,
        count: args.count,
        duration: args.duration,
        state_out: args.state_out.clone(),
        filter,
        color,
        fail_after: args.fail_after,
        fixed_now: None,
    }
}

fn merge(first: Vec<SourceSpec>, then: Vec<SourceSpec>) -> Result<Vec<SourceSpec>, Fatal> {
    config::merge(first, then).map_err(|e| Fatal::Usage(e.to_string()))
}

/// Load the config, add command-line sources, parse the filter.
fn prepare(common: &CommonArgs, allow_no_sources: bool) -> Result<(Config, Filter), Fatal> {
    let env = |k: &str| std::env::var(k).ok();
    let path = match (&common.config, common.no_config) {
        (None, true) => None,
        (explicit, _) => {
            config::lookup(explicit.as_deref(), &env).map_err(|e| Fatal::Usage(e.to_string()))?
        }
    };
    let mut config = match &path {
        Some(p) => config::load(p, &env).map_err(|e| Fatal::Usage(e.to_string()))?,
        None => Config::default(),
    };
    if let Some(p) = &config.path {
        config::set_in_use(p);
    }
    config.settings.tls = tls(&common.tls)?;
    if common.interval.is_some() && common.polls.is_empty() && common.diffs.is_empty() {
        return Err(Fatal::Usage(
            "--interval applies to --poll and --diff sources; none was given".into(),
        ));
    }
    let usage = |e: config::ConfigError| Fatal::Usage(e.to_string());
    let mut cli_sources = Vec::new();
    for url in common.urls.iter().chain(&common.polls).chain(&common.diffs) {
        if let Some(note) = config::cli_url_note(url) {
            eprintln!("evtop: {note}");
        }
    }
    for url in &common.urls {
        cli_sources.push(config::cli_url_source(url, &common.headers).map_err(usage)?);
    }
    for url in &common.polls {
        cli_sources.push(config::cli_poll_source(url, &common.headers, common.interval).map_err(usage)?);
    }
    for url in &common.diffs {
        cli_sources.push(config::cli_diff_source(url, &common.headers, common.interval).map_err(usage)?);
    }
    for listen in &common.listens {
        cli_sources.push(config::cli_webhook_source(listen).map_err(|e| Fatal::Usage(e.to_string()))?);
    }
    // Sensitive `-H` values (Authorization, tokens, keys) are masked like
    // ${VAR} values wherever evtop writes.
    for h in cli_sources
        .iter()
        .flat_map(|s| &s.headers)
        .filter(|h| h.sensitive && !h.value.is_empty())
    {
        config.secrets.push(h.value.clone());
    }
    if let Some(n) = common.buffer {
        config.settings.buffer = n;
    }
    let file_sources = evtop::recording::prepare_config_files(std::mem::take(&mut config.sources));
    config.sources = merge(file_sources, cli_sources)?;
    if config.sources.is_empty() && !allow_no_sources {
        return Err(Fatal::Usage(
            "no sources: give a URL, --poll URL, --diff URL, --listen PORT, a config file (--config), or try `evtop demo`; see `evtop --help`"
                .into(),
        ));
    }
    let filter =
        Filter::parse(common.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    config.contract = contract(common.contract.as_deref(), &filter)?;
    // A port someone else holds is an error now, not a source retrying.
    config::check_listen_addresses(&config.sources).map_err(|e| Fatal::Other(anyhow::anyhow!(e)))?;
    for warning in config::listen_warnings(&config.sources) {
        eprintln!("evtop: {warning}");
    }
    Ok((config, filter))
}

/// `--contract FILE`, read and compiled now (before any runtime starts): a
/// bad file is a usage error naming the file, the message and what is
/// wrong. A `drift` filter term without a contract could never match, so it
/// is an error too.
fn contract(path: Option<&Path>, filter: &Filter) -> Result<Option<Arc<evtop::contract::Contract>>, Fatal> {
    let Some(path) = path else {
        if filter.has_drift_terms() {
            return Err(Fatal::Usage(
                "the filter term `drift` needs --contract FILE (an AsyncAPI document or a JSON object of type → JSON Schema)"
                    .into(),
            ));
        }
        return Ok(None);
    };
    // The error quotes names and values from the file: inert on stderr.
    let c = evtop::contract::Contract::load(path)
        .map_err(|e| Fatal::Usage(evtop::sanitize::inert(&e.to_string()).into_owned()))?;
    Ok(Some(Arc::new(c)))
}

/// `--cacert` (read and checked now) and `--insecure`.
fn tls(args: &TlsArgs) -> Result<config::Tls, Fatal> {
    let extra_roots_pem = match &args.cacert {
        None => None,
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| Fatal::Usage(format!("--cacert {}: cannot read: {e}", path.display())))?;
            match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certs) if !certs.is_empty() => Some(pem),
                Ok(_) => {
                    return Err(Fatal::Usage(format!(
                        "--cacert {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
                        path.display()
                    )));
                }
                Err(e) => return Err(Fatal::Usage(format!("--cacert {}: {e}", path.display()))),
            }
        }
    };
    Ok(config::Tls {
        extra_roots_pem,
        insecure: args.insecure,
    })
}

fn colors_wanted(common: &CommonArgs) -> bool {
    !common.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// `tail` runs on one thread: its sources and its printer hand batches to
/// each other, and on one thread that costs no cross-thread wake-ups.
fn tail_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
