//! MPEG audio frame headers (ISO/IEC 11172-3 2.4.2.3, ISO/IEC 13818-3 2.4.2.3).

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
}
