//! The 8x8 inverse discrete cosine transform.
//!
//! # The transform
//!
//! ISO/IEC 11172-2 (MPEG-1 video), Annex A, defines the inverse DCT of a block `F(u, v)` as
//!
//! ```text
//! f(x, y) = 1/4 * sum_u sum_v C(u) C(v) F(u, v) cos((2x + 1) u pi / 16) cos((2y + 1) v pi / 16)
//! ```
//!
//! with `C(0) = 1/sqrt(2)` and `C(k) = 1` otherwise. The standard does not fix how it is to be
//! computed: the same annex requires only that an implementation be as accurate as IEEE Std
//! 1180-1990 asks, measured against a floating-point IDCT on pseudo-random blocks (the unit
//! tests of this module run that measurement).
//!
//! The double sum separates into eight 1-D transforms along the rows followed by eight along the
//! columns. Writing `Wk = sqrt(2) cos(k pi / 16)`, one 1-D transform is
//!
//! ```text
//! x[n] = 1 / (2 sqrt(2)) * (W4 X[0] + sum_{k=1..7} W(k (2n + 1) mod 32) X[k])
//! ```
//!
//! where the cosine of every multiple of `pi / 16` is folded back to one of `W1..W7` with a
//! sign. Output `n` and output `7 - n` use the same cosines, with the signs of the odd-numbered
//! inputs flipped, so each 1-D transform is computed as an even part `a[n]` (inputs 0, 2, 4, 6)
//! and an odd part `b[n]` (inputs 1, 3, 5, 7), with `x[n] = a[n] + b[n]` and
//! `x[7 - n] = a[n] - b[n]` for `n = 0..4`:
//!
//! ```text
//! a0 = W4 X0 + W2 X2 + W4 X4 + W6 X6      b0 = W1 X1 + W3 X3 + W5 X5 + W7 X7
//! a1 = W4 X0 + W6 X2 - W4 X4 - W2 X6      b1 = W3 X1 - W7 X3 - W1 X5 - W5 X7
//! a2 = W4 X0 - W6 X2 - W4 X4 + W2 X6      b2 = W5 X1 - W1 X3 + W7 X5 + W3 X7
//! a3 = W4 X0 - W2 X2 + W4 X4 - W6 X6      b3 = W7 X1 - W5 X3 + W3 X5 - W1 X7
//! ```
//!
//! (the even part itself is a smaller butterfly: `(W4 X0 +- W4 X4) +- (W2 X2 + W6 X6)` and
//! `(W4 X0 -+ W4 X4) +- (W6 X2 - W2 X6)`).
//!
//! # Fixed point
//!
//! The constants are the `Wk` scaled by `2^14` and rounded to integers, except `W4`, which is
//! taken one below `2^14`: 22725, 21407, 19266, 16383, 12873, 8867, 4520. The integer sums of
//! one pass are then the exact 1-D transform times `2^14 * 2 sqrt(2)`, so the two passes
//! together scale the block by `(2^14 * 2 sqrt(2))^2 = 2^31`. That factor is shifted out in two
//! steps, 11 bits after the row pass and 20 after the column pass, so the row pass hands the
//! column pass its values with 3 extra bits of precision (a DC-only row becomes 8 times its DC
//! coefficient). Both shifts round: the row pass adds `2^10` before shifting and the column
//! pass `32 * W4 = 524_256` (just under `2^19`). A row whose coefficients 1..=7 are all zero
//! takes a short cut: its eight outputs are `8 X0`, the value the full computation would give
//! with `W4 = 2^14`. A block holding only a DC value `dc` therefore comes out as
//! `(W4 * (8 dc + 32)) >> 20` everywhere (see [`idct_dc_only`]).
//!
//! These choices (the constants with their `W4` of 16383, the shifts, the rounding terms and
//! the short cut for DC-only rows) reproduce the default ("simple") IDCT of FFmpeg, which is
//! the reference the decoder is compared against. Checked against FFmpeg 5.1's MPEG-1 decoder
//! (x86-64) on 190,000 random blocks, each of the 120,000 whose samples lie in `-255..=255`
//! came out bit for bit the same; the exactly rounded `W4 = 16384` with a `2^19` rounding term
//! differed in over a quarter of those. That matters because IDCT mismatch accumulates along a
//! chain of predicted pictures. (Blocks with samples far outside that range can differ:
//! FFmpeg's SIMD code saturates 16-bit intermediates, which this code does not imitate.) The
//! code here was written from the mathematics above.
//!
//! Within a pass the sums are exact, so the order of the additions and the butterfly used for
//! the even part do not change the result. All arithmetic wraps on overflow. Coefficients in the
//! MPEG-1 range `-2048..=2047` cannot overflow the row pass, and the column pass is exact
//! whenever the output samples lie in `-2048..=2047`; a pathological block beyond that gives
//! wrapped, meaningless samples, but nothing panics.
//!
//! # References
//!
//! - ISO/IEC 11172-2:1993, Annex A: the 8 by 8 inverse discrete cosine transform, its
//!   definition and its accuracy requirement.
//! - IEEE Std 1180-1990, *IEEE Standard Specifications for the Implementations of 8x8 Inverse
//!   Discrete Cosine Transform*.

