//! MPEG audio (Layer I and II) frame headers and side information, read for the tests directly
//! from ISO/IEC 11172-3 (2.4.1, 2.4.2, Annex B tables 3-B.1 and 3-B.2a-d) and ISO/IEC 13818-3
//! (lower sampling frequencies, Table B.1). Independent of wasmpeg: the tests use it to say what
//! a stream contains (how many frames, which modes, whether intensity stereo is really used,
//! whether the CRCs are right) and where each frame lies, to know which frames damage touched.

use std::fmt;

/// A frame header (the 32 bits after the sync word's start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// ID bit 0: MPEG-2 lower sampling frequencies (ISO/IEC 13818-3).
    pub lsf: bool,
    /// 1, 2 or 3.
    pub layer: u8,
    /// protection_bit = 0: a CRC-16 follows the header.
    pub has_crc: bool,
    /// kbit/s; 0 for free format.
    pub bitrate_kbps: u32,
    /// Hz.
    pub sample_rate: u32,
    /// padding_bit.
    pub padding: bool,
    /// 0 stereo, 1 joint stereo, 2 dual channel, 3 single channel.
    pub mode: u8,
    /// mode_extension (the intensity bound in joint stereo, Layers I and II).
    pub mode_extension: u8,
    /// copyright.
    pub copyright: bool,
    /// original/copy.
    pub original: bool,
    /// emphasis.
    pub emphasis: u8,
}

/// Bit rates in kbit/s by bitrate_index (1..=14): MPEG-1 Layer I, Layer II, Layer III.
const BITRATES_MPEG1: [[u32; 14]; 3] = [
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
/// ISO/IEC 13818-3: Layer I, then Layers II and III.
const BITRATES_LSF: [[u32; 14]; 2] = [
    [
        32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

impl Header {
    /// Parses the 4 header bytes at the start of `b`. `None` if there is no sync word or a
    /// field has a reserved value (also for the unofficial "MPEG 2.5", which is out of scope).
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < 4 || b[0] != 0xFF || b[1] & 0xF0 != 0xF0 {
            return None;
        }
        let lsf = b[1] & 0x08 == 0;
        let layer = match (b[1] >> 1) & 3 {
            0 => return None,
            l => 4 - l,
        };
        let has_crc = b[1] & 1 == 0;
        let bitrate_index = usize::from(b[2] >> 4);
        if bitrate_index == 15 {
            return None;
        }
        let bitrate_kbps = if bitrate_index == 0 {
            0
        } else if lsf {
            BITRATES_LSF[usize::from(layer != 1)][bitrate_index - 1]
        } else {
            BITRATES_MPEG1[usize::from(layer) - 1][bitrate_index - 1]
        };
        let base = match (b[2] >> 2) & 3 {
            0 => 44_100,
            1 => 48_000,
            2 => 32_000,
            _ => return None,
        };
        let emphasis = b[3] & 3;
        if emphasis == 2 {
            return None;
        }
        Some(Header {
            lsf,
            layer,
            has_crc,
            bitrate_kbps,
            sample_rate: if lsf { base / 2 } else { base },
            padding: b[2] & 2 != 0,
            mode: b[3] >> 6,
            mode_extension: (b[3] >> 4) & 3,
            copyright: b[3] & 8 != 0,
            original: b[3] & 4 != 0,
            emphasis,
        })
    }

    /// 1 for single channel, else 2.
    pub fn channels(&self) -> usize {
        if self.mode == 3 {
            1
        } else {
            2
        }
    }

    /// Samples per channel in a frame.
    pub fn samples_per_frame(&self) -> usize {
        match (self.layer, self.lsf) {
            (1, _) => 384,
            (3, true) => 576,
            _ => 1152,
        }
    }

    /// The frame length in bytes including the header; `None` for free format.
    pub fn frame_len(&self) -> Option<usize> {
        if self.bitrate_kbps == 0 {
            return None;
        }
        let bits_per_second = self.bitrate_kbps as usize * 1000;
        let rate = self.sample_rate as usize;
        let pad = usize::from(self.padding);
        Some(match self.layer {
            1 => (12 * bits_per_second / rate + pad) * 4,
            3 if self.lsf => 72 * bits_per_second / rate + pad,
            _ => 144 * bits_per_second / rate + pad,
        })
    }

    /// The first subband coded as intensity stereo (32: none).
    pub fn bound(&self) -> usize {
        if self.mode == 1 {
            4 * (usize::from(self.mode_extension) + 1)
        } else {
            32
        }
    }

    /// Short description of the channel mode, e.g. "joint stereo (bound 8)".
    pub fn mode_name(&self) -> String {
        match self.mode {
            0 => "stereo".into(),
            1 => format!("joint stereo (bound {})", self.bound()),
            2 => "dual channel".into(),
            _ => "mono".into(),
        }
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Layer {} {} Hz {} kbit/s {}{}",
            if self.lsf { "MPEG-2 LSF" } else { "MPEG-1" },
            "I".repeat(usize::from(self.layer)),
            self.sample_rate,
            self.bitrate_kbps,
            self.mode_name(),
            if self.has_crc { " CRC" } else { "" }
        )
    }
}

/// One frame of an elementary stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// Byte offset of the header.
    pub offset: usize,
    /// Length in bytes, header included.
    pub len: usize,
    /// The parsed header.
    pub header: Header,
}

