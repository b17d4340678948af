//! The elementary streams of a transport stream and the reassembly of their PES packets.
//!
//! A stream is identified by its PID *and* its PES `stream_id`, because a relay may interleave
//! two transport streams whose muxers both put their only stream on the same PID (an audio-only
//! and a video-only ffmpeg both use PID 0x100). Each such substream keeps its own continuity
//! counter and PES reassembly state:
//!
//! - a packet that starts a PES (`payload_unit_start_indicator`) names its substream by the
//!   `stream_id` in the PES header;
//! - a continuation packet goes to the substream of its PID whose expected counter matches
//!   (and whose PES is open and has room for it); when none matches, to the substream that
//!   received the previous packet of the PID, with a continuity warning; when two match, the
//!   packets are held until it is known which is which (see [`super::ts_ambiguity`]); when more
//!   match, to the one that received the previous packet of the PID.

use alloc::vec::Vec;
use core::mem;

use super::audio_frames::FrameTracker;
use super::continuity::{Continuity, Repeat};
use super::pes::{media_kind, parse_pes_header, HeaderParse, MAX_PES_HEADER_LEN};
use super::ts_ambiguity::{HeldPacket, Hold, Room, Side};
use super::{DemuxEvent, DemuxWarning, Events, Packet, StreamId, StreamInfo, StreamKind};

/// The most substreams tracked at once; the one idle the longest makes room for a new one.
pub(crate) const MAX_SUBSTREAMS: usize = 64;

/// The most PMT hints kept; later ones are ignored.
const MAX_HINTS: usize = 64;

/// Payload held for one stream before it is handed out even in the middle of a `push` (which
/// otherwise hands out everything at its end). Bounds memory whatever the PES length.
pub(crate) const MAX_HELD_PAYLOAD: usize = 1 << 20;

/// What a PMT said about the streams of one kind on one PID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamHint {
    /// The PMT `stream_type`.
    pub stream_type: u8,
    /// The program the PMT describes.
    pub program: u16,
    /// Whether the stream type is MPEG-1/2 video or audio (others, such as H.264 or AAC, use the
    /// same PES stream ids and must not reach an MPEG-1 decoder).
    pub supported: bool,
}

/// The parts of a transport packet the substreams care about.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PayloadPacket<'a> {
    pub pid: u16,
    pub counter: u8,
    pub unit_start: bool,
    /// The adaptation field's discontinuity_indicator: the counter may jump here.
    pub discontinuity: bool,
    /// The payload was shortened by adaptation-field stuffing (muxers do that at the end of a
    /// PES).
    pub stuffed: bool,
    pub payload: &'a [u8],
}

/// All PES-carrying substreams of a transport stream.
#[derive(Debug, Default)]
pub(crate) struct Substreams {
    streams: Vec<Substream>,
    /// What PMTs said, by (PID, kind).
    hints: Vec<(u16, StreamKind, StreamHint)>,
    /// Packets held while it is unknown which of two substreams of their PID they belong to;
    /// at most one hold per PID.
    holds: Vec<Hold>,
    /// Counts packets, to know which substream of a PID was served last.
    clock: u64,
}

impl Substreams {
    /// Records what a PMT says about the `kind` stream on `pid`. Hints are kept per kind because
    /// two interleaved sources may send conflicting PMTs for the same PID.
    pub fn set_hint(&mut self, pid: u16, kind: StreamKind, hint: StreamHint) {
        let known = self
            .hints
            .iter()
            .position(|(p, k, _)| *p == pid && *k == kind);
        match known {
            Some(index) => self.hints[index].2 = hint,
            None if self.hints.len() < MAX_HINTS => self.hints.push((pid, kind, hint)),
            None => {}
        }
    }

    fn hint(&self, pid: u16, kind: StreamKind) -> Option<StreamHint> {
        self.hints
            .iter()
            .find(|(p, k, _)| *p == pid && *k == kind)
            .map(|entry| entry.2)
    }

