//! `relay-load`: a load benchmark for wasmpeg-relay.
//!
//! For each relay and each viewer count N, in one run: start the relay, publish a synthetic
//! 1 Mbit/s MPEG-TS in real time (this tool is the publisher, so it can timestamp), open N
//! WebSocket viewers on loopback, and report delivered throughput, lost markers and the
//! publisher-write → viewer-receive latency. The relays compared are wasmpeg-relay, JSMpeg's
//! `websocket-relay.js` and the npm package `node-rtsp-stream`; `bench/relay-load.sh` installs
//! the latter two and runs this tool. See `--help`.
#![forbid(unsafe_code)]

mod marker;
mod publisher;
mod relay;
mod stream;
mod viewer;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use tokio::sync::{watch, Semaphore};

use publisher::Publisher;
use relay::{Kind, Programs, Running};
use stream::{Spec, TsFile};
use viewer::Shared;

/// Load benchmark for wasmpeg-relay against JSMpeg's websocket-relay.js and node-rtsp-stream.
///
/// For each viewer count and each relay (interleaved, in one run) it starts the relay,
/// publishes a synthetic MPEG-TS (MPEG-1 + MP2, about 1 Mbit/s, made with ffmpeg) in real time,
/// opens the viewers as WebSocket clients on 127.0.0.1, waits until data flows to all of them,
/// warms up, then measures for a fixed window:
///
/// - delivered: bytes all viewers received in the window, Mbit/s, and as a share of
///   N × the publisher's rate;
/// - lost: latency markers (one per picture, 25/s) sent in the window that a viewer never
///   received (counted per viewer, after a drain period);
/// - latency p50/p99: time from the publisher's write of a picture's first packet to a viewer
///   receiving it, all viewers pooled;
/// - relay CPU (100 % = one core) and RSS (for node-rtsp-stream, node plus its ffmpeg child),
///   the CPU of this tool itself, which shares the machine, and the CPU everything else on the
///   machine used during the window ("other CPU": if it is high, the run was disturbed).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Relays to test, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "wasmpeg,jsmpeg,node-rtsp-stream"
    )]
    relays: Vec<Kind>,
    /// Viewer counts, comma-separated.
    #[arg(
        short = 'n',
        long,
        value_delimiter = ',',
        default_value = "100,500,1000,2000"
    )]
    viewers: Vec<usize>,
    /// Seconds measured per run.
    #[arg(short = 'd', long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds between all viewers receiving data and the start of the measurement.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds after the window for late data to arrive before the viewers stop.
    #[arg(long, default_value_t = 3.0)]
    drain: f64,
    /// Rounds: every (N, relay) run is repeated this many times, interleaved; the summary
    /// shows medians.
    #[arg(long, default_value_t = 1)]
    rounds: u32,
    /// Stream bit rate, kbit/s.
    #[arg(long, default_value_t = 1000)]
    kbps: u32,
    /// Picture size of the generated stream.
    #[arg(long, default_value = "640x360")]
    size: String,
    /// Milliseconds between publisher writes.
    #[arg(long, default_value_t = 20)]
    chunk_ms: u64,
    /// Worker threads for the viewers (0: a single-threaded runtime, so the tool uses at most
    /// about one core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Viewers connecting at the same time.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// The wasmpeg-relay binary (build it with `cargo build --release -p wasmpeg-relay`).
    #[arg(long, default_value = "target/release/wasmpeg-relay")]
    wasmpeg_relay: PathBuf,
    /// JSMpeg's websocket-relay.js, with the `ws` package installed next to it.
    #[arg(long, default_value = ".cache/relay-load/jsmpeg/websocket-relay.js")]
    jsmpeg_relay: PathBuf,
    /// The node-rtsp-stream package directory.
    #[arg(
        long,
        default_value = ".cache/relay-load/node-rtsp-stream/node_modules/node-rtsp-stream"
    )]
    node_rtsp_stream: PathBuf,
    /// The node binary.
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// The ffmpeg binary (to make the test stream).
    #[arg(long, default_value = "ffmpeg")]
    ffmpeg: PathBuf,
    /// Directory for the test stream (kept for reuse) and the relays' logs.
    #[arg(long, default_value = ".cache/relay-load/work")]
    work_dir: PathBuf,
}

