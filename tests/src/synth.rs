//! A generator of hand-made MPEG-1 video streams for what ffmpeg's encoder never produces:
//! D-pictures and P-pictures with full-pel motion vectors. Every stream comes with the pictures
//! a conforming decoder must produce, computed from what was written (ISO/IEC 11172-2):
//!
//! - Intra macroblocks carry DC coefficients only. The DC value is coded as a difference from
//!   the previous block of the same component (2.4.3.7); the reconstructed coefficient is
//!   `dct_recon[0][0] = 8 * level` (2.4.4.1) and the inverse DCT of a block holding only that
//!   coefficient is `F(0,0) / 8` everywhere, so each 8x8 block decodes flat at `level`, exactly.
//!   In I-pictures every block ends with `end_of_block`; in D-pictures (picture_coding_type 4)
//!   blocks have no end_of_block and each macroblock ends with `end_of_macroblock` (2.4.2.7).
//! - P-pictures have `full_pel_forward_vector = 1`: the decoded vector is in whole luma pels
//!   (2.4.4.2), so a "motion compensated, not coded" macroblock is a copy of the reference
//!   shifted by whole pels. The chroma vector is half the luma one in chroma pels, so an odd
//!   luma vector gives a half-pel chroma position, averaged with rounding:
//!   `(a + b + 1) >> 1` or `(a + b + c + d + 2) >> 2`. Vectors are chosen so that every
//!   displayed sample is predicted from displayed samples of the reference. Skipped macroblocks
//!   copy the reference in place (zero vector).

use crate::bits::{
    dc_differential_bits, dc_size, macroblock_type, motion_code, BitWriter,
    DCT_DC_SIZE_CHROMINANCE, DCT_DC_SIZE_LUMINANCE, END_OF_BLOCK, END_OF_MACROBLOCK,
    MACROBLOCK_ADDRESS_INCREMENT, MACROBLOCK_ESCAPE,
};
use crate::yuv::YuvFrame;
use crate::Lcg;

/// DC levels (0..=255) of the six blocks of a macroblock: Y0 (top left), Y1 (top right), Y2
/// (bottom left), Y3 (bottom right), Cb, Cr. Each block decodes flat at its level.
pub type DcLevels = [u8; 6];

/// The picture type of a DC-only intra picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntraKind {
    /// picture_coding_type 1, blocks ended by end_of_block.
    I,
    /// picture_coding_type 4, macroblocks ended by end_of_macroblock.
    D,
}

/// How a picture is cut into slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceLayout {
    /// One slice per macroblock row.
    OnePerRow,
    /// A single slice for the whole picture (DC and vector predictions run across rows).
    OnePerPicture,
}

/// One macroblock of a full-pel P-picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PMacroblock {
    /// Skipped: a copy of the reference in place. Not allowed first or last in a slice.
    Skipped,
    /// "Motion compensated, not coded" with this vector in whole luma pels.
    Forward {
        /// Horizontal displacement (positive: the reference is read further right).
        dx: i32,
        /// Vertical displacement (positive: the reference is read further down).
        dy: i32,
    },
    /// An intra macroblock, DC only.
    Intra(DcLevels),
}

/// One picture to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PictureSpec {
    /// A DC-only I- or D-picture, one entry per macroblock in raster order.
    Intra {
        /// I or D.
        kind: IntraKind,
        /// The macroblocks.
        macroblocks: Vec<DcLevels>,
        /// The slices.
        slices: SliceLayout,
    },
    /// A P-picture with `full_pel_forward_vector = 1`.
    FullPelP {
        /// `forward_f_code` (1..=7); vectors must lie in `-16f..=16f-1`, f = 2^(f_code-1).
        f_code: u8,
        /// The macroblocks in raster order.
        macroblocks: Vec<PMacroblock>,
        /// The slices.
        slices: SliceLayout,
    },
}

/// A generated stream and what it must decode to.
#[derive(Clone, Debug)]
pub struct SynthStream {
    /// A short name for messages and file names.
    pub name: String,
    /// Display width.
    pub width: usize,
    /// Display height.
    pub height: usize,
    /// The MPEG-1 video elementary stream.
    pub bytes: Vec<u8>,
    /// The expected pictures, cropped to the display size, in display (= stream) order.
    pub expected: Vec<YuvFrame>,
    /// The picture coding types in order (`I`, `P`, `D`).
    pub types: String,
}

