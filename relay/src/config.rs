//! Command line, environment variables and the optional TOML config file.
//!
//! Precedence: command-line flag, then its `WASMPEG_RELAY_*` environment variable, then the
//! config file, then the built-in default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

/// The relay's settings, resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address of the HTTP/WebSocket listener.
    pub listen: SocketAddr,
    /// Secret required from every publisher (unless its stream has its own).
    pub secret: Option<String>,
    /// Per-stream publisher secrets.
    pub stream_secrets: HashMap<String, String>,
    /// Per-stream broadcast queue, in messages: a viewer further behind skips to the next
    /// I-picture.
    pub queue: usize,
    /// GOP cache limit per stream, in bytes.
    pub gop_cache_bytes: usize,
    /// A viewer that stays behind (or cannot take a message) this long is disconnected.
    pub max_behind: Duration,
    /// Interval of WebSocket pings.
    pub ping_interval: Duration,
    /// A viewer that sends nothing (not even a pong) this long is dropped.
    pub ping_timeout: Duration,
    /// Maximum number of streams.
    pub max_streams: usize,
    /// Maximum viewers per stream.
    pub max_viewers: usize,
    /// Token every viewer must present (unless its stream has its own), or `None`.
    pub viewer_token: Option<String>,
    /// Per-stream viewer tokens.
    pub stream_viewer_tokens: HashMap<String, String>,
    /// Origins allowed to open WebSockets (viewers and publishers); empty allows any.
    pub allow_origins: Vec<String>,
    /// JSMpeg-compatible ingest listener (`/<secret>[/...]`, any method), or `None`.
    pub jsmpeg_ingest: Option<SocketAddr>,
    /// JSMpeg-compatible viewer listener (WebSocket on any path), or `None`.
    pub jsmpeg_viewers: Option<SocketAddr>,
    /// The stream behind the JSMpeg-compatible listeners.
    pub jsmpeg_stream: String,
    /// Name of the built-in demo stream, or `None` for no demo.
    pub demo: Option<String>,
    /// Directory where each publish session is recorded, or `None`.
    pub record: Option<PathBuf>,
    /// Raw TCP ingest listeners: address and the stream its connections publish to.
    pub tcp_ingest: Vec<(SocketAddr, String)>,
    /// Stream that standard input is published to, or `None`.
    pub stdin: Option<String>,
    /// Spawned sources: the stream and the command whose stdout is published to it.
    pub sources: Vec<(String, Vec<String>)>,
    /// PEM certificate chain for TLS (with `tls_key`), or `None` for plain HTTP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    pub tls_key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secret: None,
            stream_secrets: HashMap::new(),
            queue: 256,
            gop_cache_bytes: 16 << 20,
            max_behind: Duration::from_secs(5),
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(20),
            max_streams: 64,
            max_viewers: 10_000,
            viewer_token: None,
            stream_viewer_tokens: HashMap::new(),
            allow_origins: Vec::new(),
            jsmpeg_ingest: None,
            jsmpeg_viewers: None,
            jsmpeg_stream: "jsmpeg".to_owned(),
            demo: Some("demo".to_owned()),
            record: None,
            tcp_ingest: Vec::new(),
            stdin: None,
            sources: Vec::new(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// wasmpeg-relay: live MPEG-TS (MPEG-1 video + MP2 audio) from ffmpeg to many browsers.
///
/// Publish with e.g. `ffmpeg -re -i in.ts -c copy -f mpegts http://127.0.0.1:8080/publish/cam1`
/// and watch at ws://127.0.0.1:8080/ws/cam1. With no arguments the relay listens on
/// 127.0.0.1:8080, serves its pages and publishes a built-in looped demo stream named `demo`.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Cli {
    /// TOML config file; its keys are the long flag names with `_` for `-`
    /// (e.g. `listen = "0.0.0.0:8080"`, `[stream_secrets] cam1 = "..."`).
    #[arg(long, env = "WASMPEG_RELAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on for pages, viewers (ws://HOST/ws/STREAM) and publishers
    /// (POST|PUT /publish/STREAM) [default: 127.0.0.1:8080].
    #[arg(long, env = "WASMPEG_RELAY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Secret every publisher must present (as /publish/STREAM/SECRET, ?secret=SECRET or
    /// `Authorization: Bearer SECRET`). Without it (and without a per-stream secret) anyone who
    /// can reach the relay may publish.
    #[arg(long, env = "WASMPEG_RELAY_SECRET")]
    pub secret: Option<String>,
    /// Per-stream publisher secret, STREAM=SECRET (repeatable; overrides --secret for that
    /// stream). The environment variable takes a comma-separated list.
    #[arg(
        long = "stream-secret",
        env = "WASMPEG_RELAY_STREAM_SECRETS",
        value_delimiter = ',',
        value_name = "STREAM=SECRET"
    )]
    pub stream_secrets: Vec<String>,
    /// Messages queued per stream; a viewer that falls further behind skips ahead to the next
    /// I-picture [default: 256].
    #[arg(long, env = "WASMPEG_RELAY_QUEUE")]
    pub queue: Option<usize>,
    /// Largest GOP cache per stream in bytes (new viewers start from the cached last
    /// I-picture; a longer GOP makes them wait for the next one) [default: 16777216].
    #[arg(long, env = "WASMPEG_RELAY_GOP_CACHE_BYTES")]
    pub gop_cache_bytes: Option<usize>,
    /// Seconds a viewer may stay behind (or take to accept one message) before it is
    /// disconnected with close code 1008 [default: 5].
    #[arg(long, env = "WASMPEG_RELAY_MAX_BEHIND")]
    pub max_behind: Option<f64>,
    /// Seconds between WebSocket pings [default: 10].
    #[arg(long, env = "WASMPEG_RELAY_PING_INTERVAL")]
    pub ping_interval: Option<f64>,
    /// Seconds a viewer may send nothing (no pong to the pings) before it is dropped
    /// [default: twice --ping-interval].
    #[arg(long, env = "WASMPEG_RELAY_PING_TIMEOUT")]
    pub ping_timeout: Option<f64>,
    /// Maximum number of streams [default: 64].
    #[arg(long, env = "WASMPEG_RELAY_MAX_STREAMS")]
    pub max_streams: Option<usize>,
    /// Maximum viewers per stream; more get HTTP 503 [default: 10000].
    #[arg(long, env = "WASMPEG_RELAY_MAX_VIEWERS")]
    pub max_viewers: Option<usize>,
    /// Token every viewer must present, as `?token=TOKEN` (browsers cannot set headers on a
    /// WebSocket) or `Authorization: Bearer TOKEN`: 401 without one, 403 for a wrong one.
    #[arg(long, env = "WASMPEG_RELAY_VIEWER_TOKEN")]
    pub viewer_token: Option<String>,
    /// Per-stream viewer token, STREAM=TOKEN (repeatable; overrides --viewer-token for that
    /// stream). The environment variable takes a comma-separated list.
    #[arg(
        long = "stream-viewer-token",
        env = "WASMPEG_RELAY_STREAM_VIEWER_TOKENS",
        value_delimiter = ',',
        value_name = "STREAM=TOKEN"
    )]
    pub stream_viewer_tokens: Vec<String>,
    /// Origin allowed to open WebSockets, e.g. `https://example.com` (repeatable). When set,
    /// a WebSocket upgrade (viewer or publisher) with another Origin gets 403; requests
    /// without an Origin (not from a browser) are allowed. The environment variable takes a
    /// comma-separated list.
    #[arg(
        long = "allow-origin",
        env = "WASMPEG_RELAY_ALLOW_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub allow_origins: Vec<String>,
    /// JSMpeg relay compatibility on its default ports: the same as
    /// `--jsmpeg-ingest 127.0.0.1:8081 --jsmpeg-viewers 127.0.0.1:8082` (either may be given
    /// to change its address).
    #[arg(long, env = "WASMPEG_RELAY_JSMPEG_COMPAT")]
    pub jsmpeg_compat: bool,
    /// JSMpeg-compatible ingest (like `node websocket-relay.js SECRET 8081 8082`): any method
    /// on `/SECRET[/...]` publishes the body to --jsmpeg-stream. The secret is that stream's
    /// publisher secret (--stream-secret, else --secret) and it is enforced (403); without
    /// one any path is accepted.
    #[arg(long, env = "WASMPEG_RELAY_JSMPEG_INGEST", value_name = "ADDR")]
    pub jsmpeg_ingest: Option<SocketAddr>,
    /// JSMpeg-compatible viewers: WebSocket on any path of ADDR, watching --jsmpeg-stream
    /// (viewer tokens, Origin list and limits apply; with --tls-cert both JSMpeg ports speak
    /// TLS too).
    #[arg(long, env = "WASMPEG_RELAY_JSMPEG_VIEWERS", value_name = "ADDR")]
    pub jsmpeg_viewers: Option<SocketAddr>,
    /// The stream behind the JSMpeg-compatible ports [default: jsmpeg].
    #[arg(long, env = "WASMPEG_RELAY_JSMPEG_STREAM", value_name = "NAME")]
    pub jsmpeg_stream: Option<String>,
    /// Name of the built-in demo stream (a fixture looped in real time) [default: demo].
    #[arg(long, env = "WASMPEG_RELAY_DEMO")]
    pub demo: Option<String>,
    /// Do not publish the built-in demo stream.
    #[arg(long, env = "WASMPEG_RELAY_NO_DEMO")]
    pub no_demo: bool,
    /// Record each publish session to DIR/STREAM-YYYYMMDDTHHMMSSZ.ts, UTC (DIR is created if
    /// missing). If the disk cannot keep up, data is dropped from the recording, never from
    /// the live stream.
    #[arg(long, env = "WASMPEG_RELAY_RECORD", value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Raw TCP ingest, ADDR=STREAM (repeatable): each connection to ADDR publishes its bytes
    /// to STREAM, e.g. `ffmpeg ... -f mpegts tcp://127.0.0.1:9090`. No secret is asked: bind
    /// it where only publishers can reach it. The environment variable takes a comma-separated
    /// list.
    #[arg(
        long = "tcp-ingest",
        env = "WASMPEG_RELAY_TCP_INGEST",
        value_delimiter = ',',
        value_name = "ADDR=STREAM"
    )]
    pub tcp_ingest: Vec<String>,
    /// Publish standard input to STREAM (e.g. `ffmpeg ... -f mpegts - | wasmpeg-relay --stdin cam1`).
    #[arg(long, env = "WASMPEG_RELAY_STDIN", value_name = "STREAM")]
    pub stdin: Option<String>,
    /// Spawned source, STREAM=COMMAND (repeatable): the relay runs COMMAND (split like a
    /// shell, run without one) and publishes its standard output to STREAM, e.g.
    /// `--source 'cam1=ffmpeg -re -i in.ts -c copy -f mpegts -'`. Its stderr is logged; it is
    /// restarted when it exits (after 1 s, doubling up to 30 s) and killed on shutdown. The
    /// environment variable takes one source per line.
    #[arg(
        long = "source",
        env = "WASMPEG_RELAY_SOURCE",
        value_delimiter = '\n',
        value_name = "STREAM=COMMAND"
    )]
    pub sources: Vec<String>,
    /// PEM certificate chain: with --tls-key, the port serves https and wss instead of http
    /// and ws.
    #[arg(long, env = "WASMPEG_RELAY_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "WASMPEG_RELAY_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
}

