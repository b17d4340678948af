//! MPEG program streams (ISO/IEC 13818-1) and MPEG-1 system streams (ISO/IEC 11172-1): .mpg
//! files, VCDs.
//!
//! The stream is a sequence of start-code-prefixed units: pack headers, system headers, PES
//! packets and the program end code. Every PES packet carries its length, so each one is handed
//! out whole, as one [`Packet`] with `unit_start` set.

use alloc::vec::Vec;
use core::mem;

use super::pes::{media_kind, parse_pes_header, HeaderParse};
use super::{DemuxEvent, DemuxWarning, Events, Packet, StreamId, StreamInfo};

/// `stream_id` of a pack header.
const PACK_START: u8 = 0xBA;
/// `stream_id` of a system header.
const SYSTEM_HEADER_START: u8 = 0xBB;
/// `stream_id` of the program end code.
const PROGRAM_END: u8 = 0xB9;

/// A push-based program-stream demuxer.
#[derive(Debug, Default)]
pub(crate) struct PsDemuxer {
    /// Input not consumed yet: at most one partial unit (up to 65541 bytes) or the possible
    /// start of a start code.
    carry: Vec<u8>,
    /// Bytes dropped while looking for a start code, not reported yet.
    skipped: usize,
    /// One bit per media stream id (0xC0..=0xEF) already announced.
    announced: u64,
}

/// What the bytes at the current position are.
enum Unit {
    /// Not enough bytes to tell.
    Incomplete,
    /// Not a unit: resynchronise.
    Garbage,
    /// A unit of this many bytes that carries nothing for us.
    Skip(usize),
    /// A PES packet of this many bytes from an audio or video stream.
    MediaPes(usize),
    /// A PES packet with a zero length, which program streams do not allow.
    EmptyPes,
}

impl PsDemuxer {
    /// Takes the next bytes of the stream.
    pub fn push(&mut self, data: &[u8], out: &mut Events) {
        if self.carry.is_empty() {
            let consumed = self.consume(data, false, out);
            self.carry.extend_from_slice(&data[consumed..]);
        } else {
            let mut buffer = mem::take(&mut self.carry);
            buffer.extend_from_slice(data);
            let consumed = self.consume(&buffer, false, out);
            buffer.drain(..consumed);
            self.carry = buffer;
        }
    }

    /// Ends the input: a truncated final PES packet is handed out as far as it goes; other
    /// leftovers are reported as skipped.
    pub fn finish(&mut self, out: &mut Events) {
        let buffer = mem::take(&mut self.carry);
        let consumed = self.consume(&buffer, true, out);
        let rest = &buffer[consumed..];
        if !rest.is_empty() && !self.emit_truncated(rest, out) {
            self.skipped += rest.len();
        }
        self.report_skipped(out);
    }

