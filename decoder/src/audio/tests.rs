//! Decoder-level tests: streams made by the test encoder (whose input signal is the expected
//! output, 481 samples later), hand-built silent frames, damage, tags, timestamps.

use alloc::vec;
use alloc::vec::Vec;

use super::testutil::{encode, sine, EncoderConfig, Lcg};
use super::*;

/// Delay of the analysis + synthesis filter banks in samples.
const DELAY: usize = 481;

#[derive(Clone, Debug, PartialEq)]
struct Decoded {
    pts: u64,
    from_stream: bool,
    channels: u8,
    samples_per_channel: usize,
    sample_rate: u32,
    samples: Vec<f32>,
}

#[derive(Default)]
struct Output {
    frames: Vec<Decoded>,
    errors: Vec<Error>,
}

impl Output {
    /// Channel `ch` of all frames, concatenated.
    fn channel(&self, ch: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for f in &self.frames {
            let n = f.samples_per_channel;
            out.extend_from_slice(&f.samples[ch * n..(ch + 1) * n]);
        }
        out
    }
}

fn drain(decoder: &mut AudioDecoder, out: &mut Output) {
    let mut guard = 0;
    while let Some(event) = decoder.next_event() {
        guard += 1;
        assert!(guard < 100_000, "the decoder keeps producing events");
        match event {
            AudioEvent::Frame(f) => out.frames.push(Decoded {
                pts: f.pts,
                from_stream: f.pts_from_stream,
                channels: f.channels,
                samples_per_channel: f.samples_per_channel,
                sample_rate: f.sample_rate,
                samples: f.samples.clone(),
            }),
            AudioEvent::Error(e) => out.errors.push(e),
        }
    }
}

/// Decodes `stream` pushed in pieces of `chunk` bytes, without timestamps.
fn decode(stream: &[u8], chunk: usize) -> Output {
    let mut decoder = AudioDecoder::new();
    let mut out = Output::default();
    for piece in stream.chunks(chunk.max(1)) {
        decoder.push(piece, None);
        drain(&mut decoder, &mut out);
    }
    decoder.finish();
    drain(&mut decoder, &mut out);
    out
}

/// A test signal: per channel, a sum of (frequency, amplitude) sines.
fn signal(rate: u32, length: usize, channels: &[&[(u32, f64)]]) -> Vec<Vec<f64>> {
    channels
        .iter()
        .map(|parts| {
            (0..length)
                .map(|t| parts.iter().map(|&(f, a)| a * sine(f, rate, t)).sum())
                .collect()
        })
        .collect()
}

/// The largest difference between decoded channel samples and the input delayed by the filter
/// banks, after the first `skip` samples.
fn worst_error(decoded: &[f32], input: &[f64], skip: usize) -> f64 {
    assert!(decoded.len() > skip + 100);
    (skip..decoded.len())
        .map(|t| (f64::from(decoded[t]) - input[t - DELAY]).abs())
        .fold(0.0, f64::max)
}

/// A frame with the given header and all-zero audio data: allocation 0 everywhere, which
/// decodes to silence.
fn silent_frame(header: [u8; 4]) -> Vec<u8> {
    let length = FrameHeader::parse(&header).unwrap().frame_length().unwrap();
    let mut frame = vec![0u8; length];
    frame[..4].copy_from_slice(&header);
    frame
}

/// MPEG-1 Layer II, 192 kbit/s, 48 kHz, mono: 576-byte frames of 1152 samples (2160 ticks).
const MONO_48K: [u8; 4] = [0xFF, 0xFD, 0xA4, 0xC0];
/// MPEG-1 Layer II, 128 kbit/s, 44.1 kHz, stereo, unpadded (417 bytes).
const STEREO_44K: [u8; 4] = [0xFF, 0xFD, 0x80, 0x00];

fn silent_stream(header: [u8; 4], frames: usize) -> Vec<u8> {
    (0..frames).flat_map(|_| silent_frame(header)).collect()
}

