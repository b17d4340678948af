//! Constant tables of ISO/IEC 11172-2 (MPEG-1 video): scan order, default quantiser matrices and
//! the variable-length code tables of Annex B.
//!
//! Each VLC table is written as the standard lists it: (code length, code bits, value). The
//! decoder builds nothing at run time; lookups go through the `const` arrays below.

// Codes are grouped in nibbles from the left, as the standard prints them.
#![allow(clippy::unusual_byte_groupings)]

/// Zigzag scan: the raster position (row * 8 + column) of the n-th coefficient in scan order
/// (ISO/IEC 11172-2, 2.4.4.1, figure D.30 / "zigzag scanning order").
pub const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Default intra quantiser matrix in raster order (ISO/IEC 11172-2, 2.4.3.2).
pub const DEFAULT_INTRA_QUANT_MATRIX: [u8; 64] = [
    8, 16, 19, 22, 26, 27, 29, 34, //
    16, 16, 22, 24, 27, 29, 34, 37, //
    19, 22, 26, 27, 29, 34, 34, 38, //
    22, 22, 26, 27, 29, 34, 37, 40, //
    22, 26, 27, 29, 32, 35, 40, 48, //
    26, 27, 29, 32, 35, 40, 48, 58, //
    26, 27, 29, 34, 38, 46, 56, 69, //
    27, 29, 35, 38, 46, 56, 69, 83,
];

/// One variable-length code as the standard lists it: (length in bits, code bits, value).
pub type VlcCode = (u8, u16, i16);

/// A decoded lookup-table entry: the value and the code length (0 = no such code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlcEntry {
    /// The decoded value.
    pub value: i16,
    /// The code's length in bits; 0 marks a bit pattern that starts no valid code.
    pub len: u8,
}

const INVALID: VlcEntry = VlcEntry { value: 0, len: 0 };

/// Builds, at compile time, a lookup table for the codes of `codes` that start with the
/// `prefix_len`-bit `prefix` and are at most `prefix_len + index_bits` long. The table is indexed
/// by the `index_bits` bits that follow the prefix; every index that begins with a code's
/// remaining bits maps to that code.
pub const fn build_lut<const N: usize>(
    codes: &[VlcCode],
    index_bits: u32,
    prefix_len: u32,
    prefix: u32,
) -> [VlcEntry; N] {
    let mut table = [INVALID; N];
    let mut i = 0;
    while i < codes.len() {
        let (len, code, value) = codes[i];
        let len = len as u32;
        let code = code as u32;
        if len > prefix_len
            && len <= prefix_len + index_bits
            && (code >> (len - prefix_len)) == prefix
        {
            let rest_len = len - prefix_len;
            let rest = code & ((1 << rest_len) - 1);
            let fill = index_bits - rest_len;
            let first = rest << fill;
            let mut j = 0;
            while j < (1 << fill) {
                table[(first + j) as usize] = VlcEntry {
                    value,
                    len: len as u8,
                };
                j += 1;
            }
        }
        i += 1;
    }
    table
}

/// `macroblock_address_increment` value for `macroblock_stuffing`.
pub const MB_STUFFING: i16 = -1;
/// `macroblock_address_increment` value for `macroblock_escape` (adds 33).
pub const MB_ESCAPE: i16 = -2;

