//! Decoding the slices and macroblocks of one picture (ISO/IEC 11172-2, 2.4.2.7 to 2.4.4).

use alloc::vec::Vec;

use crate::bits::BitReader;
use crate::error::{Error, Result};

use super::frame::{Frame, PictureType};
use super::header::{PictureHeader, VectorCoding};
use super::idct::{idct, idct_dc_only};
use super::motion::{predict, PlaneRef};
use super::tables::{
    mb_flags, VlcEntry, CODED_BLOCK_PATTERN_LUT, DCT_COEFF_LUT_LONG, DCT_COEFF_LUT_MEDIUM,
    DCT_COEFF_LUT_SHORT, DCT_DC_SIZE_CHROMINANCE_LUT, DCT_DC_SIZE_LUMINANCE_LUT, DCT_END_OF_BLOCK,
    DCT_ESCAPE, MB_ADDRESS_INCREMENT_LUT, MB_ESCAPE, MB_STUFFING, MB_TYPE_B_LUT, MB_TYPE_D_LUT,
    MB_TYPE_I_LUT, MB_TYPE_P_LUT, MOTION_CODE_LUT, ZIGZAG,
};

/// A motion vector in half-pel units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Vector {
    x: i32,
    y: i32,
}

/// Everything one picture's decoding needs besides the bitstream.
pub(crate) struct PictureDecoder<'a> {
    header: PictureHeader,
    intra_matrix: &'a [u8; 64],
    non_intra_matrix: &'a [u8; 64],
    target: &'a mut Frame,
    forward: Option<&'a Frame>,
    backward: Option<&'a Frame>,
    mb_width: usize,
    mb_height: usize,
    /// One flag per macroblock: decoded (or legitimately skipped) in this picture.
    decoded: &'a mut Vec<bool>,
    /// Coefficients of the block being decoded; all zero between blocks.
    coeffs: [i32; 64],
}

/// Per-slice prediction state, reset at every slice start.
struct SliceState {
    quantizer_scale: i32,
    /// DC predictors for Y, Cb, Cr, in units of the DC coefficient / 8.
    dc_predictor: [i32; 3],
    /// Motion vector predictors in the units of the picture's vector coding.
    forward_predictor: (i32, i32),
    backward_predictor: (i32, i32),
    /// Flags and vectors of the previous macroblock, reused by skipped B macroblocks.
    previous_flags: i16,
    previous_forward: Vector,
    previous_backward: Vector,
}

impl SliceState {
    fn new(quantizer_scale: i32) -> SliceState {
        SliceState {
            quantizer_scale,
            dc_predictor: [128; 3],
            forward_predictor: (0, 0),
            backward_predictor: (0, 0),
            previous_flags: mb_flags::FORWARD,
            previous_forward: Vector::default(),
            previous_backward: Vector::default(),
        }
    }
}

#[inline(always)]
fn lookup(r: &mut BitReader<'_>, table: &[VlcEntry], bits: u32) -> Result<i16> {
    let entry = table[r.peek(bits) as usize];
    if entry.len == 0 {
        return Err(Error::InvalidData("invalid variable-length code"));
    }
    r.skip(u32::from(entry.len));
    Ok(entry.value)
}

