//! MPEG audio frame headers (ISO/IEC 11172-3 2.4.2.3, ISO/IEC 13818-3 2.4.2.3).

use crate::error::Error;

use super::tables::{BITRATES_LSF, BITRATES_MPEG1, SAMPLE_RATES};

/// MPEG audio version (the header's ID bit, and the MPEG-2.5 extension's sync).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// MPEG-1 (ISO/IEC 11172-3): 32, 44.1 and 48 kHz.
    Mpeg1,
    /// MPEG-2 low sampling frequencies (ISO/IEC 13818-3): 16, 22.05 and 24 kHz.
    Mpeg2Lsf,
}

/// The audio layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Layer I (384 samples per frame).
    I,
    /// Layer II (1152 samples per frame; 'MP2').
    II,
    /// Layer III ('MP3'; recognised, not decoded).
    III,
}

/// The channel mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    /// Two channels coded independently.
    Stereo,
    /// Stereo with intensity coding of the subbands from `bound` up.
    JointStereo {
        /// First subband coded as intensity stereo (4, 8, 12 or 16, from mode_extension).
        bound: u8,
    },
    /// Two independent mono programmes.
    DualChannel,
    /// One channel.
    Mono,
}

/// A parsed and validated frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// MPEG-1 or MPEG-2 LSF.
    pub version: Version,
    /// Layer I, II or III.
    pub layer: Layer,
    /// True when a CRC-16 follows the header (protection_bit = 0).
    pub has_crc: bool,
    /// Bit rate in kbit/s (0 for free format).
    pub bitrate_kbps: u32,
    /// Sampling frequency in Hz.
    pub sample_rate: u32,
    /// padding_bit.
    pub padding: bool,
    /// Channel mode (with the intensity bound for joint stereo).
    pub mode: ChannelMode,
    /// copyright bit.
    pub copyright: bool,
    /// original/copy bit.
    pub original: bool,
    /// emphasis (0 none, 1 50/15 µs, 3 CCITT J.17).
    pub emphasis: u8,
    /// private_bit (no meaning to the decoder).
    pub private: bool,
    /// mode_extension as coded (for Layers I and II it gives the intensity bound of joint
    /// stereo; in Layer III it switches intensity and M/S stereo).
    pub mode_extension: u8,
}

/// The length of a frame header in bytes.
pub const HEADER_BYTES: usize = 4;

impl FrameHeader {
    /// Parses and validates the 4-byte header at the start of `bytes`: a 12-bit sync word, a
    /// layer other than the reserved `00`, `bitrate_index` other than 15, `sampling_frequency`
    /// other than 3 and `emphasis` other than 2. The sync word `1111 1111 111x` of the
    /// unofficial "MPEG 2.5" extension (ID bits `00`) is rejected as not a sync word.
    pub fn parse(bytes: &[u8]) -> Result<FrameHeader, Error> {
        let &[b0, b1, b2, b3, ..] = bytes else {
            return Err(Error::UnexpectedEnd);
        };
        if b0 != 0xFF || b1 & 0xF0 != 0xF0 {
            return Err(Error::InvalidData("MPEG audio: no frame sync word"));
        }
        let version = if b1 & 0x08 != 0 {
            Version::Mpeg1
        } else {
            Version::Mpeg2Lsf
        };
        let layer = match (b1 >> 1) & 0x03 {
            0b11 => Layer::I,
            0b10 => Layer::II,
            0b01 => Layer::III,
            _ => return Err(Error::InvalidData("MPEG audio: reserved layer")),
        };
        let has_crc = b1 & 0x01 == 0;
        let bitrate_index = usize::from(b2 >> 4);
        if bitrate_index == 15 {
            return Err(Error::InvalidData("MPEG audio: forbidden bitrate_index 15"));
        }
        let rate_index = usize::from((b2 >> 2) & 0x03);
        if rate_index == 3 {
            return Err(Error::InvalidData(
                "MPEG audio: reserved sampling_frequency",
            ));
        }
        let emphasis = b3 & 0x03;
        if emphasis == 2 {
            return Err(Error::InvalidData("MPEG audio: reserved emphasis"));
        }
        let (bitrates, rates) = match (version, layer) {
            (Version::Mpeg1, Layer::I) => (&BITRATES_MPEG1[0], &SAMPLE_RATES[0]),
            (Version::Mpeg1, Layer::II) => (&BITRATES_MPEG1[1], &SAMPLE_RATES[0]),
            (Version::Mpeg1, Layer::III) => (&BITRATES_MPEG1[2], &SAMPLE_RATES[0]),
            (Version::Mpeg2Lsf, Layer::I) => (&BITRATES_LSF[0], &SAMPLE_RATES[1]),
            (Version::Mpeg2Lsf, _) => (&BITRATES_LSF[1], &SAMPLE_RATES[1]),
        };
        let mode_extension = (b3 >> 4) & 0x03;
        let mode = match b3 >> 6 {
            0 => ChannelMode::Stereo,
            1 => ChannelMode::JointStereo {
                bound: 4 * (mode_extension + 1),
            },
            2 => ChannelMode::DualChannel,
            _ => ChannelMode::Mono,
        };
        Ok(FrameHeader {
            version,
            layer,
            has_crc,
            bitrate_kbps: u32::from(bitrates[bitrate_index]),
            sample_rate: rates[rate_index],
            padding: b2 & 0x02 != 0,
            mode,
            copyright: b3 & 0x08 != 0,
            original: b3 & 0x04 != 0,
            emphasis,
            private: b2 & 0x01 != 0,
            mode_extension,
        })
    }

