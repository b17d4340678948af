//! MPEG-1 video decoding (ISO/IEC 11172-2).
//!
//! [`VideoDecoder`] takes an elementary stream in chunks of any size and hands out pictures in
//! display order. Internally it frames the stream at start codes, decodes one picture at a time
//! into one of three reused frame buffers (two references and one B-picture), and reorders.

pub mod frame;
pub mod header;
pub mod idct;
pub mod motion;
mod picture;
pub mod tables;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub use frame::{Frame, PictureType};
pub use header::{GopHeader, PictureHeader, SequenceHeader, TimeCode, VectorCoding};

use crate::bits::BitReader;
use crate::error::Error;
use crate::timestamp::{PtsMarks, PTS_MASK};
use picture::PictureDecoder;

/// Start code values (the byte after `00 00 01`), ISO/IEC 11172-2 2.4.1 (Table 2.4.1).
mod start_code {
    pub const PICTURE: u8 = 0x00;
    pub const SLICE_FIRST: u8 = 0x01;
    pub const SLICE_LAST: u8 = 0xAF;
    pub const USER_DATA: u8 = 0xB2;
    pub const SEQUENCE_HEADER: u8 = 0xB3;
    pub const EXTENSION: u8 = 0xB5;
    pub const SEQUENCE_END: u8 = 0xB7;
    pub const GROUP: u8 = 0xB8;
}

/// The largest amount of data one unit (a picture with its slices, or a header) may occupy
/// before it is dropped as runaway input.
const MAX_UNIT_BYTES: usize = 16 << 20;

/// At most this many slice errors are reported per picture (the rest are counted in the
/// concealment report).
const MAX_SLICE_ERRORS_PER_PICTURE: usize = 8;

/// Limits and switches for a [`VideoDecoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoConfig {
    /// The widest picture accepted; larger sequence headers are an error. Default 4096.
    pub max_width: u32,
    /// The tallest picture accepted; larger sequence headers are an error. Default 4096.
    pub max_height: u32,
    /// Decode a picture as soon as its data is complete instead of when the next start code
    /// arrives, saving one frame of delay on live streams (default false). Whenever new data
    /// holds the slice of the last macroblock row, the picture is decoded tentatively and kept
    /// only if every macroblock decoded without reading past the data received; this costs
    /// extra decoding when data arrives in many small pieces, so it suits live sources.
    pub low_latency: bool,
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            max_width: 4096,
            max_height: 4096,
            low_latency: false,
        }
    }
}