/// Variable length codes for macroblock_address_increment (ISO/IEC 11172-2 Annex B, Table B.1).
pub const MB_ADDRESS_INCREMENT: [VlcCode; 35] = [
    (1, 0b1, 1),
    (3, 0b011, 2),
    (3, 0b010, 3),
    (4, 0b0011, 4),
    (4, 0b0010, 5),
    (5, 0b0001_1, 6),
    (5, 0b0001_0, 7),
    (7, 0b0000_111, 8),
    (7, 0b0000_110, 9),
    (8, 0b0000_1011, 10),
    (8, 0b0000_1010, 11),
    (8, 0b0000_1001, 12),
    (8, 0b0000_1000, 13),
    (8, 0b0000_0111, 14),
    (8, 0b0000_0110, 15),
    (10, 0b0000_0101_11, 16),
    (10, 0b0000_0101_10, 17),
    (10, 0b0000_0101_01, 18),
    (10, 0b0000_0101_00, 19),
    (10, 0b0000_0100_11, 20),
    (10, 0b0000_0100_10, 21),
    (11, 0b0000_0100_011, 22),
    (11, 0b0000_0100_010, 23),
    (11, 0b0000_0100_001, 24),
    (11, 0b0000_0100_000, 25),
    (11, 0b0000_0011_111, 26),
    (11, 0b0000_0011_110, 27),
    (11, 0b0000_0011_101, 28),
    (11, 0b0000_0011_100, 29),
    (11, 0b0000_0011_011, 30),
    (11, 0b0000_0011_010, 31),
    (11, 0b0000_0011_001, 32),
    (11, 0b0000_0011_000, 33),
    (11, 0b0000_0001_111, MB_STUFFING),
    (11, 0b0000_0001_000, MB_ESCAPE),
];

/// Lookup table for [`MB_ADDRESS_INCREMENT`], indexed by the next 11 bits.
pub const MB_ADDRESS_INCREMENT_LUT: [VlcEntry; 2048] = build_lut(&MB_ADDRESS_INCREMENT, 11, 0, 0);

/// Flag bits of a decoded `macroblock_type` (ISO/IEC 11172-2, 2.4.3.6).
pub mod mb_flags {
    /// `macroblock_quant`: a new quantizer_scale follows.
    pub const QUANT: i16 = 1;
    /// `macroblock_motion_forward`.
    pub const FORWARD: i16 = 2;
    /// `macroblock_motion_backward`.
    pub const BACKWARD: i16 = 4;
    /// `macroblock_pattern`: a coded_block_pattern follows.
    pub const PATTERN: i16 = 8;
    /// `macroblock_intra`.
    pub const INTRA: i16 = 16;
}

use mb_flags::{BACKWARD, FORWARD, INTRA, PATTERN, QUANT};

/// macroblock_type in I-pictures (ISO/IEC 11172-2 Annex B, Table B.2a).
pub const MB_TYPE_I: [VlcCode; 2] = [(1, 0b1, INTRA), (2, 0b01, QUANT | INTRA)];

/// macroblock_type in P-pictures (ISO/IEC 11172-2 Annex B, Table B.2b).
pub const MB_TYPE_P: [VlcCode; 7] = [
    (1, 0b1, FORWARD | PATTERN),
    (2, 0b01, PATTERN),
    (3, 0b001, FORWARD),
    (5, 0b0001_1, INTRA),
    (5, 0b0001_0, QUANT | FORWARD | PATTERN),
    (5, 0b0000_1, QUANT | PATTERN),
    (6, 0b0000_01, QUANT | INTRA),
];

/// macroblock_type in B-pictures (ISO/IEC 11172-2 Annex B, Table B.2c).
pub const MB_TYPE_B: [VlcCode; 11] = [
    (2, 0b10, FORWARD | BACKWARD),
    (2, 0b11, FORWARD | BACKWARD | PATTERN),
    (3, 0b010, BACKWARD),
    (3, 0b011, BACKWARD | PATTERN),
    (4, 0b0010, FORWARD),
    (4, 0b0011, FORWARD | PATTERN),
    (5, 0b0001_1, INTRA),
    (5, 0b0001_0, QUANT | FORWARD | BACKWARD | PATTERN),
    (6, 0b0000_11, QUANT | FORWARD | PATTERN),
    (6, 0b0000_10, QUANT | BACKWARD | PATTERN),
    (6, 0b0000_01, QUANT | INTRA),
];

/// macroblock_type in D-pictures (ISO/IEC 11172-2 Annex B, Table B.2d).
pub const MB_TYPE_D: [VlcCode; 1] = [(1, 0b1, INTRA)];

