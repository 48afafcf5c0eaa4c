//! The `evtop` binary: parse the command line, set up logging, run.
//! Everything else lives in the library (see `lib.rs` for the architecture).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use evtop::cli::{Cli, Command, CommonArgs, ReplayArgs, ResendArgs, SignScheme, TailOutput};
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
            let opts = tail_options(&args.output, colors_wanted(&args.common), filter);
            Ok(tail_runtime()?.block_on(tail::run(config, opts))?)
        }
        Some(Command::Demo(demo)) => {
            let (mut config, filter) = prepare(&demo.args.common, true)?;
            let rt = runtime()?;
            let code = rt.block_on(async {
                let demo_sources = evtop::demo::start().await?;
                config.sources = merge(demo_sources, std::mem::take(&mut config.sources))?;
                if demo.tail {
                    let opts = tail_options(&demo.args.output, colors_wanted(&demo.args.common), filter);
                    Ok::<_, Fatal>(tail::run(config, opts).await?)
                } else {
                    let color = colors_wanted(&demo.args.common);
                    Ok(evtop::tui::run(config, filter, color).await?)
                }
            })?;
            Ok(code)
        }
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Resend(args)) => resend(args),
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

/// `evtop resend`: recorded deliveries sent again, one line each.
fn resend(args: ResendArgs) -> Result<u8, Fatal> {
    use evtop::config::Verify;
    let filter =
        Filter::parse(args.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
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
    };
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    Ok(tail_runtime()?.block_on(evtop::resend::run(opts, &mut out, &mut err))?)
}

/// `evtop replay`: the recordings' sources, then the monitor or `tail`.
fn replay(args: ReplayArgs) -> Result<u8, Fatal> {
    let plan = evtop::recording::plan(&args.files, args.follow, args.speed, &[]).map_err(Fatal::Usage)?;
    let mut config = Config::default();
    config.settings.buffer = args.buffer.unwrap_or_else(|| plan.buffer());
    config.sources = plan.sources;
    let filter =
        Filter::parse(args.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    let color = !args.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if args.tail {
        let opts = tail_options(&args.output, color, filter);
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
    }
}

fn merge(first: Vec<SourceSpec>, then: Vec<SourceSpec>) -> Result<Vec<SourceSpec>, Fatal> {
    config::merge(first, then).map_err(|e| Fatal::Usage(e.to_string()))
}

/// Load the config, add command-line sources, parse the filter.
fn prepare(common: &CommonArgs, allow_no_sources: bool) -> Result<(Config, Filter), Fatal> {
    let env = |k: &str| std::env::var(k).ok();
    let path = config::lookup(common.config.as_deref(), &env).map_err(|e| Fatal::Usage(e.to_string()))?;
    let mut config = match &path {
        Some(p) => config::load(p, &env).map_err(|e| Fatal::Usage(e.to_string()))?,
        None => Config::default(),
    };
    let mut cli_sources = Vec::new();
    for url in &common.urls {
        cli_sources
            .push(config::cli_sse_source(url, &common.headers).map_err(|e| Fatal::Usage(e.to_string()))?);
    }
    for url in &common.polls {
        cli_sources.push(
            config::cli_poll_source(url, &common.headers, common.interval)
                .map_err(|e| Fatal::Usage(e.to_string()))?,
        );
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
    evtop::recording::prepare_config_files(&mut config.sources);
    let file_sources = std::mem::take(&mut config.sources);
    config.sources = merge(file_sources, cli_sources)?;
    if config.sources.is_empty() && !allow_no_sources {
        return Err(Fatal::Usage(
            "no sources: give a URL, --poll URL, --listen PORT, a config file (--config), or try `evtop demo`; see `evtop --help`"
                .into(),
        ));
    }
    let filter =
        Filter::parse(common.filter.as_deref().unwrap_or("")).map_err(|e| Fatal::Usage(e.to_string()))?;
    Ok((config, filter))
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
