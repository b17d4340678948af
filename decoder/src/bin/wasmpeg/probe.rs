//! `wasmpeg probe`: describe a stream.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value};
use wasmpeg::audio::{ChannelMode, FrameHeader, Layer, Version};
use wasmpeg::demux::{StreamInfo, StreamKind};
use wasmpeg::video::{GopHeader, SequenceHeader};
use wasmpeg::{AudioFrame, DecoderEvent, Frame, PictureType, PTS_CLOCK_HZ};

use crate::cli::{GlobalArgs, ProbeArgs};
use crate::drive::{self, Flow, Outcome, Streams};
use crate::input::Input;
use crate::progress::Progress;
use crate::rational::{display_aspect, sample_aspect};
use crate::StdoutClosed;

/// PTS values wrap around at 2^33 ticks.
const PTS_MODULO: i64 = 1 << 33;

/// At most this many pictures of the first GOP are kept for its description.
const GOP_MAX_PICTURES: usize = 4096;

/// Runs `wasmpeg probe`.
pub fn run(args: &ProbeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut input = Input::open(&args.input)?;
    let limit_ticks = args
        .limit_seconds
        .map(|s| (s * PTS_CLOCK_HZ as f64).min(i64::MAX as f64) as i64);
    let mut stats = Stats {
        limit_ticks,
        limit_seconds: args.limit_seconds,
        ..Stats::default()
    };
    let mut progress = Progress::new(!global.quiet);
    let streams = Streams {
        video: true,
        audio: true,
    };
    let outcome = drive::run(
        &mut input,
        args.format.container(),
        streams,
        &mut progress,
        |event| Ok(stats.observe(&event)),
    )?;
    outcome.log_summary();
    let report = Report {
        file: &args.input,
        outcome: &outcome,
        stats: &stats,
    };
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report.json())?;
        s.push('\n');
        s
    } else {
        report.text()
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                anyhow::Error::new(StdoutClosed)
            } else {
                anyhow::Error::new(e).context("stdout")
            }
        })
}

/// Everything gathered from the decoder's events.
#[derive(Debug, Default)]
struct Stats {
    streams: Vec<StreamInfo>,
    first_sequence: Option<SequenceHeader>,
    sequence_headers: u64,
    sizes: Vec<(u32, u32)>,
    frames: u64,
    pictures: [u64; 4],
    first_pts: Option<u64>,
    last_pts: Option<u64>,
    /// Unwrapped PTS of the previous frame, and the smallest and largest unwrapped PTS.
    prev_unwrapped: i64,
    min_unwrapped: i64,
    max_unwrapped: i64,
    last_frame_ticks: u64,
    first_gop_header: Option<GopHeader>,
    gop: GopTracker,
    audio: AudioStats,
    /// `--limit-seconds` as 90 kHz ticks (video) and as seconds (audio).
    limit_ticks: Option<i64>,
    limit_seconds: Option<f64>,
    /// The video went past `--limit-seconds`: later frames are not counted.
    video_over: bool,
    /// The audio went past `--limit-seconds`: later frames are not counted.
    audio_over: bool,
    /// A video (audio) stream was announced or decoded.
    has_video: bool,
    has_audio: bool,
}

