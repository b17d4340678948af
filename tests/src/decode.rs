//! Decoding with wasmpeg: pictures into the frame layout of [`YuvFrame`], audio frames into
//! interleaved samples.

use std::sync::mpsc;
use std::time::Duration;

use wasmpeg::audio::{AudioDecoder, AudioEvent, FrameHeader};
use wasmpeg::decoder::Warning;
use wasmpeg::{AudioFrame, Decoder, DecoderConfig, DecoderEvent, Error, Frame, PictureType};

use crate::pcm::Pcm;
use crate::yuv::YuvFrame;
use crate::Lcg;

/// How long a decode may take before the test calls it stuck. Generous: the largest fixture
/// decodes in well under a second.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How the input is cut into `push` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// One `push` with the whole input.
    Whole,
    /// Chunks of this many bytes (the last one shorter).
    Fixed(usize),
    /// Chunks of pseudo-random sizes in `1..=max`, from the given seed.
    Random {
        /// Seed of the sizes.
        seed: u64,
        /// Largest chunk.
        max: usize,
    },
}

impl Chunking {
    /// The chunk lengths for an input of `len` bytes.
    pub fn lengths(self, len: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = len;
        let mut rng = match self {
            Chunking::Random { seed, .. } => Some(Lcg::new(seed)),
            _ => None,
        };
        while left > 0 {
            let n = match self {
                Chunking::Whole => left,
                Chunking::Fixed(n) => n.max(1),
                Chunking::Random { max, .. } => {
                    1 + rng.as_mut().expect("random chunking").below(max.max(1))
                }
            };
            let n = n.min(left);
            out.push(n);
            left -= n;
        }
        out
    }
}

/// One frame decoded by wasmpeg, with the fields the tests look at.
#[derive(Clone, Debug)]
pub struct DecodedFrame {
    /// The cropped picture.
    pub yuv: YuvFrame,
    /// `Frame::picture_type`.
    pub picture_type: PictureType,
    /// `Frame::temporal_reference`.
    pub temporal_reference: u16,
    /// `Frame::pts` (90 kHz).
    pub pts: u64,
    /// `Frame::pts_from_stream`.
    pub pts_from_stream: bool,
    /// `picture_rate` code of the sequence header in force.
    pub frame_rate_code: u8,
}

/// One audio frame decoded by wasmpeg.
#[derive(Clone, Debug)]
pub struct DecodedAudioFrame {
    /// `AudioFrame::sample_rate`.
    pub sample_rate: u32,
    /// `AudioFrame::channels`.
    pub channels: usize,
    /// `AudioFrame::samples_per_channel`.
    pub samples_per_channel: usize,
    /// The samples, interleaved (from `AudioFrame::write_interleaved`).
    pub samples: Vec<f32>,
    /// `AudioFrame::pts` (90 kHz).
    pub pts: u64,
    /// `AudioFrame::pts_from_stream`.
    pub pts_from_stream: bool,
    /// `AudioFrame::header`.
    pub header: Option<FrameHeader>,
    /// What is inconsistent in the frame's buffers, if anything (see
    /// [`audio_frame_to_decoded`]); the audio tests fail on it, the video tests ignore it.
    pub layout_error: Option<String>,
}

/// Which kind of frame came out (to check the order of video and audio events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// A `DecoderEvent::Video`.
    Video,
    /// A `DecoderEvent::Audio`.
    Audio,
}

/// Everything wasmpeg said about one input.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// The frames in the order they came out (display order).
    pub frames: Vec<DecodedFrame>,
    /// Number of `DecoderEvent::Warning`s other than audio ones (container and video damage).
    pub warnings: usize,
    /// Number of `DecoderEvent::Sequence`s.
    pub sequences: usize,
    /// Number of `DecoderEvent::Gop`s.
    pub gops: usize,
    /// The audio frames in the order they came out.
    pub audio: Vec<DecodedAudioFrame>,
    /// The audio warnings (`Warning::Audio`), in order; not counted in `warnings`.
    pub audio_warnings: Vec<Error>,
    /// The kinds of the frames (video and audio) in the order they came out.
    pub order: Vec<MediaKind>,
}