/// Lookup table for [`MB_TYPE_I`], indexed by the next 6 bits.
pub const MB_TYPE_I_LUT: [VlcEntry; 64] = build_lut(&MB_TYPE_I, 6, 0, 0);
/// Lookup table for [`MB_TYPE_P`], indexed by the next 6 bits.
pub const MB_TYPE_P_LUT: [VlcEntry; 64] = build_lut(&MB_TYPE_P, 6, 0, 0);
/// Lookup table for [`MB_TYPE_B`], indexed by the next 6 bits.
pub const MB_TYPE_B_LUT: [VlcEntry; 64] = build_lut(&MB_TYPE_B, 6, 0, 0);
/// Lookup table for [`MB_TYPE_D`], indexed by the next 6 bits.
pub const MB_TYPE_D_LUT: [VlcEntry; 64] = build_lut(&MB_TYPE_D, 6, 0, 0);

/// coded_block_pattern (ISO/IEC 11172-2 Annex B, Table B.3). Bit 5 is block 0 (top-left luma)
/// and bit 0 is block 5 (Cr).
pub const CODED_BLOCK_PATTERN: [VlcCode; 63] = [
    (3, 0b111, 60),
    (4, 0b1101, 4),
    (4, 0b1100, 8),
    (4, 0b1011, 16),
    (4, 0b1010, 32),
    (5, 0b1001_1, 12),
    (5, 0b1001_0, 48),
    (5, 0b1000_1, 20),
    (5, 0b1000_0, 40),
    (5, 0b0111_1, 28),
    (5, 0b0111_0, 44),
    (5, 0b0110_1, 52),
    (5, 0b0110_0, 56),
    (5, 0b0101_1, 1),
    (5, 0b0101_0, 61),
    (5, 0b0100_1, 2),
    (5, 0b0100_0, 62),
    (6, 0b0011_11, 24),
    (6, 0b0011_10, 36),
    (6, 0b0011_01, 3),
    (6, 0b0011_00, 63),
    (7, 0b0010_111, 5),
    (7, 0b0010_110, 9),
    (7, 0b0010_101, 17),
    (7, 0b0010_100, 33),
    (7, 0b0010_011, 6),
    (7, 0b0010_010, 10),
    (7, 0b0010_001, 18),
    (7, 0b0010_000, 34),
    (8, 0b0001_1111, 7),
    (8, 0b0001_1110, 11),
    (8, 0b0001_1101, 19),
    (8, 0b0001_1100, 35),
    (8, 0b0001_1011, 13),
    (8, 0b0001_1010, 49),
    (8, 0b0001_1001, 21),
    (8, 0b0001_1000, 41),
    (8, 0b0001_0111, 14),
    (8, 0b0001_0110, 50),
    (8, 0b0001_0101, 22),
    (8, 0b0001_0100, 42),
    (8, 0b0001_0011, 15),
    (8, 0b0001_0010, 51),
    (8, 0b0001_0001, 23),
    (8, 0b0001_0000, 43),
    (8, 0b0000_1111, 25),
    (8, 0b0000_1110, 37),
    (8, 0b0000_1101, 26),
    (8, 0b0000_1100, 38),
    (8, 0b0000_1011, 29),
    (8, 0b0000_1010, 45),
    (8, 0b0000_1001, 53),
    (8, 0b0000_1000, 57),
    (8, 0b0000_0111, 30),
    (8, 0b0000_0110, 46),
    (8, 0b0000_0101, 54),
    (8, 0b0000_0100, 58),
    (9, 0b0000_0011_1, 31),
    (9, 0b0000_0011_0, 47),
    (9, 0b0000_0010_1, 55),
    (9, 0b0000_0010_0, 59),
    (9, 0b0000_0001_1, 27),
    (9, 0b0000_0001_0, 39),
];

/// Lookup table for [`CODED_BLOCK_PATTERN`], indexed by the next 9 bits.
pub const CODED_BLOCK_PATTERN_LUT: [VlcEntry; 512] = build_lut(&CODED_BLOCK_PATTERN, 9, 0, 0);