impl<'a> PictureDecoder<'a> {
    /// Prepares to decode a picture into `target`, predicting from `forward` (the previous
    /// reference picture) and `backward` (the next one, for B-pictures).
    pub(crate) fn new(
        header: PictureHeader,
        intra_matrix: &'a [u8; 64],
        non_intra_matrix: &'a [u8; 64],
        target: &'a mut Frame,
        forward: Option<&'a Frame>,
        backward: Option<&'a Frame>,
        decoded: &'a mut Vec<bool>,
    ) -> PictureDecoder<'a> {
        let mb_width = target.y_stride / 16;
        let mb_height = target.coded_height as usize / 16;
        decoded.clear();
        decoded.resize(mb_width * mb_height, false);
        PictureDecoder {
            header,
            intra_matrix,
            non_intra_matrix,
            target,
            forward,
            backward,
            mb_width,
            mb_height,
            decoded,
            coeffs: [0; 64],
        }
    }

    /// Decodes one slice. `slice_code` is the last byte of its start code (1..=0xAF) and `data`
    /// the bytes after the start code up to the next start code.
    pub(crate) fn decode_slice(&mut self, slice_code: u8, data: &[u8]) -> Result<()> {
        let row = usize::from(slice_code).wrapping_sub(1);
        if row >= self.mb_height {
            return Err(Error::InvalidData("slice below the bottom of the picture"));
        }
        let mut r = BitReader::new(data);
        let quantizer_scale = r.read(5) as i32;
        if quantizer_scale == 0 {
            return Err(Error::InvalidData("quantizer_scale of zero"));
        }
        // extra_information_slice
        while r.read_bit() {
            r.skip(8);
            if r.overrun() {
                return Err(Error::UnexpectedEnd);
            }
        }
        let mut state = SliceState::new(quantizer_scale);
        let mb_count = self.mb_width * self.mb_height;
        let mut address = (row * self.mb_width) as isize - 1;
        let mut first = true;
        loop {
            let increment = read_address_increment(&mut r, mb_count)?;
            let next = address + increment as isize;
            if next as usize >= mb_count || next < 0 {
                return Err(Error::InvalidData("macroblock address beyond the picture"));
            }
            if !first {
                for skipped in (address + 1)..next {
                    self.skipped_macroblock(skipped as usize, &mut state);
                }
            }
            first = false;
            address = next;
            self.macroblock(&mut r, address as usize, &mut state)?;
            if r.overrun() {
                return Err(Error::UnexpectedEnd);
            }
            self.decoded[address as usize] = true;
            if r.at_slice_end() {
                return Ok(());
            }
        }
    }

    /// Fills every macroblock no slice decoded from the previous reference picture (zero
    /// motion), so damage shows as a frozen area instead of garbage. Returns how many
    /// macroblocks were concealed.
    pub(crate) fn conceal_missing(&mut self) -> usize {
        let source = match self.header.picture_type {
            PictureType::B => self.forward.or(self.backward),
            _ => self.forward,
        };
        let mut concealed = 0;
        for address in 0..self.decoded.len() {
            if self.decoded[address] {
                continue;
            }
            concealed += 1;
            if let Some(source) = source {
                let (mb_x, mb_y) = (address % self.mb_width, address / self.mb_width);
                copy_macroblock(source, self.target, mb_x, mb_y);
            }
        }
        concealed
    }

    fn skipped_macroblock(&mut self, address: usize, state: &mut SliceState) {
        state.dc_predictor = [128; 3];
        let (mb_x, mb_y) = (address % self.mb_width, address / self.mb_width);
        if self.header.picture_type == PictureType::B {
            // Same prediction as the previous macroblock, vectors unchanged.
            let flags = state.previous_flags & (mb_flags::FORWARD | mb_flags::BACKWARD);
            let flags = if flags == 0 { mb_flags::FORWARD } else { flags };
            self.predict_macroblock(
                mb_x,
                mb_y,
                flags,
                state.previous_forward,
                state.previous_backward,
            );
        } else {
            // P (and, illegally, I or D): a copy of the reference at zero motion.
            state.forward_predictor = (0, 0);
            if let Some(reference) = self.forward {
                copy_macroblock(reference, self.target, mb_x, mb_y);
            }
        }
        self.decoded[address] = true;
    }

    fn macroblock(
        &mut self,
        r: &mut BitReader<'_>,
        address: usize,
        state: &mut SliceState,
    ) -> Result<()> {
        let picture_type = self.header.picture_type;
        let table: &[VlcEntry] = match picture_type {
            PictureType::I => &MB_TYPE_I_LUT,
            PictureType::P => &MB_TYPE_P_LUT,
            PictureType::B => &MB_TYPE_B_LUT,
            PictureType::D => &MB_TYPE_D_LUT,
        };
        let flags = lookup(r, table, 6)?;
        if flags & mb_flags::QUANT != 0 {
            state.quantizer_scale = r.read(5) as i32;
            if state.quantizer_scale == 0 {
                return Err(Error::InvalidData("quantizer_scale of zero"));
            }
        }
        let (mb_x, mb_y) = (address % self.mb_width, address / self.mb_width);
        if flags & mb_flags::INTRA != 0 {
            state.forward_predictor = (0, 0);
            state.backward_predictor = (0, 0);
            state.previous_flags = flags;
            state.previous_forward = Vector::default();
            state.previous_backward = Vector::default();
            for block in 0..6 {
                self.intra_block(r, block, state)?;
                self.put_block(mb_x, mb_y, block, None);
            }
            if picture_type == PictureType::D && !r.read_bit() {
                return Err(Error::InvalidData(
                    "missing end_of_macroblock in a D-picture",
                ));
            }
            return Ok(());
        }

        state.dc_predictor = [128; 3];
        let mut forward = Vector::default();
        let mut backward = Vector::default();
        if flags & mb_flags::FORWARD != 0 {
            forward = read_vector(r, self.header.forward, &mut state.forward_predictor)?;
        } else if picture_type == PictureType::P {
            state.forward_predictor = (0, 0);
        }
        if flags & mb_flags::BACKWARD != 0 {
            backward = read_vector(r, self.header.backward, &mut state.backward_predictor)?;
        }
        let pattern = if flags & mb_flags::PATTERN != 0 {
            lookup(r, &CODED_BLOCK_PATTERN_LUT, 9)? as u8
        } else {
            0
        };
        state.previous_flags = flags;
        state.previous_forward = forward;
        state.previous_backward = backward;

        // P macroblocks without motion_forward are predicted at zero motion.
        let prediction_flags = if picture_type == PictureType::P {
            mb_flags::FORWARD
        } else {
            flags
        };
        self.predict_macroblock(mb_x, mb_y, prediction_flags, forward, backward);
        for block in 0..6 {
            if pattern & (0b10_0000 >> block) != 0 {
                let dc_only = self.non_intra_block(r, state.quantizer_scale)?;
                self.put_block(mb_x, mb_y, block, Some(dc_only));
            }
        }
        Ok(())
    }

    /// Decodes an intra block's coefficients into `self.coeffs` (dequantised, raster order).
    fn intra_block(
        &mut self,
        r: &mut BitReader<'_>,
        block: usize,
        state: &mut SliceState,
    ) -> Result<()> {
        let (table, component) = if block < 4 {
            (&DCT_DC_SIZE_LUMINANCE_LUT, 0)
        } else {
            (&DCT_DC_SIZE_CHROMINANCE_LUT, block - 3)
        };
        let size = lookup(r, table, 8)? as u32;
        if size > 0 {
            let bits = r.read(size) as i32;
            let differential = if bits & (1 << (size - 1)) != 0 {
                bits
            } else {
                bits + 1 - (1 << size)
            };
            state.dc_predictor[component] += differential;
        }
        // A block mean is 0..=255; damaged differentials can push the predictor outside.
        state.dc_predictor[component] = state.dc_predictor[component].clamp(0, 255);
        self.coeffs[0] = state.dc_predictor[component] * 8;
        if self.header.picture_type == PictureType::D {
            return Ok(());
        }
        let q = state.quantizer_scale;
        let mut n = 1usize;
        while let Some((run, level)) = read_coefficient(r)? {
            n += run;
            if n > 63 {
                self.coeffs = [0; 64];
                return Err(Error::InvalidData("more than 64 coefficients in a block"));
            }
            let pos = usize::from(ZIGZAG[n]);
            let magnitude = (level.abs() * q * i32::from(self.intra_matrix[pos])) >> 3;
            self.coeffs[pos] = saturate(oddify(magnitude) * level.signum());
            n += 1;
        }
        Ok(())
    }

    /// Decodes a non-intra block's coefficients into `self.coeffs`; returns true when only the
    /// first (DC) coefficient is non-zero.
    fn non_intra_block(&mut self, r: &mut BitReader<'_>, q: i32) -> Result<bool> {
        let mut n = 0usize;
        let mut dc_only = true;
        // dct_coeff_first codes run 0 / level 1 as "1s".
        let mut next = if r.peek(1) == 1 {
            r.skip(1);
            Some((0usize, if r.read_bit() { -1 } else { 1 }))
        } else {
            read_coefficient(r)?
        };
        while let Some((run, level)) = next {
            n += run;
            if n > 63 {
                self.coeffs = [0; 64];
                return Err(Error::InvalidData("more than 64 coefficients in a block"));
            }
            let pos = usize::from(ZIGZAG[n]);
            if pos != 0 {
                dc_only = false;
            }
            let magnitude =
                ((2 * level.abs() + 1) * q * i32::from(self.non_intra_matrix[pos])) >> 4;
            self.coeffs[pos] = saturate(oddify(magnitude) * level.signum());
            n += 1;
            next = read_coefficient(r)?;
        }
        Ok(dc_only)
    }

    /// Forms the motion-compensated prediction of a macroblock directly in the target picture
    /// (coded blocks then add their residual in place).
    fn predict_macroblock(
        &mut self,
        mb_x: usize,
        mb_y: usize,
        flags: i16,
        forward: Vector,
        backward: Vector,
    ) {
        let forward = (flags & mb_flags::FORWARD != 0)
            .then_some(self.forward)
            .flatten()
            .map(|f| (f, forward));
        let backward = (flags & mb_flags::BACKWARD != 0)
            .then_some(self.backward)
            .flatten()
            .map(|b| (b, backward));
        match (forward, backward) {
            (Some((f, v)), Some((b, w))) => {
                predict_from::<false>(f, self.target, mb_x, mb_y, v);
                predict_from::<true>(b, self.target, mb_x, mb_y, w);
            }
            (Some((reference, v)), None) | (None, Some((reference, v))) => {
                predict_from::<false>(reference, self.target, mb_x, mb_y, v);
            }
            (None, None) => fill_macroblock(self.target, mb_x, mb_y, 128),
        }
    }

    /// Writes block `block` of a macroblock from `self.coeffs`: for intra blocks (`None`) the
    /// IDCT output itself, for inter blocks the IDCT output added to the prediction already in
    /// the picture (`Some(dc_only)` says whether only the DC coefficient is set). Leaves
    /// `self.coeffs` zeroed.
    fn put_block(&mut self, mb_x: usize, mb_y: usize, block: usize, inter_dc_only: Option<bool>) {
        let (plane, stride, x, y) = block_position(self.target, mb_x, mb_y, block);
        let dest = &mut plane[y * stride + x..];
        let dc_only = match inter_dc_only {
            Some(dc_only) => dc_only,
            None => self.coeffs[1..].iter().all(|&c| c == 0),
        };
        if dc_only {
            let value = idct_dc_only(self.coeffs[0]);
            self.coeffs[0] = 0;
            for row in 0..8 {
                let out = &mut dest[row * stride..row * stride + 8];
                if inter_dc_only.is_some() {
                    for o in out.iter_mut() {
                        *o = clamp_pixel(i32::from(*o) + value);
                    }
                } else {
                    out.fill(clamp_pixel(value));
                }
            }
            return;
        }
        idct(&mut self.coeffs);
        for row in 0..8 {
            let out = &mut dest[row * stride..row * stride + 8];
            let residual = &self.coeffs[row * 8..row * 8 + 8];
            if inter_dc_only.is_some() {
                for (o, &r) in out.iter_mut().zip(residual) {
                    *o = clamp_pixel(i32::from(*o) + r);
                }
            } else {
                for (o, &r) in out.iter_mut().zip(residual) {
                    *o = clamp_pixel(r);
                }
            }
        }
        self.coeffs = [0; 64];
    }
}