fn encoded_mono_48k(frames: usize, crc: bool) -> (Vec<u8>, Vec<Vec<f64>>) {
    let input = signal(48_000, frames * 1152, &[&[(440, 0.5), (1000, -0.25)]]);
    let cfg = EncoderConfig {
        crc,
        ..EncoderConfig::layer2_mono_48k()
    };
    (encode(&cfg, &input, frames), input)
}

#[test]
fn layer2_mono_reconstructs_the_input() {
    let (stream, input) = encoded_mono_48k(8, false);
    let out = decode(&stream, 4096);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 8);
    for f in &out.frames {
        assert_eq!(
            (f.channels, f.samples_per_channel, f.sample_rate),
            (1, 1152, 48_000)
        );
        assert_eq!(f.samples.len(), 1152);
    }
    // Same level, same sign, to within the 16-bit quantisation.
    let error = worst_error(&out.channel(0), &input[0], 1024);
    assert!(error < 1e-4, "{error}");
}

#[test]
fn crc_checked_and_mismatch_reported() {
    let (stream, input) = encoded_mono_48k(6, true);
    let out = decode(&stream, 4096);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(worst_error(&out.channel(0), &input[0], 1024) < 1e-4);

    // Flip the private bit of frame 2 (covered by the CRC, irrelevant to decoding) and a bit
    // of the CRC word of frame 4: two reports, every frame still decoded, the same samples.
    let mut damaged = stream.clone();
    damaged[2 * 576 + 2] ^= 0x01;
    damaged[4 * 576 + 5] ^= 0x10;
    let out2 = decode(&damaged, 4096);
    assert_eq!(out2.frames.len(), 6);
    assert_eq!(out2.errors.len(), 2, "{:?}", out2.errors);
    assert!(out2
        .errors
        .iter()
        .all(|e| matches!(e, Error::InvalidData(m) if m.contains("CRC"))));
    assert!(out2.channel(0) == out.channel(0));
}

#[test]
fn layer1_joint_stereo_with_intensity() {
    // Below the bound (4) the channels differ; above it the right channel is half the left,
    // which intensity coding with a scale factor 3 steps smaller reproduces exactly.
    let input = signal(
        48_000,
        40 * 384,
        &[&[(375, 0.5), (3375, 0.4)], &[(1125, -0.3), (3375, 0.2)]],
    );
    let cfg = EncoderConfig {
        layer: Layer::I,
        bitrate_kbps: 384,
        mode: ChannelMode::JointStereo { bound: 4 },
        crc: true,
        coded: 0..8,
        ..EncoderConfig::layer2_mono_48k()
    };
    let stream = encode(&cfg, &input, 40);
    let out = decode(&stream, 1000);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 40);
    assert!(out
        .frames
        .iter()
        .all(|f| f.channels == 2 && f.samples_per_channel == 384));
    for ch in 0..2 {
        let error = worst_error(&out.channel(ch), &input[ch], 1024);
        assert!(error < 2e-4, "channel {ch}: {error}");
    }
}

#[test]
fn layer2_dual_channel_outputs_both() {
    let input = signal(48_000, 6 * 1152, &[&[(440, 0.7)], &[(600, -0.6)]]);
    let cfg = EncoderConfig {
        bitrate_kbps: 384,
        mode: ChannelMode::DualChannel,
        ..EncoderConfig::layer2_mono_48k()
    };
    let out = decode(&encode(&cfg, &input, 6), 333);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 6);
    for ch in 0..2 {
        assert!(worst_error(&out.channel(ch), &input[ch], 1024) < 1e-4);
    }
}

#[test]
fn layer2_stereo_44k_with_padding() {
    let input = signal(44_100, 8 * 1152, &[&[(440, 0.5)], &[(700, 0.5)]]);
    let cfg = EncoderConfig {
        sample_rate: 44_100,
        bitrate_kbps: 256,
        mode: ChannelMode::Stereo,
        ..EncoderConfig::layer2_mono_48k()
    };
    let stream = encode(&cfg, &input, 8);
    // 144 * 256000 / 44100 = 835.9: a mix of 835- and 836-byte frames.
    assert_eq!(stream.len(), 8 * 144 * 256_000 / 44_100);
    let out = decode(&stream, 4096);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 8);
    for ch in 0..2 {
        assert!(worst_error(&out.channel(ch), &input[ch], 1024) < 1e-4);
    }
}