    /// Whether a packet repeats the previous packet of its PID.
    pub fn check_repeat(&mut self, pid: u16, counter: u8, payload: &[u8]) -> Repeat {
        if let Some(hold) = self.holds.iter_mut().find(|hold| hold.pid == pid) {
            return hold.check_repeat(counter, payload);
        }
        match self.most_recent(pid) {
            Some(index) => self.streams[index]
                .continuity
                .check_repeat(counter, payload),
            None => Repeat::No,
        }
    }

    /// After a discontinuity signalled by an adaptation-field-only packet: accept any counter on
    /// the PID's substreams.
    pub fn forget_continuity(&mut self, pid: u16, out: &mut Events) {
        self.settle_hold(pid, out);
        for stream in self.streams.iter_mut().filter(|s| s.pid == pid) {
            stream.continuity.forget();
        }
    }

    /// Takes a packet with a payload on a PID that is not PSI.
    pub fn handle(&mut self, packet: &PayloadPacket<'_>, out: &mut Events) {
        let hold = self.holds.iter().position(|hold| hold.pid == packet.pid);
        match hold {
            _ if packet.unit_start => {
                if let Some(index) = hold {
                    let stream = match packet.payload {
                        &[0, 0, 1, stream_id, ..] => self.find(packet.pid, stream_id),
                        _ => None,
                    };
                    let held = self.holds.swap_remove(index);
                    let settled = held.settle_at_unit_start(stream, packet.counter);
                    self.deliver_held(settled, out);
                }
                self.start_unit(packet, out);
            }
            Some(index) if !packet.discontinuity => self.continue_hold(index, packet, out),
            _ => {
                self.settle_hold(packet.pid, out);
                self.continue_unit(packet, out);
            }
        }
    }

    /// Hands out the payload collected for every stream (held packets stay held).
    pub fn flush_all(&mut self, out: &mut Events) {
        for stream in &mut self.streams {
            stream.flush(out);
        }
    }

    /// At the end of the input: settles held packets and hands out everything.
    pub fn finish(&mut self, out: &mut Events) {
        self.settle_all_holds(out);
        self.flush_all(out);
    }

    fn start_unit(&mut self, packet: &PayloadPacket<'_>, out: &mut Events) {
        self.clock += 1;
        let &[0, 0, 1, stream_id, ..] = packet.payload else {
            // Not a PES. On a PID without PES this is a table we do not read (SDT, ...);
            // otherwise the unit is damaged: its continuation packets are dropped with it.
            if let Some(index) = self.most_recent(packet.pid) {
                let stream = &mut self.streams[index];
                stream.accept(packet, self.clock, out);
                stream.pes.close(stream.id(), out);
                out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
            }
            return;
        };
        let index = match self.find(packet.pid, stream_id) {
            Some(index) => index,
            None => self.insert(packet.pid, stream_id, out),
        };
        let hint = media_kind(stream_id).and_then(|kind| self.hint(packet.pid, kind));
        let stream = &mut self.streams[index];
        stream.accept(packet, self.clock, out);
        // The previous PES ends here; a newer PMT may change whether the next one is wanted.
        stream.pes.close(stream.id(), out);
        stream.enabled = stream.kind.is_some() && hint.is_none_or(|hint| hint.supported);
        if stream.enabled && !stream.announced {
            stream.announced = true;
            if let Some(id) = stream.id() {
                out.push_back(DemuxEvent::NewStream(StreamInfo {
                    id,
                    stream_type: hint.map(|hint| hint.stream_type),
                    program: hint.map(|hint| hint.program),
                }));
            }
        }
        let id = stream.id();
        stream.pes.start(id);
        stream.pes.feed(packet.payload, id, out);
    }

    fn continue_unit(&mut self, packet: &PayloadPacket<'_>, out: &mut Events) {
        let index = match self.route_continuation(packet) {
            Route::To(index) => index,
            Route::Ambiguous(candidates) => {
                let sides = candidates.map(|index| self.streams[index].side());
                let mut hold = Hold::new(packet.pid, candidates, sides);
                if hold.add(packet.counter, packet.stuffed, packet.payload) {
                    self.holds.push(hold);
                    return;
                }
                candidates[0]
            }
            // No PES seen on this PID yet (joined mid-stream, or a table we do not read).
            Route::Nowhere => return,
        };
        self.deliver(index, packet, out);
    }