/// A picture at the coded size (whole macroblocks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodedPicture {
    /// Coded luma width (a multiple of 16).
    pub width: usize,
    /// Coded luma height (a multiple of 16).
    pub height: usize,
    /// Luma, `width` x `height`.
    pub y: Vec<u8>,
    /// Cb, `width / 2` x `height / 2`.
    pub cb: Vec<u8>,
    /// Cr, `width / 2` x `height / 2`.
    pub cr: Vec<u8>,
}

impl CodedPicture {
    fn new(width: usize, height: usize) -> CodedPicture {
        CodedPicture {
            width,
            height,
            y: vec![0; width * height],
            cb: vec![0; width * height / 4],
            cr: vec![0; width * height / 4],
        }
    }

    /// The picture cropped to `width` x `height` in the yuv420p layout.
    pub fn crop(&self, width: usize, height: usize) -> YuvFrame {
        let (cw, ch) = YuvFrame::chroma_size(width, height);
        let mut data = Vec::with_capacity(YuvFrame::frame_len(width, height));
        for row in self.y.chunks(self.width).take(height) {
            data.extend_from_slice(&row[..width]);
        }
        for plane in [&self.cb, &self.cr] {
            for row in plane.chunks(self.width / 2).take(ch) {
                data.extend_from_slice(&row[..cw]);
            }
        }
        YuvFrame::new(width, height, data)
    }

    fn fill_intra(&mut self, mb_x: usize, mb_y: usize, levels: DcLevels) {
        for (b, &level) in levels.iter().enumerate().take(4) {
            let x0 = mb_x * 16 + (b % 2) * 8;
            let y0 = mb_y * 16 + (b / 2) * 8;
            fill_block(&mut self.y, self.width, x0, y0, level);
        }
        let cw = self.width / 2;
        fill_block(&mut self.cb, cw, mb_x * 8, mb_y * 8, levels[4]);
        fill_block(&mut self.cr, cw, mb_x * 8, mb_y * 8, levels[5]);
    }

    /// Predicts one macroblock from `reference` with a whole-pel luma vector.
    fn predict(&mut self, reference: &CodedPicture, mb_x: usize, mb_y: usize, dx: i32, dy: i32) {
        predict_block(
            &mut self.y,
            &reference.y,
            self.width,
            self.height,
            (mb_x * 16, mb_y * 16, 16),
            (dx, dy),
            (false, false),
        );
        // Chroma: the vector is dx/2 chroma pels, i.e. dx half-pels.
        let (cx, cy) = (dx >> 1, dy >> 1);
        let half = (dx & 1 == 1, dy & 1 == 1);
        for (dst, src) in [(&mut self.cb, &reference.cb), (&mut self.cr, &reference.cr)] {
            predict_block(
                dst,
                src,
                self.width / 2,
                self.height / 2,
                (mb_x * 8, mb_y * 8, 8),
                (cx, cy),
                half,
            );
        }
    }
}

fn fill_block(plane: &mut [u8], stride: usize, x0: usize, y0: usize, level: u8) {
    for y in y0..y0 + 8 {
        plane[y * stride + x0..y * stride + x0 + 8].fill(level);
    }
}

/// `dst[block] = src[block + vector]`, with half-sample averaging where asked (2.4.4.2:
/// `//` rounds to the nearest integer, halves away from zero).
fn predict_block(
    dst: &mut [u8],
    src: &[u8],
    stride: usize,
    rows: usize,
    (x0, y0, size): (usize, usize, usize),
    (vx, vy): (i32, i32),
    (hx, hy): (bool, bool),
) {
    let sx0 = x0 as i32 + vx;
    let sy0 = y0 as i32 + vy;
    assert!(
        sx0 >= 0
            && sy0 >= 0
            && sx0 as usize + size + usize::from(hx) <= stride
            && sy0 as usize + size + usize::from(hy) <= rows,
        "generator bug: vector ({vx},{vy}) at ({x0},{y0}) reads outside the coded picture"
    );
    let (sx0, sy0) = (sx0 as usize, sy0 as usize);
    for y in 0..size {
        for x in 0..size {
            let at = |ox: usize, oy: usize| u32::from(src[(sy0 + y + oy) * stride + sx0 + x + ox]);
            let v = match (hx, hy) {
                (false, false) => at(0, 0),
                (true, false) => (at(0, 0) + at(1, 0) + 1) >> 1,
                (false, true) => (at(0, 0) + at(0, 1) + 1) >> 1,
                (true, true) => (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) >> 2,
            };
            dst[(y0 + y) * stride + x0 + x] = v as u8;
        }
    }
}