/// motion_horizontal/vertical_*_code magnitudes (ISO/IEC 11172-2 Annex B, Table B.4). Every code
/// but the one for 0 is followed by a sign bit (0 positive, 1 negative), which is not part of
/// the codes listed here.
pub const MOTION_CODE: [VlcCode; 17] = [
    (1, 0b1, 0),
    (2, 0b01, 1),
    (3, 0b001, 2),
    (4, 0b0001, 3),
    (6, 0b0000_11, 4),
    (7, 0b0000_101, 5),
    (7, 0b0000_100, 6),
    (7, 0b0000_011, 7),
    (9, 0b0000_0101_1, 8),
    (9, 0b0000_0101_0, 9),
    (9, 0b0000_0100_1, 10),
    (10, 0b0000_0100_01, 11),
    (10, 0b0000_0100_00, 12),
    (10, 0b0000_0011_11, 13),
    (10, 0b0000_0011_10, 14),
    (10, 0b0000_0011_01, 15),
    (10, 0b0000_0011_00, 16),
];

/// Lookup table for [`MOTION_CODE`], indexed by the next 10 bits.
pub const MOTION_CODE_LUT: [VlcEntry; 1024] = build_lut(&MOTION_CODE, 10, 0, 0);

/// dct_dc_size_luminance (ISO/IEC 11172-2 Annex B, Table B.5a).
pub const DCT_DC_SIZE_LUMINANCE: [VlcCode; 9] = [
    (3, 0b100, 0),
    (2, 0b00, 1),
    (2, 0b01, 2),
    (3, 0b101, 3),
    (3, 0b110, 4),
    (4, 0b1110, 5),
    (5, 0b1111_0, 6),
    (6, 0b1111_10, 7),
    (7, 0b1111_110, 8),
];

/// dct_dc_size_chrominance (ISO/IEC 11172-2 Annex B, Table B.5b).
pub const DCT_DC_SIZE_CHROMINANCE: [VlcCode; 9] = [
    (2, 0b00, 0),
    (2, 0b01, 1),
    (2, 0b10, 2),
    (3, 0b110, 3),
    (4, 0b1110, 4),
    (5, 0b1111_0, 5),
    (6, 0b1111_10, 6),
    (7, 0b1111_110, 7),
    (8, 0b1111_1110, 8),
];

/// Lookup table for [`DCT_DC_SIZE_LUMINANCE`], indexed by the next 8 bits.
pub const DCT_DC_SIZE_LUMINANCE_LUT: [VlcEntry; 256] = build_lut(&DCT_DC_SIZE_LUMINANCE, 8, 0, 0);
/// Lookup table for [`DCT_DC_SIZE_CHROMINANCE`], indexed by the next 8 bits.
pub const DCT_DC_SIZE_CHROMINANCE_LUT: [VlcEntry; 256] =
    build_lut(&DCT_DC_SIZE_CHROMINANCE, 8, 0, 0);

/// dct_coeff value for end_of_block.
pub const DCT_END_OF_BLOCK: i16 = -1;
/// dct_coeff value for the escape code (6-bit run and 8- or 16-bit level follow).
pub const DCT_ESCAPE: i16 = -2;

/// Packs a (run, level) pair into a table value: run in the high byte, level in the low byte.
const fn rl(run: i16, level: i16) -> i16 {
    (run << 8) | level
}

