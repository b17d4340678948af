//! Recording publish sessions to disk (`--record DIR`).
//!
//! Each session gets its own file, `DIR/<stream>-<UTC timestamp>.ts`, holding the bytes the
//! publisher sent. The file is written by its own task, fed through a bounded channel: when
//! the disk cannot keep up, chunks are dropped (with a warning) rather than buffered without
//! limit or allowed to slow the live stream down. A write error stops the recording (logged);
//! viewers are not affected.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// Chunks queued for the writer before new ones are dropped.
const QUEUE: usize = 512;

/// How long [`Recorder::finish`] waits for the writer to flush and close the file.
const FINISH_LIMIT: Duration = Duration::from_secs(2);

/// The recording of one publish session.
pub struct Recorder {
    tx: Option<mpsc::Sender<Bytes>>,
    task: JoinHandle<()>,
    path: PathBuf,
    dropped_chunks: u64,
    dropping: bool,
}

/// `secs` since the Unix epoch as `YYYYMMDDTHHMMSSZ` (UTC).
pub fn utc_stamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Creates `dir` if needed and a new file for `stream` in it (a suffix avoids clobbering a
/// file from the same second).
async fn create(dir: &Path, stream: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    tokio::fs::create_dir_all(dir).await?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stamp = utc_stamp(secs);
    let mut n = 0u32;
    loop {
        let name = if n == 0 {
            format!("{stream}-{stamp}.ts")
        } else {
            format!("{stream}-{stamp}-{n}.ts")
        };
        let path = dir.join(name);
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

impl Recorder {
    /// Starts recording a session of `stream` into `dir`, the writer task spawned on
    /// `tracker`. Returns `None` (after logging) when the file cannot be created.
    pub async fn start(dir: &Path, stream: &str, tracker: &TaskTracker) -> Option<Recorder> {
        let (path, file) = match create(dir, stream).await {
            Ok(f) => f,
            Err(e) => {
                warn!(stream, dir = %dir.display(), error = %e, "cannot record: file not created");
                return None;
            }
        };
        info!(stream, path = %path.display(), "recording");
        let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
        let task_path = path.clone();
        let task = tracker.spawn(async move {
            let mut out = tokio::io::BufWriter::with_capacity(256 << 10, file);
            let mut bytes = 0u64;
            while let Some(chunk) = rx.recv().await {
                if let Err(e) = out.write_all(&chunk).await {
                    warn!(path = %task_path.display(), error = %e, "recording stopped: write error");
                    return;
                }
                bytes += chunk.len() as u64;
            }
            let done = async {
                out.flush().await?;
                out.get_mut().sync_all().await
            };
            match done.await {
                Ok(()) => info!(path = %task_path.display(), bytes, "recording finished"),
                Err(e) => {
                    warn!(path = %task_path.display(), error = %e, "recording not finished cleanly");
                }
            }
        });
        Some(Recorder {
            tx: Some(tx),
            task,
            path,
            dropped_chunks: 0,
            dropping: false,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `chunk` for the file; drops it (with a warning) if the writer is behind.
    pub fn write(&mut self, chunk: Bytes) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(chunk) {
            Ok(()) => {
                if self.dropping {
                    self.dropping = false;
                    info!(path = %self.path.display(), dropped_chunks = self.dropped_chunks, "recording caught up");
                }
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped_chunks += 1;
                if !self.dropping {
                    self.dropping = true;
                    warn!(path = %self.path.display(), "disk too slow: dropping recorded data");
                }
            }
            // The writer stopped after an error (already logged).
            Err(mpsc::error::TrySendError::Closed(_)) => self.tx = None,
        }
    }

    /// Ends the recording and waits (bounded) for the file to be flushed and closed.
    pub async fn finish(mut self) {
        self.tx = None;
        if self.dropped_chunks > 0 {
            warn!(path = %self.path.display(), dropped_chunks = self.dropped_chunks, "recording is missing data");
        }
        if tokio::time::timeout(FINISH_LIMIT, &mut self.task)
            .await
            .is_err()
        {
            warn!(path = %self.path.display(), "recording still being written; leaving it to finish");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::utc_stamp;

    #[test]
    fn timestamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_795_765_858), "20261127T075058Z");
    }
}
