//! The read–push–drain loop shared by `decode` and `probe`.

use std::fmt::Write as _;
use std::time::Duration;

use tracing::{debug, info, warn};
use wasmpeg::decoder::Warning;
use wasmpeg::demux::{DemuxWarning, StreamInfo, StreamKind};
use wasmpeg::{ContainerFormat, Decoder, DecoderConfig, DecoderEvent, Error};

use crate::input::Input;
use crate::progress::Progress;

/// If no container has been recognised after this many bytes, the input is not MPEG.
const DETECT_GIVE_UP_BYTES: u64 = 4 * 1024 * 1024;

/// Decoder warnings logged one by one at `warn` level; later ones go to `debug`.
const WARNINGS_SHOWN: u64 = 20;

/// What the event handler wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep decoding.
    Continue,
    /// Stop reading input now (enough frames).
    Stop,
}

/// Warnings counted by origin.
#[derive(Clone, Copy, Debug, Default)]
pub struct WarningCounts {
    /// Container damage.
    pub demux: u64,
    /// Video bitstream damage.
    pub video: u64,
    /// Audio bitstream damage.
    pub audio: u64,
}

impl WarningCounts {
    /// All warnings.
    pub fn total(self) -> u64 {
        self.demux + self.video + self.audio
    }
}

/// Which elementary streams to decode; the others are skipped after demuxing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streams {
    /// Decode the first video stream.
    pub video: bool,
    /// Decode the first audio stream.
    pub audio: bool,
}

/// How a run went.
#[derive(Debug)]
pub struct Outcome {
    /// The input's name for messages.
    pub name: String,
    /// The container that was read.
    pub container: ContainerFormat,
    /// Bytes read from the input.
    pub bytes: u64,
    /// Video frames the decoder produced (including any the handler did not use).
    pub frames: u64,
    /// Audio frames the decoder produced (including any the handler did not use).
    pub audio_frames: u64,
    /// Seconds of audio the decoder produced.
    pub audio_seconds: f64,
    /// Warnings seen.
    pub warnings: WarningCounts,
    /// True when the handler stopped the run before the end of the input.
    pub stopped_early: bool,
    /// True when a video stream was announced or a sequence header was read.
    pub saw_video: bool,
    /// True when an audio stream was announced or an audio frame was decoded.
    pub saw_audio: bool,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// The streams that were decoded.
    pub streams: Streams,
}

impl Outcome {
    /// Logs the warning count (at `warn` level if any) and the speed (at `info` level).
    pub fn log_summary(&self) {
        let w = self.warnings;
        if w.total() > 0 {
            warn!(
                "{}: {} decoder warning{} ({} container, {} video, {} audio); damaged or \
                 unsupported data was concealed or skipped",
                self.name,
                w.total(),
                if w.total() == 1 { "" } else { "s" },
                w.demux,
                w.video,
                w.audio
            );
        }
        let seconds = self.elapsed.as_secs_f64();
        let rate = |n: u64| {
            if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            }
        };
        let mut decoded = Vec::new();
        if self.streams.video {
            decoded.push(format!(
                "{} video frames ({:.1} fps)",
                self.frames,
                rate(self.frames)
            ));
        }
        if self.streams.audio {
            decoded.push(format!(
                "{} audio frames ({:.1} frames/s, {:.1} s of audio)",
                self.audio_frames,
                rate(self.audio_frames),
                self.audio_seconds
            ));
        }
        info!(
            "{}: {} decoded from {:.1} MB of {} in {seconds:.2} s",
            self.name,
            decoded.join(" and "),
            self.bytes as f64 / 1e6,
            self.container.name()
        );
    }
}

/// The error for input that is not MPEG.
pub fn not_mpeg(name: &str) -> anyhow::Error {
    anyhow::anyhow!("{name}: not an MPEG stream (expected MPEG-TS, MPEG-PS, .m1v or .mp2)")
}

/// Reads `input` in chunks, pushes them into a decoder that decodes `streams` and hands every
/// event to `handle` until the input ends or `handle` returns [`Flow::Stop`]. Warnings are
/// logged and counted here (and passed on too). Fails when the input is not MPEG or cannot be
/// read.
pub fn run(
    input: &mut Input,
    container: Option<ContainerFormat>,
    streams: Streams,
    progress: &mut Progress,
    mut handle: impl FnMut(DecoderEvent<'_>) -> anyhow::Result<Flow>,
) -> anyhow::Result<Outcome> {
    let mut decoder = Decoder::new(DecoderConfig {
        container,
        video: streams.video,
        audio: streams.audio,
        ..DecoderConfig::default()
    });
    let mut state = State {
        name: input.name.clone(),
        bytes: 0,
        frames: 0,
        audio_frames: 0,
        audio_seconds: 0.0,
        warnings: WarningCounts::default(),
        saw_video: false,
        saw_audio: false,
        unknown_container: false,
    };
    let mut buf = Vec::with_capacity(crate::input::CHUNK_SIZE);
    let mut announced = false;
    let mut stopped_early = false;
    'read: loop {
        let more = input.read_chunk(&mut buf)?;
        if more {
            state.bytes += buf.len() as u64;
            decoder.push(&buf);
        } else {
            decoder.finish();
        }
        while let Some(event) = decoder.next_event() {
            let flow = state.observe(event, &mut handle)?;
            if state.unknown_container {
                return Err(not_mpeg(&state.name));
            }
            if flow == Flow::Stop {
                stopped_early = true;
                break 'read;
            }
        }
        match decoder.container() {
            Some(format) if !announced => {
                announced = true;
                info!("{}: container {}", state.name, format.name());
            }
            Some(_) => {}
            None if !more || state.bytes >= DETECT_GIVE_UP_BYTES => {
                return Err(not_mpeg(&state.name));
            }
            None => {}
        }
        progress.update(
            streams.video.then_some(state.frames),
            streams.audio.then_some(state.audio_seconds),
            state.bytes,
        );
        if !more {
            break;
        }
    }
    crate::progress::clear_line();
    let Some(container) = decoder.container() else {
        return Err(not_mpeg(&state.name));
    };
    Ok(Outcome {
        name: state.name,
        container,
        bytes: state.bytes,
        frames: state.frames,
        audio_frames: state.audio_frames,
        audio_seconds: state.audio_seconds,
        warnings: state.warnings,
        stopped_early,
        saw_video: state.saw_video,
        saw_audio: state.saw_audio,
        elapsed: progress.elapsed(),
        streams,
    })
}

