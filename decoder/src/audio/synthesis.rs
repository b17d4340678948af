//! The polyphase synthesis subband filter of ISO/IEC 11172-3 2.4.3.2.2 / Annex A figure A.2
//! (Layers I and II; the same filter serves ISO/IEC 13818-3), in `f32`.
//!
//! The standard's matrixing `V[i] = Σ_k N[i][k]·S[k]`, with `N[i][k] = cos((16 + i)(2k + 1)π/64)`,
//! is computed through a 32-point DCT-II `Y[m] = Σ_k S[k]·cos(m(2k + 1)π/64)`: row `i` of N is
//! the DCT kernel at `m = 16 + i`, and the kernel's symmetries give
//!
//! * `V[i] = Y[16 + i]` for `i = 0..15`,
//! * `V[16] = 0` (`m = 32`),
//! * `V[i] = -Y[48 - i]` for `i = 17..48` (`m = 64 - m'`),
//! * `V[i] = -Y[i - 48]` for `i = 49..63` (`m = 64 + m'`).
//!
//! The DCT is the recursive even/odd split of B. G. Lee (1984), exact in exact arithmetic.
//! The 1024-value V buffer is a ring of 32 blocks of 32 values, so that each of the 16 window
//! terms is one contiguous block (the "U" vector of the standard is never built).

use super::tables::{cos_pi, SYNTH_WINDOW};

/// 1 / (2·cos((2k + 1)π / 2N)) for k < N/2: the odd-half factors of an N-point DCT split.
const fn split_factors<const H: usize>() -> [f32; H] {
    let mut table = [0.0f32; H];
    let mut k = 0;
    while k < H {
        table[k] = (0.5 / cos_pi(2 * k as i64 + 1, 4 * H as i64)) as f32;
        k += 1;
    }
    table
}

const SPLIT_32: [f32; 16] = split_factors::<16>();
const SPLIT_16: [f32; 8] = split_factors::<8>();
const SPLIT_8: [f32; 4] = split_factors::<4>();
const SPLIT_4: [f32; 2] = split_factors::<2>();
/// cos(π/4), the only factor of the 2-point DCT.
const COS_QUARTER_PI: f32 = core::f32::consts::FRAC_1_SQRT_2;

/// Defines an N-point DCT-II from the N/2-point one: the even outputs are the half-size DCT of
/// `x[k] + x[N-1-k]`, the odd outputs the sums of neighbours of the half-size DCT of
/// `(x[k] - x[N-1-k]) / (2·cos((2k + 1)π / 2N))`.
macro_rules! dct_split {
    ($name:ident, $n:literal, $half:ident, $factors:ident) => {
        #[inline(always)]
        fn $name(x: &[f32; $n]) -> [f32; $n] {
            const H: usize = $n / 2;
            let mut sum = [0.0f32; H];
            let mut diff = [0.0f32; H];
            for k in 0..H {
                sum[k] = x[k] + x[$n - 1 - k];
                diff[k] = (x[k] - x[$n - 1 - k]) * $factors[k];
            }
            let even = $half(&sum);
            let odd = $half(&diff);
            let mut y = [0.0f32; $n];
            for m in 0..H {
                y[2 * m] = even[m];
            }
            for m in 0..H - 1 {
                y[2 * m + 1] = odd[m] + odd[m + 1];
            }
            y[$n - 1] = odd[H - 1];
            y
        }
    };
}

#[inline(always)]
fn dct2(x: &[f32; 2]) -> [f32; 2] {
    [x[0] + x[1], (x[0] - x[1]) * COS_QUARTER_PI]
}

dct_split!(dct4, 4, dct2, SPLIT_4);
dct_split!(dct8, 8, dct4, SPLIT_8);
dct_split!(dct16, 16, dct8, SPLIT_16);
dct_split!(dct32, 32, dct16, SPLIT_32);

/// The state of one channel's synthesis filter: the V vector of figure A.2.
#[derive(Clone)]
pub struct Synthesis {
    /// V as 32 blocks of 32 values; V[32b + j] is `v[(front + b) % 32][j]`.
    v: [[f32; 32]; 32],
    /// The block holding V[0..32] (always even).
    front: usize,
}

