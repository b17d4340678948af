//! Builders for hand-made test streams and helpers to run a [`Demuxer`] over them.

use alloc::vec;
use alloc::vec::Vec;

use super::psi::crc32_mpeg2;
use super::{ContainerFormat, DemuxEvent, Demuxer, Packet, StreamId};

/// Which timestamps a built PES header carries.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timestamps {
    None,
    Pts(u64),
    Both(u64, u64),
}

/// Encodes a 33-bit timestamp with its 4-bit prefix and marker bits.
pub(crate) fn timestamp_field(prefix: u8, ts: u64) -> [u8; 5] {
    [
        prefix << 4 | ((ts >> 29) & 0x0E) as u8 | 1,
        (ts >> 22) as u8,
        ((ts >> 14) & 0xFE) as u8 | 1,
        (ts >> 7) as u8,
        ((ts << 1) & 0xFE) as u8 | 1,
    ]
}

/// An MPEG-2 syntax PES header for `payload_len` payload bytes.
pub(crate) fn pes_header(stream_id: u8, payload_len: usize, timestamps: Timestamps) -> Vec<u8> {
    let mut fields = Vec::new();
    let flags = match timestamps {
        Timestamps::None => 0x00,
        Timestamps::Pts(pts) => {
            fields.extend_from_slice(&timestamp_field(0b0010, pts));
            0x80
        }
        Timestamps::Both(pts, dts) => {
            fields.extend_from_slice(&timestamp_field(0b0011, pts));
            fields.extend_from_slice(&timestamp_field(0b0001, dts));
            0xC0
        }
    };
    let packet_length = 3 + fields.len() + payload_len;
    let mut header = vec![0, 0, 1, stream_id];
    header.extend_from_slice(&(packet_length as u16).to_be_bytes());
    header.extend_from_slice(&[0x80, flags, fields.len() as u8]);
    header.extend_from_slice(&fields);
    header
}

/// A whole MPEG-2 syntax PES packet; `bounded: false` writes a zero (unbounded) length.
pub(crate) fn pes(stream_id: u8, timestamps: Timestamps, payload: &[u8], bounded: bool) -> Vec<u8> {
    let mut packet = pes_header(stream_id, payload.len(), timestamps);
    if !bounded {
        packet[4] = 0;
        packet[5] = 0;
    }
    packet.extend_from_slice(payload);
    packet
}

/// A whole MPEG-1 syntax PES packet.
pub(crate) fn mpeg1_pes(
    stream_id: u8,
    stuffing: usize,
    std_buffer: bool,
    timestamps: Timestamps,
    payload: &[u8],
) -> Vec<u8> {
    let mut body = vec![0xFF; stuffing];
    if std_buffer {
        body.extend_from_slice(&[0x60, 0x2E]);
    }
    match timestamps {
        Timestamps::None => body.push(0x0F),
        Timestamps::Pts(pts) => body.extend_from_slice(&timestamp_field(0b0010, pts)),
        Timestamps::Both(pts, dts) => {
            body.extend_from_slice(&timestamp_field(0b0011, pts));
            body.extend_from_slice(&timestamp_field(0b0001, dts));
        }
    }
    body.extend_from_slice(payload);
    let mut packet = vec![0, 0, 1, stream_id];
    packet.extend_from_slice(&(body.len() as u16).to_be_bytes());
    packet.extend_from_slice(&body);
    packet
}

/// An MPEG-1 pack header.
pub(crate) fn mpeg1_pack_header(scr: u64) -> Vec<u8> {
    let mut pack = vec![0, 0, 1, 0xBA];
    pack.extend_from_slice(&timestamp_field(0b0010, scr));
    pack.extend_from_slice(&[0x80, 0x1B, 0x83]);
    pack
}

/// An MPEG-2 pack header with `stuffing` bytes of pack stuffing.
pub(crate) fn mpeg2_pack_header(stuffing: u8) -> Vec<u8> {
    let mut pack = vec![
        0, 0, 1, 0xBA, 0x44, 0, 0x04, 0, 0x04, 0x01, 0x01, 0x89, 0xC3,
    ];
    pack.push(0xF8 | stuffing);
    pack.extend(core::iter::repeat_n(0xFF, usize::from(stuffing)));
    pack
}

/// A system header with one stream entry.
pub(crate) fn system_header() -> Vec<u8> {
    vec![
        0, 0, 1, 0xBB, 0, 9, 0x80, 0x1B, 0x83, 0x04, 0xE1, 0xFF, 0xE0, 0xE0, 0x2E,
    ]
}

/// Options for one transport packet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TsOptions {
    pub unit_start: bool,
    pub transport_error: bool,
    pub discontinuity: bool,
    /// PCR base (90 kHz) and extension.
    pub pcr: Option<(u64, u16)>,
    /// Only an adaptation field, no payload.
    pub adaptation_only: bool,
}