fn write_sequence_header(w: &mut BitWriter, width: usize, height: usize) {
    w.start_code(0xB3);
    w.put(width as u32, 12); // horizontal_size
    w.put(height as u32, 12); // vertical_size
    w.put(1, 4); // pel_aspect_ratio: square
    w.put(3, 4); // picture_rate: 25 Hz
    w.put(0x3FFFF, 18); // bit_rate: variable
    w.put(1, 1); // marker_bit
    w.put(20, 10); // vbv_buffer_size: 20 * 16 kbit
    w.put(0, 1); // constrained_parameters_flag
    w.put(0, 1); // load_intra_quantizer_matrix
    w.put(0, 1); // load_non_intra_quantizer_matrix
}

fn write_gop_header(w: &mut BitWriter) {
    w.start_code(0xB8);
    w.put(0, 1); // drop_frame_flag
    w.put(0, 5); // hours
    w.put(0, 6); // minutes
    w.put(1, 1); // marker_bit
    w.put(0, 6); // seconds
    w.put(0, 6); // pictures
    w.put(1, 1); // closed_gop
    w.put(0, 1); // broken_link
}

fn write_picture_header(w: &mut BitWriter, temporal_reference: usize, spec: &PictureSpec) {
    w.start_code(0x00);
    w.put((temporal_reference % 1024) as u32, 10);
    match spec {
        PictureSpec::Intra { kind, .. } => {
            w.put(if *kind == IntraKind::I { 1 } else { 4 }, 3);
            w.put(0xFFFF, 16); // vbv_delay
        }
        PictureSpec::FullPelP { f_code, .. } => {
            w.put(2, 3);
            w.put(0xFFFF, 16); // vbv_delay
            w.put(1, 1); // full_pel_forward_vector
            w.put(u32::from(*f_code), 3); // forward_f_code
        }
    }
    w.put(0, 1); // extra_bit_picture
}

/// The macroblock address ranges of the slices.
fn slice_ranges(layout: SliceLayout, mb_w: usize, mb_h: usize) -> Vec<(usize, usize)> {
    match layout {
        SliceLayout::OnePerRow => (0..mb_h).map(|r| (r * mb_w, (r + 1) * mb_w)).collect(),
        SliceLayout::OnePerPicture => vec![(0, mb_w * mb_h)],
    }
}

/// Writes the six DC-only blocks of an intra macroblock. `pred` holds the DC predictors
/// (Y, Cb, Cr) in level units: 128 is the reset value 1024 / 8.
fn write_intra_blocks(w: &mut BitWriter, levels: DcLevels, pred: &mut [i32; 3], eob: bool) {
    for (b, &level) in levels.iter().enumerate() {
        let component = b.saturating_sub(3); // 0 for Y0..Y3, 1 for Cb, 2 for Cr
        let diff = i32::from(level) - pred[component];
        let size = dc_size(diff);
        let table = if component == 0 {
            &DCT_DC_SIZE_LUMINANCE
        } else {
            &DCT_DC_SIZE_CHROMINANCE
        };
        w.put_code(table[size as usize]);
        w.put(dc_differential_bits(diff), size);
        pred[component] = i32::from(level);
        if eob {
            w.put_code(END_OF_BLOCK);
        }
    }
}