/// The figures of one run.
#[derive(Clone, Debug)]
struct Run {
    relay: Kind,
    n: usize,
    connected: usize,
    ended_early: usize,
    /// Publisher rate in the window, Mbit/s.
    publish_mbps: f64,
    /// All viewers together, Mbit/s.
    delivered_mbps: f64,
    markers_expected: u64,
    markers_received: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    relay_cpu: f64,
    /// CPU of the relay's child processes (node-rtsp-stream's ffmpeg), included in `relay_cpu`.
    child_cpu: f64,
    relay_rss_mib: f64,
    tool_cpu: f64,
    /// CPU used by everything else on the machine during the window (other processes).
    other_cpu: f64,
    note: String,
}

impl Run {
    fn delivered_pct(&self) -> f64 {
        100.0 * self.delivered_mbps / (self.publish_mbps * self.n as f64)
    }
    fn lost(&self) -> u64 {
        self.markers_expected.saturating_sub(self.markers_received)
    }
    fn lost_pct(&self) -> f64 {
        100.0 * self.lost() as f64 / (self.markers_expected.max(1)) as f64
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match real_main(&cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay-load: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main(cli: &Cli) -> Result<()> {
    if cli.viewers.is_empty() || cli.viewers.contains(&0) {
        bail!("--viewers needs counts of at least 1");
    }
    if cli.relays.is_empty() {
        bail!("--relays is empty");
    }
    for (name, v) in [
        ("--duration", cli.duration),
        ("--warmup", cli.warmup),
        ("--drain", cli.drain),
    ] {
        if !(0.0..3600.0).contains(&v) {
            bail!("{name} must be between 0 and 3600 seconds");
        }
    }
    if cli.duration < 1.0 {
        bail!("--duration must be at least 1 second");
    }
    if !(1..=1000).contains(&cli.chunk_ms) {
        bail!("--chunk-ms must be between 1 and 1000");
    }
    let max_n = cli.viewers.iter().copied().max().unwrap_or(0);
    let need = 2 * max_n as u64 + 200;
    match relay::open_files_limit() {
        Some(limit) if limit < need => bail!(
            "the open files limit is {limit}, {max_n} viewers need about {need} \
             (viewer and relay sockets): raise it first, e.g. `ulimit -n {}`",
            need.max(8192)
        ),
        _ => {}
    }
    let programs = Programs {
        wasmpeg: cli.wasmpeg_relay.clone(),
        jsmpeg: absolute(&cli.jsmpeg_relay)?,
        node_rtsp_stream: absolute(&cli.node_rtsp_stream)?,
        node: cli.node.clone(),
        work: cli.work_dir.clone(),
    };
    for kind in &cli.relays {
        let (path, hint) = match kind {
            Kind::Wasmpeg => (&programs.wasmpeg, "cargo build --release -p wasmpeg-relay"),
            Kind::Jsmpeg => (&programs.jsmpeg, "bench/relay-load.sh installs it"),
            Kind::NodeRtspStream => (
                &programs.node_rtsp_stream,
                "bench/relay-load.sh installs it",
            ),
        };
        if !path.exists() {
            bail!("{kind}: {} not found ({hint})", path.display());
        }
    }

    // Long enough for connecting, warm-up, the window and the drain, with slack.
    let seconds = (cli.warmup + cli.duration + cli.drain + 60.0).ceil() as u32;
    let spec = Spec {
        size: cli.size.clone(),
        kbps: cli.kbps,
        seconds,
    };
    println!(
        "Preparing the test stream ({} {} kbit/s MPEG-1 + MP2, {seconds} s) in {}",
        spec.size,
        spec.kbps,
        cli.work_dir.display()
    );
    let ts = Arc::new(stream::prepare(&spec, &cli.work_dir, &cli.ffmpeg)?);
    println!(
        "Stream: {} bytes, {:.1} s, {:.3} Mbit/s, {} markers; publisher writes every {} ms",
        ts.data.len(),
        ts.seconds,
        ts.bytes_per_second() * 8e-6,
        ts.markers.len(),
        cli.chunk_ms
    );
    println!(
        "Window {} s after {} s warm-up, {} s drain; viewers on {}; {} round(s)\n",
        cli.duration,
        cli.warmup,
        cli.drain,
        if cli.threads == 0 {
            "one thread".to_owned()
        } else {
            format!("{} threads", cli.threads)
        },
        cli.rounds
    );
    println!("{}", header());

    let mut runs = Vec::new();
    for round in 0..cli.rounds {
        for &n in &cli.viewers {
            let mut order = cli.relays.clone();
            let len = order.len();
            order.rotate_left(round as usize % len);
            for kind in order {
                let tag = format!("{kind}-n{n}-r{round}");
                match one_run(cli, &programs, &ts, kind, n, &tag) {
                    Ok(r) => {
                        println!("{}", row(&r));
                        runs.push(r);
                    }
                    Err(e) => println!("{kind:<17} {n:>5}  FAILED: {e:#}"),
                }
            }
        }
    }
    println!("\n{}", summary(cli, &runs));
    Ok(())
}

fn absolute(p: &std::path::Path) -> Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p.to_owned());
    }
    Ok(std::env::current_dir()
        .context("no current directory")?
        .join(p))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn one_run(
    cli: &Cli,
    programs: &Programs,
    ts: &Arc<TsFile>,
    kind: Kind,
    n: usize,
    tag: &str,
) -> Result<Run> {
    let mut relay = Running::start(kind, programs, tag)?;
    let result = measure(cli, ts, &mut relay, kind, n);
    let log = relay.log.clone();
    relay.stop();
    result.with_context(|| format!("relay log: {}", log.display()))
}

fn measure(cli: &Cli, ts: &Arc<TsFile>, relay: &mut Running, kind: Kind, n: usize) -> Result<Run> {
    let runtime = if cli.threads == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.threads)
            .enable_all()
            .build()
    }
    .context("cannot start the tokio runtime")?;
    let base = Instant::now();
    let shared = Arc::new(Shared::new(base));
    let target = relay.target.take().context("relay has no ingest")?;
    let publisher = Publisher::start(
        target,
        Arc::clone(ts),
        base,
        Duration::from_millis(cli.chunk_ms),
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(cli.connect_concurrency.max(1)));
    let url = relay.viewer_url.clone();
    let pids = relay.pids();

    let outcome = runtime.block_on(async {
        let spawn = |s: &Arc<Shared>| {
            tokio::spawn(viewer::run(
                url.clone(),
                Arc::clone(s),
                Arc::clone(&slots),
                stop_rx.clone(),
            ))
        };
        // One viewer first: wait until data flows end to end (node-rtsp-stream's ffmpeg
        // needs a moment to probe its input).
        let mut tasks = vec![spawn(&shared)];
        wait_for(Duration::from_secs(30), || {
            shared.flowing.load(Ordering::Relaxed) >= 1 || shared.ended.load(Ordering::Relaxed) > 0
        })
        .await;
        if shared.flowing.load(Ordering::Relaxed) == 0 {
            bail!("no data reached the first viewer within 30 s");
        }
        tasks.extend((1..n).map(|_| spawn(&shared)));
        let connect_start = Instant::now();
        wait_for(Duration::from_secs(60), || {
            shared.flowing.load(Ordering::Relaxed) + shared.ended.load(Ordering::Relaxed) >= n
        })
        .await;
        let connect_time = connect_start.elapsed();
        tokio::time::sleep(secs(cli.warmup)).await;

        let cpu0: Vec<Option<f64>> = pids.iter().map(|&p| relay::cpu_seconds(p)).collect();
        let tool0 = relay::cpu_seconds(std::process::id());
        let busy0 = relay::machine_busy_seconds();
        let t0 = shared.now();
        shared.window_start.store(t0, Ordering::Relaxed);
        tokio::time::sleep(secs(cli.duration)).await;
        let t1 = shared.now();
        shared.window_end.store(t1, Ordering::Relaxed);
        let cpu1: Vec<Option<f64>> = pids.iter().map(|&p| relay::cpu_seconds(p)).collect();
        let tool1 = relay::cpu_seconds(std::process::id());
        let busy1 = relay::machine_busy_seconds();
        let rss: u64 = pids.iter().filter_map(|&p| relay::rss_bytes(p)).sum();
        tokio::time::sleep(secs(cli.drain)).await;
        let _ = stop_tx.send(true);
        let mut reports = Vec::with_capacity(tasks.len());
        for t in tasks {
            reports.push(t.await.context("viewer task failed")?);
        }
        let window = (t1 - t0) as f64 * 1e-9;
        let cpu: Vec<f64> = cpu0
            .iter()
            .zip(&cpu1)
            .map(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => 100.0 * (b - a) / window,
                _ => 0.0,
            })
            .collect();
        let tool = match (tool0, tool1) {
            (Some(a), Some(b)) => 100.0 * (b - a) / window,
            _ => 0.0,
        };
        let machine = match (busy0, busy1) {
            (Some(a), Some(b)) => 100.0 * (b - a) / window,
            _ => f64::NAN,
        };
        let other = (machine - tool - cpu.iter().sum::<f64>()).max(0.0);
        Ok((reports, t0, t1, cpu, tool, other, rss, connect_time))
    });
    let log = publisher.stop();
    let (reports, t0, t1, cpu, tool_cpu, other_cpu, rss, connect_time) = outcome?;
    if let Some(e) = &log.error {
        bail!("{e}");
    }
    let window = (t1 - t0) as f64 * 1e-9;
    let connected = reports.iter().filter(|r| r.connected).count();
    let ended_early = reports.iter().filter(|r| r.ended_early.is_some()).count();
    let sent = log.markers_between(t0, t1);
    let mut latencies: Vec<u32> = reports
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let pct = |p: usize| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        f64::from(latencies[(latencies.len() * p / 100).min(latencies.len() - 1)]) / 1000.0
    };
    let mut note = format!("connect {:.1} s", connect_time.as_secs_f64());
    if let Some(why) = reports.iter().find_map(|r| r.ended_early.as_deref()) {
        let _ = write!(note, "; {ended_early} viewer(s) ended early, e.g. {why}");
    }
    if log.wraps > 0 {
        let _ = write!(note, "; the stream wrapped around {} time(s)", log.wraps);
    }
    Ok(Run {
        relay: kind,
        n,
        connected,
        ended_early,
        publish_mbps: log.bytes_between(t0, t1) as f64 * 8e-6 / window,
        delivered_mbps: reports.iter().map(|r| r.bytes).sum::<u64>() as f64 * 8e-6 / window,
        markers_expected: sent * n as u64,
        markers_received: reports.iter().map(|r| r.markers).sum(),
        p50_ms: pct(50),
        p99_ms: pct(99),
        max_ms: latencies
            .last()
            .map_or(f64::NAN, |&v| f64::from(v) / 1000.0),
        relay_cpu: cpu.iter().sum(),
        child_cpu: cpu.iter().skip(1).sum(),
        relay_rss_mib: rss as f64 / f64::from(1 << 20),
        tool_cpu,
        other_cpu,
        note,
    })
}