/// dct_coeff_next (ISO/IEC 11172-2 Annex B, Table B.5c; dct_coeff_first differs only in coding
/// run 0 / level 1 as `1s`, handled by the caller). Values are run/level pairs packed with the
/// run in the high byte and the level in the low byte; every code except end_of_block and
/// escape is followed by a sign bit, not listed here.
pub const DCT_COEFF: [VlcCode; 113] = [
    (2, 0b10, DCT_END_OF_BLOCK),
    (2, 0b11, rl(0, 1)),
    (3, 0b011, rl(1, 1)),
    (4, 0b0100, rl(0, 2)),
    (4, 0b0101, rl(2, 1)),
    (5, 0b0010_1, rl(0, 3)),
    (5, 0b0011_1, rl(3, 1)),
    (5, 0b0011_0, rl(4, 1)),
    (6, 0b0001_10, rl(1, 2)),
    (6, 0b0001_11, rl(5, 1)),
    (6, 0b0001_01, rl(6, 1)),
    (6, 0b0001_00, rl(7, 1)),
    (6, 0b0000_01, DCT_ESCAPE),
    (7, 0b0000_110, rl(0, 4)),
    (7, 0b0000_100, rl(2, 2)),
    (7, 0b0000_111, rl(8, 1)),
    (7, 0b0000_101, rl(9, 1)),
    (8, 0b0010_0110, rl(0, 5)),
    (8, 0b0010_0001, rl(0, 6)),
    (8, 0b0010_0101, rl(1, 3)),
    (8, 0b0010_0100, rl(3, 2)),
    (8, 0b0010_0111, rl(10, 1)),
    (8, 0b0010_0011, rl(11, 1)),
    (8, 0b0010_0010, rl(12, 1)),
    (8, 0b0010_0000, rl(13, 1)),
    (10, 0b0000_0010_10, rl(0, 7)),
    (10, 0b0000_0011_00, rl(1, 4)),
    (10, 0b0000_0010_11, rl(2, 3)),
    (10, 0b0000_0011_11, rl(4, 2)),
    (10, 0b0000_0010_01, rl(5, 2)),
    (10, 0b0000_0011_10, rl(14, 1)),
    (10, 0b0000_0011_01, rl(15, 1)),
    (10, 0b0000_0010_00, rl(16, 1)),
    (12, 0b0000_0001_1101, rl(0, 8)),
    (12, 0b0000_0001_1000, rl(0, 9)),
    (12, 0b0000_0001_0011, rl(0, 10)),
    (12, 0b0000_0001_0000, rl(0, 11)),
    (12, 0b0000_0001_1011, rl(1, 5)),
    (12, 0b0000_0001_0100, rl(2, 4)),
    (12, 0b0000_0001_1100, rl(3, 3)),
    (12, 0b0000_0001_0010, rl(4, 3)),
    (12, 0b0000_0001_1110, rl(6, 2)),
    (12, 0b0000_0001_0101, rl(7, 2)),
    (12, 0b0000_0001_0001, rl(8, 2)),
    (12, 0b0000_0001_1111, rl(17, 1)),
    (12, 0b0000_0001_1010, rl(18, 1)),
    (12, 0b0000_0001_1001, rl(19, 1)),
    (12, 0b0000_0001_0111, rl(20, 1)),
    (12, 0b0000_0001_0110, rl(21, 1)),
    (13, 0b0000_0000_1101_0, rl(0, 12)),
    (13, 0b0000_0000_1100_1, rl(0, 13)),
    (13, 0b0000_0000_1100_0, rl(0, 14)),
    (13, 0b0000_0000_1011_1, rl(0, 15)),
    (13, 0b0000_0000_1011_0, rl(1, 6)),
    (13, 0b0000_0000_1010_1, rl(1, 7)),
    (13, 0b0000_0000_1010_0, rl(2, 5)),
    (13, 0b0000_0000_1001_1, rl(3, 4)),
    (13, 0b0000_0000_1001_0, rl(5, 3)),
    (13, 0b0000_0000_1000_1, rl(9, 2)),
    (13, 0b0000_0000_1000_0, rl(10, 2)),
    (13, 0b0000_0000_1111_1, rl(22, 1)),
    (13, 0b0000_0000_1111_0, rl(23, 1)),
    (13, 0b0000_0000_1110_1, rl(24, 1)),
    (13, 0b0000_0000_1110_0, rl(25, 1)),
    (13, 0b0000_0000_1101_1, rl(26, 1)),
    (14, 0b0000_0000_0111_11, rl(0, 16)),
    (14, 0b0000_0000_0111_10, rl(0, 17)),
    (14, 0b0000_0000_0111_01, rl(0, 18)),
    (14, 0b0000_0000_0111_00, rl(0, 19)),
    (14, 0b0000_0000_0110_11, rl(0, 20)),
    (14, 0b0000_0000_0110_10, rl(0, 21)),
    (14, 0b0000_0000_0110_01, rl(0, 22)),
    (14, 0b0000_0000_0110_00, rl(0, 23)),
    (14, 0b0000_0000_0101_11, rl(0, 24)),
    (14, 0b0000_0000_0101_10, rl(0, 25)),
    (14, 0b0000_0000_0101_01, rl(0, 26)),
    (14, 0b0000_0000_0101_00, rl(0, 27)),
    (14, 0b0000_0000_0100_11, rl(0, 28)),
    (14, 0b0000_0000_0100_10, rl(0, 29)),
    (14, 0b0000_0000_0100_01, rl(0, 30)),
    (14, 0b0000_0000_0100_00, rl(0, 31)),
    (15, 0b0000_0000_0011_000, rl(0, 32)),
    (15, 0b0000_0000_0010_111, rl(0, 33)),
    (15, 0b0000_0000_0010_110, rl(0, 34)),
    (15, 0b0000_0000_0010_101, rl(0, 35)),
    (15, 0b0000_0000_0010_100, rl(0, 36)),
    (15, 0b0000_0000_0010_011, rl(0, 37)),
    (15, 0b0000_0000_0010_010, rl(0, 38)),
    (15, 0b0000_0000_0010_001, rl(0, 39)),
    (15, 0b0000_0000_0010_000, rl(0, 40)),
    (15, 0b0000_0000_0011_111, rl(1, 8)),
    (15, 0b0000_0000_0011_110, rl(1, 9)),
    (15, 0b0000_0000_0011_101, rl(1, 10)),
    (15, 0b0000_0000_0011_100, rl(1, 11)),
    (15, 0b0000_0000_0011_011, rl(1, 12)),
    (15, 0b0000_0000_0011_010, rl(1, 13)),
    (15, 0b0000_0000_0011_001, rl(1, 14)),
    (16, 0b0000_0000_0001_0011, rl(1, 15)),
    (16, 0b0000_0000_0001_0010, rl(1, 16)),
    (16, 0b0000_0000_0001_0001, rl(1, 17)),
    (16, 0b0000_0000_0001_0000, rl(1, 18)),
    (16, 0b0000_0000_0001_0100, rl(6, 3)),
    (16, 0b0000_0000_0001_1010, rl(11, 2)),
    (16, 0b0000_0000_0001_1001, rl(12, 2)),
    (16, 0b0000_0000_0001_1000, rl(13, 2)),
    (16, 0b0000_0000_0001_0111, rl(14, 2)),
    (16, 0b0000_0000_0001_0110, rl(15, 2)),
    (16, 0b0000_0000_0001_0101, rl(16, 2)),
    (16, 0b0000_0000_0001_1111, rl(27, 1)),
    (16, 0b0000_0000_0001_1110, rl(28, 1)),
    (16, 0b0000_0000_0001_1101, rl(29, 1)),
    (16, 0b0000_0000_0001_1100, rl(30, 1)),
    (16, 0b0000_0000_0001_1011, rl(31, 1)),
];

