//! Raw elementary streams: MPEG-1 video (.m1v) and MPEG audio (.mp2).
//!
//! The bytes are passed through as [`Packet`]s, after skipping what may precede the stream: the
//! 8-byte legacy header of JSMpeg video files (`jsmp`, then width and height as big-endian u16)
//! or ID3v2 tags before audio.

use alloc::vec::Vec;
use core::mem;

use super::{DemuxEvent, Events, Packet, StreamId, StreamInfo, StreamKind};

/// The magic of the legacy JSMpeg video header.
pub(crate) const JSMP_MAGIC: &[u8; 4] = b"jsmp";
/// The length of the legacy JSMpeg video header.
pub(crate) const JSMP_HEADER_LEN: usize = 8;
/// The length of an ID3v2 tag header (and footer).
pub(crate) const ID3_HEADER_LEN: usize = 10;

/// The `stream_id` reported for a raw video stream.
const VIDEO_STREAM_ID: u8 = 0xE0;
/// The `stream_id` reported for a raw audio stream.
const AUDIO_STREAM_ID: u8 = 0xC0;

/// The length of a whole ID3v2 tag (header, body, footer) from its 10-byte header, or `None`
/// when the bytes are not an ID3v2 header.
pub(crate) fn id3_tag_len(header: &[u8]) -> Option<u64> {
    let header = header.get(..ID3_HEADER_LEN)?;
    let valid = header.starts_with(b"ID3")
        && header[3] != 0xFF
        && header[4] != 0xFF
        && header[6..10].iter().all(|&b| b < 0x80);
    if !valid {
        return None;
    }
    // The body size is a 28-bit "syncsafe" integer: 7 bits per byte.
    let body = header[6..10]
        .iter()
        .fold(0u64, |size, &b| size << 7 | u64::from(b));
    let footer = if header[5] & 0x10 != 0 {
        ID3_HEADER_LEN as u64
    } else {
        0
    };
    Some(ID3_HEADER_LEN as u64 + body + footer)
}

/// Where the demuxer is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Position {
    /// At a place where a header (jsmp, ID3) may start; its first bytes are held in `pending`.
    MaybeHeader,
    /// Inside an ID3 tag: this many bytes remain to be dropped.
    SkippingTag(u64),
    /// In the stream proper.
    Stream,
}

/// A pass-through demuxer for a raw video or audio elementary stream.
#[derive(Debug)]
pub(crate) struct EsDemuxer {
    kind: StreamKind,
    position: Position,
    /// Bytes that may be the beginning of a header (at most an ID3 header's length).
    pending: Vec<u8>,
    /// Stream bytes of the current `push`, handed out as one packet at its end.
    outgoing: Vec<u8>,
    /// Whether the first packet (with `unit_start`) was handed out.
    started: bool,
}

impl EsDemuxer {
    /// A demuxer for a raw stream of `kind`.
    pub fn new(kind: StreamKind) -> EsDemuxer {
        EsDemuxer {
            kind,
            position: Position::MaybeHeader,
            pending: Vec::new(),
            outgoing: Vec::new(),
            started: false,
        }
    }

    /// Video or audio.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Takes the next bytes of the stream.
    pub fn push(&mut self, mut data: &[u8], out: &mut Events) {
        while !data.is_empty() {
            match self.position {
                Position::Stream => {
                    self.outgoing.extend_from_slice(data);
                    break;
                }
                Position::SkippingTag(remaining) => {
                    let len = data
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    data = &data[len..];
                    self.position = match remaining - len as u64 {
                        0 => Position::MaybeHeader,
                        left => Position::SkippingTag(left),
                    };
                }
                Position::MaybeHeader => {
                    let wanted = self.header_len() - self.pending.len();
                    let take = wanted.min(data.len());
                    self.pending.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.examine_header();
                }
            }
        }
        self.emit(out);
    }

    /// Ends the input: held bytes that turned out not to be a header are handed out.
    pub fn finish(&mut self, out: &mut Events) {
        if self.position == Position::MaybeHeader && !self.pending.is_empty() {
            self.outgoing.append(&mut self.pending);
            self.position = Position::Stream;
            self.emit(out);
        }
    }

    /// How many bytes decide whether a header is there.
    fn header_len(&self) -> usize {
        match self.kind {
            StreamKind::Video => JSMP_HEADER_LEN,
            StreamKind::Audio => ID3_HEADER_LEN,
        }
    }

    /// Decides, if the held bytes allow, whether they are a header.
    fn examine_header(&mut self) {
        let magic: &[u8] = match self.kind {
            StreamKind::Video => JSMP_MAGIC,
            StreamKind::Audio => b"ID3",
        };
        let common = self.pending.len().min(magic.len());
        let could_be_header = self.pending[..common] == magic[..common];
        if could_be_header && self.pending.len() < self.header_len() {
            return;
        }
        let after_header = match self.kind {
            _ if !could_be_header => None,
            StreamKind::Video => Some(Position::Stream),
            // Another tag may follow a tag.
            StreamKind::Audio => {
                id3_tag_len(&self.pending).map(|len| match len - ID3_HEADER_LEN as u64 {
                    0 => Position::MaybeHeader,
                    body => Position::SkippingTag(body),
                })
            }
        };
        if let Some(position) = after_header {
            self.pending.clear();
            self.position = position;
        } else {
            self.outgoing.append(&mut self.pending);
            self.position = Position::Stream;
        }
    }

