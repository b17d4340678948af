//! `wasmpeg decode`: video to YUV4MPEG2, audio to WAV, or both from one pass.

use std::io::{self, IsTerminal};

use anyhow::bail;
use tracing::{debug, info};
use wasmpeg::{AudioFrame, DecoderEvent, Frame};

use crate::cli::{DecodeArgs, GlobalArgs, Sink};
use crate::drive::{self, Flow, Outcome, Streams};
use crate::input::Input;
use crate::output::Destination;
use crate::progress::Progress;
use crate::wav::{SampleFormat, WavWriter};
use crate::y4m::Y4mWriter;

/// Tolerance when comparing accumulated durations with `--seconds` (rounding of the sums).
const SECONDS_EPSILON: f64 = 1e-9;

/// Audio frames decoded before the video frame rate is known are held back (for `--frames`
/// with audio) up to this many seconds; after that they are written without a limit.
const MAX_PENDING_AUDIO_SECONDS: f64 = 30.0;

/// Runs `wasmpeg decode`.
pub fn run(args: &DecodeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let outputs = args.outputs()?;
    if io::stdout().is_terminal() {
        if outputs.video == Some(Sink::Stdout) {
            bail!(
                "refusing to write video to a terminal: redirect standard output or use -o \
                 OUT.y4m"
            );
        }
        if outputs.audio == Some(Sink::Stdout) {
            bail!(
                "refusing to write audio to a terminal: redirect standard output or use -o \
                 OUT.wav"
            );
        }
    }
    let mut input = Input::open(&args.input)?;
    let mut video = outputs.video.as_ref().map(|sink| VideoOut::new(sink, args));
    let format = if args.s16 {
        SampleFormat::S16
    } else {
        SampleFormat::F32
    };
    let mut audio = outputs
        .audio
        .as_ref()
        .map(|sink| AudioOut::new(sink, args, format));
    let streams = Streams {
        video: video.is_some(),
        audio: audio.is_some(),
    };
    let mut progress = Progress::new(!global.quiet);
    let result = drive::run(
        &mut input,
        args.format.container(),
        streams,
        &mut progress,
        |event| {
            match event {
                DecoderEvent::Sequence(seq) => {
                    if let Some(a) = audio.as_mut() {
                        a.video_rate(seq.frame_rate())?;
                    }
                }
                DecoderEvent::Video(frame) => {
                    if let Some(v) = video.as_mut() {
                        v.frame(frame)?;
                    }
                }
                DecoderEvent::Audio(frame) => {
                    if let Some(a) = audio.as_mut() {
                        a.frame(frame)?;
                    }
                }
                _ => {}
            }
            let video_done = video.as_ref().is_none_or(|v| v.done);
            let audio_done = audio.as_ref().is_none_or(|a| a.done);
            Ok(if video_done && audio_done {
                Flow::Stop
            } else {
                Flow::Continue
            })
        },
    );
    // Complete the outputs even after an error, so that what was written has a valid header.
    let video_finished = video.as_mut().map_or(Ok(()), VideoOut::finish);
    let audio_finished = audio.as_mut().map_or(Ok(()), AudioOut::finish);
    let outcome = result?;
    video_finished?;
    audio_finished?;
    outcome.log_summary();
    if let Some(v) = &video {
        v.check(&outcome)?;
    }
    if let Some(a) = &audio {
        a.check(&outcome)?;
    }
    if let Some(v) = &video {
        v.log_written();
    }
    if let Some(a) = &audio {
        a.log_written();
    }
    Ok(())
}

/// `1 audio decoder warning`, `3 video decoder warnings`.
fn warnings(n: u64, kind: &str) -> String {
    format!(
        "{n} {kind} decoder warning{}",
        if n == 1 { "" } else { "s" }
    )
}

