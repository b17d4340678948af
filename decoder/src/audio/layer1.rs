//! Layer I audio data (ISO/IEC 11172-3 2.4.1.5, 2.4.2.6 and 2.4.3.2): 4-bit bit allocation,
//! 6-bit scale factors and 12 samples of 2 to 15 bits per subband.

use crate::bits::BitReader;
use crate::error::Error;

use super::crc::{crc16_bits, crc16_range, CRC_INIT};
use super::header::FrameHeader;
use super::layer2::requantize;
use super::tables::SCALE_FACTORS;
use super::Subbands;

/// Time slots (of 32 subband samples) in a Layer I frame.
pub const SLOTS: usize = 12;

/// The Layer I requantisation constants by sample width nb (2..=15), ISO/IEC 11172-3 2.4.3.2.3:
/// s'' = 2^nb / (2^nb - 1) · (s''' + 2^(1-nb)). Entry nb holds (C, D).
const LAYER1_CONSTANTS: [(f32, f32); 16] = {
    let mut table = [(0.0f32, 0.0f32); 16];
    let mut nb = 2;
    while nb < 16 {
        let steps = (1u32 << nb) as f64;
        table[nb] = ((steps / (steps - 1.0)) as f32, (2.0 / steps) as f32);
        nb += 1;
    }
    table
};

/// Decodes the audio data of a Layer I frame (`frame` is the whole frame, header included)
/// into `out[channel][slot][subband]` (12 slots). Returns whether the CRC matched, when the
/// frame has one.
pub fn decode(
    header: &FrameHeader,
    frame: &[u8],
    out: &mut Subbands,
) -> Result<Option<bool>, Error> {
    let nch = usize::from(header.channels());
    let bound = header.intensity_bound().min(32);
    let mut r = BitReader::new(frame);
    r.skip(32);
    let crc_word = header.has_crc.then(|| r.read(16) as u16);
    let protected_start = r.position();

    let mut alloc = [[0u8; 32]; 2];
    for sb in 0..32 {
        if sb < bound {
            for ch in alloc.iter_mut().take(nch) {
                ch[sb] = r.read(4) as u8;
            }
        } else {
            let a = r.read(4) as u8;
            alloc[0][sb] = a;
            alloc[1][sb] = a;
        }
    }
    // The CRC covers the header's last 16 bits and the bit allocation (2.4.3.1).
    let crc_ok = crc_word.map(|word| {
        let crc = crc16_bits(CRC_INIT, frame.get(2..4).unwrap_or(&[]), 16);
        crc16_range(crc, frame, protected_start, r.position()) == word
    });
    if alloc.iter().take(nch).any(|ch| ch.contains(&15)) {
        return Err(Error::InvalidData(
            "MPEG audio Layer I: forbidden bit allocation 15",
        ));
    }

    let mut scale = [[0.0f32; 32]; 2];
    for sb in 0..32 {
        for ch in 0..nch {
            if alloc[ch][sb] != 0 {
                scale[ch][sb] = SCALE_FACTORS[(r.read(6) & 63) as usize];
            }
        }
    }

    for slot in 0..SLOTS {
        for sb in 0..32 {
            let coded_channels = if sb < bound { nch } else { 1 };
            for ch in 0..coded_channels {
                let a = u32::from(alloc[ch][sb]);
                let value = if a == 0 {
                    0.0
                } else {
                    let bits = a + 1;
                    let (c, d) = LAYER1_CONSTANTS[(bits & 15) as usize];
                    requantize(r.read(bits), bits, c, d)
                };
                if sb < bound {
                    out[ch][slot][sb] = value * scale[ch][sb];
                } else {
                    for target in 0..nch {
                        out[target][slot][sb] = value * scale[target][sb];
                    }
                }
            }
        }
    }
    if r.overrun() {
        return Err(Error::InvalidData(
            "MPEG audio Layer I: the audio data is longer than the frame",
        ));
    }
    Ok(crc_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requantisation_by_hand() {
        // nb = 2: codes 0, 1, 2 -> -2/3, 0, 2/3 (code 3 is forbidden).
        let (c, d) = LAYER1_CONSTANTS[2];
        for (code, e) in [(0u32, -2.0f32 / 3.0), (1, 0.0), (2, 2.0 / 3.0)] {
            assert!((requantize(code, 2, c, d) - e).abs() < 1e-7);
        }
        // nb = 4: code 0 -> -14/15, code 7 -> 0, code 14 -> 14/15.
        let (c, d) = LAYER1_CONSTANTS[4];
        assert!((requantize(0, 4, c, d) + 14.0 / 15.0).abs() < 1e-7);
        assert!(requantize(7, 4, c, d).abs() < 1e-7);
        assert!((requantize(14, 4, c, d) - 14.0 / 15.0).abs() < 1e-7);
        // nb = 15: the extreme codes are +-(2^15 - 2)/(2^15 - 1).
        let (c, d) = LAYER1_CONSTANTS[15];
        let e = 32766.0 / 32767.0;
        assert!((requantize(0, 15, c, d) + e).abs() < 2e-7);
        assert!((requantize(32766, 15, c, d) - e).abs() < 2e-7);
    }
}