/// The plane, its stride and the top-left sample of block `block` (0-3 luma, 4 Cb, 5 Cr) of
/// the macroblock at (`mb_x`, `mb_y`).
fn block_position(
    frame: &mut Frame,
    mb_x: usize,
    mb_y: usize,
    block: usize,
) -> (&mut [u8], usize, usize, usize) {
    match block {
        0..=3 => (
            &mut frame.y[..],
            frame.y_stride,
            mb_x * 16 + (block & 1) * 8,
            mb_y * 16 + (block >> 1) * 8,
        ),
        4 => (&mut frame.cb[..], frame.c_stride, mb_x * 8, mb_y * 8),
        _ => (&mut frame.cr[..], frame.c_stride, mb_x * 8, mb_y * 8),
    }
}

/// Predicts the three components of a macroblock from one reference picture into `target`,
/// or averages that prediction into what `target` holds with `AVERAGE`.
fn predict_from<const AVERAGE: bool>(
    reference: &Frame,
    target: &mut Frame,
    mb_x: usize,
    mb_y: usize,
    vector: Vector,
) {
    if reference.y_stride != target.y_stride || reference.coded_height != target.coded_height {
        return;
    }
    let luma_height = reference.coded_height as usize;
    let (y_stride, c_stride) = (target.y_stride, target.c_stride);
    predict::<16, AVERAGE>(
        PlaneRef {
            data: &reference.y,
            stride: y_stride,
            height: luma_height,
        },
        mb_x * 16,
        mb_y * 16,
        vector.x,
        vector.y,
        &mut target.y[mb_y * 16 * y_stride + mb_x * 16..],
        y_stride,
    );
    // Chroma vectors are the luma vectors halved, truncating toward zero (2.4.4.2).
    let (cx, cy) = (vector.x / 2, vector.y / 2);
    let chroma_origin = mb_y * 8 * c_stride + mb_x * 8;
    for (source, dest) in [
        (&reference.cb, &mut target.cb),
        (&reference.cr, &mut target.cr),
    ] {
        predict::<8, AVERAGE>(
            PlaneRef {
                data: source,
                stride: c_stride,
                height: luma_height / 2,
            },
            mb_x * 8,
            mb_y * 8,
            cx,
            cy,
            &mut dest[chroma_origin..],
            c_stride,
        );
    }
}

