//! MPEG transport streams (ISO/IEC 13818-1): 188-byte packets.
//!
//! This module finds packet boundaries (resynchronising after garbage), reads packet headers and
//! adaptation fields, and reassembles PAT/PMT sections. PES payloads go to
//! [`Substreams`], which tells interleaved streams apart.
//!
//! Sync is established by three sync bytes 188 bytes apart (fewer at the end of the input).
//! Once in sync, a packet is handled as soon as its 188 bytes are there, without waiting for
//! the next sync byte, so as not to add latency; the price is that garbage starting with 0x47
//! right after a packet is taken for a packet (and then sync is lost and found again).
//!
//! The PMT only gives hints: the kind of a stream comes from its PES `stream_id`, and PES found
//! on PIDs no PMT lists are read too (as JSMpeg does). A PMT that gives another codec (H.264,
//! AAC...) for a PID and kind keeps those PES away from the MPEG decoders.

use alloc::vec::Vec;
use core::mem;

use super::continuity::{Continuity, Repeat};
use super::psi::{classify_stream_type, parse_pat, parse_pmt, SectionAssembler, PAT_PID};
use super::ts_streams::{PayloadPacket, StreamHint, Substreams};
use super::{DemuxEvent, DemuxWarning, Events};

/// The size of a transport packet.
pub(crate) const PACKET_LEN: usize = 188;
/// The first byte of every transport packet.
pub(crate) const SYNC_BYTE: u8 = 0x47;
/// How many sync bytes in a row, a packet apart, establish packet boundaries (when the input is
/// long enough; at its end, whatever there is decides).
pub(crate) const SYNC_CONFIRMATIONS: usize = 3;

/// The PID of null (stuffing) packets.
const NULL_PID: u16 = 0x1FFF;
/// The most PMT PIDs followed; others listed by PATs are ignored.
const MAX_PMT_PIDS: usize = 16;

/// Whether transport packets start at the beginning of some bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncCheck {
    /// Sync bytes where expected.
    Confirmed,
    /// A sync byte is missing.
    Refuted,
    /// So far so good, but more bytes are needed to be sure.
    Undecided,
}

/// Checks for sync bytes at 0, 188, 376... up to [`SYNC_CONFIRMATIONS`] of them. With `at_end`
/// (no more bytes will come) the ones present decide, provided there is a whole packet.
pub(crate) fn check_sync(bytes: &[u8], at_end: bool) -> SyncCheck {
    let positions = (0..bytes.len())
        .step_by(PACKET_LEN)
        .take(SYNC_CONFIRMATIONS);
    let mut found = 0;
    for at in positions {
        if bytes[at] != SYNC_BYTE {
            return SyncCheck::Refuted;
        }
        found += 1;
    }
    if found == SYNC_CONFIRMATIONS || (at_end && bytes.len() >= PACKET_LEN) {
        SyncCheck::Confirmed
    } else if at_end {
        SyncCheck::Refuted
    } else {
        SyncCheck::Undecided
    }
}

/// A push-based transport-stream demuxer.
#[derive(Debug, Default)]
pub(crate) struct TsDemuxer {
    /// Input not consumed yet: a partial packet, or bytes waiting for sync confirmation.
    carry: Vec<u8>,
    /// Whether the next byte is expected to start a packet.
    synced: bool,
    /// Bytes dropped while looking for sync, not reported yet.
    skipped: usize,
    /// The PSI PIDs: the PAT's, then the PMTs' the PATs listed.
    psi: Vec<PsiPid>,
    /// The PES-carrying streams.
    streams: Substreams,
    /// Reused list of the sections completed by a packet.
    sections: Vec<Vec<u8>>,
}

/// Reassembly state of one PID that carries PSI sections.
#[derive(Debug)]
struct PsiPid {
    pid: u16,
    continuity: Continuity,
    assembler: SectionAssembler,
}

impl PsiPid {
    fn new(pid: u16) -> PsiPid {
        PsiPid {
            pid,
            continuity: Continuity::default(),
            assembler: SectionAssembler::default(),
        }
    }
}

/// Where the next packet boundary is, as far as the bytes at hand tell.
enum SyncSearch {
    /// A confirmed packet starts at this offset.
    Found(usize),
    /// Not decided yet: this many bytes can be dropped, the rest must wait for more input.
    NeedMore(usize),
}

impl TsDemuxer {
    /// Takes the next bytes of the stream.
    pub fn push(&mut self, data: &[u8], out: &mut Events) {
        self.consume_input(data, false, out);
        // Live decoding must not wait for the next PES to start.
        self.streams.flush_all(out);
    }

