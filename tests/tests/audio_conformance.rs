//! MPEG audio decoded by wasmpeg against independent references, with the ISO/IEC 11172-4
//! "full accuracy" bounds on every channel of every stream: RMS difference <= 2^-15/sqrt(12)
//! and maximum absolute difference <= 2^-14 (full scale 1.0).
//!
//! - Every committed audio fixture (raw .mp2, and the MP2 track of the MPEG-TS/PS fixtures)
//!   against ffmpeg's floating-point decoder (`mp2float`) and against symphonia (a pure-Rust
//!   decoder written separately from the standard, driven one frame per packet). The frame
//!   count, the sizes and header fields of each frame come from the tests' own header reader
//!   (`wasmpeg_tests::mpa`). For MPEG-TS/PS, the timestamps are checked against ffprobe's.
//! - ffmpeg and symphonia against each other on the same streams (so that a failure above is
//!   wasmpeg's and not a reference's).
//! - The output does not depend on how the input is cut into pushes, nor on whether the
//!   top-level decoder or the audio decoder is used.
//! - With `WASMPEG_CONFORMANCE_DIR` set, the ISO/IEC 11172-4 compliance bitstreams (Layer I
//!   and II) against their reference PCM, and the edge-case streams beside them for robustness.
//!
//! The measured differences are printed (`cargo test -- --nocapture` shows them).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use symphonia::core::codecs::audio::well_known::{CODEC_ID_MP1, CODEC_ID_MP2};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration as SymDuration, Timestamp};
use symphonia::default::codecs::MpaDecoder;

use wasmpeg::audio::{ChannelMode, Layer, Version};
use wasmpeg::PTS_CLOCK_HZ;
use wasmpeg_tests::decode::{
    decode_audio_es_with_timeout, decode_audio_file, decode_bytes_with, run_with_timeout, Chunking,
    Decoded,
};
use wasmpeg_tests::mpa::{self, FrameInfo};
use wasmpeg_tests::pcm::{self, Difference, Pcm, ISO_MAX, ISO_RMS};
use wasmpeg_tests::{ffmpeg, fixture_path, read_fixture};

/// The raw MPEG audio fixtures (see fixtures/README.md).
const RAW_FIXTURES: &[&str] = &[
    "mp2_32k_mono_32k.mp2",
    "mp2_32k_stereo_96k.mp2",
    "mp2_32k_stereo_384k.mp2",
    "mp2_44k_mono_48k.mp2",
    "mp2_44k_stereo_256k.mp2",
    "mp2_48k_stereo_64k.mp2",
    "mp2_48k_stereo_384k.mp2",
    "mp2_16k_mono_24k.mp2",
    "mp2_22k_stereo_64k.mp2",
    "mp2_24k_stereo_160k.mp2",
    "mp2_48k_joint_64k_twolame.mp2",
    "mp2_48k_joint_160k_crc_twolame.mp2",
    "mp2_44k_dual_192k_crc_twolame.mp2",
    "mp2_24k_joint_96k_crc_twolame.mp2",
];

/// The MPEG-TS/PS fixtures with an MP2 track.
const CONTAINER_FIXTURES: &[&str] = &[
    "ip_bf0_352x288.ts",
    "ip_bf0_352x288.mpg",
    "ibbp_bf2_352x288.ts",
    "ibbbp_bf3_352x288.mpg",
    "odd_322x242.ts",
    "sif_352x240_2997.ts",
    "sif_352x288_25.mpg",
    "pal_720x576.ts",
    "vcd_pal.mpg",
    "bench_480p_bf2.ts",
    "bench_720p_bf0.ts",
    "bench_1080p_bf2.ts",
];

// --- References ---------------------------------------------------------------------------------