impl Stats {
    fn observe(&mut self, event: &DecoderEvent<'_>) -> Flow {
        match event {
            DecoderEvent::Stream(info) => {
                if !self.streams.contains(info) {
                    self.streams.push(*info);
                }
                match info.id.kind {
                    StreamKind::Video => self.has_video = true,
                    StreamKind::Audio => self.has_audio = true,
                }
            }
            DecoderEvent::Sequence(seq) => {
                self.has_video = true;
                self.sequence_headers += 1;
                if self.first_sequence.is_none() {
                    self.first_sequence = Some((*seq).clone());
                }
            }
            DecoderEvent::Gop(gop) => {
                if self.first_gop_header.is_none() {
                    self.first_gop_header = Some(*gop);
                }
            }
            DecoderEvent::Video(frame) => {
                self.has_video = true;
                self.frame(frame);
            }
            DecoderEvent::Audio(frame) => {
                self.has_audio = true;
                self.audio_frame(frame);
            }
            DecoderEvent::Warning(_) => {}
        }
        // Stop when every stream present has gone past --limit-seconds.
        let over = (self.video_over || !self.has_video) && (self.audio_over || !self.has_audio);
        if over && (self.video_over || self.audio_over) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn audio_frame(&mut self, frame: &AudioFrame) {
        if self.audio_over {
            return;
        }
        if self
            .limit_seconds
            .is_some_and(|limit| self.audio.frames > 0 && self.audio.seconds >= limit)
        {
            self.audio_over = true;
            return;
        }
        self.audio.frame(frame);
    }

    fn frame(&mut self, frame: &Frame) {
        if self.video_over {
            return;
        }
        let raw = frame.pts & (PTS_MODULO as u64 - 1);
        let unwrapped = match self.last_pts {
            None => raw as i64,
            Some(prev) => {
                let delta = (raw as i64 - prev as i64).rem_euclid(PTS_MODULO);
                let delta = if delta >= PTS_MODULO / 2 {
                    delta - PTS_MODULO
                } else {
                    delta
                };
                self.prev_unwrapped + delta
            }
        };
        if let (Some(limit), Some(_)) = (self.limit_ticks, self.first_pts) {
            if unwrapped - self.min_unwrapped >= limit {
                self.video_over = true;
                return;
            }
        }
        if self.first_pts.is_none() {
            self.first_pts = Some(raw);
            self.min_unwrapped = unwrapped;
            self.max_unwrapped = unwrapped;
        }
        self.min_unwrapped = self.min_unwrapped.min(unwrapped);
        self.max_unwrapped = self.max_unwrapped.max(unwrapped);
        self.prev_unwrapped = unwrapped;
        self.last_pts = Some(raw);
        self.last_frame_ticks = frame.sequence.frame_duration_ticks();
        self.frames += 1;
        self.pictures[picture_index(frame.picture_type)] += 1;
        let size = (frame.width, frame.height);
        if !self.sizes.contains(&size) {
            self.sizes.push(size);
        }
        self.gop.frame(frame);
    }

    /// Seconds from the first to the last PTS plus one frame.
    fn duration(&self) -> Option<f64> {
        self.first_pts?;
        let ticks = (self.max_unwrapped - self.min_unwrapped) as f64 + self.last_frame_ticks as f64;
        Some(ticks / PTS_CLOCK_HZ as f64)
    }
}

/// What the audio frames said.
#[derive(Debug, Default)]
struct AudioStats {
    /// The first decoded frame's header.
    header: Option<FrameHeader>,
    frames: u64,
    /// Samples per channel.
    samples: u64,
    seconds: f64,
    first_pts: Option<u64>,
    last_pts: Option<u64>,
    /// Every (sample rate, channels) seen, in order.
    formats: Vec<(u32, u8)>,
    /// Bit rate of the first frame with a header (kbit/s, 0 = free format).
    first_bitrate: Option<u32>,
    /// True when a frame's bit rate differs from the first one's.
    bitrate_varies: bool,
}

impl AudioStats {
    fn frame(&mut self, frame: &AudioFrame) {
        if let Some(h) = frame.header {
            if self.header.is_none() {
                self.header = Some(h);
            }
            match self.first_bitrate {
                None => self.first_bitrate = Some(h.bitrate_kbps),
                Some(first) => self.bitrate_varies |= first != h.bitrate_kbps,
            }
        }
        self.frames += 1;
        self.samples += frame.samples_per_channel as u64;
        if frame.sample_rate > 0 {
            self.seconds += frame.samples_per_channel as f64 / f64::from(frame.sample_rate);
        }
        if self.first_pts.is_none() {
            self.first_pts = Some(frame.pts);
        }
        self.last_pts = Some(frame.pts);
        let format = (frame.sample_rate, frame.channels);
        if !self.formats.contains(&format) {
            self.formats.push(format);
        }
    }

    /// Sample rate and channels of the first frame.
    fn first_format(&self) -> (u32, u8) {
        self.formats.first().copied().unwrap_or_default()
    }

    fn version(&self) -> Option<&'static str> {
        self.header.map(|h| match h.version {
            Version::Mpeg1 => "MPEG-1",
            Version::Mpeg2Lsf => "MPEG-2 LSF",
        })
    }

    fn layer(&self) -> Option<u8> {
        self.header.map(|h| match h.layer {
            Layer::I => 1,
            Layer::II => 2,
            Layer::III => 3,
        })
    }