    /// Passes a packet to a substream.
    fn deliver(&mut self, index: usize, packet: &PayloadPacket<'_>, out: &mut Events) {
        self.clock += 1;
        let stream = &mut self.streams[index];
        stream.accept(packet, self.clock, out);
        let id = stream.id();
        stream.pes.feed(packet.payload, id, out);
    }

    /// Passes held packets to the substreams they were found to belong to.
    fn deliver_held(&mut self, held: Vec<(usize, HeldPacket)>, out: &mut Events) {
        let Some(pid) = held.first().map(|(index, _)| self.streams[*index].pid) else {
            return;
        };
        for (index, packet) in held {
            let packet = PayloadPacket {
                pid,
                counter: packet.counter,
                unit_start: false,
                discontinuity: false,
                stuffed: packet.stuffed,
                payload: &packet.payload,
            };
            self.deliver(index, &packet, out);
        }
    }

    /// Chooses the substream of its PID a continuation packet belongs to.
    fn route_continuation(&self, packet: &PayloadPacket<'_>) -> Route {
        let on_pid = || {
            self.streams
                .iter()
                .enumerate()
                .filter(|(_, s)| s.pid == packet.pid)
        };
        let matching = || on_pid().filter(|(_, s)| s.continuity.accepts(packet.counter));
        let viable = || matching().filter(|(_, s)| s.side().room.can_take(packet.payload.len()));
        let recency = |(_, s): &(usize, &Substream)| s.last_seen;
        if let Some((first, _)) = viable().max_by_key(recency) {
            let mut others = viable().filter(|&(index, _)| index != first);
            return match (others.next(), others.next()) {
                (Some((second, _)), None) if !packet.discontinuity => {
                    Route::Ambiguous([first, second])
                }
                _ => Route::To(first),
            };
        }
        // A substream whose PES is complete (the packet will be dropped), else a gap.
        matching()
            .max_by_key(recency)
            .or_else(|| on_pid().max_by_key(recency))
            .map_or(Route::Nowhere, |(index, _)| Route::To(index))
    }

    /// Takes a continuation packet on a PID whose packets are being held.
    fn continue_hold(&mut self, index: usize, packet: &PayloadPacket<'_>, out: &mut Events) {
        let hold = &mut self.holds[index];
        if !hold.add(packet.counter, packet.stuffed, packet.payload) {
            // It fits no hypothesis (a gap), or too much is held: settle, then carry on as usual.
            let settled = self.holds.swap_remove(index).settle();
            self.deliver_held(settled, out);
            self.continue_unit(packet, out);
            return;
        }
        // Hand on what every hypothesis agrees on.
        let agreed = hold.agreed_len();
        if agreed > 0 {
            let taken = hold.take_agreed(agreed);
            if hold.packets.is_empty() {
                self.holds.swap_remove(index);
            }
            self.deliver_held(taken, out);
        }
    }

    /// Settles the held packets of `pid`, if any, on the likeliest hypothesis.
    fn settle_hold(&mut self, pid: u16, out: &mut Events) {
        if let Some(index) = self.holds.iter().position(|hold| hold.pid == pid) {
            let settled = self.holds.swap_remove(index).settle();
            self.deliver_held(settled, out);
        }
    }

    fn settle_all_holds(&mut self, out: &mut Events) {
        while let Some(hold) = self.holds.pop() {
            self.deliver_held(hold.settle(), out);
        }
    }

    /// The substream of `pid` that received the previous packet of that PID.
    fn most_recent(&self, pid: u16) -> Option<usize> {
        self.streams
            .iter()
            .enumerate()
            .filter(|(_, s)| s.pid == pid)
            .max_by_key(|(_, s)| s.last_seen)
            .map(|(index, _)| index)
    }

    fn find(&self, pid: u16, stream_id: u8) -> Option<usize> {
        self.streams
            .iter()
            .position(|s| s.pid == pid && s.stream_id == stream_id)
    }

