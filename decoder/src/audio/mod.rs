//! MPEG audio decoding: Layer I and Layer II of ISO/IEC 11172-3, and the low sample rates of
//! ISO/IEC 13818-3 (MPEG-2 LSF).
//!
//! [`AudioDecoder`] takes an elementary stream of MPEG audio frames in chunks of any size and
//! hands out decoded [`AudioFrame`]s (32-bit float samples, full scale = 1.0).
//!
//! # Framing and resynchronisation
//!
//! A frame is decoded once the header of its successor (at the computed frame length) has been
//! seen to be a compatible header (same version, layer and sampling frequency; bit rate,
//! padding and mode may change), or the start of a tag, or the stream has ended. A successor of
//! another format is accepted when two more frames of that format follow it.
//!
//! When the successor is not there, either this frame was cut short (a compatible frame whose
//! own successor checks out starts inside it: this frame is dropped and reported) or the damage
//! is after it (this frame is decoded and the decoder searches on). The search prefers, within
//! [`RESYNC_WINDOW`] bytes, a frame compatible with the last one and confirmed by its
//! successor; failing that it takes the first frame confirmed by two successors. At the start
//! of a stream one confirming successor is enough (two for free format). Skipped stretches as
//! long as whole frames count as lost frames for timestamp extrapolation.
//!
//! Free-format streams (bit rate index 0) get their frame length (without padding) from the
//! distance to the next compatible free-format header, confirmed by the one after it, within
//! [`MAX_FREE_FORMAT_BYTES`]; the length is then reused while it keeps landing on headers.
//!
//! An ID3v2 tag at the start of the stream or right after a frame, and an ID3v1 tag right after
//! a frame, are skipped silently; other bytes that are not frames are skipped and reported once
//! per run as [`Error::InvalidData`]. A frame whose audio data runs past its end (or Layer I
//! allocation 15) is dropped and reported; a CRC mismatch is reported and the frame decoded.
//! Layer III frames are skipped with a single [`Error::Unsupported`] report.

pub mod frame;
pub mod header;

mod crc;
mod layer1;
mod layer2;
mod synthesis;
mod tables;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub use frame::AudioFrame;
pub use header::{ChannelMode, FrameHeader, Layer, Version};

use crate::error::Error;
use crate::timestamp::{PtsMarks, PTS_MASK};
use header::HEADER_BYTES;
use synthesis::Synthesis;

/// Subband samples of one frame: `[channel][time slot][subband]`.
type Subbands = [[[f32; 32]; 36]; 2];

/// The longest free-format frame looked for (bytes from one header to the next). ISO/IEC
/// 11172-3 lets a decoder limit free format to the layer's highest bit rate; this bound allows
/// well beyond it (Layer II at 32 kHz: 455 kbit/s; Layer I: 2.7 Mbit/s).
pub const MAX_FREE_FORMAT_BYTES: usize = 2048;

/// After losing sync, frames that continue the stream are preferred to frames of another format
/// within this many bytes (more than two of the longest frames).
pub const RESYNC_WINDOW: usize = 2 * MAX_FREE_FORMAT_BYTES + 1024;

/// The shortest free-format frame accepted (header, CRC and a little side information).
const MIN_FREE_FORMAT_BYTES: usize = 16;

/// What the audio decoder has to say.
#[derive(Debug)]
pub enum AudioEvent<'a> {
    /// A decoded frame, in stream order.
    Frame(&'a AudioFrame),
    /// Damage that was skipped or reported (a CRC mismatch is reported and the frame decoded).
    Error(Error),
}

/// Queued events; the frame is referred to, not copied.
#[derive(Debug)]
enum Pending {
    Frame,
    Error(Error),
}

/// The outcome of a search for a frame start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// A frame starts here.
    Found(usize),
    /// None in the range searched.
    NotFound,
    /// More data is needed to tell whether one starts here.
    More(usize),
}

/// The outcome of checking a position for a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// A frame of this many bytes starts here.
    Frame(usize),
    /// No frame starts here.
    No,
    /// More data is needed to tell.
    More,
}