impl core::fmt::Debug for Synthesis {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Synthesis")
            .field("front", &self.front)
            .finish_non_exhaustive()
    }
}

impl Default for Synthesis {
    fn default() -> Self {
        Synthesis {
            v: [[0.0; 32]; 32],
            front: 0,
        }
    }
}

impl Synthesis {
    /// Turns one time slot of 32 subband samples `s` into 32 output samples (`out` gets the
    /// first 32 values; shorter slices get fewer).
    pub fn run(&mut self, s: &[f32; 32], out: &mut [f32]) {
        let y = dct32(s);
        // Shift V by 64 values: the new values go in front of the old ones.
        self.front = (self.front + 30) & 31;
        let front = self.front;
        {
            let lo = &mut self.v[front & 31];
            lo[..16].copy_from_slice(&y[16..]);
            lo[16] = 0.0;
            for i in 17..32 {
                lo[i] = -y[48 - i];
            }
        }
        {
            let hi = &mut self.v[(front + 1) & 31];
            for j in 0..16 {
                hi[j] = -y[16 - j];
            }
            hi[16] = -y[0];
            for j in 17..32 {
                hi[j] = -y[j - 16];
            }
        }
        // out[j] = Σ_{i<8} V[128i + j]·D[64i + j] + V[128i + 96 + j]·D[64i + 32 + j].
        let mut acc = [0.0f32; 32];
        for i in 0..8 {
            let va = &self.v[(front + 4 * i) & 31];
            let vb = &self.v[(front + 4 * i + 3) & 31];
            let da = &SYNTH_WINDOW[2 * i];
            let db = &SYNTH_WINDOW[2 * i + 1];
            for j in 0..32 {
                acc[j] += va[j] * da[j] + vb[j] * db[j];
            }
        }
        for (o, a) in out.iter_mut().zip(acc.iter()) {
            *o = *a;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::tables::SYNTH_WINDOW_Q16;
    use crate::audio::testutil::{sine, Analysis, Lcg};
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn const_cosine_is_accurate() {
        // Exact values and identities of the cosine.
        assert!((cos_pi(0, 1) - 1.0).abs() < 1e-15);
        assert!((cos_pi(1, 1) + 1.0).abs() < 1e-15);
        assert!(cos_pi(1, 2).abs() < 1e-15);
        assert!((cos_pi(1, 3) - 0.5).abs() < 1e-15);
        assert!((cos_pi(1, 4) - core::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        assert!((cos_pi(-7, 3) - 0.5).abs() < 1e-15);
        for n in 0..200 {
            // cos² + sin² = 1 with sin(x) = cos(x - π/2).
            let c = cos_pi(n, 64);
            let s = cos_pi(2 * n - 64, 128);
            assert!((c * c + s * s - 1.0).abs() < 1e-14, "{n}");
        }
    }

    #[test]
    fn fast_dct_matches_definition() {
        let mut rng = Lcg(1);
        for _ in 0..100 {
            let mut x = [0.0f32; 32];
            for v in &mut x {
                *v = rng.next_f64() as f32;
            }
            let y = dct32(&x);
            for m in 0..32 {
                let expected: f64 = (0..32)
                    .map(|k| f64::from(x[k]) * cos_pi(m * (2 * k as i64 + 1), 64))
                    .sum();
                assert!((f64::from(y[m as usize]) - expected).abs() < 2e-5, "m={m}");
            }
        }
    }

    /// The synthesis exactly as figure A.2 draws it, in f64: shift V, matrix with N, build U,
    /// window with D, sum.
    struct Reference {
        v: Vec<f64>,
    }
    impl Reference {
        fn run(&mut self, s: &[f32; 32]) -> [f64; 32] {
            for i in (64..1024).rev() {
                self.v[i] = self.v[i - 64];
            }
            for i in 0..64 {
                self.v[i] = (0..32)
                    .map(|k| cos_pi((16 + i as i64) * (2 * k as i64 + 1), 64) * f64::from(s[k]))
                    .sum();
            }
            let mut u = [0.0f64; 512];
            for i in 0..8 {
                for j in 0..32 {
                    u[i * 64 + j] = self.v[i * 128 + j];
                    u[i * 64 + 32 + j] = self.v[i * 128 + 96 + j];
                }
            }
            let mut out = [0.0f64; 32];
            for j in 0..32 {
                for i in 0..16 {
                    let d = f64::from(SYNTH_WINDOW_Q16[j + 32 * i]) / 65536.0;
                    out[j] += u[j + 32 * i] * d;
                }
            }
            out
        }
    }

    #[test]
    fn matches_the_flow_chart() {
        let mut rng = Lcg(7);
        let mut fast = Synthesis::default();
        let mut reference = Reference { v: vec![0.0; 1024] };
        let mut worst = 0.0f64;
        for _ in 0..100 {
            let mut s = [0.0f32; 32];
            for v in &mut s {
                *v = rng.next_f64() as f32;
            }
            let mut out = [0.0f32; 32];
            fast.run(&s, &mut out);
            let expected = reference.run(&s);
            for j in 0..32 {
                worst = worst.max((f64::from(out[j]) - expected[j]).abs());
            }
        }
        // Random full-scale subband samples give outputs of a few units; f32 keeps ~1e-6.
        assert!(worst < 1e-5, "worst {worst}");
    }

    /// Runs `signal` through the standard's analysis and our synthesis; returns the output.
    fn round_trip(signal: &[f64]) -> Vec<f32> {
        let mut analysis = Analysis::default();
        let mut synthesis = Synthesis::default();
        let mut out = vec![0.0f32; signal.len()];
        for (input, output) in signal.chunks_exact(32).zip(out.chunks_exact_mut(32)) {
            let s = analysis.run(input).map(|v| v as f32);
            synthesis.run(&s, output);
        }
        out
    }

    /// The analysis/synthesis pair delays by 512 - 31 = 481 samples and otherwise reconstructs
    /// its input: a full-scale sine at the centre of a subband comes back at full scale and with
    /// the same sign, and a DC level comes back at the same level.
    #[test]
    fn analysis_then_synthesis_reconstructs_level_and_sign() {
        const DELAY: usize = 481;
        let n = 32 * 200;
        // Subband k of 48 kHz is centred on (k + 1/2) * 750 Hz.
        for &(freq, amplitude) in &[
            (0, 0.75),
            (375, 1.0),
            (1125, -0.5),
            (15_375, 1.0),
            (440, 0.9),
        ] {
            let signal: Vec<f64> = (0..n)
                .map(|t| {
                    if freq == 0 {
                        amplitude
                    } else {
                        amplitude * sine(freq, 48_000, t)
                    }
                })
                .collect();
            let out = round_trip(&signal);
            let mut worst = 0.0f64;
            for t in 2000..n {
                worst = worst.max((f64::from(out[t]) - signal[t - DELAY]).abs());
            }
            // The standard's filter bank is nearly, not exactly, perfect-reconstruction.
            assert!(worst < 3e-4, "f={freq}: worst {worst}");
        }
    }

    /// A constant in subband 0 alone: by the definition, V[i] = cos((16 + i)π/64)·s for every
    /// slot, so in the steady state out[j] = s·Σ_i D[64i + j]·cos((16 + j)π/64) +
    /// D[64i + 32 + j]·cos((48 + j)π/64); positive s gives a positive output near the centre
    /// of the window, with the gain the table implies.
    #[test]
    fn constant_subband_zero_output_level() {
        let mut synthesis = Synthesis::default();
        let mut s = [0.0f32; 32];
        s[0] = 1.0;
        let mut out = [0.0f32; 32];
        for _ in 0..20 {
            synthesis.run(&s, &mut out);
        }
        for j in 0..32 {
            let mut e = 0.0f64;
            for i in 0..8 {
                let d0 = f64::from(SYNTH_WINDOW_Q16[64 * i + j]) / 65536.0;
                let d1 = f64::from(SYNTH_WINDOW_Q16[64 * i + 32 + j]) / 65536.0;
                e += d0 * cos_pi(16 + j as i64, 64) + d1 * cos_pi(48 + j as i64, 64);
            }
            assert!((f64::from(out[j]) - e).abs() < 1e-6, "{j}");
        }
    }
}