struct State {
    name: String,
    bytes: u64,
    frames: u64,
    audio_frames: u64,
    audio_seconds: f64,
    warnings: WarningCounts,
    saw_video: bool,
    saw_audio: bool,
    unknown_container: bool,
}

impl State {
    fn observe(
        &mut self,
        event: DecoderEvent<'_>,
        handle: &mut impl FnMut(DecoderEvent<'_>) -> anyhow::Result<Flow>,
    ) -> anyhow::Result<Flow> {
        match &event {
            DecoderEvent::Stream(info) => {
                self.saw_video |= info.id.kind == StreamKind::Video;
                self.saw_audio |= info.id.kind == StreamKind::Audio;
                info!("{}: found {}", self.name, describe_stream(info));
            }
            DecoderEvent::Sequence(seq) => {
                self.saw_video = true;
                let (n, d) = seq.frame_rate();
                debug!(
                    "{}: sequence header {}x{} at {n}/{d} fps",
                    self.name, seq.width, seq.height
                );
            }
            DecoderEvent::Gop(_) => {}
            DecoderEvent::Video(_) => self.frames += 1,
            DecoderEvent::Audio(frame) => {
                self.saw_audio = true;
                self.audio_frames += 1;
                if frame.sample_rate > 0 {
                    self.audio_seconds +=
                        frame.samples_per_channel as f64 / f64::from(frame.sample_rate);
                }
            }
            DecoderEvent::Warning(w) => {
                if is_unknown_container(w) {
                    self.unknown_container = true;
                    return Ok(Flow::Stop);
                }
                match w {
                    Warning::Demux(_) => self.warnings.demux += 1,
                    Warning::Video(_) => self.warnings.video += 1,
                    Warning::Audio(_) => self.warnings.audio += 1,
                }
                let n = self.warnings.total();
                let text = describe_warning(w);
                let at = self.bytes;
                if n <= WARNINGS_SHOWN {
                    warn!("{text} (after reading {at} bytes)");
                    if n == WARNINGS_SHOWN {
                        warn!("further decoder warnings are only shown with -vv");
                    }
                } else {
                    debug!("{text} (after reading {at} bytes)");
                }
            }
        }
        handle(event)
    }
}

/// True for the decoder's "this is not a container I know" signal.
fn is_unknown_container(w: &Warning) -> bool {
    matches!(
        w,
        Warning::Demux(DemuxWarning::UnknownContainer)
            | Warning::Video(Error::UnknownContainer)
            | Warning::Audio(Error::UnknownContainer)
    )
}

/// A one-line description of a stream.
pub fn describe_stream(info: &StreamInfo) -> String {
    let kind = match info.id.kind {
        StreamKind::Video => "video",
        StreamKind::Audio => "audio",
    };
    let mut text = format!("{kind} stream");
    if let Some(pid) = info.id.pid {
        let _ = write!(text, ", PID {pid} (0x{pid:04x})");
    }
    let _ = write!(text, ", stream id 0x{:02x}", info.id.stream_id);
    if let Some(t) = info.stream_type {
        let _ = write!(text, ", stream type 0x{t:02x}");
    }
    if let Some(p) = info.program {
        let _ = write!(text, ", program {p}");
    }
    text
}

/// A one-line description of a decoder warning.
pub fn describe_warning(w: &Warning) -> String {
    match w {
        Warning::Demux(d) => match d {
            DemuxWarning::Resync { skipped } => {
                format!("skipped {skipped} bytes of damaged container data")
            }
            DemuxWarning::ContinuityError {
                pid,
                expected,
                found,
            } => format!(
                "TS packets lost on PID {pid}: continuity counter {found}, expected {expected}"
            ),
            DemuxWarning::TransportError { pid } => {
                format!("dropped a TS packet marked as damaged on PID {pid}")
            }
            DemuxWarning::MalformedHeader => {
                "dropped a malformed PES header or PSI section".to_owned()
            }
            other => format!("container damage: {other:?}"),
        },
        Warning::Video(e) => format!("video: {e}"),
        Warning::Audio(e) => format!("audio: {e}"),
    }
}
