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

/// Draws `frames, fps, seconds of audio, MB read` at most every 250 ms.
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

    /// Redraws the line if it is due: `frames` video frames and `audio_seconds` of audio
    /// decoded (`None` for a stream that is not decoded), `bytes` read.
    pub fn update(&mut self, frames: Option<u64>, audio_seconds: Option<f64>, bytes: u64) {
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
        let line = progress_line(frames, audio_seconds, bytes, seconds);
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
        SHOWN.store(true, Ordering::Relaxed);
    }
}

/// The text of the progress line, with the parts of the streams that are decoded.
fn progress_line(
    frames: Option<u64>,
    audio_seconds: Option<f64>,
    bytes: u64,
    elapsed: f64,
) -> String {
    let mut parts = Vec::new();
    if let Some(frames) = frames {
        let fps = if elapsed > 0.0 {
            frames as f64 / elapsed
        } else {
            0.0
        };
        parts.push(format!("{frames} frames  {fps:.1} fps"));
    }
    if let Some(seconds) = audio_seconds {
        parts.push(format!("{seconds:.1} s of audio"));
    }
    parts.push(format!("{:.1} MB read", bytes as f64 / 1_000_000.0));
    parts.join("  ")
}

impl Drop for Progress {
    fn drop(&mut self) {
        clear_line();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_contents() {
        assert_eq!(
            progress_line(Some(50), None, 2_000_000, 2.0),
            "50 frames  25.0 fps  2.0 MB read"
        );
        assert_eq!(
            progress_line(Some(50), Some(1.96), 2_000_000, 2.0),
            "50 frames  25.0 fps  2.0 s of audio  2.0 MB read"
        );
        assert_eq!(
            progress_line(None, Some(12.04), 500_000, 1.0),
            "12.0 s of audio  0.5 MB read"
        );
    }
}