/// Decodes the frames of `es` with symphonia, one packet per frame (its decoder wants exactly
/// one frame, header included, per packet). `Err` names the first frame it rejects.
fn symphonia_decode(es: &[u8], frames: &[FrameInfo]) -> Result<Pcm, String> {
    let first = frames.first().ok_or("no frames")?.header;
    let mut params = AudioCodecParameters::new();
    params.for_codec(if first.layer == 1 {
        CODEC_ID_MP1
    } else {
        CODEC_ID_MP2
    });
    let mut decoder = MpaDecoder::try_new(&params, &AudioDecoderOptions::default())
        .map_err(|e| format!("symphonia: {e}"))?;
    let mut out = Pcm {
        sample_rate: first.sample_rate,
        channels: first.channels(),
        samples: Vec::new(),
    };
    let mut frame_samples: Vec<f32> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let packet = Packet::new(
            0,
            Timestamp::from(0i64),
            SymDuration::ZERO,
            es[f.range()].to_vec(),
        );
        let buffer = decoder
            .decode(&packet)
            .map_err(|e| format!("symphonia rejected frame {i}: {e}"))?;
        frame_samples.clear();
        buffer.copy_to_vec_interleaved(&mut frame_samples);
        if frame_samples.len() != f.header.samples_per_frame() * out.channels {
            return Err(format!(
                "symphonia gave {} samples for frame {i}",
                frame_samples.len()
            ));
        }
        out.samples.extend_from_slice(&frame_samples);
    }
    Ok(out)
}

/// Samples per channel at the start of a decode that depend on the synthesis filter's history
/// (15 of the 16 slots of 32 samples that the synthesis window spans).
const HISTORY: usize = 480;

/// ffmpeg's decode of a raw stream lined up with the whole stream: `(first_frame, pcm)` where
/// `pcm` starts at frame `first_frame` of the stream. When ffmpeg's reader skipped frames,
/// its decode starts without the filter history that the skipped frames give: the frames
/// covering its first 480 samples (one Layer II frame, two Layer I frames) are left out too.
/// Fails unless ffmpeg decoded exactly the frames its raw reader is known to keep.
fn ffmpeg_aligned(file: &str, path: &Path, frames: &[FrameInfo]) -> Result<(usize, Pcm), String> {
    let decoder = if frames[0].header.layer == 1 {
        "mp1float"
    } else {
        "mp2float"
    };
    let decoded = ffmpeg::decode_audio_with(path, decoder);
    if !decoded.stderr.trim().is_empty() {
        return Err(format!("ffmpeg reports errors:\n{}", decoded.stderr));
    }
    let reference = decoded.pcm;
    let spf = frames[0].header.samples_per_frame();
    let got_frames = reference.len_per_channel() / spf;
    if reference.len_per_channel() % spf != 0 {
        return Err(format!(
            "ffmpeg decoded {} samples per channel, not a whole number of {spf}-sample frames",
            reference.len_per_channel()
        ));
    }
    let skipped = ffmpeg::raw_reader_first_frame(frames);
    if got_frames + skipped != frames.len() {
        return Err(format!(
            "ffmpeg decoded {got_frames} frames, the stream has {} (and ffmpeg's reader is \
             expected to skip {skipped})",
            frames.len()
        ));
    }
    if skipped == 0 {
        return Ok((0, reference));
    }
    let warmup = HISTORY.div_ceil(spf);
    println!(
        "{file}: ffmpeg's raw MPEG audio reader skipped the first {skipped} frame(s) (their channel \
         mode differs from the next frame's); comparing with ffmpeg from frame {} on (ffmpeg \
         decodes frame {skipped} without the filter history), the first frames with symphonia only",
        skipped + warmup
    );
    Ok((
        skipped + warmup,
        reference.slice(warmup * spf, reference.len_per_channel()),
    ))
}

// --- Checks ---------------------------------------------------------------------------------------