/// The config file: the same settings as the flags, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<SocketAddr>,
    secret: Option<String>,
    #[serde(default)]
    stream_secrets: HashMap<String, String>,
    queue: Option<usize>,
    gop_cache_bytes: Option<usize>,
    max_behind: Option<f64>,
    ping_interval: Option<f64>,
    ping_timeout: Option<f64>,
    max_streams: Option<usize>,
    max_viewers: Option<usize>,
    viewer_token: Option<String>,
    #[serde(default)]
    stream_viewer_tokens: HashMap<String, String>,
    #[serde(default)]
    allow_origin: Vec<String>,
    jsmpeg_compat: Option<bool>,
    jsmpeg_ingest: Option<SocketAddr>,
    jsmpeg_viewers: Option<SocketAddr>,
    jsmpeg_stream: Option<String>,
    demo: Option<String>,
    no_demo: Option<bool>,
    record: Option<PathBuf>,
    #[serde(default)]
    tcp_ingest: Vec<String>,
    stdin: Option<String>,
    #[serde(default)]
    source: Vec<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

/// Parses a `--tcp-ingest` value, ADDR=STREAM.
fn tcp_ingest(pair: &str) -> Result<(SocketAddr, String), String> {
    let (addr, stream) = pair
        .split_once('=')
        .ok_or_else(|| format!("--tcp-ingest {pair:?}: expected ADDR=STREAM"))?;
    let addr = addr
        .parse()
        .map_err(|e| format!("--tcp-ingest {pair:?}: {e}"))?;
    if !crate::server::valid_name(stream) {
        return Err(format!("--tcp-ingest {pair:?}: invalid stream name"));
    }
    Ok((addr, stream.to_owned()))
}

