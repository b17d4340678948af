//! A big-endian (most significant bit first) bit reader over a byte slice.
//!
//! Reading past the end never panics: missing bits read as zero and [`BitReader::overrun`]
//! becomes true, so a decoder can check once per macroblock or slice instead of on every read.

/// Reads bits, most significant first, from a byte slice.
#[derive(Clone, Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader positioned at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// The next 64 bits from the current byte, shifted so the current bit is the top one
    /// (at least 57 valid bits); zeros past the end.
    #[inline(always)]
    fn window(&self) -> u64 {
        let byte = self.pos >> 3;
        let word = if let Some(bytes) = self.data.get(byte..byte + 8) {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(bytes);
            u64::from_be_bytes(buf)
        } else {
            let mut buf = [0u8; 8];
            if let Some(tail) = self.data.get(byte..) {
                buf[..tail.len()].copy_from_slice(tail);
            }
            u64::from_be_bytes(buf)
        };
        word << (self.pos & 7)
    }

    /// Returns the next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u32 {
        debug_assert!(n <= 32);
        if n == 0 {
            return 0;
        }
        (self.window() >> (64 - n)) as u32
    }

    /// Reads `n` bits (0..=32).
    #[inline(always)]
    pub fn read(&mut self, n: u32) -> u32 {
        let value = self.peek(n);
        self.pos += n as usize;
        value
    }

    /// Reads one bit as a bool.
    #[inline(always)]
    pub fn read_bit(&mut self) -> bool {
        self.read(1) != 0
    }

    /// Skips `n` bits.
    #[inline(always)]
    pub fn skip(&mut self, n: u32) {
        self.pos += n as usize;
    }

    /// Moves to the next byte boundary (no-op when already aligned).
    pub fn byte_align(&mut self) {
        self.pos = (self.pos + 7) & !7;
    }

    /// The current position in bits.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bits left before the end of the data (zero once past it).
    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// True when more bits have been consumed than the data holds.
    pub fn overrun(&self) -> bool {
        self.pos > self.data.len() * 8
    }

    /// True when the macroblocks of a slice are over: the next 23 bits are zero (the start of
    /// a start code prefix, ISO/IEC 11172-2 2.4.2.7). Bits past the end of the data read as
    /// zero, so an exhausted reader is at the end too; a short last macroblock may well fit in
    /// fewer than 23 bits, so the number of bits left is not a criterion.
    pub fn at_slice_end(&self) -> bool {
        self.peek(23) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_bytes_and_past_end() {
        let data = [0b1010_1100, 0xFF, 0x01];
        let mut r = BitReader::new(&data);
        assert_eq!(r.read(3), 0b101);
        assert_eq!(r.read(7), 0b011_0011);
        assert_eq!(r.peek(14), 0b11_1111_0000_0001);
        r.skip(14);
        assert!(!r.overrun());
        assert_eq!(r.read(8), 0);
        assert!(r.overrun());
    }

    #[test]
    fn slice_end_detection() {
        let data = [0xAB, 0x00, 0x00, 0x01, 0xB3, 0, 0, 0];
        let mut r = BitReader::new(&data);
        assert!(!r.at_slice_end());
        r.skip(8);
        assert!(r.at_slice_end());
        r.skip(16);
        assert!(!r.at_slice_end());
    }
}
