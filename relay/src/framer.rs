//! Container framers: they cut a publisher's byte stream into messages for viewers and mark the
//! messages where a viewer may start decoding.
//!
//! Only MPEG-TS is implemented ([`TsFramer`]); fMP4, WebM and raw elementary streams fit the same
//! [`Framer`] trait.

use bytes::{Bytes, BytesMut};

/// Size of one MPEG transport stream packet.
pub const TS_PACKET: usize = 188;
/// The sync byte that starts every transport stream packet.
const SYNC: u8 = 0x47;
/// A video PES whose start is not decided after this many held packets is treated as a
/// non-key PES (the picture header is normally in its first packet).
const MAX_HELD_PACKETS: usize = 32;

/// One message for viewers: whole container units (whole TS packets for MPEG-TS).
#[derive(Clone, Debug, Default)]
pub struct Unit {
    /// The bytes to send.
    pub data: Bytes,
    /// A viewer may start here: for MPEG-TS the unit begins with the PES that carries a
    /// sequence header and an I-picture.
    pub key: bool,
    /// What a viewer starting at this key unit needs first (the latest PAT and PMT for TS).
    pub prefix: Bytes,
    /// The picture coding types (1 I, 2 P, 3 B, 4 D, 0 unknown) of the video PES that begin in
    /// this unit, in order.
    pub pictures: Vec<u8>,
    /// The picture size changed at this key unit (the GOP cache must be dropped).
    pub format_change: bool,
}

/// Cuts a publisher's bytes into [`Unit`]s.
pub trait Framer: Send {
    /// Adds input (any size, split anywhere) and appends the finished units to `out`.
    fn push(&mut self, input: &[u8], out: &mut Vec<Unit>);
    /// End of input: appends whatever is still held back.
    fn finish(&mut self, out: &mut Vec<Unit>);
    /// The last picture size seen (width, height), if known.
    fn picture_size(&self) -> Option<(u16, u16)>;
    /// Bytes dropped while looking for packet sync.
    fn skipped_bytes(&self) -> u64;
}

/// Where the start-code scanner of the current video PES is.
#[derive(Debug, Default)]
struct PesScan {
    /// A sequence header was seen in this PES (with its size).
    sequence: Option<(u16, u16)>,
    /// Bytes left over from the previous packet (an incomplete start code and its fields).
    tail: Vec<u8>,
}

/// What the scanner found: the first picture's coding type, and the sequence header's size
/// if one came before it.
type Verdict = Option<(u8, Option<(u16, u16)>)>;

/// Tracks whether the units from a key unit on hold enough to show its I-picture: the
/// I-picture, the next reference picture, and the start of the picture after that (a decoder
/// shows an open GOP's I-picture only once the next reference is decoded).
#[derive(Clone, Debug, Default)]
pub struct StartProgress {
    refs: u32,
    after: u32,
}

impl StartProgress {
    /// Accounts for the pictures beginning in one more unit.
    pub fn add(&mut self, pictures: &[u8]) {
        for &t in pictures {
            if self.refs >= 2 {
                self.after += 1;
            } else if t != 3 {
                self.refs += 1;
            }
        }
    }

    /// Whether enough has been seen.
    pub fn ready(&self) -> bool {
        self.refs >= 2 && self.after >= 1
    }
}

/// The MPEG-TS framer: whole 188-byte packets, resync on 0x47, key units at the video PES that
/// carries a sequence header and an I-picture (found through PAT → PMT → PES → start codes).
#[derive(Debug, Default)]
pub struct TsFramer {
    /// Finds the packets in the input.
    packetizer: Packetizer,
    /// Reused buffer of whole packets.
    scratch: Vec<u8>,
    /// Packets of the unit being built.
    current: BytesMut,
    current_pictures: Vec<u8>,
    /// Packets held back from a video PES start until it is known whether it is a key.
    held: BytesMut,
    held_packets: usize,
    /// The scanner of the held video PES.
    scan: Option<PesScan>,
    pat: Option<Bytes>,
    pmt: Option<Bytes>,
    pmt_pid: Option<u16>,
    video_pid: Option<u16>,
    size: Option<(u16, u16)>,
}

