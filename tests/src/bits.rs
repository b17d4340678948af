//! An MSB-first bit writer and the variable-length codes of ISO/IEC 11172-2 Annex B that the
//! stream generator needs, written as the standard prints them (strings of '0' and '1').

/// Writes bits most significant first, as MPEG bitstreams are.
#[derive(Clone, Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits not yet flushed to `bytes`, right-aligned.
    acc: u64,
    /// How many bits `acc` holds (always < 8 between calls).
    pending: u32,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Appends the low `n` bits of `value` (n <= 32), most significant first.
    pub fn put(&mut self, value: u32, n: u32) {
        assert!(n <= 32, "at most 32 bits at a time");
        if n == 0 {
            return;
        }
        assert!(
            n == 32 || value >> n == 0,
            "value {value:#x} does not fit in {n} bits"
        );
        self.acc = (self.acc << n) | u64::from(value);
        self.pending += n;
        while self.pending >= 8 {
            self.pending -= 8;
            self.bytes.push((self.acc >> self.pending) as u8);
        }
        self.acc &= (1 << self.pending) - 1;
    }

    /// Appends one bit.
    pub fn put_bit(&mut self, bit: bool) {
        self.put(u32::from(bit), 1);
    }

    /// Appends a code written as a string of '0' and '1' (spaces allowed).
    pub fn put_code(&mut self, code: &str) {
        for c in code.chars() {
            match c {
                '0' => self.put(0, 1),
                '1' => self.put(1, 1),
                ' ' => {}
                _ => panic!("bad character {c:?} in code {code:?}"),
            }
        }
    }

    /// True when the next bit starts a byte.
    pub fn is_aligned(&self) -> bool {
        self.pending == 0
    }

    /// Number of bits written so far.
    pub fn bit_len(&self) -> usize {
        self.bytes.len() * 8 + self.pending as usize
    }

    /// Pads with zero bits to the next byte boundary (`next_start_code()` stuffing).
    pub fn align(&mut self) {
        if self.pending > 0 {
            let pad = 8 - self.pending;
            self.put(0, pad);
        }
    }

    /// Aligns, then writes the start code `00 00 01 code`.
    pub fn start_code(&mut self, code: u8) {
        self.align();
        self.bytes.extend_from_slice(&[0, 0, 1, code]);
    }

    /// The bytes written, padded with zero bits to a whole byte.
    pub fn into_bytes(mut self) -> Vec<u8> {
        self.align();
        self.bytes
    }
}

/// `macroblock_address_increment` codes for increments 1 to 33 (Table B.1); index 0 is the
/// increment 1.
pub const MACROBLOCK_ADDRESS_INCREMENT: [&str; 33] = [
    "1",
    "011",
    "010",
    "0011",
    "0010",
    "00011",
    "00010",
    "0000111",
    "0000110",
    "00001011",
    "00001010",
    "00001001",
    "00001000",
    "00000111",
    "00000110",
    "0000010111",
    "0000010110",
    "0000010101",
    "0000010100",
    "0000010011",
    "0000010010",
    "00000100011",
    "00000100010",
    "00000100001",
    "00000100000",
    "00000011111",
    "00000011110",
    "00000011101",
    "00000011100",
    "00000011011",
    "00000011010",
    "00000011001",
    "00000011000",
];

/// `macroblock_escape` (Table B.1): adds 33 to the increment that follows.
pub const MACROBLOCK_ESCAPE: &str = "00000001000";

/// `macroblock_type` codes used by the generator (Table B.2).
pub mod macroblock_type {
    /// I-picture, intra, no quantiser change (Table B.2a "intra-d").
    pub const I_INTRA: &str = "1";
    /// P-picture, forward motion compensation with coded blocks (Table B.2b "pred-mc").
    pub const P_MC_CODED: &str = "1";
    /// P-picture, no motion compensation, coded blocks (Table B.2b "pred-c").
    pub const P_CODED: &str = "01";
    /// P-picture, forward motion compensation, no coded blocks (Table B.2b "pred-m").
    pub const P_MC_NOT_CODED: &str = "001";
    /// P-picture, intra, no quantiser change (Table B.2b "intra-d").
    pub const P_INTRA: &str = "00011";
    /// D-picture, intra (Table B.2d).
    pub const D_INTRA: &str = "1";
}

/// `dct_dc_size_luminance` codes for sizes 0 to 8 (Table B.5a).
pub const DCT_DC_SIZE_LUMINANCE: [&str; 9] = [
    "100", "00", "01", "101", "110", "1110", "11110", "111110", "1111110",
];