    /// Handles the whole units in `buf`; returns how many bytes were used up.
    fn consume(&mut self, buf: &[u8], at_end: bool, out: &mut Events) -> usize {
        let mut pos = 0;
        while pos < buf.len() {
            let rest = &buf[pos..];
            match identify(rest) {
                Unit::Incomplete => break,
                Unit::Garbage => {
                    let droppable = garbage_len(rest, at_end);
                    self.skipped += droppable;
                    pos += droppable;
                }
                Unit::Skip(len) => {
                    self.report_skipped(out);
                    pos += len;
                }
                Unit::EmptyPes => {
                    self.report_skipped(out);
                    out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
                    pos += 6;
                }
                Unit::MediaPes(len) => {
                    self.report_skipped(out);
                    self.emit_pes(&rest[..len], out);
                    pos += len;
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

    /// Hands out a complete audio or video PES packet.
    fn emit_pes(&mut self, pes: &[u8], out: &mut Events) {
        match parse_pes_header(pes) {
            HeaderParse::Complete(header) => {
                self.emit_payload(
                    header.stream_id,
                    header.pts,
                    header.dts,
                    pes,
                    header.header_len,
                    out,
                );
            }
            HeaderParse::Incomplete | HeaderParse::Malformed => {
                out.push_back(DemuxEvent::Warning(DemuxWarning::MalformedHeader));
            }
        }
    }

    /// At the end of input: hands out the payload of a truncated audio or video PES packet.
    /// Returns false when `rest` is not one.
    fn emit_truncated(&mut self, rest: &[u8], out: &mut Events) -> bool {
        let &[0, 0, 1, stream_id, ..] = rest else {
            return false;
        };
        if media_kind(stream_id).is_none() {
            return false;
        }
        let HeaderParse::Complete(header) = parse_pes_header(rest) else {
            return false;
        };
        self.report_skipped(out);
        self.emit_payload(
            header.stream_id,
            header.pts,
            header.dts,
            rest,
            header.header_len,
            out,
        );
        true
    }

    fn emit_payload(
        &mut self,
        stream_id: u8,
        pts: Option<u64>,
        dts: Option<u64>,
        pes: &[u8],
        header_len: usize,
        out: &mut Events,
    ) {
        let Some(kind) = media_kind(stream_id) else {
            return;
        };
        let stream = StreamId {
            kind,
            pid: None,
            stream_id,
        };
        let bit = 1u64 << (stream_id - 0xC0);
        if self.announced & bit == 0 {
            self.announced |= bit;
            out.push_back(DemuxEvent::NewStream(StreamInfo {
                id: stream,
                stream_type: None,
                program: None,
            }));
        }
        let data = pes.get(header_len..).unwrap_or(&[]);
        if data.is_empty() {
            return;
        }
        out.push_back(DemuxEvent::Packet(Packet {
            stream,
            unit_start: true,
            pts,
            dts,
            data: data.to_vec(),
        }));
    }
}

/// Says what the unit at the start of `bytes` is and how long.
fn identify(bytes: &[u8]) -> Unit {
    let Some(code) = starts_unit(bytes) else {
        return if bytes.len() < 4 && begins_start_code(bytes) {
            Unit::Incomplete
        } else {
            Unit::Garbage
        };
    };
    let total = match code {
        PROGRAM_END => Some(4),
        PACK_START => match bytes.get(4) {
            None => None,
            // MPEG-1: '0010' then SCR and mux rate, 12 bytes.
            Some(b) if b >> 4 == 0b0010 => Some(12),
            // MPEG-2: '01' then SCR, mux rate and pack_stuffing_length in byte 13.
            Some(b) if b >> 6 == 0b01 => bytes
                .get(13)
                .map(|stuffing| 14 + usize::from(stuffing & 0x07)),
            Some(_) => return Unit::Garbage,
        },
        SYSTEM_HEADER_START => unit_length(bytes),
        // A stream id: a PES packet.
        _ => match unit_length(bytes) {
            Some(6) => return Unit::EmptyPes,
            Some(len) if bytes.len() >= len && media_kind(code).is_some() => {
                return Unit::MediaPes(len)
            }
            len => len,
        },
    };
    match total {
        Some(len) if bytes.len() >= len => Unit::Skip(len),
        _ => Unit::Incomplete,
    }
}

/// The `stream_id` of the start code at the beginning of `bytes`, if it is one that begins a
/// program-stream unit (0xB9 and up: the lower codes belong to the video bitstream).
fn starts_unit(bytes: &[u8]) -> Option<u8> {
    match bytes {
        &[0, 0, 1, code, ..] if code >= PROGRAM_END => Some(code),
        _ => None,
    }
}

/// Whether `bytes` (at most 3) are the beginning of a start code prefix `00 00 01`.
fn begins_start_code(bytes: &[u8]) -> bool {
    [0, 0, 1].starts_with(bytes)
}

/// The length of a unit with a 16-bit length field after its start code, if known yet.
fn unit_length(bytes: &[u8]) -> Option<usize> {
    let field = bytes.get(4..6)?;
    Some(6 + usize::from(u16::from_be_bytes([field[0], field[1]])))
}

/// How many bytes of garbage at the start of `bytes` can be dropped: up to the next unit start
/// code, or all but a possible partial start code at the end (everything `at_end`).
fn garbage_len(bytes: &[u8], at_end: bool) -> usize {
    // Skip at least one byte: the current position is not a valid unit.
    let next = (1..bytes.len()).find(|&at| starts_unit(&bytes[at..]).is_some());
    match next {
        Some(at) => at,
        None if at_end => bytes.len(),
        None => {
            // Keep the last bytes that may begin a start code split by the push boundary.
            let keep = (1..bytes.len().min(4))
                .rev()
                .find(|&n| begins_start_code(&bytes[bytes.len() - n..]))
                .unwrap_or(0);
            bytes.len() - keep
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use super::super::test_support::*;
    use crate::demux::{
        ContainerFormat, DemuxEvent, DemuxWarning, Packet, StreamId, StreamInfo, StreamKind,
    };

    const PS: Option<ContainerFormat> = Some(ContainerFormat::MpegPs);

    fn id(kind: StreamKind, stream_id: u8) -> StreamId {
        StreamId {
            kind,
            pid: None,
            stream_id,
        }
    }

    fn new_stream(kind: StreamKind, stream_id: u8) -> DemuxEvent {
        DemuxEvent::NewStream(StreamInfo {
            id: id(kind, stream_id),
            stream_type: None,
            program: None,
        })
    }

    fn unit(
        kind: StreamKind,
        stream_id: u8,
        pts: Option<u64>,
        dts: Option<u64>,
        data: &[u8],
    ) -> DemuxEvent {
        DemuxEvent::Packet(Packet {
            stream: id(kind, stream_id),
            unit_start: true,
            pts,
            dts,
            data: data.to_vec(),
        })
    }

    /// An MPEG-1 system stream (VCD style): packs, a system header, video and two audio streams,
    /// padding, a private stream and the end code.
    fn mpeg1_stream() -> Vec<u8> {
        [
            mpeg1_pack_header(1000),
            system_header(),
            mpeg1_pes(0xE0, 2, true, Timestamps::Both(9000, 6000), &[1; 300]),
            mpeg1_pes(0xC0, 0, false, Timestamps::Pts(7000), &[2; 50]),
            mpeg1_pes(0xBE, 0, false, Timestamps::None, &[0xFF; 20]),
            mpeg1_pack_header(2000),
            mpeg1_pes(0xC1, 0, true, Timestamps::Pts(7100), &[3; 40]),
            mpeg1_pes(0xBD, 0, false, Timestamps::None, &[4; 10]),
            mpeg1_pes(0xE0, 16, false, Timestamps::None, &[5; 30]),
            vec![0, 0, 1, 0xB9],
        ]
        .concat()
    }

    #[test]
    fn demuxes_an_mpeg1_system_stream() {
        let events = run(PS, &mpeg1_stream());
        assert_eq!(
            events,
            [
                new_stream(StreamKind::Video, 0xE0),
                unit(StreamKind::Video, 0xE0, Some(9000), Some(6000), &[1; 300]),
                new_stream(StreamKind::Audio, 0xC0),
                unit(StreamKind::Audio, 0xC0, Some(7000), None, &[2; 50]),
                new_stream(StreamKind::Audio, 0xC1),
                unit(StreamKind::Audio, 0xC1, Some(7100), None, &[3; 40]),
                unit(StreamKind::Video, 0xE0, None, None, &[5; 30]),
            ]
        );
        assert_split_invariant(PS, &mpeg1_stream());
    }

    #[test]
    fn demuxes_an_mpeg2_program_stream() {
        let stream = [
            mpeg2_pack_header(3),
            system_header(),
            pes(0xE0, Timestamps::Both(90_000, 86_400), &[1; 100], true),
            mpeg2_pack_header(0),
            pes(0xC0, Timestamps::Pts(90_000), &[2; 30], true),
            pes(0xBE, Timestamps::None, &[0xFF; 10], true),
        ]
        .concat();
        let events = run(PS, &stream);
        assert_eq!(
            events,
            [
                new_stream(StreamKind::Video, 0xE0),
                unit(
                    StreamKind::Video,
                    0xE0,
                    Some(90_000),
                    Some(86_400),
                    &[1; 100]
                ),
                new_stream(StreamKind::Audio, 0xC0),
                unit(StreamKind::Audio, 0xC0, Some(90_000), None, &[2; 30]),
            ]
        );
        assert_split_invariant(PS, &stream);
    }

    #[test]
    fn resyncs_after_garbage() {
        let clean = mpeg1_stream();
        let reference = run(PS, &clean);
        // Garbage with partial start codes, before the stream and between two packets.
        let garbage = [
            0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x01, 0xB3, 0x00, 0x00,
        ];
        let cut = 12 + 15;
        let stream = [&garbage[..], &clean[..cut], &garbage[..], &clean[cut..]].concat();
        let events = run(PS, &stream);
        let resync = DemuxEvent::Warning(DemuxWarning::Resync {
            skipped: garbage.len(),
        });
        let mut expected = reference.clone();
        expected.insert(0, resync.clone());
        expected.insert(0, resync);
        assert_eq!(events, expected);
        assert_split_invariant(PS, &stream);
    }

    #[test]
    fn reports_empty_and_malformed_packets() {
        let mut bad = pes(0xE0, Timestamps::Pts(1), &[1; 10], true);
        bad[6] = 0x00;
        let stream = [
            vec![0, 0, 1, 0xC0, 0, 0],
            bad,
            pes(0xC0, Timestamps::None, &[2; 3], true),
        ]
        .concat();
        let events = run(PS, &stream);
        assert_eq!(
            warnings(&events),
            [DemuxWarning::MalformedHeader, DemuxWarning::MalformedHeader]
        );
        assert_eq!(stream_bytes(&events, id(StreamKind::Audio, 0xC0)), [2; 3]);
    }

    #[test]
    fn hands_out_a_truncated_last_packet() {
        let stream = [
            mpeg1_pack_header(0),
            pes(0xE0, Timestamps::Pts(4), &[1; 100], true),
        ]
        .concat();
        let events = run(PS, &stream[..stream.len() - 40]);
        assert_eq!(
            events,
            [
                new_stream(StreamKind::Video, 0xE0),
                unit(StreamKind::Video, 0xE0, Some(4), None, &[1; 60]),
            ]
        );
        // A truncated pack header is reported as skipped.
        let events = run(PS, &stream[..8]);
        assert_eq!(warnings(&events), [DemuxWarning::Resync { skipped: 8 }]);
    }
}