impl FrameInfo {
    /// The byte range of the frame.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// The frames of a clean elementary stream, which must tile `es` exactly from its first byte
/// (fixed bit rate frames, no junk); `Err` says where that fails.
pub fn frames_strict(es: &[u8]) -> Result<Vec<FrameInfo>, String> {
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos < es.len() {
        let header = Header::parse(&es[pos..])
            .ok_or_else(|| format!("no valid frame header at byte {pos}"))?;
        let len = header
            .frame_len()
            .ok_or_else(|| format!("free-format frame at byte {pos}"))?;
        if pos + len > es.len() {
            return Err(format!(
                "frame at byte {pos} ({len} bytes) runs past the end ({} bytes)",
                es.len()
            ));
        }
        frames.push(FrameInfo {
            offset: pos,
            len,
            header,
        });
        pos += len;
    }
    Ok(frames)
}

/// The frames of a stream that may contain junk: a header is accepted when the stream ends or
/// another header follows at its frame length; other bytes are skipped one at a time.
/// Free-format frames are not found.
pub fn frames_lenient(es: &[u8]) -> Vec<FrameInfo> {
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos + 4 <= es.len() {
        let found = Header::parse(&es[pos..]).and_then(|header| {
            let len = header.frame_len()?;
            let end = pos + len;
            let next_ok = end == es.len() || Header::parse(&es[end.min(es.len())..]).is_some();
            (end <= es.len() && next_ok).then_some(FrameInfo {
                offset: pos,
                len,
                header,
            })
        });
        match found {
            Some(f) => {
                pos += f.len;
                frames.push(f);
            }
            None => pos += 1,
        }
    }
    frames
}

/// The frame containing byte `offset`, if any.
pub fn frame_at(frames: &[FrameInfo], offset: usize) -> Option<usize> {
    frames.iter().position(|f| f.range().contains(&offset))
}

// --- Side information ---------------------------------------------------------------------------

/// Number of bits of each subband's allocation field in a Layer II frame (`nbal`), from the
/// table that the sampling frequency and bit rate per channel select (ISO/IEC 11172-3
/// 2.4.3.3.1 and Tables 3-B.2a-d; ISO/IEC 13818-3 Table B.1). The length is `sblimit`.
pub fn layer2_nbal(h: &Header) -> &'static [u8] {
    const A: [u8; 27] = [
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2,
    ];
    const B: [u8; 30] = [
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2,
    ];
    const C: [u8; 8] = [4, 4, 3, 3, 3, 3, 3, 3];
    const D: [u8; 12] = [4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
    const LSF: [u8; 30] = [
        4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    ];
    if h.lsf {
        return &LSF;
    }
    let per_channel = h.bitrate_kbps / h.channels() as u32;
    match (h.sample_rate, per_channel) {
        // Free format: the standard's tables list it with the high rates.
        (48_000, 0 | 56..) | (_, 56..=80) => &A,
        (44_100 | 32_000, 0 | 96..) => &B,
        (48_000 | 44_100, _) => &C,
        _ => &D,
    }
}

/// What the side information of a Layer I or II frame says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideInfo {
    /// `allocation[ch][sb]` for `sb < sblimit` (the raw allocation codes; 0 = no samples).
    pub allocation: Vec<Vec<u8>>,
    /// True when a subband at or above the intensity bound has samples (joint stereo only).
    pub intensity_used: bool,
    /// `Some(true/false)` when the frame has a CRC: whether it matches.
    pub crc_ok: Option<bool>,
}

