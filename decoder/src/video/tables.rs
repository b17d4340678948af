//! Constant tables of ISO/IEC 11172-2 (MPEG-1 video): scan order, default quantiser matrices and
//! the variable-length code tables of Annex B.
//!
//! Each VLC table is written as the standard lists it: (code length, code bits, value). The
//! decoder builds nothing at run time; lookups go through the `const` arrays below.

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