/// Parses a `--source` value, STREAM=COMMAND.
fn source(pair: &str) -> Result<(String, Vec<String>), String> {
    let (stream, command) = pair
        .split_once('=')
        .ok_or_else(|| format!("--source {pair:?}: expected STREAM=COMMAND"))?;
    if !crate::server::valid_name(stream) {
        return Err(format!("--source {pair:?}: invalid stream name"));
    }
    let argv =
        crate::source::split_command(command).map_err(|e| format!("--source {pair:?}: {e}"))?;
    Ok((stream.to_owned(), argv))
}

fn seconds(name: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("{name}: not a duration in seconds: {s}"))
}

impl Cli {
    /// Merges the flags with the config file (if any) and the defaults.
    pub fn resolve(self) -> Result<Config, String> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let d = Config::default();
        let mut stream_secrets = file.stream_secrets;
        for pair in &self.stream_secrets {
            let (stream, secret) = pair
                .split_once('=')
                .ok_or_else(|| format!("--stream-secret {pair:?}: expected STREAM=SECRET"))?;
            stream_secrets.insert(stream.to_owned(), secret.to_owned());
        }
        let mut stream_viewer_tokens = file.stream_viewer_tokens;
        for pair in &self.stream_viewer_tokens {
            let (stream, token) = pair
                .split_once('=')
                .ok_or_else(|| format!("--stream-viewer-token {pair:?}: expected STREAM=TOKEN"))?;
            stream_viewer_tokens.insert(stream.to_owned(), token.to_owned());
        }
        let allow_origins: Vec<String> = if self.allow_origins.is_empty() {
            file.allow_origin
        } else {
            self.allow_origins
        }
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .collect();
        let jsmpeg_compat = self.jsmpeg_compat || file.jsmpeg_compat.unwrap_or(false);
        let jsmpeg_ingest = self
            .jsmpeg_ingest
            .or(file.jsmpeg_ingest)
            .or(jsmpeg_compat.then(|| SocketAddr::from(([127, 0, 0, 1], 8081))));
        let jsmpeg_viewers = self
            .jsmpeg_viewers
            .or(file.jsmpeg_viewers)
            .or(jsmpeg_compat.then(|| SocketAddr::from(([127, 0, 0, 1], 8082))));
        let jsmpeg_stream = self
            .jsmpeg_stream
            .or(file.jsmpeg_stream)
            .unwrap_or(d.jsmpeg_stream);
        if !crate::server::valid_name(&jsmpeg_stream) {
            return Err(format!(
                "--jsmpeg-stream {jsmpeg_stream:?}: invalid stream name"
            ));
        }
        let ping_interval = match self.ping_interval.or(file.ping_interval) {
            Some(s) => seconds("ping-interval", s)?,
            None => d.ping_interval,
        };
        let ping_timeout = match self.ping_timeout.or(file.ping_timeout) {
            Some(s) => seconds("ping-timeout", s)?,
            None => ping_interval * 2,
        };
        let tcp = if self.tcp_ingest.is_empty() {
            file.tcp_ingest
        } else {
            self.tcp_ingest
        };
        let tcp_ingest = tcp
            .iter()
            .map(|p| tcp_ingest(p))
            .collect::<Result<Vec<_>, _>>()?;
        let sources = if self.sources.is_empty() {
            file.source
        } else {
            self.sources
        };
        let sources = sources
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| source(s))
            .collect::<Result<Vec<_>, _>>()?;
        let stdin = self.stdin.or(file.stdin);
        if let Some(s) = &stdin {
            if !crate::server::valid_name(s) {
                return Err(format!("--stdin {s:?}: invalid stream name"));
            }
        }
        let tls_cert = self.tls_cert.or(file.tls_cert);
        let tls_key = self.tls_key.or(file.tls_key);
        if tls_cert.is_some() != tls_key.is_some() {
            return Err("--tls-cert and --tls-key go together".to_owned());
        }
        let no_demo = self.no_demo || file.no_demo.unwrap_or(false);
        Ok(Config {
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            secret: self.secret.or(file.secret),
            stream_secrets,
            queue: self.queue.or(file.queue).unwrap_or(d.queue),
            gop_cache_bytes: self
                .gop_cache_bytes
                .or(file.gop_cache_bytes)
                .unwrap_or(d.gop_cache_bytes),
            max_behind: match self.max_behind.or(file.max_behind) {
                Some(s) => seconds("max-behind", s)?,
                None => d.max_behind,
            },
            ping_interval,
            ping_timeout,
            max_streams: self
                .max_streams
                .or(file.max_streams)
                .unwrap_or(d.max_streams),
            max_viewers: self
                .max_viewers
                .or(file.max_viewers)
                .unwrap_or(d.max_viewers),
            viewer_token: self.viewer_token.or(file.viewer_token),
            stream_viewer_tokens,
            allow_origins,
            jsmpeg_ingest,
            jsmpeg_viewers,
            jsmpeg_stream,
            demo: if no_demo {
                None
            } else {
                self.demo.or(file.demo).or(d.demo)
            },
            record: self.record.or(file.record),
            tcp_ingest,
            stdin,
            sources,
            tls_cert,
            tls_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("wasmpeg-relay-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("relay.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nqueue = 7\nmax_behind = 2.5\n[stream_secrets]\ncam1 = \"a\"\n").unwrap();
        let cli = Cli::try_parse_from([
            "wasmpeg-relay",
            "--config",
            path.to_str().unwrap(),
            "--queue",
            "9",
            "--stream-secret",
            "cam2=b",
            "--no-demo",
            "--tcp-ingest",
            "127.0.0.1:9090=cam3",
            "--record",
            "/tmp/rec",
            "--source",
            "cam4=ffmpeg -i 'a b.ts' -f mpegts -",
            "--jsmpeg-compat",
            "--jsmpeg-viewers",
            "127.0.0.1:9082",
            "--allow-origin",
            "https://A.example/",
            "--ping-interval",
            "3",
        ])
        .unwrap();
        let c = cli.resolve().unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.queue, 9);
        assert_eq!(c.max_behind, Duration::from_millis(2500));
        assert_eq!(c.stream_secrets.get("cam1").map(String::as_str), Some("a"));
        assert_eq!(c.stream_secrets.get("cam2").map(String::as_str), Some("b"));
        assert_eq!(c.demo, None);
        assert_eq!(
            c.tcp_ingest,
            vec![("127.0.0.1:9090".parse().unwrap(), "cam3".to_owned())]
        );
        assert_eq!(c.record, Some(PathBuf::from("/tmp/rec")));
        assert_eq!(c.jsmpeg_ingest, Some("127.0.0.1:8081".parse().unwrap()));
        assert_eq!(c.jsmpeg_viewers, Some("127.0.0.1:9082".parse().unwrap()));
        assert_eq!(c.jsmpeg_stream, "jsmpeg");
        assert_eq!(c.allow_origins, ["https://a.example"]);
        assert_eq!(c.ping_timeout, Duration::from_secs(6));
        assert_eq!(
            c.sources,
            vec![(
                "cam4".to_owned(),
                vec!["ffmpeg", "-i", "a b.ts", "-f", "mpegts", "-"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )]
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let d = Cli::try_parse_from(["wasmpeg-relay"])
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(d.listen, Config::default().listen);
        assert_eq!(d.demo.as_deref(), Some("demo"));
        assert_eq!(d.jsmpeg_ingest, None);
        assert_eq!(d.ping_timeout, Duration::from_secs(20));
    }
}