/// Sets a whole macroblock to one value (prediction when no reference exists).
fn fill_macroblock(target: &mut Frame, mb_x: usize, mb_y: usize, value: u8) {
    for row in 0..16 {
        let start = (mb_y * 16 + row) * target.y_stride + mb_x * 16;
        target.y[start..start + 16].fill(value);
    }
    for row in 0..8 {
        let start = (mb_y * 8 + row) * target.c_stride + mb_x * 8;
        target.cb[start..start + 8].fill(value);
        target.cr[start..start + 8].fill(value);
    }
}

/// Copies one macroblock (luma and chroma) from `source` to `target` at the same position.
fn copy_macroblock(source: &Frame, target: &mut Frame, mb_x: usize, mb_y: usize) {
    if source.y_stride != target.y_stride || source.coded_height != target.coded_height {
        return;
    }
    for row in 0..16 {
        let start = (mb_y * 16 + row) * target.y_stride + mb_x * 16;
        target.y[start..start + 16].copy_from_slice(&source.y[start..start + 16]);
    }
    for row in 0..8 {
        let start = (mb_y * 8 + row) * target.c_stride + mb_x * 8;
        target.cb[start..start + 8].copy_from_slice(&source.cb[start..start + 8]);
        target.cr[start..start + 8].copy_from_slice(&source.cr[start..start + 8]);
    }
}

