//! The relays under test: how to start each one, where it listens, and its CPU time and memory
//! from `/proc`.

use std::fmt;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::publisher::Target;

/// Which relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// wasmpeg-relay (release binary), HTTP POST ingest, viewers on /ws/STREAM.
    Wasmpeg,
    /// JSMpeg's websocket-relay.js on Node with the `ws` package: HTTP ingest, broadcast of
    /// every ingest chunk.
    Jsmpeg,
    /// The npm package node-rtsp-stream: an ffmpeg child process (here with `-codec:v copy
    /// -codec:a copy`) whose stdout is broadcast with `ws`.
    NodeRtspStream,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Wasmpeg => "wasmpeg",
            Kind::Jsmpeg => "jsmpeg",
            Kind::NodeRtspStream => "node-rtsp-stream",
        })
    }
}

/// How to find each relay's program.
#[derive(Clone, Debug)]
pub struct Programs {
    /// The wasmpeg-relay binary.
    pub wasmpeg: PathBuf,
    /// JSMpeg's websocket-relay.js (with `ws` installed in a node_modules next to it).
    pub jsmpeg: PathBuf,
    /// The node-rtsp-stream package directory (`.../node_modules/node-rtsp-stream`).
    pub node_rtsp_stream: PathBuf,
    /// The node binary.
    pub node: PathBuf,
    /// Directory for logs and the node-rtsp-stream launcher.
    pub work: PathBuf,
}

/// A running relay.
pub struct Running {
    child: Child,
    /// The WebSocket URL viewers open.
    pub viewer_url: String,
    /// Where the publisher sends.
    pub target: Option<Target>,
    /// The relay's log file.
    pub log: PathBuf,
}

/// The node-rtsp-stream launcher: node-rtsp-stream is a library, so users write a few lines
/// like these.
const NRS_LAUNCHER: &str = "\
// Written by relay-load: start node-rtsp-stream as its README shows, with ffmpeg copying
// the input (no re-encode). argv: package dir, stream URL, WebSocket port.
const Stream = require(process.argv[2]);
new Stream({
  name: 'load',
  streamUrl: process.argv[3],
  wsPort: Number(process.argv[4]),
  ffmpegOptions: { '-codec:v': 'copy', '-codec:a': 'copy' },
});
";

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(l.local_addr()?.port())
}

fn wait_listening(addr: SocketAddr, child: &mut Child, log: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("the relay exited ({status}); see {}", log.display());
        }
        if Instant::now() > deadline {
            bail!("the relay does not listen on {addr}; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Running {
    /// Starts a relay of `kind`.
    pub fn start(kind: Kind, p: &Programs, tag: &str) -> Result<Running> {
        std::fs::create_dir_all(&p.work)
            .with_context(|| format!("cannot create {}", p.work.display()))?;
        let log = p.work.join(format!("{tag}.log"));
        let out = File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        let ws_port = free_port()?;
        let ws_addr = SocketAddr::from(([127, 0, 0, 1], ws_port));
        let (mut cmd, viewer_url, target, ingest) = match kind {
            Kind::Wasmpeg => {
                let mut c = Command::new(&p.wasmpeg);
                c.args(["--no-demo", "--listen", &ws_addr.to_string()]);
                (
                    c,
                    format!("ws://{ws_addr}/ws/load"),
                    Target::HttpPost {
                        addr: ws_addr,
                        path: "/publish/load".into(),
                    },
                    ws_addr,
                )
            }
            Kind::Jsmpeg => {
                let ingest = SocketAddr::from(([127, 0, 0, 1], free_port()?));
                let mut c = Command::new(&p.node);
                c.arg(&p.jsmpeg)
                    .args(["secret", &ingest.port().to_string(), &ws_port.to_string()]);
                (
                    c,
                    format!("ws://{ws_addr}/"),
                    Target::HttpPost {
                        addr: ingest,
                        path: "/secret".into(),
                    },
                    ingest,
                )
            }
            Kind::NodeRtspStream => {
                let launcher = p.work.join("node-rtsp-stream-launcher.js");
                std::fs::write(&launcher, NRS_LAUNCHER)
                    .with_context(|| format!("cannot write {}", launcher.display()))?;
                let input = TcpListener::bind("127.0.0.1:0")?;
                let input_addr = input.local_addr()?;
                let mut c = Command::new(&p.node);
                c.arg(&launcher)
                    .arg(&p.node_rtsp_stream)
                    .arg(format!("tcp://{input_addr}"))
                    .arg(ws_port.to_string());
                (
                    c,
                    format!("ws://{ws_addr}/"),
                    Target::TcpServe(input),
                    ws_addr,
                )
            }
        };
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {kind} ({:?})", cmd.get_program()))?;
        if let Err(e) = wait_listening(ws_addr, &mut child, &log)
            .and_then(|()| wait_listening(ingest, &mut child, &log))
        {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Running {
            child,
            viewer_url,
            target: Some(target),
            log,
        })
    }

    /// The relay's processes: the relay itself and its children (node-rtsp-stream's ffmpeg).
    pub fn pids(&self) -> Vec<u32> {
        let pid = self.child.id();
        let mut pids = vec![pid];
        pids.extend(children(pid));
        pids
    }

    /// Stops the relay (and its children).
    pub fn stop(mut self) {
        let kids = children(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        // node-rtsp-stream's ffmpeg exits once its input and output close; make sure.
        let deadline = Instant::now() + Duration::from_secs(3);
        for pid in kids {
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if Path::new(&format!("/proc/{pid}")).exists() {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
    }
}

/// Direct children of a process (from `/proc/*/stat`).
pub fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) == Some(parent))
        .collect()
}

/// The fields of `/proc/PID/stat` after the command name (field 3, the state, is index 0).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// CPU time (user + system) of a process in seconds; `/proc` counts in USER_HZ = 100 ticks
/// per second on Linux.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Resident set size of a process in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The soft limit on open files of this process.
pub fn open_files_limit() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Busy CPU time of the whole machine in seconds (all cores; from `/proc/stat`, USER_HZ = 100).
pub fn machine_busy_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: u64 = v
        .iter()
        .take(8)
        .enumerate()
        .filter(|&(i, _)| i != 3 && i != 4)
        .map(|(_, x)| x)
        .sum();
    Some(busy as f64 / 100.0)
}