/// Cuts bytes split anywhere into whole 188-byte TS packets, dropping what is not in sync
/// (resync: a 0x47 followed by another one a packet later, or the end of the input).
#[derive(Debug, Default)]
pub struct Packetizer {
    /// An incomplete packet from the previous push.
    partial: Vec<u8>,
    skipped: u64,
}

impl Packetizer {
    /// A packetizer with no state.
    pub fn new() -> Packetizer {
        Packetizer::default()
    }

    /// Adds input and appends the whole packets it completes to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if !self.partial.is_empty() {
            let need = TS_PACKET - self.partial.len();
            let take = need.min(input.len());
            self.partial.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.partial.len() < TS_PACKET {
                return;
            }
            let pkt = std::mem::take(&mut self.partial);
            if pkt[0] == SYNC {
                out.extend_from_slice(&pkt);
            } else {
                self.skipped += TS_PACKET as u64;
            }
        }
        let mut pos = 0;
        while pos < input.len() {
            if input[pos] != SYNC
                || (pos + TS_PACKET < input.len() && input[pos + TS_PACKET] != SYNC)
            {
                // Lost sync: the next 0x47 followed by another one a packet later (or the end).
                let next = input[pos + 1..]
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == SYNC)
                    .map(|(i, _)| pos + 1 + i)
                    .find(|&i| i + TS_PACKET >= input.len() || input[i + TS_PACKET] == SYNC)
                    .unwrap_or(input.len());
                self.skipped += (next - pos) as u64;
                pos = next;
                continue;
            }
            if pos + TS_PACKET > input.len() {
                self.partial.extend_from_slice(&input[pos..]);
                break;
            }
            out.extend_from_slice(&input[pos..pos + TS_PACKET]);
            pos += TS_PACKET;
        }
    }

    /// Forgets an incomplete packet.
    pub fn reset(&mut self) {
        self.partial.clear();
    }

    /// Bytes dropped while looking for packet sync.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }
}

impl TsFramer {
    /// A framer with no state.
    pub fn new() -> TsFramer {
        TsFramer::default()
    }

    /// The PID of the video stream that key units are found on, if known.
    pub fn video_pid(&self) -> Option<u16> {
        self.video_pid
    }

    fn packet(&mut self, pkt: &[u8], out: &mut Vec<Unit>) {
        let pid = (u16::from(pkt[1] & 0x1f) << 8) | u16::from(pkt[2]);
        let pusi = pkt[1] & 0x40 != 0;
        let payload = payload(pkt);
        if pid == 0 && pusi {
            if let Some(pmt_pid) = payload.and_then(parse_pat) {
                self.pmt_pid = Some(pmt_pid);
            }
            self.pat = Some(Bytes::copy_from_slice(pkt));
        } else if Some(pid) == self.pmt_pid && pusi {
            if let Some(video) = payload.and_then(parse_pmt) {
                self.video_pid = Some(video);
            }
            self.pmt = Some(Bytes::copy_from_slice(pkt));
        } else if self.video_pid.is_none() && self.pmt_pid.is_none() && pusi {
            // No PSI (yet): recognise MPEG video by its PES stream id, as JSMpeg does.
            if let Some(p) = payload {
                if p.len() >= 4 && p[..3] == [0, 0, 1] && (0xe0..=0xef).contains(&p[3]) {
                    self.video_pid = Some(pid);
                }
            }
        }

        if Some(pid) == self.video_pid {
            if pusi {
                // A new video PES: whatever was held is decided by now.
                self.decide(false, 0, out);
                self.scan = Some(PesScan::default());
                self.hold(pkt);
                let es = payload.map_or(&[][..], skip_pes_header);
                self.scan_es(es, out);
                return;
            }
            if self.scan.is_some() {
                self.hold(pkt);
                self.scan_es(payload.unwrap_or(&[]), out);
                return;
            }
        }
        if self.scan.is_some() {
            self.hold(pkt);
            if self.held_packets >= MAX_HELD_PACKETS {
                self.decide(false, 0, out);
            }
        } else {
            self.current.extend_from_slice(pkt);
        }
    }

