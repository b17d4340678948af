//! Several publishers on one stream, merged into one coherent transport stream.
//!
//! JSMpeg users run one ffmpeg for the video and another for the audio into the same URL. Both
//! muxers use the same PIDs (PMT 0x1000, first elementary stream 0x100), so interleaving their
//! packets as they come (as JSMpeg's relay does) gives viewers two PMTs that contradict each
//! other and two streams on one PID. The [`Mixer`] instead:
//!
//! - keeps a PID map per publisher: an elementary stream keeps its PID when no other publisher
//!   uses it, and gets the lowest free PID from 0x100 up otherwise;
//! - drops every publisher's PAT and PMT and puts its own in their place: one program whose
//!   PMT (on PID 0x1000) lists the elementary streams of all publishers, the newest publisher's
//!   first (so its video is the one that new viewers start on), with the PCR of the newest
//!   publisher that has one; the PMT version changes whenever that list changes;
//! - passes other SI tables (SDT...) from the first publisher that sent them only, and drops
//!   null packets and packets of streams that have not started a PES yet.
//!
//! Packets are merged whole, in arrival order; elementary stream packets are not otherwise
//! changed (their continuity counters stay valid, as each output PID has one source). The
//! PES `stream_id`s are kept: decoders tell the streams apart by PID.

/// The PID of the merged PMT.
pub const PMT_PID: u16 = 0x1000;
/// The program number of the merged program.
const PROGRAM: u16 = 1;
/// The first PID given to a remapped elementary stream.
const FIRST_ES_PID: u16 = 0x100;
/// The null packet PID.
const NULL_PID: u16 = 0x1fff;
/// PIDs below this one carry SI tables (PAT, CAT, NIT, SDT...).
const FIRST_DATA_PID: u16 = 0x20;
/// The most PIDs mapped per publisher; packets of further PIDs are dropped.
const MAX_PIDS_PER_SOURCE: usize = 32;
/// The most PMT PIDs followed per publisher.
const MAX_PMT_PIDS: usize = 4;
/// Room for the elementary stream loop in a one-packet PMT section: 183 bytes after the
/// pointer field, minus the 12-byte header and the CRC.
const PMT_LOOP_ROOM: usize = 183 - 12 - 4;

use crate::framer::TS_PACKET;

/// Publisher ids handed out by the stream.
pub type SourceId = u64;

/// An elementary stream a publisher's PMT lists.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Es {
    /// PID in the merged stream.
    pid: u16,
    stream_type: u8,
    /// The ES descriptors, as sent.
    info: Vec<u8>,
}

/// One publisher.
#[derive(Debug)]
struct Source {
    id: SourceId,
    /// Publisher PID → merged PID.
    map: Vec<(u16, u16)>,
    /// The publisher's PMT PIDs (from its PAT, or recognised by content).
    pmt_pids: Vec<u16>,
    /// Its elementary streams, from its last PMT.
    es: Vec<Es>,
    /// Its PCR PID (merged), from its last PMT.
    pcr: Option<u16>,
}

impl Source {
    fn dst(&self, pid: u16) -> Option<u16> {
        self.map.iter().find(|(s, _)| *s == pid).map(|(_, d)| *d)
    }
}

/// The merger of a stream's publishers (see the module documentation).
#[derive(Debug, Default)]
pub struct Mixer {
    /// Publishers in the order they joined.
    sources: Vec<Source>,
    /// Which publisher passes each SI PID.
    si_owner: Vec<(u16, SourceId)>,
    pat_cc: u8,
    pmt_cc: u8,
    version: u8,
    /// The elementary stream loop and PCR PID of the last PMT sent, to notice changes.
    last_loop: Option<(Vec<u8>, u16)>,
}

impl Mixer {
    /// A mixer with no publishers.
    pub fn new() -> Mixer {
        Mixer::default()
    }

    /// Adds a publisher.
    pub fn add(&mut self, id: SourceId) {
        if !self.has(id) {
            self.sources.push(Source {
                id,
                map: Vec::new(),
                pmt_pids: Vec::new(),
                es: Vec::new(),
                pcr: None,
            });
        }
    }

