//! A start-code level scanner for MPEG-1 video elementary streams (ISO/IEC 11172-2, 2.4.2):
//! what headers, pictures and slices a stream contains. It reads header fields only, never
//! macroblocks, so it is independent of the decoder under test.

/// Fields of one sequence header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceInfo {
    /// Byte offset of the start code.
    pub offset: usize,
    /// `horizontal_size`.
    pub width: u16,
    /// `vertical_size`.
    pub height: u16,
    /// `pel_aspect_ratio`.
    pub aspect_ratio_code: u8,
    /// `picture_rate`.
    pub frame_rate_code: u8,
    /// `bit_rate` (units of 400 bit/s).
    pub bit_rate: u32,
    /// `constrained_parameters_flag`.
    pub constrained_parameters: bool,
    /// `load_intra_quantizer_matrix`.
    pub load_intra_matrix: bool,
    /// `load_non_intra_quantizer_matrix`.
    pub load_non_intra_matrix: bool,
}

/// Fields of one picture header, and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureInfo {
    /// Byte offset of the start code.
    pub offset: usize,
    /// Index of the group of pictures it belongs to (0 before the first GOP header too).
    pub gop: usize,
    /// `temporal_reference`.
    pub temporal_reference: u16,
    /// `picture_coding_type` (1 I, 2 P, 3 B, 4 D).
    pub coding_type: u8,
    /// `full_pel_forward_vector` (P and B pictures).
    pub full_pel_forward: bool,
    /// `forward_f_code` (P and B pictures, else 0).
    pub forward_f_code: u8,
    /// `full_pel_backward_vector` (B pictures).
    pub full_pel_backward: bool,
    /// `backward_f_code` (B pictures, else 0).
    pub backward_f_code: u8,
    /// Number of slices.
    pub slices: usize,
    /// User data blocks between this picture header and its first slice.
    pub user_data: usize,
}

impl PictureInfo {
    /// `I`, `P`, `B`, `D` or `?`.
    pub fn letter(&self) -> char {
        match self.coding_type {
            1 => 'I',
            2 => 'P',
            3 => 'B',
            4 => 'D',
            _ => '?',
        }
    }
}

/// What an elementary stream contains.
#[derive(Clone, Debug, Default)]
pub struct EsSummary {
    /// Every sequence header.
    pub sequences: Vec<SequenceInfo>,
    /// Number of group-of-pictures headers.
    pub gops: usize,
    /// `closed_gop` of each GOP header.
    pub closed_gops: Vec<bool>,
    /// Every picture, in stream (decoding) order.
    pub pictures: Vec<PictureInfo>,
    /// User data blocks: after sequence headers, after GOP headers, after picture headers.
    pub user_data_after: [usize; 3],
    /// Sequence end codes.
    pub sequence_ends: usize,
    /// Start codes of other kinds (extension, reserved, system codes).
    pub other_start_codes: usize,
}

impl EsSummary {
    /// The picture coding types in stream order, as letters.
    pub fn types_in_stream_order(&self) -> String {
        self.pictures.iter().map(PictureInfo::letter).collect()
    }

    /// The (coding type letter, temporal_reference) of every picture in display order: within
    /// each group of pictures, by temporal_reference.
    pub fn display_order(&self) -> Vec<(char, u16)> {
        let mut out = Vec::with_capacity(self.pictures.len());
        let mut start = 0;
        while start < self.pictures.len() {
            let gop = self.pictures[start].gop;
            let end = start
                + self.pictures[start..]
                    .iter()
                    .take_while(|p| p.gop == gop)
                    .count();
            let mut group: Vec<(char, u16)> = self.pictures[start..end]
                .iter()
                .map(|p| (p.letter(), p.temporal_reference))
                .collect();
            group.sort_by_key(|&(_, tr)| tr);
            out.extend(group);
            start = end;
        }
        out
    }
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        v
    }
}

/// Offsets of every start code prefix `00 00 01` (the offset of the first zero byte) that has a
/// code byte after it.
pub fn start_codes(data: &[u8]) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            out.push((i, data[i + 3]));
            i += 4;
        } else {
            i += 1;
        }
    }
    out
}

