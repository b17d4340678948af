//! Program-specific information in transport streams: section reassembly, the CRC that guards
//! sections, and the two tables this crate reads, the PAT (which PIDs carry program maps) and
//! the PMT (which PIDs carry which elementary streams).

use alloc::vec::Vec;

use super::StreamKind;

/// The PID of the program association table.
pub(crate) const PAT_PID: u16 = 0x0000;

/// `table_id` of a program association section.
const PAT_TABLE_ID: u8 = 0x00;
/// `table_id` of a program map section.
const PMT_TABLE_ID: u8 = 0x02;

/// The longest section of any table (`section_length` is at most 4093 for private sections).
const MAX_SECTION_LEN: usize = 3 + 4093;
/// The longest PAT or PMT section (`section_length` is at most 1021).
const MAX_PROGRAM_SECTION_LEN: usize = 3 + 1021;

/// A section header (table_id, length) plus the syntax-section fields and the CRC.
const MIN_SYNTAX_SECTION_LEN: usize = 3 + 5 + 4;

/// The CRC of MPEG-2 sections: polynomial 0x04C11DB7, initial value all ones, no reflection, no
/// final xor. A section followed by its CRC field sums to zero.
pub(crate) fn crc32_mpeg2(data: &[u8]) -> u32 {
    data.iter().fold(0xFFFF_FFFF, |crc, &byte| {
        (crc << 8) ^ CRC_TABLE[((crc >> 24) as u8 ^ byte) as usize]
    })
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The section is damaged (bad length, bad CRC, truncated fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MalformedSection;

/// Reassembles the sections carried by the payloads of one PID.
#[derive(Debug, Default)]
pub(crate) struct SectionAssembler {
    /// The first bytes of a section that continues in the next packet.
    partial: Option<Vec<u8>>,
}

impl SectionAssembler {
    /// Takes the payload of a packet. `continuous` says whether no packet of this PID was lost
    /// since the previous one. Complete sections are appended to `sections`.
    pub fn push(
        &mut self,
        payload: &[u8],
        unit_start: bool,
        continuous: bool,
        sections: &mut Vec<Vec<u8>>,
    ) -> Result<(), MalformedSection> {
        if !continuous {
            self.partial = None;
        }
        if !unit_start {
            if let Some(partial) = &mut self.partial {
                partial.extend_from_slice(payload);
                // What follows a section in a packet without unit start is stuffing.
                return self.take_if_complete(sections);
            }
            return Ok(());
        }
        // pointer_field: how many bytes finish the previous section before new ones start.
        let (&pointer, rest) = payload.split_first().ok_or(MalformedSection)?;
        let (tail, mut starts) = rest
            .split_at_checked(usize::from(pointer))
            .ok_or(MalformedSection)?;
        if let Some(partial) = &mut self.partial {
            partial.extend_from_slice(tail);
            let finished = self.take_if_complete(sections);
            // A section still incomplete when the next one starts was damaged: drop it.
            self.partial = None;
            finished?;
        }
        // One or more sections start here; 0xFF bytes after the last one are stuffing.
        while starts.first().is_some_and(|&table_id| table_id != 0xFF) {
            match section_len(starts)? {
                Some(len) if starts.len() >= len => {
                    sections.push(starts[..len].to_vec());
                    starts = &starts[len..];
                }
                _ => {
                    self.partial = Some(starts.to_vec());
                    break;
                }
            }
        }
        Ok(())
    }

    /// Moves the partial section to `sections` if it is complete, dropping any bytes after it.
    fn take_if_complete(&mut self, sections: &mut Vec<Vec<u8>>) -> Result<(), MalformedSection> {
        let Some(partial) = &mut self.partial else {
            return Ok(());
        };
        match section_len(partial) {
            Ok(Some(len)) if partial.len() >= len => {
                partial.truncate(len);
                sections.extend(self.partial.take());
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(malformed) => {
                self.partial = None;
                Err(malformed)
            }
        }
    }
}

/// The total length of the section starting at `bytes[0]`, once its 3-byte header is there.
fn section_len(bytes: &[u8]) -> Result<Option<usize>, MalformedSection> {
    let Some(header) = bytes.get(..3) else {
        return Ok(None);
    };
    let len = 3 + usize::from(u16::from_be_bytes([header[1], header[2]]) & 0x0FFF);
    if len > MAX_SECTION_LEN {
        return Err(MalformedSection);
    }
    Ok(Some(len))
}

/// One program listed by a PAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PatEntry {
    /// The program number (0 for the network information table, which is skipped).
    pub program: u16,
    /// The PID of the program's map table.
    pub pmt_pid: u16,
}

/// One elementary stream listed by a PMT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PmtEntry {
    /// The PMT `stream_type`.
    pub stream_type: u8,
    /// The PID that carries the stream.
    pub pid: u16,
}

/// What a PMT `stream_type` says about a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamTypeClass {
    /// Video or audio.
    pub kind: StreamKind,
    /// Whether this crate's consumers can decode it (MPEG-1/2 video or audio).
    pub supported: bool,
}

