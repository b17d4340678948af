//! The top-level decoder: container in, frames out.

use alloc::collections::VecDeque;

use crate::audio::{AudioDecoder, AudioEvent, AudioFrame};
use crate::demux::{
    ContainerFormat, DemuxEvent, DemuxWarning, Demuxer, StreamId, StreamInfo, StreamKind,
};
use crate::error::Error;
use crate::video::{Frame, GopHeader, SequenceHeader, VideoConfig, VideoDecoder, VideoEvent};

/// Options for a [`Decoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The container format, or `None` (the default) to detect it from the first bytes.
    pub container: Option<ContainerFormat>,
    /// The widest picture accepted (default 4096).
    pub max_width: u32,
    /// The tallest picture accepted (default 4096).
    pub max_height: u32,
    /// Decode video (default true).
    pub video: bool,
    /// Decode audio (default true).
    pub audio: bool,
    /// Decode each picture as soon as its data is complete rather than when the next picture
    /// begins (see [`VideoConfig::low_latency`]); for live streams. Default false.
    pub low_latency: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            container: None,
            max_width: 4096,
            max_height: 4096,
            video: true,
            audio: true,
            low_latency: false,
        }
    }
}

/// Something that went wrong and was recovered from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Container damage (lost packets, garbage skipped...).
    Demux(DemuxWarning),
    /// Video bitstream damage (a slice or picture was concealed or skipped).
    Video(Error),
    /// Audio bitstream damage (a frame was skipped, or its CRC did not match).
    Audio(Error),
}

/// What the decoder has to say, in stream order (frames themselves come in display order).
#[derive(Debug)]
pub enum DecoderEvent<'a> {
    /// A stream was found in the container.
    Stream(StreamInfo),
    /// A video sequence header was read (size, rates, matrices).
    Sequence(&'a SequenceHeader),
    /// A group-of-pictures header was read.
    Gop(GopHeader),
    /// A decoded picture, in display order. Its buffers are reused after the next call.
    Video(&'a Frame),
    /// A decoded audio frame. Its buffer is reused after the next call.
    Audio(&'a AudioFrame),
    /// Damage that was recovered from.
    Warning(Warning),
}

/// Decodes a whole MPEG stream pushed as byte chunks.
///
/// The first video stream and the first audio stream found are decoded; others are ignored.
/// Video and audio events come out in the order their data arrived, so a player can keep them
/// in sync by their timestamps.
#[derive(Debug)]
pub struct Decoder {
    config: DecoderConfig,
    demuxer: Demuxer,
    video: VideoDecoder,
    video_stream: Option<StreamId>,
    audio: AudioDecoder,
    audio_stream: Option<StreamId>,
    pending: VecDeque<Pending>,
    finished: bool,
}

/// Events from the demuxer waiting to be handed out (frames are borrowed from the video
/// decoder, so they are never queued here).
#[derive(Debug)]
enum Pending {
    Stream(StreamInfo),
    Warning(Warning),
}

impl Decoder {
    /// A decoder with the given options.
    pub fn new(config: DecoderConfig) -> Decoder {
        Decoder {
            config,
            demuxer: Demuxer::new(config.container),
            video: VideoDecoder::new(VideoConfig {
                max_width: config.max_width,
                max_height: config.max_height,
                low_latency: config.low_latency,
            }),
            video_stream: None,
            audio: AudioDecoder::new(),
            audio_stream: None,
            pending: VecDeque::new(),
            finished: false,
        }
    }

    /// The container format, once known.
    pub fn container(&self) -> Option<ContainerFormat> {
        self.demuxer.format()
    }

    /// Adds bytes of the stream (any size, split anywhere).
    pub fn push(&mut self, data: &[u8]) {
        self.demuxer.push(data);
    }

    /// Signals the end of the stream; the remaining frames come out of `next_event`.
    pub fn finish(&mut self) {
        self.demuxer.finish();
        self.finished = true;
    }

    /// Forgets all stream state (after a reconnect, for example), keeping the options.
    pub fn reset(&mut self) {
        *self = Decoder::new(self.config);
    }

    /// The next event, if any. Call until `None` after every `push` and after `finish`.
    pub fn next_event(&mut self) -> Option<DecoderEvent<'_>> {
        loop {
            if let Some(p) = self.pending.pop_front() {
                return Some(match p {
                    Pending::Stream(info) => DecoderEvent::Stream(info),
                    Pending::Warning(w) => DecoderEvent::Warning(w),
                });
            }
            // Drain the decoders before feeding them more, so frames come out promptly and
            // in the order their data arrived.
            if self.video.poll() {
                return self.video.next_event().map(|event| match event {
                    VideoEvent::Sequence(s) => DecoderEvent::Sequence(s),
                    VideoEvent::Gop(g) => DecoderEvent::Gop(g),
                    VideoEvent::Frame(f) => DecoderEvent::Video(f),
                    VideoEvent::Error(e) => DecoderEvent::Warning(Warning::Video(e)),
                });
            }
            if self.audio.poll() {
                return self.audio.next_event().map(|event| match event {
                    AudioEvent::Frame(f) => DecoderEvent::Audio(f),
                    AudioEvent::Error(e) => DecoderEvent::Warning(Warning::Audio(e)),
                });
            }
            if let Some(event) = self.demuxer.next_event() {
                self.route(event);
            } else if self.finished {
                self.finished = false;
                self.video.finish();
                self.audio.finish();
            } else {
                return None;
            }
        }
    }

    fn route(&mut self, event: DemuxEvent) {
        match event {
            DemuxEvent::NewStream(info) => self.pending.push_back(Pending::Stream(info)),
            DemuxEvent::Warning(w) => self.pending.push_back(Pending::Warning(Warning::Demux(w))),
            DemuxEvent::Pcr { .. } => {}
            DemuxEvent::Packet(packet) => match packet.stream.kind {
                StreamKind::Video if self.config.video => {
                    let selected = *self.video_stream.get_or_insert(packet.stream);
                    if selected == packet.stream {
                        self.video
                            .push_pes(&packet.data, packet.unit_start, packet.pts);
                    }
                }
                StreamKind::Audio if self.config.audio => {
                    let selected = *self.audio_stream.get_or_insert(packet.stream);
                    if selected == packet.stream {
                        self.audio
                            .push_pes(&packet.data, packet.unit_start, packet.pts);
                    }
                }
                _ => {}
            },
        }
    }
}
