//! MPEG-1 video decoding (ISO/IEC 11172-2).

pub mod frame;
pub mod header;
pub mod idct;
pub mod tables;

use alloc::collections::VecDeque;

pub use frame::{Frame, PictureType};
pub use header::{GopHeader, PictureHeader, SequenceHeader, TimeCode};

use crate::error::Error;

/// Limits and switches for a [`VideoDecoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoConfig {
    /// The widest picture accepted; larger sequence headers are an error. Default 4096.
    pub max_width: u32,
    /// The tallest picture accepted; larger sequence headers are an error. Default 4096.
    pub max_height: u32,
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            max_width: 4096,
            max_height: 4096,
        }
    }
}

/// What the video decoder has to say.
#[derive(Debug)]
pub enum VideoEvent<'a> {
    /// A sequence header was read (the first one, and every one that changes something).
    Sequence(&'a SequenceHeader),
    /// A group-of-pictures header was read.
    Gop(GopHeader),
    /// A picture is ready, in display order.
    Frame(&'a Frame),
    /// Damage that was concealed or skipped.
    Error(Error),
}

/// A push-based MPEG-1 video elementary stream decoder.
#[derive(Debug, Default)]
pub struct VideoDecoder {
    config: VideoConfig,
    events: VecDeque<Error>,
}

impl VideoDecoder {
    /// A decoder with the given limits.
    pub fn new(config: VideoConfig) -> Self {
        VideoDecoder {
            config,
            events: VecDeque::new(),
        }
    }

    /// Adds elementary-stream bytes. `pts` (90 kHz) applies to the first picture that starts in
    /// `data`, as a PES timestamp does.
    pub fn push(&mut self, data: &[u8], pts: Option<u64>) {
        let _ = (data, pts, self.config);
    }

    /// The next event, if any. Call until `None` after every `push`.
    pub fn next_event(&mut self) -> Option<VideoEvent<'_>> {
        self.events.pop_front().map(VideoEvent::Error)
    }

    /// Signals the end of the stream: the last buffered picture is decoded and the held-back
    /// reference picture is released, so that `next_event` yields every remaining frame.
    pub fn finish(&mut self) {}

    /// Forgets all state (for a new stream after a reconnect).
    pub fn reset(&mut self) {
        *self = VideoDecoder::new(self.config);
    }

    /// The sequence header in force, once one has been read.
    pub fn sequence_header(&self) -> Option<&SequenceHeader> {
        None
    }
}

impl VideoDecoder {
    /// True when `next_event` would return something.
    pub fn has_event(&self) -> bool {
        !self.events.is_empty()
    }
}
