//! `wasmpeg-bench-native`: the native side of `bench/compare.sh -m wasm`.
//!
//! Runs the same decode loop as the wasm32 module (`wasmpeg_bench_wasm::decode`), timed in
//! process, so that its figures compare with the ones Node takes of the wasm module. It reads
//! one request per line on stdin, `MODE PATH` (MODE: 1 video, 2 audio, 3 both), decodes the
//! whole file once with a fresh decoder and answers on stdout with one line,
//! `VIDEO_FRAMES AUDIO_FRAMES CHECKSUM NANOSECONDS`. The file is read before the clock starts
//! and kept for the next request with the same path.

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
        let start = Instant::now();
        let counts = wasmpeg_bench_wasm::decode(std::hint::black_box(data), mode);
        let ns = start.elapsed().as_nanos();
        writeln!(
            out,
            "{} {} {} {ns}",
            counts.video_frames, counts.audio_frames, counts.checksum
        )?;
        out.flush()?;
    }
    Ok(())
}