/// What the video decoder has to say.
#[derive(Debug)]
pub enum VideoEvent<'a> {
    /// A sequence header was read (every one, including repeats).
    Sequence(&'a SequenceHeader),
    /// A group-of-pictures header was read.
    Gop(GopHeader),
    /// A picture is ready, in display order.
    Frame(&'a Frame),
    /// Damage that was concealed or skipped.
    Error(Error),
}

/// Queued events; frames and sequence headers are referred to, not copied.
#[derive(Debug)]
enum Pending {
    Sequence,
    Gop(GopHeader),
    Frame(usize),
    Error(Error),
}

/// Bookkeeping for one of the three frame buffers.
#[derive(Debug, Default, Clone, Copy)]
struct SlotInfo {
    pts: Option<u64>,
    gop: u32,
}

/// A push-based MPEG-1 video elementary stream decoder.
#[derive(Debug, Default)]
pub struct VideoDecoder {
    config: VideoConfig,
    /// Buffered elementary-stream bytes.
    buf: Vec<u8>,
    /// Absolute stream offset of `buf[0]`.
    buf_offset: u64,
    /// Position in `buf` of the start code of the unit being assembled, if one was found.
    unit_start: Option<usize>,
    /// Where the search for the end of the current unit resumes.
    scan: usize,
    /// PES starts: (absolute offset of the PES data, its PTS if it had one).
    pts_marks: PtsMarks,
    /// Set by `finish`: treat the end of the buffer as the end of the last unit.
    at_end: bool,
    /// Stream position (bytes received) at the last tentative decode of an incomplete
    /// picture (low latency).
    tried_at: u64,
    /// The highest slice start code of the last decoded picture: the slice whose arrival
    /// makes a tentative decode worth trying (low latency).
    last_slice_code: u8,
    sequence: Option<SequenceHeader>,
    /// Frame buffers no longer match the sequence header and must be reallocated.
    needs_alloc: bool,
    frames: [Option<Frame>; 3],
    slots: [SlotInfo; 3],
    /// The older and the newer reference picture (indices into `frames`).
    forward: Option<usize>,
    backward: Option<usize>,
    /// The newer reference, when it has not been output yet.
    held: Option<usize>,
    /// GOP counter, and the temporal_reference expected next in the current GOP.
    gop_count: u32,
    /// `closed_gop` of the current GOP: its leading B-pictures need no forward reference.
    closed_gop: bool,
    /// `broken_link` was set and the GOP's first reference picture has not been decoded yet.
    broken_link_pending: bool,
    /// The sequence carries an MPEG-2 sequence extension: its pictures are not decoded.
    mpeg2: bool,
    expected_tr: u16,
    last_output_pts: Option<u64>,
    /// Macroblock-decoded flags, reused across pictures.
    decoded: Vec<bool>,
    events: VecDeque<Pending>,
    /// True once a picture was skipped because it could not be decoded (reported once).
    warned_no_reference: bool,
}

impl VideoDecoder {
    /// A decoder with the given limits.
    pub fn new(config: VideoConfig) -> Self {
        VideoDecoder {
            config,
            ..VideoDecoder::default()
        }
    }

    /// Adds elementary-stream bytes. `pts` (90 kHz) applies to the first picture that starts in
    /// `data`, as a PES timestamp does. Pieces pushed with `None` continue the previous one.
    pub fn push(&mut self, data: &[u8], pts: Option<u64>) {
        self.push_pes(data, pts.is_some(), pts);
    }

    /// Adds a piece of a PES payload. `unit_start` marks the first piece of a PES; its `pts`
    /// applies to the first picture that starts in that PES, and a picture starting in a PES
    /// without a PTS gets an extrapolated one (never the PTS of an earlier PES).
    pub fn push_pes(&mut self, data: &[u8], unit_start: bool, pts: Option<u64>) {
        if unit_start {
            self.pts_marks
                .pes_start(self.buf_offset + self.buf.len() as u64, pts);
        }
        self.buf.extend_from_slice(data);
    }

    /// Signals the end of the stream: the last buffered picture is decoded and the held-back
    /// reference picture is released, so that `next_event` yields every remaining frame.
    pub fn finish(&mut self) {
        self.at_end = true;
    }

    /// Forgets all state (for a new stream after a reconnect), keeping the configuration.
    pub fn reset(&mut self) {
        *self = VideoDecoder::new(self.config);
    }

    /// The sequence header in force, once one has been read.
    pub fn sequence_header(&self) -> Option<&SequenceHeader> {
        self.sequence.as_ref()
    }

    /// Decodes buffered data until an event is ready or more input is needed; true when
    /// `next_event` will return something.
    pub fn poll(&mut self) -> bool {
        while self.events.is_empty() {
            if !self.process_unit() {
                break;
            }
        }
        !self.events.is_empty()
    }

    /// The next event, if any. Call until `None` after every `push` and after `finish`.
    pub fn next_event(&mut self) -> Option<VideoEvent<'_>> {
        if !self.poll() {
            return None;
        }
        // Sequence and frame events refer to state that exists whenever they are queued.
        let event = self.events.pop_front()?;
        match event {
            Pending::Gop(gop) => Some(VideoEvent::Gop(gop)),
            Pending::Error(e) => Some(VideoEvent::Error(e)),
            Pending::Sequence => self.sequence.as_ref().map(VideoEvent::Sequence),
            Pending::Frame(index) => self.frames[index].as_ref().map(VideoEvent::Frame),
        }
    }

    /// Frames and handles the next complete unit (header or picture). Returns false when more
    /// input is needed.
    fn process_unit(&mut self) -> bool {
        let start = if let Some(start) = self.unit_start {
            start
        } else if let Some(start) = find_start_code(&self.buf, self.scan) {
            self.unit_start = Some(start);
            self.scan = start + 4;
            start
        } else {
            // Keep a possible partial start code at the end and look at it again next time.
            let keep_from = self.buf.len().saturating_sub(3);
            self.discard_before(keep_from);
            self.scan = 0;
            return self.finish_stream();
        };
        let Some(&code) = self.buf.get(start + 3) else {
            return self.finish_stream();
        };
        let end = match self.find_unit_end(code, start) {
            Some(end) => end,
            None if self.at_end => self.buf.len(),
            None => {
                if code == start_code::PICTURE
                    && self.config.low_latency
                    && self.try_complete_picture(start)
                {
                    return true;
                }
                if self.buf.len() - start > MAX_UNIT_BYTES {
                    self.events.push_back(Pending::Error(Error::InvalidData(
                        "more than 16 MiB without a picture boundary were dropped",
                    )));
                    self.discard_before(self.buf.len());
                    self.unit_start = None;
                    self.scan = 0;
                    return true;
                }
                return false;
            }
        };
        let unit_offset = self.buf_offset + start as u64;
        let unit = core::mem::take(&mut self.buf);
        self.handle_unit(code, &unit[start..end], unit_offset);
        self.buf = unit;
        if end < self.buf.len() {
            self.unit_start = Some(end);
            self.scan = end + 4;
        } else {
            self.unit_start = None;
            self.scan = end;
        }
        // Compact once the consumed part dominates the buffer.
        if end > 64 * 1024 && end * 2 > self.buf.len() {
            self.discard_before(end);
        }
        true
    }

    /// Low latency: decodes the picture starting at `buf[start]` if its data is already
    /// complete although the start code that ends it has not arrived. Returns true when the
    /// picture was decoded and consumed.
    fn try_complete_picture(&mut self, start: usize) -> bool {
        // Once per arrival of new data (the absolute stream position only grows).
        let received = self.buf_offset + self.buf.len() as u64;
        if received == self.tried_at {
            return false;
        }
        self.tried_at = received;
        // Only once the last slice has begun: the one that ended the previous picture (slices
        // may span several rows). Before any picture was decoded, any slice will do.
        let last = usize::from(self.last_slice_code.max(1));
        if !slices(&self.buf[start..]).any(|(code, _)| usize::from(code) >= last) {
            return false;
        }
        let offset = self.buf_offset + start as u64;
        let buf = core::mem::take(&mut self.buf);
        let complete = self.decode_picture(&buf[start..], offset, true);
        self.buf = buf;
        if complete {
            // All of the picture is consumed; the next search starts where a start code could
            // still be arriving.
            self.unit_start = None;
            self.scan = self.buf.len().saturating_sub(3).max(start + 4);
        }
        complete
    }

    /// At the end of the stream, releases the held reference picture once everything is
    /// decoded. Returns true when that produced an event.
    fn finish_stream(&mut self) -> bool {
        if !self.at_end {
            return false;
        }
        if let Some(held) = self.held.take() {
            self.output(held);
            return true;
        }
        false
    }

    /// Drops `buf[..n]`, keeping positions consistent.
    fn discard_before(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.buf_offset += n as u64;
        self.unit_start = self.unit_start.map(|s| s.saturating_sub(n));
        self.scan = self.scan.saturating_sub(n);
    }

    /// Finds the start code that ends the unit beginning at `start` with start code `code`.
    fn find_unit_end(&mut self, code: u8, start: usize) -> Option<usize> {
        // A sequence end code has no body: act on it at once (a live stream may stop there).
        if code == start_code::SEQUENCE_END {
            return Some(start + 4);
        }
        let mut from = self.scan.max(start + 4);
        loop {
            let Some(next) = find_start_code(&self.buf, from) else {
                self.scan = self.buf.len().saturating_sub(3).max(start + 4);
                return None;
            };
            let Some(&next_code) = self.buf.get(next + 3) else {
                self.scan = next;
                return None;
            };
            // A picture runs on through its slices, user data and extensions.
            let continues_picture = code == start_code::PICTURE
                && ((start_code::SLICE_FIRST..=start_code::SLICE_LAST).contains(&next_code)
                    || next_code == start_code::USER_DATA
                    || next_code == start_code::EXTENSION);
            if !continues_picture {
                return Some(next);
            }
            from = next + 4;
        }
    }

    fn handle_unit(&mut self, code: u8, unit: &[u8], offset: u64) {
        let body = &unit[4..];
        match code {
            start_code::SEQUENCE_HEADER => self.handle_sequence_header(body),
            start_code::GROUP => match GopHeader::parse(&mut BitReader::new(body)) {
                Ok(gop) => {
                    self.gop_count = self.gop_count.wrapping_add(1);
                    self.expected_tr = 0;
                    self.closed_gop = gop.closed_gop;
                    self.broken_link_pending = gop.broken_link;
                    self.events.push_back(Pending::Gop(gop));
                }
                Err(e) => self.events.push_back(Pending::Error(e)),
            },
            start_code::PICTURE => {
                self.decode_picture(unit, offset, false);
            }
            start_code::SEQUENCE_END => {
                // The next sequence may start with an open GOP; release the held reference.
                if let Some(held) = self.held.take() {
                    self.output(held);
                }
            }
            // A sequence extension (extension_start_code_identifier 1) makes it MPEG-2 video.
            start_code::EXTENSION if !self.mpeg2 && body.first().is_some_and(|b| b >> 4 == 1) => {
                self.mpeg2 = true;
                self.events.push_back(Pending::Error(Error::Unsupported(
                    "MPEG-2 video is not decoded",
                )));
            }
            0xB9..=0xFF => self.events.push_back(Pending::Error(Error::InvalidData(
                "system start code inside a video elementary stream",
            ))),
            // User data, extensions, stray slices and reserved codes are skipped.
            _ => {}
        }
    }

    /// The PTS of the PES in which the picture starting at `offset` began, if that PES had one
    /// and no earlier picture took it.
    fn take_pts(&mut self, offset: u64) -> Option<u64> {
        self.pts_marks.take(offset)
    }

    fn handle_sequence_header(&mut self, body: &[u8]) {
        let header = match SequenceHeader::parse(&mut BitReader::new(body)) {
            Ok(header) => header,
            Err(e) => {
                self.events.push_back(Pending::Error(e));
                return;
            }
        };
        self.mpeg2 = false;
        if u32::from(header.width) > self.config.max_width
            || u32::from(header.height) > self.config.max_height
        {
            // Pictures of this sequence are skipped until an acceptable sequence header.
            if let Some(held) = self.held.take() {
                self.output(held);
            }
            self.forward = None;
            self.backward = None;
            self.sequence = None;
            self.needs_alloc = true;
            self.events
                .push_back(Pending::Error(Error::PictureTooLarge {
                    width: u32::from(header.width),
                    height: u32::from(header.height),
                }));
            return;
        }
        let size_changed = self
            .sequence
            .as_ref()
            .is_none_or(|old| old.width != header.width || old.height != header.height);
        if size_changed {
            // Pictures of the old size are finished: release the held one, drop references.
            if let Some(held) = self.held.take() {
                self.output(held);
            }
            self.forward = None;
            self.backward = None;
            self.needs_alloc = true;
        }
        self.sequence = Some(header);
        self.events.push_back(Pending::Sequence);
    }

    /// Decodes the picture unit `unit` (from its start code), which starts at stream offset
    /// `offset`. A `tentative` decode (low latency, data possibly incomplete) changes nothing
    /// and reports nothing unless every macroblock decodes cleanly; it returns whether the
    /// picture was decoded and kept.
    fn decode_picture(&mut self, unit: &[u8], offset: u64, tentative: bool) -> bool {
        if self.mpeg2 {
            return false;
        }
        let Some(sequence) = self.sequence.clone() else {
            if !tentative {
                self.report_no_reference("picture without a usable sequence header was skipped");
            }
            return false;
        };
        let mut reader = BitReader::new(&unit[4..]);
        let header = match PictureHeader::parse(&mut reader) {
            Ok(header) => header,
            Err(e) => {
                if !tentative {
                    self.events.push_back(Pending::Error(e));
                }
                return false;
            }
        };
        if self.needs_alloc {
            for frame in &mut self.frames {
                *frame = Some(Frame::new(&sequence));
            }
            self.needs_alloc = false;
        }
        let is_reference = matches!(header.picture_type, PictureType::I | PictureType::P);
        let (forward, backward) = match header.picture_type {
            PictureType::I | PictureType::D => (self.backward, None),
            PictureType::P => {
                if self.backward.is_none() {
                    if !tentative {
                        self.report_no_reference(
                            "P-picture without a reference picture was skipped",
                        );
                    }
                    return false;
                }
                (self.backward, None)
            }
            PictureType::B => {
                // The leading B-pictures of a closed GOP predict only backward.
                if self.backward.is_none() || (self.forward.is_none() && !self.closed_gop) {
                    if !tentative {
                        self.report_no_reference(
                            "B-picture without two reference pictures was skipped",
                        );
                    }
                    return false;
                }
                (self.forward, self.backward)
            }
        };
        // The target is the one buffer that is neither reference.
        let Some(target) = (0..3).find(|&i| Some(i) != self.forward && Some(i) != self.backward)
        else {
            return false;
        };
        let Some(mut frame) = self.frames[target].take() else {
            return false;
        };
        frame.picture_type = header.picture_type;
        frame.temporal_reference = header.temporal_reference;
        if frame.sequence != sequence {
            frame.sequence = sequence.clone();
        }
        let concealed = {
            let forward_frame = forward.and_then(|i| self.frames[i].as_ref());
            let backward_frame = backward.and_then(|i| self.frames[i].as_ref());
            let mut decoder = PictureDecoder::new(
                header,
                &sequence.intra_quant_matrix,
                &sequence.non_intra_quant_matrix,
                &mut frame,
                forward_frame,
                backward_frame,
                &mut self.decoded,
            );
            let mut errors = 0;
            for (slice_code, slice_data) in slices(unit) {
                if let Err(e) = decoder.decode_slice(slice_code, slice_data) {
                    errors += 1;
                    if tentative {
                        break;
                    }
                    if errors <= MAX_SLICE_ERRORS_PER_PICTURE {
                        self.events.push_back(Pending::Error(e));
                    }
                }
            }
            if tentative && errors > 0 {
                usize::MAX
            } else {
                decoder.conceal_missing()
            }
        };
        if tentative && concealed > 0 {
            // Not complete yet: the buffer written to was free, nothing else changed.
            self.frames[target] = Some(frame);
            return false;
        }
        let pts = self.take_pts(offset);
        self.last_slice_code = slices(unit).map(|(code, _)| code).max().unwrap_or(0);
        if concealed > 0 {
            self.events.push_back(Pending::Error(Error::InvalidData(
                "macroblocks missing from a picture were concealed from the reference",
            )));
        }
        self.frames[target] = Some(frame);
        self.slots[target] = SlotInfo {
            pts,
            gop: self.gop_count,
        };

        if is_reference {
            if let Some(held) = self.held.take() {
                self.output(held);
            }
            self.forward = self.backward;
            self.backward = Some(target);
            if header.picture_type == PictureType::I {
                self.warned_no_reference = false;
                if self.broken_link_pending {
                    // After an edit the old reference does not belong to this GOP: the
                    // B-pictures that would predict from it are skipped.
                    self.forward = None;
                }
            }
            self.broken_link_pending = false;
            // Low delay: when nothing can come before this picture in display order, show it
            // now instead of waiting for the next reference.
            if header.temporal_reference == self.expected_tr {
                self.output(target);
            } else {
                self.held = Some(target);
            }
        } else {
            self.output(target);
        }
        true
    }

    fn report_no_reference(&mut self, message: &'static str) {
        if !self.warned_no_reference {
            self.warned_no_reference = true;
            self.events
                .push_back(Pending::Error(Error::InvalidData(message)));
        }
    }

    /// Queues frame `index` for output, giving it its presentation time.
    fn output(&mut self, index: usize) {
        let slot = self.slots[index];
        let Some(frame) = self.frames[index].as_mut() else {
            return;
        };
        let duration = frame.sequence.frame_duration_ticks();
        let (pts, from_stream) = match (slot.pts, self.last_output_pts) {
            (Some(pts), _) => (pts, true),
            (None, Some(last)) => ((last + duration) & PTS_MASK, false),
            (None, None) => (0, false),
        };
        frame.pts = pts;
        frame.pts_from_stream = from_stream;
        self.last_output_pts = Some(pts);
        if slot.gop == self.gop_count {
            self.expected_tr = (frame.temporal_reference + 1) & 0x3FF;
        }
        self.events.push_back(Pending::Frame(index));
    }
}