/// Scans a raw MPEG-1 video elementary stream.
pub fn scan(data: &[u8]) -> EsSummary {
    let mut s = EsSummary::default();
    // What the last header was, for attributing user data: 0 sequence, 1 GOP, 2 picture.
    let mut last_header: Option<usize> = None;
    for (offset, code) in start_codes(data) {
        let body = &data[offset + 4..];
        let mut bits = Bits { data: body, pos: 0 };
        match code {
            0xB3 => {
                let width = bits.read(12) as u16;
                let height = bits.read(12) as u16;
                let aspect_ratio_code = bits.read(4) as u8;
                let frame_rate_code = bits.read(4) as u8;
                let bit_rate = bits.read(18);
                bits.read(1); // marker
                bits.read(10); // vbv_buffer_size
                let constrained_parameters = bits.read(1) == 1;
                let load_intra_matrix = bits.read(1) == 1;
                if load_intra_matrix {
                    bits.read(64 * 8);
                }
                let load_non_intra_matrix = bits.read(1) == 1;
                s.sequences.push(SequenceInfo {
                    offset,
                    width,
                    height,
                    aspect_ratio_code,
                    frame_rate_code,
                    bit_rate,
                    constrained_parameters,
                    load_intra_matrix,
                    load_non_intra_matrix,
                });
                last_header = Some(0);
            }
            0xB8 => {
                bits.read(25); // time_code
                s.closed_gops.push(bits.read(1) == 1);
                s.gops += 1;
                last_header = Some(1);
            }
            0x00 => {
                let temporal_reference = bits.read(10) as u16;
                let coding_type = bits.read(3) as u8;
                bits.read(16); // vbv_delay
                let (mut fpf, mut ff, mut fpb, mut bf) = (false, 0, false, 0);
                if coding_type == 2 || coding_type == 3 {
                    fpf = bits.read(1) == 1;
                    ff = bits.read(3) as u8;
                }
                if coding_type == 3 {
                    fpb = bits.read(1) == 1;
                    bf = bits.read(3) as u8;
                }
                s.pictures.push(PictureInfo {
                    offset,
                    gop: s.gops.saturating_sub(1),
                    temporal_reference,
                    coding_type,
                    full_pel_forward: fpf,
                    forward_f_code: ff,
                    full_pel_backward: fpb,
                    backward_f_code: bf,
                    slices: 0,
                    user_data: 0,
                });
                last_header = Some(2);
            }
            0x01..=0xAF => {
                if let Some(p) = s.pictures.last_mut() {
                    p.slices += 1;
                }
                last_header = None;
            }
            0xB2 => {
                if let Some(h) = last_header {
                    s.user_data_after[h] += 1;
                    if h == 2 {
                        if let Some(p) = s.pictures.last_mut() {
                            p.user_data += 1;
                        }
                    }
                }
            }
            0xB7 => {
                s.sequence_ends += 1;
                last_header = None;
            }
            _ => s.other_start_codes += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_a_hand_written_stream() {
        let mut data = vec![0, 0, 1, 0xB3];
        // 100 x 75, aspect 1, rate 3, bit_rate 0x3FFFF, marker, vbv 20, cpf 0, no matrices.
        data.extend_from_slice(&[0x06, 0x40, 0x4B, 0x13, 0xFF, 0xFF, 0xE0, 0xA0]);
        data.extend_from_slice(&[0, 0, 1, 0xB8, 0x00, 0x08, 0x00, 0x40]);
        // temporal_reference 1, P, vbv_delay 0xFFFF, full_pel 1, f_code 3.
        data.extend_from_slice(&[0, 0, 1, 0x00, 0x00, 0x57, 0xFF, 0xFD, 0x80]);
        data.extend_from_slice(&[0, 0, 1, 0xB2, b'x']);
        data.extend_from_slice(&[0, 0, 1, 0x01, 0x40, 0, 0, 1, 0x02, 0x40]);
        data.extend_from_slice(&[0, 0, 1, 0xB7]);
        let s = scan(&data);
        assert_eq!(s.sequences.len(), 1);
        assert_eq!((s.sequences[0].width, s.sequences[0].height), (100, 75));
        assert_eq!(s.sequences[0].frame_rate_code, 3);
        assert!(!s.sequences[0].load_intra_matrix);
        assert_eq!(s.gops, 1);
        assert_eq!(s.closed_gops, vec![true]);
        assert_eq!(s.pictures.len(), 1);
        let p = &s.pictures[0];
        assert_eq!((p.temporal_reference, p.letter()), (1, 'P'));
        assert!(p.full_pel_forward);
        assert_eq!(p.forward_f_code, 3);
        assert_eq!(p.slices, 2);
        assert_eq!(s.user_data_after, [0, 0, 1]);
        assert_eq!(s.sequence_ends, 1);
    }
}