/// Collects failures so that one run reports all of them.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn push(&mut self, what: String) {
        self.0.push(what);
    }

    fn assert_none(&self, name: &str) {
        assert!(
            self.0.is_empty(),
            "{name}: {} failure(s):\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// Compares `ours` from sample frame `from` (per channel) with `reference`, which starts there,
/// over the reference's length; prints and checks the ISO bounds on every channel.
fn compare_iso(
    name: &str,
    what: &str,
    ours: &Pcm,
    from: usize,
    reference: &Pcm,
    failures: &mut Failures,
) -> Difference {
    let end = from + reference.len_per_channel();
    if ours.len_per_channel() < end {
        failures.push(format!(
            "{what}: wasmpeg decoded {} samples per channel, the comparison needs {end}",
            ours.len_per_channel()
        ));
    }
    let ours = ours.slice(
        from.min(ours.len_per_channel()),
        end.min(ours.len_per_channel()),
    );
    let d = pcm::difference(&ours.samples, &reference.samples, reference.channels);
    println!("{name} vs {what}: {d}");
    if !d.within(ISO_RMS, ISO_MAX) {
        failures.push(format!(
            "{what}: outside the ISO/IEC 11172-4 full-accuracy bounds (RMS {ISO_RMS:.3e}, max {ISO_MAX:.3e}): {d}"
        ));
    }
    d
}

/// The header reader's view of a frame against wasmpeg's `FrameHeader`.
fn header_mismatch(ours: &wasmpeg::audio::FrameHeader, h: &mpa::Header) -> Option<String> {
    let version = if h.lsf {
        Version::Mpeg2Lsf
    } else {
        Version::Mpeg1
    };
    let layer = match h.layer {
        1 => Layer::I,
        2 => Layer::II,
        _ => Layer::III,
    };
    let mode = match h.mode {
        0 => ChannelMode::Stereo,
        1 => ChannelMode::JointStereo {
            bound: h.bound() as u8,
        },
        2 => ChannelMode::DualChannel,
        _ => ChannelMode::Mono,
    };
    let expected = (
        version,
        layer,
        h.has_crc,
        h.bitrate_kbps,
        h.sample_rate,
        h.padding,
        mode,
        h.copyright,
        h.original,
        h.emphasis,
    );
    let got = (
        ours.version,
        ours.layer,
        ours.has_crc,
        ours.bitrate_kbps,
        ours.sample_rate,
        ours.padding,
        ours.mode,
        ours.copyright,
        ours.original,
        ours.emphasis,
    );
    (got != expected).then(|| format!("header {got:?}, the stream says {expected:?}"))
}

/// wasmpeg's frames against the stream's: one per frame, each with the frame's sampling
/// frequency, channel count, sample count and header.
fn check_frames(decoded: &Decoded, frames: &[FrameInfo], failures: &mut Failures) {
    if !decoded.audio_warnings.is_empty() {
        failures.push(format!(
            "{} audio warning(s) on a clean stream: {:?}",
            decoded.audio_warnings.len(),
            decoded.audio_warnings
        ));
    }
    if decoded.audio.len() != frames.len() {
        failures.push(format!(
            "wasmpeg decoded {} frames, the stream has {}",
            decoded.audio.len(),
            frames.len()
        ));
    }
    let mut reported = 0;
    for (i, (ours, f)) in decoded.audio.iter().zip(frames).enumerate() {
        let h = &f.header;
        let mut problems = Vec::new();
        if (ours.sample_rate, ours.channels, ours.samples_per_channel)
            != (h.sample_rate, h.channels(), h.samples_per_frame())
        {
            problems.push(format!(
                "{} Hz x {} channels x {} samples, the header says {} x {} x {}",
                ours.sample_rate,
                ours.channels,
                ours.samples_per_channel,
                h.sample_rate,
                h.channels(),
                h.samples_per_frame()
            ));
        }
        match &ours.header {
            None => problems.push("no header".into()),
            Some(oh) => problems.extend(header_mismatch(oh, h)),
        }
        problems.extend(ours.layout_error.clone());
        if !problems.is_empty() && reported < 5 {
            reported += 1;
            failures.push(format!("frame {i}: {}", problems.join("; ")));
        }
    }
}

/// A raw fixture: wasmpeg against ffmpeg and symphonia.
fn check_raw(file: &str) {
    let path = fixture_path(file);
    let es = read_fixture(file);
    let frames = mpa::frames_strict(&es).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut failures = Failures::default();

    let decoded = decode_audio_file(&es);
    check_frames(&decoded, &frames, &mut failures);
    let ours = decoded.audio_pcm();
    if decoded.audio.is_empty() {
        failures.0.push("wasmpeg decoded no audio".into());
        failures.assert_none(file);
    }

    match ffmpeg_aligned(file, &path, &frames) {
        Ok((first, reference)) => {
            let spf = frames[0].header.samples_per_frame();
            compare_iso(
                file,
                "ffmpeg mp2float",
                &ours,
                first * spf,
                &reference,
                &mut failures,
            );
        }
        Err(e) => failures.push(e),
    }
    match symphonia_decode(&es, &frames) {
        Ok(reference) => {
            compare_iso(file, "symphonia", &ours, 0, &reference, &mut failures);
        }
        Err(e) => failures.push(e),
    }
    failures.assert_none(file);
}

/// The PTS of wasmpeg's audio frames against ffprobe's packet timestamps: exact where wasmpeg
/// took it from the stream, within one 90 kHz tick where it was extrapolated (ffprobe
/// interpolates those too, with its own rounding); and consecutive frames one frame duration
/// apart (within one tick).
fn check_audio_pts(path: &Path, decoded: &Decoded, failures: &mut Failures) {
    let reference = ffmpeg::audio_packet_pts(path);
    if reference.len() != decoded.audio.len() {
        failures.push(format!(
            "ffprobe lists {} audio packets, wasmpeg decoded {} frames",
            reference.len(),
            decoded.audio.len()
        ));
    }
    let mut from_stream = 0;
    let mut reported = 0;
    for (i, (f, r)) in decoded.audio.iter().zip(&reference).enumerate() {
        let Some(r) = *r else {
            failures.push(format!("ffprobe shows no pts for audio packet {i}"));
            continue;
        };
        let diff = (f.pts as i64 - r).abs();
        let ok = if f.pts_from_stream {
            from_stream += 1;
            diff == 0
        } else {
            diff <= 1
        };
        if !ok && reported < 5 {
            reported += 1;
            failures.push(format!(
                "audio frame {i}: pts {} ({}), ffprobe says {r}",
                f.pts,
                if f.pts_from_stream {
                    "from the stream"
                } else {
                    "extrapolated"
                }
            ));
        }
    }
    if from_stream == 0 && !decoded.audio.is_empty() {
        failures.push("no audio frame has a pts from the stream".into());
    }
    if decoded.audio.first().is_some_and(|f| !f.pts_from_stream) {
        failures.push("the first audio frame's pts is not from the stream".into());
    }
    for (i, w) in decoded.audio.windows(2).enumerate() {
        let duration = w[0].samples_per_channel as f64 * PTS_CLOCK_HZ as f64
            / f64::from(w[0].sample_rate.max(1));
        let step = w[1].pts as f64 - w[0].pts as f64;
        if (step - duration).abs() > 1.0 && reported < 10 {
            reported += 1;
            failures.push(format!(
                "audio frames {i}-{}: pts step {step}, a frame lasts {duration:.2} ticks",
                i + 1
            ));
        }
    }
}

/// A TS/PS fixture's audio: wasmpeg against ffmpeg (decoding the file itself) and symphonia
/// (decoding the track extracted by ffmpeg's demuxer), and the timestamps against ffprobe.
fn check_container(file: &str) {
    let path = fixture_path(file);
    let data = read_fixture(file);
    let es = ffmpeg::extract_audio_es(&path);
    let frames = mpa::frames_strict(&es).unwrap_or_else(|e| panic!("{file}'s audio: {e}"));
    let mut failures = Failures::default();

    let decoded = decode_audio_file(&data);
    check_frames(&decoded, &frames, &mut failures);
    if decoded.audio.is_empty() {
        failures.0.push("wasmpeg decoded no audio".into());
        failures.assert_none(file);
    }
    let ours = decoded.audio_pcm();
    let (rate, channels) = ffmpeg::probe_audio(&path);
    if (ours.sample_rate, ours.channels) != (rate, channels) {
        failures.push(format!(
            "{} Hz {} channels, ffprobe says {rate} Hz {channels} channels",
            ours.sample_rate, ours.channels
        ));
    }
    let reference = ffmpeg::decode_audio(&path);
    if reference.len_per_channel() != ours.len_per_channel() {
        failures.push(format!(
            "wasmpeg decoded {} samples per channel, ffmpeg {}",
            ours.len_per_channel(),
            reference.len_per_channel()
        ));
    }
    compare_iso(file, "ffmpeg mp2float", &ours, 0, &reference, &mut failures);
    match symphonia_decode(&es, &frames) {
        Ok(reference) => {
            compare_iso(file, "symphonia", &ours, 0, &reference, &mut failures);
        }
        Err(e) => failures.push(e),
    }
    check_audio_pts(&path, &decoded, &mut failures);
    failures.assert_none(file);
}

macro_rules! audio_tests {
    ($check:ident: $($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                $check($file);
            }
        )*
    };
}

audio_tests! { check_raw:
    raw_32k_mono_32k => "mp2_32k_mono_32k.mp2",
    raw_32k_stereo_96k => "mp2_32k_stereo_96k.mp2",
    raw_32k_stereo_384k => "mp2_32k_stereo_384k.mp2",
    raw_44k_mono_48k => "mp2_44k_mono_48k.mp2",
    raw_44k_stereo_256k => "mp2_44k_stereo_256k.mp2",
    raw_48k_stereo_64k => "mp2_48k_stereo_64k.mp2",
    raw_48k_stereo_384k => "mp2_48k_stereo_384k.mp2",
    raw_16k_mono_24k => "mp2_16k_mono_24k.mp2",
    raw_22k_stereo_64k => "mp2_22k_stereo_64k.mp2",
    raw_24k_stereo_160k => "mp2_24k_stereo_160k.mp2",
    raw_48k_joint_64k_twolame => "mp2_48k_joint_64k_twolame.mp2",
    raw_48k_joint_160k_crc_twolame => "mp2_48k_joint_160k_crc_twolame.mp2",
    raw_44k_dual_192k_crc_twolame => "mp2_44k_dual_192k_crc_twolame.mp2",
    raw_24k_joint_96k_crc_twolame => "mp2_24k_joint_96k_crc_twolame.mp2",
}

audio_tests! { check_container:
    ip_bf0_352x288_ts => "ip_bf0_352x288.ts",
    ip_bf0_352x288_mpg => "ip_bf0_352x288.mpg",
    ibbp_bf2_352x288_ts => "ibbp_bf2_352x288.ts",
    ibbbp_bf3_352x288_mpg => "ibbbp_bf3_352x288.mpg",
    odd_322x242_ts => "odd_322x242.ts",
    sif_352x240_2997_ts => "sif_352x240_2997.ts",
    sif_352x288_25_mpg => "sif_352x288_25.mpg",
    pal_720x576_ts => "pal_720x576.ts",
    vcd_pal_mpg => "vcd_pal.mpg",
    bench_480p_bf2_ts => "bench_480p_bf2.ts",
    bench_720p_bf0_ts => "bench_720p_bf0.ts",
    bench_1080p_bf2_ts => "bench_1080p_bf2.ts",
}

#[test]
fn every_audio_fixture_is_tested() {
    // The lists above must cover the fixtures folder, so a new fixture is not forgotten.
    let mut on_disk: Vec<String> = std::fs::read_dir(wasmpeg_tests::fixtures_dir())
        .expect("fixtures folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("mp2"))
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = RAW_FIXTURES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "RAW_FIXTURES against fixtures/*.mp2");
    for file in CONTAINER_FIXTURES {
        assert!(fixture_path(file).is_file(), "{file} is missing");
    }
}

#[test]
fn reference_decoders_agree_with_each_other() {
    // If ffmpeg and symphonia disagreed beyond the bounds, a failure of the tests above could
    // be a reference's fault. This does not involve wasmpeg. With WASMPEG_CONFORMANCE_DIR set,
    // the ISO streams are included: several start with frames that ffmpeg's raw reader skips,
    // which checks the model of that skipping used above.
    let mut streams: Vec<(String, PathBuf)> = RAW_FIXTURES
        .iter()
        .map(|f| ((*f).to_owned(), fixture_path(f)))
        .collect();
    if let Some((iso, _)) = conformance_dirs() {
        streams.extend(bitstreams(&iso).into_iter().map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, p)
        }));
    }
    let mut failures = Failures::default();
    for (name, path) in &streams {
        let es = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let frames = mpa::frames_strict(&es).unwrap_or_else(|e| panic!("{name}: {e}"));
        let sym = match symphonia_decode(&es, &frames) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        match ffmpeg_aligned(name, path, &frames) {
            Ok((first, ff)) => {
                let spf = frames[0].header.samples_per_frame();
                let mut f = Failures::default();
                compare_iso(
                    &format!("{name}: symphonia"),
                    "ffmpeg",
                    &sym,
                    first * spf,
                    &ff,
                    &mut f,
                );
                failures
                    .0
                    .extend(f.0.into_iter().map(|m| format!("{name}: {m}")));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    failures.assert_none("symphonia vs ffmpeg");
}

#[test]
fn audio_output_does_not_depend_on_chunking_or_entry_point() {
    let mut failures = Failures::default();
    for (file, chunking) in [
        (
            "mp2_44k_stereo_256k.mp2",
            Chunking::Random { seed: 1, max: 700 },
        ),
        (
            "mp2_48k_joint_160k_crc_twolame.mp2",
            Chunking::Random { seed: 2, max: 64 },
        ),
        ("mp2_16k_mono_24k.mp2", Chunking::Fixed(1)),
        ("ip_bf0_352x288.ts", Chunking::Random { seed: 3, max: 1500 }),
        ("vcd_pal.mpg", Chunking::Random { seed: 4, max: 3000 }),
    ] {
        let data = read_fixture(file);
        let config = wasmpeg::DecoderConfig {
            video: false,
            ..wasmpeg::DecoderConfig::default()
        };
        let whole = {
            let data = data.clone();
            run_with_timeout(Duration::from_secs(60), move || {
                decode_bytes_with(&data, Chunking::Whole, config)
            })
        };
        if whole.audio.is_empty() {
            failures.push(format!("{file}: no audio"));
            continue;
        }
        let chunked = {
            let data = data.clone();
            run_with_timeout(Duration::from_secs(60), move || {
                decode_bytes_with(&data, chunking, config)
            })
        };
        // (what, decode, whether its timestamps must match too)
        let mut variants = vec![(format!("pushed as {chunking:?}"), chunked, true)];
        let raw = Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mp2"));
        if raw {
            // The audio decoder on its own, fed the elementary stream without timestamps.
            variants.push((
                "AudioDecoder pushed as Random{5, 500}".into(),
                decode_audio_es_with_timeout(
                    data.clone(),
                    Chunking::Random { seed: 5, max: 500 },
                    Duration::from_secs(60),
                ),
                false,
            ));
        }
        let pts = |d: &Decoded| {
            d.audio
                .iter()
                .map(|f| (f.pts, f.pts_from_stream))
                .collect::<Vec<_>>()
        };
        for (what, other, with_pts) in variants {
            let same_samples = other.audio.len() == whole.audio.len()
                && other
                    .audio
                    .iter()
                    .zip(&whole.audio)
                    .all(|(a, b)| a.samples == b.samples);
            if !same_samples {
                failures.push(format!(
                    "{file} {what}: {} frames, not identical to the {} frames of one push",
                    other.audio.len(),
                    whole.audio.len()
                ));
            }
            if with_pts && pts(&other) != pts(&whole) {
                failures.push(format!("{file} {what}: the timestamps differ"));
            }
        }
    }
    failures.assert_none("chunking");
}

// --- ISO/IEC 11172-4 compliance streams and edge cases (outside the repository) -----------------

/// `(iso, edge)` folders from `WASMPEG_CONFORMANCE_DIR`, which may name the `iso` folder itself
/// (then `edge` is its sibling) or the folder holding `iso/` and `edge/`. A relative path may be
/// meant from the workspace root or from this package.
fn conformance_dirs() -> Option<(PathBuf, Option<PathBuf>)> {
    let var = std::env::var_os("WASMPEG_CONFORMANCE_DIR")?;
    let given = PathBuf::from(var);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = if given.is_absolute() {
        vec![given.clone()]
    } else {
        vec![given.clone(), workspace.join(&given)]
    };
    let has_bit = |dir: &Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "bit"))
        })
    };
    for dir in candidates {
        if dir.join("iso").is_dir() {
            let edge = dir.join("edge");
            return Some((dir.join("iso"), edge.is_dir().then_some(edge)));
        }
        if has_bit(&dir) {
            let edge = dir.join("..").join("edge");
            return Some((dir, edge.is_dir().then_some(edge)));
        }
    }
    panic!(
        "WASMPEG_CONFORMANCE_DIR is set to {} but holds neither *.bit files nor an iso/ folder",
        given.display()
    );
}

