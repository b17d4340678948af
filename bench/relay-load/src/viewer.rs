//! The viewers: WebSocket clients that count what they receive and time the markers.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::marker::TsScanner;

/// State shared by all viewers of a run.
#[derive(Debug)]
pub struct Shared {
    /// The run's time origin.
    pub base: Instant,
    /// Start of the measurement window, ns since `base` (`u64::MAX` until set).
    pub window_start: AtomicU64,
    /// End of the window, ns since `base` (`u64::MAX` until set).
    pub window_end: AtomicU64,
    /// Viewers connected so far.
    pub connected: AtomicUsize,
    /// Viewers that have received at least one marker.
    pub flowing: AtomicUsize,
    /// Viewers whose connection failed or ended early.
    pub ended: AtomicUsize,
}

impl Shared {
    /// A fresh state with no window.
    pub fn new(base: Instant) -> Shared {
        Shared {
            base,
            window_start: AtomicU64::new(u64::MAX),
            window_end: AtomicU64::new(u64::MAX),
            connected: AtomicUsize::new(0),
            flowing: AtomicUsize::new(0),
            ended: AtomicUsize::new(0),
        }
    }

    /// Nanoseconds since `base`.
    pub fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}

/// What one viewer saw.
#[derive(Debug, Default)]
pub struct Report {
    /// The WebSocket connection was established.
    pub connected: bool,
    /// Why the viewer stopped before it was told to, if it did.
    pub ended_early: Option<String>,
    /// Bytes received inside the window (by receive time).
    pub bytes: u64,
    /// Messages received inside the window.
    pub messages: u64,
    /// Distinct markers received whose send time is inside the window.
    pub markers: u64,
    /// Latency of those markers, microseconds.
    pub latencies_us: Vec<u32>,
    /// Bytes skipped to find transport packet sync (node-rtsp-stream's 8-byte header, or
    /// damage).
    pub skipped: u64,
}

/// Runs one viewer until `stop` turns true.
pub async fn run(
    url: String,
    shared: Arc<Shared>,
    connect_slots: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> Report {
    let mut report = Report::default();
    let config = WebSocketConfig::default().read_buffer_size(16 << 10);
    let connected = {
        let _slot = connect_slots.acquire().await;
        tokio::time::timeout(
            Duration::from_secs(20),
            tokio_tungstenite::connect_async_with_config(&url, Some(config), true),
        )
        .await
    };
    let mut ws = match connected {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            report.ended_early = Some(format!("connect: {e}"));
            shared.ended.fetch_add(1, Ordering::Relaxed);
            return report;
        }
        Err(_) => {
            report.ended_early = Some("connect: timed out".into());
            shared.ended.fetch_add(1, Ordering::Relaxed);
            return report;
        }
    };
    report.connected = true;
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let mut scanner = TsScanner::default();
    let mut last_seq: Option<u32> = None;
    let mut flowing = false;
    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.changed() => break,
            m = ws.next() => m,
        };
        let data = match msg {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(c))) => {
                report.ended_early = Some(format!("closed by the relay: {c:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                report.ended_early = Some(format!("error: {e}"));
                break;
            }
            None => {
                report.ended_early = Some("connection closed".into());
                break;
            }
        };
        let now = shared.now();
        let (from, to) = (
            shared.window_start.load(Ordering::Relaxed),
            shared.window_end.load(Ordering::Relaxed),
        );
        if (from..to).contains(&now) {
            report.bytes += data.len() as u64;
            report.messages += 1;
        }
        scanner.push(&data, |seq, sent| {
            if !flowing {
                flowing = true;
                shared.flowing.fetch_add(1, Ordering::Relaxed);
            }
            if last_seq.is_some_and(|l| seq <= l) {
                return;
            }
            last_seq = Some(seq);
            if (from..to).contains(&sent) {
                report.markers += 1;
                let us = now.saturating_sub(sent) / 1000;
                report
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            }
        });
    }
    report.skipped = scanner.skipped;
    if report.ended_early.is_some() {
        shared.ended.fetch_add(1, Ordering::Relaxed);
    }
    report
}