    fn hold(&mut self, pkt: &[u8]) {
        self.held.extend_from_slice(pkt);
        self.held_packets += 1;
    }

    fn scan_es(&mut self, es: &[u8], out: &mut Vec<Unit>) {
        let Some(scan) = self.scan.as_mut() else {
            return;
        };
        match scan_start_codes(scan, es) {
            None => {
                if self.held_packets >= MAX_HELD_PACKETS {
                    self.decide(false, 0, out);
                }
            }
            Some((1, Some((w, h)))) => self.decide(true, 1, out).set_size(w, h, out),
            Some((coding_type, _)) => {
                self.decide(false, coding_type, out);
            }
        }
    }

    /// Ends holding: a key starts a new unit, anything else joins the current one.
    fn decide(&mut self, key: bool, coding_type: u8, out: &mut Vec<Unit>) -> &mut Self {
        if self.scan.take().is_none() {
            return self;
        }
        if key {
            self.emit(out);
            self.current_pictures.clear();
        }
        self.current.extend_from_slice(&self.held);
        self.current_pictures.push(coding_type);
        self.held.clear();
        self.held_packets = 0;
        if key {
            let mut prefix = BytesMut::new();
            if let Some(pat) = &self.pat {
                prefix.extend_from_slice(pat);
            }
            if let Some(pmt) = &self.pmt {
                prefix.extend_from_slice(pmt);
            }
            out.push(Unit {
                data: Bytes::new(),
                key: true,
                prefix: prefix.freeze(),
                pictures: Vec::new(),
                format_change: false,
            });
        }
        self
    }

    /// Records the size of the key just started (marked as a pending key unit in `out`).
    fn set_size(&mut self, w: u16, h: u16, out: &mut [Unit]) {
        let changed = self.size.is_some_and(|s| s != (w, h));
        self.size = Some((w, h));
        if let Some(last) = out.last_mut() {
            if last.key && last.data.is_empty() {
                last.format_change = changed;
            }
        }
    }

    /// Moves the current unit to `out`. A pending (empty) key marker in `out` receives it.
    fn emit(&mut self, out: &mut Vec<Unit>) {
        if self.current.is_empty() {
            return;
        }
        let data = self.current.split().freeze();
        let pictures = std::mem::take(&mut self.current_pictures);
        match out.last_mut() {
            Some(last) if last.key && last.data.is_empty() => {
                last.data = data;
                last.pictures = pictures;
            }
            _ => out.push(Unit {
                data,
                pictures,
                ..Unit::default()
            }),
        }
    }
}

impl Framer for TsFramer {
    fn push(&mut self, input: &[u8], out: &mut Vec<Unit>) {
        let mut packets = std::mem::take(&mut self.scratch);
        packets.clear();
        self.packetizer.push(input, &mut packets);
        for pkt in packets.chunks_exact(TS_PACKET) {
            self.packet(pkt, out);
        }
        self.scratch = packets;
        self.emit(out);
    }

    fn finish(&mut self, out: &mut Vec<Unit>) {
        self.decide(false, 0, out);
        self.emit(out);
        self.packetizer.reset();
    }

    fn picture_size(&self) -> Option<(u16, u16)> {
        self.size
    }

    fn skipped_bytes(&self) -> u64 {
        self.packetizer.skipped_bytes()
    }
}