/// The measured length of free-format frames, for one version, layer and sampling frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FreeFormat {
    version: Version,
    layer: Layer,
    sample_rate: u32,
    /// Frame length without padding.
    unpadded: usize,
}

/// Extrapolates timestamps without drift: a base PTS plus a sample count.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    base: u64,
    samples: u64,
    rate: u32,
}

impl Clock {
    fn now(&self) -> u64 {
        if self.rate == 0 {
            return self.base;
        }
        (self.base + self.samples * crate::PTS_CLOCK_HZ / u64::from(self.rate)) & PTS_MASK
    }

    fn set(&mut self, pts: u64) {
        self.base = pts & PTS_MASK;
        self.samples = 0;
    }

    fn advance(&mut self, samples: u64, rate: u32) {
        if rate != self.rate {
            self.base = self.now();
            self.samples = 0;
            self.rate = rate;
        }
        self.samples = self.samples.saturating_add(samples);
        let rate = u64::from(rate);
        if rate > 0 && self.samples >= rate {
            // Move whole seconds into the base: exact, and the count stays small. The base
            // counts modulo 2^33, so only the seconds modulo 2^33 matter.
            let seconds = self.samples / rate;
            self.samples -= seconds * rate;
            self.base = (self.base + (seconds & PTS_MASK) * crate::PTS_CLOCK_HZ) & PTS_MASK;
        }
    }
}

/// The decoding half: subband samples, synthesis filters and the output frame.
#[derive(Debug)]
struct FrameDecoder {
    subbands: Box<Subbands>,
    synthesis: [Synthesis; 2],
    frame: AudioFrame,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder {
            subbands: Box::new([[[0.0; 32]; 36]; 2]),
            synthesis: [Synthesis::default(), Synthesis::default()],
            frame: AudioFrame {
                samples: Vec::with_capacity(2 * 1152),
                ..AudioFrame::default()
            },
        }
    }
}

impl FrameDecoder {
    /// Decodes a Layer I or II frame into `self.frame` (PTS fields not set). Returns whether
    /// the CRC matched, if there was one.
    fn decode(&mut self, header: &FrameHeader, data: &[u8]) -> Result<Option<bool>, Error> {
        let (crc_ok, slots) = match header.layer {
            Layer::I => (
                layer1::decode(header, data, &mut self.subbands)?,
                layer1::SLOTS,
            ),
            Layer::II => (
                layer2::decode(header, data, &mut self.subbands)?,
                layer2::SLOTS,
            ),
            Layer::III => return Err(Error::Unsupported("MPEG audio Layer III")),
        };
        let channels = usize::from(header.channels());
        let per_channel = slots * 32;
        let frame = &mut self.frame;
        frame.samples.resize(channels * per_channel, 0.0);
        for ((out, subbands), synthesis) in frame
            .samples
            .chunks_exact_mut(per_channel)
            .zip(self.subbands.iter())
            .zip(self.synthesis.iter_mut())
        {
            for (block, slot) in out.chunks_exact_mut(32).zip(subbands.iter()) {
                synthesis.run(slot, block);
            }
        }
        frame.sample_rate = header.sample_rate;
        frame.channels = header.channels();
        frame.samples_per_channel = per_channel;
        frame.header = Some(*header);
        Ok(crc_ok)
    }
}

