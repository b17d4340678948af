//! `wasmpeg-bench-native`: the native side of `bench/compare.sh -m wasm`.
//!
//! Runs the same decode loop as the wasm32 module (`wasmpeg_bench_wasm::decode`), timed in
//! process, so that its figures compare with the ones Node takes of the wasm module. It reads
//! one request per line on stdin, `MODE PATH` (MODE: 1 video, 2 audio, 3 both), decodes the
//! whole file once with a fresh decoder and answers on stdout with one line,
//! `VIDEO_FRAMES AUDIO_FRAMES CHECKSUM WALL_NS CPU_NS`: wall-clock nanoseconds, and the CPU
//! time of the decoding thread (Linux's `/proc/thread-self/schedstat`; -1 where there is no
//! such file). The file is read before the clock starts and kept for the next request with
//! the same path.

use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut loaded: Option<(String, Vec<u8>)> = None;
    for line in stdin.lock().lines() {
        let line = line?;
        let Some((mode, path)) = line.trim_end().split_once(' ') else {
            continue;
        };
        let Ok(mode) = mode.parse::<u32>() else {
            writeln!(out, "error: bad mode {mode:?}")?;
            out.flush()?;
            continue;
        };
        if loaded.as_ref().is_none_or(|(p, _)| p != path) {
            loaded = Some((path.to_owned(), std::fs::read(path)?));
        }
        let data = &loaded.as_ref().expect("loaded above").1;
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let counts = wasmpeg_bench_wasm::decode(std::hint::black_box(data), mode);
        let ns = start.elapsed().as_nanos();
        let cpu_ns = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => i128::from(b - a),
            _ => -1,
        };
        writeln!(
            out,
            "{} {} {} {ns} {cpu_ns}",
            counts.video_frames, counts.audio_frames, counts.checksum
        )?;
        out.flush()?;
    }
    Ok(())
}

/// Nanoseconds the calling thread has spent on a CPU (first field of Linux's schedstat).
/// The kernel brings that figure up to date for a running thread only at a scheduler tick
/// (1-4 ms) or when the thread yields, so yield first.
fn thread_cpu_ns() -> Option<u64> {
    std::thread::yield_now();
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