impl Decoded {
    /// The pictures only.
    pub fn yuv(&self) -> Vec<YuvFrame> {
        self.frames.iter().map(|f| f.yuv.clone()).collect()
    }

    /// All audio samples, interleaved, as one buffer. Panics if the sample rate or the channel
    /// count changes between frames.
    pub fn audio_pcm(&self) -> Pcm {
        let mut pcm = Pcm::default();
        if let Some(first) = self.audio.first() {
            pcm.sample_rate = first.sample_rate;
            pcm.channels = first.channels;
        }
        for (i, f) in self.audio.iter().enumerate() {
            assert!(
                f.sample_rate == pcm.sample_rate && f.channels == pcm.channels,
                "audio frame {i}: {} Hz {} channels, the first frame has {} Hz {} channels",
                f.sample_rate,
                f.channels,
                pcm.sample_rate,
                pcm.channels
            );
            pcm.samples.extend_from_slice(&f.samples);
        }
        pcm
    }
}

/// An audio frame with interleaved samples. Checks that the frame's buffers agree with its
/// sizes (`samples` planar, `write_interleaved`, `channel`), and records a disagreement in
/// `layout_error` rather than panicking.
pub fn audio_frame_to_decoded(frame: &AudioFrame) -> DecodedAudioFrame {
    let n = frame.samples_per_channel;
    let channels = usize::from(frame.channels);
    let mut samples = Vec::new();
    frame.write_interleaved(&mut samples);
    let mut problems = Vec::new();
    if frame.samples.len() != n * channels {
        problems.push(format!(
            "AudioFrame::samples holds {} samples for {channels} x {n}",
            frame.samples.len()
        ));
    }
    if samples.len() != n * channels {
        problems.push(format!(
            "AudioFrame::write_interleaved wrote {} samples for {channels} x {n}",
            samples.len()
        ));
    }
    if let Some(c) = (0..channels).find(|&c| frame.channel(c).len() != n) {
        problems.push(format!(
            "AudioFrame::channel({c}) has {} samples",
            frame.channel(c).len()
        ));
    }
    DecodedAudioFrame {
        sample_rate: frame.sample_rate,
        channels,
        samples_per_channel: n,
        samples,
        pts: frame.pts,
        pts_from_stream: frame.pts_from_stream,
        header: frame.header,
        layout_error: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

/// A frame in the yuv420p layout, checking that `write_yuv420p` wrote what the frame's size
/// says.
pub fn frame_to_yuv(frame: &Frame) -> YuvFrame {
    let mut data = Vec::new();
    frame.write_yuv420p(&mut data);
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert_eq!(
        data.len(),
        YuvFrame::frame_len(w, h),
        "Frame::write_yuv420p wrote {} bytes for a {w}x{h} frame",
        data.len()
    );
    YuvFrame::new(w, h, data)
}

fn drain(dec: &mut Decoder, out: &mut Decoded) {
    while let Some(event) = dec.next_event() {
        match event {
            DecoderEvent::Video(frame) => {
                out.frames.push(DecodedFrame {
                    yuv: frame_to_yuv(frame),
                    picture_type: frame.picture_type,
                    temporal_reference: frame.temporal_reference,
                    pts: frame.pts,
                    pts_from_stream: frame.pts_from_stream,
                    frame_rate_code: frame.sequence.frame_rate_code,
                });
                out.order.push(MediaKind::Video);
            }
            DecoderEvent::Audio(frame) => {
                out.audio.push(audio_frame_to_decoded(frame));
                out.order.push(MediaKind::Audio);
            }
            DecoderEvent::Warning(Warning::Audio(e)) => out.audio_warnings.push(e),
            DecoderEvent::Warning(_) => out.warnings += 1,
            DecoderEvent::Sequence(_) => out.sequences += 1,
            DecoderEvent::Gop(_) => out.gops += 1,
            DecoderEvent::Stream(_) => {}
        }
    }
}

/// Decodes `data` with a default-configured wasmpeg decoder, pushing it as `chunking` says,
/// then `finish`es and drains the last frames.
pub fn decode_bytes(data: &[u8], chunking: Chunking) -> Decoded {
    decode_bytes_with(data, chunking, DecoderConfig::default())
}

/// Like [`decode_bytes`] with an explicit configuration.
pub fn decode_bytes_with(data: &[u8], chunking: Chunking, config: DecoderConfig) -> Decoded {
    let mut dec = Decoder::new(config);
    let mut out = Decoded::default();
    let mut pos = 0;
    for n in chunking.lengths(data.len()) {
        dec.push(&data[pos..pos + n]);
        pos += n;
        drain(&mut dec, &mut out);
    }
    dec.finish();
    drain(&mut dec, &mut out);
    out
}

/// [`decode_bytes`] on another thread, failing the test if it does not finish within `timeout`
/// (a stuck decoder) and passing on the decoder's panic message if it panics.
pub fn decode_with_timeout(data: Vec<u8>, chunking: Chunking, timeout: Duration) -> Decoded {
    decode_with_timeout_config(data, chunking, DecoderConfig::default(), timeout)
}

/// [`decode_with_timeout`] with an explicit configuration.
pub fn decode_with_timeout_config(
    data: Vec<u8>,
    chunking: Chunking,
    config: DecoderConfig,
    timeout: Duration,
) -> Decoded {
    run_with_timeout(timeout, move || decode_bytes_with(&data, chunking, config))
}

/// Runs `work` on another thread, failing the test if it does not finish within `timeout` (a
/// stuck decoder) and passing on its panic if it panics.
pub fn run_with_timeout<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("wasmpeg-decode".into())
        .spawn(move || {
            let result = work();
            let _ = tx.send(result);
        })
        .expect("cannot spawn the decoding thread");
    match rx.recv_timeout(timeout) {
        Ok(result) => {
            let _ = handle.join();
            result
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the decoding thread ended without a result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "wasmpeg did not finish decoding within {timeout:?}: the decoder loops or stalls"
        ),
    }
}

/// Decodes a raw MPEG audio elementary stream with wasmpeg's [`AudioDecoder`] directly (no
/// container detection), pushing it as `chunking` says without timestamps, then `finish`es.
/// Only the audio fields of the result are filled.
pub fn decode_audio_es(data: &[u8], chunking: Chunking) -> Decoded {
    fn drain(dec: &mut AudioDecoder, out: &mut Decoded) {
        while let Some(event) = dec.next_event() {
            match event {
                AudioEvent::Frame(frame) => {
                    out.audio.push(audio_frame_to_decoded(frame));
                    out.order.push(MediaKind::Audio);
                }
                AudioEvent::Error(e) => out.audio_warnings.push(e),
            }
        }
    }
    let mut dec = AudioDecoder::new();
    let mut out = Decoded::default();
    let mut pos = 0;
    for n in chunking.lengths(data.len()) {
        dec.push(&data[pos..pos + n], None);
        pos += n;
        drain(&mut dec, &mut out);
    }
    dec.finish();
    drain(&mut dec, &mut out);
    out
}

/// [`decode_audio_es`] under a timeout (see [`run_with_timeout`]).
pub fn decode_audio_es_with_timeout(
    data: Vec<u8>,
    chunking: Chunking,
    timeout: Duration,
) -> Decoded {
    run_with_timeout(timeout, move || decode_audio_es(&data, chunking))
}

/// Decodes the audio of a file of any container with the top-level decoder, video off, in
/// 64 KiB pushes, under the default timeout.
pub fn decode_audio_file(data: &[u8]) -> Decoded {
    decode_with_timeout_config(
        data.to_vec(),
        Chunking::Fixed(65_536),
        DecoderConfig {
            video: false,
            ..DecoderConfig::default()
        },
        DEFAULT_TIMEOUT,
    )
}

/// Decodes a whole file (pushed in 64 KiB chunks) with the default timeout.
pub fn decode_file(data: &[u8]) -> Decoded {
    decode_with_timeout(data.to_vec(), Chunking::Fixed(65_536), DEFAULT_TIMEOUT)
}