/// The `*.bit` files of a folder, sorted.
fn bitstreams(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bit"))
        .collect();
    v.sort();
    v
}

fn skip_notice() {
    println!(
        "skipped: set WASMPEG_CONFORMANCE_DIR to the folder with the ISO/IEC 11172-4 audio \
         compliance streams (*.bit with *.pcm), e.g. ../shared/conformance/mp2 or \
         ../shared/conformance/mp2/iso, to run this test"
    );
}

/// The ISO allowance for a 16-bit reference. The reference holds the exact output rounded to
/// 16 bits (so it is off by up to half an LSB, with an RMS of 1/sqrt(12) LSB for a rounding
/// reference; a truncating one could be off by up to one LSB). Our output is compared without
/// rounding, only clipped to the 16-bit range [-1, 1 - 2^-15] as the reference is:
/// - maximum absolute difference <= 2^-14 + 2^-15 (the ISO bound plus one 16-bit LSB);
/// - RMS difference <= 2^-15/sqrt(12) + 2^-15/sqrt(12) (the ISO bound plus the RMS of the
///   rounding noise, added as norms: the triangle inequality).
const ISO16_MAX: f64 = ISO_MAX + 1.0 / 32_768.0;
/// See [`ISO16_MAX`].
const ISO16_RMS: f64 = 2.0 * ISO_RMS;