/// Reads a macroblock_address_increment, including stuffing and escapes; an increment beyond
/// `limit` macroblocks is an error.
fn read_address_increment(r: &mut BitReader<'_>, limit: usize) -> Result<usize> {
    let mut increment = 0usize;
    loop {
        match lookup(r, &MB_ADDRESS_INCREMENT_LUT, 11)? {
            MB_STUFFING => {}
            MB_ESCAPE => increment += 33,
            value => return Ok(increment + value as usize),
        }
        if r.overrun() {
            return Err(Error::UnexpectedEnd);
        }
        if increment > limit {
            return Err(Error::InvalidData("macroblock address beyond the picture"));
        }
    }
}

/// Reads one motion vector (horizontal then vertical component), updating the predictor, and
/// returns it in half-pel units (2.4.4.2).
fn read_vector(
    r: &mut BitReader<'_>,
    coding: VectorCoding,
    predictor: &mut (i32, i32),
) -> Result<Vector> {
    let x = read_vector_component(r, coding.f_code, &mut predictor.0)?;
    let y = read_vector_component(r, coding.f_code, &mut predictor.1)?;
    let shift = u32::from(coding.full_pel);
    Ok(Vector {
        x: x << shift,
        y: y << shift,
    })
}

fn read_vector_component(r: &mut BitReader<'_>, f_code: u8, predictor: &mut i32) -> Result<i32> {
    let magnitude = i32::from(lookup(r, &MOTION_CODE_LUT, 10)?);
    let r_size = u32::from(f_code.clamp(1, 7)) - 1;
    let f = 1i32 << r_size;
    let delta = if magnitude == 0 {
        0
    } else {
        let negative = r.read_bit();
        let value = if f == 1 {
            magnitude
        } else {
            (magnitude - 1) * f + r.read(r_size) as i32 + 1
        };
        if negative {
            -value
        } else {
            value
        }
    };
    let mut vector = *predictor + delta;
    if vector > 16 * f - 1 {
        vector -= 32 * f;
    } else if vector < -16 * f {
        vector += 32 * f;
    }
    *predictor = vector;
    Ok(vector)
}