/// `dct_dc_size_chrominance` codes for sizes 0 to 8 (Table B.5b).
pub const DCT_DC_SIZE_CHROMINANCE: [&str; 9] = [
    "00", "01", "10", "110", "1110", "11110", "111110", "1111110", "11111110",
];

/// `motion_horizontal/vertical_*_code` for magnitudes 0 to 16 without the sign bit (Table B.4);
/// every non-zero code is followed by a sign bit, '0' positive, '1' negative.
pub const MOTION_CODE_MAGNITUDE: [&str; 17] = [
    "1",
    "01",
    "001",
    "0001",
    "000011",
    "0000101",
    "0000100",
    "0000011",
    "000001011",
    "000001010",
    "000001001",
    "0000010001",
    "0000010000",
    "0000001111",
    "0000001110",
    "0000001101",
    "0000001100",
];

/// `end_of_block` (Table B.5c).
pub const END_OF_BLOCK: &str = "10";

/// `end_of_macroblock` of D-pictures (2.4.2.7).
pub const END_OF_MACROBLOCK: &str = "1";

/// The code of a signed `motion_code` (-16..=16).
pub fn motion_code(code: i32) -> String {
    assert!(
        (-16..=16).contains(&code),
        "motion_code {code} out of range"
    );
    let mut s = MOTION_CODE_MAGNITUDE[code.unsigned_abs() as usize].to_string();
    if code > 0 {
        s.push('0');
    } else if code < 0 {
        s.push('1');
    }
    s
}

/// The size (number of bits) of an intra DC differential: 0 for 0, else the bit length of
/// its magnitude (2.4.3.7, `dct_dc_size_*`).
pub fn dc_size(diff: i32) -> u32 {
    32 - diff.unsigned_abs().leading_zeros()
}

/// The `dct_dc_differential` bits of a DC difference of size `dc_size(diff)`: the value itself
/// when positive, else `diff + 2^size - 1` (so that the first bit tells the sign), as decoded in
/// 2.4.3.7.
pub fn dc_differential_bits(diff: i32) -> u32 {
    let size = dc_size(diff);
    if diff >= 0 {
        diff as u32
    } else {
        (diff + (1 << size) - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_prefix_free(name: &str, codes: &[&str]) {
        for (i, a) in codes.iter().enumerate() {
            assert!(a.chars().all(|c| c == '0' || c == '1'), "{name}[{i}]");
            for (j, b) in codes.iter().enumerate() {
                if i != j {
                    assert!(
                        !b.starts_with(a),
                        "{name}: {a} ({i}) is a prefix of {b} ({j})"
                    );
                }
            }
        }
    }

    #[test]
    fn writes_msb_first() {
        let mut w = BitWriter::new();
        w.put(0b101, 3);
        w.put_code("00001");
        w.put(0xABC, 12);
        assert_eq!(w.bit_len(), 20);
        w.start_code(0xB3);
        assert_eq!(w.into_bytes(), vec![0xA1, 0xAB, 0xC0, 0, 0, 1, 0xB3]);
    }

    #[test]
    fn tables_are_prefix_free() {
        let mut mba: Vec<&str> = MACROBLOCK_ADDRESS_INCREMENT.to_vec();
        mba.push(MACROBLOCK_ESCAPE);
        mba.push("00000001111"); // macroblock_stuffing
        assert_prefix_free("macroblock_address_increment", &mba);
        assert_prefix_free("dct_dc_size_luminance", &DCT_DC_SIZE_LUMINANCE);
        assert_prefix_free("dct_dc_size_chrominance", &DCT_DC_SIZE_CHROMINANCE);
        let motion: Vec<String> = (-16..=16).map(motion_code).collect();
        let motion: Vec<&str> = motion.iter().map(String::as_str).collect();
        assert_prefix_free("motion_code", &motion);
        use macroblock_type::{P_CODED, P_INTRA, P_MC_CODED, P_MC_NOT_CODED};
        assert_prefix_free(
            "macroblock_type (P)",
            &[P_MC_CODED, P_CODED, P_MC_NOT_CODED, P_INTRA],
        );
    }

    #[test]
    fn dc_differentials_follow_the_decoding_rule() {
        // Decode as 2.4.3.7 says and check the round trip for every representable difference.
        for diff in -255..=255 {
            let size = dc_size(diff);
            let bits = dc_differential_bits(diff);
            let decoded = if size == 0 {
                0
            } else if bits & (1 << (size - 1)) != 0 {
                bits as i32
            } else {
                (-1_i32 << size) | (bits as i32 + 1)
            };
            assert_eq!(decoded, diff, "size {size} bits {bits:b}");
        }
        assert_eq!(dc_size(255), 8);
        assert_eq!(dc_size(-128), 8);
    }
}
