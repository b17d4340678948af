//! Decoded audio as interleaved 32-bit float samples (full scale = 1.0), and the accuracy
//! measures of ISO/IEC 11172-4 (RMS and maximum absolute difference per channel).

use std::fmt;

/// ISO/IEC 11172-4 "full accuracy": RMS of the difference <= 2^-15 / sqrt(12) of full scale.
pub const ISO_RMS: f64 = 1.0 / 32_768.0 / 3.464_101_615_137_754_6;
/// ISO/IEC 11172-4 "full accuracy": maximum absolute difference <= 2^-14 of full scale.
pub const ISO_MAX: f64 = 1.0 / 16_384.0;

/// Interleaved samples with their layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pcm {
    /// Hz.
    pub sample_rate: u32,
    /// Channels per sample frame.
    pub channels: usize,
    /// Interleaved samples.
    pub samples: Vec<f32>,
}

impl Pcm {
    /// Samples per channel.
    pub fn len_per_channel(&self) -> usize {
        self.samples
            .len()
            .checked_div(self.channels)
            .unwrap_or_default()
    }

    /// Sample frames `from..to` (per-channel indices) as a new buffer.
    #[must_use]
    pub fn slice(&self, from: usize, to: usize) -> Pcm {
        Pcm {
            sample_rate: self.sample_rate,
            channels: self.channels,
            samples: self.samples[from * self.channels..to * self.channels].to_vec(),
        }
    }
}

/// Signed 16-bit little-endian samples as floats (full scale 32768 = 1.0).
pub fn s16le_to_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
        .collect()
}

/// 32-bit float little-endian samples.
pub fn f32le_to_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The per-channel difference between two interleaved buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// RMS of the difference, per channel (full scale 1.0).
    pub rms: Vec<f64>,
    /// Maximum absolute difference, per channel.
    pub max: Vec<f64>,
    /// Where the maximum is (sample index per channel), per channel.
    pub max_at: Vec<usize>,
    /// Samples compared per channel.
    pub len: usize,
}

impl Difference {
    /// The largest per-channel RMS.
    pub fn worst_rms(&self) -> f64 {
        self.rms.iter().copied().fold(0.0, f64::max)
    }

    /// The largest per-channel maximum.
    pub fn worst_max(&self) -> f64 {
        self.max.iter().copied().fold(0.0, f64::max)
    }

    /// True when every channel is within both bounds.
    pub fn within(&self, rms_bound: f64, max_bound: f64) -> bool {
        self.worst_rms() <= rms_bound && self.worst_max() <= max_bound
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} samples/channel:", self.len)?;
        for ch in 0..self.rms.len() {
            write!(
                f,
                " ch{ch} rms {:.3e} ({:.3} x ISO) max {:.3e} ({:.3} x ISO) at {}",
                self.rms[ch],
                self.rms[ch] / ISO_RMS,
                self.max[ch],
                self.max[ch] / ISO_MAX,
                self.max_at[ch]
            )?;
        }
        Ok(())
    }
}

/// Compares two interleaved buffers with `channels` channels over their common length, each
/// sample first passed through `map` (for example the rounding of a 16-bit reference).
pub fn difference_mapped(
    ours: &[f32],
    reference: &[f32],
    channels: usize,
    map: impl Fn(f64) -> f64,
) -> Difference {
    assert!(channels > 0, "no channels");
    let len = ours.len().min(reference.len()) / channels;
    let mut sum = vec![0.0f64; channels];
    let mut max = vec![0.0f64; channels];
    let mut max_at = vec![0usize; channels];
    for i in 0..len {
        for ch in 0..channels {
            let k = i * channels + ch;
            let d = (map(f64::from(ours[k])) - f64::from(reference[k])).abs();
            sum[ch] += d * d;
            if d > max[ch] {
                max[ch] = d;
                max_at[ch] = i;
            }
        }
    }
    Difference {
        rms: sum
            .iter()
            .map(|s| {
                if len == 0 {
                    0.0
                } else {
                    (s / len as f64).sqrt()
                }
            })
            .collect(),
        max,
        max_at,
        len,
    }
}

/// [`difference_mapped`] without a mapping.
pub fn difference(ours: &[f32], reference: &[f32], channels: usize) -> Difference {
    difference_mapped(ours, reference, channels, |x| x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_per_channel() {
        let a = [0.0f32, 0.5, 0.25, -0.5];
        let b = [0.0f32, 0.5, 0.0, -0.25];
        let d = difference(&a, &b, 2);
        assert_eq!(d.len, 2);
        assert!((d.max[0] - 0.25).abs() < 1e-12 && d.max_at[0] == 1);
        assert!((d.max[1] - 0.25).abs() < 1e-12 && d.max_at[1] == 1);
        assert!((d.rms[0] - (0.25f64 * 0.25 / 2.0).sqrt()).abs() < 1e-12);
        assert!(!d.within(ISO_RMS, ISO_MAX));
        assert!(difference(&a, &a, 2).within(0.0, 0.0));
        assert_eq!(
            s16le_to_f32(&[0x00, 0x80, 0xFF, 0x7F]),
            [-1.0, 32_767.0 / 32_768.0]
        );
    }
}
