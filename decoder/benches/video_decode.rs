//! Video decode throughput in frames per second at 480p, 720p and 1080p.
//!
//! The streams are read at run time from `fixtures/` at the workspace root; a stream that is
//! missing (or that yields no frames) is skipped with a notice. Each iteration decodes the whole
//! file from memory, pushed in 64 KiB chunks as the command-line tool does, with audio off.
//!
//! ```text
//! cargo bench -j2 -p wasmpeg --bench video_decode
//! cargo bench -j2 -p wasmpeg --bench video_decode -- 720p    # one size only
//! ```
//!
//! Samples are few and flat (every sample runs the same number of whole-file decodes) so that a
//! full run takes a few minutes on two cores.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_main, Criterion, SamplingMode, Throughput};
use wasmpeg::{Decoder, DecoderConfig, DecoderEvent};

/// Benchmark name and fixture file of each size.
const STREAMS: [(&str, &str); 3] = [
    ("480p", "bench_480p_bf2.ts"),
    ("720p", "bench_720p_bf0.ts"),
    ("1080p", "bench_1080p_bf2.ts"),
];

/// Bytes pushed into the decoder at a time.
const CHUNK: usize = 64 * 1024;

/// Decodes a whole stream and returns the number of frames.
fn decode_all(data: &[u8]) -> u64 {
    let mut decoder = Decoder::new(DecoderConfig {
        ..DecoderConfig::default()
    });
    let mut frames = 0;
    for chunk in data.chunks(CHUNK) {
        decoder.push(chunk);
        drain(&mut decoder, &mut frames);
    }
    decoder.finish();
    drain(&mut decoder, &mut frames);
    frames
}

fn drain(decoder: &mut Decoder, frames: &mut u64) {
    while let Some(event) = decoder.next_event() {
        if let DecoderEvent::Video(frame) = event {
            black_box(frame);
            *frames += 1;
        }
    }
}

/// `fixtures/NAME` at the workspace root (the parent of this crate's directory).
fn fixture(name: &str) -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .unwrap_or(manifest_dir)
        .join("fixtures")
        .join(name)
}

fn video_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("video_decode");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    for (label, file) in STREAMS {
        let path = fixture(file);
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) => {
                eprintln!(
                    "video_decode/{label}: skipped, cannot read {}: {e}",
                    path.display()
                );
                continue;
            }
        };
        let frames = decode_all(&data);
        if frames == 0 {
            eprintln!(
                "video_decode/{label}: skipped, the decoder produced no frames from {}",
                path.display()
            );
            continue;
        }
        group.throughput(Throughput::Elements(frames));
        group.bench_function(label, |b| b.iter(|| decode_all(black_box(&data))));
    }
    group.finish();
}

/// The benchmark group (kept private: `criterion_group!` makes an undocumented `pub fn`).
mod group {
    criterion::criterion_group!(benches, super::video_decode);
}

criterion_main!(group::benches);
