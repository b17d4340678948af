//! The publisher: writes the stream in real time on its own OS thread, stamping each marker
//! with the time just before the write that carries it.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::marker;
use crate::stream::TsFile;

/// Where the publisher sends the stream.
#[derive(Debug)]
pub enum Target {
    /// An HTTP POST with a chunked body to `http://ADDR/PATH` (how ffmpeg publishes to
    /// wasmpeg-relay and to JSMpeg's websocket-relay.js).
    HttpPost {
        /// The relay's ingest address.
        addr: SocketAddr,
        /// The request path.
        path: String,
    },
    /// Raw bytes to the first client that connects to this listener (node-rtsp-stream's ffmpeg
    /// reads `tcp://ADDR`).
    TcpServe(TcpListener),
}

/// What the publisher did.
#[derive(Debug, Default)]
pub struct Log {
    /// Every write: time (ns since the run's base instant) and bytes of stream data.
    pub writes: Vec<(u64, usize)>,
    /// Send time of each marker, indexed by sequence number.
    pub markers: Vec<u64>,
    /// Times the stream wrapped around to its start.
    pub wraps: u32,
    /// Why publishing stopped early, if it did.
    pub error: Option<String>,
}

impl Log {
    /// Stream bytes written with a time in `[from, to)`.
    pub fn bytes_between(&self, from: u64, to: u64) -> u64 {
        self.writes
            .iter()
            .filter(|(t, _)| (from..to).contains(t))
            .map(|&(_, n)| n as u64)
            .sum()
    }

    /// Markers sent with a time in `[from, to)`.
    pub fn markers_between(&self, from: u64, to: u64) -> u64 {
        self.markers
            .iter()
            .filter(|t| (from..to).contains(*t))
            .count() as u64
    }
}

/// A running publisher.
pub struct Publisher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Log>,
}

impl Publisher {
    /// Starts publishing `ts` to `target`, one write every `period`. Times are nanoseconds
    /// since `base`.
    pub fn start(target: Target, ts: Arc<TsFile>, base: Instant, period: Duration) -> Publisher {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut log = Log::default();
            if let Err(e) = run(&target, &ts, base, period, &flag, &mut log) {
                log.error = Some(format!("{e:#}"));
            }
            log
        });
        Publisher { stop, thread }
    }

    /// Stops and returns the log.
    pub fn stop(self) -> Log {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_else(|_| Log {
            error: Some("publisher thread panicked".into()),
            ..Log::default()
        })
    }
}

fn connect(target: &Target, stop: &AtomicBool) -> Result<(TcpStream, bool)> {
    match target {
        Target::HttpPost { addr, path } => {
            let mut s = TcpStream::connect_timeout(addr, Duration::from_secs(5))
                .with_context(|| format!("publisher: cannot connect to {addr}"))?;
            write!(
                s,
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: relay-load\r\n\
                 Content-Type: video/mp2t\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            .context("publisher: cannot send the request")?;
            Ok((s, true))
        }
        Target::TcpServe(listener) => {
            listener.set_nonblocking(true)?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false)?;
                        return Ok((s, false));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                            bail!(
                                "publisher: nobody connected to tcp://{}",
                                listener.local_addr()?
                            );
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => return Err(e).context("publisher: accept failed"),
                }
            }
        }
    }
}

fn run(
    target: &Target,
    ts: &TsFile,
    base: Instant,
    period: Duration,
    stop: &AtomicBool,
    log: &mut Log,
) -> Result<()> {
    let (mut sock, chunked) = connect(target, stop)?;
    sock.set_nodelay(true)?;
    let packets = ts.data.len() / marker::TS_PACKET;
    let rate = ts.bytes_per_second();
    let start = Instant::now();
    // Packets written so far (counting wrap-arounds) and the next marker to stamp.
    let mut sent = 0usize;
    let mut next_marker = 0usize;
    let mut buf = Vec::new();
    let mut tick = 0u32;
    while !stop.load(Ordering::Relaxed) {
        tick += 1;
        let due = start + period * tick;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let target_packets =
            (rate * start.elapsed().as_secs_f64() / marker::TS_PACKET as f64) as usize;
        if target_packets <= sent {
            continue;
        }
        buf.clear();
        let mut stamps = Vec::new();
        while sent < target_packets {
            let p = sent % packets;
            if p == 0 && sent > 0 {
                log.wraps += 1;
                next_marker = 0;
            }
            let end = (p + (target_packets - sent)).min(packets);
            let (from, to) = (p * marker::TS_PACKET, end * marker::TS_PACKET);
            while next_marker < ts.markers.len() && ts.markers[next_marker] < to {
                stamps.push(buf.len() + ts.markers[next_marker] - from);
                next_marker += 1;
            }
            buf.extend_from_slice(&ts.data[from..to]);
            sent += end - p;
        }
        let now = base.elapsed().as_nanos() as u64;
        for &at in &stamps {
            let seq = log.markers.len() as u32;
            marker::stamp(&mut buf[at..at + marker::LEN], seq, now);
            log.markers.push(now);
        }
        let result = if chunked {
            write!(sock, "{:x}\r\n", buf.len())
                .and_then(|()| sock.write_all(&buf))
                .and_then(|()| sock.write_all(b"\r\n"))
        } else {
            sock.write_all(&buf)
        };
        result.context("publisher: the relay stopped reading")?;
        log.writes.push((now, buf.len()));
    }
    if chunked {
        let _ = sock.write_all(b"0\r\n\r\n");
    }
    Ok(())
}