    /// Hands out the stream bytes collected by the current `push`.
    fn emit(&mut self, out: &mut Events) {
        if self.outgoing.is_empty() {
            return;
        }
        let stream = StreamId {
            kind: self.kind,
            pid: None,
            stream_id: match self.kind {
                StreamKind::Video => VIDEO_STREAM_ID,
                StreamKind::Audio => AUDIO_STREAM_ID,
            },
        };
        let unit_start = !self.started;
        if unit_start {
            self.started = true;
            out.push_back(DemuxEvent::NewStream(StreamInfo {
                id: stream,
                stream_type: None,
                program: None,
            }));
        }
        out.push_back(DemuxEvent::Packet(Packet {
            stream,
            unit_start,
            pts: None,
            dts: None,
            data: mem::take(&mut self.outgoing),
        }));
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::super::test_support::*;
    use super::*;
    use crate::demux::ContainerFormat;

    fn stream_of(kind: StreamKind) -> StreamId {
        StreamId {
            kind,
            pid: None,
            stream_id: match kind {
                StreamKind::Video => 0xE0,
                StreamKind::Audio => 0xC0,
            },
        }
    }

    /// The bytes handed out, checking that only the first packet has `unit_start` and that the
    /// stream was announced first.
    fn passed_through(format: ContainerFormat, kind: StreamKind, chunks: &[&[u8]]) -> Vec<u8> {
        let events = run_chunks(Some(format), chunks.iter().copied());
        let stream = stream_of(kind);
        if let Some(first) = events.first() {
            assert_eq!(
                first,
                &DemuxEvent::NewStream(StreamInfo {
                    id: stream,
                    stream_type: None,
                    program: None
                })
            );
        }
        for (i, event) in events.iter().skip(1).enumerate() {
            let DemuxEvent::Packet(packet) = event else {
                panic!("unexpected {event:?}");
            };
            assert_eq!((packet.unit_start, packet.pts), (i == 0, None));
        }
        stream_bytes(&events, stream)
    }

    fn video() -> Vec<u8> {
        let mut video = alloc::vec![0, 0, 1, 0xB3, 0x04, 0x00, 0x30, 0x13];
        video.extend((0..200).map(|i| i as u8));
        video
    }

    #[test]
    fn passes_video_through() {
        let video = video();
        assert_eq!(
            passed_through(ContainerFormat::VideoEs, StreamKind::Video, &[&video]),
            video
        );
        assert_split_invariant(Some(ContainerFormat::VideoEs), &video);
    }

    #[test]
    fn skips_the_jsmp_header() {
        let video = video();
        let mut with_header = b"jsmp\x01\x40\x00\xF0".to_vec();
        with_header.extend_from_slice(&video);
        for at in 0..=12 {
            let (a, b) = with_header.split_at(at);
            assert_eq!(
                passed_through(ContainerFormat::VideoEs, StreamKind::Video, &[a, b]),
                video,
                "split at {at}"
            );
        }
        // Something else that starts like it is kept.
        assert_eq!(
            passed_through(
                ContainerFormat::VideoEs,
                StreamKind::Video,
                &[b"jsm", b"x123"]
            ),
            b"jsmx123"
        );
        assert_eq!(
            passed_through(ContainerFormat::VideoEs, StreamKind::Video, &[b"js"]),
            b"js"
        );
    }

    #[test]
    fn skips_id3_tags() {
        let audio = [0xFF, 0xFD, 0x84, 0x00, 1, 2, 3];
        // A tag with a 5-byte body, then one with a footer and an empty body.
        let mut tagged = b"ID3\x03\x00\x00\x00\x00\x00\x05hello".to_vec();
        tagged.extend_from_slice(b"ID3\x04\x00\x10\x00\x00\x00\x00");
        tagged.extend_from_slice(b"3DI\x04\x00\x10\x00\x00\x00\x00");
        tagged.extend_from_slice(&audio);
        let whole = passed_through(ContainerFormat::AudioEs, StreamKind::Audio, &[&tagged]);
        assert_eq!(whole, audio);
        for at in 0..=tagged.len() {
            let (a, b) = tagged.split_at(at);
            let split = passed_through(ContainerFormat::AudioEs, StreamKind::Audio, &[a, b]);
            assert_eq!(split, audio, "split at {at}");
        }
        let bytewise: Vec<&[u8]> = tagged.chunks(1).collect();
        assert_eq!(
            passed_through(ContainerFormat::AudioEs, StreamKind::Audio, &bytewise),
            audio
        );
        // Not a valid tag (size byte with the high bit set): kept.
        let not_a_tag = b"ID3\x03\x00\x00\x80\x00\x00\x05xy";
        assert_eq!(
            passed_through(ContainerFormat::AudioEs, StreamKind::Audio, &[not_a_tag]),
            not_a_tag
        );
    }

    #[test]
    fn tag_lengths() {
        assert_eq!(
            id3_tag_len(b"ID3\x04\x00\x00\x00\x00\x02\x01"),
            Some(10 + 257)
        );
        assert_eq!(
            id3_tag_len(b"ID3\x04\x00\x10\x7F\x7F\x7F\x7F"),
            Some(20 + 0x0FFF_FFFF)
        );
        assert_eq!(id3_tag_len(b"ID3\xFF\x00\x00\x00\x00\x00\x00"), None);
        assert_eq!(id3_tag_len(b"ID3\x04\x00\x00\x00"), None);
    }
}