use core::num::Wrapping;

/// A wrapping 32-bit integer, the type every sum of the transform is computed in.
type Wi = Wrapping<i32>;

/// `sqrt(2) cos(pi / 16)`, scaled by `2^14`.
const W1: Wi = Wrapping(22725);
/// `sqrt(2) cos(2 pi / 16)`, scaled by `2^14`.
const W2: Wi = Wrapping(21407);
/// `sqrt(2) cos(3 pi / 16)`, scaled by `2^14`.
const W3: Wi = Wrapping(19266);
/// `sqrt(2) cos(4 pi / 16) = 1`, scaled by `2^14`, less one (as in FFmpeg's simple IDCT).
const W4: Wi = Wrapping(16383);
/// `sqrt(2) cos(5 pi / 16)`, scaled by `2^14`.
const W5: Wi = Wrapping(12873);
/// `sqrt(2) cos(6 pi / 16)`, scaled by `2^14`.
const W6: Wi = Wrapping(8867);
/// `sqrt(2) cos(7 pi / 16)`, scaled by `2^14`.
const W7: Wi = Wrapping(4520);

/// Right shift after the row pass: leaves 3 extra bits of precision for the column pass.
const ROW_SHIFT: usize = 11;
/// Right shift after the column pass.
const COL_SHIFT: usize = 20;
/// Rounding term of the row pass: one half of the row pass's last unit.
const ROW_ROUND: Wi = Wrapping(1 << (ROW_SHIFT - 1));
/// Rounding term of the column pass: `32 * W4`, the multiple of `W4` nearest below `2^19`.
const COL_ROUND: Wi = Wrapping(32 * W4.0);

/// One 1-D transform of `x`, before the final shift: returns the eight outputs in order, each
/// `2^14 * 2 sqrt(2)` times the exact transform (up to the rounding of the constants), with
/// `round` added.
#[inline(always)]
fn transform_1d(x: [Wi; 8], round: Wi) -> [Wi; 8] {
    // Even part: inputs 0, 2, 4, 6.
    let dc = W4 * x[0] + round;
    let x4 = W4 * x[4];
    let sum04 = dc + x4;
    let dif04 = dc - x4;
    let rot_a = W2 * x[2] + W6 * x[6];
    let rot_b = W6 * x[2] - W2 * x[6];
    let a0 = sum04 + rot_a;
    let a3 = sum04 - rot_a;
    let a1 = dif04 + rot_b;
    let a2 = dif04 - rot_b;

    // Odd part: inputs 1, 3, 5, 7.
    let b0 = W1 * x[1] + W3 * x[3] + W5 * x[5] + W7 * x[7];
    let b1 = W3 * x[1] - W7 * x[3] - W1 * x[5] - W5 * x[7];
    let b2 = W5 * x[1] - W1 * x[3] + W7 * x[5] + W3 * x[7];
    let b3 = W7 * x[1] - W5 * x[3] + W3 * x[5] - W1 * x[7];

    [
        a0 + b0,
        a1 + b1,
        a2 + b2,
        a3 + b3,
        a3 - b3,
        a2 - b2,
        a1 - b1,
        a0 - b0,
    ]
}