    /// Adds a substream, evicting the one idle the longest when the table is full.
    fn insert(&mut self, pid: u16, stream_id: u8, out: &mut Events) -> usize {
        let stream = Substream {
            pid,
            stream_id,
            kind: media_kind(stream_id),
            enabled: false,
            announced: false,
            continuity: Continuity::default(),
            last_stuffed: false,
            last_seen: 0,
            pes: PesAssembler::default(),
        };
        if self.streams.len() < MAX_SUBSTREAMS {
            self.streams.push(stream);
            return self.streams.len() - 1;
        }
        // Holds refer to substreams by index: settle them before one is replaced.
        self.settle_all_holds(out);
        let oldest = (0..self.streams.len())
            .min_by_key(|&index| self.streams[index].last_seen)
            .unwrap_or(0);
        self.streams[oldest].flush(out);
        self.streams[oldest] = stream;
        oldest
    }
}

/// Where a continuation packet goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// To this substream.
    To(usize),
    /// To one of these two, not known yet; the first received the previous packet of the PID.
    Ambiguous([usize; 2]),
    /// Nowhere: the PID has no substream.
    Nowhere,
}

/// One (PID, stream_id) pair.
#[derive(Debug)]
struct Substream {
    pid: u16,
    stream_id: u8,
    /// Video or audio for media stream ids; `None` for others (private streams, padding...),
    /// which are tracked only so that their packets are not mistaken for another stream's.
    kind: Option<StreamKind>,
    /// Whether the payload is handed out: a media stream that no PMT marked as another codec.
    enabled: bool,
    /// Whether `NewStream` was reported.
    announced: bool,
    continuity: Continuity,
    /// Whether the last packet was shortened by stuffing.
    last_stuffed: bool,
    /// The packet clock when this substream last received a packet.
    last_seen: u64,
    pes: PesAssembler,
}

impl Substream {
    fn id(&self) -> Option<StreamId> {
        let kind = self.kind.filter(|_| self.enabled)?;
        Some(StreamId {
            kind,
            pid: Some(self.pid),
            stream_id: self.stream_id,
        })
    }

    /// Takes a packet into the continuity bookkeeping, reporting a gap.
    fn accept(&mut self, packet: &PayloadPacket<'_>, clock: u64, out: &mut Events) {
        if !packet.discontinuity {
            if let Some(expected) = self.continuity.expected() {
                if expected != packet.counter {
                    // What was held precedes the gap.
                    self.flush(out);
                    out.push_back(DemuxEvent::Warning(DemuxWarning::ContinuityError {
                        pid: packet.pid,
                        expected,
                        found: packet.counter,
                    }));
                }
            }
        }
        self.continuity.record(packet.counter, packet.payload);
        self.last_stuffed = packet.stuffed;
        self.last_seen = clock;
    }

    /// What routing needs to know about this substream.
    fn side(&self) -> Side {
        Side {
            expected: self.continuity.expected(),
            room: self.pes.room(self.last_stuffed),
            frames: self.pes.frames,
        }
    }

    fn flush(&mut self, out: &mut Events) {
        let id = self.id();
        self.pes.flush(id, out);
    }
}

/// Where a PES packet's reassembly stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PesState {
    /// Between PES packets (or dropping a damaged or unwanted one).
    #[default]
    Idle,
    /// Collecting the header.
    Header,
    /// Collecting payload; `remaining` when the PES length is bounded.
    Payload { remaining: Option<usize> },
}

/// Reassembles the PES packets of one substream and hands their payload out in pieces.
#[derive(Debug, Default)]
struct PesAssembler {
    state: PesState,
    /// Header bytes while `state == Header` (at most `MAX_PES_HEADER_LEN`).
    header: Vec<u8>,
    /// Payload not handed out yet.
    piece: Vec<u8>,
    /// The timestamps of the current PES while its first piece has not been handed out.
    unit_start: Option<(Option<u64>, Option<u64>)>,
    /// Where the next MPEG audio frame header is due in the payload, for audio streams whose
    /// PES payload starts with a frame (evidence for routing ambiguous packets).
    frames: FrameTracker,
}

