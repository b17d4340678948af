//! Constant tables of ISO/IEC 11172-3 and ISO/IEC 13818-3, and a `const` cosine to build the
//! derived ones at compile time (the library has no `std` maths).

/// Bit rates in kbit/s by `bitrate_index` (0 = free format, 15 forbidden), MPEG-1, for Layers
/// I, II and III: ISO/IEC 11172-3 2.4.2.3 (`bitrate_index` table).
pub const BITRATES_MPEG1: [[u16; 15]; 3] = [
    [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ],
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ],
    [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ],
];

/// Bit rates in kbit/s by `bitrate_index` at the low sampling frequencies, for Layer I and for
/// Layers II and III: ISO/IEC 13818-3 2.4.2.3 (Table 2.4.2.3, `bitrate_index`).
pub const BITRATES_LSF: [[u16; 15]; 2] = [
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/// Sampling frequencies in Hz by `sampling_frequency` (3 reserved): MPEG-1 (ISO/IEC 11172-3
/// 2.4.2.3) and MPEG-2 LSF (ISO/IEC 13818-3 2.4.2.3).
pub const SAMPLE_RATES: [[u32; 3]; 2] = [[44_100, 48_000, 32_000], [22_050, 24_000, 16_000]];

/// 1, 2^(-1/3) and 2^(-2/3) (to f64 precision).
const CUBE_ROOTS: [f64; 3] = [1.0, 0.793_700_525_984_099_8, 0.629_960_524_947_436_6];

/// Layer I and II scale factors, ISO/IEC 11172-3 Table 3-B.1: entry i is 2^(1 - i/3)
/// (2.00000000000000, 1.58740105196820, 1.25992104989487, 1.00000000000000, ...). Index 63 is
/// not in the table (it is forbidden); it continues the formula (2^-20) so that a stream using it
/// decodes to a near-silent subband rather than being rejected.
pub const SCALE_FACTORS: [f32; 64] = {
    let mut table = [0.0f32; 64];
    let mut i = 0;
    while i < 64 {
        // 2^(1 - floor(i/3)) * 2^(-(i mod 3)/3): the first factor is an exact power of two.
        let mut power = 2.0f64;
        let mut k = 0;
        while k < i / 3 {
            power *= 0.5;
            k += 1;
        }
        table[i] = (power * CUBE_ROOTS[i % 3]) as f32;
        i += 1;
    }
    table
};

/// One Layer II quantisation class, ISO/IEC 11172-3 Table 3-B.4 (and ISO/IEC 13818-3 Table
/// B.4, identical).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantClass {
    /// Number of steps (levels).
    pub levels: u32,
    /// Bits per codeword: one grouped triplet, or one sample when not grouped.
    pub codeword_bits: u32,
    /// True when three consecutive samples share one codeword (3, 5 and 9 levels).
    pub grouped: bool,
    /// Bits of one sample after degrouping (the width for the MSB-inversion rule).
    pub sample_bits: u32,
    /// The constant C of the requantisation formula s'' = C * (s''' + D).
    pub c: f32,
    /// The constant D of the requantisation formula.
    pub d: f32,
}

const fn class(
    levels: u32,
    codeword_bits: u32,
    grouped: bool,
    sample_bits: u32,
    c: f64,
    d: f64,
) -> QuantClass {
    QuantClass {
        levels,
        codeword_bits,
        grouped,
        sample_bits,
        c: c as f32,
        d: d as f32,
    }
}