    /// Whether `id` is a current publisher.
    pub fn has(&self, id: SourceId) -> bool {
        self.sources.iter().any(|s| s.id == id)
    }

    /// The publisher whose stream has merged PID `pid`, if any.
    pub fn owner(&self, pid: u16) -> Option<SourceId> {
        self.sources
            .iter()
            .find(|s| s.map.iter().any(|(_, d)| *d == pid))
            .map(|s| s.id)
    }

    /// Publishers present.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there are no publishers.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Removes a publisher and frees its PIDs. Returns the merged PIDs it had; when other
    /// publishers remain and the PMT changed, the new PAT and PMT are appended to `out`.
    pub fn remove(&mut self, id: SourceId, out: &mut Vec<u8>) -> Vec<u16> {
        let Some(i) = self.sources.iter().position(|s| s.id == id) else {
            return Vec::new();
        };
        let source = self.sources.remove(i);
        self.si_owner.retain(|(_, owner)| *owner != id);
        if !self.sources.is_empty() && self.last_loop.is_some() {
            self.write_pat(out);
            self.write_pmt(out);
        }
        source.map.iter().map(|(_, d)| *d).collect()
    }

    /// Merges one 188-byte packet of publisher `id`: appends what replaces it (nothing, the
    /// packet with its PID rewritten, or the merged PAT or PMT) to `out`.
    pub fn packet(&mut self, id: SourceId, pkt: &[u8], out: &mut Vec<u8>) {
        if pkt.len() != TS_PACKET {
            return;
        }
        let Some(si) = self.sources.iter().position(|s| s.id == id) else {
            return;
        };
        let pid = (u16::from(pkt[1] & 0x1f) << 8) | u16::from(pkt[2]);
        let pusi = pkt[1] & 0x40 != 0;
        let section = if pusi { section_of(pkt) } else { None };
        if pid == NULL_PID || pkt[1] & 0x80 != 0 {
            // Stuffing, or a packet its sender marked as damaged.
            return;
        }
        if pid == 0 {
            if let Some(pmts) = section.and_then(parse_pat) {
                let source = &mut self.sources[si];
                source.pmt_pids = pmts;
                self.write_pat(out);
            }
            return;
        }
        let is_pmt = self.sources[si].pmt_pids.contains(&pid)
            || (pid >= FIRST_DATA_PID && section.is_some_and(|s| s.first() == Some(&0x02)));
        if is_pmt {
            if let Some(s) = section {
                if !self.sources[si].pmt_pids.contains(&pid)
                    && self.sources[si].pmt_pids.len() < MAX_PMT_PIDS
                {
                    self.sources[si].pmt_pids.push(pid);
                }
                if let Some(pmt) = parse_pmt(s) {
                    self.update_pmt(si, &pmt);
                    self.write_pmt(out);
                }
            }
            return;
        }
        if pid < FIRST_DATA_PID {
            let owner = if let Some((_, owner)) = self.si_owner.iter().find(|(p, _)| *p == pid) {
                *owner
            } else {
                self.si_owner.push((pid, id));
                id
            };
            if owner == id {
                out.extend_from_slice(pkt);
            }
            return;
        }
        let dst = if let Some(d) = self.sources[si].dst(pid) {
            d
        } else {
            // A stream starts at the beginning of a PES: what comes before cannot be decoded
            // anyway.
            let pes_start = pusi && payload(pkt).is_some_and(|p| p.starts_with(&[0, 0, 1]));
            if !pes_start {
                return;
            }
            let Some(d) = self.map_pid(si, pid) else {
                return;
            };
            d
        };
        let start = out.len();
        out.extend_from_slice(pkt);
        out[start + 1] = (pkt[1] & 0xe0) | (dst >> 8) as u8;
        out[start + 2] = dst as u8;
    }