async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn header() -> String {
    format!(
        "{:<17} {:>5} {:>5} {:>16} {:>14} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9}  notes",
        "relay",
        "N",
        "conn",
        "delivered Mbit/s",
        "lost markers",
        "p50 ms",
        "p99 ms",
        "max ms",
        "relay CPU",
        "RSS MiB",
        "tool CPU",
        "other CPU"
    )
}

fn row(r: &Run) -> String {
    let mut cpu = format!("{:.0}%", r.relay_cpu);
    if r.relay == Kind::NodeRtspStream {
        let _ = write!(cpu, "*");
    }
    let mut note = r.note.clone();
    if r.relay == Kind::NodeRtspStream {
        let _ = write!(note, "; *ffmpeg child {:.0}%", r.child_cpu);
    }
    if r.ended_early > 0 && r.connected < r.n {
        let _ = write!(note, "; {} of {} connected", r.connected, r.n);
    }
    format!(
        "{:<17} {:>5} {:>5} {:>16} {:>14} {:>8.1} {:>8.1} {:>8.1} {:>9} {:>8.0} {:>7.0}% {:>8.0}%  {}",
        r.relay.to_string(),
        r.n,
        r.connected,
        format!("{:.0} ({:.0}%)", r.delivered_mbps, r.delivered_pct()),
        format!("{} ({:.2}%)", r.lost(), r.lost_pct()),
        r.p50_ms,
        r.p99_ms,
        r.max_ms,
        cpu,
        r.relay_rss_mib,
        r.tool_cpu,
        r.other_cpu,
        note
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The per-(relay, N) medians over rounds and the ratio lines.
fn summary(cli: &Cli, runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Summary ({} round(s){}), latency = publisher write -> viewer receive:",
        cli.rounds,
        if cli.rounds > 1 { ", medians" } else { "" }
    );
    let _ = writeln!(out, "{}", header());
    let pick = |kind: Kind, n: usize| -> Option<Run> {
        let rs: Vec<&Run> = runs
            .iter()
            .filter(|r| r.relay == kind && r.n == n)
            .collect();
        let first = (*rs.first()?).clone();
        let m = |f: fn(&Run) -> f64| median(rs.iter().map(|r| f(r)).collect());
        Some(Run {
            connected: m(|r| r.connected as f64) as usize,
            ended_early: m(|r| r.ended_early as f64) as usize,
            publish_mbps: m(|r| r.publish_mbps),
            delivered_mbps: m(|r| r.delivered_mbps),
            markers_expected: m(|r| r.markers_expected as f64) as u64,
            markers_received: m(|r| r.markers_received as f64) as u64,
            p50_ms: m(|r| r.p50_ms),
            p99_ms: m(|r| r.p99_ms),
            max_ms: m(|r| r.max_ms),
            relay_cpu: m(|r| r.relay_cpu),
            child_cpu: m(|r| r.child_cpu),
            relay_rss_mib: m(|r| r.relay_rss_mib),
            tool_cpu: m(|r| r.tool_cpu),
            other_cpu: m(|r| r.other_cpu),
            note: if rs.len() > 1 {
                String::new()
            } else {
                first.note.clone()
            },
            ..first
        })
    };
    for &n in &cli.viewers {
        for &kind in &cli.relays {
            if let Some(r) = pick(kind, n) {
                let _ = writeln!(out, "{}", row(&r));
            }
        }
    }
    let _ = writeln!(
        out,
        "\nRatios (other relay / wasmpeg; above 1 means wasmpeg is lower, i.e. better):"
    );
    for &n in &cli.viewers {
        let Some(w) = pick(Kind::Wasmpeg, n) else {
            continue;
        };
        for &kind in cli.relays.iter().filter(|&&k| k != Kind::Wasmpeg) {
            let Some(o) = pick(kind, n) else { continue };
            let _ = writeln!(
                out,
                "RATIO N={n:<5} {kind:<17} / wasmpeg: latency p50 {:>6.2}x  p99 {:>6.2}x  \
                 relay CPU {:>6.2}x  RSS {:>5.2}x",
                o.p50_ms / w.p50_ms,
                o.p99_ms / w.p99_ms,
                o.relay_cpu / w.relay_cpu,
                o.relay_rss_mib / w.relay_rss_mib
            );
        }
    }
    out
}