/// A push-based MPEG audio (Layer I/II) decoder.
#[derive(Debug, Default)]
pub struct AudioDecoder {
    /// Buffered elementary-stream bytes.
    buf: Vec<u8>,
    /// Absolute stream offset of `buf[0]`.
    buf_offset: u64,
    /// Where the next frame (when synchronised) or the search (when not) starts in `buf`.
    pos: usize,
    /// True when `pos` is believed to be the start of a frame.
    synced: bool,
    /// Set by `finish`: the buffered data is all there is.
    at_end: bool,
    /// Bytes of a tag still to be skipped.
    skip: usize,
    /// Bytes skipped since the last frame, not yet reported.
    garbage: u64,
    /// Absolute offset just past the last frame (where a tag may start).
    last_frame_end: u64,
    /// PES starts: (absolute offset of the PES data, its PTS if it had one).
    pts_marks: PtsMarks,
    clock: Clock,
    free_format: Option<FreeFormat>,
    layer3_reported: bool,
    /// The header of the last frame decoded or skipped as Layer III, and its length.
    last_header: Option<FrameHeader>,
    last_frame_length: usize,
    decoder: Option<FrameDecoder>,
    events: VecDeque<Pending>,
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
        self.compact();
        self.at_end = false;
        if unit_start {
            self.pts_marks
                .pes_start(self.buf_offset + self.buf.len() as u64, pts);
        }
        self.buf.extend_from_slice(data);
    }

    /// Signals the end of the stream: the last buffered frame is decoded without waiting for a
    /// successor.
    pub fn finish(&mut self) {
        self.at_end = true;
    }

    /// Forgets all state (for a new stream after a reconnect).
    pub fn reset(&mut self) {
        *self = AudioDecoder::new();
    }

    /// Decodes buffered data until an event is ready or more input is needed; true when
    /// `next_event` will return something.
    pub fn poll(&mut self) -> bool {
        while self.events.is_empty() {
            let progressed = if self.synced {
                self.frame_step()
            } else {
                self.sync_step()
            };
            if !progressed {
                break;
            }
        }
        !self.events.is_empty()
    }

    /// The next event, if any. Call until `None` after every `push` and after `finish`.
    pub fn next_event(&mut self) -> Option<AudioEvent<'_>> {
        if !self.poll() {
            return None;
        }
        match self.events.pop_front()? {
            Pending::Error(e) => Some(AudioEvent::Error(e)),
            Pending::Frame => self.decoder.as_ref().map(|d| AudioEvent::Frame(&d.frame)),
        }
    }

    /// Drops consumed bytes once they are worth the copy.
    fn compact(&mut self) {
        let pos = self.pos.min(self.buf.len());
        if pos > 0 && (pos >= 16 * 1024 || pos * 2 >= self.buf.len()) {
            self.buf.drain(..pos);
            self.buf_offset += pos as u64;
            self.pos = 0;
        }
    }

    fn header_at(&self, p: usize) -> Option<Result<FrameHeader, Error>> {
        self.buf.get(p..p + HEADER_BYTES).map(FrameHeader::parse)
    }

    /// True when an ID3v1 ("TAG") or ID3v2 ("ID3") tag seems to start at `p`.
    fn tag_at(&self, p: usize) -> bool {
        matches!(self.buf.get(p..p + 3), Some(b"TAG" | b"ID3"))
    }

    /// The length of the frame with header `h` at `p`.
    fn frame_length(&mut self, p: usize, h: &FrameHeader) -> Check {
        if let Some(length) = h.frame_length() {
            return Check::Frame(length);
        }
        if let Some(ff) = self.free_format {
            if ff.version == h.version && ff.layer == h.layer && ff.sample_rate == h.sample_rate {
                let length = ff.unpadded + h.padding_bytes();
                // Any valid header may follow (the format may change after this frame).
                match self.header_at(p + length) {
                    Some(Ok(_)) => return Check::Frame(length),
                    Some(_) if self.tag_at(p + length) => return Check::Frame(length),
                    None if !self.at_end => return Check::More,
                    // The last frame (complete or cut short: the caller tells).
                    None => return Check::Frame(length),
                    // The remembered length does not fit here: measure again.
                    _ => {}
                }
            }
        }
        self.measure_free_format(p, h)
    }

    /// Finds a free-format frame length: the distance to the next compatible free-format
    /// header whose own successor is one too (or is beyond the end of the stream).
    fn measure_free_format(&mut self, p: usize, h: &FrameHeader) -> Check {
        for distance in MIN_FREE_FORMAT_BYTES..=MAX_FREE_FORMAT_BYTES {
            let q = p + distance;
            let Some(next) = self.header_at(q) else {
                return if self.at_end { Check::No } else { Check::More };
            };
            let Ok(next) = next else { continue };
            if !h.is_compatible(&next) {
                continue;
            }
            let unpadded = distance - h.padding_bytes();
            let after = q + unpadded + next.padding_bytes();
            let confirmed = match self.header_at(after) {
                Some(Ok(third)) => h.is_compatible(&third),
                Some(Err(_)) => self.tag_at(after),
                None if self.at_end => true,
                None => return Check::More,
            };
            if confirmed {
                self.free_format = Some(FreeFormat {
                    version: h.version,
                    layer: h.layer,
                    sample_rate: h.sample_rate,
                    unpadded,
                });
                return Check::Frame(distance);
            }
        }
        Check::No
    }

    /// Whether a frame starts at `p` and is followed by `depth` compatible headers (fewer when
    /// the stream ends or a tag follows).
    fn chain_check(&mut self, p: usize, depth: u32) -> Check {
        let h = match self.header_at(p) {
            Some(Ok(h)) => h,
            Some(Err(_)) => return Check::No,
            None => return if self.at_end { Check::No } else { Check::More },
        };
        let length = match self.frame_length(p, &h) {
            Check::Frame(length) => length,
            other => return other,
        };
        let mut q = p + length;
        for i in 0..depth {
            match self.header_at(q) {
                Some(Ok(next)) if h.is_compatible(&next) => {
                    if i + 1 < depth {
                        match self.frame_length(q, &next) {
                            Check::Frame(l) => q += l,
                            other => return other,
                        }
                    }
                }
                Some(_) if self.tag_at(q) => break,
                Some(_) => return Check::No,
                None if !self.at_end => return Check::More,
                None if q <= self.buf.len() => break,
                None => return Check::No,
            }
        }
        Check::Frame(length)
    }

    /// How many confirming successors a candidate frame needs: one when it continues the
    /// stream (compatible with the last frame) or starts the first one with a coded bit rate;
    /// two for a change of format after a frame and for free format at the start (whose
    /// measured length makes a false match in regular frame data likelier).
    fn depth_for(&self, p: usize) -> u32 {
        match (self.header_at(p), self.last_header) {
            (Some(Ok(h)), Some(last)) if last.is_compatible(&h) => 1,
            (Some(Ok(h)), None) if !h.is_free_format() => 1,
            _ => 2,
        }
    }

    /// Reports the bytes skipped since the last frame, if any.
    fn report_garbage(&mut self) {
        if self.garbage > 0 {
            self.garbage = 0;
            self.events.push_back(Pending::Error(Error::InvalidData(
                "MPEG audio: skipped bytes that are not a valid frame",
            )));
        }
    }

    /// Searches for a frame start. Returns false when more data is needed.
    fn sync_step(&mut self) -> bool {
        if self.skip > 0 {
            let n = self.skip.min(self.buf.len().saturating_sub(self.pos));
            self.pos += n;
            self.skip -= n;
            if self.skip > 0 {
                return self.end_of_data();
            }
        }
        // A tag at the very start or right after a frame is skipped silently.
        let absolute = self.buf_offset + self.pos as u64;
        if absolute == 0 || absolute == self.last_frame_end {
            match self.tag_length(self.pos) {
                Check::Frame(length) => {
                    self.report_garbage();
                    self.skip = length;
                    self.last_frame_end = absolute + length as u64;
                    return true;
                }
                Check::More if !self.at_end => return false,
                _ => {}
            }
        }
        // First choice: a frame that continues the stream, anywhere in the next
        // RESYNC_WINDOW bytes, ahead of things that would start a new stream.
        if let Some(last) = self.last_header {
            let to = (self.pos + RESYNC_WINDOW).min(self.buf.len());
            match self.scan(self.pos, to, Some(last)) {
                Scan::Found(q) => return self.accept(q),
                Scan::More(_) => return false,
                Scan::NotFound if to < self.pos + RESYNC_WINDOW && !self.at_end => return false,
                Scan::NotFound => {}
            }
        }
        match self.scan(self.pos, self.buf.len(), None) {
            Scan::Found(q) => self.accept(q),
            Scan::More(q) => {
                self.garbage += (q - self.pos) as u64;
                self.pos = q;
                false
            }
            Scan::NotFound => {
                self.garbage += (self.buf.len() - self.pos) as u64;
                self.pos = self.buf.len();
                self.end_of_data()
            }
        }
    }

    /// Synchronises on the frame at `q`, reporting what was skipped before it. When the frame
    /// continues the stream, a skipped stretch as long as whole frames counts as that many lost
    /// frames for timestamp extrapolation.
    fn accept(&mut self, q: usize) -> bool {
        self.garbage += (q - self.pos) as u64;
        self.report_garbage();
        if let (Some(last), Some(Ok(h))) = (self.last_header, self.header_at(q)) {
            let skipped = (self.buf_offset + q as u64).saturating_sub(self.last_frame_end);
            let length = self.last_frame_length as u64;
            if last.is_compatible(&h) && length > 0 {
                let lost = (skipped + length / 2) / length;
                let samples = (h.samples_per_frame() as u64).saturating_mul(lost);
                self.clock.advance(samples, h.sample_rate);
            }
        }
        self.pos = q;
        self.synced = true;
        true
    }

    /// Looks for a frame start in `from..to`: with `continuing`, only frames compatible with
    /// that header (confirmed by one successor); without, any frame, confirmed by one
    /// successor if it continues the last stream and by two otherwise.
    fn scan(&mut self, from: usize, to: usize, continuing: Option<FrameHeader>) -> Scan {
        let mut q = from;
        while q < to {
            let Some(offset) = self
                .buf
                .get(q..to)
                .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
            else {
                return Scan::NotFound;
            };
            q += offset;
            let header = match self.header_at(q) {
                Some(Ok(h)) => Some(h),
                Some(Err(_)) => None,
                None if self.at_end => None,
                None => return Scan::More(q),
            };
            let depth = match (header, continuing) {
                (Some(h), Some(last)) if last.is_compatible(&h) => Some(1),
                (Some(_), Some(_)) | (None, _) => None,
                (Some(_), None) => Some(self.depth_for(q)),
            };
            if let Some(depth) = depth {
                match self.chain_check(q, depth) {
                    Check::Frame(_) => return Scan::Found(q),
                    Check::More => return Scan::More(q),
                    Check::No => {}
                }
            }
            q += 1;
        }
        Scan::NotFound
    }

    /// At the end of the buffered data while searching: at the end of the stream, reports what
    /// was skipped. Returns true when that queued an event.
    fn end_of_data(&mut self) -> bool {
        if self.at_end && self.garbage > 0 {
            self.report_garbage();
            return true;
        }
        false
    }

    /// The length of an ID3 tag at `p`: ID3v2 (10-byte header with a 28-bit "syncsafe" size,
    /// plus a 10-byte footer when flagged) or ID3v1 (128 bytes, only after a frame).
    fn tag_length(&self, p: usize) -> Check {
        let rest = self.buf.get(p..).unwrap_or(&[]);
        if rest.len() < 3 {
            return if b"ID3".starts_with(rest) || b"TAG".starts_with(rest) {
                Check::More
            } else {
                Check::No
            };
        }
        if rest.starts_with(b"TAG") {
            return if p == 0 && self.buf_offset == 0 {
                Check::No
            } else {
                Check::Frame(128)
            };
        }
        if !rest.starts_with(b"ID3") {
            return Check::No;
        }
        let Some(h) = rest.get(..10) else {
            return Check::More;
        };
        if h[3] == 0xFF || h[4] == 0xFF || h[6..10].iter().any(|&b| b >= 0x80) {
            return Check::No;
        }
        let size = h[6..10]
            .iter()
            .fold(0usize, |acc, &b| (acc << 7) | usize::from(b));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        Check::Frame(10 + size + footer)
    }

    /// Decodes (or drops) the frame at `pos`. Returns false when more data is needed.
    fn frame_step(&mut self) -> bool {
        let p = self.pos;
        let h = match self.header_at(p) {
            Some(Ok(h)) => h,
            Some(Err(_)) => return self.lose_sync(),
            None if self.at_end => return self.lose_sync(),
            None => return false,
        };
        let length = match self.frame_length(p, &h) {
            Check::Frame(length) => length,
            Check::More => return false,
            Check::No => return self.lose_sync(),
        };
        let next = p + length;
        if next > self.buf.len() {
            if !self.at_end {
                return false;
            }
            // The stream ends inside this frame.
            self.drop_frame(&h, Error::UnexpectedEnd);
            self.pos = self.buf.len();
            self.synced = false;
            return true;
        }
        let successor_ok = match self.header_at(next) {
            None if self.at_end => true,
            None => return false,
            Some(Ok(n)) if h.is_compatible(&n) => true,
            Some(Ok(_)) => match self.chain_check(next, 2) {
                // A new format starts here (sampling frequency, layer...).
                Check::Frame(_) => true,
                Check::More => return false,
                Check::No => false,
            },
            Some(Err(_)) => self.tag_at(next),
        };
        if !successor_ok {
            // Either this frame was cut short and a frame starts inside it, or the damage is
            // after it.
            for q in p + 1..next {
                if self.buf.get(q) != Some(&0xFF)
                    || !matches!(self.header_at(q), Some(Ok(c)) if h.is_compatible(&c))
                {
                    continue;
                }
                match self.chain_check(q, 1) {
                    Check::Frame(_) => {
                        self.drop_frame(
                            &h,
                            Error::InvalidData("MPEG audio: truncated frame dropped"),
                        );
                        self.pos = q;
                        return true;
                    }
                    Check::More => return false,
                    Check::No => {}
                }
            }
            self.synced = false;
        }
        self.decode_frame(p, next, &h);
        self.pos = next;
        true
    }

    /// The frame at `pos` is not one after all: search again from the next byte (or from here,
    /// for a tag).
    fn lose_sync(&mut self) -> bool {
        self.synced = false;
        let absolute = self.buf_offset + self.pos as u64;
        if absolute == self.last_frame_end && self.tag_at(self.pos) {
            return true;
        }
        if self.pos < self.buf.len() {
            self.pos += 1;
            self.garbage += 1;
            true
        } else {
            self.end_of_data()
        }
    }

    /// The PTS for a frame starting at absolute offset `offset`: the PTS of the PES it starts
    /// in if that PES had one and no earlier frame took it, else extrapolated.
    fn take_pts(&mut self, offset: u64) -> (u64, bool) {
        let mark = self.pts_marks.take(offset);
        match mark {
            Some(pts) => {
                self.clock.set(pts);
                (pts, true)
            }
            None => (self.clock.now(), false),
        }
    }

    /// A frame that is skipped: its timestamp is used up and its duration counted.
    fn drop_frame(&mut self, h: &FrameHeader, error: Error) {
        let offset = self.buf_offset + self.pos as u64;
        self.take_pts(offset);
        self.clock
            .advance(h.samples_per_frame() as u64, h.sample_rate);
        self.events.push_back(Pending::Error(error));
    }

    /// Decodes the frame in `buf[p..end]` and queues its events.
    fn decode_frame(&mut self, p: usize, end: usize, h: &FrameHeader) {
        let offset = self.buf_offset + p as u64;
        self.last_frame_end = self.buf_offset + end as u64;
        self.last_header = Some(*h);
        self.last_frame_length = end - p;
        self.report_garbage();
        if h.layer == Layer::III {
            self.take_pts(offset);
            self.clock
                .advance(h.samples_per_frame() as u64, h.sample_rate);
            if !self.layer3_reported {
                self.layer3_reported = true;
                self.events.push_back(Pending::Error(Error::Unsupported(
                    "MPEG audio Layer III frames are skipped",
                )));
            }
            return;
        }
        let (pts, from_stream) = self.take_pts(offset);
        self.clock
            .advance(h.samples_per_frame() as u64, h.sample_rate);
        let decoder = self.decoder.get_or_insert_with(FrameDecoder::default);
        let data = self.buf.get(p..end).unwrap_or(&[]);
        match decoder.decode(h, data) {
            Ok(crc_ok) => {
                if crc_ok == Some(false) {
                    self.events.push_back(Pending::Error(Error::InvalidData(
                        "MPEG audio: CRC mismatch (frame decoded anyway)",
                    )));
                }
                decoder.frame.pts = pts;
                decoder.frame.pts_from_stream = from_stream;
                self.events.push_back(Pending::Frame);
            }
            Err(e) => self.events.push_back(Pending::Error(e)),
        }
    }
}