    /// Gives publisher `si`'s PID `pid` a merged PID (its own if free).
    fn map_pid(&mut self, si: usize, pid: u16) -> Option<u16> {
        if let Some(d) = self.sources[si].dst(pid) {
            return Some(d);
        }
        if self.sources[si].map.len() >= MAX_PIDS_PER_SOURCE {
            return None;
        }
        let used = |p: u16, sources: &[Source]| {
            p == PMT_PID
                || p == NULL_PID
                || p < FIRST_DATA_PID
                || sources.iter().any(|s| s.map.iter().any(|(_, d)| *d == p))
        };
        let dst = if used(pid, &self.sources) {
            (FIRST_ES_PID..NULL_PID).find(|&p| !used(p, &self.sources))?
        } else {
            pid
        };
        self.sources[si].map.push((pid, dst));
        Some(dst)
    }

    /// Takes in a publisher's PMT.
    fn update_pmt(&mut self, si: usize, pmt: &Pmt) {
        let mut es = Vec::new();
        for (pid, stream_type, info) in &pmt.streams {
            if *pid < FIRST_DATA_PID || *pid == NULL_PID {
                continue;
            }
            if let Some(dst) = self.map_pid(si, *pid) {
                es.push(Es {
                    pid: dst,
                    stream_type: *stream_type,
                    info: info.clone(),
                });
            }
        }
        let pcr = if pmt.pcr_pid >= FIRST_DATA_PID && pmt.pcr_pid != NULL_PID {
            self.map_pid(si, pmt.pcr_pid)
        } else {
            None
        };
        let source = &mut self.sources[si];
        source.es = es;
        source.pcr = pcr;
    }

    fn write_pat(&mut self, out: &mut Vec<u8>) {
        let mut section = vec![0x00, 0, 0, 0x00, 0x01, 0xc1, 0, 0];
        section.extend_from_slice(&PROGRAM.to_be_bytes());
        section.extend_from_slice(&(0xe000 | PMT_PID).to_be_bytes());
        finish_section(&mut section);
        push_section(out, 0, self.pat_cc, &section);
        self.pat_cc = (self.pat_cc + 1) & 15;
    }

    fn write_pmt(&mut self, out: &mut Vec<u8>) {
        let mut es_loop = Vec::new();
        for source in self.sources.iter().rev() {
            for es in &source.es {
                let with_info = 5 + es.info.len();
                let info: &[u8] = if es_loop.len() + with_info <= PMT_LOOP_ROOM {
                    &es.info
                } else if es_loop.len() + 5 <= PMT_LOOP_ROOM {
                    &[]
                } else {
                    // Not listed; the packets still flow (decoders read unlisted PES).
                    continue;
                };
                es_loop.push(es.stream_type);
                es_loop.extend_from_slice(&(0xe000 | es.pid).to_be_bytes());
                es_loop.extend_from_slice(&(0xf000 | info.len() as u16).to_be_bytes());
                es_loop.extend_from_slice(info);
            }
        }
        let pcr = self
            .sources
            .iter()
            .rev()
            .find_map(|s| s.pcr)
            .unwrap_or(NULL_PID);
        let current = (es_loop, pcr);
        if self.last_loop.as_ref() != Some(&current) {
            if self.last_loop.is_some() {
                self.version = (self.version + 1) & 31;
            }
            self.last_loop = Some(current);
        }
        let Some((es_loop, pcr)) = &self.last_loop else {
            return;
        };
        let mut section = vec![0x02, 0, 0];
        section.extend_from_slice(&PROGRAM.to_be_bytes());
        section.push(0xc1 | (self.version << 1));
        section.extend_from_slice(&[0, 0]);
        section.extend_from_slice(&(0xe000 | pcr).to_be_bytes());
        section.extend_from_slice(&0xf000u16.to_be_bytes());
        section.extend_from_slice(es_loop);
        finish_section(&mut section);
        push_section(out, PMT_PID, self.pmt_cc, &section);
        self.pmt_cc = (self.pmt_cc + 1) & 15;
    }
}