/// Inverse-transforms an 8x8 block in place.
///
/// `block` holds dequantised DCT coefficients in raster order (`row * 8 + column`, row being
/// the vertical frequency); MPEG-1 limits them to `-2048..=2047`. On return it holds the
/// spatial samples, rounded to integers but neither offset nor clamped. Any input is accepted
/// without panicking: out-of-range coefficients give meaningless (wrapped) samples.
///
/// A block whose only non-zero coefficient is the first one can be done faster with
/// [`idct_dc_only`], which gives the same samples.
pub fn idct(block: &mut [i32; 64]) {
    // Blocks of real pictures mostly have no energy in the lower half (vertical frequencies
    // 4..=7); their row pass leaves those rows zero and the column pass can skip them.
    let lower_half_zero = block[32..].iter().all(|&c| c == 0);
    if lower_half_zero {
        row_pass(block, 4);
        column_pass::<true>(block);
    } else {
        row_pass(block, 8);
        column_pass::<false>(block);
    }
}

/// The row pass over the first `rows` rows (at most 8), leaving 3 extra bits of precision.
#[inline(always)]
fn row_pass(block: &mut [i32; 64], rows: usize) {
    for r in 0..rows.min(8) {
        let base = r * 8;
        let row = [
            block[base],
            block[base + 1],
            block[base + 2],
            block[base + 3],
            block[base + 4],
            block[base + 5],
            block[base + 6],
            block[base + 7],
        ];
        if row[1] | row[2] | row[3] | row[4] | row[5] | row[6] | row[7] == 0 {
            // Only the DC term: every output is 8 * X0 (the full computation, with W4 one
            // below 2^14, would differ by one for |X0| beyond about 1024).
            let v = row[0].wrapping_mul(8);
            block[base..base + 8].fill(v);
            continue;
        }
        let out = transform_1d(row.map(Wrapping), ROW_ROUND);
        for k in 0..8 {
            block[base + k] = (out[k] >> ROW_SHIFT).0;
        }
    }
}

/// The column pass, in place. With `LOWER_HALF_ZERO` the rows 4..=7 are taken as zero.
///
/// It is written one column at a time with identical work for each, so that the compiler can
/// process the eight columns as vector lanes.
#[inline(always)]
fn column_pass<const LOWER_HALF_ZERO: bool>(block: &mut [i32; 64]) {
    for c in 0..8 {
        let at = |r: usize| {
            if LOWER_HALF_ZERO && r >= 4 {
                Wrapping(0)
            } else {
                Wrapping(block[8 * r + c])
            }
        };
        let col = [at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)];
        let out = transform_1d(col, COL_ROUND);
        for k in 0..8 {
            block[8 * k + c] = (out[k] >> COL_SHIFT).0;
        }
    }
}

