//! A generator of MPEG audio Layer I streams with pseudo-random content (ISO/IEC 11172-3
//! 2.4.1.5 and 2.4.2.5, and ISO/IEC 13818-3 for the lower sampling frequencies). No encoder at
//! hand makes Layer I (ffmpeg has no Layer I encoder, TwoLAME is Layer II only), so the tests
//! build streams from random but valid syntax: every allocation (1 to 15 bits per sample), scale
//! factors across their range, every channel mode and intensity bound, CRCs, padding. What
//! they decode to is not known analytically; the references are ffmpeg's and symphonia's Layer
//! I decoders.

use crate::bits::BitWriter;
use crate::mpa::{crc16, Header};
use crate::Lcg;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer1Config {
    /// MPEG-2 lower sampling frequencies (16, 22.05, 24 kHz) instead of MPEG-1.
    pub lsf: bool,
    /// sampling_frequency code (0, 1 or 2: 44.1/48/32 kHz, halved for LSF).
    pub rate_code: u8,
    /// bitrate_index (1..=14).
    pub bitrate_index: u8,
    /// Channel mode (0 stereo, 1 joint stereo, 2 dual channel, 3 mono).
    pub mode: u8,
    /// mode_extension (the intensity bound 4, 8, 12, 16 for codes 0-3) in joint stereo.
    pub mode_extension: u8,
    /// Protect every frame with a CRC.
    pub crc: bool,
    /// Number of frames.
    pub frames: usize,
    /// Seed of the content.
    pub seed: u64,
}

impl Layer1Config {
    /// The header of a frame (padding as given).
    pub fn header_bytes(&self, padding: bool) -> [u8; 4] {
        [
            0xFF,
            0xF0 | (u8::from(!self.lsf) << 3) | (3 << 1) | u8::from(!self.crc),
            (self.bitrate_index << 4) | (self.rate_code << 2) | (u8::from(padding) << 1),
            (self.mode << 6) | (self.mode_extension << 4) | 0x04,
        ]
    }
}

/// The smallest scale factor index used: keeps the sum of 32 subbands below full scale
/// (scale factor 18 is 2^-6, and the synthesis filter's gain is about 1).
const MIN_SCALEFACTOR: u32 = 18;

/// Generates the stream. Each frame gets pseudo-random allocations (uniform over 0..=14 before
/// the frame's bit budget cuts them down, so that small and large ones both occur), scale
/// factors in 18..=62 and sample codes other than the forbidden all-ones code.
pub fn layer1_stream(cfg: &Layer1Config) -> Vec<u8> {
    let mut rng = Lcg::new(cfg.seed);
    let mut out = Vec::new();
    // Padding as an encoder does it: whenever the fractional slots add up to one.
    let probe = Header::parse(&cfg.header_bytes(false)).expect("valid configuration");
    let slot_bits = 12 * probe.bitrate_kbps as usize * 1000;
    let rate = probe.sample_rate as usize;
    let mut remainder = 0usize;
    for _ in 0..cfg.frames {
        remainder += slot_bits % rate;
        let padding = remainder >= rate;
        if padding {
            remainder -= rate;
        }
        out.extend(frame(cfg, padding, &mut rng));
    }
    out
}