/// One 188-byte transport packet; payloads shorter than 184 bytes get adaptation-field stuffing.
pub(crate) fn ts_packet(pid: u16, counter: u8, options: TsOptions, payload: &[u8]) -> Vec<u8> {
    let mut adaptation = Vec::new();
    if options.discontinuity || options.pcr.is_some() {
        let mut flags = 0;
        if options.discontinuity {
            flags |= 0x80;
        }
        adaptation.push(flags);
        if let Some((base, extension)) = options.pcr {
            adaptation[0] |= 0x10;
            adaptation.extend_from_slice(&[
                (base >> 25) as u8,
                (base >> 17) as u8,
                (base >> 9) as u8,
                (base >> 1) as u8,
                ((base & 1) << 7) as u8 | 0x7E | (extension >> 8) as u8,
                extension as u8,
            ]);
        }
    }
    let payload = if options.adaptation_only {
        &[][..]
    } else {
        payload
    };
    assert!(payload.len() <= 184);
    let needs_adaptation = options.adaptation_only || !adaptation.is_empty() || payload.len() < 184;
    if needs_adaptation {
        // Adaptation field length byte, then its content, stuffed to fill the packet.
        let available = 184 - payload.len() - 1;
        assert!(adaptation.len() <= available);
        if adaptation.is_empty() && available > 0 {
            adaptation.push(0);
        }
        adaptation.resize(available, 0xFF);
    }
    let control = match (needs_adaptation, options.adaptation_only) {
        (_, true) => 0x20,
        (true, false) => 0x30,
        (false, false) => 0x10,
    };
    let mut packet = vec![
        0x47,
        (pid >> 8) as u8 & 0x1F
            | if options.unit_start { 0x40 } else { 0 }
            | if options.transport_error { 0x80 } else { 0 },
        pid as u8,
        control | (counter & 0x0F),
    ];
    if needs_adaptation {
        packet.push(adaptation.len() as u8);
        packet.extend_from_slice(&adaptation);
    }
    packet.extend_from_slice(payload);
    assert_eq!(packet.len(), 188);
    packet
}

/// Splits a PES packet (or any unit) into transport packets, advancing `counter`.
pub(crate) fn ts_packets(pid: u16, counter: &mut u8, unit: &[u8]) -> Vec<Vec<u8>> {
    unit.chunks(184)
        .enumerate()
        .map(|(i, chunk)| {
            let options = TsOptions {
                unit_start: i == 0,
                ..TsOptions::default()
            };
            let packet = ts_packet(pid, *counter, options, chunk);
            *counter = (*counter + 1) & 0x0F;
            packet
        })
        .collect()
}

/// Appends a CRC to a section.
fn with_crc(mut section: Vec<u8>) -> Vec<u8> {
    let crc = crc32_mpeg2(&section);
    section.extend_from_slice(&crc.to_be_bytes());
    section
}

/// A syntax section: table_id, length, the 16-bit extension, version 0, current, section 0/0.
fn syntax_section(table_id: u8, extension: u16, body: &[u8]) -> Vec<u8> {
    let len = 5 + body.len() + 4;
    let mut section = vec![table_id, 0xB0 | (len >> 8) as u8, len as u8];
    section.extend_from_slice(&extension.to_be_bytes());
    section.extend_from_slice(&[0xC1, 0, 0]);
    section.extend_from_slice(body);
    with_crc(section)
}

/// A PAT section listing `(program, pmt_pid)` pairs.
pub(crate) fn pat_section(programs: &[(u16, u16)]) -> Vec<u8> {
    let mut body = Vec::new();
    for &(program, pid) in programs {
        body.extend_from_slice(&program.to_be_bytes());
        body.extend_from_slice(&(0xE000 | pid).to_be_bytes());
    }
    syntax_section(0x00, 1, &body)
}

/// A PMT section for `program` listing `(stream_type, pid)` pairs.
pub(crate) fn pmt_section(program: u16, streams: &[(u8, u16)]) -> Vec<u8> {
    let pcr_pid = streams.first().map_or(0x1FFF, |&(_, pid)| pid);
    let mut body = Vec::new();
    body.extend_from_slice(&(0xE000 | pcr_pid).to_be_bytes());
    body.extend_from_slice(&[0xF0, 0]);
    for &(stream_type, pid) in streams {
        body.push(stream_type);
        body.extend_from_slice(&(0xE000 | pid).to_be_bytes());
        body.extend_from_slice(&[0xF0, 0]);
    }
    syntax_section(0x02, program, &body)
}