fn clip16(x: f64) -> f64 {
    x.clamp(-1.0, 32_767.0 / 32_768.0)
}

/// Decodes a `.bit` file with wasmpeg's audio decoder (in chunks of 1000 bytes) under a
/// timeout.
fn decode_bitstream(data: &[u8]) -> Decoded {
    decode_audio_es_with_timeout(
        data.to_vec(),
        Chunking::Fixed(1000),
        Duration::from_secs(30),
    )
}

#[test]
fn iso_compliance_streams() {
    let Some((iso, _)) = conformance_dirs() else {
        skip_notice();
        return;
    };
    let streams = bitstreams(&iso);
    assert!(!streams.is_empty(), "no *.bit files in {}", iso.display());
    let mut failures = Failures::default();
    for bit in &streams {
        let name = bit
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let data = std::fs::read(bit).unwrap_or_else(|e| panic!("{}: {e}", bit.display()));
        let reference_path = bit.with_extension("pcm");
        let reference = pcm::s16le_to_f32(
            &std::fs::read(&reference_path)
                .unwrap_or_else(|e| panic!("{}: {e}", reference_path.display())),
        );
        let frames = mpa::frames_lenient(&data);
        let Some(first) = frames.first() else {
            failures.push(format!("{name}: the tests' reader finds no frames"));
            continue;
        };
        let summary = mpa::summarise(&data, &frames);
        println!("{name}: {}; {}", first.header, summary.describe());
        let mut f = Failures::default();
        let decoded = decode_bitstream(&data);
        check_frames(&decoded, &frames, &mut f);
        let ours = decoded.audio_pcm();
        let channels = first.header.channels();
        if ours.len_per_channel() * channels > reference.len() {
            f.push(format!(
                "wasmpeg decoded {} samples per channel, more than the reference's {}",
                ours.len_per_channel(),
                reference.len() / channels
            ));
        }
        if decoded.audio.is_empty() {
            f.push("wasmpeg decoded nothing".into());
        } else {
            // Over the decoded length (several references are longer than their bitstream).
            let d = pcm::difference_mapped(&ours.samples, &reference, channels, clip16);
            println!("{name} vs its reference PCM: {d}");
            if !d.within(ISO16_RMS, ISO16_MAX) {
                f.push(format!(
                    "outside the ISO bounds with the 16-bit allowance (RMS {ISO16_RMS:.3e}, max {ISO16_MAX:.3e}): {d}"
                ));
            }
        }
        failures
            .0
            .extend(f.0.into_iter().map(|m| format!("{name}: {m}")));
    }
    failures.assert_none("ISO/IEC 11172-4 compliance streams");
}