/// [`DCT_COEFF`] codes of up to 8 bits, indexed by the next 8 bits (patterns starting with six
/// zeros are resolved by the two tables below).
pub const DCT_COEFF_LUT_SHORT: [VlcEntry; 256] = build_lut(&DCT_COEFF, 8, 0, 0);
/// [`DCT_COEFF`] codes of 10 to 12 bits: six zero bits, then indexed by the next 6 bits.
pub const DCT_COEFF_LUT_MEDIUM: [VlcEntry; 64] = build_lut(&DCT_COEFF, 6, 6, 0);
/// [`DCT_COEFF`] codes of 13 to 16 bits: eight zero bits, then indexed by the next 8 bits.
pub const DCT_COEFF_LUT_LONG: [VlcEntry; 256] = build_lut(&DCT_COEFF, 8, 8, 0);

#[cfg(test)]
mod tests {
    use super::*;

    /// No code may be a prefix of another, and the codes must not overflow the code space.
    fn check_prefix_free(codes: &[VlcCode]) -> f64 {
        for (i, &(la, ca, _)) in codes.iter().enumerate() {
            assert!(u32::from(ca) < (1 << la), "code {i} wider than its length");
            for (j, &(lb, cb, _)) in codes.iter().enumerate() {
                if i != j && la <= lb {
                    assert_ne!(ca, cb >> (lb - la), "code {i} is a prefix of code {j}");
                }
            }
        }
        codes
            .iter()
            .map(|&(l, _, _)| 0.5f64.powi(i32::from(l)))
            .sum()
    }