/// Logs what went where (`files` counts the numbered files after a format change).
fn log_written(what: &str, sink: &Sink, files: u32) {
    match sink {
        Sink::File(path) if files > 1 => info!(
            "wrote {what} to {} and {} numbered file{} after it",
            path.display(),
            files - 1,
            if files == 2 { "" } else { "s" }
        ),
        Sink::File(path) => info!("wrote {what} to {}", path.display()),
        Sink::Stdout => info!("wrote {what} to standard output"),
        Sink::Null => {}
    }
}

fn destination(sink: &Sink) -> Option<Destination> {
    match sink {
        Sink::Null => None,
        Sink::Stdout => Some(Destination::Stdout),
        Sink::File(path) => Some(Destination::File(path.clone())),
    }
}

/// The video side of a run: the writer (none for `--null`) and the limits.
struct VideoOut {
    writer: Option<Y4mWriter>,
    sink: Sink,
    /// Frames written (or counted, for `--null`).
    frames: u64,
    /// Seconds of video written: the sum of the frames' durations.
    seconds: f64,
    frame_limit: Option<u64>,
    seconds_limit: Option<f64>,
    /// Files written (known after `finish`).
    files: u32,
    /// True when a limit was reached: later frames are ignored.
    done: bool,
}

impl VideoOut {
    fn new(sink: &Sink, args: &DecodeArgs) -> VideoOut {
        VideoOut {
            writer: destination(sink).map(Y4mWriter::new),
            sink: sink.clone(),
            frames: 0,
            seconds: 0.0,
            frame_limit: args.frames,
            seconds_limit: args.seconds,
            files: 0,
            done: false,
        }
    }

    fn frame(&mut self, frame: &Frame) -> anyhow::Result<()> {
        if self.done {
            return Ok(());
        }
        if self
            .seconds_limit
            .is_some_and(|limit| self.seconds >= limit - SECONDS_EPSILON)
        {
            self.done = true;
            return Ok(());
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_frame(frame)?;
        }
        self.frames += 1;
        let (num, den) = frame.sequence.frame_rate();
        self.seconds += f64::from(den) / f64::from(num);
        let seconds_reached = self
            .seconds_limit
            .is_some_and(|limit| self.seconds >= limit - SECONDS_EPSILON);
        if seconds_reached || self.frame_limit.is_some_and(|limit| self.frames >= limit) {
            self.done = true;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        match self.writer.take() {
            Some(w) => {
                self.files = w.files();
                w.finish()
            }
            None => Ok(()),
        }
    }

    /// Fails when no frame could be written.
    fn check(&self, outcome: &Outcome) -> anyhow::Result<()> {
        if self.frames > 0 {
            return Ok(());
        }
        let name = &outcome.name;
        if outcome.saw_video {
            bail!(
                "{name}: no video frame could be decoded ({})",
                warnings(outcome.warnings.video, "video")
            );
        }
        bail!(
            "{name}: no MPEG-1 video stream found in this {} input",
            outcome.container.name()
        );
    }

    fn log_written(&self) {
        log_written(
            &format!("{} video frames", self.frames),
            &self.sink,
            self.files,
        );
    }
}

/// How much audio to write.
#[derive(Clone, Copy, Debug, PartialEq)]
enum AudioLimit {
    /// All of it.
    None,
    /// The first this many seconds.
    Seconds(f64),
    /// `--frames N`: N video frames' worth, once the video frame rate is known.
    VideoFrames(u64),
}

/// The audio side of a run: the writer (none for `--null-audio`) and the limits.
struct AudioOut {
    writer: Option<WavWriter>,
    sink: Sink,
    limit: AudioLimit,
    /// Frames held back until the video frame rate gives the limit.
    pending: Vec<AudioFrame>,
    pending_seconds: f64,
    /// Samples per channel written (or counted, for `--null-audio`).
    samples: u64,
    /// Seconds of audio written.
    seconds: f64,
    /// True when the limit was reached: later frames are ignored.
    done: bool,
    /// Files written (known after `finish`).
    files: u32,
}

impl AudioOut {
    fn new(sink: &Sink, args: &DecodeArgs, format: SampleFormat) -> AudioOut {
        let limit = match (args.seconds, args.frames) {
            (Some(s), _) => AudioLimit::Seconds(s),
            (None, Some(n)) => AudioLimit::VideoFrames(n),
            (None, None) => AudioLimit::None,
        };
        AudioOut {
            writer: destination(sink).map(|d| WavWriter::new(d, format)),
            sink: sink.clone(),
            limit,
            pending: Vec::new(),
            pending_seconds: 0.0,
            samples: 0,
            seconds: 0.0,
            done: false,
            files: 0,
        }
    }