/// Reads one run/level pair with dct_coeff_next; `None` at end_of_block.
#[inline(always)]
fn read_coefficient(r: &mut BitReader<'_>) -> Result<Option<(usize, i32)>> {
    let bits = r.peek(16);
    let entry = if bits >= 0x0400 {
        DCT_COEFF_LUT_SHORT[(bits >> 8) as usize]
    } else if bits >= 0x0100 {
        DCT_COEFF_LUT_MEDIUM[((bits >> 4) & 0x3F) as usize]
    } else {
        DCT_COEFF_LUT_LONG[(bits & 0xFF) as usize]
    };
    if entry.len == 0 {
        return Err(Error::InvalidData("invalid DCT coefficient code"));
    }
    r.skip(u32::from(entry.len));
    match entry.value {
        DCT_END_OF_BLOCK => Ok(None),
        DCT_ESCAPE => {
            let run = r.read(6) as usize;
            let level = match r.read(8) {
                0 => r.read(8) as i32,
                128 => r.read(8) as i32 - 256,
                byte => (byte as u8 as i8) as i32,
            };
            if level == 0 {
                return Err(Error::InvalidData("escape-coded coefficient of level zero"));
            }
            Ok(Some((run, level)))
        }
        packed => {
            let run = (packed >> 8) as usize;
            let level = i32::from(packed & 0xFF);
            Ok(Some((run, if r.read_bit() { -level } else { level })))
        }
    }
}

/// Makes an even reconstructed magnitude odd by moving it toward zero (2.4.4.1).
#[inline(always)]
fn oddify(magnitude: i32) -> i32 {
    if magnitude & 1 == 0 && magnitude != 0 {
        magnitude - 1
    } else {
        magnitude
    }
}

/// Saturates a reconstructed coefficient to -2048..=2047 (2.4.4.1).
#[inline(always)]
fn saturate(value: i32) -> i32 {
    value.clamp(-2048, 2047)
}

#[inline(always)]
fn clamp_pixel(value: i32) -> u8 {
    value.clamp(0, 255) as u8
}