/// Classifies a PMT `stream_type`. `None` for types that are neither video nor audio, or
/// ambiguous (private data), which carry no hint.
pub(crate) fn classify_stream_type(stream_type: u8) -> Option<StreamTypeClass> {
    let (kind, supported) = match stream_type {
        0x01 | 0x02 => (StreamKind::Video, true),
        0x03 | 0x04 => (StreamKind::Audio, true),
        // MPEG-4 part 2, H.264, MVC, HEVC, VVC, AVS2/3, VC-1, Dirac, CAVS.
        0x10 | 0x1B | 0x20 | 0x24 | 0x33 | 0xD2 | 0xD4 | 0xEA | 0xD1 | 0x42 => {
            (StreamKind::Video, false)
        }
        // AAC (ADTS, LATM), MPEG-4 audio, AC-3, DTS, TrueHD, E-AC-3 and friends.
        0x0F | 0x11 | 0x1C | 0x81..=0x87 => (StreamKind::Audio, false),
        _ => return None,
    };
    Some(StreamTypeClass { kind, supported })
}

/// Checks what every PAT or PMT section has in common and returns its body: the bytes between
/// the 8-byte header and the CRC. `None` when the section is not `current_next` (it describes a
/// future table and is ignored).
fn program_section_body(section: &[u8], table_id: u8) -> Result<Option<&[u8]>, MalformedSection> {
    if section.len() < MIN_SYNTAX_SECTION_LEN
        || section.len() > MAX_PROGRAM_SECTION_LEN
        || section[0] != table_id
        // section_syntax_indicator must be set and the next bit clear.
        || section[1] & 0xC0 != 0x80
        || crc32_mpeg2(section) != 0
    {
        return Err(MalformedSection);
    }
    let current_next = section[5] & 0x01 != 0;
    Ok(current_next.then(|| &section[8..section.len() - 4]))
}

/// Reads a program association section.
pub(crate) fn parse_pat(section: &[u8]) -> Result<Vec<PatEntry>, MalformedSection> {
    let Some(body) = program_section_body(section, PAT_TABLE_ID)? else {
        return Ok(Vec::new());
    };
    if body.len() % 4 != 0 {
        return Err(MalformedSection);
    }
    Ok(body
        .chunks_exact(4)
        .map(|entry| PatEntry {
            program: u16::from_be_bytes([entry[0], entry[1]]),
            pmt_pid: u16::from_be_bytes([entry[2], entry[3]]) & 0x1FFF,
        })
        .filter(|entry| entry.program != 0)
        .collect())
}

/// A program map section: the program number and its elementary streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pmt {
    /// The program number (`table_id_extension`).
    pub program: u16,
    /// The elementary streams, in table order.
    pub streams: Vec<PmtEntry>,
}