    /// Learns the video frame rate (from a sequence header), which sets the `--frames` limit.
    fn video_rate(&mut self, (num, den): (u32, u32)) -> anyhow::Result<()> {
        if let AudioLimit::VideoFrames(n) = self.limit {
            let seconds = n as f64 * f64::from(den) / f64::from(num.max(1));
            debug!("--frames {n}: writing {seconds:.3} s of audio");
            self.limit = AudioLimit::Seconds(seconds);
            self.flush_pending()?;
        }
        Ok(())
    }

    fn frame(&mut self, frame: &AudioFrame) -> anyhow::Result<()> {
        if self.done {
            return Ok(());
        }
        if let AudioLimit::VideoFrames(_) = self.limit {
            if self.pending_seconds < MAX_PENDING_AUDIO_SECONDS {
                self.pending.push(frame.clone());
                if frame.sample_rate > 0 {
                    self.pending_seconds +=
                        frame.samples_per_channel as f64 / f64::from(frame.sample_rate);
                }
                return Ok(());
            }
            debug!(
                "no video frame rate after {MAX_PENDING_AUDIO_SECONDS} s of audio: writing the \
                 audio without a limit"
            );
            self.limit = AudioLimit::None;
            self.flush_pending()?;
        }
        self.write(frame)
    }

    fn write(&mut self, frame: &AudioFrame) -> anyhow::Result<()> {
        if self.done {
            return Ok(());
        }
        let mut n = frame.samples_per_channel;
        if let AudioLimit::Seconds(limit) = self.limit {
            let remaining = (limit - self.seconds).max(0.0);
            let allowed = (remaining * f64::from(frame.sample_rate)).round();
            if allowed < n as f64 {
                n = allowed as usize;
                self.done = true;
            }
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_frame(frame, n)?;
        }
        if frame.sample_rate > 0 && frame.channels > 0 {
            self.samples += n as u64;
            self.seconds += n as f64 / f64::from(frame.sample_rate);
        }
        if let AudioLimit::Seconds(limit) = self.limit {
            self.done |= self.seconds >= limit - SECONDS_EPSILON;
        }
        Ok(())
    }

    fn flush_pending(&mut self) -> anyhow::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.pending_seconds = 0.0;
        for frame in &pending {
            self.write(frame)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if !self.pending.is_empty() {
            // The video never told its frame rate (there will be an error about the video).
            self.limit = AudioLimit::None;
            self.flush_pending()?;
        }
        match self.writer.take() {
            Some(w) => {
                self.files = w.files();
                w.finish()
            }
            None => Ok(()),
        }
    }

    /// Fails when no sample could be written.
    fn check(&self, outcome: &Outcome) -> anyhow::Result<()> {
        if self.samples > 0 {
            return Ok(());
        }
        let name = &outcome.name;
        if outcome.saw_audio {
            bail!(
                "{name}: no audio frame could be decoded ({})",
                warnings(outcome.warnings.audio, "audio")
            );
        }
        bail!(
            "{name}: no audio stream found in this {} input",
            outcome.container.name()
        );
    }

    fn log_written(&self) {
        log_written(
            &format!("{} samples ({:.3} s) of audio", self.samples, self.seconds),
            &self.sink,
            self.files,
        );
    }
}
