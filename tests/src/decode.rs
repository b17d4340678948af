//! Decoding with wasmpeg into the frame layout of [`YuvFrame`].

use std::sync::mpsc;
use std::time::Duration;

use wasmpeg::{Decoder, DecoderConfig, DecoderEvent, Frame, PictureType};

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

/// Everything wasmpeg said about one input.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// The frames in the order they came out (display order).
    pub frames: Vec<DecodedFrame>,
    /// Number of `DecoderEvent::Warning`s.
    pub warnings: usize,
    /// Number of `DecoderEvent::Sequence`s.
    pub sequences: usize,
    /// Number of `DecoderEvent::Gop`s.
    pub gops: usize,
}

impl Decoded {
    /// The pictures only.
    pub fn yuv(&self) -> Vec<YuvFrame> {
        self.frames.iter().map(|f| f.yuv.clone()).collect()
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
            DecoderEvent::Video(frame) => out.frames.push(DecodedFrame {
                yuv: frame_to_yuv(frame),
                picture_type: frame.picture_type,
                temporal_reference: frame.temporal_reference,
                pts: frame.pts,
                pts_from_stream: frame.pts_from_stream,
                frame_rate_code: frame.sequence.frame_rate_code,
            }),
            DecoderEvent::Warning(_) => out.warnings += 1,
            DecoderEvent::Sequence(_) => out.sequences += 1,
            DecoderEvent::Gop(_) => out.gops += 1,
            DecoderEvent::Stream(_) | DecoderEvent::Audio(_) => {}
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
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("wasmpeg-decode".into())
        .spawn(move || {
            let decoded = decode_bytes_with(&data, chunking, config);
            let _ = tx.send(decoded);
        })
        .expect("cannot spawn the decoding thread");
    match rx.recv_timeout(timeout) {
        Ok(decoded) => {
            let _ = handle.join();
            decoded
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

/// Decodes a whole file (pushed in 64 KiB chunks) with the default timeout.
pub fn decode_file(data: &[u8]) -> Decoded {
    decode_with_timeout(data.to_vec(), Chunking::Fixed(65_536), DEFAULT_TIMEOUT)
}