/// An MSB-first reader over a byte slice (reads past the end give zeros and set `overrun`).
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    overrun: bool,
}

impl BitReader<'_> {
    fn get(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            let byte = self.pos / 8;
            let bit = if byte < self.data.len() {
                u32::from(self.data[byte] >> (7 - self.pos % 8)) & 1
            } else {
                self.overrun = true;
                0
            };
            v = (v << 1) | bit;
            self.pos += 1;
        }
        v
    }
}

/// CRC-16 of ISO/IEC 11172-3 2.4.3.1 (generator x^16 + x^15 + x^2 + 1, register preset to all
/// ones) over `nbits` bits of `data` starting at bit `start`.
pub fn crc16(data: &[u8], start: usize, nbits: usize) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for i in start..start + nbits {
        let bit = u16::from(data[i / 8] >> (7 - i % 8)) & 1;
        let top = crc >> 15;
        crc <<= 1;
        if top ^ bit != 0 {
            crc ^= 0x8005;
        }
    }
    crc
}

/// Reads the allocation (and, for Layer II, scfsi) of a Layer I or II frame and checks its CRC.
/// `frame` starts at the header. `None` for Layer III or a frame too short for its side
/// information.
pub fn side_info(frame: &[u8]) -> Option<SideInfo> {
    let h = Header::parse(frame)?;
    let channels = h.channels();
    let bound = h.bound();
    let start = if h.has_crc { 48 } else { 32 };
    let mut r = BitReader {
        data: frame,
        pos: start,
        overrun: false,
    };
    let (sblimit, nbal): (usize, Vec<u8>) = match h.layer {
        1 => (32, vec![4; 32]),
        2 => {
            let t = layer2_nbal(&h);
            (t.len(), t.to_vec())
        }
        _ => return None,
    };
    let mut allocation = vec![vec![0u8; sblimit]; channels];
    for sb in 0..sblimit {
        let bits = u32::from(nbal[sb]);
        if sb < bound {
            for ch in &mut allocation {
                ch[sb] = r.get(bits) as u8;
            }
        } else {
            let a = r.get(bits) as u8;
            for ch in &mut allocation {
                ch[sb] = a;
            }
        }
    }
    if h.layer == 2 {
        // scfsi: 2 bits for every channel and subband with samples.
        for sb in 0..sblimit {
            for ch in &allocation {
                if ch[sb] != 0 {
                    r.get(2);
                }
            }
        }
    }
    if r.overrun {
        return None;
    }
    let intensity_used = h.mode == 1 && (bound..sblimit).any(|sb| allocation[0][sb] != 0);
    let crc_ok = h.has_crc.then(|| {
        // Covered: the last 16 bits of the header, then the side information up to here.
        let mut covered = frame[2..4].to_vec();
        let side_bits = r.pos - 48;
        covered.extend_from_slice(&frame[6..6 + side_bits.div_ceil(8)]);
        let stored = u16::from_be_bytes([frame[4], frame[5]]);
        crc16(&covered, 0, 16 + side_bits) == stored
    });
    Some(SideInfo {
        allocation,
        intensity_used,
        crc_ok,
    })
}

/// A summary of a whole elementary stream's frames.
#[derive(Clone, Debug, Default)]
pub struct StreamSummary {
    /// Number of frames.
    pub frames: usize,
    /// Frames per channel-mode description (see [`Header::mode_name`]).
    pub modes: std::collections::BTreeMap<String, usize>,
    /// Joint-stereo frames in which a subband at or above the bound has samples.
    pub intensity_frames: usize,
    /// Frames with a CRC, and how many of those match.
    pub crc_frames: usize,
    /// CRCs that match.
    pub crc_ok: usize,
    /// Frames with padding_bit set.
    pub padded: usize,
    /// The sampling frequencies seen, in order of appearance.
    pub sample_rates: Vec<u32>,
}

impl StreamSummary {
    /// One line for test output.
    pub fn describe(&self) -> String {
        format!(
            "{} frames, modes {:?}, {} with intensity stereo in use, {} padded, CRC {}/{} ok",
            self.frames,
            self.modes,
            self.intensity_frames,
            self.padded,
            self.crc_ok,
            self.crc_frames
        )
    }
}

