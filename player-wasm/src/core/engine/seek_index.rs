//! Files: where decoding can start again for a seek.
//!
//! As a file's bytes arrive they are demuxed (not decoded) once more, a small step at a time, to
//! note the byte offsets of the video random-access points (a PES whose payload opens with a
//! sequence header, which ffmpeg and most muxers put before every I-picture that starts a GOP)
//! and of the audio PES, with their timestamps. A seek then decodes from the last
//! random-access point at or before the target instead of from the start of the file.
//!
//! Only MPEG-TS and MPEG-PS carry timestamps; raw elementary streams are not indexed and seek
//! from the start.

use wasmpeg::demux::{DemuxEvent, Demuxer, StreamKind};
use wasmpeg::ContainerFormat;

use crate::core::pts_delta_seconds;

/// Bytes demuxed per step: one transport packet, so that an offset is known to a packet.
const STEP: usize = 188;
/// How far before the step that revealed a PES its header may begin, beyond the payload
/// handed out with it: a PES header (at most 9 + 255 bytes in MPEG-2 syntax) plus a pack
/// header, rounded up.
const HEADER_SLACK: usize = 320;
/// Audio entries closer together than this (90 kHz ticks) are not kept: a quarter second is
/// plenty of precision, and it bounds the index at four entries per second.
const AUDIO_SPACING: u64 = 90_000 / 4;

/// One place to start decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// A byte offset at or shortly before the PES.
    offset: usize,
    /// The PES presentation time stamp (90 kHz).
    pts: u64,
}

/// The seek index of one file (see the module documentation).
#[derive(Debug, Default)]
pub struct SeekIndex {
    demuxer: Option<Demuxer>,
    /// File offset of the input's first byte (a file read from a Range request onwards).
    base: usize,
    /// Bytes of the input demuxed so far.
    scanned: usize,
    video: Vec<Entry>,
    audio: Vec<Entry>,
    /// The container carries no timestamps: nothing to index.
    unusable: bool,
}

impl SeekIndex {
    /// An empty index.
    pub fn new() -> SeekIndex {
        SeekIndex::default()
    }

    /// The input now holds the file from byte `base` on (a new Range request): indexing
    /// starts again there; what is indexed stays.
    pub fn rebase(&mut self, base: usize) {
        self.base = base;
        self.scanned = 0;
        self.demuxer = None;
    }

    /// Indexes the part of `input` (the bytes of the file from the base on, received so far)
    /// not seen yet. `format` is the container once the decoder has recognised it; nothing is
    /// done before.
    pub fn update(&mut self, input: &[u8], format: Option<ContainerFormat>) {
        if self.unusable {
            return;
        }
        let Some(format) = format else {
            return;
        };
        if !matches!(format, ContainerFormat::MpegTs | ContainerFormat::MpegPs) {
            self.unusable = true;
            return;
        }
        let demuxer = self
            .demuxer
            .get_or_insert_with(|| Demuxer::new(Some(format)));
        while self.scanned + STEP <= input.len() {
            let at = self.scanned;
            demuxer.push(&input[at..at + STEP]);
            self.scanned += STEP;
            while let Some(event) = demuxer.next_event() {
                let DemuxEvent::Packet(packet) = event else {
                    continue;
                };
                let (true, Some(pts)) = (packet.unit_start, packet.pts) else {
                    continue;
                };
                // The PES began in this step, or before it by at most what was handed out
                // with it plus its header.
                let offset = self.base + at.saturating_sub(packet.data.len() + HEADER_SLACK);
                let entry = Entry { offset, pts };
                match packet.stream.kind {
                    // In MPEG-PS the sequence header is often inside a PES that began with
                    // the end of the previous GOP; its timestamp is then an earlier picture's
                    // (see `candidates`).
                    StreamKind::Video if packet.data.windows(4).any(|w| w == [0, 0, 1, 0xB3]) => {
                        insert(&mut self.video, entry, 1);
                    }
                    StreamKind::Audio => insert(&mut self.audio, entry, AUDIO_SPACING),
                    StreamKind::Video => {}
                }
            }
        }
    }