/// The 17 Layer II quantisation classes, ISO/IEC 11172-3 Table 3-B.4 ("Layer II classes of
/// quantization"): number of steps, C, D, grouping, bits per codeword.
pub const QUANT_CLASSES: [QuantClass; 17] = [
    class(3, 5, true, 2, 1.333_333_333_33, 0.500_000_000_00),
    class(5, 7, true, 3, 1.600_000_000_00, 0.500_000_000_00),
    class(7, 3, false, 3, 1.142_857_142_86, 0.250_000_000_00),
    class(9, 10, true, 4, 1.777_777_777_77, 0.500_000_000_00),
    class(15, 4, false, 4, 1.066_666_666_66, 0.125_000_000_00),
    class(31, 5, false, 5, 1.032_258_064_52, 0.062_500_000_00),
    class(63, 6, false, 6, 1.015_873_015_87, 0.031_250_000_00),
    class(127, 7, false, 7, 1.007_874_015_75, 0.015_625_000_00),
    class(255, 8, false, 8, 1.003_921_568_63, 0.007_812_500_00),
    class(511, 9, false, 9, 1.001_956_947_16, 0.003_906_250_00),
    class(1023, 10, false, 10, 1.000_977_517_11, 0.001_953_125_00),
    class(2047, 11, false, 11, 1.000_488_519_79, 0.000_976_562_50),
    class(4095, 12, false, 12, 1.000_244_200_24, 0.000_488_281_25),
    class(8191, 13, false, 13, 1.000_122_085_22, 0.000_244_140_63),
    class(16383, 14, false, 14, 1.000_061_038_88, 0.000_122_070_31),
    class(32767, 15, false, 15, 1.000_030_518_51, 0.000_061_035_16),
    class(65535, 16, false, 16, 1.000_015_259_02, 0.000_030_517_58),
];

/// Indices into [`QUANT_CLASSES`] by number of steps, to write the allocation tables readably.
mod q {
    pub const L3: u8 = 0;
    pub const L5: u8 = 1;
    pub const L7: u8 = 2;
    pub const L9: u8 = 3;
    pub const L15: u8 = 4;
    pub const L31: u8 = 5;
    pub const L63: u8 = 6;
    pub const L127: u8 = 7;
    pub const L255: u8 = 8;
    pub const L511: u8 = 9;
    pub const L1023: u8 = 10;
    pub const L2047: u8 = 11;
    pub const L4095: u8 = 12;
    pub const L8191: u8 = 13;
    pub const L16383: u8 = 14;
    pub const L32767: u8 = 15;
    pub const L65535: u8 = 16;
}
use q::{
    L1023, L127, L15, L16383, L2047, L255, L3, L31, L32767, L4095, L5, L511, L63, L65535, L7,
    L8191, L9,
};

/// One subband's row of a Layer II allocation table: `nbal` (bits of the allocation field) and
/// the quantisation class of each nonzero allocation value (index allocation - 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocRow {
    /// Bits of the `allocation` field.
    pub nbal: u32,
    /// Quantisation class (index into [`QUANT_CLASSES`]) of allocation values 1, 2, ...
    pub classes: &'static [u8],
}

/// Tables 3-B.2a/b, subbands 0-2.
const ROW_AB_4A: AllocRow = AllocRow {
    nbal: 4,
    classes: &[
        L3, L7, L15, L31, L63, L127, L255, L511, L1023, L2047, L4095, L8191, L16383, L32767, L65535,
    ],
};
/// Tables 3-B.2a/b, subbands 3-10.
const ROW_AB_4B: AllocRow = AllocRow {
    nbal: 4,
    classes: &[
        L3, L5, L7, L9, L15, L31, L63, L127, L255, L511, L1023, L2047, L4095, L8191, L65535,
    ],
};
/// Tables 3-B.2a/b, subbands 11-22.
const ROW_AB_3: AllocRow = AllocRow {
    nbal: 3,
    classes: &[L3, L5, L7, L9, L15, L31, L65535],
};
/// Tables 3-B.2a/b, subbands 23-26 (a) or 23-29 (b).
const ROW_AB_2: AllocRow = AllocRow {
    nbal: 2,
    classes: &[L3, L5, L65535],
};
/// Tables 3-B.2c/d, subbands 0-1.
const ROW_CD_4: AllocRow = AllocRow {
    nbal: 4,
    classes: &[
        L3, L5, L9, L15, L31, L63, L127, L255, L511, L1023, L2047, L4095, L8191, L16383, L32767,
    ],
};
/// Tables 3-B.2c/d, subbands 2-7 (c) or 2-11 (d).
const ROW_CD_3: AllocRow = AllocRow {
    nbal: 3,
    classes: &[L3, L5, L9, L15, L31, L63, L127],
};
/// ISO/IEC 13818-3 Table B.1, subbands 0-3.
const ROW_LSF_4: AllocRow = AllocRow {
    nbal: 4,
    classes: &[
        L3, L5, L7, L9, L15, L31, L63, L127, L255, L511, L1023, L2047, L4095, L8191, L16383,
    ],
};
/// ISO/IEC 13818-3 Table B.1, subbands 4-10.
const ROW_LSF_3: AllocRow = AllocRow {
    nbal: 3,
    classes: &[L3, L5, L9, L15, L31, L63, L127],
};
/// ISO/IEC 13818-3 Table B.1, subbands 11-29.
const ROW_LSF_2: AllocRow = AllocRow {
    nbal: 2,
    classes: &[L3, L5, L9],
};