/// Edge-case streams that an MPEG-1/2 Layer I/II decoder must decode normally (their MPEG-2
/// multichannel or other extensions sit where an MPEG-1 decoder ignores them). The others are
/// illegal (over-allocation, scale factor index 63), Layer III, or free format, where decoders
/// may legitimately differ; they are only checked for robustness.
const EDGE_DECODABLE: &[&str] = &[
    "ILL2_center2",
    "ILL2_dual",
    "ILL2_dynx22",
    "ILL2_dynx31",
    "ILL2_dynx32",
    "ILL2_ext_switching",
    "ILL2_layer1",
    "ILL2_mono",
    "ILL2_multilingual",
    "ILL2_prediction",
    "ILL2_samples",
    "ILL2_tca21",
    "ILL2_tca30",
    "ILL2_tca30_PC",
    "ILL2_tca31_PC",
    "ILL2_tca31_mtx0",
    "ILL2_tca31_mtx2",
    "ILL2_tca32_PC",
    "ILL2_wrongcrc",
    "l2-test32",
];

/// "Loose agreement" with the edge streams' PCM, which is another decoder's output rather than
/// a standard's: 16 times the ISO maximum and about 14 times its RMS.
const LOOSE_MAX: f64 = 1.0 / 1024.0;
/// See [`LOOSE_MAX`].
const LOOSE_RMS: f64 = 1.0 / 8192.0;

