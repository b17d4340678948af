//! Push-based demultiplexers: MPEG transport streams, MPEG program streams and raw elementary
//! streams.
//!
//! Every demuxer accepts byte chunks of any size, split anywhere, through [`Demuxer::push`] and
//! hands out [`DemuxEvent`]s through [`Demuxer::next_event`]. Nothing here panics on bad input;
//! damage is reported as [`DemuxWarning`]s and the demuxer resynchronises.

use alloc::vec::Vec;

pub mod detect;
pub mod es;
pub mod ps;
pub mod ts;

pub use detect::detect_container;

/// The container formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerFormat {
    /// MPEG transport stream (ISO/IEC 13818-1), 188-byte packets.
    MpegTs,
    /// MPEG program stream or MPEG-1 system stream (.mpg, VCD).
    MpegPs,
    /// Raw MPEG-1 video elementary stream (.m1v), optionally behind an 8-byte `jsmp` header.
    VideoEs,
    /// Raw MPEG audio elementary stream (.mp2).
    AudioEs,
}

impl ContainerFormat {
    /// A short lower-case name (`mpegts`, `mpegps`, `m1v`, `mp2`), as used by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ContainerFormat::MpegTs => "mpegts",
            ContainerFormat::MpegPs => "mpegps",
            ContainerFormat::VideoEs => "m1v",
            ContainerFormat::AudioEs => "mp2",
        }
    }
}

/// Whether an elementary stream carries pictures or sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// MPEG-1/2 video.
    Video,
    /// MPEG-1/2 audio.
    Audio,
}

/// Identifies one elementary stream inside a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamId {
    /// Video or audio.
    pub kind: StreamKind,
    /// The transport-stream PID (`None` outside MPEG-TS).
    pub pid: Option<u16>,
    /// The PES `stream_id` (0xE0-0xEF video, 0xC0-0xDF audio). Raw elementary streams use 0xE0
    /// or 0xC0.
    pub stream_id: u8,
}

/// What the demuxer knows about a stream when it first sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream's identity.
    pub id: StreamId,
    /// The PMT `stream_type` (0x01/0x02 video, 0x03/0x04 audio) when the stream was announced by
    /// a PMT.
    pub stream_type: Option<u8>,
    /// The MPEG-TS program number when known.
    pub program: Option<u16>,
}

/// A piece of one elementary stream's payload.
///
/// A PES payload may be delivered in several consecutive packets of the same stream (the
/// transport-stream demuxer hands over what it has at the end of every `push`, so that live
/// decoding does not wait for the next PES to start). Only the first piece of a PES has
/// `unit_start` set, and only it carries the PES timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The stream this payload belongs to.
    pub stream: StreamId,
    /// True on the first piece of a PES packet.
    pub unit_start: bool,
    /// Presentation time stamp, 90 kHz ticks, 33 bits.
    pub pts: Option<u64>,
    /// Decoding time stamp, 90 kHz ticks, 33 bits.
    pub dts: Option<u64>,
    /// The payload bytes.
    pub data: Vec<u8>,
}

/// Damage the demuxer noticed and recovered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DemuxWarning {
    /// Bytes were skipped to find the next packet or pack boundary.
    Resync {
        /// How many bytes were dropped.
        skipped: usize,
    },
    /// A transport packet's continuity counter was not the expected one (packets were lost).
    ContinuityError {
        /// The PID concerned.
        pid: u16,
        /// The counter value that was expected.
        expected: u8,
        /// The counter value that was found.
        found: u8,
    },
    /// A transport packet had its transport_error_indicator set and was dropped.
    TransportError {
        /// The PID concerned.
        pid: u16,
    },
    /// A PES header or a PSI section was malformed and was dropped.
    MalformedHeader,
}

/// One thing the demuxer has to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemuxEvent {
    /// A video or audio stream was found (by PAT/PMT, or by its first PES).
    NewStream(StreamInfo),
    /// Payload of an elementary stream.
    Packet(Packet),
    /// A program clock reference from a transport-stream adaptation field.
    Pcr {
        /// The PID that carried it.
        pid: u16,
        /// The PCR in 27 MHz ticks (base * 300 + extension).
        pcr: u64,
    },
    /// Damage that was skipped.
    Warning(DemuxWarning),
}

/// A demuxer for any supported container, chosen explicitly or detected from the first bytes.
#[derive(Debug, Default)]
pub struct Demuxer {
    format: Option<ContainerFormat>,
}

impl Demuxer {
    /// A demuxer for `format`, or one that detects the format from the first bytes when `None`.
    pub fn new(format: Option<ContainerFormat>) -> Demuxer {
        Demuxer { format }
    }

    /// The container format, once known.
    pub fn format(&self) -> Option<ContainerFormat> {
        self.format
    }

    /// Adds bytes (any size, split anywhere).
    pub fn push(&mut self, data: &[u8]) {
        let _ = data;
    }

    /// The next event, if any. Call until `None` after every `push`.
    pub fn next_event(&mut self) -> Option<DemuxEvent> {
        None
    }

    /// Signals the end of input: partial PES payloads are handed out and a detection still
    /// waiting for more bytes is decided on what is there.
    pub fn finish(&mut self) {}

    /// Forgets all state, keeping an explicitly chosen format.
    pub fn reset(&mut self) {}
}