/// The payload of a TS packet, if it has one.
fn payload(pkt: &[u8]) -> Option<&[u8]> {
    match (pkt[3] >> 4) & 3 {
        1 => Some(&pkt[4..]),
        3 => {
            let start = 5 + usize::from(pkt[4]);
            pkt.get(start..)
        }
        _ => None,
    }
}

/// The elementary stream bytes in the first packet of a PES.
fn skip_pes_header(p: &[u8]) -> &[u8] {
    if p.len() < 9 || p[..3] != [0, 0, 1] {
        return p;
    }
    if p[6] & 0xc0 == 0x80 {
        // MPEG-2 PES syntax.
        return p.get(9 + usize::from(p[8])..).unwrap_or(&[]);
    }
    // MPEG-1 PES syntax: stuffing, optional STD buffer, then PTS/DTS.
    let mut i = 6;
    while i < p.len() && p[i] == 0xff {
        i += 1;
    }
    if i < p.len() && p[i] & 0xc0 == 0x40 {
        i += 2;
    }
    match p.get(i).map(|b| b & 0xf0) {
        Some(0x20) => i += 5,
        Some(0x30) => i += 10,
        Some(_) => i += 1,
        None => {}
    }
    p.get(i..).unwrap_or(&[])
}

/// The PMT PID of the first program in a PAT section that fits in one packet.
fn parse_pat(p: &[u8]) -> Option<u16> {
    let section = p.get(1 + usize::from(*p.first()?)..)?;
    if *section.first()? != 0 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([section[1] & 0x0f, *section.get(2)?]));
    let end = (3 + len).checked_sub(4)?.min(section.len());
    let mut i = 8;
    while i + 4 <= end {
        let program = u16::from_be_bytes([section[i], section[i + 1]]);
        let pid = u16::from_be_bytes([section[i + 2] & 0x1f, section[i + 3]]);
        if program != 0 {
            return Some(pid);
        }
        i += 4;
    }
    None
}

/// The PID of the first MPEG video stream in a PMT section that fits in one packet.
fn parse_pmt(p: &[u8]) -> Option<u16> {
    let section = p.get(1 + usize::from(*p.first()?)..)?;
    if *section.first()? != 2 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([section[1] & 0x0f, *section.get(2)?]));
    let end = (3 + len).checked_sub(4)?.min(section.len());
    let info = usize::from(u16::from_be_bytes([
        *section.get(10)? & 0x0f,
        *section.get(11)?,
    ]));
    let mut i = 12 + info;
    while i + 5 <= end {
        let stream_type = section[i];
        let pid = u16::from_be_bytes([section[i + 1] & 0x1f, section[i + 2]]);
        let es_info = usize::from(u16::from_be_bytes([section[i + 3] & 0x0f, section[i + 4]]));
        if stream_type == 0x01 || stream_type == 0x02 {
            return Some(pid);
        }
        i += 5 + es_info;
    }
    None
}

/// Scans video elementary stream bytes for a sequence header and the first picture header.
fn scan_start_codes(scan: &mut PesScan, es: &[u8]) -> Verdict {
    let mut buf = std::mem::take(&mut scan.tail);
    buf.extend_from_slice(es);
    let mut i = 0;
    while i + 3 < buf.len() {
        if buf[i] != 0 || buf[i + 1] != 0 || buf[i + 2] != 1 {
            i += 1;
            continue;
        }
        match buf[i + 3] {
            0xb3 => {
                if i + 7 > buf.len() {
                    break;
                }
                let w = (u16::from(buf[i + 4]) << 4) | u16::from(buf[i + 5] >> 4);
                let h = (u16::from(buf[i + 5] & 0x0f) << 8) | u16::from(buf[i + 6]);
                scan.sequence = Some((w, h));
            }
            0x00 => {
                if i + 6 > buf.len() {
                    break;
                }
                return Some(((buf[i + 5] >> 3) & 7, scan.sequence));
            }
            _ => {}
        }
        i += 4;
    }
    // Keep a possible incomplete start code with its fields for the next packet.
    let keep_from = buf.len().saturating_sub(7).min(i);
    scan.tail = buf[keep_from..].to_vec();
    None
}