    /// True for the free-format bit rate (`bitrate_index` 0): the frame length is not coded and
    /// has to be found from the distance between frames.
    pub fn is_free_format(&self) -> bool {
        self.bitrate_kbps == 0
    }

    /// Number of channels: 1 for mono, 2 for the other modes.
    pub fn channels(&self) -> u8 {
        if self.mode == ChannelMode::Mono {
            1
        } else {
            2
        }
    }

    /// Samples per channel in one frame: 384 for Layer I, 1152 for Layer II, and 1152 or (at the
    /// low sampling frequencies) 576 for Layer III.
    pub fn samples_per_frame(&self) -> usize {
        match (self.layer, self.version) {
            (Layer::I, _) => 384,
            (Layer::III, Version::Mpeg2Lsf) => 576,
            _ => 1152,
        }
    }

    /// Bytes per slot: 4 for Layer I, 1 otherwise (padding adds one slot).
    pub fn slot_bytes(&self) -> usize {
        if self.layer == Layer::I {
            4
        } else {
            1
        }
    }

    /// Bytes added to this frame by its padding bit.
    pub fn padding_bytes(&self) -> usize {
        if self.padding {
            self.slot_bytes()
        } else {
            0
        }
    }

    /// The frame length in bytes, header included (ISO/IEC 11172-3 2.4.3.1): for Layer I
    /// `(12 * bitrate / sampling_frequency + padding) * 4`, for Layer II
    /// `144 * bitrate / sampling_frequency + padding` (also at the low sampling frequencies),
    /// for Layer III `144` (`72` at low sampling frequencies) `* bitrate / sampling_frequency +
    /// padding`. `None` for free format.
    pub fn frame_length(&self) -> Option<usize> {
        if self.is_free_format() {
            return None;
        }
        Some(self.frame_length_at(self.bitrate_kbps * 1000))
    }

    /// The frame length this header would have at `bitrate` bit/s.
    fn frame_length_at(&self, bitrate: u32) -> usize {
        let rate = u64::from(self.sample_rate.max(1));
        let slots_per_bit_rate: u64 = match (self.layer, self.version) {
            (Layer::I, _) => 12,
            (Layer::III, Version::Mpeg2Lsf) => 72,
            _ => 144,
        };
        let slots = slots_per_bit_rate * u64::from(bitrate) / rate;
        (slots as usize + usize::from(self.padding)) * self.slot_bytes()
    }

    /// True when `next` can follow this header in the same stream: same version, layer and
    /// sampling frequency, and both free format or neither.
    pub fn is_compatible(&self, next: &FrameHeader) -> bool {
        self.version == next.version
            && self.layer == next.layer
            && self.sample_rate == next.sample_rate
            && self.is_free_format() == next.is_free_format()
    }