    /// Ends the input: a trailing partial packet is reported as skipped.
    pub fn finish(&mut self, out: &mut Events) {
        self.consume_input(&[], true, out);
        self.skipped += mem::take(&mut self.carry).len();
        if self.skipped > 0 {
            self.synced = false;
        }
        self.report_skipped(out);
        self.streams.finish(out);
    }

    fn consume_input(&mut self, mut data: &[u8], at_end: bool, out: &mut Events) {
        if self.synced && (1..PACKET_LEN).contains(&self.carry.len()) {
            // Complete the packet cut by the end of the previous push, so that the rest of this
            // push can be read in place instead of being copied behind it.
            let take = (PACKET_LEN - self.carry.len()).min(data.len());
            self.carry.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.carry.len() == PACKET_LEN {
                let mut packet = mem::take(&mut self.carry);
                let consumed = self.consume(&packet, at_end && data.is_empty(), out);
                // Normally all of it; after a lost sync, what the search could not decide yet.
                packet.drain(..consumed);
                self.carry = packet;
            }
        }
        if self.carry.is_empty() {
            let consumed = self.consume(data, at_end, out);
            self.carry.extend_from_slice(&data[consumed..]);
        } else {
            let mut buffer = mem::take(&mut self.carry);
            buffer.extend_from_slice(data);
            let consumed = self.consume(&buffer, at_end, out);
            buffer.drain(..consumed);
            self.carry = buffer;
        }
    }

    /// Handles the whole packets in `buf`; returns how many bytes were used up.
    fn consume(&mut self, buf: &[u8], at_end: bool, out: &mut Events) -> usize {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            if self.synced {
                let Some(packet) = rest.get(..PACKET_LEN) else {
                    break;
                };
                if packet[0] == SYNC_BYTE {
                    self.handle_packet(packet, out);
                    pos += PACKET_LEN;
                    continue;
                }
                self.synced = false;
            }
            match find_sync(rest, at_end) {
                SyncSearch::Found(offset) => {
                    self.skipped += offset;
                    pos += offset;
                    self.report_skipped(out);
                    self.synced = true;
                }
                SyncSearch::NeedMore(droppable) => {
                    self.skipped += droppable;
                    pos += droppable;
                    break;
                }
            }
        }
        pos
    }

    fn report_skipped(&mut self, out: &mut Events) {
        if self.skipped > 0 {
            let skipped = mem::take(&mut self.skipped);
            out.push_back(DemuxEvent::Warning(DemuxWarning::Resync { skipped }));
        }
    }

    fn handle_packet(&mut self, packet: &[u8], out: &mut Events) {
        let Some(fields) = PacketFields::read(packet) else {
            out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
            return;
        };
        let pid = fields.pid;
        if fields.transport_error {
            out.push_back(DemuxEvent::Warning(DemuxWarning::TransportError { pid }));
            return;
        }
        if pid == NULL_PID || fields.scrambled {
            return;
        }
        let psi_index = self.psi_index(pid);
        if let Some(payload) = fields.payload {
            let repeat = match psi_index {
                Some(index) => self.psi[index]
                    .continuity
                    .check_repeat(fields.counter, payload),
                None => self.streams.check_repeat(pid, fields.counter, payload),
            };
            match repeat {
                Repeat::No => {}
                Repeat::Duplicate => return,
                Repeat::Excess => {
                    out.push_back(DemuxEvent::Warning(DemuxWarning::ContinuityError {
                        pid,
                        expected: (fields.counter + 1) & 0x0F,
                        found: fields.counter,
                    }));
                    return;
                }
            }
        }
        if let Some(pcr) = fields.pcr {
            out.push_back(DemuxEvent::Pcr { pid, pcr });
        }
        let Some(payload) = fields.payload else {
            // Adaptation field only: the counter does not advance, but may jump after a
            // signalled discontinuity.
            if fields.discontinuity {
                match psi_index {
                    Some(index) => self.psi[index].continuity.forget(),
                    None => self.streams.forget_continuity(pid, out),
                }
            }
            return;
        };
        let packet = PayloadPacket {
            pid,
            counter: fields.counter,
            unit_start: fields.unit_start,
            discontinuity: fields.discontinuity,
            stuffed: fields.stuffed,
            payload,
        };
        match psi_index {
            Some(index) => self.handle_psi(index, &packet, out),
            None => self.streams.handle(&packet, out),
        }
    }

    /// The PSI state of `pid` if it carries the PAT or a PMT.
    fn psi_index(&mut self, pid: u16) -> Option<usize> {
        let index = self.psi.iter().position(|psi| psi.pid == pid);
        if index.is_none() && pid == PAT_PID {
            self.psi.push(PsiPid::new(PAT_PID));
            return Some(self.psi.len() - 1);
        }
        index
    }

    fn handle_psi(&mut self, index: usize, packet: &PayloadPacket<'_>, out: &mut Events) {
        let psi = &mut self.psi[index];
        let continuous = packet.discontinuity || psi.continuity.accepts(packet.counter);
        // A counter jump on a unit start costs nothing (the previous section was complete), and
        // happens all the time when a relay interleaves two sources that both send tables.
        if !continuous && !packet.unit_start {
            if let Some(expected) = psi.continuity.expected() {
                out.push_back(DemuxEvent::Warning(DemuxWarning::ContinuityError {
                    pid: packet.pid,
                    expected,
                    found: packet.counter,
                }));
            }
        }
        psi.continuity.record(packet.counter, packet.payload);
        let mut sections = mem::take(&mut self.sections);
        let assembled =
            psi.assembler
                .push(packet.payload, packet.unit_start, continuous, &mut sections);
        if assembled.is_err() {
            out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
        }
        for section in sections.drain(..) {
            self.handle_section(packet.pid, &section, out);
        }
        self.sections = sections;
    }

    fn handle_section(&mut self, pid: u16, section: &[u8], out: &mut Events) {
        // Other tables (CAT, NIT, SDT, private sections...) are not read.
        match (pid, section.first()) {
            (PAT_PID, Some(0x00)) => match parse_pat(section) {
                Ok(programs) => {
                    for program in programs {
                        self.add_pmt_pid(program.pmt_pid);
                    }
                }
                Err(_) => out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader)),
            },
            (_, Some(0x02)) if pid != PAT_PID => match parse_pmt(section) {
                Ok(Some(pmt)) => {
                    for entry in pmt.streams {
                        if let Some(class) = classify_stream_type(entry.stream_type) {
                            let hint = StreamHint {
                                stream_type: entry.stream_type,
                                program: pmt.program,
                                supported: class.supported,
                            };
                            self.streams.set_hint(entry.pid, class.kind, hint);
                        }
                    }
                }
                Ok(None) => {}
                Err(_) => out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader)),
            },
            _ => {}
        }
    }

    /// Starts reading PMT sections on `pid`. PMT PIDs are never forgotten: two interleaved
    /// sources may send different PATs.
    fn add_pmt_pid(&mut self, pid: u16) {
        let known = self.psi.iter().any(|psi| psi.pid == pid);
        if !known && pid != NULL_PID && self.psi.len() <= MAX_PMT_PIDS {
            self.psi.push(PsiPid::new(pid));
        }
    }
}

