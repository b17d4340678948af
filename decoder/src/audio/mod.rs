//! MPEG audio decoding: Layer I and Layer II of ISO/IEC 11172-3, and the low sample rates of
//! ISO/IEC 13818-3 (MPEG-2 LSF).
//!
//! [`AudioDecoder`] takes an elementary stream of MPEG audio frames in chunks of any size and
//! hands out decoded [`AudioFrame`]s (32-bit float samples, full scale = 1.0).

pub mod frame;
pub mod header;

use alloc::collections::VecDeque;

pub use frame::AudioFrame;
pub use header::{ChannelMode, FrameHeader, Layer, Version};

use crate::error::Error;

/// What the audio decoder has to say.
#[derive(Debug)]
pub enum AudioEvent<'a> {
    /// A decoded frame, in stream order.
    Frame(&'a AudioFrame),
    /// Damage that was skipped or reported (a CRC mismatch is reported and the frame decoded).
    Error(Error),
}

/// A push-based MPEG audio (Layer I/II) decoder.
#[derive(Debug, Default)]
pub struct AudioDecoder {
    errors: VecDeque<Error>,
}

impl AudioDecoder {
    /// A new decoder.
    pub fn new() -> AudioDecoder {
        AudioDecoder::default()
    }

    /// Adds elementary-stream bytes; `pts` (90 kHz) applies to the first frame that starts in
    /// `data`, as a PES timestamp does.
    pub fn push(&mut self, data: &[u8], pts: Option<u64>) {
        self.push_pes(data, pts.is_some(), pts);
    }

    /// Adds a piece of a PES payload; `unit_start` marks the first piece of a PES, whose `pts`
    /// applies to the first frame that starts in that PES.
    pub fn push_pes(&mut self, data: &[u8], unit_start: bool, pts: Option<u64>) {
        let _ = (data, unit_start, pts);
    }

    /// Signals the end of the stream.
    pub fn finish(&mut self) {}

    /// Forgets all state (for a new stream after a reconnect).
    pub fn reset(&mut self) {
        *self = AudioDecoder::new();
    }

    /// Decodes buffered data until an event is ready or more input is needed; true when
    /// `next_event` will return something.
    pub fn poll(&mut self) -> bool {
        !self.errors.is_empty()
    }

    /// The next event, if any. Call until `None` after every `push` and after `finish`.
    pub fn next_event(&mut self) -> Option<AudioEvent<'_>> {
        self.errors.pop_front().map(AudioEvent::Error)
    }
}
