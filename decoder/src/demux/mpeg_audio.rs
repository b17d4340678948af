//! MPEG audio frame headers (ISO/IEC 11172-3, 13818-3 and the "MPEG 2.5" extension), read just
//! far enough to recognise a raw audio stream and find the next frame.

/// The MPEG audio version of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// MPEG-1 (32, 44.1, 48 kHz).
    Mpeg1,
    /// MPEG-2 low sampling frequencies (16, 22.05, 24 kHz).
    Mpeg2,
    /// The unofficial MPEG 2.5 extension (8, 11.025, 12 kHz).
    Mpeg25,
}

/// The fields of a frame header that identify the stream and size the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// The MPEG version.
    pub version: Version,
    /// Layer I, II or III.
    pub layer: u8,
    /// Sampling frequency in Hz.
    pub sample_rate: u32,
    /// Bytes from this header to the next.
    pub frame_len: usize,
}

/// Bit rates in kbit/s by bitrate_index 1..=14, for MPEG-1 layers I, II, III.
const MPEG1_BITRATES: [[u16; 14]; 3] = [
    [
        32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ],
    [
        32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ],
    [
        32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ],
];
/// Bit rates in kbit/s by bitrate_index 1..=14, for MPEG-2/2.5 layer I, then layers II and III.
const MPEG2_BITRATES: [[u16; 14]; 2] = [
    [
        32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
/// MPEG-1 sampling frequencies by sampling_frequency index 0..=2.
const MPEG1_SAMPLE_RATES: [u32; 3] = [44_100, 48_000, 32_000];

/// Reads a frame header from the first 4 bytes of `bytes`. `None` when they are not one: no
/// 11-bit sync, reserved version or layer, a bad bitrate or sampling-frequency index, or the
/// free-format bitrate (whose frame length cannot be computed from the header).
pub(crate) fn parse_frame_header(bytes: &[u8]) -> Option<FrameHeader> {
    let &[b0, b1, b2, _, ..] = bytes else {
        return None;
    };
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = match (b1 >> 3) & 0x03 {
        0b00 => Version::Mpeg25,
        0b10 => Version::Mpeg2,
        0b11 => Version::Mpeg1,
        _ => return None,
    };
    let layer = match (b1 >> 1) & 0x03 {
        0b11 => 1,
        0b10 => 2,
        0b01 => 3,
        _ => return None,
    };
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0x03);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let bitrates = match (version, layer) {
        (Version::Mpeg1, _) => &MPEG1_BITRATES[usize::from(layer - 1)],
        (_, 1) => &MPEG2_BITRATES[0],
        _ => &MPEG2_BITRATES[1],
    };
    let bitrate = u32::from(bitrates[bitrate_index - 1]) * 1000;
    let sample_rate = MPEG1_SAMPLE_RATES[rate_index]
        >> match version {
            Version::Mpeg1 => 0,
            Version::Mpeg2 => 1,
            Version::Mpeg25 => 2,
        };
    let padding = u32::from((b2 >> 1) & 0x01);
    let frame_len = match (layer, version) {
        // 384 samples per frame, counted in 4-byte slots.
        (1, _) => (12 * bitrate / sample_rate + padding) * 4,
        // 1152 samples per frame (576 for layer III at low sampling frequencies).
        (3, Version::Mpeg2 | Version::Mpeg25) => 72 * bitrate / sample_rate + padding,
        _ => 144 * bitrate / sample_rate + padding,
    };
    Some(FrameHeader {
        version,
        layer,
        sample_rate,
        frame_len: frame_len as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_headers() {
        // MPEG-1 layer II, 128 kbit/s, 48 kHz.
        let header = parse_frame_header(&[0xFF, 0xFD, 0x84, 0x00]).unwrap();
        assert_eq!(
            header,
            FrameHeader {
                version: Version::Mpeg1,
                layer: 2,
                sample_rate: 48_000,
                frame_len: 384
            }
        );
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, padded.
        assert_eq!(
            parse_frame_header(&[0xFF, 0xFB, 0x92, 0x00])
                .unwrap()
                .frame_len,
            418
        );
        // MPEG-1 layer I, 32 kbit/s, 32 kHz.
        assert_eq!(
            parse_frame_header(&[0xFF, 0xFF, 0x18, 0x00])
                .unwrap()
                .frame_len,
            48
        );
        // MPEG-2 layer III, 64 kbit/s, 22.05 kHz.
        let header = parse_frame_header(&[0xFF, 0xF3, 0x80, 0x00]).unwrap();
        assert_eq!((header.sample_rate, header.frame_len), (22_050, 208));
        // MPEG 2.5 layer III, 8 kbit/s, 8 kHz.
        let header = parse_frame_header(&[0xFF, 0xE3, 0x18, 0x00]).unwrap();
        assert_eq!(
            (header.version, header.sample_rate, header.frame_len),
            (Version::Mpeg25, 8_000, 72)
        );
    }

    #[test]
    fn rejects_invalid_headers() {
        for bytes in [
            [0xFF, 0xFD, 0xF4, 0x00], // bitrate index 15
            [0xFF, 0xFD, 0x8C, 0x00], // sampling frequency index 3
            [0xFF, 0xF9, 0x84, 0x00], // layer 0 (reserved)
            [0xFF, 0xED, 0x84, 0x00], // version 01 (reserved)
            [0xFF, 0xFD, 0x04, 0x00], // free format
            [0xFF, 0x1D, 0x84, 0x00], // sync too short
            [0xFE, 0xFD, 0x84, 0x00],
        ] {
            assert_eq!(parse_frame_header(&bytes), None, "{bytes:02x?}");
        }
        assert_eq!(parse_frame_header(&[0xFF, 0xFD, 0x84]), None);
    }
}