/// A section as transport packets: pointer field 0, then the section, then stuffing.
pub(crate) fn psi_packets(pid: u16, counter: &mut u8, section: &[u8]) -> Vec<Vec<u8>> {
    let mut unit = vec![0];
    unit.extend_from_slice(section);
    let mut packets = Vec::new();
    for (i, chunk) in unit.chunks(184).enumerate() {
        let mut payload = chunk.to_vec();
        payload.resize(184, 0xFF);
        let options = TsOptions {
            unit_start: i == 0,
            ..TsOptions::default()
        };
        packets.push(ts_packet(pid, *counter, options, &payload));
        *counter = (*counter + 1) & 0x0F;
    }
    packets
}

/// Concatenates packets.
pub(crate) fn concat(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.concat()
}

/// Feeds `chunks` to a demuxer and collects every event, including those after `finish`.
pub(crate) fn run_chunks<'a>(
    format: Option<ContainerFormat>,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<DemuxEvent> {
    let mut demuxer = Demuxer::new(format);
    let mut events = Vec::new();
    for chunk in chunks {
        demuxer.push(chunk);
        events.extend(core::iter::from_fn(|| demuxer.next_event()));
    }
    demuxer.finish();
    events.extend(core::iter::from_fn(|| demuxer.next_event()));
    events
}

/// Demuxes `bytes` pushed in one piece.
pub(crate) fn run(format: Option<ContainerFormat>, bytes: &[u8]) -> Vec<DemuxEvent> {
    run_chunks(format, [bytes])
}

/// The events with the pieces of each PES merged into one packet, so that streams pushed in
/// different chunks compare equal. Other events keep their order; merged packets sit where
/// their first piece was.
pub(crate) fn merge_pieces(events: &[DemuxEvent]) -> Vec<DemuxEvent> {
    let mut merged: Vec<DemuxEvent> = Vec::new();
    for event in events {
        if let DemuxEvent::Packet(piece) = event {
            if !piece.unit_start {
                let previous = merged.iter_mut().rev().find_map(|e| match e {
                    DemuxEvent::Packet(p) if p.stream == piece.stream => Some(p),
                    _ => None,
                });
                if let Some(previous) = previous {
                    previous.data.extend_from_slice(&piece.data);
                    continue;
                }
            }
        }
        merged.push(event.clone());
    }
    merged
}

/// The non-packet events in order, and the merged PES packets of each stream in order. This
/// is what must not depend on how the input was split.
pub(crate) fn normalise(events: &[DemuxEvent]) -> (Vec<DemuxEvent>, Vec<(StreamId, Vec<Packet>)>) {
    let merged = merge_pieces(events);
    let mut others = Vec::new();
    let mut streams: Vec<(StreamId, Vec<Packet>)> = Vec::new();
    for event in merged {
        match event {
            DemuxEvent::Packet(packet) => {
                match streams.iter_mut().find(|(id, _)| *id == packet.stream) {
                    Some((_, packets)) => packets.push(packet),
                    None => streams.push((packet.stream, vec![packet])),
                }
            }
            other => others.push(other),
        }
    }
    // Which stream's payload comes out first depends on when pieces are handed out.
    streams.sort_by_key(|(id, _)| (id.pid, id.stream_id));
    (others, streams)
}

/// All bytes handed out for `stream`, in order.
pub(crate) fn stream_bytes(events: &[DemuxEvent], stream: StreamId) -> Vec<u8> {
    events
        .iter()
        .filter_map(|event| match event {
            DemuxEvent::Packet(packet) if packet.stream == stream => Some(&packet.data[..]),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

/// Only the warnings.
pub(crate) fn warnings(events: &[DemuxEvent]) -> Vec<super::DemuxWarning> {
    events
        .iter()
        .filter_map(|event| match event {
            DemuxEvent::Warning(warning) => Some(*warning),
            _ => None,
        })
        .collect()
}

/// Checks that pushing `bytes` split at every position (in two pieces), and one byte at a time,
/// gives the same events as pushing it whole, up to how PES payloads are cut into pieces.
pub(crate) fn assert_split_invariant(format: Option<ContainerFormat>, bytes: &[u8]) {
    let whole = normalise(&run(format, bytes));
    for at in 0..=bytes.len() {
        let (a, b) = bytes.split_at(at);
        assert_eq!(
            normalise(&run_chunks(format, [a, b])),
            whole,
            "split at {at}"
        );
    }
    let bytewise = run_chunks(format, bytes.chunks(1));
    assert_eq!(normalise(&bytewise), whole, "one byte at a time");
}

/// A small deterministic pseudo-random generator (64-bit LCG, high bits out).
pub(crate) struct Lcg(pub u64);

impl Lcg {
    /// The next 32 pseudo-random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }

    /// A value in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        self.next_u32() as usize % bound.max(1)
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u32() as u8).collect()
    }
}