/// Sets a section's length (its bytes after the length field, CRC included) and appends the
/// CRC.
fn finish_section(section: &mut Vec<u8>) {
    let len = (section.len() - 3 + 4) as u16;
    section[1] = 0xb0 | (len >> 8) as u8;
    section[2] = len as u8;
    let crc = crc32_mpeg2(section);
    section.extend_from_slice(&crc.to_be_bytes());
}

/// Appends one packet carrying `section` (which fits in one packet) on `pid`.
fn push_section(out: &mut Vec<u8>, pid: u16, cc: u8, section: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&[
        0x47,
        0x40 | (pid >> 8) as u8,
        pid as u8,
        0x10 | (cc & 15),
        0,
    ]);
    out.extend_from_slice(section);
    out.resize(start + TS_PACKET, 0xff);
}

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial value all ones, no reflection, no final XOR).
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The payload of a TS packet, if it has one.
fn payload(pkt: &[u8]) -> Option<&[u8]> {
    match (pkt[3] >> 4) & 3 {
        1 => pkt.get(4..),
        3 => pkt.get(5 + usize::from(pkt[4])..),
        _ => None,
    }
}

/// The complete PSI section starting in a unit-start packet whose CRC is right, if any.
fn section_of(pkt: &[u8]) -> Option<&[u8]> {
    let p = payload(pkt)?;
    let s = p.get(1 + usize::from(*p.first()?)..)?;
    if *s.first()? == 0xff {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*s.get(1)? & 0x0f, *s.get(2)?]));
    let section = s.get(..3 + len)?;
    if len < 9 || crc32_mpeg2(section) != 0 {
        return None;
    }
    Some(section)
}

/// The PMT PIDs a PAT section lists (at most [`MAX_PMT_PIDS`]).
fn parse_pat(section: &[u8]) -> Option<Vec<u16>> {
    if section.first() != Some(&0x00) {
        return None;
    }
    let programs = section.get(8..section.len() - 4)?;
    Some(
        programs
            .chunks_exact(4)
            .filter(|e| u16::from_be_bytes([e[0], e[1]]) != 0)
            .map(|e| u16::from_be_bytes([e[2] & 0x1f, e[3]]))
            .take(MAX_PMT_PIDS)
            .collect(),
    )
}

/// What the mixer reads from a PMT.
struct Pmt {
    pcr_pid: u16,
    /// (PID, stream type, ES descriptors).
    streams: Vec<(u16, u8, Vec<u8>)>,
}