/// Prepares a viewer's first batch of TS packets (which starts at a key unit): the B-pictures
/// right after its I-picture are removed when they would need the previous GOP (they cannot be
/// decoded by a viewer that starts here), and the video continuity counters are renumbered so
/// that they still join the live packets that follow.
pub fn clean_start(batch: &[u8]) -> Bytes {
    let packets: Vec<&[u8]> = batch
        .chunks_exact(TS_PACKET)
        .filter(|p| p[0] == SYNC)
        .collect();
    let mut pmt_pid = None;
    let mut video = None;
    for p in &packets {
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        let pusi = p[1] & 0x40 != 0;
        let Some(payload) = payload(p).filter(|_| pusi) else {
            continue;
        };
        if pid == 0 {
            pmt_pid = parse_pat(payload).or(pmt_pid);
        } else if Some(pid) == pmt_pid {
            video = parse_pmt(payload);
        } else if pmt_pid.is_none()
            && payload.len() >= 4
            && payload[..3] == [0, 0, 1]
            && (0xe0..=0xef).contains(&payload[3])
        {
            video = Some(pid);
        }
        if video.is_some() {
            break;
        }
    }
    let Some(video) = video else {
        return Bytes::copy_from_slice(batch);
    };
    // Which packets to keep: after the first I-picture, B-pictures until the next reference
    // picture, unless the GOP is closed (then they predict only from the I-picture).
    let mut keep = Vec::with_capacity(packets.len());
    let (mut seen_i, mut done, mut dropping) = (false, false, false);
    for p in &packets {
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        if pid == video && p[1] & 0x40 != 0 {
            let es = payload(p).map_or(&[][..], skip_pes_header);
            let coding_type = scan_start_codes(&mut PesScan::default(), es).map_or(0, |(t, _)| t);
            if !seen_i {
                seen_i = coding_type == 1;
                if seen_i && closed_gop(es) {
                    done = true;
                }
            } else if !done {
                dropping = coding_type == 3;
                done = !dropping;
            } else {
                dropping = false;
            }
        }
        keep.push(!(pid == video && dropping));
    }
    if keep.iter().all(|&k| k) {
        return Bytes::copy_from_slice(batch);
    }
    // Renumber the kept video packets backwards from the last video packet's counter.
    let last_cc = packets
        .iter()
        .rev()
        .find(|p| (u16::from(p[1] & 0x1f) << 8 | u16::from(p[2])) == video && p[3] & 0x10 != 0)
        .map_or(0, |p| p[3] & 15);
    let mut out = BytesMut::with_capacity(batch.len());
    let mut kept: Vec<[u8; TS_PACKET]> = Vec::new();
    for (p, &k) in packets.iter().zip(&keep) {
        if k {
            let mut q = [0u8; TS_PACKET];
            q.copy_from_slice(p);
            kept.push(q);
        }
    }
    let mut cc = last_cc;
    let mut first = true;
    for q in kept.iter_mut().rev() {
        let pid = (u16::from(q[1] & 0x1f) << 8) | u16::from(q[2]);
        if pid != video {
            continue;
        }
        if q[3] & 0x10 != 0 {
            if !first {
                cc = cc.wrapping_sub(1) & 15;
            }
            first = false;
        }
        q[3] = (q[3] & 0xf0) | cc;
    }
    for q in &kept {
        out.extend_from_slice(q);
    }
    out.freeze()
}

