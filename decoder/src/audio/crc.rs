//! The CRC-16 of MPEG audio frames (ISO/IEC 11172-3 2.4.3.1 and Annex A.4): generator
//! polynomial x^16 + x^15 + x^2 + 1 (0x8005), initial value 0xFFFF, bits fed most significant
//! first, no final inversion.

/// The generator polynomial without its x^16 term.
const POLYNOMIAL: u16 = 0x8005;

/// The register value before the first bit.
pub const CRC_INIT: u16 = 0xFFFF;

/// Feeds `bits` bits of `data` (starting at its first bit, most significant first) into `crc`.
/// Bits past the end of `data` are not fed.
pub fn crc16_bits(mut crc: u16, data: &[u8], bits: usize) -> u16 {
    let whole = (bits / 8).min(data.len());
    for &byte in &data[..whole] {
        crc = crc16_byte(crc, byte);
    }
    let rest = if whole < bits / 8 { 0 } else { bits % 8 };
    if let Some(&byte) = data.get(whole) {
        for i in 0..rest {
            crc = crc16_bit(crc, (byte >> (7 - i)) & 1 != 0);
        }
    }
    crc
}

/// Feeds one whole byte.
fn crc16_byte(mut crc: u16, byte: u8) -> u16 {
    for i in 0..8 {
        crc = crc16_bit(crc, (byte >> (7 - i)) & 1 != 0);
    }
    crc
}

/// Feeds one bit.
#[inline]
fn crc16_bit(crc: u16, bit: bool) -> u16 {
    let feedback = (crc >> 15 != 0) != bit;
    let shifted = crc << 1;
    if feedback {
        shifted ^ POLYNOMIAL
    } else {
        shifted
    }
}

/// Feeds the bits `start..end` (bit positions from the start of `data`, most significant bit of
/// each byte first) into `crc`.
pub fn crc16_range(crc: u16, data: &[u8], start: usize, end: usize) -> u16 {
    if end <= start {
        return crc;
    }
    let first_byte = start / 8;
    let skip = start % 8;
    let Some(tail) = data.get(first_byte..) else {
        return crc;
    };
    if skip == 0 {
        return crc16_bits(crc, tail, end - start);
    }
    // Unaligned start: feed the remaining bits of the first byte one by one.
    let mut crc = crc;
    let mut pos = start;
    let Some(&byte) = tail.first() else {
        return crc;
    };
    while pos < end && pos % 8 != 0 {
        crc = crc16_bit(crc, (byte >> (7 - pos % 8)) & 1 != 0);
        pos += 1;
    }
    if pos < end {
        crc = crc16_bits(crc, tail.get(1..).unwrap_or(&[]), end - pos);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit long division, written independently of the implementation above.
    fn reference(data: &[u8], bits: usize) -> u16 {
        let mut register: u32 = 0xFFFF;
        for i in 0..bits {
            let bit = u32::from((data[i / 8] >> (7 - i % 8)) & 1);
            let top = (register >> 15) & 1;
            register = (register << 1) & 0xFFFF;
            if top ^ bit == 1 {
                register ^= 0x8005;
            }
        }
        register as u16
    }

    #[test]
    fn matches_long_division() {
        let data = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x0F];
        for bits in 0..=72 {
            assert_eq!(
                crc16_bits(CRC_INIT, &data, bits),
                reference(&data, bits),
                "{bits}"
            );
        }
        for start in 0..16 {
            for end in start..72 {
                // Feeding a prefix then a range equals feeding everything at once.
                let head = crc16_bits(CRC_INIT, &data, start);
                assert_eq!(
                    crc16_range(head, &data, start, end),
                    reference(&data, end),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn known_check_value() {
        // CRC-16 with polynomial 0x8005, init 0xFFFF, no reflection, no final XOR
        // ("CRC-16/CMS") of the ASCII string "123456789" is 0xAEE7.
        assert_eq!(crc16_bits(CRC_INIT, b"123456789", 72), 0xAEE7);
    }
}