/// Writes one motion vector component as a difference from `pred` (2.4.4.2, inverted).
fn write_motion_component(w: &mut BitWriter, value: i32, pred: i32, f_code: u8) {
    let f = 1_i32 << (f_code - 1);
    assert!(
        (-16 * f..16 * f).contains(&value),
        "vector {value} out of range for f_code {f_code}"
    );
    let mut delta = value - pred;
    // The decoder adds or removes 32f to bring the sum back into range.
    if delta > 16 * f - 1 {
        delta -= 32 * f;
    } else if delta < -16 * f {
        delta += 32 * f;
    }
    if f == 1 || delta == 0 {
        w.put_code(&motion_code(delta));
        return;
    }
    let magnitude = delta.abs();
    let code = (magnitude - 1) / f + 1;
    let r = (magnitude - 1) % f;
    w.put_code(&motion_code(if delta < 0 { -code } else { code }));
    w.put(r as u32, u32::from(f_code) - 1); // motion_*_forward_r
}

fn write_address_increment(w: &mut BitWriter, mut increment: usize) {
    while increment > 33 {
        w.put_code(MACROBLOCK_ESCAPE);
        increment -= 33;
    }
    w.put_code(MACROBLOCK_ADDRESS_INCREMENT[increment - 1]);
}

/// Builds a stream of `pictures` (the first one intra) at `width` x `height`, with its expected
/// decoded pictures.
pub fn build_stream(
    name: &str,
    width: usize,
    height: usize,
    pictures: &[PictureSpec],
) -> SynthStream {
    let mb_w = width.div_ceil(16);
    let mb_h = height.div_ceil(16);
    let mbs = mb_w * mb_h;
    let mut w = BitWriter::new();
    write_sequence_header(&mut w, width, height);
    write_gop_header(&mut w);
    let mut expected = Vec::new();
    let mut types = String::new();
    let mut reference: Option<CodedPicture> = None;
    for (index, spec) in pictures.iter().enumerate() {
        write_picture_header(&mut w, index, spec);
        let mut picture = CodedPicture::new(mb_w * 16, mb_h * 16);
        match spec {
            PictureSpec::Intra {
                kind,
                macroblocks,
                slices,
            } => {
                assert_eq!(macroblocks.len(), mbs, "{name}: macroblock count");
                types.push(if *kind == IntraKind::I { 'I' } else { 'D' });
                for (first, end) in slice_ranges(*slices, mb_w, mb_h) {
                    w.start_code((first / mb_w + 1) as u8);
                    w.put(8, 5); // quantizer_scale (unused by DC-only intra blocks)
                    w.put(0, 1); // extra_bit_slice
                    let mut pred = [128; 3];
                    for (addr, levels) in macroblocks.iter().enumerate().take(end).skip(first) {
                        write_address_increment(&mut w, 1);
                        match kind {
                            IntraKind::I => {
                                w.put_code(macroblock_type::I_INTRA);
                                write_intra_blocks(&mut w, *levels, &mut pred, true);
                            }
                            IntraKind::D => {
                                w.put_code(macroblock_type::D_INTRA);
                                write_intra_blocks(&mut w, *levels, &mut pred, false);
                                w.put_code(END_OF_MACROBLOCK);
                            }
                        }
                        picture.fill_intra(addr % mb_w, addr / mb_w, *levels);
                    }
                }
                if *kind == IntraKind::I {
                    reference = Some(picture.clone());
                }
            }
            PictureSpec::FullPelP {
                f_code,
                macroblocks,
                slices,
            } => {
                assert_eq!(macroblocks.len(), mbs, "{name}: macroblock count");
                assert!((1..=7).contains(f_code), "{name}: f_code {f_code}");
                types.push('P');
                let Some(ref_picture) = reference.take() else {
                    panic!("{name}: a P-picture needs an I-picture first")
                };
                picture.clone_from(&ref_picture); // skipped macroblocks
                for (first, end) in slice_ranges(*slices, mb_w, mb_h) {
                    assert!(
                        macroblocks[first] != PMacroblock::Skipped
                            && macroblocks[end - 1] != PMacroblock::Skipped,
                        "{name}: a slice cannot start or end with a skipped macroblock"
                    );
                    w.start_code((first / mb_w + 1) as u8);
                    w.put(8, 5); // quantizer_scale
                    w.put(0, 1); // extra_bit_slice
                                 // (slice_vertical_position - 1) * mb_width - 1
                    let mut previous = first as isize - 1;
                    let mut dc_pred = [128; 3];
                    let mut last_intra: Option<usize> = None;
                    let mut mv_pred = (0, 0);
                    for (addr, mb) in macroblocks.iter().enumerate().take(end).skip(first) {
                        let (mb_x, mb_y) = (addr % mb_w, addr / mb_w);
                        if *mb == PMacroblock::Skipped {
                            mv_pred = (0, 0);
                            continue;
                        }
                        write_address_increment(&mut w, (addr as isize - previous) as usize);
                        previous = addr as isize;
                        match *mb {
                            PMacroblock::Forward { dx, dy } => {
                                w.put_code(macroblock_type::P_MC_NOT_CODED);
                                write_motion_component(&mut w, dx, mv_pred.0, *f_code);
                                write_motion_component(&mut w, dy, mv_pred.1, *f_code);
                                mv_pred = (dx, dy);
                                check_vector(name, width, height, mb_x, mb_y, dx, dy);
                                picture.predict(&ref_picture, mb_x, mb_y, dx, dy);
                            }
                            PMacroblock::Intra(levels) => {
                                w.put_code(macroblock_type::P_INTRA);
                                if last_intra.is_none_or(|a| a + 1 != addr) {
                                    dc_pred = [128; 3];
                                }
                                write_intra_blocks(&mut w, levels, &mut dc_pred, true);
                                last_intra = Some(addr);
                                mv_pred = (0, 0);
                                picture.fill_intra(mb_x, mb_y, levels);
                            }
                            PMacroblock::Skipped => unreachable!(),
                        }
                    }
                }
                reference = Some(picture.clone());
            }
        }
        expected.push(picture.crop(width, height));
    }
    w.start_code(0xB7); // sequence_end_code
    SynthStream {
        name: name.to_string(),
        width,
        height,
        bytes: w.into_bytes(),
        expected,
        types,
    }
}