/// Whether the GOP header in the start of this video elementary stream has closed_gop set.
fn closed_gop(es: &[u8]) -> bool {
    es.windows(8)
        .find(|w| w[..4] == [0, 0, 1, 0xb8])
        .is_some_and(|w| w[7] & 0x40 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts_packet(pid: u16, pusi: bool, cc: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![
            SYNC,
            (if pusi { 0x40 } else { 0 }) | (pid >> 8) as u8,
            pid as u8,
            0x10 | (cc & 15),
        ];
        p.extend_from_slice(body);
        p.resize(TS_PACKET, 0xff);
        p
    }

    fn video_pes(sequence: bool, coding_type: u8) -> Vec<u8> {
        let mut es = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0];
        if sequence {
            // 352x288
            es.extend_from_slice(&[
                0, 0, 1, 0xb3, 0x16, 0x01, 0x20, 0x13, 0xff, 0xff, 0xe0, 0x18,
            ]);
        }
        es.extend_from_slice(&[0, 0, 1, 0x00, 0x00, coding_type << 3, 0xff, 0xf8]);
        es
    }

    #[test]
    fn key_units_start_at_sequence_header_and_i_picture() {
        let mut input = Vec::new();
        input.extend(ts_packet(0x100, true, 0, &video_pes(true, 1)));
        input.extend(ts_packet(0x100, false, 1, &[]));
        input.extend(ts_packet(0x101, true, 0, &[0, 0, 1, 0xc0]));
        input.extend(ts_packet(0x100, true, 2, &video_pes(false, 2)));
        input.extend(ts_packet(0x100, true, 3, &video_pes(true, 1)));
        // Split at odd places, with garbage in front.
        let mut data = vec![1, 2, 3];
        data.extend(&input);
        let mut framer = TsFramer::new();
        let mut out = Vec::new();
        for chunk in data.chunks(100) {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        assert_eq!(framer.skipped_bytes(), 3);
        let keys: Vec<_> = out.iter().filter(|u| u.key).collect();
        assert_eq!(keys.len(), 2);
        assert!(out[0].key);
        let total: usize = out.iter().map(|u| u.data.len()).sum();
        assert_eq!(total, input.len());
        assert!(out.iter().all(|u| u.data.len() % TS_PACKET == 0));
        assert_eq!(framer.picture_size(), Some((352, 288)));
        let pictures: Vec<u8> = out
            .iter()
            .flat_map(|u| u.pictures.iter().copied())
            .collect();
        assert_eq!(pictures, [1, 2, 1]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut framer = TsFramer::new();
        let mut out = Vec::new();
        let mut x = 12345u32;
        let mut data = Vec::new();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data.push(if x % 7 == 0 { SYNC } else { x as u8 });
        }
        for chunk in data.chunks(777) {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        assert!(out.iter().all(|u| u.data.len() % TS_PACKET == 0));
    }

    #[test]
    fn clean_start_drops_open_gop_leading_b_pictures_and_renumbers() {
        let mut input = Vec::new();
        input.extend(ts_packet(0x100, true, 5, &video_pes(true, 1)));
        input.extend(ts_packet(0x100, false, 6, &[]));
        input.extend(ts_packet(0x101, true, 9, &[0, 0, 1, 0xc0]));
        input.extend(ts_packet(0x100, true, 7, &video_pes(false, 3)));
        input.extend(ts_packet(0x100, false, 8, &[]));
        input.extend(ts_packet(0x100, true, 9, &video_pes(false, 2)));
        input.extend(ts_packet(0x100, true, 10, &video_pes(false, 3)));
        let out = clean_start(&input);
        let kept: Vec<(u16, u8)> = out
            .chunks_exact(TS_PACKET)
            .map(|p| ((u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]), p[3] & 15))
            .collect();
        // The B-picture after the I-picture is gone; the video counters end where they did.
        assert_eq!(
            kept,
            [(0x100, 7), (0x100, 8), (0x101, 9), (0x100, 9), (0x100, 10)]
        );
        // A batch without leading B-pictures is unchanged.
        let plain: Vec<u8> = input[..3 * TS_PACKET].to_vec();
        assert_eq!(&clean_start(&plain)[..], &plain[..]);
    }
}
