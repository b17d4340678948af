//! Layer II audio data (ISO/IEC 11172-3 2.4.1.6, 2.4.2.7 and 2.4.3.3; ISO/IEC 13818-3 2.4.3.3
//! for the low sampling frequencies): bit allocation, scale-factor selection information,
//! scale factors, grouped or ungrouped samples, requantisation.

use crate::bits::BitReader;
use crate::error::Error;

use super::crc::{crc16_bits, crc16_range, CRC_INIT};
use super::header::{FrameHeader, Version};
use super::tables::{
    AllocRow, QuantClass, ALLOC_TABLE_A, ALLOC_TABLE_B, ALLOC_TABLE_C, ALLOC_TABLE_D,
    ALLOC_TABLE_LSF, QUANT_CLASSES, SCALE_FACTORS,
};
use super::Subbands;

/// Time slots (of 32 subband samples) in a Layer II frame: 12 granules of 3.
pub const SLOTS: usize = 36;

/// The allocation table in force (ISO/IEC 11172-3 Table 3-B.2 a-d, chosen by sampling frequency
/// and bit rate per channel as the headings of those tables say; ISO/IEC 13818-3 Table B.1 at
/// the low sampling frequencies). Its length is `sblimit`.
pub fn allocation_table(header: &FrameHeader) -> &'static [AllocRow] {
    if header.version == Version::Mpeg2Lsf {
        return &ALLOC_TABLE_LSF;
    }
    let rate = header.sample_rate;
    if header.is_free_format() {
        // Free format: Table 3-B.2a at 48 kHz, 3-B.2b at 44.1 and 32 kHz.
        return if rate == 48_000 {
            &ALLOC_TABLE_A
        } else {
            &ALLOC_TABLE_B
        };
    }
    let per_channel = header.bitrate_kbps / u32::from(header.channels());
    match (rate, per_channel) {
        (48_000, 56..) => &ALLOC_TABLE_A,
        (48_000, _) => &ALLOC_TABLE_C,
        (_, 56..=80) => &ALLOC_TABLE_A,
        (_, 81..) => &ALLOC_TABLE_B,
        (32_000, _) => &ALLOC_TABLE_D,
        _ => &ALLOC_TABLE_C,
    }
}

/// Requantises one sample code of `bits` bits (ISO/IEC 11172-3 2.4.3.3.3, also used by Layer I):
/// the most significant bit is inverted, the result read as a two's complement fraction
/// s''' in [-1, 1), and s'' = C·(s''' + D).
#[inline]
pub fn requantize(code: u32, bits: u32, c: f32, d: f32) -> f32 {
    let msb = 1u32 << (bits - 1);
    let inverted = (code ^ msb) & ((msb << 1) - 1);
    let signed = inverted as i32 - ((inverted & msb) << 1) as i32;
    let fraction = signed as f32 * (1.0 / msb as f32);
    c * (fraction + d)
}

/// Reads and requantises the three consecutive samples of one subband in one granule.
#[inline]
fn read_triplet(r: &mut BitReader<'_>, class: &QuantClass) -> [f32; 3] {
    let bits = class.sample_bits;
    if class.grouped {
        // Degrouping, 2.4.3.3.3: three base-`levels` digits, least significant first.
        let levels = class.levels;
        let mut code = r.read(class.codeword_bits);
        let mut out = [0.0f32; 3];
        for v in &mut out {
            *v = requantize(code % levels, bits, class.c, class.d);
            code /= levels;
        }
        out
    } else {
        let a = r.read(bits);
        let b = r.read(bits);
        let c = r.read(bits);
        [
            requantize(a, bits, class.c, class.d),
            requantize(b, bits, class.c, class.d),
            requantize(c, bits, class.c, class.d),
        ]
    }
}