    fn mode(&self) -> Option<&'static str> {
        self.header.map(|h| match h.mode {
            ChannelMode::Stereo => "stereo",
            ChannelMode::JointStereo { .. } => "joint_stereo",
            ChannelMode::DualChannel => "dual_channel",
            ChannelMode::Mono => "mono",
        })
    }

    fn intensity_bound(&self) -> Option<u8> {
        match self.header?.mode {
            ChannelMode::JointStereo { bound } => Some(bound),
            _ => None,
        }
    }

    /// Bits per second, `None` for free format (or without a header).
    fn bit_rate(&self) -> Option<u64> {
        self.header
            .filter(|h| h.bitrate_kbps > 0)
            .map(|h| u64::from(h.bitrate_kbps) * 1000)
    }

    fn emphasis(&self) -> Option<&'static str> {
        self.header.map(|h| match h.emphasis {
            0 => "none",
            1 => "50/15us",
            3 => "ccitt_j17",
            _ => "reserved",
        })
    }

    /// The text report's description of the first frame, e.g. `MPEG-1 Layer II, 44100 Hz,
    /// stereo (2 channels)`.
    fn summary(&self) -> String {
        let (rate, channels) = self.first_format();
        let mut t = String::new();
        if let (Some(version), Some(h)) = (self.version(), self.header) {
            let layer = match h.layer {
                Layer::I => "I",
                Layer::II => "II",
                Layer::III => "III",
            };
            let _ = write!(t, "{version} Layer {layer}, ");
        }
        let _ = write!(t, "{rate} Hz, ");
        let mode = match self.header.map(|h| h.mode) {
            Some(ChannelMode::Stereo) => "stereo".to_owned(),
            Some(ChannelMode::JointStereo { bound }) => {
                format!("joint stereo (intensity stereo from subband {bound})")
            }
            Some(ChannelMode::DualChannel) => "dual channel".to_owned(),
            Some(ChannelMode::Mono) => "mono".to_owned(),
            None => String::new(),
        };
        let plural = if channels == 1 { "" } else { "s" };
        if mode.is_empty() {
            let _ = write!(t, "{channels} channel{plural}");
        } else {
            let _ = write!(t, "{mode}, {channels} channel{plural}");
        }
        if self.formats.len() > 1 {
            let seen: Vec<String> = self
                .formats
                .iter()
                .map(|(r, c)| format!("{r} Hz {c} ch"))
                .collect();
            let _ = write!(t, " (formats seen: {})", seen.join(", "));
        }
        t
    }
}

fn picture_index(t: PictureType) -> usize {
    match t {
        PictureType::I => 0,
        PictureType::P => 1,
        PictureType::B => 2,
        PictureType::D => 3,
    }
}

/// Collects the picture types of the first GOP in display order: the group ends where
/// `temporal_reference` (which counts up from 0 in display order within a GOP) starts again.
#[derive(Debug, Default)]
struct GopTracker {
    types: Vec<PictureType>,
    prev_temporal_reference: Option<u16>,
    done: bool,
}

impl GopTracker {
    fn frame(&mut self, frame: &Frame) {
        if self.done {
            return;
        }
        if self
            .prev_temporal_reference
            .is_some_and(|prev| frame.temporal_reference <= prev)
        {
            self.done = true;
            return;
        }
        self.prev_temporal_reference = Some(frame.temporal_reference);
        if self.types.len() < GOP_MAX_PICTURES {
            self.types.push(frame.picture_type);
        }
    }

    fn display_order(&self) -> String {
        self.types.iter().map(|t| t.letter()).collect()
    }

    /// Each I or P picture is sent before the B pictures displayed just before it.
    fn coded_order(&self) -> String {
        let mut coded = String::with_capacity(self.types.len());
        let mut waiting_b = String::new();
        for t in &self.types {
            if *t == PictureType::B {
                waiting_b.push('B');
            } else {
                coded.push(t.letter());
                coded.push_str(&waiting_b);
                waiting_b.clear();
            }
        }
        coded + &waiting_b
    }

    /// The distance between I/P pictures: one more than the longest run of B pictures.
    fn m(&self) -> usize {
        let mut longest = 0;
        let mut run = 0;
        for t in &self.types {
            if *t == PictureType::B {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
        longest + 1
    }
}

/// The probe result, printable as text or JSON.
struct Report<'a> {
    file: &'a str,
    outcome: &'a Outcome,
    stats: &'a Stats,
}

fn kind_name(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Video => "video",
        StreamKind::Audio => "audio",
    }
}