/// Summarises the frames of a stream.
pub fn summarise(es: &[u8], frames: &[FrameInfo]) -> StreamSummary {
    let mut s = StreamSummary {
        frames: frames.len(),
        ..StreamSummary::default()
    };
    for f in frames {
        *s.modes.entry(f.header.mode_name()).or_default() += 1;
        s.padded += usize::from(f.header.padding);
        if !s.sample_rates.contains(&f.header.sample_rate) {
            s.sample_rates.push(f.header.sample_rate);
        }
        if let Some(side) = side_info(&es[f.range()]) {
            s.intensity_frames += usize::from(side.intensity_used);
            if let Some(ok) = side.crc_ok {
                s.crc_frames += 1;
                s.crc_ok += usize::from(ok);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_frame_lengths() {
        // MPEG-1 Layer II, 128 kbit/s, 44.1 kHz, padded, joint stereo bound 8, no CRC.
        let h = Header::parse(&[0xFF, 0xFD, 0x82, 0x54]).expect("valid");
        assert_eq!((h.lsf, h.layer, h.has_crc), (false, 2, false));
        assert_eq!(
            (h.bitrate_kbps, h.sample_rate, h.padding),
            (128, 44_100, true)
        );
        assert_eq!((h.mode, h.bound(), h.channels()), (1, 8, 2));
        assert_eq!(h.frame_len(), Some(418));
        // Layer I 384 kbit/s 48 kHz: 12 * 384000 / 48000 = 96 slots of 4 bytes.
        let h = Header::parse(&[0xFF, 0xFE, 0xC4, 0xC0]).expect("valid");
        assert_eq!((h.layer, h.bitrate_kbps, h.sample_rate), (1, 384, 48_000));
        assert_eq!(h.frame_len(), Some(384));
        // MPEG-2 LSF Layer II 64 kbit/s 24 kHz: 144 * 64000 / 24000 = 384.
        let h = Header::parse(&[0xFF, 0xF4, 0x84, 0x00]).expect("valid");
        assert_eq!((h.lsf, h.layer, h.has_crc), (true, 2, true));
        assert_eq!((h.bitrate_kbps, h.sample_rate), (64, 24_000));
        assert_eq!(h.frame_len(), Some(384));
        assert_eq!(layer2_nbal(&h).len(), 30);
        // Reserved values.
        assert!(
            Header::parse(&[0xFF, 0xF9, 0xF0, 0x00]).is_none(),
            "layer 00"
        );
        assert!(
            Header::parse(&[0xFF, 0xFD, 0xF0, 0x00]).is_none(),
            "bitrate 15"
        );
        assert!(Header::parse(&[0xFF, 0xFD, 0x9C, 0x00]).is_none(), "rate 3");
        assert!(
            Header::parse(&[0xFF, 0xE5, 0x90, 0x00]).is_none(),
            "MPEG 2.5"
        );
    }

    #[test]
    fn layer2_table_selection() {
        let table = |rate_bits: u8, bitrate_index: u8, mode: u8| {
            let h = Header::parse(&[
                0xFF,
                0xFD,
                (bitrate_index << 4) | (rate_bits << 2),
                mode << 6,
            ])
            .expect("valid");
            layer2_nbal(&h).len()
        };
        // 48 kHz (rate bits 1): 192 kbit/s stereo = 96 per channel -> a; 64 stereo -> c.
        assert_eq!(table(1, 10, 0), 27);
        assert_eq!(table(1, 4, 0), 8);
        // 44.1 kHz: 256 stereo = 128 per channel -> b; 128 stereo = 64 -> a; 48 mono -> c.
        assert_eq!(table(0, 12, 0), 30);
        assert_eq!(table(0, 8, 0), 27);
        assert_eq!(table(0, 2, 3), 8);
        // 32 kHz: 32 mono -> d; 96 stereo = 48 -> d; 384 stereo -> b.
        assert_eq!(table(2, 1, 3), 12);
        assert_eq!(table(2, 6, 0), 12);
        assert_eq!(table(2, 14, 0), 30);
    }

    #[test]
    fn crc16_known_value() {
        // CRC-16 with generator 0x8005, preset 0xFFFF, no reflection, no final XOR
        // ("CRC-16/CMS") of the ASCII digits 1-9 is 0xAEE7.
        assert_eq!(crc16(b"123456789", 0, 72), 0xAEE7);
    }
}