#[test]
fn low_sampling_frequency_layer2() {
    let input = signal(24_000, 6 * 1152, &[&[(300, 0.6), (900, 0.2)]]);
    let cfg = EncoderConfig {
        version: Version::Mpeg2Lsf,
        sample_rate: 24_000,
        bitrate_kbps: 64,
        ..EncoderConfig::layer2_mono_48k()
    };
    let out = decode(&encode(&cfg, &input, 6), 4096);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 6);
    assert_eq!(out.frames[0].sample_rate, 24_000);
    // 16383 steps: a little coarser than 65535.
    assert!(worst_error(&out.channel(0), &input[0], 1024) < 3e-4);
}

#[test]
fn free_format_layer1_and_layer2() {
    let input = signal(48_000, 8 * 1152, &[&[(440, 0.5)]]);
    let cfg = EncoderConfig {
        bitrate_kbps: 0,
        free_length: 700,
        ..EncoderConfig::layer2_mono_48k()
    };
    let stream = encode(&cfg, &input, 8);
    let out = decode(&stream, 256);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.frames.len(), 8);
    assert!(worst_error(&out.channel(0), &input[0], 1024) < 1e-4);

    // With garbage in front, and a 44.1 kHz Layer I free-format stream after it.
    let input1 = signal(44_100, 24 * 384, &[&[(500, 0.5)]]);
    let cfg1 = EncoderConfig {
        layer: Layer::I,
        sample_rate: 44_100,
        bitrate_kbps: 0,
        free_length: 200,
        coded: 0..2,
        ..EncoderConfig::layer2_mono_48k()
    };
    let stream1 = encode(&cfg1, &input1, 24);
    let mut joined = vec![0x12, 0xFF, 0xFD, 0x04, 0xFF, 0x00, 0x55];
    joined.extend_from_slice(&stream);
    joined.extend_from_slice(&stream1);
    let out = decode(&joined, 100);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.frames.len(), 8 + 24);
    let layer1: Vec<f32> = out.frames[8..]
        .iter()
        .flat_map(|f| f.samples.iter().copied())
        .collect();
    assert!(worst_error(&layer1, &input1[0], 1024) < 1e-4);
}

#[test]
fn garbage_and_id3_before_the_stream() {
    let stream = silent_stream(MONO_48K, 5);
    // Garbage full of sync-like bytes.
    let mut rng = Lcg(5);
    let mut data: Vec<u8> = (0..3000)
        .map(|_| {
            if rng.below(8) == 0 {
                0xFF
            } else {
                rng.next_byte()
            }
        })
        .collect();
    // Including things that look like headers of this stream and of others.
    data[100..104].copy_from_slice(&MONO_48K);
    data[2000..2004].copy_from_slice(&[0xFF, 0xFF, 0x00, 0x00]);
    data[2500..2504].copy_from_slice(&STEREO_44K);
    data.extend_from_slice(&stream);
    let out = decode(&data, 500);
    assert_eq!(out.frames.len(), 5);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);

    // An ID3v2 tag (size 300, "syncsafe" 00 00 02 2C) is skipped without a report, even when
    // its body looks like frames.
    let mut tagged = vec![b'I', b'D', b'3', 4, 0, 0, 0, 0, 0x02, 0x2C];
    tagged.extend(core::iter::repeat_n(0xFF, 300));
    tagged.extend_from_slice(&stream);
    // And an ID3v1 tag at the end.
    tagged.extend_from_slice(b"TAG");
    tagged.extend(core::iter::repeat_n(b' ', 125));
    for chunk in [1, 7, 4096] {
        let out = decode(&tagged, chunk);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(out.frames.len(), 5);
    }
}

