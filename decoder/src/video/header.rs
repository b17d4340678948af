//! Sequence, group-of-pictures and picture headers (ISO/IEC 11172-2, 2.4.2.3 to 2.4.2.5).

use crate::bits::BitReader;
use crate::error::{Error, Result};

use super::frame::PictureType;
use super::tables::{DEFAULT_INTRA_QUANT_MATRIX, ZIGZAG};

/// Frame rates by `picture_rate` code as (numerator, denominator) frames per second
/// (ISO/IEC 11172-2, 2.4.3.2, table of picture_rate). Code 0 is forbidden, 9-15 reserved.
pub const PICTURE_RATES: [(u32, u32); 9] = [
    (0, 1),
    (24_000, 1001),
    (24, 1),
    (25, 1),
    (30_000, 1001),
    (30, 1),
    (50, 1),
    (60_000, 1001),
    (60, 1),
];

/// Rates some encoders (Xing, libmpeg3) put in the reserved codes 9-13; decoders such as ffmpeg
/// honour them, so they are honoured here too. Not part of the standard.
pub const NONSTANDARD_PICTURE_RATES: [(u32, u32); 5] = [(15, 1), (5, 1), (10, 1), (12, 1), (15, 1)];

/// Pel aspect ratio (pixel height / pixel width) by `pel_aspect_ratio` code, times 10,000
/// (ISO/IEC 11172-2, 2.4.3.2, table of pel_aspect_ratio). Code 0 is forbidden, 15 reserved.
pub const PEL_ASPECT_RATIOS: [u16; 15] = [
    0, 10_000, 6_735, 7_031, 7_615, 8_055, 8_437, 8_935, 9_157, 9_815, 10_255, 10_695, 10_950,
    11_575, 12_015,
];

/// The sequence header: picture size, rates and quantiser matrices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceHeader {
    /// `horizontal_size`: display width in luma samples.
    pub width: u16,
    /// `vertical_size`: display height in luma samples.
    pub height: u16,
    /// `pel_aspect_ratio` code (1 = square pixels).
    pub aspect_ratio_code: u8,
    /// `picture_rate` code (3 = 25 Hz, 4 = 29.97 Hz...).
    pub frame_rate_code: u8,
    /// `bit_rate` in units of 400 bit/s; 0x3FFFF means variable bit rate.
    pub bit_rate: u32,
    /// `vbv_buffer_size` in units of 16 kbit (2048 bytes).
    pub vbv_buffer_size: u16,
    /// `constrained_parameters_flag`.
    pub constrained_parameters: bool,
    /// True when the stream sent its own intra quantiser matrix.
    pub custom_intra_matrix: bool,
    /// True when the stream sent its own non-intra quantiser matrix.
    pub custom_non_intra_matrix: bool,
    /// Intra quantiser matrix in raster (not zigzag) order.
    pub intra_quant_matrix: [u8; 64],
    /// Non-intra quantiser matrix in raster order.
    pub non_intra_quant_matrix: [u8; 64],
}

impl Default for SequenceHeader {
    fn default() -> Self {
        SequenceHeader {
            width: 0,
            height: 0,
            aspect_ratio_code: 1,
            frame_rate_code: 3,
            bit_rate: 0x3FFFF,
            vbv_buffer_size: 0,
            constrained_parameters: false,
            custom_intra_matrix: false,
            custom_non_intra_matrix: false,
            intra_quant_matrix: DEFAULT_INTRA_QUANT_MATRIX,
            non_intra_quant_matrix: [16; 64],
        }
    }
}

impl SequenceHeader {
    /// Parses the header body that follows the start code `00 00 01 B3`.
    pub fn parse(r: &mut BitReader<'_>) -> Result<SequenceHeader> {
        let width = r.read(12) as u16;
        let height = r.read(12) as u16;
        let aspect_ratio_code = r.read(4) as u8;
        let frame_rate_code = r.read(4) as u8;
        let bit_rate = r.read(18);
        let marker = r.read_bit();
        let vbv_buffer_size = r.read(10) as u16;
        let constrained_parameters = r.read_bit();
        let mut header = SequenceHeader {
            width,
            height,
            aspect_ratio_code,
            frame_rate_code,
            bit_rate,
            vbv_buffer_size,
            constrained_parameters,
            ..SequenceHeader::default()
        };
        if r.read_bit() {
            header.custom_intra_matrix = true;
            read_matrix(r, &mut header.intra_quant_matrix);
        }
        if r.read_bit() {
            header.custom_non_intra_matrix = true;
            read_matrix(r, &mut header.non_intra_quant_matrix);
        }
        if r.overrun() {
            return Err(Error::UnexpectedEnd);
        }
        if width == 0 || height == 0 {
            return Err(Error::InvalidData("sequence header with zero picture size"));
        }
        // Some encoders get the marker bit wrong, and some put a forbidden or reserved
        // picture_rate; the rest of the header is still usable (see `frame_rate`).
        let _ = marker;
        if header.intra_quant_matrix.contains(&0) || header.non_intra_quant_matrix.contains(&0) {
            return Err(Error::InvalidData("quantiser matrix with a zero entry"));
        }
        Ok(header)
    }

    /// Frame rate as (numerator, denominator) frames per second. Codes 9-13 give the
    /// de-facto rates of [`NONSTANDARD_PICTURE_RATES`]; the forbidden code 0 and codes 14-15
    /// fall back to 23.976 as ffmpeg does.
    pub fn frame_rate(&self) -> (u32, u32) {
        let code = usize::from(self.frame_rate_code);
        match code {
            1..=8 => PICTURE_RATES[code],
            9..=13 => NONSTANDARD_PICTURE_RATES[code - 9],
            _ => PICTURE_RATES[1],
        }
    }