/// ISO/IEC 11172-3 Table 3-B.2a (sblimit 27): 48 kHz at 56-192 kbit/s per channel and free
/// format; 44.1 and 32 kHz at 56-80 kbit/s per channel.
pub const ALLOC_TABLE_A: [AllocRow; 27] = [
    ROW_AB_4A, ROW_AB_4A, ROW_AB_4A, // 0-2
    ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, // 3-6
    ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, // 7-10
    ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, // 11-16
    ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, // 17-22
    ROW_AB_2, ROW_AB_2, ROW_AB_2, ROW_AB_2, // 23-26
];

/// ISO/IEC 11172-3 Table 3-B.2b (sblimit 30): 44.1 and 32 kHz at 96-192 kbit/s per channel and
/// free format.
pub const ALLOC_TABLE_B: [AllocRow; 30] = [
    ROW_AB_4A, ROW_AB_4A, ROW_AB_4A, // 0-2
    ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, // 3-6
    ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, ROW_AB_4B, // 7-10
    ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, // 11-16
    ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, ROW_AB_3, // 17-22
    ROW_AB_2, ROW_AB_2, ROW_AB_2, ROW_AB_2, ROW_AB_2, ROW_AB_2, ROW_AB_2, // 23-29
];

/// ISO/IEC 11172-3 Table 3-B.2c (sblimit 8): 48 and 44.1 kHz at 32 and 48 kbit/s per channel.
pub const ALLOC_TABLE_C: [AllocRow; 8] = [
    ROW_CD_4, ROW_CD_4, // 0-1
    ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, // 2-7
];

/// ISO/IEC 11172-3 Table 3-B.2d (sblimit 12): 32 kHz at 32 and 48 kbit/s per channel.
pub const ALLOC_TABLE_D: [AllocRow; 12] = [
    ROW_CD_4, ROW_CD_4, // 0-1
    ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, // 2-7
    ROW_CD_3, ROW_CD_3, ROW_CD_3, ROW_CD_3, // 8-11
];

/// ISO/IEC 13818-3 Table B.1 (sblimit 30): every bit rate at 16, 22.05 and 24 kHz.
pub const ALLOC_TABLE_LSF: [AllocRow; 30] = [
    ROW_LSF_4, ROW_LSF_4, ROW_LSF_4, ROW_LSF_4, // 0-3
    ROW_LSF_3, ROW_LSF_3, ROW_LSF_3, ROW_LSF_3, ROW_LSF_3, ROW_LSF_3, ROW_LSF_3, // 4-10
    ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, // 11-17
    ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, // 18-23
    ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, ROW_LSF_2, // 24-29
];