    /// The first subband of intensity stereo for Layers I and II (`sblimit`-independent): the
    /// bound of joint stereo, 32 for every other mode.
    pub fn intensity_bound(&self) -> usize {
        match self.mode {
            ChannelMode::JointStereo { bound } => usize::from(bound),
            _ => 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: [u8; 4]) -> Result<FrameHeader, Error> {
        FrameHeader::parse(&bytes)
    }

    #[test]
    fn parses_every_field() {
        // FFFD: MPEG-1, Layer II, no CRC. A4: 192 kbit/s (index 10), 48 kHz (1), no padding.
        // 5C: joint stereo, mode_extension 1 (bound 8), copyright, original, emphasis 0.
        let h = parse([0xFF, 0xFD, 0xA4, 0x5C]).unwrap();
        assert_eq!(h.version, Version::Mpeg1);
        assert_eq!(h.layer, Layer::II);
        assert!(!h.has_crc);
        assert_eq!(h.bitrate_kbps, 192);
        assert_eq!(h.sample_rate, 48_000);
        assert!(!h.padding);
        assert_eq!(h.mode, ChannelMode::JointStereo { bound: 8 });
        assert_eq!(h.mode_extension, 1);
        assert!(h.copyright && h.original && !h.private);
        assert_eq!(h.emphasis, 0);
        assert_eq!(h.channels(), 2);
        assert_eq!(h.frame_length(), Some(576));
        assert_eq!(h.samples_per_frame(), 1152);

        // FFFE: MPEG-1 Layer I with CRC; CB: 384 kbit/s (index 12), 32 kHz (2), padding,
        // private. Mode dual channel, emphasis 50/15 µs.
        let h = parse([0xFF, 0xFE, 0xCB, 0x81]).unwrap();
        assert_eq!((h.layer, h.has_crc, h.bitrate_kbps), (Layer::I, true, 384));
        assert_eq!((h.sample_rate, h.padding, h.private), (32_000, true, true));
        assert_eq!((h.mode, h.emphasis), (ChannelMode::DualChannel, 1));
        // (12 * 384000 / 32000 + 1) * 4 = (144 + 1) * 4.
        assert_eq!(h.frame_length(), Some(580));
        assert_eq!(h.samples_per_frame(), 384);

        // Joint stereo bounds 4, 8, 12, 16; mono; stereo.
        for (ext, bound) in [(0u8, 4u8), (1, 8), (2, 12), (3, 16)] {
            let h = parse([0xFF, 0xFD, 0xA4, 0x40 | (ext << 4)]).unwrap();
            assert_eq!(h.mode, ChannelMode::JointStereo { bound });
        }
        assert_eq!(
            parse([0xFF, 0xFD, 0xA4, 0xC0]).unwrap().mode,
            ChannelMode::Mono
        );
        assert_eq!(parse([0xFF, 0xFD, 0xA4, 0xC0]).unwrap().channels(), 1);
        assert_eq!(
            parse([0xFF, 0xFD, 0xA4, 0x00]).unwrap().mode,
            ChannelMode::Stereo
        );
        assert_eq!(parse([0xFF, 0xFD, 0xA4, 0x03]).unwrap().emphasis, 3);
    }

    #[test]
    fn low_sampling_frequencies() {
        // FFF5: ID 0 (MPEG-2 LSF), Layer II, no CRC. 0x84: index 8 = 64 kbit/s, 22.05 kHz.
        let h = parse([0xFF, 0xF5, 0x80, 0xC0]).unwrap();
        assert_eq!(h.version, Version::Mpeg2Lsf);
        assert_eq!((h.bitrate_kbps, h.sample_rate), (64, 22_050));
        // 144 * 64000 / 22050 = 417.96...
        assert_eq!(h.frame_length(), Some(417));
        assert_eq!(h.samples_per_frame(), 1152);
        let h = parse([0xFF, 0xF5, 0x14, 0xC0]).unwrap();
        assert_eq!((h.bitrate_kbps, h.sample_rate), (8, 24_000));
        assert_eq!(h.frame_length(), Some(48));
        let h = parse([0xFF, 0xF5, 0xE8, 0xC0]).unwrap();
        assert_eq!((h.bitrate_kbps, h.sample_rate), (160, 16_000));
        assert_eq!(h.frame_length(), Some(1440));
        // LSF Layer I: index 14 = 256 kbit/s at 24 kHz: 12 * 256000 / 24000 = 128 slots.
        let h = parse([0xFF, 0xF7, 0xE4, 0xC0]).unwrap();
        assert_eq!((h.layer, h.bitrate_kbps), (Layer::I, 256));
        assert_eq!(h.frame_length(), Some(512));
        // LSF Layer III: 576 samples, 72 * bitrate / rate.
        let h = parse([0xFF, 0xF3, 0x80, 0xC0]).unwrap();
        assert_eq!(
            (h.layer, h.samples_per_frame(), h.frame_length()),
            (Layer::III, 576, Some(208))
        );
    }

    #[test]
    fn frame_lengths() {
        // Layer II 128 kbit/s 44.1 kHz: 144 * 128000 / 44100 = 417.96 -> 417, padded 418.
        assert_eq!(
            parse([0xFF, 0xFD, 0x80, 0x00]).unwrap().frame_length(),
            Some(417)
        );
        assert_eq!(
            parse([0xFF, 0xFD, 0x82, 0x00]).unwrap().frame_length(),
            Some(418)
        );
        // Layer II 384 kbit/s 48 kHz: 1152; 32 kbit/s 32 kHz: 144.
        assert_eq!(
            parse([0xFF, 0xFD, 0xE4, 0x00]).unwrap().frame_length(),
            Some(1152)
        );
        assert_eq!(
            parse([0xFF, 0xFD, 0x18, 0xC0]).unwrap().frame_length(),
            Some(144)
        );
        // Layer I 32 kbit/s 48 kHz: 8 slots = 32 bytes; 448 kbit/s 44.1 kHz padded:
        // (12 * 448000 / 44100 = 121.9 -> 121, + 1) * 4 = 488.
        assert_eq!(
            parse([0xFF, 0xFF, 0x14, 0x00]).unwrap().frame_length(),
            Some(32)
        );
        assert_eq!(
            parse([0xFF, 0xFF, 0xE2, 0x00]).unwrap().frame_length(),
            Some(488)
        );
        // Layer III 128 kbit/s 44.1 kHz padded: 418 as well.
        assert_eq!(
            parse([0xFF, 0xFB, 0x92, 0x00]).unwrap().frame_length(),
            Some(418)
        );
        // Free format has no coded length.
        let h = parse([0xFF, 0xFD, 0x04, 0x00]).unwrap();
        assert!(h.is_free_format());
        assert_eq!(h.frame_length(), None);
    }

    #[test]
    fn rejects_each_invalid_field() {
        let invalid = |bytes: [u8; 4], what: &str| {
            let err = parse(bytes).unwrap_err();
            assert!(
                matches!(err, Error::InvalidData(m) if m.contains(what)),
                "{bytes:02X?}: {err:?}"
            );
        };
        // Sync: first byte, then the 4 sync bits of the second byte (MPEG 2.5 has 0xE_).
        invalid([0xFE, 0xFD, 0xA4, 0x00], "sync");
        invalid([0xFF, 0xE5, 0xA4, 0x00], "sync");
        invalid([0xFF, 0x7D, 0xA4, 0x00], "sync");
        // Layer bits 00.
        invalid([0xFF, 0xF9, 0xA4, 0x00], "layer");
        invalid([0xFF, 0xF1, 0xA4, 0x00], "layer");
        // bitrate_index 15.
        invalid([0xFF, 0xFD, 0xF4, 0x00], "bitrate");
        invalid([0xFF, 0xF5, 0xF4, 0x00], "bitrate");
        // sampling_frequency 3.
        invalid([0xFF, 0xFD, 0xAC, 0x00], "sampling");
        invalid([0xFF, 0xF5, 0xAC, 0x00], "sampling");
        // emphasis 2.
        invalid([0xFF, 0xFD, 0xA4, 0x02], "emphasis");
        // Too short.
        assert_eq!(
            FrameHeader::parse(&[0xFF, 0xFD, 0xA4]),
            Err(Error::UnexpectedEnd)
        );
    }

    #[test]
    fn compatibility() {
        let a = parse([0xFF, 0xFD, 0xA4, 0x00]).unwrap();
        // Bit rate, padding and mode may change from frame to frame.
        assert!(a.is_compatible(&parse([0xFF, 0xFD, 0x86, 0xC0]).unwrap()));
        // Sampling frequency, layer, version and free format may not.
        assert!(!a.is_compatible(&parse([0xFF, 0xFD, 0xA0, 0x00]).unwrap()));
        assert!(!a.is_compatible(&parse([0xFF, 0xFF, 0xA4, 0x00]).unwrap()));
        assert!(!a.is_compatible(&parse([0xFF, 0xF5, 0xA4, 0x00]).unwrap()));
        assert!(!a.is_compatible(&parse([0xFF, 0xFD, 0x04, 0x00]).unwrap()));
    }
}