/// The position of the first start code prefix `00 00 01` at or after `from`.
fn find_start_code(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 3 <= buf.len() {
        let third = buf[i + 2];
        if third > 1 {
            i += 3;
        } else if third == 1 && buf[i + 1] == 0 && buf[i] == 0 {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// The slices of a picture unit: (slice start code value, data from after the start code up
/// to the next start code). Cutting each slice there matters: damaged data could otherwise
/// read through the next start code and decode every following slice again.
fn slices(unit: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut from = 4;
    core::iter::from_fn(move || loop {
        let at = find_start_code(unit, from)?;
        let code = *unit.get(at + 3)?;
        from = at + 4;
        if (start_code::SLICE_FIRST..=start_code::SLICE_LAST).contains(&code) {
            let end = find_start_code(unit, from).unwrap_or(unit.len());
            return Some((code, &unit[at + 4..end]));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// I and P pictures only (2 I, 258 P), 128x96, 25 fps.
    const IP_STREAM: &[u8] = include_bytes!("../../../fixtures/longgop_g250_128x96.m1v");
    /// I, P and B pictures, 16x16, 25 fps.
    const IPB_STREAM: &[u8] = include_bytes!("../../../fixtures/tiny_16x16.m1v");

    fn picture_starts(stream: &[u8]) -> Vec<usize> {
        let mut starts = vec![];
        let mut from = 0;
        while let Some(at) = find_start_code(stream, from) {
            if stream.get(at + 3) == Some(&start_code::PICTURE) {
                starts.push(at);
            }
            from = at + 3;
        }
        starts
    }

    /// Collects (picture type, temporal reference, pts, pts_from_stream) of every frame.
    fn drain(decoder: &mut VideoDecoder, out: &mut Vec<(PictureType, u16, u64, bool)>) {
        while let Some(event) = decoder.next_event() {
            if let VideoEvent::Frame(f) = event {
                out.push((
                    f.picture_type,
                    f.temporal_reference,
                    f.pts,
                    f.pts_from_stream,
                ));
            }
        }
    }

    #[test]
    fn reference_pictures_come_out_without_waiting_for_the_next_one() {
        let starts = picture_starts(IP_STREAM);
        assert_eq!(starts.len(), 260);
        let mut decoder = VideoDecoder::new(VideoConfig::default());
        let mut frames = vec![];
        let mut pushed = 0;
        for (k, &next) in starts.iter().enumerate().skip(1) {
            // Everything up to and including the start code of picture k: picture k - 1 is
            // complete, so it must be out (no reordering delay on an I/P stream).
            decoder.push(&IP_STREAM[pushed..next + 4], None);
            pushed = next + 4;
            drain(&mut decoder, &mut frames);
            assert_eq!(frames.len(), k, "after the start code of picture {k}");
        }
        decoder.push(&IP_STREAM[pushed..], None);
        decoder.finish();
        drain(&mut decoder, &mut frames);
        assert_eq!(frames.len(), 260);
    }

    #[test]
    fn b_pictures_are_reordered_and_timestamps_extrapolated() {
        let mut decoder = VideoDecoder::new(VideoConfig::default());
        let mut frames = vec![];
        for byte in IPB_STREAM.chunks(1) {
            decoder.push(byte, None);
            drain(&mut decoder, &mut frames);
        }
        decoder.finish();
        drain(&mut decoder, &mut frames);
        assert_eq!(frames.len(), 50);
        // Display order: temporal references count up within each GOP.
        for pair in frames.windows(2) {
            let (a, b) = (pair[0].1, pair[1].1);
            assert!(b == a + 1 || b == 0, "temporal_reference {a} then {b}");
        }
        // No PES timestamps: 25 fps gives 3600 ticks per frame, in display order.
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(frame.2, i as u64 * 3600);
            assert!(!frame.3);
        }
        let counts = |t| frames.iter().filter(|f| f.0 == t).count();
        assert_eq!(
            (
                counts(PictureType::I),
                counts(PictureType::P),
                counts(PictureType::B)
            ),
            (5, 13, 32)
        );
    }

    #[test]
    fn stream_timestamps_go_to_the_picture_that_starts_after_them() {
        let starts = picture_starts(IP_STREAM);
        let mut decoder = VideoDecoder::new(VideoConfig::default());
        // Give every third picture a PTS; the others are extrapolated from it.
        let mut pushed = 0;
        for (k, &start) in starts.iter().enumerate().skip(1) {
            let pts = (k % 3 == 1).then_some(90_000 + k as u64 * 3600);
            decoder.push(&IP_STREAM[pushed..start], None);
            pushed = start;
            if let Some(pts) = pts {
                // This piece begins with picture k's start code.
                decoder.push(&IP_STREAM[pushed..pushed + 4], Some(pts));
                pushed += 4;
            }
        }
        decoder.push(&IP_STREAM[pushed..], None);
        decoder.finish();
        let mut frames = vec![];
        drain(&mut decoder, &mut frames);
        assert_eq!(frames.len(), 260);
        for (k, frame) in frames.iter().enumerate().skip(1) {
            assert_eq!(frame.2, 90_000 + k as u64 * 3600, "frame {k}");
            assert_eq!(frame.3, k % 3 == 1, "frame {k}");
        }
    }

    #[test]
    fn pictures_above_the_size_limit_are_refused() {
        let mut decoder = VideoDecoder::new(VideoConfig {
            max_width: 64,
            max_height: 64,
            ..VideoConfig::default()
        });
        decoder.push(IP_STREAM, None);
        decoder.finish();
        let mut too_large = 0;
        let mut frames = 0;
        while let Some(event) = decoder.next_event() {
            match event {
                VideoEvent::Error(Error::PictureTooLarge {
                    width: 128,
                    height: 96,
                }) => too_large += 1,
                VideoEvent::Frame(_) => frames += 1,
                _ => {}
            }
        }
        assert!(too_large >= 1);
        assert_eq!(frames, 0);
    }

    /// A minimal MSB-first bit writer for hand-built streams.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u8,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, len: u32, value: u32) {
            for i in (0..len).rev() {
                self.acc = (self.acc << 1) | ((value >> i) & 1) as u8;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc);
                    (self.acc, self.n) = (0, 0);
                }
            }
        }
        fn start(&mut self, code: u8) {
            while self.n != 0 {
                self.put(1, 0);
            }
            self.out.extend_from_slice(&[0, 0, 1, code]);
        }
        /// Flushes the last bits behind a sequence end code and returns the stream.
        fn end(mut self) -> Vec<u8> {
            self.start(start_code::SEQUENCE_END);
            self.out
        }
        fn sequence(&mut self, width: u32, height: u32) {
            self.start(start_code::SEQUENCE_HEADER);
            self.put(12, width);
            self.put(12, height);
            self.put(4, 1); // square pels
            self.put(4, 3); // 25 Hz
            self.put(18, 0x3FFFF);
            self.put(1, 1);
            self.put(10, 1);
            self.put(3, 0); // not constrained, default matrices
        }
        fn gop(&mut self, closed: bool, broken_link: bool) {
            self.start(start_code::GROUP);
            self.put(25, 1 << 12); // time code 00:00:00.00 with its marker bit
            self.put(1, u32::from(closed));
            self.put(1, u32::from(broken_link));
        }
        /// A picture header (I = 1, P = 2, B = 3) with f_code 1, and its slices: one slice per
        /// macroblock row; I-pictures are flat grey intra macroblocks, P- and B-pictures copy
        /// their reference (P: forward, B: backward) with zero vectors.
        fn picture(&mut self, tr: u32, coding_type: u32, mb_width: u32, mb_height: u32) {
            self.start(start_code::PICTURE);
            self.put(10, tr);
            self.put(3, coding_type);
            self.put(16, 0xFFFF);
            if coding_type >= 2 {
                self.put(4, 1);
            }
            if coding_type == 3 {
                self.put(4, 1);
            }
            self.put(1, 0);
            for row in 0..mb_height {
                self.start(row as u8 + 1);
                self.put(5, 8); // quantizer_scale
                self.put(1, 0);
                for _ in 0..mb_width {
                    self.put(1, 1); // address increment 1
                    match coding_type {
                        1 => {
                            self.put(1, 1); // intra
                            for block in 0..6 {
                                // DC size 0 (no change from 128), then end_of_block.
                                if block < 4 {
                                    self.put(3, 0b100);
                                } else {
                                    self.put(2, 0b00);
                                }
                                self.put(2, 0b10);
                            }
                        }
                        2 => self.put(5, 0b00111), // MC not coded ('001'), vector (0, 0)
                        _ => self.put(5, 0b01011), // backward not coded ('010'), vector (0, 0)
                    }
                }
            }
        }
    }

    fn frames_and_errors(stream: &[u8], config: VideoConfig) -> (Vec<(u16, u32)>, Vec<Error>) {
        let mut decoder = VideoDecoder::new(config);
        decoder.push(stream, None);
        decoder.finish();
        let (mut frames, mut errors) = (vec![], vec![]);
        while let Some(event) = decoder.next_event() {
            match event {
                VideoEvent::Frame(f) => frames.push((f.temporal_reference, f.width)),
                VideoEvent::Error(e) => errors.push(e),
                _ => {}
            }
        }
        (frames, errors)
    }

    #[test]
    fn hand_built_i_and_p_pictures_decode_cleanly() {
        let mut w = Bits::default();
        w.sequence(32, 16);
        w.gop(true, false);
        w.picture(0, 1, 2, 1);
        w.picture(1, 2, 2, 1);
        let (frames, errors) = frames_and_errors(&w.end(), VideoConfig::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(frames, [(0, 32), (1, 32)]);
    }

    #[test]
    fn leading_b_pictures_of_a_closed_gop_are_decoded() {
        let mut w = Bits::default();
        w.sequence(32, 16);
        w.gop(true, false);
        w.picture(1, 1, 2, 1);
        w.picture(0, 3, 2, 1);
        let (frames, errors) = frames_and_errors(&w.end(), VideoConfig::default());
        assert_eq!(frames, [(0, 32), (1, 32)], "errors: {errors:?}");
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn b_pictures_after_a_broken_link_are_skipped() {
        let mut w = Bits::default();
        w.sequence(32, 16);
        w.gop(true, false);
        w.picture(0, 1, 2, 1);
        w.picture(1, 2, 2, 1);
        // An edit: the next GOP's leading B-picture referred to a picture that is gone.
        w.gop(false, true);
        w.picture(1, 1, 2, 1);
        w.picture(0, 3, 2, 1);
        w.picture(2, 2, 2, 1);
        let (frames, _) = frames_and_errors(&w.end(), VideoConfig::default());
        assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1, 1, 2]);
    }

    #[test]
    fn a_sequence_over_the_size_limit_is_skipped_until_an_acceptable_one() {
        let mut w = Bits::default();
        w.sequence(32, 16);
        w.gop(true, false);
        w.picture(0, 1, 2, 1);
        w.sequence(64, 64);
        w.gop(true, false);
        w.picture(0, 1, 4, 4);
        w.picture(1, 2, 4, 4);
        w.sequence(48, 32);
        w.gop(true, false);
        w.picture(0, 1, 3, 2);
        let config = VideoConfig {
            max_width: 48,
            max_height: 48,
            ..VideoConfig::default()
        };
        let (frames, errors) = frames_and_errors(&w.end(), config);
        assert_eq!(frames, [(0, 32), (0, 48)]);
        assert!(errors.contains(&Error::PictureTooLarge {
            width: 64,
            height: 64
        }));
    }

    #[test]
    fn slices_end_at_the_next_start_code() {
        let mut w = Bits::default();
        w.sequence(64, 48);
        w.picture(0, 1, 4, 3);
        let stream = w.end();
        let picture = picture_starts(&stream)[0];
        let pieces: Vec<_> = slices(&stream[picture..]).collect();
        assert_eq!(pieces.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 2, 3]);
        for (_, data) in pieces {
            assert!(
                find_start_code(data, 0).is_none(),
                "a slice runs into the next one"
            );
        }
    }

    #[test]
    fn mpeg2_video_is_reported_and_not_decoded_as_mpeg1() {
        let mut w = Bits::default();
        w.sequence(32, 16);
        w.start(start_code::EXTENSION);
        w.put(4, 1); // sequence_extension
        w.put(22, 0);
        w.put(22, 0);
        w.gop(true, false);
        w.picture(0, 1, 2, 1);
        let (frames, errors) = frames_and_errors(&w.end(), VideoConfig::default());
        assert!(frames.is_empty());
        assert!(errors.iter().any(|e| matches!(e, Error::Unsupported(_))));
    }

    /// Decodes `stream` pushed in `pieces`-byte chunks; returns per frame (type, temporal
    /// reference, pts, a checksum of the pixels).
    fn decode_all(
        stream: &[u8],
        piece: usize,
        low_latency: bool,
    ) -> Vec<(PictureType, u16, u64, u64)> {
        let mut decoder = VideoDecoder::new(VideoConfig {
            low_latency,
            ..VideoConfig::default()
        });
        let mut out = vec![];
        let mut take = |decoder: &mut VideoDecoder| {
            while let Some(event) = decoder.next_event() {
                if let VideoEvent::Frame(f) = event {
                    let sum =
                        f.y.iter()
                            .chain(&f.cb)
                            .chain(&f.cr)
                            .fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
                    out.push((f.picture_type, f.temporal_reference, f.pts, sum));
                }
            }
        };
        for chunk in stream.chunks(piece) {
            decoder.push(chunk, None);
            take(&mut decoder);
        }
        decoder.finish();
        take(&mut decoder);
        out
    }

    #[test]
    fn low_latency_shows_a_picture_before_the_next_one_begins() {
        let starts = picture_starts(IP_STREAM);
        for low_latency in [false, true] {
            let mut decoder = VideoDecoder::new(VideoConfig {
                low_latency,
                ..VideoConfig::default()
            });
            let mut frames = vec![];
            let mut pushed = 0;
            let mut behind = 0;
            for (k, &next) in starts.iter().enumerate().skip(1) {
                // All of picture k - 1, but not yet the start code of picture k.
                decoder.push(&IP_STREAM[pushed..next], None);
                pushed = next;
                drain(&mut decoder, &mut frames);
                if low_latency {
                    assert_eq!(frames.len(), k, "picture {} not out yet", k - 1);
                } else {
                    // Without low latency a picture waits for the next start code (a GOP or
                    // sequence header before picture k also ends picture k - 1).
                    assert!(frames.len() == k || frames.len() == k - 1);
                    behind += usize::from(frames.len() < k);
                }
            }
            if !low_latency {
                assert!(behind > 200, "only {behind} of 259 pictures waited");
            }
        }
    }

    #[test]
    fn low_latency_decodes_the_same_frames() {
        for (stream, piece) in [
            (IP_STREAM, 997),
            (IP_STREAM, 4096),
            (IPB_STREAM, 1),
            (IPB_STREAM, 7),
        ] {
            let normal = decode_all(stream, piece, false);
            let fast = decode_all(stream, piece, true);
            assert!(!normal.is_empty());
            assert_eq!(normal, fast, "piece size {piece}");
        }
    }
}
