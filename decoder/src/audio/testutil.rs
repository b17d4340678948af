//! Test helpers: a deterministic random generator, the standard's analysis filter bank, a
//! bit-by-bit CRC-16 and a small Layer I/II encoder. The encoder is written from the syntax of
//! ISO/IEC 11172-3 2.4.1 independently of the decoder (its allocation rows are spelled out
//! here), so decoding its output can be checked against the input signal itself.

use alloc::vec;
use alloc::vec::Vec;

use super::header::{ChannelMode, Layer, Version};
use super::tables::{cos_pi, SYNTH_WINDOW_Q16};

/// A small linear congruential generator.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    /// A value in [-1, 1).
    pub fn next_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// A byte.
    pub fn next_byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// A value in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 33) % n as u64) as usize
    }
}

/// sin(2π·freq·t / rate) for integer frequencies, via the const cosine.
pub fn sine(freq: u32, rate: u32, t: usize) -> f64 {
    // The angle in half turns is 2·freq·t / rate; reduce the numerator first.
    let num = (2 * u64::from(freq) * t as u64) % (2 * u64::from(rate));
    cos_pi(num as i64 - i64::from(rate) / 2, i64::from(rate))
}

/// The analysis filter of ISO/IEC 11172-3 Annex C.1.3 (figure C.4), in f64, with the analysis
/// window C[i] of Table 3-C.1, which is D[i] / 32.
pub struct Analysis {
    x: Vec<f64>,
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis { x: vec![0.0; 512] }
    }
}

impl Analysis {
    /// Takes 32 new input samples (oldest first) and returns the 32 subband samples.
    pub fn run(&mut self, input: &[f64]) -> [f64; 32] {
        for i in (32..512).rev() {
            self.x[i] = self.x[i - 32];
        }
        for i in 0..32 {
            self.x[31 - i] = input[i];
        }
        let mut y = [0.0f64; 64];
        for (i, y) in y.iter_mut().enumerate() {
            for j in 0..8 {
                let k = i + 64 * j;
                *y += self.x[k] * f64::from(SYNTH_WINDOW_Q16[k]) / 65536.0 / 32.0;
            }
        }
        let mut s = [0.0f64; 32];
        for (i, v) in s.iter_mut().enumerate() {
            *v = (0..64)
                .map(|k| cos_pi((2 * i as i64 + 1) * (k as i64 - 16), 64) * y[k])
                .sum::<f64>();
        }
        s
    }
}

/// CRC-16 (0x8005, initial 0xFFFF) by long division over a list of bits.
pub fn crc_of_bits(bits: &[bool]) -> u16 {
    let mut register: u32 = 0xFFFF;
    for &bit in bits {
        let top = (register >> 15) & 1 == 1;
        register = (register << 1) & 0xFFFF;
        if top != bit {
            register ^= 0x8005;
        }
    }
    register as u16
}

/// Writes bits, most significant first.
#[derive(Default)]
pub struct BitWriter {
    pub bits: Vec<bool>,
}

impl BitWriter {
    pub fn put(&mut self, n: u32, value: u32) {
        for i in (0..n).rev() {
            self.bits.push((value >> i) & 1 == 1);
        }
    }

    pub fn bytes(&self, length: usize) -> Vec<u8> {
        let mut out = vec![0u8; length];
        for (i, &bit) in self.bits.iter().enumerate() {
            if bit && i / 8 < length {
                out[i / 8] |= 0x80 >> (i % 8);
            }
        }
        out
    }
}

/// What to encode.
#[derive(Clone, Debug)]
pub struct EncoderConfig {
    pub layer: Layer,
    pub version: Version,
    pub sample_rate: u32,
    /// 0 for free format (then `free_length` bytes per frame).
    pub bitrate_kbps: u32,
    pub free_length: usize,
    pub mode: ChannelMode,
    pub crc: bool,
    /// Subbands that get samples (all others have allocation 0).
    pub coded: core::ops::Range<usize>,
}

impl EncoderConfig {
    /// Layer II, MPEG-1, 48 kHz, 192 kbit/s, mono, no CRC, subbands 0..4.
    pub fn layer2_mono_48k() -> Self {
        EncoderConfig {
            layer: Layer::II,
            version: Version::Mpeg1,
            sample_rate: 48_000,
            bitrate_kbps: 192,
            free_length: 0,
            mode: ChannelMode::Mono,
            crc: false,
            coded: 0..4,
        }
    }

