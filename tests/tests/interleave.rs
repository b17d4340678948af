//! Two sources on one transport stream, as a relay makes when one ffmpeg sends the video and
//! another the audio (JSMpeg's README suggests exactly that; JSMpeg issue #319 reports the
//! corruption it causes there). Both ffmpeg processes put their only stream on PID 0x100 and
//! send their own, conflicting PAT and PMT. Interleaved chunk-wise, each elementary stream must
//! still come out byte for byte, with the same timestamps, as when its file is demuxed alone,
//! and the decoder must give the same pictures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmpeg::demux::{DemuxEvent, Demuxer, StreamKind};
use wasmpeg_tests::decode::{decode_bytes, Chunking};

const PACKET: usize = 188;

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interleave");
    std::fs::create_dir_all(&dir).expect("create the test's temporary folder");
    dir
}

/// Runs ffmpeg with `args`, writing `name` in the work folder, and returns the file.
fn ffmpeg(name: &str, args: &[&str]) -> Vec<u8> {
    let out = work_dir().join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg must be installed (the test command installs it: scripts/test.sh)");
    assert!(status.success(), "ffmpeg failed to make {name}");
    std::fs::read(&out).expect("read ffmpeg's output")
}

/// The two source files, made once: the tests run in parallel and would otherwise rewrite the
/// same files while the other test reads them.
fn sources() -> (Vec<u8>, Vec<u8>) {
    static SOURCES: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    SOURCES.get_or_init(make_sources).clone()
}

fn make_sources() -> (Vec<u8>, Vec<u8>) {
    let video = ffmpeg(
        "video.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=176x144:r=25:d=2",
            "-c:v",
            "mpeg1video",
            "-bf",
            "2",
            "-threads",
            "1",
            "-f",
            "mpegts",
        ],
    );
    let audio = ffmpeg(
        "audio.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=2",
            "-c:a",
            "mp2",
            "-b:a",
            "128k",
            "-f",
            "mpegts",
        ],
    );
    for (what, data) in [("video", &video), ("audio", &audio)] {
        // The point of the test: both sources use PID 0x100.
        let pids: Vec<u16> = data
            .chunks(PACKET)
            .map(|p| u16::from_be_bytes([p[1] & 0x1F, p[2]]))
            .filter(|&pid| pid != 0 && pid != 0x1000 && pid != 0x11 && pid != 0x1FFF)
            .collect();
        assert!(
            !pids.is_empty() && pids.iter().all(|&p| p == 0x100),
            "{what} is not on PID 0x100"
        );
    }
    (video, audio)
}

/// Per stream kind: the concatenated payload and the timestamps of every PES start.
type Streams = BTreeMap<&'static str, (Vec<u8>, Vec<(Option<u64>, Option<u64>)>)>;

fn demux(data: &[u8], push_size: usize) -> (Streams, usize) {
    let mut demuxer = Demuxer::new(None);
    let mut streams = Streams::new();
    let mut warnings = 0;
    let mut take = |demuxer: &mut Demuxer| {
        while let Some(event) = demuxer.next_event() {
            match event {
                DemuxEvent::Packet(p) => {
                    let kind = match p.stream.kind {
                        StreamKind::Video => "video",
                        StreamKind::Audio => "audio",
                    };
                    let entry = streams.entry(kind).or_default();
                    entry.0.extend_from_slice(&p.data);
                    if p.unit_start {
                        entry.1.push((p.pts, p.dts));
                    }
                }
                DemuxEvent::Warning(_) => warnings += 1,
                _ => {}
            }
        }
    };
    for piece in data.chunks(push_size) {
        demuxer.push(piece);
        take(&mut demuxer);
    }
    demuxer.finish();
    take(&mut demuxer);
    (streams, warnings)
}

/// A small deterministic generator for chunk sizes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// The packets of a file grouped into PES: each group starts at a payload_unit_start packet of
/// PID 0x100 (what a relay forwarding one muxer write at a time sends).
fn pes_groups(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    for (i, p) in data.chunks(PACKET).enumerate() {
        let pid = u16::from_be_bytes([p[1] & 0x1F, p[2]]);
        if i > 0 && pid == 0x100 && p[1] & 0x40 != 0 {
            starts.push(i * PACKET);
        }
    }
    starts.push(data.len());
    starts.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

/// Alternates runs of `a`'s and `b`'s units (`run` gives each run's length in units).
fn interleave(a: &[&[u8]], b: &[&[u8]], mut run: impl FnMut() -> usize) -> Vec<u8> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        for unit in a.iter().skip(i).take(run()) {
            out.extend_from_slice(unit);
            i += 1;
        }
        for unit in b.iter().skip(j).take(run()) {
            out.extend_from_slice(unit);
            j += 1;
        }
    }
    out
}

fn check(mixed: &[u8], alone: &Streams, what: &str) {
    let (streams, warnings) = demux(mixed, 4096);
    assert_eq!(warnings, 0, "{what}: warnings while demuxing");
    assert_eq!(
        streams.keys().copied().collect::<Vec<_>>(),
        ["audio", "video"],
        "{what}"
    );
    for (kind, (payload, timestamps)) in alone {
        let (got_payload, got_timestamps) = &streams[kind];
        assert!(
            got_payload == payload,
            "{what}: the {kind} payload differs from the {kind} file demuxed alone"
        );
        assert_eq!(got_timestamps, timestamps, "{what}: {kind} timestamps");
    }
}

#[test]
fn two_sources_on_one_pid_demux_as_if_alone() {
    let (video, audio) = sources();
    let (mut alone, _) = demux(&video, 4096);
    let (audio_alone, _) = demux(&audio, 4096);
    alone.extend(audio_alone);
    assert_eq!(
        alone.keys().copied().collect::<Vec<_>>(),
        ["audio", "video"]
    );

    let mut rng = Lcg(2026);
    // Whole PES at a time, in runs of 1 to 3.
    for trial in 0..10 {
        let mixed = interleave(&pes_groups(&video), &pes_groups(&audio), || {
            1 + rng.below(3)
        });
        check(&mixed, &alone, &format!("whole-PES interleaving {trial}"));
    }
    // Runs of 10 to 100 packets, whatever the PES boundaries.
    let video_packets: Vec<&[u8]> = video.chunks(PACKET).collect();
    let audio_packets: Vec<&[u8]> = audio.chunks(PACKET).collect();
    for trial in 0..10 {
        let mixed = interleave(&video_packets, &audio_packets, || 10 + rng.below(91));
        check(
            &mixed,
            &alone,
            &format!("10-100 packet interleaving {trial}"),
        );
    }
}

#[test]
fn two_sources_on_one_pid_decode_to_the_same_pictures() {
    let (video, audio) = sources();
    let reference = decode_bytes(&video, Chunking::Whole);
    assert_eq!(reference.frames.len(), 50);
    let mut rng = Lcg(7);
    let mixed = interleave(&pes_groups(&video), &pes_groups(&audio), || {
        1 + rng.below(3)
    });
    let decoded = decode_bytes(&mixed, Chunking::Fixed(1316));
    assert_eq!(decoded.frames.len(), reference.frames.len());
    assert_eq!(decoded.warnings, 0);
    for (i, (got, want)) in decoded.frames.iter().zip(&reference.frames).enumerate() {
        assert!(got.yuv == want.yuv, "frame {i} differs");
        assert_eq!(got.pts, want.pts, "frame {i} PTS");
    }
}