impl Report<'_> {
    fn complete(&self) -> bool {
        !self.outcome.stopped_early && !self.stats.video_over && !self.stats.audio_over
    }

    fn audio_json(&self) -> Value {
        let a = &self.stats.audio;
        if a.frames == 0 {
            return Value::Null;
        }
        let (rate, channels) = a.first_format();
        let formats: Vec<Value> = a
            .formats
            .iter()
            .map(|(r, c)| json!({"sample_rate": r, "channels": c}))
            .collect();
        json!({
            "version": a.version(),
            "layer": a.layer(),
            "sample_rate": rate,
            "channels": channels,
            "mode": a.mode(),
            "intensity_bound": a.intensity_bound(),
            "bit_rate": a.bit_rate(),
            "free_format": a.header.is_some_and(|h| h.bitrate_kbps == 0),
            "variable_bit_rate": a.bitrate_varies,
            "crc": a.header.map(|h| h.has_crc),
            "emphasis": a.emphasis(),
            "frames": a.frames,
            "samples": a.samples,
            "duration": a.seconds,
            "first_pts": a.first_pts,
            "last_pts": a.last_pts,
            "formats": formats,
        })
    }

    fn json(&self) -> Value {
        let s = self.stats;
        let streams: Vec<Value> = s
            .streams
            .iter()
            .map(|info| {
                json!({
                    "kind": kind_name(info.id.kind),
                    "pid": info.id.pid,
                    "stream_id": info.id.stream_id,
                    "stream_type": info.stream_type,
                    "program": info.program,
                })
            })
            .collect();
        let video = s.first_sequence.as_ref().map(|seq| {
            let sar = sample_aspect(seq);
            let dar = display_aspect(seq);
            let (rate_num, rate_den) = seq.frame_rate();
            let gop = (!s.gop.types.is_empty()).then(|| {
                json!({
                    "display_order": s.gop.display_order(),
                    "coded_order": s.gop.coded_order(),
                    "n": s.gop.types.len(),
                    "m": s.gop.m(),
                    "closed": s.first_gop_header.map(|g| g.closed_gop),
                    "broken_link": s.first_gop_header.map(|g| g.broken_link),
                })
            });
            json!({
                "width": seq.width,
                "height": seq.height,
                "display_aspect_ratio": dar.to_string(),
                "display_aspect_ratio_value": dar.value(),
                "sample_aspect_ratio": sar.to_string(),
                "sample_aspect_ratio_value": sar.value(),
                "frame_rate": format!("{rate_num}:{rate_den}"),
                "frame_rate_value": seq.frame_rate_f64(),
                "bit_rate": seq.bit_rate_bps(),
                "variable_bit_rate": seq.bit_rate_bps().is_none(),
                "frames": s.frames,
                "duration": s.duration(),
                "first_pts": s.first_pts,
                "last_pts": s.last_pts,
                "pictures": {
                    "I": s.pictures[0],
                    "P": s.pictures[1],
                    "B": s.pictures[2],
                    "D": s.pictures[3],
                },
                "gop": gop,
                "sequence_headers": s.sequence_headers,
                "sizes": s.sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect::<Vec<_>>(),
            })
        });
        json!({
            "file": self.file,
            "container": self.outcome.container.name(),
            "streams": streams,
            "video": video,
            "audio": self.audio_json(),
            "warnings": self.outcome.warnings.total(),
            "warnings_by_origin": {
                "container": self.outcome.warnings.demux,
                "video": self.outcome.warnings.video,
                "audio": self.outcome.warnings.audio,
            },
            "complete": self.complete(),
        })
    }

    fn text(&self) -> String {
        let s = self.stats;
        let mut t = String::new();
        let mut line = |label: &str, value: &str| {
            let _ = writeln!(t, "{label:<18}{value}");
        };
        line("file:", self.file);
        line("container:", self.outcome.container.name());
        if s.streams.is_empty() {
            line("streams:", "none");
        }
        for (i, info) in s.streams.iter().enumerate() {
            let label = if i == 0 { "streams:" } else { "" };
            line(label, &stream_text(info));
        }
        match &s.first_sequence {
            None => line("video:", "none"),
            Some(seq) => {
                let sizes: Vec<String> = s.sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
                let mut size = format!("{}x{}", seq.width, seq.height);
                if sizes.len() > 1 {
                    let _ = write!(size, " (sizes seen: {})", sizes.join(", "));
                }
                line("video size:", &size);
                let dar = display_aspect(seq);
                let sar = sample_aspect(seq);
                line(
                    "aspect ratio:",
                    &format!(
                        "{dar} display ({:.4}), {sar} sample ({:.4})",
                        dar.value(),
                        sar.value()
                    ),
                );
                let (n, d) = seq.frame_rate();
                line(
                    "frame rate:",
                    &format!("{} fps ({n}:{d})", trim_float(seq.frame_rate_f64())),
                );
                let bit_rate = match seq.bit_rate_bps() {
                    Some(bps) => format!("{} kbit/s", trim_float(bps as f64 / 1000.0)),
                    None => "variable".to_owned(),
                };
                line("bit rate:", &bit_rate);
                let duration = match s.duration() {
                    Some(d) => format!("{d:.3} s ({} frames)", s.frames),
                    None => "unknown (no frames decoded)".to_owned(),
                };
                line("duration:", &duration);
                if !s.gop.types.is_empty() {
                    let mut gop = format!(
                        "{} (display order), {} (coded order), N={} M={}",
                        abbreviate(&s.gop.display_order()),
                        abbreviate(&s.gop.coded_order()),
                        s.gop.types.len(),
                        s.gop.m()
                    );
                    if let Some(h) = s.first_gop_header {
                        gop += if h.closed_gop { ", closed" } else { ", open" };
                        if h.broken_link {
                            gop += ", broken link";
                        }
                    }
                    line("first GOP:", &gop);
                }
                line("sequence headers:", &s.sequence_headers.to_string());
                line(
                    "pictures:",
                    &format!(
                        "I {}, P {}, B {}, D {}",
                        s.pictures[0], s.pictures[1], s.pictures[2], s.pictures[3]
                    ),
                );
            }
        }
        let a = &s.audio;
        if a.frames == 0 {
            line("audio:", "none");
        } else {
            line("audio:", &a.summary());
            let mut rate = match (a.header, a.bit_rate()) {
                (None, _) => "unknown".to_owned(),
                (Some(_), None) => "free format".to_owned(),
                (Some(_), Some(bps)) => format!("{} kbit/s", trim_float(bps as f64 / 1000.0)),
            };
            if a.bitrate_varies {
                rate += " (varies)";
            }
            if let Some(h) = a.header {
                rate += if h.has_crc { ", CRC" } else { ", no CRC" };
                match a.emphasis() {
                    Some("none") | None => {}
                    Some(e) => {
                        let _ = write!(rate, ", emphasis {e}");
                    }
                }
            }
            line("audio bit rate:", &rate);
            line(
                "audio duration:",
                &format!(
                    "{:.3} s ({} frames, {} samples)",
                    a.seconds, a.frames, a.samples
                ),
            );
        }
        let w = self.outcome.warnings;
        let warnings = if w.total() == 0 {
            "0".to_owned()
        } else {
            format!(
                "{} ({} container, {} video, {} audio)",
                w.total(),
                w.demux,
                w.video,
                w.audio
            )
        };
        line("warnings:", &warnings);
        if !self.complete() {
            line(
                "note:",
                "decoding was stopped early; counts cover only the part read",
            );
        }
        t
    }
}