    fn channels(&self) -> usize {
        if self.mode == ChannelMode::Mono {
            1
        } else {
            2
        }
    }
}

/// 2^(1 - i/3), the scale factors, computed independently of the decoder's table.
fn scale_factor(i: usize) -> f64 {
    let step = 0.793_700_525_984_099_7_f64; // 2^(-1/3)
    (0..i).fold(2.0, |acc, _| acc * step)
}

/// The scale-factor index for a peak: the smallest factor not below it.
fn scale_index(peak: f64) -> usize {
    (0..63)
        .rev()
        .find(|&i| scale_factor(i) >= peak)
        .unwrap_or(0)
}

/// Quantises x/scale to `levels` steps: code k stands for (2k - (levels - 1)) / levels.
fn quantize(x: f64, levels: u32) -> u32 {
    let l = f64::from(levels);
    let k = f64::midpoint(x * l, l - 1.0).round();
    k.clamp(0.0, l - 1.0) as u32
}

/// Encodes `frames` frames of `signal` (one Vec per channel, at least frames × samples long).
pub fn encode(cfg: &EncoderConfig, signal: &[Vec<f64>], frames: usize) -> Vec<u8> {
    let nch = cfg.channels();
    let slots = if cfg.layer == Layer::I { 12 } else { 36 };
    let mut analysis: Vec<Analysis> = (0..nch).map(|_| Analysis::default()).collect();
    let mut out = Vec::new();
    let rate_index = match cfg.sample_rate {
        44_100 | 22_050 => 0,
        48_000 | 24_000 => 1,
        _ => 2,
    };
    let bitrates: &[u32] = match (cfg.version, cfg.layer) {
        (Version::Mpeg1, Layer::I) => &[
            0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        (Version::Mpeg1, _) => &[
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        (_, Layer::I) => &[
            0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        _ => &[0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    };
    let bitrate_index = bitrates
        .iter()
        .position(|&b| b == cfg.bitrate_kbps)
        .unwrap() as u32;
    let (bound, mode_bits, ext) = match cfg.mode {
        ChannelMode::Stereo => (32, 0, 0),
        ChannelMode::JointStereo { bound } => (usize::from(bound), 1, u32::from(bound / 4 - 1)),
        ChannelMode::DualChannel => (32, 2, 0),
        ChannelMode::Mono => (32, 3, 0),
    };
    // nbal per subband and the allocation value used for coded subbands (with its levels).
    let (nbal, code_alloc, levels): (Vec<u32>, u32, u32) = match cfg.layer {
        Layer::I => (vec![4; 32], 14, 32767),
        _ if cfg.version == Version::Mpeg2Lsf => {
            // ISO/IEC 13818-3 Table B.1: allocation 15 of subbands 0-3 is 16383 steps.
            let mut n = vec![4; 4];
            n.extend([3; 7]);
            n.extend([2; 19]);
            (n, 15, 16383)
        }
        _ => {
            // Tables 3-B.2a/b: allocation 15 of subbands 0-10 is 65535 steps. Which table
            // applies follows the headings: 48 kHz >= 56 kbit/s per channel and free format -> a.
            let per_channel = cfg.bitrate_kbps / nch as u32;
            let sblimit = if cfg.sample_rate == 48_000 || (56..=80).contains(&per_channel) {
                27
            } else {
                30
            };
            let mut n = vec![4; 11];
            n.extend([3; 12]);
            n.extend(core::iter::repeat_n(2, sblimit - 23));
            (n, 15, 65535)
        }
    };
    let sample_bits = 32 - (levels).leading_zeros();
    let samples_per_frame = slots * 32;
    let slot_bytes = if cfg.layer == Layer::I { 4 } else { 1 };
    let slots_per_bitrate = if cfg.layer == Layer::I { 12 } else { 144 };
    let mut emitted_slots = 0u64;
    for f in 0..frames {
        // Subband samples.
        let mut s = vec![vec![[0.0f64; 32]; slots]; nch];
        for ch in 0..nch {
            for t in 0..slots {
                let start = f * samples_per_frame + t * 32;
                s[ch][t] = analysis[ch].run(&signal[ch][start..start + 32]);
            }
        }
        // Frame length and padding.
        let (length, pad) = if cfg.bitrate_kbps == 0 {
            (cfg.free_length, 0)
        } else {
            let br = u64::from(cfg.bitrate_kbps) * 1000;
            let total = (f as u64 + 1) * slots_per_bitrate * br / u64::from(cfg.sample_rate);
            let unpadded = slots_per_bitrate * br / u64::from(cfg.sample_rate);
            let this = total - emitted_slots;
            emitted_slots = total;
            let pad = u32::from(this > unpadded);
            ((unpadded as usize + pad as usize) * slot_bytes, pad)
        };
        let mut w = BitWriter::default();
        let version_bit = u32::from(cfg.version == Version::Mpeg1);
        let layer_bits = match cfg.layer {
            Layer::I => 3,
            Layer::II => 2,
            Layer::III => 1,
        };
        w.put(12, 0xFFF);
        w.put(1, version_bit);
        w.put(2, layer_bits);
        w.put(1, u32::from(!cfg.crc));
        w.put(4, bitrate_index);
        w.put(2, rate_index);
        w.put(1, pad);
        w.put(1, 0);
        w.put(2, mode_bits);
        w.put(2, ext);
        w.put(4, 0b0100); // copyright 0, original 1, emphasis none
        if cfg.crc {
            w.put(16, 0);
        }
        let coded = |sb: usize| cfg.coded.contains(&sb) && sb < nbal.len() && nbal[sb] == nbal[0];
        let channels_at = |sb: usize| if sb < bound { nch } else { 1 };
        // Bit allocation (and scfsi, all 0: three scale factors per subband).
        for sb in 0..nbal.len() {
            for _ in 0..channels_at(sb) {
                w.put(nbal[sb], if coded(sb) { code_alloc } else { 0 });
            }
        }
        if cfg.layer == Layer::II {
            for sb in 0..nbal.len() {
                if coded(sb) {
                    for _ in 0..nch {
                        w.put(2, 0);
                    }
                }
            }
        }
        if cfg.crc {
            let mut protected = w.bits[16..32].to_vec();
            protected.extend_from_slice(&w.bits[48..]);
            let crc = crc_of_bits(&protected);
            for i in 0..16 {
                w.bits[32 + i] = (crc >> (15 - i)) & 1 == 1;
            }
        }
        // Scale factors: one per part (Layer II: 3 parts of 12 samples; Layer I: 1).
        let parts = if cfg.layer == Layer::I { 1 } else { 3 };
        let part_len = slots / parts;
        let mut sf = vec![[[0usize; 3]; 32]; nch];
        for sb in 0..nbal.len() {
            if !coded(sb) {
                continue;
            }
            for ch in 0..nch {
                for part in 0..parts {
                    let peak = (part * part_len..(part + 1) * part_len)
                        .map(|t| s[ch][t][sb].abs())
                        .fold(0.0, f64::max);
                    sf[ch][sb][part] = scale_index(peak);
                }
                // Intensity stereo: the second channel is the first scaled by 1/2.
                if sb >= bound && ch == 1 {
                    for part in 0..parts {
                        sf[1][sb][part] = (sf[0][sb][part] + 3).min(62);
                    }
                }
                for part in 0..parts {
                    w.put(6, sf[ch][sb][part] as u32);
                }
            }
        }
        // Samples: Layer I one per subband and slot; Layer II three consecutive ones per
        // subband and granule.
        let per_group = if cfg.layer == Layer::I { 1 } else { 3 };
        for group in 0..slots / per_group {
            for sb in 0..nbal.len() {
                if !coded(sb) {
                    continue;
                }
                for ch in 0..channels_at(sb) {
                    for t in group * per_group..(group + 1) * per_group {
                        let x = s[ch][t][sb] / scale_factor(sf[ch][sb][t / part_len]);
                        w.put(sample_bits, quantize(x, levels));
                    }
                }
            }
        }
        assert!(
            w.bits.len() <= length * 8,
            "frame too small for its content"
        );
        out.extend(w.bytes(length));
    }
    out
}