/// The range of whole-pel vector components for a macroblock at luma offset `origin` such that
/// every displayed sample of the macroblock is predicted from displayed samples (luma, and
/// chroma including the extra sample of half-pel averaging), within `-16f..=16f-1`.
pub fn vector_range(origin: usize, display: usize, f_code: u8) -> (i32, i32) {
    let f = 1_i32 << (f_code - 1);
    let lo = (-16 * f).max(-(origin as i32));
    let hi = (16 * f - 1).min(display as i32 - (origin + 16).min(display) as i32);
    (lo, hi)
}

fn check_vector(
    name: &str,
    width: usize,
    height: usize,
    mb_x: usize,
    mb_y: usize,
    dx: i32,
    dy: i32,
) {
    let (xl, xh) = vector_range(mb_x * 16, width, 7);
    let (yl, yh) = vector_range(mb_y * 16, height, 7);
    assert!(
        (xl..=xh).contains(&dx) && (yl..=yh).contains(&dy),
        "{name}: vector ({dx},{dy}) of macroblock ({mb_x},{mb_y}) reads outside the displayed picture"
    );
}

fn random_levels(rng: &mut Lcg, previous: &mut DcLevels) -> DcLevels {
    let mut levels = [0; 6];
    for (b, level) in levels.iter_mut().enumerate() {
        // Mostly random (differences of every size 0-8), sometimes a repeat (difference 0),
        // sometimes an extreme.
        *level = match rng.below(8) {
            0 | 1 => previous[b],
            2 => 0,
            3 => 255,
            _ => rng.byte(),
        };
    }
    *previous = levels;
    levels
}

