//! Decoded pictures.

use alloc::vec;
use alloc::vec::Vec;

use super::header::SequenceHeader;

/// The coding type of a picture (ISO/IEC 11172-2, 2.4.3.4, `picture_coding_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PictureType {
    /// Intra-coded.
    I,
    /// Predictive-coded (forward prediction from the previous I or P picture).
    P,
    /// Bidirectionally predictive-coded.
    B,
    /// DC intra-coded (low-resolution preview pictures).
    D,
}

impl PictureType {
    /// The one-letter name used in GOP descriptions (`I`, `P`, `B`, `D`).
    pub fn letter(self) -> char {
        match self {
            PictureType::I => 'I',
            PictureType::P => 'P',
            PictureType::B => 'B',
            PictureType::D => 'D',
        }
    }
}

/// One decoded picture in 4:2:0 YCbCr.
///
/// The planes are stored at the coded size (a multiple of 16 luma samples); `width` and
/// `height` give the display size to crop to. Buffers are owned by the decoder and reused, so a
/// `Frame` is lent out, not given away.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Display width in luma samples.
    pub width: u32,
    /// Display height in luma samples.
    pub height: u32,
    /// Luma plane, `y_stride` bytes per row, `coded_height` rows.
    pub y: Vec<u8>,
    /// Blue-difference chroma plane, `c_stride` bytes per row, `coded_height / 2` rows.
    pub cb: Vec<u8>,
    /// Red-difference chroma plane, `c_stride` bytes per row, `coded_height / 2` rows.
    pub cr: Vec<u8>,
    /// Bytes per luma row (the coded width).
    pub y_stride: usize,
    /// Bytes per chroma row (half the coded width).
    pub c_stride: usize,
    /// Coded height in luma rows (a multiple of 16).
    pub coded_height: u32,
    /// Presentation time in 90 kHz ticks: the PES PTS, or extrapolated from the frame rate.
    pub pts: u64,
    /// True when `pts` came from the stream rather than being extrapolated.
    pub pts_from_stream: bool,
    /// The picture's coding type.
    pub picture_type: PictureType,
    /// `temporal_reference` from the picture header.
    pub temporal_reference: u16,
    /// The sequence header in force for this picture (size, aspect ratio, frame rate...).
    pub sequence: SequenceHeader,
}

impl Frame {
    /// A black frame sized for `sequence` (coded size rounded up to whole macroblocks).
    pub(crate) fn new(sequence: &SequenceHeader) -> Frame {
        let mb_width = usize::from(sequence.width).div_ceil(16);
        let mb_height = usize::from(sequence.height).div_ceil(16);
        let y_stride = mb_width * 16;
        let c_stride = mb_width * 8;
        let coded_height = mb_height * 16;
        Frame {
            width: u32::from(sequence.width),
            height: u32::from(sequence.height),
            y: vec![16; y_stride * coded_height],
            cb: vec![128; c_stride * coded_height / 2],
            cr: vec![128; c_stride * coded_height / 2],
            y_stride,
            c_stride,
            coded_height: coded_height as u32,
            pts: 0,
            pts_from_stream: false,
            picture_type: PictureType::I,
            temporal_reference: 0,
            sequence: sequence.clone(),
        }
    }

    /// Display width of the chroma planes, `(width + 1) / 2`.
    pub fn chroma_width(&self) -> u32 {
        self.width.div_ceil(2)
    }

    /// Display height of the chroma planes, `(height + 1) / 2`.
    pub fn chroma_height(&self) -> u32 {
        self.height.div_ceil(2)
    }

    /// The rows of the luma plane cropped to the display size.
    pub fn y_rows(&self) -> impl Iterator<Item = &[u8]> {
        crop_rows(&self.y, self.y_stride, self.width, self.height)
    }

    /// The rows of the Cb plane cropped to the display size.
    pub fn cb_rows(&self) -> impl Iterator<Item = &[u8]> {
        crop_rows(
            &self.cb,
            self.c_stride,
            self.chroma_width(),
            self.chroma_height(),
        )
    }

    /// The rows of the Cr plane cropped to the display size.
    pub fn cr_rows(&self) -> impl Iterator<Item = &[u8]> {
        crop_rows(
            &self.cr,
            self.c_stride,
            self.chroma_width(),
            self.chroma_height(),
        )
    }

    /// Appends the picture, cropped to the display size, as planar `yuv420p` (Y, then Cb, then
    /// Cr, no padding), the layout of ffmpeg's `-pix_fmt yuv420p` and of YUV4MPEG2 frames.
    pub fn write_yuv420p(&self, out: &mut Vec<u8>) {
        for row in self.y_rows().chain(self.cb_rows()).chain(self.cr_rows()) {
            out.extend_from_slice(row);
        }
    }

    /// Presentation time in seconds.
    pub fn pts_seconds(&self) -> f64 {
        self.pts as f64 / crate::PTS_CLOCK_HZ as f64
    }
}

fn crop_rows(plane: &[u8], stride: usize, width: u32, height: u32) -> impl Iterator<Item = &[u8]> {
    let width = width as usize;
    plane
        .chunks(stride.max(1))
        .take(height as usize)
        .map(move |row| &row[..width.min(row.len())])
}