impl PesAssembler {
    /// How much more payload the current PES can take.
    fn room(&self, stuffed: bool) -> Room {
        let (closed, remaining) = match self.state {
            PesState::Idle => (true, None),
            // A bounded PES whose header is not complete yet is treated as unbounded.
            PesState::Header => (false, None),
            PesState::Payload { remaining } => (false, remaining),
        };
        Room {
            closed,
            remaining,
            stuffed,
        }
    }

    /// Starts collecting a new PES (after `close`), unless the stream is not handed out
    /// (`id == None`), in which case the PES is dropped.
    fn start(&mut self, id: Option<StreamId>) {
        if id.is_some() {
            self.state = PesState::Header;
        }
    }

    /// Hands out what is held and drops the rest of the current PES.
    fn close(&mut self, id: Option<StreamId>, out: &mut Events) {
        self.flush(id, out);
        self.state = PesState::Idle;
        self.header.clear();
        self.unit_start = None;
        self.frames = FrameTracker::out_of_step();
    }

    /// Takes the next bytes of the PES.
    fn feed(&mut self, bytes: &[u8], id: Option<StreamId>, out: &mut Events) {
        match self.state {
            PesState::Idle => {}
            PesState::Header => {
                let take = bytes.len().min(MAX_PES_HEADER_LEN - self.header.len());
                self.header.extend_from_slice(&bytes[..take]);
                match parse_pes_header(&self.header) {
                    HeaderParse::Incomplete => {}
                    HeaderParse::Malformed => {
                        self.close(id, out);
                        out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
                    }
                    HeaderParse::Complete(header) => {
                        self.state = PesState::Payload {
                            remaining: header.payload_len(),
                        };
                        self.unit_start = Some((header.pts, header.dts));
                        self.frames = match id {
                            Some(stream) if stream.kind == StreamKind::Audio => {
                                FrameTracker::at_frame_start()
                            }
                            _ => FrameTracker::out_of_step(),
                        };
                        let header_bytes = mem::take(&mut self.header);
                        let early_payload = header_bytes.get(header.header_len..).unwrap_or(&[]);
                        self.append_payload(early_payload, id, out);
                        self.header = header_bytes;
                        self.header.clear();
                        self.append_payload(&bytes[take..], id, out);
                    }
                }
            }
            PesState::Payload { .. } => self.append_payload(bytes, id, out),
        }
    }

    fn append_payload(&mut self, bytes: &[u8], id: Option<StreamId>, out: &mut Events) {
        let PesState::Payload { remaining } = &mut self.state else {
            return;
        };
        let bytes = match remaining {
            Some(remaining) => {
                // Bytes past the declared PES length are not part of it: drop them.
                let len = bytes.len().min(*remaining);
                *remaining -= len;
                &bytes[..len]
            }
            None => bytes,
        };
        let complete = *remaining == Some(0);
        // Out of step for good if this PES does not start with a frame header.
        self.frames.advance(bytes);
        self.piece.extend_from_slice(bytes);
        if complete {
            self.close(id, out);
        } else if self.piece.len() >= MAX_HELD_PAYLOAD {
            self.flush(id, out);
        }
    }