/// Decodes `stream` with one PES timestamp at its start.
fn decode_with_pts(stream: &[u8], pts: u64) -> Output {
    let mut decoder = AudioDecoder::new();
    let mut out = Output::default();
    decoder.push(stream, Some(pts));
    drain(&mut decoder, &mut out);
    decoder.finish();
    drain(&mut decoder, &mut out);
    out
}

#[test]
fn truncated_frame_loses_only_itself() {
    let (clean, _) = encoded_mono_48k(8, false);
    let reference = decode_with_pts(&clean, 0);
    // Cut 200 bytes out of the middle of frame 3.
    let mut cut = clean[..3 * 576 + 100].to_vec();
    cut.extend_from_slice(&clean[3 * 576 + 300..]);
    for chunk in [1, 50, 4096] {
        let mut out = Output::default();
        let mut decoder = AudioDecoder::new();
        for (i, piece) in cut.chunks(chunk).enumerate() {
            decoder.push_pes(piece, i == 0, (i == 0).then_some(0));
            drain(&mut decoder, &mut out);
        }
        decoder.finish();
        drain(&mut decoder, &mut out);
        assert_eq!(out.frames.len(), 7, "chunk {chunk}");
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert!(out.frames[..3] == reference.frames[..3]);
        // Frame 4 starts from a filter memory without frame 3; from frame 5 on the output is
        // the same again, and the timestamps count the lost frame.
        assert!(out.frames[4..] == reference.frames[5..]);
        assert_eq!(out.frames[3].pts, 4 * 2160);
    }
}

#[test]
fn garbage_between_frames_and_damaged_headers() {
    let (clean, _) = encoded_mono_48k(8, false);
    let reference = decode(&clean, 4096);

    // 50 bytes of garbage between frames 3 and 4: nothing lost, one report.
    let mut inserted = clean[..4 * 576].to_vec();
    inserted.extend_from_slice(&[0xFF; 20]);
    inserted.extend_from_slice(&[0x5A; 30]);
    inserted.extend_from_slice(&clean[4 * 576..]);
    let out = decode(&inserted, 64);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.frames == reference.frames);

    // Frame 3's header damaged (sync, bitrate index 15, reserved layer): frame 3 is lost, the
    // others are decoded; frames 0-2 and 5-7 are exactly as in the clean stream.
    for (byte, value) in [(0, 0x7F), (2, 0xF4), (1, 0xF9)] {
        let mut damaged = clean.clone();
        damaged[3 * 576 + byte] = value;
        let out = decode(&damaged, 4096);
        assert_eq!(out.frames.len(), 7);
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert!(out.frames[..3] == reference.frames[..3]);
        assert!(out.frames[4..] == reference.frames[5..], "byte {byte}");
        assert_eq!(out.frames[3].pts, reference.frames[4].pts);
    }

    // The stream ends inside its last frame: reported, the rest decoded.
    let out = decode(&clean[..clean.len() - 100], 4096);
    assert_eq!(out.frames.len(), 7);
    assert_eq!(out.errors, vec![Error::UnexpectedEnd]);
}

#[test]
fn layer3_is_reported_once_and_skipped() {
    // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames; then Layer II frames.
    let mut data = silent_stream([0xFF, 0xFB, 0x90, 0x00], 6);
    data.extend(silent_stream(STEREO_44K, 3));
    let out = decode(&data, 1000);
    assert_eq!(
        out.errors,
        vec![Error::Unsupported(
            "MPEG audio Layer III frames are skipped"
        )]
    );
    assert_eq!(out.frames.len(), 3);
}