fn frame(cfg: &Layer1Config, padding: bool, rng: &mut Lcg) -> Vec<u8> {
    let header_bytes = cfg.header_bytes(padding);
    let h = Header::parse(&header_bytes).expect("valid header");
    let len = h.frame_len().expect("not free format");
    let channels = h.channels();
    let bound = h.bound().min(32);
    let mut budget = len * 8 - 32 - if cfg.crc { 16 } else { 0 };
    // Side information first: 4 bits of allocation per channel below the bound, 4 above.
    budget -= 4 * (bound * channels + (32 - bound));

    // allocation[ch][sb] (0..=14), scale factors where allocated.
    let mut allocation = vec![[0u32; 32]; channels];
    let mut order: Vec<usize> = (0..32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    for &sb in &order {
        let shared = sb >= bound;
        let owners = if shared { 1 } else { channels };
        for ch in 0..owners {
            let mut a = rng.below(15) as u32;
            // Cost: 12 samples of a+1 bits (once if shared) and a 6-bit scale factor per channel.
            loop {
                let cost = if a == 0 {
                    0
                } else if shared {
                    12 * (a as usize + 1) + 6 * channels
                } else {
                    12 * (a as usize + 1) + 6
                };
                if cost <= budget {
                    budget -= cost;
                    break;
                }
                a -= 1;
            }
            if shared {
                for alloc in &mut allocation {
                    alloc[sb] = a;
                }
            } else {
                allocation[ch][sb] = a;
            }
        }
    }

    let mut w = BitWriter::new();
    for &b in &header_bytes {
        w.put(u32::from(b), 8);
    }
    if cfg.crc {
        w.put(0, 16); // filled in below
    }
    for sb in 0..32 {
        let owners = if sb < bound { channels } else { 1 };
        for alloc in allocation.iter().take(owners) {
            w.put(alloc[sb], 4);
        }
    }
    let side_bits = w.bit_len() - 32 - if cfg.crc { 16 } else { 0 };
    for sb in 0..32 {
        for alloc in &allocation {
            if alloc[sb] != 0 {
                let sf = MIN_SCALEFACTOR + rng.below((62 - MIN_SCALEFACTOR + 1) as usize) as u32;
                w.put(sf, 6);
            }
        }
    }
    for _ in 0..12 {
        for sb in 0..32 {
            let owners = if sb < bound { channels } else { 1 };
            for alloc in allocation.iter().take(owners) {
                let a = alloc[sb];
                if a != 0 {
                    let bits = a + 1;
                    // Any code but all ones.
                    let code = rng.below((1usize << bits) - 1) as u32;
                    w.put(code, bits);
                }
            }
        }
    }
    assert!(w.bit_len() <= len * 8, "the frame overflows its length");
    while w.bit_len() < len * 8 {
        w.put(0, 1);
    }
    let mut bytes = w.into_bytes();
    if cfg.crc {
        let mut covered = bytes[2..4].to_vec();
        covered.extend_from_slice(&bytes[6..6 + side_bits.div_ceil(8)]);
        let crc = crc16(&covered, 0, 16 + side_bits);
        bytes[4..6].copy_from_slice(&crc.to_be_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpa;

    #[test]
    fn streams_have_the_announced_structure() {
        for (mode, ext, crc, lsf, rate_code) in [
            (0u8, 0u8, true, false, 0u8),
            (1, 2, true, false, 1),
            (2, 0, false, false, 2),
            (3, 0, true, true, 0),
        ] {
            let cfg = Layer1Config {
                lsf,
                rate_code,
                bitrate_index: 12,
                mode,
                mode_extension: ext,
                crc,
                frames: 12,
                seed: 7,
            };
            let es = layer1_stream(&cfg);
            let frames = mpa::frames_strict(&es).expect("frames tile the stream");
            assert_eq!(frames.len(), 12);
            let s = mpa::summarise(&es, &frames);
            assert_eq!(s.crc_ok, if crc { 12 } else { 0 }, "CRCs: {}", s.describe());
            for f in &frames {
                assert_eq!(
                    (f.header.layer, f.header.lsf, f.header.mode),
                    (1, lsf, mode)
                );
                let side = mpa::side_info(&es[f.range()]).expect("side info");
                // Allocation 15 is forbidden.
                assert!(side.allocation.iter().flatten().all(|&a| a < 15));
            }
            if rate_code == 0 && !lsf {
                assert!(s.padded > 0, "44.1 kHz needs padding");
            }
            if mode == 1 {
                assert!(s.intensity_frames > 0, "intensity subbands allocated");
            }
        }
    }
}