    /// Hands out the payload held, if any.
    fn flush(&mut self, id: Option<StreamId>, out: &mut Events) {
        let Some(stream) = id else {
            self.piece.clear();
            return;
        };
        if self.piece.is_empty() {
            return;
        }
        let unit_start = self.unit_start.take();
        let (pts, dts) = unit_start.unwrap_or_default();
        out.push_back(DemuxEvent::Packet(Packet {
            stream,
            unit_start: unit_start.is_some(),
            pts,
            dts,
            data: mem::take(&mut self.piece),
        }));
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::super::test_support::*;
    use crate::demux::{ContainerFormat, DemuxEvent, StreamId, StreamKind};

    const TS: Option<ContainerFormat> = Some(ContainerFormat::MpegTs);
    const PID: u16 = 0x100;
    const PMT_PID: u16 = 0x1000;

    fn audio() -> StreamId {
        StreamId {
            kind: StreamKind::Audio,
            pid: Some(PID),
            stream_id: 0xC0,
        }
    }

    fn video() -> StreamId {
        StreamId {
            kind: StreamKind::Video,
            pid: Some(PID),
            stream_id: 0xE0,
        }
    }

    /// What one ffmpeg process would send: its tables, then PES packets on PID 0x100.
    fn source(stream_type: u8, stream_id: u8, units: &[Vec<u8>], bounded: bool) -> Vec<Vec<u8>> {
        let mut packets = psi_packets(0, &mut 0, &pat_section(&[(1, PMT_PID)]));
        packets.extend(psi_packets(
            PMT_PID,
            &mut 0,
            &pmt_section(1, &[(stream_type, PID)]),
        ));
        let mut counter = 0;
        for (i, data) in units.iter().enumerate() {
            let timestamps = Timestamps::Pts(3600 * i as u64);
            packets.extend(ts_packets(
                PID,
                &mut counter,
                &pes(stream_id, timestamps, data, bounded),
            ));
        }
        packets
    }

    /// MPEG-1 layer II frames (128 kbit/s, 48 kHz: 384 bytes), three per PES.
    fn audio_source(pes_count: usize) -> Vec<Vec<u8>> {
        let mut rng = Lcg(11);
        let units: Vec<Vec<u8>> = (0..pes_count)
            .map(|_| {
                let mut unit = Vec::new();
                for _ in 0..3 {
                    unit.extend_from_slice(&[0xFF, 0xFD, 0x84, 0x00]);
                    unit.extend(rng.bytes(380));
                }
                unit
            })
            .collect();
        source(0x03, 0xC0, &units, true)
    }

    /// Pictures of varied sizes, in unbounded PES.
    fn video_source(pes_count: usize) -> Vec<Vec<u8>> {
        let mut rng = Lcg(12);
        let units: Vec<Vec<u8>> = (0..pes_count)
            .map(|i| {
                let mut unit = alloc::vec![0, 0, 1, 0];
                unit.extend(rng.bytes([1500, 120, 700, 60, 400][i % 5]));
                unit
            })
            .collect();
        source(0x01, 0xE0, &units, false)
    }

    /// Alternates runs of packets from `a` and `b`, of the lengths `run_len` gives.
    fn interleave(a: &[Vec<u8>], b: &[Vec<u8>], mut run_len: impl FnMut(bool) -> usize) -> Vec<u8> {
        let (mut a, mut b) = (a.iter(), b.iter());
        let mut out = Vec::new();
        let mut from_a = true;
        loop {
            let source = if from_a { &mut a } else { &mut b };
            let before = out.len();
            for packet in source.take(run_len(from_a)) {
                out.extend_from_slice(packet);
            }
            if out.len() == before && a.len() == 0 && b.len() == 0 {
                return out;
            }
            from_a = !from_a;
        }
    }

    /// Runs of whole PES packets (with the tables before them).
    fn pes_runs(packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut runs: Vec<Vec<u8>> = Vec::new();
        for packet in packets {
            let pid = u16::from_be_bytes([packet[1] & 0x1F, packet[2]]);
            if runs.is_empty() || (pid == PID && packet[1] & 0x40 != 0) {
                runs.push(Vec::new());
            }
            runs.last_mut().unwrap().extend_from_slice(packet);
        }
        runs
    }

    /// The payload and timestamps of `stream`, whatever the piece boundaries.
    fn units_of(events: &[DemuxEvent], stream: StreamId) -> Vec<(Option<u64>, Vec<u8>)> {
        merge_pieces(events)
            .into_iter()
            .filter_map(|event| match event {
                DemuxEvent::Packet(p) if p.stream == stream => Some((p.pts, p.data)),
                _ => None,
            })
            .collect()
    }

    fn assert_separated(mixed: &[u8], audio_alone: &[u8], video_alone: &[u8], what: &str) {
        let events = run(TS, mixed);
        assert_eq!(warnings(&events), [], "{what}");
        assert_eq!(
            units_of(&events, audio()),
            units_of(&run(TS, audio_alone), audio()),
            "{what}"
        );
        assert_eq!(
            units_of(&events, video()),
            units_of(&run(TS, video_alone), video()),
            "{what}"
        );
    }

    #[test]
    fn separates_two_sources_on_one_pid_interleaved_by_pes() {
        let (a, v) = (audio_source(12), video_source(15));
        let (a_alone, v_alone) = (concat(&a), concat(&v));
        let (a_runs, v_runs) = (pes_runs(&a), pes_runs(&v));
        let mut rng = Lcg(5);
        for round in 0..20 {
            let mixed = interleave(&a_runs, &v_runs, |_| 1 + rng.below(3));
            assert_separated(&mixed, &a_alone, &v_alone, &alloc::format!("round {round}"));
        }
    }

    #[test]
    fn separates_two_sources_on_one_pid_interleaved_by_packets() {
        let (a, v) = (audio_source(12), video_source(15));
        let (a_alone, v_alone) = (concat(&a), concat(&v));
        // Both sources start with the same counters: the hardest case.
        for fixed in 5..=9 {
            let mixed = interleave(&a, &v, |_| fixed);
            assert_separated(
                &mixed,
                &a_alone,
                &v_alone,
                &alloc::format!("runs of {fixed}"),
            );
        }
        let mut rng = Lcg(8);
        for round in 0..30 {
            let mixed = interleave(&a, &v, |_| 5 + rng.below(20));
            assert_separated(&mixed, &a_alone, &v_alone, &alloc::format!("round {round}"));
        }
        // Pushed in pieces of any size, the result is the same.
        let mixed = interleave(&a, &v, |from_a| if from_a { 7 } else { 5 });
        let whole = normalise(&run(TS, &mixed));
        for size in [1, 100, 188, 1000] {
            assert_eq!(
                normalise(&run_chunks(TS, mixed.chunks(size))),
                whole,
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn a_pes_start_decides_between_streams_expecting_the_same_counter() {
        // Audio (bounded, no frame structure) and video share PID 0x100. After the video PES
        // starts, both expect counter 2, and the next packet is audio: the plain "most recent
        // stream" rule would give it to video; the video PES start that follows shows it was not.
        let audio_pes = pes(0xC0, Timestamps::Pts(1), &[7; 184 * 4 - 14], true);
        let video_pes = pes(0xE0, Timestamps::Pts(2), &[9; 184 * 2 - 14], false);
        let audio_packets = ts_packets(PID, &mut 0, &audio_pes);
        let video_packets = ts_packets(PID, &mut 1, &video_pes);
        let next_video = ts_packets(PID, &mut 3, &pes(0xE0, Timestamps::Pts(3), &[5; 20], false));
        let order = [
            &audio_packets[0], // audio counter 0
            &audio_packets[1], // audio 1
            &video_packets[0], // video 1 (PES start)
            &audio_packets[2], // audio 2: ambiguous
            &audio_packets[3], // audio 3
            &video_packets[1], // video 2
            &next_video[0],    // video 3 (PES start): only consistent if audio took 2 and 3
        ];
        let stream: Vec<u8> = order.iter().flat_map(|p| p.iter().copied()).collect();
        let events = run(TS, &stream);
        assert_eq!(warnings(&events), []);
        assert_eq!(
            units_of(&events, audio()),
            [(Some(1), alloc::vec![7; 184 * 4 - 14])]
        );
        assert_eq!(
            units_of(&events, video()),
            [
                (Some(2), alloc::vec![9; 184 * 2 - 14]),
                (Some(3), alloc::vec![5; 20])
            ]
        );
    }

    #[test]
    fn a_gap_goes_to_the_stream_served_last_with_a_warning() {
        let video_pes = pes(0xE0, Timestamps::None, &[9; 184 * 3 - 14], false);
        let audio_pes = pes(0xC0, Timestamps::None, &[7; 100], true);
        let mut packets = ts_packets(PID, &mut 0, &audio_pes);
        let video_packets = ts_packets(PID, &mut 4, &video_pes);
        packets.push(video_packets[0].clone());
        packets.push(video_packets[2].clone());
        let events = run(TS, &concat(&packets));
        assert_eq!(
            warnings(&events),
            [crate::demux::DemuxWarning::ContinuityError {
                pid: PID,
                expected: 5,
                found: 6
            }]
        );
        assert_eq!(stream_bytes(&events, video()).len(), 184 * 2 - 14);
    }
}