#[test]
fn edge_case_streams_decode_without_panic_or_stall() {
    let Some((_, edge)) = conformance_dirs() else {
        skip_notice();
        return;
    };
    let Some(edge) = edge else {
        println!("skipped: no edge/ folder beside the ISO streams");
        return;
    };
    let streams = bitstreams(&edge);
    assert!(!streams.is_empty(), "no *.bit files in {}", edge.display());
    let mut failures = Failures::default();
    for bit in &streams {
        let stem = bit
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let data = std::fs::read(bit).unwrap_or_else(|e| panic!("{}: {e}", bit.display()));
        // Whole, and in small odd pieces (resynchronisation across pushes); both under a
        // timeout, both through the audio decoder and the top-level decoder.
        let whole = decode_bitstream(&data);
        let pieces = decode_audio_es_with_timeout(
            data.clone(),
            Chunking::Random { seed: 9, max: 97 },
            Duration::from_secs(30),
        );
        let top = {
            let data = data.clone();
            run_with_timeout(Duration::from_secs(30), move || {
                decode_bytes_with(
                    &data,
                    Chunking::Fixed(333),
                    wasmpeg::DecoderConfig {
                        container: Some(wasmpeg::ContainerFormat::AudioEs),
                        ..wasmpeg::DecoderConfig::default()
                    },
                )
            })
        };
        let mut f = Failures::default();
        for (what, d) in [("whole", &whole), ("pieces", &pieces), ("Decoder", &top)] {
            for (i, frame) in d.audio.iter().enumerate() {
                let sane = matches!(frame.samples_per_channel, 384 | 1152)
                    && matches!(frame.channels, 1 | 2)
                    && frame.layout_error.is_none()
                    && frame.samples.iter().all(|s| s.is_finite());
                if !sane {
                    f.push(format!(
                        "{what}: frame {i} has {} channels x {} samples, or non-finite samples",
                        frame.channels, frame.samples_per_channel
                    ));
                    break;
                }
            }
        }
        let same = |a: &Decoded, b: &Decoded| {
            a.audio.len() == b.audio.len()
                && a.audio
                    .iter()
                    .zip(&b.audio)
                    .all(|(x, y)| x.samples == y.samples)
        };
        if !same(&whole, &pieces) {
            f.push(format!(
                "pushed in pieces: {} frames, not identical to the {} frames of 1000-byte pushes",
                pieces.audio.len(),
                whole.audio.len()
            ));
        }
        let reference = std::fs::read(bit.with_extension("pcm"))
            .map(|b| pcm::s16le_to_f32(&b))
            .unwrap_or_default();
        // One buffer if the layout does not change (it may, in the illegal streams).
        let uniform = whole
            .audio
            .windows(2)
            .all(|w| (w[0].sample_rate, w[0].channels) == (w[1].sample_rate, w[1].channels));
        let ours = if whole.audio.is_empty() || !uniform {
            Pcm::default()
        } else {
            whole.audio_pcm()
        };
        let mut line = format!(
            "{stem}: {} frames, {} samples/channel, {} warnings",
            whole.audio.len(),
            ours.len_per_channel(),
            whole.audio_warnings.len()
        );
        if ours.channels > 0 && !reference.is_empty() {
            let d = pcm::difference_mapped(&ours.samples, &reference, ours.channels, clip16);
            let _ = write!(line, "; vs its PCM: {d}");
            if EDGE_DECODABLE.contains(&stem.as_str()) {
                if ours.samples.len() != reference.len() {
                    f.push(format!(
                        "{} samples, the PCM has {}",
                        ours.samples.len(),
                        reference.len()
                    ));
                }
                if !d.within(LOOSE_RMS, LOOSE_MAX) {
                    f.push(format!(
                        "disagrees with its PCM beyond the loose bounds: {d}"
                    ));
                }
            }
        } else if EDGE_DECODABLE.contains(&stem.as_str()) {
            f.push(if uniform {
                "decoded nothing".into()
            } else {
                "frames of changing sampling frequency or channel count".into()
            });
        }
        println!("{line}");
        failures
            .0
            .extend(f.0.into_iter().map(|m| format!("{stem}: {m}")));
    }
    failures.assert_none("edge-case streams");
}

#[test]
fn symphonia_decodes_a_fixture_through_its_packets() {
    // A self-check of the reference driver: every frame gives 1152 samples per channel, not
    // all zero, and decoding twice gives the same samples.
    let es = read_fixture("mp2_44k_stereo_256k.mp2");
    let frames = mpa::frames_strict(&es).expect("clean fixture");
    let a = symphonia_decode(&es, &frames).expect("symphonia decodes the fixture");
    assert_eq!(a.len_per_channel(), frames.len() * 1152);
    assert!(a.samples.iter().any(|&s| s.abs() > 0.1));
    let b = symphonia_decode(&es, &frames).expect("again");
    assert_eq!(a, b);
}