/// Decodes the audio data of a Layer II frame (`frame` is the whole frame, header included)
/// into `out[channel][slot][subband]` (36 slots; subbands from `sblimit` up are zero).
/// Returns whether the CRC matched, when the frame has one.
pub fn decode(
    header: &FrameHeader,
    frame: &[u8],
    out: &mut Subbands,
) -> Result<Option<bool>, Error> {
    let nch = usize::from(header.channels());
    let rows = allocation_table(header);
    let sblimit = rows.len();
    let bound = header.intensity_bound().min(sblimit);
    let mut r = BitReader::new(frame);
    r.skip(32);
    let crc_word = header.has_crc.then(|| r.read(16) as u16);
    let protected_start = r.position();

    // Bit allocation (2.4.1.6): per channel below the bound, shared above it.
    let mut alloc = [[0u8; 32]; 2];
    for (sb, row) in rows.iter().enumerate() {
        if sb < bound {
            for ch in alloc.iter_mut().take(nch) {
                ch[sb] = r.read(row.nbal) as u8;
            }
        } else {
            let a = r.read(row.nbal) as u8;
            alloc[0][sb] = a;
            alloc[1][sb] = a;
        }
    }
    // Scale-factor selection information.
    let mut scfsi = [[0u8; 32]; 2];
    for sb in 0..sblimit {
        for ch in 0..nch {
            if alloc[ch][sb] != 0 {
                scfsi[ch][sb] = r.read(2) as u8;
            }
        }
    }
    // The CRC covers the header's last 16 bits, the bit allocation and the scfsi (2.4.3.1).
    let crc_ok = crc_word.map(|word| {
        let crc = crc16_bits(CRC_INIT, frame.get(2..4).unwrap_or(&[]), 16);
        crc16_range(crc, frame, protected_start, r.position()) == word
    });

    // Scale factors: three per subband (one per 12 samples), some transmitted once for two or
    // three parts as scfsi says.
    let mut scale = [[[0.0f32; 3]; 32]; 2];
    for sb in 0..sblimit {
        for ch in 0..nch {
            if alloc[ch][sb] == 0 {
                continue;
            }
            let mut read = || SCALE_FACTORS[(r.read(6) & 63) as usize];
            scale[ch][sb] = match scfsi[ch][sb] {
                0 => [read(), read(), read()],
                1 => {
                    let first = read();
                    [first, first, read()]
                }
                2 => {
                    let only = read();
                    [only, only, only]
                }
                _ => {
                    let first = read();
                    let second = read();
                    [first, second, second]
                }
            };
        }
    }

    // Samples: 12 granules of 3 samples per subband.
    for granule in 0..12 {
        let part = granule / 4;
        let slot = 3 * granule;
        for (sb, row) in rows.iter().enumerate() {
            let coded_channels = if sb < bound { nch } else { 1 };
            for ch in 0..coded_channels {
                let a = usize::from(alloc[ch][sb]);
                let values = match a.checked_sub(1).and_then(|i| row.classes.get(i)) {
                    Some(&class) => read_triplet(&mut r, &QUANT_CLASSES[usize::from(class)]),
                    None => [0.0; 3],
                };
                // Above the bound both channels share the samples, each with its scale factor.
                let targets = if sb < bound { ch..ch + 1 } else { 0..nch };
                for target in targets {
                    let factor = scale[target][sb][part];
                    for (k, v) in values.iter().enumerate() {
                        out[target][slot + k][sb] = v * factor;
                    }
                }
            }
        }
        for ch in out.iter_mut().take(nch) {
            for k in 0..3 {
                ch[slot + k][sblimit..].fill(0.0);
            }
        }
    }
    if r.overrun() {
        return Err(Error::InvalidData(
            "MPEG audio Layer II: the audio data is longer than the frame",
        ));
    }
    Ok(crc_ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::header::{ChannelMode, Layer};

    fn header(
        version: Version,
        bitrate_kbps: u32,
        sample_rate: u32,
        mode: ChannelMode,
    ) -> FrameHeader {
        FrameHeader {
            version,
            layer: Layer::II,
            has_crc: false,
            bitrate_kbps,
            sample_rate,
            padding: false,
            mode,
            copyright: false,
            original: false,
            emphasis: 0,
            private: false,
            mode_extension: 0,
        }
    }

    #[test]
    fn allocation_table_per_rate() {
        use ChannelMode::{Mono, Stereo};
        let sblimit = |v, b, r, m| allocation_table(&header(v, b, r, m)).len();
        let m1 = Version::Mpeg1;
        // 48 kHz: a from 56 kbit/s per channel, c below.
        assert_eq!(sblimit(m1, 32, 48_000, Mono), 8);
        assert_eq!(sblimit(m1, 48, 48_000, Mono), 8);
        assert_eq!(sblimit(m1, 56, 48_000, Mono), 27);
        assert_eq!(sblimit(m1, 192, 48_000, Mono), 27);
        assert_eq!(sblimit(m1, 96, 48_000, Stereo), 8);
        assert_eq!(sblimit(m1, 384, 48_000, Stereo), 27);
        // 44.1 kHz: c at 32-48, a at 56-80, b from 96 kbit/s per channel.
        assert_eq!(sblimit(m1, 32, 44_100, Mono), 8);
        assert_eq!(sblimit(m1, 80, 44_100, Mono), 27);
        assert_eq!(sblimit(m1, 96, 44_100, Mono), 30);
        assert_eq!(sblimit(m1, 128, 44_100, Stereo), 27);
        assert_eq!(sblimit(m1, 192, 44_100, Stereo), 30);
        // 32 kHz: d at 32-48, a at 56-80, b from 96.
        assert_eq!(sblimit(m1, 48, 32_000, Mono), 12);
        assert_eq!(sblimit(m1, 64, 32_000, Mono), 27);
        assert_eq!(sblimit(m1, 112, 32_000, Mono), 30);
        assert_eq!(sblimit(m1, 64, 32_000, Stereo), 12);
        // Free format: a at 48 kHz, b otherwise.
        assert_eq!(sblimit(m1, 0, 48_000, Stereo), 27);
        assert_eq!(sblimit(m1, 0, 44_100, Stereo), 30);
        assert_eq!(sblimit(m1, 0, 32_000, Mono), 30);
        // LSF: Table B.1 always.
        for rate in [16_000, 22_050, 24_000] {
            for bitrate in [8, 64, 160] {
                assert_eq!(
                    allocation_table(&header(Version::Mpeg2Lsf, bitrate, rate, Mono)),
                    &ALLOC_TABLE_LSF
                );
            }
        }
        // Each row has one class per nonzero allocation value.
        for table in [
            &ALLOC_TABLE_A[..],
            &ALLOC_TABLE_B,
            &ALLOC_TABLE_C,
            &ALLOC_TABLE_D,
            &ALLOC_TABLE_LSF,
        ] {
            for row in table {
                assert_eq!(row.classes.len(), (1 << row.nbal) - 1);
            }
        }
        // Sum of the nbal bits of Table 3-B.2a is 88 per channel, of 3-B.2b 94.
        assert_eq!(ALLOC_TABLE_A.iter().map(|r| r.nbal).sum::<u32>(), 88);
        assert_eq!(ALLOC_TABLE_B.iter().map(|r| r.nbal).sum::<u32>(), 94);
    }

    #[test]
    fn requantisation_by_hand() {
        // 3 levels (2-bit values): 0 -> '10' = -1, +1/2, *4/3 = -2/3; 1 -> '11' = -1/2 -> 0;
        // 2 -> '00' = 0 -> 2/3.
        let c3 = QUANT_CLASSES[0];
        let expect = [-2.0 / 3.0, 0.0, 2.0 / 3.0];
        for (code, e) in expect.iter().enumerate() {
            assert!((requantize(code as u32, 2, c3.c, c3.d) - e).abs() < 1e-7);
        }
        // 5 levels (3 bits): -4/5, -2/5, 0, 2/5, 4/5.
        let c5 = QUANT_CLASSES[1];
        for code in 0..5u32 {
            let e = (2.0 * code as f32 - 4.0) / 5.0;
            assert!((requantize(code, 3, c5.c, c5.d) - e).abs() < 1e-7, "{code}");
        }
        // Every class: code k of L levels is (2k - (L - 1)) / L.
        for class in &QUANT_CLASSES {
            for k in (0..class.levels).step_by(((class.levels / 50) as usize).max(1)) {
                let e =
                    (2.0 * f64::from(k) - f64::from(class.levels - 1)) / f64::from(class.levels);
                let got = requantize(k, class.sample_bits, class.c, class.d);
                assert!(
                    (f64::from(got) - e).abs() < 2e-7,
                    "{} levels, {k}",
                    class.levels
                );
            }
        }
    }

    #[test]
    fn degrouping_by_hand() {
        // 9 levels: code = s0 + 9*s1 + 81*s2. Take s = (8, 0, 4): code 8 + 0 + 324 = 332.
        let class = QUANT_CLASSES[3];
        let code: u32 = 0x14C; // 332
        let bytes = [(code >> 2) as u8, ((code & 3) << 6) as u8];
        let mut r = BitReader::new(&bytes);
        let v = read_triplet(&mut r, &class);
        let e = [8.0 / 9.0, -8.0 / 9.0, 0.0];
        for k in 0..3 {
            assert!((v[k] - e[k]).abs() < 1e-7, "{v:?}");
        }
        assert_eq!(r.position(), 10);
        // 5 levels: s = (1, 4, 2) -> 1 + 20 + 50 = 71 in 7 bits.
        let class = QUANT_CLASSES[1];
        let bytes = [(71u8) << 1];
        let mut r = BitReader::new(&bytes);
        let v = read_triplet(&mut r, &class);
        let e = [-0.4, 0.8, 0.0];
        for k in 0..3 {
            assert!((v[k] - e[k]).abs() < 1e-7, "{v:?}");
        }
        // 3 levels: s = (2, 2, 1) -> 2 + 6 + 9 = 17 in 5 bits.
        let class = QUANT_CLASSES[0];
        let bytes = [17u8 << 3];
        let mut r = BitReader::new(&bytes);
        let v = read_triplet(&mut r, &class);
        let e = [2.0 / 3.0, 2.0 / 3.0, 0.0];
        for k in 0..3 {
            assert!((v[k] - e[k]).abs() < 1e-7, "{v:?}");
        }
    }
}