/// The synthesis window D[i] of ISO/IEC 11172-3 Table 3-B.3 ("Coefficients D[i] of the
/// synthesis window"), i = 0..511. Every entry of that table is an exact multiple of 2^-16
/// printed to nine decimals (D[1] = -0.000015259 = -1/65536, D[256] = 1.144989014 =
/// 75038/65536); this array holds the entries times 65536, so that no precision is lost.
pub const SYNTH_WINDOW_Q16: [i32; 512] = [
    0, -1, -1, -1, -1, -1, -1, -2, // D[0..8]
    -2, -2, -2, -3, -3, -4, -4, -5, // D[8..16]
    -5, -6, -7, -7, -8, -9, -10, -11, // D[16..24]
    -13, -14, -16, -17, -19, -21, -24, -26, // D[24..32]
    -29, -31, -35, -38, -41, -45, -49, -53, // D[32..40]
    -58, -63, -68, -73, -79, -85, -91, -97, // D[40..48]
    -104, -111, -117, -125, -132, -139, -147, -154, // D[48..56]
    -161, -169, -176, -183, -190, -196, -202, -208, // D[56..64]
    213, 218, 222, 225, 227, 228, 228, 227, // D[64..72]
    224, 221, 215, 208, 200, 189, 177, 163, // D[72..80]
    146, 127, 106, 83, 57, 29, -2, -36, // D[80..88]
    -72, -111, -153, -197, -244, -294, -347, -401, // D[88..96]
    -459, -519, -581, -645, -711, -779, -848, -919, // D[96..104]
    -991, -1064, -1137, -1210, -1283, -1356, -1428, -1498, // D[104..112]
    -1567, -1634, -1698, -1759, -1817, -1870, -1919, -1962, // D[112..120]
    -2001, -2032, -2057, -2075, -2085, -2087, -2080, -2063, // D[120..128]
    2037, 2000, 1952, 1893, 1822, 1739, 1644, 1535, // D[128..136]
    1414, 1280, 1131, 970, 794, 605, 402, 185, // D[136..144]
    -45, -288, -545, -814, -1095, -1388, -1692, -2006, // D[144..152]
    -2330, -2663, -3004, -3351, -3705, -4063, -4425, -4788, // D[152..160]
    -5153, -5517, -5879, -6237, -6589, -6935, -7271, -7597, // D[160..168]
    -7910, -8209, -8491, -8755, -8998, -9219, -9416, -9585, // D[168..176]
    -9727, -9838, -9916, -9959, -9966, -9935, -9863, -9750, // D[176..184]
    -9592, -9389, -9139, -8840, -8492, -8092, -7640, -7134, // D[184..192]
    6574, 5959, 5288, 4561, 3776, 2935, 2037, 1082, // D[192..200]
    70, -998, -2122, -3300, -4533, -5818, -7154, -8540, // D[200..208]
    -9975, -11455, -12980, -14548, -16155, -17799, -19478, -21189, // D[208..216]
    -22929, -24694, -26482, -28289, -30112, -31947, -33791, -35640, // D[216..224]
    -37489, -39336, -41176, -43006, -44821, -46617, -48390, -50137, // D[224..232]
    -51853, -53534, -55178, -56778, -58333, -59838, -61289, -62684, // D[232..240]
    -64019, -65290, -66494, -67629, -68692, -69679, -70590, -71420, // D[240..248]
    -72169, -72835, -73415, -73908, -74313, -74630, -74856, -74992, // D[248..256]
    75038, 74992, 74856, 74630, 74313, 73908, 73415, 72835, // D[256..264]
    72169, 71420, 70590, 69679, 68692, 67629, 66494, 65290, // D[264..272]
    64019, 62684, 61289, 59838, 58333, 56778, 55178, 53534, // D[272..280]
    51853, 50137, 48390, 46617, 44821, 43006, 41176, 39336, // D[280..288]
    37489, 35640, 33791, 31947, 30112, 28289, 26482, 24694, // D[288..296]
    22929, 21189, 19478, 17799, 16155, 14548, 12980, 11455, // D[296..304]
    9975, 8540, 7154, 5818, 4533, 3300, 2122, 998, // D[304..312]
    -70, -1082, -2037, -2935, -3776, -4561, -5288, -5959, // D[312..320]
    6574, 7134, 7640, 8092, 8492, 8840, 9139, 9389, // D[320..328]
    9592, 9750, 9863, 9935, 9966, 9959, 9916, 9838, // D[328..336]
    9727, 9585, 9416, 9219, 8998, 8755, 8491, 8209, // D[336..344]
    7910, 7597, 7271, 6935, 6589, 6237, 5879, 5517, // D[344..352]
    5153, 4788, 4425, 4063, 3705, 3351, 3004, 2663, // D[352..360]
    2330, 2006, 1692, 1388, 1095, 814, 545, 288, // D[360..368]
    45, -185, -402, -605, -794, -970, -1131, -1280, // D[368..376]
    -1414, -1535, -1644, -1739, -1822, -1893, -1952, -2000, // D[376..384]
    2037, 2063, 2080, 2087, 2085, 2075, 2057, 2032, // D[384..392]
    2001, 1962, 1919, 1870, 1817, 1759, 1698, 1634, // D[392..400]
    1567, 1498, 1428, 1356, 1283, 1210, 1137, 1064, // D[400..408]
    991, 919, 848, 779, 711, 645, 581, 519, // D[408..416]
    459, 401, 347, 294, 244, 197, 153, 111, // D[416..424]
    72, 36, 2, -29, -57, -83, -106, -127, // D[424..432]
    -146, -163, -177, -189, -200, -208, -215, -221, // D[432..440]
    -224, -227, -228, -228, -227, -225, -222, -218, // D[440..448]
    213, 208, 202, 196, 190, 183, 176, 169, // D[448..456]
    161, 154, 147, 139, 132, 125, 117, 111, // D[456..464]
    104, 97, 91, 85, 79, 73, 68, 63, // D[464..472]
    58, 53, 49, 45, 41, 38, 35, 31, // D[472..480]
    29, 26, 24, 21, 19, 17, 16, 14, // D[480..488]
    13, 11, 10, 9, 8, 7, 7, 6, // D[488..496]
    5, 5, 4, 4, 3, 3, 2, 2, // D[496..504]
    2, 2, 1, 1, 1, 1, 1, 1, // D[504..512]
];