fn stream_text(info: &StreamInfo) -> String {
    let mut t = kind_name(info.id.kind).to_owned();
    if let Some(pid) = info.id.pid {
        let _ = write!(t, "  PID {pid} (0x{pid:04x})");
    }
    let _ = write!(t, "  stream id 0x{:02x}", info.id.stream_id);
    if let Some(st) = info.stream_type {
        let _ = write!(t, "  stream type 0x{st:02x}");
    }
    if let Some(p) = info.program {
        let _ = write!(t, "  program {p}");
    }
    t
}

/// Long picture-type strings shortened for the text report (JSON has them whole).
fn abbreviate(types: &str) -> String {
    const KEEP: usize = 48;
    if types.chars().count() <= KEEP {
        types.to_owned()
    } else {
        types.chars().take(KEEP).chain("...".chars()).collect()
    }
}

/// `25` rather than `25.000`, `29.97` rather than `29.970029...`.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gop(types: &str) -> GopTracker {
        GopTracker {
            types: types
                .chars()
                .map(|c| match c {
                    'I' => PictureType::I,
                    'P' => PictureType::P,
                    'B' => PictureType::B,
                    _ => PictureType::D,
                })
                .collect(),
            prev_temporal_reference: None,
            done: true,
        }
    }

    #[test]
    fn coded_order_moves_anchors_ahead() {
        assert_eq!(gop("IBBPBBPBBP").coded_order(), "IPBBPBBPBB");
        assert_eq!(gop("BBIBBPBBPBBP").coded_order(), "IBBPBBPBBPBB");
        assert_eq!(gop("IPPP").coded_order(), "IPPP");
        assert_eq!(gop("IBB").coded_order(), "IBB");
        assert_eq!(gop("IBBPBBPBBP").m(), 3);
        assert_eq!(gop("IPPP").m(), 1);
    }

    #[test]
    fn float_trimming() {
        assert_eq!(trim_float(25.0), "25");
        assert_eq!(trim_float(30_000.0 / 1001.0), "29.97");
        assert_eq!(trim_float(1150.0), "1150");
    }
}