    #[test]
    fn tables_are_prefix_free_and_complete_where_the_standard_says_so() {
        // Complete codes fill the code space exactly (Kraft sum 1).
        assert!((check_prefix_free(&MB_TYPE_I) - 0.75).abs() < 1e-12);
        assert!((check_prefix_free(&MB_TYPE_P) - (1.0 - 1.0 / 64.0)).abs() < 1e-12);
        assert!((check_prefix_free(&MB_TYPE_B) - (1.0 - 1.0 / 64.0)).abs() < 1e-12);
        assert!((check_prefix_free(&DCT_DC_SIZE_LUMINANCE) - (1.0 - 1.0 / 128.0)).abs() < 1e-12);
        assert!((check_prefix_free(&DCT_DC_SIZE_CHROMINANCE) - (1.0 - 1.0 / 256.0)).abs() < 1e-12);
        // Motion codes: everything except the 0000 0010, 0000 0001 and 0000 0000 patterns.
        let motion = check_prefix_free(&MOTION_CODE);
        assert!(
            (motion - (1.0 - 3.0 / 256.0)).abs() < 1e-12,
            "motion Kraft sum {motion}"
        );
        // The coefficient table covers everything except codes starting with 12 zeros.
        let dct = check_prefix_free(&DCT_COEFF);
        assert!(
            (dct - (1.0 - 1.0 / 4096.0)).abs() < 1e-12,
            "dct Kraft sum {dct}"
        );
        let cbp = check_prefix_free(&CODED_BLOCK_PATTERN);
        assert!(
            (cbp - (1.0 - 1.0 / 256.0)).abs() < 1e-12,
            "cbp Kraft sum {cbp}"
        );
        let inc = check_prefix_free(&MB_ADDRESS_INCREMENT);
        assert!(inc < 1.0);
    }

    #[test]
    fn coded_block_pattern_covers_1_to_63_once() {
        let mut seen = [false; 64];
        for &(_, _, v) in &CODED_BLOCK_PATTERN {
            assert!(!seen[v as usize]);
            seen[v as usize] = true;
        }
        assert!(seen[1..].iter().all(|&s| s));
    }

    #[test]
    fn zigzag_is_a_permutation() {
        let mut seen = [false; 64];
        for &z in &ZIGZAG {
            seen[usize::from(z)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn lookup_tables_decode_every_code() {
        fn check<const N: usize>(codes: &[VlcCode], lut: &[VlcEntry; N], bits: u32) {
            for &(len, code, value) in codes {
                if u32::from(len) > bits {
                    continue;
                }
                let index = (u32::from(code) << (bits - u32::from(len))) as usize;
                assert_eq!(lut[index], VlcEntry { value, len }, "code {code:b}");
            }
        }
        check(&MB_ADDRESS_INCREMENT, &MB_ADDRESS_INCREMENT_LUT, 11);
        check(&CODED_BLOCK_PATTERN, &CODED_BLOCK_PATTERN_LUT, 9);
        check(&MOTION_CODE, &MOTION_CODE_LUT, 10);
        check(&DCT_COEFF, &DCT_COEFF_LUT_SHORT, 8);
    }
}