/// Finds the first offset in `bytes` where confirmed packets start.
fn find_sync(bytes: &[u8], at_end: bool) -> SyncSearch {
    for (offset, _) in bytes.iter().enumerate().filter(|(_, &b)| b == SYNC_BYTE) {
        match check_sync(&bytes[offset..], at_end) {
            SyncCheck::Confirmed => return SyncSearch::Found(offset),
            SyncCheck::Undecided => return SyncSearch::NeedMore(offset),
            SyncCheck::Refuted => {}
        }
    }
    SyncSearch::NeedMore(bytes.len())
}

/// The fields of a transport packet this demuxer uses.
#[derive(Clone, Copy, Debug)]
struct PacketFields<'a> {
    transport_error: bool,
    unit_start: bool,
    pid: u16,
    scrambled: bool,
    counter: u8,
    discontinuity: bool,
    /// The adaptation field ends with stuffing bytes (shortening the payload).
    stuffed: bool,
    /// Program clock reference, 27 MHz.
    pcr: Option<u64>,
    /// `None` when `adaptation_field_control` says there is no payload.
    payload: Option<&'a [u8]>,
}

impl<'a> PacketFields<'a> {
    /// Reads a 188-byte packet; `None` when its adaptation field does not fit.
    fn read(packet: &'a [u8]) -> Option<PacketFields<'a>> {
        let header = packet.get(..4)?;
        let adaptation_field_control = (header[3] >> 4) & 0x03;
        let has_adaptation = adaptation_field_control & 0b10 != 0;
        let has_payload = adaptation_field_control & 0b01 != 0;
        let mut fields = PacketFields {
            transport_error: header[1] & 0x80 != 0,
            unit_start: header[1] & 0x40 != 0,
            pid: u16::from_be_bytes([header[1] & 0x1F, header[2]]),
            scrambled: header[3] & 0xC0 != 0,
            counter: header[3] & 0x0F,
            discontinuity: false,
            stuffed: false,
            pcr: None,
            payload: None,
        };
        if fields.transport_error {
            // Nothing else in the packet can be trusted.
            return Some(fields);
        }
        let mut payload_start = 4;
        if has_adaptation {
            let len = usize::from(*packet.get(4)?);
            let max_len = if has_payload { 182 } else { 183 };
            if len > max_len {
                return None;
            }
            let adaptation = packet.get(5..5 + len)?;
            fields.stuffed = has_stuffing(adaptation);
            if let Some(&flags) = adaptation.first() {
                fields.discontinuity = flags & 0x80 != 0;
                if flags & 0x10 != 0 {
                    fields.pcr = Some(read_pcr(adaptation.get(1..7)?));
                }
            }
            payload_start = 5 + len;
        }
        if has_payload {
            fields.payload = Some(packet.get(payload_start..)?);
        }
        Some(fields)
    }
}

/// Whether an adaptation field (after its length byte) ends with stuffing: bytes beyond the
/// fields its flags announce. An empty one is a single stuffing byte (the length itself).
fn has_stuffing(adaptation: &[u8]) -> bool {
    let Some(&flags) = adaptation.first() else {
        return true;
    };
    let mut used = 1;
    if flags & 0x10 != 0 {
        used += 6; // PCR
    }
    if flags & 0x08 != 0 {
        used += 6; // OPCR
    }
    if flags & 0x04 != 0 {
        used += 1; // splice_countdown
    }
    // transport_private_data and adaptation_field_extension carry their own lengths.
    for flag in [0x02, 0x01] {
        if flags & flag != 0 {
            used += 1 + adaptation.get(used).map_or(0, |&len| usize::from(len));
        }
    }
    adaptation.len() > used
}

/// Reads a PCR field: 33-bit base (90 kHz), 6 reserved bits, 9-bit extension (27 MHz).
fn read_pcr(field: &[u8]) -> u64 {
    let b = |i: usize| u64::from(field[i]);
    let base = b(0) << 25 | b(1) << 17 | b(2) << 9 | b(3) << 1 | b(4) >> 7;
    let extension = (b(4) & 0x01) << 8 | b(5);
    base * 300 + extension
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use super::super::test_support::*;
    use super::*;
    use crate::demux::{ContainerFormat, Demuxer, Packet, StreamId, StreamInfo, StreamKind};

    const TS: Option<ContainerFormat> = Some(ContainerFormat::MpegTs);
    const VIDEO_PID: u16 = 0x100;
    const AUDIO_PID: u16 = 0x101;
    const PMT_PID: u16 = 0x1000;

    fn id(kind: StreamKind, pid: u16, stream_id: u8) -> StreamId {
        StreamId {
            kind,
            pid: Some(pid),
            stream_id,
        }
    }

    fn video() -> StreamId {
        id(StreamKind::Video, VIDEO_PID, 0xE0)
    }

    fn audio() -> StreamId {
        id(StreamKind::Audio, AUDIO_PID, 0xC0)
    }

    fn bytes(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
    }

    fn tables(counter: &mut u8, streams: &[(u8, u16)]) -> Vec<Vec<u8>> {
        let mut packets = psi_packets(0, counter, &pat_section(&[(1, PMT_PID)]));
        let mut pmt_counter = *counter;
        packets.extend(psi_packets(
            PMT_PID,
            &mut pmt_counter,
            &pmt_section(1, streams),
        ));
        packets
    }

    fn unit(stream: StreamId, pts: Option<u64>, dts: Option<u64>, data: Vec<u8>) -> DemuxEvent {
        DemuxEvent::Packet(Packet {
            stream,
            unit_start: true,
            pts,
            dts,
            data,
        })
    }

    /// A program with tables, two video PES (unbounded, the first with PCR) and one audio PES
    /// (bounded), interleaved.
    fn program() -> (Vec<u8>, [Vec<u8>; 3]) {
        let payloads = [bytes(400, 1), bytes(100, 2), bytes(250, 3)];
        let mut packets = tables(&mut 0, &[(0x01, VIDEO_PID), (0x03, AUDIO_PID)]);
        let (mut video_cc, mut audio_cc) = (0, 5);
        let first = pes(0xE0, Timestamps::Both(9000, 6000), &payloads[0], false);
        let mut video_packets = ts_packets(VIDEO_PID, &mut video_cc, &first);
        // A PCR in the first video packet (its payload is shorter by the adaptation field).
        let options = TsOptions {
            unit_start: true,
            pcr: Some((0x1_2345_6789, 299)),
            ..TsOptions::default()
        };
        video_packets[0] = ts_packet(VIDEO_PID, 0, options, &first[..176]);
        let mut rest = ts_packets(VIDEO_PID, &mut 1, &first[176..]);
        for packet in &mut rest {
            packet[1] &= !0x40;
        }
        video_packets.truncate(1);
        video_packets.extend(rest);
        video_cc = (video_packets.len() as u8) & 0x0F;
        let audio_packets = ts_packets(
            AUDIO_PID,
            &mut audio_cc,
            &pes(0xC0, Timestamps::Pts(7000), &payloads[2], true),
        );
        packets.push(video_packets[0].clone());
        packets.push(audio_packets[0].clone());
        packets.extend(video_packets[1..].iter().cloned());
        packets.extend(audio_packets[1..].iter().cloned());
        packets.extend(ts_packets(
            VIDEO_PID,
            &mut video_cc,
            &pes(0xE0, Timestamps::Pts(12_600), &payloads[1], false),
        ));
        (concat(&packets), payloads)
    }

    #[test]
    fn demuxes_a_program() {
        let (stream, payloads) = program();
        let events = normalise(&run(TS, &stream));
        let expected = normalise(&[
            DemuxEvent::Pcr {
                pid: VIDEO_PID,
                pcr: 0x1_2345_6789 * 300 + 299,
            },
            DemuxEvent::NewStream(StreamInfo {
                id: video(),
                stream_type: Some(0x01),
                program: Some(1),
            }),
            unit(video(), Some(9000), Some(6000), payloads[0].clone()),
            DemuxEvent::NewStream(StreamInfo {
                id: audio(),
                stream_type: Some(0x03),
                program: Some(1),
            }),
            unit(audio(), Some(7000), None, payloads[2].clone()),
            unit(video(), Some(12_600), None, payloads[1].clone()),
        ]);
        assert_eq!(events, expected);
    }

    #[test]
    fn any_split_gives_the_same_events() {
        let (stream, _) = program();
        assert_split_invariant(TS, &stream);
        assert_split_invariant(None, &stream[..188 * 6]);
    }

    #[test]
    fn hands_out_partial_payload_at_the_end_of_each_push() {
        let payload = bytes(184 * 5 - 14, 9);
        let stream = concat(&ts_packets(
            VIDEO_PID,
            &mut 0,
            &pes(0xE0, Timestamps::Pts(1), &payload, false),
        ));
        let mut demuxer = Demuxer::new(TS);
        // Three packets establish sync; then each push hands out what it brought.
        demuxer.push(&stream[..188 * 3]);
        let events: Vec<_> = core::iter::from_fn(|| demuxer.next_event()).collect();
        let expected_first = Packet {
            stream: video(),
            unit_start: true,
            pts: Some(1),
            dts: None,
            data: payload[..184 * 3 - 14].to_vec(),
        };
        assert_eq!(events.last(), Some(&DemuxEvent::Packet(expected_first)));
        demuxer.push(&stream[188 * 3..188 * 4]);
        let expected_second = Packet {
            stream: video(),
            unit_start: false,
            pts: None,
            dts: None,
            data: payload[184 * 3 - 14..184 * 4 - 14].to_vec(),
        };
        assert_eq!(
            demuxer.next_event(),
            Some(DemuxEvent::Packet(expected_second))
        );
        assert_eq!(demuxer.next_event(), None);
    }

    #[test]
    fn bounded_pes_comes_out_when_complete() {
        let payload = bytes(300, 4);
        let packets = ts_packets(
            AUDIO_PID,
            &mut 0,
            &pes(0xC0, Timestamps::Pts(3), &payload, true),
        );
        let mut demuxer = Demuxer::new(TS);
        // Without the packet after it, which would confirm sync in mid-stream... the stream is in
        // sync from the start once three packets are seen.
        demuxer.push(&concat(&packets));
        demuxer.push(&ts_packet(0x1FFF, 0, TsOptions::default(), &[0xFF; 184]));
        let events: Vec<_> = core::iter::from_fn(|| demuxer.next_event()).collect();
        assert_eq!(stream_bytes(&events, audio()), payload);
    }

    #[test]
    fn resyncs_after_garbage() {
        let (clean, _) = program();
        let reference = normalise(&run(TS, &clean));
        // Leading garbage with a false sync byte, and garbage between two packets.
        let mut garbage = vec![0x47, 1, 2, 3, 0x47, 5];
        garbage.extend(bytes(300, 0x55).iter().map(|b| b & 0x3F));
        let mut stream = garbage.clone();
        stream.extend_from_slice(&clean[..188 * 4]);
        // In sync, a sync byte is trusted: garbage there must not start with one.
        stream.extend_from_slice(&garbage[6..56]);
        stream.extend_from_slice(&clean[188 * 4..]);
        let events = run(TS, &stream);
        let (others, streams) = normalise(&events);
        assert_eq!(streams, reference.1);
        let resyncs: Vec<_> = warnings(&events);
        assert_eq!(
            resyncs,
            [
                DemuxWarning::Resync {
                    skipped: garbage.len()
                },
                DemuxWarning::Resync { skipped: 50 }
            ]
        );
        assert_eq!(others.len(), reference.0.len() + 2);
        assert_split_invariant(TS, &stream);
    }

    #[test]
    fn reports_a_truncated_packet_and_trailing_bytes() {
        let (clean, _) = program();
        let mut stream = clean[..188 * 5 + 100].to_vec();
        stream.extend_from_slice(&clean[188 * 6..]);
        stream.extend_from_slice(&[0x47, 0, 0]);
        let events = run(TS, &stream);
        let warnings = warnings(&events);
        assert!(
            warnings.contains(&DemuxWarning::Resync { skipped: 100 }),
            "{warnings:?}"
        );
        assert_eq!(warnings.last(), Some(&DemuxWarning::Resync { skipped: 3 }));
    }

    /// Video packets of one unbounded PES, then the start of the next.
    fn video_packets(count: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
        let payload = bytes(184 * count - 14, 6);
        let mut packets = ts_packets(
            VIDEO_PID,
            &mut 0,
            &pes(0xE0, Timestamps::Pts(5), &payload, false),
        );
        let mut counter = count as u8;
        packets.extend(ts_packets(
            VIDEO_PID,
            &mut counter,
            &pes(0xE0, Timestamps::None, &[1, 2, 3], false),
        ));
        (packets, payload)
    }

    #[test]
    fn reports_lost_packets() {
        let (mut packets, payload) = video_packets(5);
        packets.remove(2);
        let events = run(TS, &concat(&packets));
        assert_eq!(
            warnings(&events),
            [DemuxWarning::ContinuityError {
                pid: VIDEO_PID,
                expected: 2,
                found: 3
            }]
        );
        let mut expected = payload[..184 * 2 - 14].to_vec();
        expected.extend_from_slice(&payload[184 * 3 - 14..]);
        expected.extend_from_slice(&[1, 2, 3]);
        assert_eq!(stream_bytes(&events, video()), expected);
    }

    #[test]
    fn drops_duplicates() {
        let (packets, payload) = video_packets(4);
        let mut with_duplicate = packets.clone();
        with_duplicate.insert(2, packets[1].clone());
        let events = run(TS, &concat(&with_duplicate));
        assert_eq!(warnings(&events), []);
        let mut expected = payload.clone();
        expected.extend_from_slice(&[1, 2, 3]);
        assert_eq!(stream_bytes(&events, video()), expected);
        // A third copy is damage.
        with_duplicate.insert(2, packets[1].clone());
        let events = run(TS, &concat(&with_duplicate));
        assert_eq!(
            warnings(&events),
            [DemuxWarning::ContinuityError {
                pid: VIDEO_PID,
                expected: 2,
                found: 1
            }]
        );
        assert_eq!(stream_bytes(&events, video()), expected);
        // The same counter with other bytes is not a duplicate.
        let mut other = packets.clone();
        let mut changed = packets[1].clone();
        changed[100] ^= 0xFF;
        other.insert(2, changed);
        let events = run(TS, &concat(&other));
        assert_eq!(
            warnings(&events),
            [DemuxWarning::ContinuityError {
                pid: VIDEO_PID,
                expected: 2,
                found: 1
            }]
        );
    }

    #[test]
    fn adaptation_only_packets_keep_the_counter_and_carry_pcr() {
        let (mut packets, payload) = video_packets(3);
        let options = TsOptions {
            adaptation_only: true,
            pcr: Some((1000, 7)),
            ..TsOptions::default()
        };
        // Same counter as the packet before it.
        packets.insert(2, ts_packet(VIDEO_PID, 1, options, &[]));
        let events = run(TS, &concat(&packets));
        assert_eq!(warnings(&events), []);
        assert!(events.contains(&DemuxEvent::Pcr {
            pid: VIDEO_PID,
            pcr: 300_007
        }));
        assert_eq!(
            &stream_bytes(&events, video())[..payload.len()],
            &payload[..]
        );
    }

    #[test]
    fn discontinuity_indicator_allows_a_counter_jump() {
        let (mut packets, _) = video_packets(4);
        // A jump on a packet that says so.
        let payload = packets[2][4..].to_vec();
        let options = TsOptions {
            discontinuity: true,
            ..TsOptions::default()
        };
        packets[2] = ts_packet(VIDEO_PID, 9, options, &payload[..176]);
        for (i, packet) in packets.iter_mut().enumerate().skip(3) {
            packet[3] = (packet[3] & 0xF0) | ((7 + i as u8) & 0x0F);
        }
        let events = run(TS, &concat(&packets));
        assert_eq!(warnings(&events), []);
        // Announced by an adaptation-field-only packet.
        let (mut packets, _) = video_packets(4);
        let options = TsOptions {
            discontinuity: true,
            adaptation_only: true,
            ..TsOptions::default()
        };
        packets.insert(2, ts_packet(VIDEO_PID, 12, options, &[]));
        for packet in packets.iter_mut().skip(3) {
            packet[3] = (packet[3] & 0xF0) | ((packet[3] + 11) & 0x0F);
        }
        let events = run(TS, &concat(&packets));
        assert_eq!(warnings(&events), []);
    }

    #[test]
    fn drops_packets_with_transport_errors() {
        let (mut packets, payload) = video_packets(3);
        packets[1][1] |= 0x80;
        let events = run(TS, &concat(&packets));
        assert_eq!(
            warnings(&events),
            [
                DemuxWarning::TransportError { pid: VIDEO_PID },
                DemuxWarning::ContinuityError {
                    pid: VIDEO_PID,
                    expected: 1,
                    found: 2
                }
            ]
        );
        let video_bytes = stream_bytes(&events, video());
        assert_eq!(&video_bytes[..184 - 14], &payload[..184 - 14]);
        assert_eq!(video_bytes.len(), payload.len() + 3 - 184);
    }

    #[test]
    fn routes_by_stream_id_without_tables() {
        let mut packets = ts_packets(
            0x44,
            &mut 0,
            &pes(0xE2, Timestamps::Pts(1), &[1; 10], false),
        );
        packets.extend(ts_packets(
            0x45,
            &mut 0,
            &pes(0xC3, Timestamps::Pts(2), &[2; 10], true),
        ));
        // Private streams and padding are not handed out.
        packets.extend(ts_packets(
            0x46,
            &mut 0,
            &pes(0xBD, Timestamps::Pts(3), &[3; 10], true),
        ));
        let events = normalise(&run(TS, &concat(&packets)));
        let video = id(StreamKind::Video, 0x44, 0xE2);
        let audio = id(StreamKind::Audio, 0x45, 0xC3);
        assert_eq!(
            events,
            normalise(&[
                DemuxEvent::NewStream(StreamInfo {
                    id: video,
                    stream_type: None,
                    program: None
                }),
                unit(video, Some(1), None, vec![1; 10]),
                DemuxEvent::NewStream(StreamInfo {
                    id: audio,
                    stream_type: None,
                    program: None
                }),
                unit(audio, Some(2), None, vec![2; 10]),
            ])
        );
    }

    #[test]
    fn ignores_streams_the_pmt_says_are_other_codecs() {
        // H.264 on the video PID, AAC on the audio PID.
        let mut packets = tables(&mut 0, &[(0x1B, VIDEO_PID), (0x0F, AUDIO_PID)]);
        packets.extend(ts_packets(
            VIDEO_PID,
            &mut 0,
            &pes(0xE0, Timestamps::None, &[1; 10], false),
        ));
        packets.extend(ts_packets(
            AUDIO_PID,
            &mut 0,
            &pes(0xC0, Timestamps::None, &[2; 300], true),
        ));
        let events = run(TS, &concat(&packets));
        assert_eq!(events, []);
    }

    #[test]
    fn reads_sections_across_packets_and_checks_their_crc() {
        // A PMT too long for one packet (many streams), then a PAT in the same packet as the end
        // of the PMT, behind a pointer field.
        let mut streams: Vec<(u8, u16)> = (0..40).map(|i| (0x06, 0x200 + i)).collect();
        streams.push((0x02, VIDEO_PID));
        let pmt = pmt_section(7, &streams);
        assert!(pmt.len() > 184);
        let pat = pat_section(&[(7, PMT_PID)]);
        let mut packets = psi_packets(0, &mut 0, &pat);
        let mut first = vec![0];
        first.extend_from_slice(&pmt[..183]);
        packets.push(ts_packet(
            PMT_PID,
            0,
            TsOptions {
                unit_start: true,
                ..TsOptions::default()
            },
            &first,
        ));
        let tail = &pmt[183..];
        let mut second = vec![tail.len() as u8];
        second.extend_from_slice(tail);
        second.extend_from_slice(&pmt_section(7, &[(0x02, VIDEO_PID)]));
        second.resize(184, 0xFF);
        packets.push(ts_packet(
            PMT_PID,
            1,
            TsOptions {
                unit_start: true,
                ..TsOptions::default()
            },
            &second,
        ));
        packets.extend(ts_packets(
            VIDEO_PID,
            &mut 0,
            &pes(0xE0, Timestamps::None, &[1; 10], false),
        ));
        let events = run(TS, &concat(&packets));
        assert_eq!(
            events[0],
            DemuxEvent::NewStream(StreamInfo {
                id: video(),
                stream_type: Some(0x02),
                program: Some(7)
            })
        );
        // A damaged CRC.
        let mut bad_pat = pat_section(&[(1, PMT_PID)]);
        let last = bad_pat.len() - 1;
        bad_pat[last] ^= 1;
        let events = run(TS, &concat(&psi_packets(0, &mut 0, &bad_pat)));
        assert_eq!(warnings(&events), [DemuxWarning::MalformedHeader]);
        // A pointer field past the end of the payload.
        let mut packet = ts_packet(
            0,
            0,
            TsOptions {
                unit_start: true,
                ..TsOptions::default()
            },
            &[0xFF; 184],
        );
        packet[4] = 200;
        let events = run(TS, &packet);
        assert_eq!(warnings(&events), [DemuxWarning::MalformedHeader]);
    }

    #[test]
    fn pes_header_may_span_packets_and_bad_ones_are_reported() {
        // A PUSI packet whose payload is only 7 bytes: the PES header continues in the next.
        let data = pes(0xE0, Timestamps::Both(10, 5), &[9; 300], false);
        let options = TsOptions {
            unit_start: true,
            ..TsOptions::default()
        };
        let mut packets = vec![ts_packet(VIDEO_PID, 0, options, &data[..7])];
        let mut rest = ts_packets(VIDEO_PID, &mut 1, &data[7..]);
        for packet in &mut rest {
            packet[1] &= !0x40;
        }
        packets.extend(rest);
        let events = merge_pieces(&run(TS, &concat(&packets)));
        assert_eq!(events[1], unit(video(), Some(10), Some(5), vec![9; 300]));
        // A PES header with a bad marker, then a unit start that is not a PES at all.
        let mut bad = pes(0xE0, Timestamps::Pts(10), &[9; 30], false);
        bad[6] = 0x40;
        bad[14] = 0x00;
        let mut packets = ts_packets(VIDEO_PID, &mut 0, &pes(0xE0, Timestamps::None, &[1], false));
        packets.extend(ts_packets(VIDEO_PID, &mut 1, &bad));
        packets.extend(ts_packets(VIDEO_PID, &mut 2, &[1, 2, 3, 4, 5]));
        let events = run(TS, &concat(&packets));
        assert_eq!(
            warnings(&events),
            [DemuxWarning::MalformedHeader, DemuxWarning::MalformedHeader]
        );
        assert_eq!(stream_bytes(&events, video()), [1]);
    }

    #[test]
    fn hands_out_huge_pes_in_bounded_pieces() {
        let payload = bytes(ts_streams_max() + 5000, 3);
        let stream = concat(&ts_packets(
            VIDEO_PID,
            &mut 0,
            &pes(0xE0, Timestamps::None, &payload, false),
        ));
        let events = run(TS, &stream);
        let pieces: Vec<usize> = events
            .iter()
            .filter_map(|e| match e {
                DemuxEvent::Packet(p) => Some(p.data.len()),
                _ => None,
            })
            .collect();
        assert!(pieces.len() >= 2);
        assert!(pieces.iter().all(|&len| len < ts_streams_max() + 184));
        assert_eq!(stream_bytes(&events, video()), payload);
    }

    fn ts_streams_max() -> usize {
        super::super::ts_streams::MAX_HELD_PAYLOAD
    }

    #[test]
    fn bounds_the_number_of_streams() {
        let mut packets = Vec::new();
        for pid in 0x20..0x20 + 100u16 {
            packets.extend(ts_packets(
                pid,
                &mut 0,
                &pes(0xE0, Timestamps::None, &[pid as u8], true),
            ));
        }
        let events = run(TS, &concat(&packets));
        let announced = events
            .iter()
            .filter(|e| matches!(e, DemuxEvent::NewStream(_)))
            .count();
        assert_eq!(announced, 100);
        let last = id(StreamKind::Video, 0x20 + 99, 0xE0);
        assert_eq!(stream_bytes(&events, last), [0x20 + 99]);
    }
}