#[test]
fn format_changes_between_frames() {
    // 48 kHz mono, then 44.1 kHz stereo, then 24 kHz LSF: no error, every frame.
    let mut data = silent_stream(MONO_48K, 3);
    data.extend(silent_stream(STEREO_44K, 3));
    data.extend(silent_stream([0xFF, 0xF5, 0x84, 0xC0], 3));
    for chunk in [1, 100, 10_000] {
        let out = decode(&data, chunk);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let shape: Vec<(u32, u8)> = out
            .frames
            .iter()
            .map(|f| (f.sample_rate, f.channels))
            .collect();
        assert_eq!(
            shape,
            vec![
                (48_000, 1),
                (48_000, 1),
                (48_000, 1),
                (44_100, 2),
                (44_100, 2),
                (44_100, 2),
                (24_000, 1),
                (24_000, 1),
                (24_000, 1)
            ]
        );
        assert!(out
            .frames
            .iter()
            .all(|f| f.samples.iter().all(|&s| s == 0.0)));
    }
}

#[test]
fn split_at_every_byte_gives_identical_output() {
    let (stream, _) = encoded_mono_48k(4, true);
    let whole = decode(&stream, stream.len());
    assert_eq!(whole.frames.len(), 4);
    for split in 0..=stream.len() {
        let mut decoder = AudioDecoder::new();
        let mut out = Output::default();
        decoder.push(&stream[..split], None);
        drain(&mut decoder, &mut out);
        decoder.push(&stream[split..], None);
        drain(&mut decoder, &mut out);
        decoder.finish();
        drain(&mut decoder, &mut out);
        assert!(out.frames == whole.frames, "split at {split}");
        assert!(out.errors.is_empty());
    }
    let bytewise = decode(&stream, 1);
    assert!(bytewise.frames == whole.frames);
}

#[test]
fn random_bytes_never_panic_or_stall() {
    let mut rng = Lcg(0x5EED);
    let (valid, _) = encoded_mono_48k(3, true);
    let layer1 = encode(
        &EncoderConfig {
            layer: Layer::I,
            mode: ChannelMode::JointStereo { bound: 8 },
            bitrate_kbps: 448,
            coded: 0..10,
            crc: true,
            ..EncoderConfig::layer2_mono_48k()
        },
        &signal(48_000, 3 * 384, &[&[(440, 0.5)], &[(440, 0.5)]]),
        3,
    );
    let alphabet = [
        0xFF, 0xFD, 0xFC, 0xF5, 0xFE, 0xFF, 0x04, 0xA4, 0xC0, 0x00, 0x44,
    ];
    for round in 0..300 {
        let data: Vec<u8> = match round % 4 {
            // Uniform random bytes.
            0 => (0..rng.below(5000)).map(|_| rng.next_byte()).collect(),
            // Bytes that often look like headers (including free format).
            1 => (0..rng.below(5000))
                .map(|_| {
                    if rng.below(3) == 0 {
                        rng.next_byte()
                    } else {
                        alphabet[rng.below(alphabet.len())]
                    }
                })
                .collect(),
            // Valid frames with random damage.
            _ => {
                let mut d = if round % 4 == 2 {
                    valid.clone()
                } else {
                    layer1.clone()
                };
                for _ in 0..=rng.below(20) {
                    let i = rng.below(d.len());
                    d[i] = rng.next_byte();
                }
                let cut = rng.below(d.len());
                if rng.below(2) == 0 {
                    d.truncate(cut);
                }
                d
            }
        };
        let mut decoder = AudioDecoder::new();
        let mut out = Output::default();
        let mut i = 0;
        while i < data.len() {
            let n = (rng.below(700) + 1).min(data.len() - i);
            let unit_start = rng.below(3) == 0;
            decoder.push_pes(
                &data[i..i + n],
                unit_start,
                unit_start.then(|| rng.next_u64()),
            );
            drain(&mut decoder, &mut out);
            i += n;
        }
        decoder.finish();
        drain(&mut decoder, &mut out);
        for f in &out.frames {
            assert_eq!(
                f.samples.len(),
                usize::from(f.channels) * f.samples_per_channel
            );
            assert!(f.samples.iter().all(|s| s.is_finite()));
            assert!(f.pts < 1 << 33);
        }
    }
}

