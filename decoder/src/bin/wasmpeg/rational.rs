//! Small rational-number helpers for aspect ratios and frame rates.

use std::fmt;

/// A non-negative fraction in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator (never 0 except for the degenerate `0:0` of an empty picture).
    pub den: u64,
}

impl Ratio {
    /// `num / den` reduced to lowest terms.
    pub fn new(num: u64, den: u64) -> Ratio {
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: den / g,
        }
    }

    /// The closest fraction to `x` whose numerator and denominator do not exceed `max`
    /// (continued fractions, ending on a semiconvergent when that is closer), which is how
    /// ffmpeg expresses the MPEG-1 pel aspect ratios (1 / 0.9157 becomes 178:163).
    pub fn approximate(x: f64, max: u64) -> Ratio {
        if !x.is_finite() || x <= 0.0 || max == 0 {
            return Ratio { num: 0, den: 1 };
        }
        // Convergents h/k of the continued fraction of x.
        let (mut h0, mut h1) = (0u64, 1u64);
        let (mut k0, mut k1) = (1u64, 0u64);
        let mut rest = x;
        for _ in 0..64 {
            let a = rest.floor();
            if a > max as f64 {
                break;
            }
            let a = a as u64;
            let h2 = a.saturating_mul(h1).saturating_add(h0);
            let k2 = a.saturating_mul(k1).saturating_add(k0);
            if h2 > max || k2 > max {
                // The best semiconvergent that still fits, if it beats the last convergent.
                let limit_h = (max - h0).checked_div(h1).unwrap_or(u64::MAX);
                let limit_k = (max - k0).checked_div(k1).unwrap_or(u64::MAX);
                let t = limit_h.min(limit_k);
                if t > 0 && 2 * t >= a {
                    let (hs, ks) = (t * h1 + h0, t * k1 + k0);
                    let err_semi = (hs as f64 / ks as f64 - x).abs();
                    let err_conv = if k1 == 0 {
                        f64::INFINITY
                    } else {
                        (h1 as f64 / k1 as f64 - x).abs()
                    };
                    if err_semi < err_conv {
                        return Ratio::new(hs, ks);
                    }
                }
                break;
            }
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            let frac = rest - a as f64;
            if frac < 1e-9 {
                break;
            }
            rest = 1.0 / frac;
        }
        if k1 == 0 {
            return Ratio { num: max, den: 1 };
        }
        Ratio::new(h1, k1)
    }

    /// The value as a floating-point number.
    pub fn value(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            self.num as f64 / self.den as f64
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.num, self.den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The sample aspect ratio of a sequence header, as a fraction with terms up to 255.
pub fn sample_aspect(seq: &wasmpeg::video::SequenceHeader) -> Ratio {
    Ratio::approximate(seq.sample_aspect_ratio(), 255)
}

/// The display aspect ratio: width × sample aspect ratio : height, in lowest terms.
pub fn display_aspect(seq: &wasmpeg::video::SequenceHeader) -> Ratio {
    let sar = sample_aspect(seq);
    Ratio::new(
        u64::from(seq.width) * sar.num,
        u64::from(seq.height) * sar.den,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces() {
        assert_eq!(Ratio::new(640, 480).to_string(), "4:3");
        assert_eq!(Ratio::new(0, 0).to_string(), "0:0");
    }

    #[test]
    fn approximates() {
        assert_eq!(Ratio::approximate(1.0, 255).to_string(), "1:1");
        assert_eq!(Ratio::approximate(0.5, 255).to_string(), "1:2");
        assert_eq!(Ratio::approximate(1000.0, 255).to_string(), "255:1");
        assert_eq!(Ratio::approximate(f64::NAN, 255).to_string(), "0:1");
    }

    /// The sample aspect ratios ffmpeg 5.1 writes in YUV4MPEG2 headers for MPEG-1 streams
    /// with these pel_aspect_ratio codes.
    #[test]
    fn sample_aspect_matches_ffmpeg() {
        for (code, expected) in [
            (1, "1:1"),
            (2, "49:33"),
            (7, "169:151"),
            (8, "178:163"),
            (10, "196:201"),
        ] {
            let seq = wasmpeg::video::SequenceHeader {
                aspect_ratio_code: code,
                ..Default::default()
            };
            assert_eq!(sample_aspect(&seq).to_string(), expected, "code {code}");
        }
    }

    #[test]
    fn display_aspect_of_sequences() {
        let seq = wasmpeg::video::SequenceHeader {
            width: 720,
            height: 576,
            aspect_ratio_code: 8,
            ..Default::default()
        };
        assert_eq!(display_aspect(&seq).to_string(), "445:326");
        let seq = wasmpeg::video::SequenceHeader {
            width: 640,
            height: 480,
            ..Default::default()
        };
        assert_eq!(display_aspect(&seq).to_string(), "4:3");
    }
}