    /// Byte offsets to decode from so that the picture shown at `t` seconds (media time,
    /// counted from `start_pts`) and the audio playing then are decoded, best first: for the
    /// last random-access point at or before `t`, then the one before it (in case the first
    /// one's timestamp was an earlier picture's), the earlier of that point and the last
    /// audio PES starting at or before `t` (when `with_audio`). Empty when the index has no
    /// random-access point at or before `t` (decode from the start).
    pub fn candidates(&self, t: f64, start_pts: u64, with_audio: bool) -> Vec<usize> {
        let due = |e: &&Entry| pts_delta_seconds(start_pts, e.pts) <= t + 1e-6;
        let audio = if with_audio {
            self.audio.iter().rev().find(due).map(|a| a.offset)
        } else {
            None
        };
        self.video
            .iter()
            .rev()
            .filter(due)
            .take(2)
            // Audio starting later than t (or without timestamps) needs nothing earlier.
            .map(|v| audio.map_or(v.offset, |a| a.min(v.offset)))
            .collect()
    }

    /// Random-access points found so far.
    pub fn keyframes(&self) -> usize {
        self.video.len()
    }

    /// The (file offset, PTS) of every random-access point from file offset `from` on, in
    /// file order.
    pub fn keyframes_from(&self, from: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.video
            .iter()
            .filter(move |e| e.offset >= from)
            .map(|e| (e.offset, e.pts))
    }
}

/// Inserts `entry` in offset order unless an entry lies within `spacing` ticks of it (the same
/// PES seen again after a Range request, or audio closer than the spacing).
fn insert(entries: &mut Vec<Entry>, entry: Entry, spacing: u64) {
    let at = entries.partition_point(|e| e.offset < entry.offset);
    let near = |e: &Entry| pts_delta_seconds(e.pts, entry.pts).abs() * 90_000.0 < spacing as f64;
    if at
        .checked_sub(1)
        .and_then(|i| entries.get(i))
        .is_some_and(near)
        || entries.get(at).is_some_and(near)
    {
        return;
    }
    entries.insert(at, entry);
}

#[cfg(test)]
mod tests {
    use super::SeekIndex;
    use wasmpeg::ContainerFormat;

    const TS: &[u8] = include_bytes!("../../../../fixtures/ibbp_bf2_352x288.ts");

    #[test]
    fn finds_one_point_per_gop_with_growing_offsets() {
        let mut index = SeekIndex::new();
        // Arbitrary arrival sizes give the same index as one piece.
        let mut grown = Vec::new();
        for piece in TS.chunks(1000) {
            grown.extend_from_slice(piece);
            index.update(&grown, Some(ContainerFormat::MpegTs));
        }
        let mut whole = SeekIndex::new();
        whole.update(TS, Some(ContainerFormat::MpegTs));
        assert_eq!(index.video, whole.video);
        assert_eq!(index.audio, whole.audio);
        // ffmpeg's default GOP is 12 pictures: a 2 s, 25 fps stream has at least 4 of them.
        assert!(index.video.len() >= 4, "{}", index.video.len());
        assert!(index.video.windows(2).all(|w| w[0].offset < w[1].offset));
        assert!(index.video.windows(2).all(|w| w[0].pts < w[1].pts));
        // The first PES (the fourth transport packet) opens with the first sequence header.
        assert!(
            index.video[0].offset <= 3 * 188,
            "{}",
            index.video[0].offset
        );
    }

    #[test]
    fn elementary_streams_are_not_indexed() {
        let mut index = SeekIndex::new();
        index.update(&[0u8; 4096], Some(ContainerFormat::VideoEs));
        assert!(index.candidates(5.0, 0, true).is_empty());
        assert_eq!(index.keyframes(), 0);
    }
}