/// [`SYNTH_WINDOW_Q16`] as `f32`, in 16 rows of 32: row r holds D[32r..32r+32].
pub const SYNTH_WINDOW: [[f32; 32]; 16] = {
    let mut table = [[0.0f32; 32]; 16];
    let mut i = 0;
    while i < 512 {
        table[i / 32][i % 32] = SYNTH_WINDOW_Q16[i] as f32 / 65536.0;
        i += 1;
    }
    table
};

/// cos(π·num/den), computed in `f64` by argument reduction and a Taylor series (usable in
/// `const` items; accurate to about 1e-16).
pub const fn cos_pi(num: i64, den: i64) -> f64 {
    // Reduce the angle num/den (in half turns) to [0, 2).
    let period = 2 * den;
    let mut n = num % period;
    if n < 0 {
        n += period;
    }
    // cos is even about 1 half turn: map [1, 2) onto (0, 1].
    if n > den {
        n = period - n;
    }
    // Now the angle is in [0, 1] half turns; use cos(π - x) = -cos(x) to get to [0, 1/2].
    let (n, sign) = if 2 * n > den {
        (den - n, -1.0)
    } else {
        (n, 1.0)
    };
    let x = core::f64::consts::PI * (n as f64) / (den as f64);
    // Taylor series of cos around 0; |x| <= π/2, 14 terms are well past f64 precision.
    let x2 = x * x;
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    let mut k = 1;
    while k <= 14 {
        term = -term * x2 / ((2 * k - 1) as f64 * (2 * k) as f64);
        sum += term;
        k += 1;
    }
    sign * sum
}