/// A stream of `count` DC-only intra pictures of `kind` with pseudo-random block levels
/// (seeded; the same seed gives the same content for I and D). Pictures alternate between one
/// slice per row and one slice per picture.
pub fn dc_only_stream(
    width: usize,
    height: usize,
    kind: IntraKind,
    count: usize,
    seed: u64,
) -> SynthStream {
    let mbs = width.div_ceil(16) * height.div_ceil(16);
    let mut rng = Lcg::new(seed);
    let mut previous = [128; 6];
    let pictures: Vec<PictureSpec> = (0..count)
        .map(|i| PictureSpec::Intra {
            kind,
            macroblocks: (0..mbs)
                .map(|_| random_levels(&mut rng, &mut previous))
                .collect(),
            slices: if i % 2 == 0 {
                SliceLayout::OnePerRow
            } else {
                SliceLayout::OnePerPicture
            },
        })
        .collect();
    let letter = if kind == IntraKind::I { "i" } else { "d" };
    build_stream(
        &format!("synth_{letter}pics_dconly_{width}x{height}"),
        width,
        height,
        &pictures,
    )
}

fn pick_component(rng: &mut Lcg, lo: i32, hi: i32) -> i32 {
    match rng.below(5) {
        0 => lo,
        1 => hi,
        _ => rng.range_i32(lo, hi),
    }
}

/// The pictures of [`full_pel_stream`].
pub fn full_pel_pictures(width: usize, height: usize, seed: u64) -> Vec<PictureSpec> {
    let mb_w = width.div_ceil(16);
    let mb_h = height.div_ceil(16);
    let mut rng = Lcg::new(seed);
    let mut previous = [128; 6];
    let mut pictures = vec![PictureSpec::Intra {
        kind: IntraKind::I,
        macroblocks: (0..mb_w * mb_h)
            .map(|_| random_levels(&mut rng, &mut previous))
            .collect(),
        slices: SliceLayout::OnePerRow,
    }];
    for (i, f_code) in [1_u8, 2, 3, 1].into_iter().enumerate() {
        let slices = if i % 2 == 0 {
            SliceLayout::OnePerPicture
        } else {
            SliceLayout::OnePerRow
        };
        let ranges = slice_ranges(slices, mb_w, mb_h);
        let macroblocks = (0..mb_w * mb_h)
            .map(|addr| {
                let edge = ranges.iter().any(|&(a, b)| addr == a || addr == b - 1);
                let (mb_x, mb_y) = (addr % mb_w, addr / mb_w);
                match rng.below(10) {
                    0 if !edge => PMacroblock::Skipped,
                    1 => PMacroblock::Intra(random_levels(&mut rng, &mut previous)),
                    _ => {
                        let (xl, xh) = vector_range(mb_x * 16, width, f_code);
                        let (yl, yh) = vector_range(mb_y * 16, height, f_code);
                        PMacroblock::Forward {
                            dx: pick_component(&mut rng, xl, xh),
                            dy: pick_component(&mut rng, yl, yh),
                        }
                    }
                }
            })
            .collect();
        pictures.push(PictureSpec::FullPelP {
            f_code,
            macroblocks,
            slices,
        });
    }
    pictures
}