/// Pushes frames of `stream` (of `frame_len`-byte frames) as PESs: `(first frame, pts)`.
fn decode_pes(stream: &[u8], cuts: &[(usize, Option<u64>)]) -> Output {
    let mut decoder = AudioDecoder::new();
    let mut out = Output::default();
    for (i, &(start, pts)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(stream.len(), |c| c.0);
        decoder.push_pes(&stream[start..end], true, pts);
        drain(&mut decoder, &mut out);
    }
    decoder.finish();
    drain(&mut decoder, &mut out);
    out
}

#[test]
fn pts_from_pes_and_extrapolated() {
    // 44.1 kHz: 1152 samples = 2351.02 ticks; extrapolation counts samples, so frame n after
    // a PTS is exactly floor(n * 1152 * 90000 / 44100) later.
    let stream = silent_stream(STEREO_44K, 6);
    let f = 417;
    let out = decode_pes(
        &stream,
        &[(0, Some(1000)), (2 * f, None), (4 * f, Some(90_000))],
    );
    let pts: Vec<(u64, bool)> = out.frames.iter().map(|f| (f.pts, f.from_stream)).collect();
    assert_eq!(
        pts,
        vec![
            (1000, true),
            (1000 + 2351, false),
            (1000 + 4702, false),
            (1000 + 7053, false),
            (90_000, true),
            (90_000 + 2351, false)
        ]
    );
    assert!(out.errors.is_empty());
}

#[test]
fn pts_belongs_to_the_first_frame_starting_in_the_pes() {
    let stream = silent_stream(MONO_48K, 4);
    // PES A (PTS 500) holds frame 0 and the start of frame 1; PES B (PTS 7000) starts inside
    // frame 1 and holds frame 2's start; PES C (no PTS) starts inside frame 2, holds frame 3.
    let out = decode_pes(
        &stream,
        &[
            (0, Some(500)),
            (576 + 100, Some(7000)),
            (2 * 576 + 10, None),
        ],
    );
    let pts: Vec<(u64, bool)> = out.frames.iter().map(|f| (f.pts, f.from_stream)).collect();
    assert_eq!(
        pts,
        vec![(500, true), (2660, false), (7000, true), (9160, false)]
    );
}

#[test]
fn pts_wraps_at_33_bits_without_drift() {
    let stream = silent_stream(MONO_48K, 3);
    let start = (1u64 << 33) - 100;
    let out = decode_pes(&stream, &[(0, Some(start))]);
    let pts: Vec<u64> = out.frames.iter().map(|f| f.pts).collect();
    assert_eq!(pts, vec![start, 2060, 4220]);

    // 2000 frames at 44.1 kHz from 0: never a tick of drift.
    let stream = silent_stream(STEREO_44K, 2000);
    let out = decode_pes(&stream, &[(0, Some(0))]);
    assert_eq!(out.frames.len(), 2000);
    for (n, f) in out.frames.iter().enumerate() {
        assert_eq!(f.pts, n as u64 * 1152 * 90_000 / 44_100, "frame {n}");
    }
}

#[test]
fn frame_buffer_is_reused() {
    let stream = silent_stream(MONO_48K, 5);
    let mut decoder = AudioDecoder::new();
    decoder.push(&stream, None);
    decoder.finish();
    let mut pointers = Vec::new();
    while let Some(event) = decoder.next_event() {
        if let AudioEvent::Frame(f) = event {
            pointers.push(f.samples.as_ptr());
        }
    }
    assert_eq!(pointers.len(), 5);
    assert!(pointers.iter().all(|&p| p == pointers[0]));
}

#[test]
fn reset_forgets_the_stream() {
    let stream = silent_stream(MONO_48K, 3);
    let mut decoder = AudioDecoder::new();
    decoder.push(&stream[..1000], Some(1234));
    decoder.reset();
    let mut out = Output::default();
    decoder.push(&stream, None);
    decoder.finish();
    drain(&mut decoder, &mut out);
    assert_eq!(out.frames.len(), 3);
    assert_eq!(out.frames[0].pts, 0);
    assert!(!out.frames[0].from_stream);
}