    /// Frame rate in frames per second.
    pub fn frame_rate_f64(&self) -> f64 {
        let (n, d) = self.frame_rate();
        f64::from(n) / f64::from(d)
    }

    /// Duration of one frame in 90 kHz ticks (rounded to nearest).
    pub fn frame_duration_ticks(&self) -> u64 {
        let (n, d) = self.frame_rate();
        (90_000 * u64::from(d) + u64::from(n) / 2) / u64::from(n)
    }

    /// Sample (pixel) aspect ratio as width / height of one pixel, the convention of ffmpeg's
    /// `sample_aspect_ratio`: the inverse of the standard's pel_aspect_ratio.
    pub fn sample_aspect_ratio(&self) -> f64 {
        match PEL_ASPECT_RATIOS.get(usize::from(self.aspect_ratio_code)) {
            Some(&v) if v != 0 => 10_000.0 / f64::from(v),
            _ => 1.0,
        }
    }

    /// Display aspect ratio (width / height of the whole picture on screen).
    pub fn display_aspect_ratio(&self) -> f64 {
        if self.height == 0 {
            return 0.0;
        }
        f64::from(self.width) * self.sample_aspect_ratio() / f64::from(self.height)
    }

    /// Bit rate in bits per second, or `None` for the "variable" marker value 0x3FFFF.
    pub fn bit_rate_bps(&self) -> Option<u64> {
        (self.bit_rate != 0x3FFFF && self.bit_rate != 0).then(|| u64::from(self.bit_rate) * 400)
    }
}

/// Reads 64 matrix entries, sent in zigzag order, into raster order.
fn read_matrix(r: &mut BitReader<'_>, matrix: &mut [u8; 64]) {
    for &raster in &ZIGZAG {
        matrix[usize::from(raster)] = r.read(8) as u8;
    }
}

/// SMPTE-style time code of a GOP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeCode {
    /// `drop_frame_flag`.
    pub drop_frame: bool,
    /// Hours, 0-23.
    pub hours: u8,
    /// Minutes, 0-59.
    pub minutes: u8,
    /// Seconds, 0-59.
    pub seconds: u8,
    /// Pictures, 0-59.
    pub pictures: u8,
}

/// The group-of-pictures header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GopHeader {
    /// The time code of the first picture of the group.
    pub time_code: TimeCode,
    /// `closed_gop`: B-pictures right after the I-picture use only backward prediction.
    pub closed_gop: bool,
    /// `broken_link`: the B-pictures right after the I-picture cannot be decoded (editing).
    pub broken_link: bool,
}

impl GopHeader {
    /// Parses the header body that follows the start code `00 00 01 B8`.
    pub fn parse(r: &mut BitReader<'_>) -> Result<GopHeader> {
        let drop_frame = r.read_bit();
        let hours = r.read(5) as u8;
        let minutes = r.read(6) as u8;
        let _marker = r.read_bit();
        let seconds = r.read(6) as u8;
        let pictures = r.read(6) as u8;
        let closed_gop = r.read_bit();
        let broken_link = r.read_bit();
        if r.overrun() {
            return Err(Error::UnexpectedEnd);
        }
        Ok(GopHeader {
            time_code: TimeCode {
                drop_frame,
                hours,
                minutes,
                seconds,
                pictures,
            },
            closed_gop,
            broken_link,
        })
    }
}

/// Motion vector coding parameters for one direction (from the picture header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VectorCoding {
    /// `full_pel_*_vector`: vectors are in whole pels instead of half pels.
    pub full_pel: bool,
    /// `*_f_code` (1-7): the vector range is 16 << (f_code - 1) half pels... up to 1024.
    pub f_code: u8,
}

/// The picture header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PictureHeader {
    /// `temporal_reference`: display order within the group, modulo 1024.
    pub temporal_reference: u16,
    /// `picture_coding_type`.
    pub picture_type: PictureType,
    /// `vbv_delay` in 90 kHz ticks (0xFFFF: variable).
    pub vbv_delay: u16,
    /// Forward motion vector coding (P and B pictures).
    pub forward: VectorCoding,
    /// Backward motion vector coding (B pictures).
    pub backward: VectorCoding,
}

impl PictureHeader {
    /// Parses the header body that follows the start code `00 00 01 00`.
    pub fn parse(r: &mut BitReader<'_>) -> Result<PictureHeader> {
        let temporal_reference = r.read(10) as u16;
        let picture_type = match r.read(3) {
            1 => PictureType::I,
            2 => PictureType::P,
            3 => PictureType::B,
            4 => PictureType::D,
            _ => return Err(Error::InvalidData("forbidden picture_coding_type")),
        };
        let vbv_delay = r.read(16) as u16;
        let mut forward = VectorCoding::default();
        let mut backward = VectorCoding::default();
        if matches!(picture_type, PictureType::P | PictureType::B) {
            forward.full_pel = r.read_bit();
            forward.f_code = r.read(3) as u8;
            if forward.f_code == 0 {
                return Err(Error::InvalidData("forward_f_code of zero"));
            }
        }
        if picture_type == PictureType::B {
            backward.full_pel = r.read_bit();
            backward.f_code = r.read(3) as u8;
            if backward.f_code == 0 {
                return Err(Error::InvalidData("backward_f_code of zero"));
            }
        }
        if r.overrun() {
            return Err(Error::UnexpectedEnd);
        }
        Ok(PictureHeader {
            temporal_reference,
            picture_type,
            vbv_delay,
            forward,
            backward,
        })
    }
}