/// Reads a program map section. `None` when it is not yet applicable (`current_next == 0`).
pub(crate) fn parse_pmt(section: &[u8]) -> Result<Option<Pmt>, MalformedSection> {
    let Some(body) = program_section_body(section, PMT_TABLE_ID)? else {
        return Ok(None);
    };
    let program = u16::from_be_bytes([section[3], section[4]]);
    // PCR_PID (2 bytes), program_info_length (2 bytes), then program descriptors.
    let info_len = body
        .get(2..4)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]) & 0x0FFF))
        .ok_or(MalformedSection)?;
    let mut rest = body.get(4 + info_len..).ok_or(MalformedSection)?;
    let mut streams = Vec::new();
    while !rest.is_empty() {
        let entry = rest.get(..5).ok_or(MalformedSection)?;
        let es_info_len = usize::from(u16::from_be_bytes([entry[3], entry[4]]) & 0x0FFF);
        streams.push(PmtEntry {
            stream_type: entry[0],
            pid: u16::from_be_bytes([entry[1], entry[2]]) & 0x1FFF,
        });
        rest = rest.get(5 + es_info_len..).ok_or(MalformedSection)?;
    }
    Ok(Some(Pmt { program, streams }))
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::demux::test_support::{pat_section, pmt_section};

    #[test]
    fn crc_matches_the_mpeg2_check_value() {
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
        let section = pat_section(&[(1, 0x1000)]);
        assert_eq!(crc32_mpeg2(&section), 0);
    }

    #[test]
    fn reads_pat_and_pmt() {
        let pat = pat_section(&[(0, 0x10), (1, 0x1000), (2, 0x1001)]);
        assert_eq!(
            parse_pat(&pat),
            Ok(vec![
                PatEntry {
                    program: 1,
                    pmt_pid: 0x1000
                },
                PatEntry {
                    program: 2,
                    pmt_pid: 0x1001
                }
            ])
        );
        let pmt = pmt_section(3, &[(0x01, 0x100), (0x04, 0x101)]);
        assert_eq!(
            parse_pmt(&pmt),
            Ok(Some(Pmt {
                program: 3,
                streams: vec![
                    PmtEntry {
                        stream_type: 0x01,
                        pid: 0x100
                    },
                    PmtEntry {
                        stream_type: 0x04,
                        pid: 0x101
                    }
                ]
            }))
        );
        // Swapped table ids, a bad CRC, a truncated section.
        assert_eq!(parse_pat(&pmt), Err(MalformedSection));
        let mut bad = pat.clone();
        bad[9] ^= 0x40;
        assert_eq!(parse_pat(&bad), Err(MalformedSection));
        assert_eq!(parse_pmt(&pmt[..10]), Err(MalformedSection));
    }

    #[test]
    fn ignores_tables_not_yet_current() {
        let mut pmt = pmt_section(3, &[(0x01, 0x100)]);
        pmt[5] &= !0x01;
        let len = pmt.len();
        let crc = crc32_mpeg2(&pmt[..len - 4]);
        pmt[len - 4..].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(parse_pmt(&pmt), Ok(None));
    }

    #[test]
    fn classifies_stream_types() {
        let video = classify_stream_type(0x02).unwrap();
        assert_eq!((video.kind, video.supported), (StreamKind::Video, true));
        let h264 = classify_stream_type(0x1B).unwrap();
        assert_eq!((h264.kind, h264.supported), (StreamKind::Video, false));
        let aac = classify_stream_type(0x0F).unwrap();
        assert_eq!((aac.kind, aac.supported), (StreamKind::Audio, false));
        assert_eq!(classify_stream_type(0x06), None);
    }

    #[test]
    fn assembles_sections_split_and_packed() {
        let pat = pat_section(&[(1, 0x1000)]);
        let pmt = pmt_section(1, &[(0x01, 0x100)]);
        let mut assembler = SectionAssembler::default();
        let mut sections = vec![];
        // Two sections in one payload, then stuffing.
        let mut payload = vec![0];
        payload.extend_from_slice(&pat);
        payload.extend_from_slice(&pmt);
        payload.extend_from_slice(&[0xFF; 7]);
        assert_eq!(assembler.push(&payload, true, true, &mut sections), Ok(()));
        assert_eq!(sections, [pat.clone(), pmt.clone()]);
        // A section split over three payloads, the last with a pointer field.
        sections.clear();
        let mut first = vec![0];
        first.extend_from_slice(&pmt[..2]);
        assert_eq!(assembler.push(&first, true, true, &mut sections), Ok(()));
        assert_eq!(
            assembler.push(&pmt[2..10], false, true, &mut sections),
            Ok(())
        );
        let mut last = vec![(pmt.len() - 10) as u8];
        last.extend_from_slice(&pmt[10..]);
        last.extend_from_slice(&pat);
        assert_eq!(assembler.push(&last, true, true, &mut sections), Ok(()));
        assert_eq!(sections, [pmt.clone(), pat.clone()]);
        // A lost packet drops the section being collected.
        sections.clear();
        assert_eq!(assembler.push(&first, true, true, &mut sections), Ok(()));
        assert_eq!(
            assembler.push(&pmt[2..], false, false, &mut sections),
            Ok(())
        );
        assert_eq!(sections, [] as [Vec<u8>; 0]);
        // Damage.
        assert_eq!(
            assembler.push(&[], true, true, &mut sections),
            Err(MalformedSection)
        );
        assert_eq!(
            assembler.push(&[5, 1], true, true, &mut sections),
            Err(MalformedSection)
        );
        assert_eq!(
            assembler.push(&[0, 0x02, 0xBF, 0xFF], true, true, &mut sections),
            Err(MalformedSection)
        );
    }
}
