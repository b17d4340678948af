//! The progress line on stderr (only when stderr is a terminal).

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// True while a progress line is on screen (log lines erase it first).
static SHOWN: AtomicBool = AtomicBool::new(false);

/// How often the line is redrawn.
const INTERVAL: Duration = Duration::from_millis(250);

/// Erases the progress line if one is shown.
pub fn clear_line() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        let _ = io::stderr().write_all(b"\r\x1b[K");
    }
}

/// Draws `frames, fps, MB read` at most every 250 ms.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    /// A progress line, shown only when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Progress {
        Progress {
            enabled: wanted && io::stderr().is_terminal(),
            start: Instant::now(),
            last: None,
        }
    }

    /// Time since the progress line was created.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Redraws the line if it is due.
    pub fn update(&mut self, frames: u64, bytes: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < INTERVAL) {
            return;
        }
        if self.last.is_none() && now.duration_since(self.start) < INTERVAL {
            return;
        }
        self.last = Some(now);
        let seconds = now.duration_since(self.start).as_secs_f64();
        let fps = if seconds > 0.0 {
            frames as f64 / seconds
        } else {
            0.0
        };
        let mb = bytes as f64 / 1_000_000.0;
        let mut err = io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[K{frames} frames  {fps:.1} fps  {mb:.1} MB read"
        );
        let _ = err.flush();
        SHOWN.store(true, Ordering::Relaxed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        clear_line();
    }
}