fn parse_pmt(section: &[u8]) -> Option<Pmt> {
    if section.first() != Some(&0x02) || section.len() < 16 {
        return None;
    }
    let pcr_pid = u16::from_be_bytes([section[8] & 0x1f, section[9]]);
    let info = usize::from(u16::from_be_bytes([section[10] & 0x0f, section[11]]));
    let end = section.len() - 4;
    let mut i = 12 + info;
    let mut streams = Vec::new();
    while i + 5 <= end {
        let stream_type = section[i];
        let pid = u16::from_be_bytes([section[i + 1] & 0x1f, section[i + 2]]);
        let es_info = usize::from(u16::from_be_bytes([section[i + 3] & 0x0f, section[i + 4]]));
        let info = section.get(i + 5..i + 5 + es_info)?;
        if streams.len() < MAX_PIDS_PER_SOURCE {
            streams.push((pid, stream_type, info.to_vec()));
        }
        i += 5 + es_info;
    }
    Some(Pmt { pcr_pid, streams })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(pid: u16, pusi: bool, cc: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x47,
            (if pusi { 0x40 } else { 0 }) | (pid >> 8) as u8,
            pid as u8,
            0x10 | (cc & 15),
        ];
        p.extend_from_slice(body);
        p.resize(TS_PACKET, 0xff);
        p
    }

    /// An ffmpeg-like PAT + PMT (PMT 0x1000) with one stream on 0x100.
    fn tables(stream_type: u8) -> Vec<u8> {
        let mut pat = vec![0x00, 0, 0, 0, 1, 0xc1, 0, 0, 0, 1, 0xf0, 0x00];
        finish_section(&mut pat);
        let mut pmt = vec![
            0x02,
            0,
            0,
            0,
            1,
            0xc1,
            0,
            0,
            0xe1,
            0x00,
            0xf0,
            0x00,
            stream_type,
            0xe1,
            0x00,
            0xf0,
            0x00,
        ];
        finish_section(&mut pmt);
        let mut out = Vec::new();
        out.extend(packet(0, true, 0, &[&[0u8][..], &pat].concat()));
        out.extend(packet(0x1000, true, 0, &[&[0u8][..], &pmt].concat()));
        out
    }

    fn pids(data: &[u8]) -> Vec<u16> {
        data.chunks_exact(TS_PACKET)
            .map(|p| (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]))
            .collect()
    }

    #[test]
    fn crc_matches_the_mpeg2_check_value() {
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_e6e7);
    }

    #[test]
    fn colliding_publishers_get_distinct_pids_and_one_pmt() {
        let mut m = Mixer::new();
        m.add(1);
        m.add(2);
        let mut out = Vec::new();
        for p in tables(0x01).chunks_exact(TS_PACKET) {
            m.packet(1, p, &mut out);
        }
        for p in tables(0x03).chunks_exact(TS_PACKET) {
            m.packet(2, p, &mut out);
        }
        m.packet(1, &packet(0x100, true, 0, &[0, 0, 1, 0xe0]), &mut out);
        m.packet(2, &packet(0x100, true, 0, &[0, 0, 1, 0xc0]), &mut out);
        m.packet(2, &packet(0x100, false, 1, &[1]), &mut out);
        // Not started with a PES: dropped.
        m.packet(2, &packet(0x300, false, 0, &[1]), &mut out);
        m.packet(2, &packet(NULL_PID, false, 0, &[]), &mut out);
        assert_eq!(
            pids(&out),
            [0, 0x1000, 0, 0x1000, 0x100, 0x101, 0x101],
            "PAT/PMT replaced, audio moved to 0x101"
        );
        // The last PMT lists both streams, the newest publisher's first, with a valid CRC.
        let last_pmt = out.chunks_exact(TS_PACKET).nth(3).unwrap();
        let section = section_of(last_pmt).unwrap();
        let pmt = parse_pmt(section).unwrap();
        let listed: Vec<(u16, u8)> = pmt.streams.iter().map(|(p, t, _)| (*p, *t)).collect();
        assert_eq!(listed, [(0x101, 0x03), (0x100, 0x01)]);
        assert_eq!(pmt.pcr_pid, 0x101);
        let first_pmt = section_of(out.chunks_exact(TS_PACKET).nth(1).unwrap()).unwrap();
        assert_ne!(first_pmt[5], section[5], "the version changed");
        // The video publisher leaves: the PMT lists the audio only, and 0x100 is free again.
        let mut after = Vec::new();
        assert_eq!(m.remove(1, &mut after), [0x100]);
        assert_eq!(pids(&after), [0, 0x1000]);
        let pmt = parse_pmt(section_of(&after[TS_PACKET..]).unwrap()).unwrap();
        assert_eq!(pmt.streams.len(), 1);
        m.add(3);
        let mut again = Vec::new();
        m.packet(3, &packet(0x100, true, 0, &[0, 0, 1, 0xe0]), &mut again);
        assert_eq!(pids(&again), [0x100]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut m = Mixer::new();
        m.add(1);
        let mut x = 99u32;
        let mut out = Vec::new();
        for _ in 0..5000 {
            let mut p = [0u8; TS_PACKET];
            for b in &mut p {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            p[0] = 0x47;
            if x % 3 == 0 {
                p[1] &= 0xe0;
                p[2] = 0;
            }
            m.packet(1, &p, &mut out);
        }
        assert!(out.len() % TS_PACKET == 0);
        assert!(m.sources[0].map.len() <= MAX_PIDS_PER_SOURCE);
    }
}