/// The sample value every position of the block takes when the only non-zero coefficient is
/// the DC one, `dc`: exactly what [`idct`] produces for such a block.
///
/// For `dc` in `-2048..=2047` this is `dc / 8` rounded to nearest, with ties going up for
/// `dc <= 0` and down for `dc > 0`; that is `(dc + 4) >> 3` except for positive `dc` that are
/// 4 more than a multiple of 8, which give one less. (Those ties cannot occur in MPEG-1: intra
/// DC terms are multiples of 8 and every other reconstructed coefficient is odd.)
#[inline]
pub fn idct_dc_only(dc: i32) -> i32 {
    // The row pass turns the DC row into 8 * dc; the column pass computes
    // (W4 * (8 * dc) + 32 * W4) >> 20.
    (W4 * Wrapping(dc.wrapping_mul(8)) + COL_ROUND).0 >> COL_SHIFT
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::{idct, idct_dc_only};
    use std::println;

    /// The pseudo-random generator of IEEE 1180-1990: a 32-bit linear congruential generator.
    struct Ieee1180Rand {
        /// The generator's state, `randx` in the standard's C routine.
        randx: u32,
    }

    impl Ieee1180Rand {
        /// A generator seeded as the standard seeds it.
        fn new() -> Self {
            Ieee1180Rand { randx: 1 }
        }

        /// A pseudo-random integer uniformly distributed in `-l..=h`.
        fn next(&mut self, l: i32, h: i32) -> i32 {
            self.randx = self.randx.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            // Keep bits 1..=30 of the state; scale into [0, 1) by dividing by 2^31 - 1.
            let i = self.randx & 0x7fff_fffe;
            let x = f64::from(i) / f64::from(0x7fff_ffff_u32) * f64::from(l + h + 1);
            // Truncation towards zero, as a C conversion of a non-negative double to long.
            (x as i32) - l
        }
    }

    /// `basis[x][u] = C(u) / 2 * cos((2x + 1) u pi / 16)`, the orthonormal 1-D DCT basis.
    fn basis() -> [[f64; 8]; 8] {
        let mut m = [[0.0; 8]; 8];
        for (x, row) in m.iter_mut().enumerate() {
            for (u, v) in row.iter_mut().enumerate() {
                let c = if u == 0 {
                    core::f64::consts::FRAC_1_SQRT_2
                } else {
                    1.0
                };
                *v = c / 2.0 * ((2 * x + 1) as f64 * u as f64 * core::f64::consts::PI / 16.0).cos();
            }
        }
        m
    }

    /// Separable matrix-multiply forward DCT in `f64`, each coefficient rounded to nearest.
    fn reference_fdct(basis: &[[f64; 8]; 8], pixels: &[i32; 64]) -> [i32; 64] {
        let mut tmp = [0.0f64; 64];
        // Along rows: tmp[y][u] = sum_x f[y][x] basis[x][u].
        for y in 0..8 {
            for u in 0..8 {
                tmp[y * 8 + u] = (0..8)
                    .map(|x| f64::from(pixels[y * 8 + x]) * basis[x][u])
                    .sum();
            }
        }
        // Along columns: F[v][u] = sum_y tmp[y][u] basis[y][v].
        let mut out = [0i32; 64];
        for v in 0..8 {
            for u in 0..8 {
                let s: f64 = (0..8).map(|y| tmp[y * 8 + u] * basis[y][v]).sum();
                out[v * 8 + u] = s.round() as i32;
            }
        }
        out
    }

    /// Separable matrix-multiply inverse DCT in `f64`, each sample rounded to nearest.
    fn reference_idct(basis: &[[f64; 8]; 8], coefs: &[i32; 64]) -> [i32; 64] {
        let mut tmp = [0.0f64; 64];
        // Along rows: tmp[v][x] = sum_u F[v][u] basis[x][u].
        for v in 0..8 {
            for x in 0..8 {
                tmp[v * 8 + x] = (0..8)
                    .map(|u| f64::from(coefs[v * 8 + u]) * basis[x][u])
                    .sum();
            }
        }
        // Along columns: f[y][x] = sum_v tmp[v][x] basis[y][v].
        let mut out = [0i32; 64];
        for y in 0..8 {
            for x in 0..8 {
                let s: f64 = (0..8).map(|v| tmp[v * 8 + x] * basis[y][v]).sum();
                out[y * 8 + x] = s.round() as i32;
            }
        }
        out
    }

    /// The error figures of one IEEE 1180 run.
    #[derive(Debug)]
    struct Figures {
        /// Largest absolute error at any position.
        peak: i32,
        /// Largest per-position mean square error.
        worst_pmse: f64,
        /// Mean square error over all positions.
        omse: f64,
        /// Largest per-position absolute mean error.
        worst_pme: f64,
        /// Mean error over all positions (absolute value).
        ome: f64,
    }

    /// One IEEE 1180 run: `blocks` blocks of pixels in `-l..=h`, negated when `negate`.
    fn ieee1180_run(l: i32, h: i32, negate: bool, blocks: usize) -> Figures {
        let basis = basis();
        let mut rng = Ieee1180Rand::new();
        let mut sum_err = [0i64; 64];
        let mut sum_sq = [0i64; 64];
        let mut peak = 0i32;
        for _ in 0..blocks {
            let mut pixels = [0i32; 64];
            for p in &mut pixels {
                let v = rng.next(l, h);
                *p = if negate { -v } else { v };
            }
            let coefs = reference_fdct(&basis, &pixels).map(|c| c.clamp(-2048, 2047));
            let reference = reference_idct(&basis, &coefs).map(|s| s.clamp(-256, 255));
            let mut test = coefs;
            idct(&mut test);
            for i in 0..64 {
                let err = test[i].clamp(-256, 255) - reference[i];
                sum_err[i] += i64::from(err);
                sum_sq[i] += i64::from(err * err);
                peak = peak.max(err.abs());
            }
        }
        let n = blocks as f64;
        let worst_pmse = sum_sq.iter().map(|&s| s as f64 / n).fold(0.0, f64::max);
        let omse = sum_sq.iter().sum::<i64>() as f64 / (n * 64.0);
        let worst_pme = sum_err
            .iter()
            .map(|&s| (s as f64 / n).abs())
            .fold(0.0, f64::max);
        let ome = (sum_err.iter().sum::<i64>() as f64 / (n * 64.0)).abs();
        Figures {
            peak,
            worst_pmse,
            omse,
            worst_pme,
            ome,
        }
    }

    /// Runs one IEEE 1180 configuration with 10,000 blocks and checks every limit.
    fn check_ieee1180(l: i32, h: i32, negate: bool) {
        let f = ieee1180_run(l, h, negate, 10_000);
        let sign = if negate { -1 } else { 1 };
        println!(
            "IEEE 1180 L={l} H={h} sign={sign:+}: peak {} | worst pmse {:.6} | omse {:.6} | \
             worst pme {:.6} | ome {:.6}",
            f.peak, f.worst_pmse, f.omse, f.worst_pme, f.ome
        );
        assert!(f.peak <= 1, "L={l} H={h} sign={sign}: peak error {f:?}");
        assert!(
            f.worst_pmse <= 0.06,
            "L={l} H={h} sign={sign}: per-pixel mean square error {f:?}"
        );
        assert!(
            f.omse <= 0.02,
            "L={l} H={h} sign={sign}: overall mean square error {f:?}"
        );
        assert!(
            f.worst_pme <= 0.015,
            "L={l} H={h} sign={sign}: per-pixel mean error {f:?}"
        );
        assert!(
            f.ome <= 0.0015,
            "L={l} H={h} sign={sign}: overall mean error {f:?}"
        );
    }

    #[test]
    fn ieee1180_range_256_255() {
        check_ieee1180(256, 255, false);
        check_ieee1180(256, 255, true);
    }

    #[test]
    fn ieee1180_range_5() {
        check_ieee1180(5, 5, false);
        check_ieee1180(5, 5, true);
    }

    #[test]
    fn ieee1180_range_300() {
        check_ieee1180(300, 300, false);
        check_ieee1180(300, 300, true);
    }

    #[test]
    fn generator_matches_the_standard_sequence() {
        // The first states of randx = randx * 1103515245 + 12345 (mod 2^32) from randx = 1.
        let mut rng = Ieee1180Rand::new();
        let _ = rng.next(256, 255);
        assert_eq!(rng.randx, 1_103_527_590);
        let _ = rng.next(256, 255);
        assert_eq!(rng.randx, 2_524_885_223);
    }

    #[test]
    fn zero_in_zero_out() {
        let mut block = [0i32; 64];
        idct(&mut block);
        assert_eq!(block, [0; 64]);
    }

    #[test]
    fn dc_only_matches_full_transform() {
        for dc in -2048..=2047 {
            let mut block = [0i32; 64];
            block[0] = dc;
            idct(&mut block);
            let expected = idct_dc_only(dc);
            assert!(
                block.iter().all(|&s| s == expected),
                "dc {dc}: idct gives {block:?}, idct_dc_only gives {expected}"
            );
            // The closed form documented on idct_dc_only.
            let closed = if dc > 0 { (dc + 3) >> 3 } else { (dc + 4) >> 3 };
            assert_eq!(expected, closed, "dc {dc}");
        }
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let patterns: [fn(usize) -> i32; 6] = [
            |_| i32::MAX,
            |_| i32::MIN,
            |i| if i % 2 == 0 { i32::MAX } else { i32::MIN },
            |i| if i == 0 { i32::MIN } else { 0 },
            |i| {
                if (i / 8 + i % 8) % 2 == 0 {
                    2047
                } else {
                    -2048
                }
            },
            |i| (i as i32 - 32).wrapping_mul(0x0101_0101),
        ];
        for pattern in patterns {
            let mut block: [i32; 64] = core::array::from_fn(pattern);
            idct(&mut block);
            let _ = idct_dc_only(pattern(0));
        }
    }

    #[test]
    fn in_range_blocks_stay_within_one_of_reference() {
        // Random blocks of every density and magnitude: wherever the exact transform stays
        // within -2048..=2047 (beyond that the column pass's 32-bit sums wrap), every sample is
        // within 1 of it, before any clamping.
        let basis = basis();
        let mut rng = Ieee1180Rand::new();
        let mut tested = 0;
        for n in 0..6000 {
            let density = n % 64 + 1;
            let limit = 2048 >> (n % 7);
            let mut coefs = [0i32; 64];
            for _ in 0..density {
                let at = rng.next(0, 63) as usize;
                coefs[at] = rng.next(limit, limit - 1);
            }
            let reference = reference_idct(&basis, &coefs);
            if reference.iter().any(|s| !(-2048..=2047).contains(s)) {
                continue;
            }
            tested += 1;
            let mut test = coefs;
            idct(&mut test);
            for i in 0..64 {
                assert!(
                    (test[i] - reference[i]).abs() <= 1,
                    "block {coefs:?}: sample {i} is {} against {}",
                    test[i],
                    reference[i]
                );
            }
        }
        assert!(tested > 3000, "only {tested} blocks tested");
    }

    #[test]
    fn matches_ffmpeg_on_sample_blocks() {
        // (position, coefficient) lists and the samples FFmpeg's MPEG-1 decoder produced for
        // them (as intra blocks, all samples in 0..=255). Each catches one near miss: the first
        // a full computation of DC-only rows, the second W4 = 16384, the third a 2^19 rounding
        // term in the column pass.
        /// Sparse coefficients as (position, value) and the expected samples.
        type Case = (&'static [(usize, i32)], [i32; 64]);
        let cases: [Case; 3] = [
            (
                &[(0, 1792), (34, 95)],
                [
                    240, 230, 218, 208, 208, 218, 230, 240, 208, 218, 230, 240, 240, 230, 218, 208,
                    208, 218, 230, 240, 240, 230, 218, 208, 240, 230, 218, 208, 208, 218, 230, 240,
                    240, 230, 218, 208, 208, 218, 230, 240, 208, 218, 230, 240, 240, 230, 218, 208,
                    208, 218, 230, 240, 240, 230, 218, 208, 240, 230, 218, 208, 208, 218, 230, 240,
                ],
            ),
            (
                &[(0, 584), (1, -199)],
                [
                    38, 44, 53, 66, 80, 93, 102, 107, 38, 44, 53, 66, 80, 93, 102, 107, 38, 44, 53,
                    66, 80, 93, 102, 107, 38, 44, 53, 66, 80, 93, 102, 107, 38, 44, 53, 66, 80, 93,
                    102, 107, 38, 44, 53, 66, 80, 93, 102, 107, 38, 44, 53, 66, 80, 93, 102, 107,
                    38, 44, 53, 66, 80, 93, 102, 107,
                ],
            ),
            (
                &[(0, 1328), (27, 123)],
                [
                    187, 161, 141, 152, 180, 191, 171, 145, 161, 167, 172, 169, 163, 160, 165, 171,
                    141, 172, 196, 183, 149, 136, 160, 191, 152, 169, 183, 175, 156, 149, 163, 180,
                    180, 163, 149, 156, 175, 183, 169, 152, 191, 160, 136, 149, 183, 196, 172, 141,
                    171, 165, 160, 163, 169, 172, 167, 161, 145, 171, 191, 180, 152, 141, 161, 187,
                ],
            ),
        ];
        for (coefs, expected) in cases {
            let mut block = [0i32; 64];
            for &(at, value) in coefs {
                block[at] = value;
            }
            idct(&mut block);
            assert_eq!(block, expected, "coefficients {coefs:?}");
        }
    }
}
