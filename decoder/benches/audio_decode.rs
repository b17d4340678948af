//! Audio decode throughput in frames per second (Layer II frames: 1152 samples per channel).
//!
//! The streams are read at run time from `fixtures/` at the workspace root; a missing fixture,
//! or one that yields no audio frame, is skipped with a notice. Two kinds of measurement:
//!
//! - `audio_decode/es_*`: [`AudioDecoder`] alone on a raw MP2 elementary stream, repeated
//!   [`REPEAT`] times so that one iteration decodes a few hundred frames, pushed in 64 KiB
//!   chunks. `es_44k_stereo_128k` is the MP2 track of `bench_480p_bf2.ts` (taken out of the
//!   transport stream with wasmpeg's own demuxer); the others are the raw `.mp2` fixtures with
//!   the most work per frame (384 kbit/s) and with joint stereo and CRCs.
//! - `audio_decode/ts_audio_only`: the whole [`Decoder`] on `bench_480p_bf2.ts` with video off
//!   (`DecoderConfig::video = false`), which is what `wasmpeg decode IN.ts -o OUT.wav` does:
//!   demuxing included, video packets skipped.
//!
//! ```text
//! cargo bench -j2 -p wasmpeg --bench audio_decode
//! cargo bench -j2 -p wasmpeg --bench audio_decode -- es_48k    # some of them only
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_main, Criterion, SamplingMode, Throughput};
use wasmpeg::audio::AudioEvent;
use wasmpeg::demux::{DemuxEvent, Demuxer, StreamKind};
use wasmpeg::{AudioDecoder, Decoder, DecoderConfig, DecoderEvent};

/// The transport stream whose audio track is decoded (44.1 kHz stereo, 128 kbit/s, 2 s).
const TS_FIXTURE: &str = "bench_480p_bf2.ts";

/// Benchmark name and fixture of each elementary-stream measurement; a `.ts` fixture stands
/// for its first audio track.
const ES_STREAMS: [(&str, &str); 3] = [
    ("es_44k_stereo_128k", TS_FIXTURE),
    ("es_48k_stereo_384k", "mp2_48k_stereo_384k.mp2"),
    (
        "es_48k_joint_160k_crc",
        "mp2_48k_joint_160k_crc_twolame.mp2",
    ),
];

/// Times each elementary stream is repeated (the fixtures hold 1.5 to 2 s of audio).
const REPEAT: usize = 10;

/// Bytes pushed into a decoder at a time.
const CHUNK: usize = 64 * 1024;

/// The payload of the first audio stream of a container, concatenated: a raw MP2 stream.
fn extract_audio(data: &[u8]) -> Vec<u8> {
    let mut demuxer = Demuxer::new(None);
    let mut es = Vec::new();
    let mut stream = None;
    let mut take = |demuxer: &mut Demuxer| {
        while let Some(event) = demuxer.next_event() {
            if let DemuxEvent::Packet(packet) = event {
                if packet.stream.kind == StreamKind::Audio
                    && *stream.get_or_insert(packet.stream) == packet.stream
                {
                    es.extend_from_slice(&packet.data);
                }
            }
        }
    };
    for chunk in data.chunks(CHUNK) {
        demuxer.push(chunk);
        take(&mut demuxer);
    }
    demuxer.finish();
    take(&mut demuxer);
    es
}

/// Decodes a raw MPEG audio stream with [`AudioDecoder`]; returns the number of frames.
fn decode_es(data: &[u8]) -> u64 {
    let mut decoder = AudioDecoder::new();
    let mut frames = 0;
    for chunk in data.chunks(CHUNK) {
        decoder.push(chunk, None);
        drain_es(&mut decoder, &mut frames);
    }
    decoder.finish();
    drain_es(&mut decoder, &mut frames);
    frames
}

fn drain_es(decoder: &mut AudioDecoder, frames: &mut u64) {
    while decoder.poll() {
        match decoder.next_event() {
            Some(AudioEvent::Frame(frame)) => {
                black_box(frame);
                *frames += 1;
            }
            Some(AudioEvent::Error(_)) => {}
            None => break,
        }
    }
}

/// Decodes the audio of a container with the top-level [`Decoder`], video off; returns the
/// number of audio frames.
fn decode_container(data: &[u8]) -> u64 {
    let mut decoder = Decoder::new(DecoderConfig {
        video: false,
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
        if let DecoderEvent::Audio(frame) = event {
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

fn audio_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("audio_decode");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for (label, file) in ES_STREAMS {
        let path = fixture(file);
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) => {
                eprintln!(
                    "audio_decode/{label}: skipped, cannot read {}: {e}",
                    path.display()
                );
                continue;
            }
        };
        let es = if path.extension().is_some_and(|e| e == "ts") {
            extract_audio(&data)
        } else {
            data
        }
        .repeat(REPEAT);
        let frames = decode_es(&es);
        if frames == 0 {
            eprintln!(
                "audio_decode/{label}: skipped, no audio frame decoded from {} bytes of audio \
                 from {}",
                es.len(),
                path.display()
            );
            continue;
        }
        group.throughput(Throughput::Elements(frames));
        group.bench_function(label, |b| b.iter(|| decode_es(black_box(&es))));
    }

    let path = fixture(TS_FIXTURE);
    match std::fs::read(&path) {
        Err(e) => eprintln!(
            "audio_decode/ts_audio_only: skipped, cannot read {}: {e}",
            path.display()
        ),
        Ok(ts) => {
            let frames = decode_container(&ts);
            if frames == 0 {
                eprintln!(
                    "audio_decode/ts_audio_only: skipped, no audio frame decoded from {}",
                    path.display()
                );
            } else {
                group.throughput(Throughput::Elements(frames));
                group.bench_function("ts_audio_only", |b| {
                    b.iter(|| decode_container(black_box(&ts)));
                });
            }
        }
    }
    group.finish();
}

/// The benchmark group (kept private: `criterion_group!` makes an undocumented `pub fn`).
mod group {
    criterion::criterion_group!(benches, super::audio_decode);
}

criterion_main!(group::benches);