/// A DC-only I-picture followed by full-pel P-pictures with f_code 1, 2, 3 and 1 again: each
/// macroblock is mostly "motion compensated, not coded" with a pseudo-random vector (often at
/// the edge of its allowed range), sometimes skipped or intra.
pub fn full_pel_stream(width: usize, height: usize, seed: u64) -> SynthStream {
    build_stream(
        &format!("synth_fullpel_{width}x{height}"),
        width,
        height,
        &full_pel_pictures(width, height, seed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{bits, es};

    #[test]
    fn streams_have_the_announced_structure() {
        let s = dc_only_stream(72, 40, IntraKind::D, 3, 1);
        let summary = es::scan(&s.bytes);
        assert_eq!(summary.types_in_stream_order(), "DDD");
        assert_eq!(summary.sequences[0].width, 72);
        assert_eq!(summary.sequences[0].height, 40);
        // 3 rows of slices, then one slice, then 3 rows.
        let slices: Vec<usize> = summary.pictures.iter().map(|p| p.slices).collect();
        assert_eq!(slices, vec![3, 1, 3]);
        assert_eq!(s.expected.len(), 3);
        assert_eq!(s.expected[0].data.len(), YuvFrame::frame_len(72, 40));

        let p = full_pel_stream(80, 48, 2);
        let summary = es::scan(&p.bytes);
        assert_eq!(summary.types_in_stream_order(), "IPPPP");
        let f_codes: Vec<u8> = summary.pictures.iter().map(|p| p.forward_f_code).collect();
        assert_eq!(f_codes, vec![0, 1, 2, 3, 1]);
        assert!(summary.pictures[1..].iter().all(|p| p.full_pel_forward));
        assert_eq!(summary.sequence_ends, 1);
    }

    #[test]
    fn full_pel_streams_cover_the_interesting_cases() {
        for (w, h, seed) in [(80, 48, 80_48), (72, 40, 72_40)] {
            let pictures = full_pel_pictures(w, h, seed);
            let mut skipped = 0;
            let mut intra = 0;
            let mut vectors = Vec::new();
            for p in &pictures {
                if let PictureSpec::FullPelP {
                    f_code,
                    macroblocks,
                    ..
                } = p
                {
                    for mb in macroblocks {
                        match *mb {
                            PMacroblock::Skipped => skipped += 1,
                            PMacroblock::Intra(_) => intra += 1,
                            PMacroblock::Forward { dx, dy } => vectors.push((*f_code, dx, dy)),
                        }
                    }
                }
            }
            let name = format!("{w}x{h}");
            assert!(
                skipped >= 2 && intra >= 2,
                "{name}: {skipped} skipped, {intra} intra"
            );
            let any = |f: &dyn Fn(&(u8, i32, i32)) -> bool| vectors.iter().any(f);
            assert!(
                any(&|v| v.1 % 2 != 0 && v.2 % 2 != 0),
                "{name}: odd x and y"
            );
            assert!(any(&|v| v.1 < 0 && v.1 % 2 != 0), "{name}: negative odd x");
            assert!(any(&|v| v.2 < 0 && v.2 % 2 != 0), "{name}: negative odd y");
            assert!(
                any(&|v| v.0 == 1 && v.1 == -16),
                "{name}: -16 with f_code 1"
            );
            assert!(
                any(&|v| v.0 > 1 && v.1.abs() > 16),
                "{name}: |x| > 16 (r bits)"
            );
            assert!(any(&|v| v.0 == 3 && v.1.abs() > 32), "{name}: |x| > 32");
            assert!(any(&|v| v.0 > 1 && v.2.abs() > 16), "{name}: |y| > 16");
        }
    }

    #[test]
    fn motion_components_round_trip_through_the_decoding_rule() {
        // Decode the written bits with the procedure of 2.4.4.2 and compare.
        fn decode(bits: &[u8], f_code: u8, pred: i32) -> i32 {
            let mut pos = 0;
            let mut next = || {
                let b = (bits[pos / 8] >> (7 - pos % 8)) & 1;
                pos += 1;
                b
            };
            let mut prefix = String::new();
            let code = loop {
                prefix.push(if next() == 1 { '1' } else { '0' });
                if let Some(m) = bits::MOTION_CODE_MAGNITUDE
                    .iter()
                    .position(|c| *c == prefix)
                {
                    let m = m as i32;
                    break if m == 0 || next() == 0 { m } else { -m };
                }
                assert!(prefix.len() < 12, "no motion code");
            };
            let f = 1 << (f_code - 1);
            let mut r = 0;
            if f != 1 && code != 0 {
                for _ in 0..f_code - 1 {
                    r = (r << 1) | i32::from(next());
                }
            }
            let complement = if f == 1 || code == 0 { 0 } else { f - 1 - r };
            let little = if code >= 0 {
                code * f - complement
            } else {
                code * f + complement
            };
            let big = if code > 0 {
                little - 32 * f
            } else {
                little + 32 * f
            };
            let sum = pred + little;
            if (-16 * f..16 * f).contains(&sum) {
                sum
            } else {
                pred + big
            }
        }
        for f_code in 1..=4_u8 {
            let f = 1 << (f_code - 1);
            for pred in (-16 * f..16 * f).step_by(f as usize * 3 + 1) {
                for value in -16 * f..16 * f {
                    let mut w = BitWriter::new();
                    write_motion_component(&mut w, value, pred, f_code);
                    w.put(0, 16);
                    let bytes = w.into_bytes();
                    assert_eq!(
                        decode(&bytes, f_code, pred),
                        value,
                        "f_code {f_code} pred {pred}"
                    );
                }
            }
        }
    }
}
