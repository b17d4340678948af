//! Motion-compensated prediction (ISO/IEC 11172-2, 2.4.4.2 and 2.4.4.3): copying a block from a
//! reference picture at a half-pel offset, averaging forward and backward predictions.

/// One plane of a reference picture.
#[derive(Clone, Copy)]
pub struct PlaneRef<'a> {
    /// Samples, `stride` per row.
    pub data: &'a [u8],
    /// Bytes per row (also the plane's width).
    pub stride: usize,
    /// Rows in the plane.
    pub height: usize,
}

/// Forms the prediction of a `SIZE` x `SIZE` block (16 for luma, 8 for chroma) whose top-left
/// corner is at (`x`, `y`) in the plane, displaced by the half-pel vector (`dx`, `dy`), into
/// `out`, `out_stride` bytes per row. With `AVERAGE`, the prediction is averaged into what `out`
/// holds instead ((a + b + 1) / 2, for bidirectional prediction).
///
/// Vectors pointing outside the reference are illegal in MPEG-1; for robustness the reference
/// is extended by repeating its edge samples instead of reading out of bounds.
#[inline]
pub fn predict<const SIZE: usize, const AVERAGE: bool>(
    reference: PlaneRef<'_>,
    x: usize,
    y: usize,
    dx: i32,
    dy: i32,
    out: &mut [u8],
    out_stride: usize,
) {
    let half_x = (dx & 1) != 0;
    let half_y = (dy & 1) != 0;
    // Integer part of the displacement, rounding toward minus infinity.
    let sx = x as isize + (dx >> 1) as isize;
    let sy = y as isize + (dy >> 1) as isize;
    let need_w = SIZE + usize::from(half_x);
    let need_h = SIZE + usize::from(half_y);
    let inside = sx >= 0
        && sy >= 0
        && (sx as usize) + need_w <= reference.stride
        && (sy as usize) + need_h <= reference.height
        && reference.data.len() >= reference.stride * reference.height;
    if inside {
        let origin = sy as usize * reference.stride + sx as usize;
        interpolate::<SIZE, AVERAGE>(
            &reference.data[origin..],
            reference.stride,
            half_x,
            half_y,
            out,
            out_stride,
        );
    } else {
        // Gather the needed area with clamped coordinates, then interpolate from it.
        let mut area = [0u8; 17 * 17];
        let max_x = reference.stride.saturating_sub(1) as isize;
        let max_y = reference.height.saturating_sub(1) as isize;
        for row in 0..need_h {
            let ry = (sy + row as isize).clamp(0, max_y) as usize;
            for col in 0..need_w {
                let rx = (sx + col as isize).clamp(0, max_x) as usize;
                area[row * 17 + col] = reference
                    .data
                    .get(ry * reference.stride + rx)
                    .copied()
                    .unwrap_or(128);
            }
        }
        interpolate::<SIZE, AVERAGE>(&area, 17, half_x, half_y, out, out_stride);
    }
}

/// Stores `value` into `out`, or averages it in with rounding up when `AVERAGE`.
#[inline(always)]
fn store<const AVERAGE: bool>(out: &mut u8, value: u16) {
    *out = if AVERAGE {
        ((u16::from(*out) + value + 1) >> 1) as u8
    } else {
        value as u8
    };
}

/// Half-pel interpolation with the standard's rounding: (a + b + 1) / 2 and
/// (a + b + c + d + 2) / 4.
#[inline(always)]
fn interpolate<const SIZE: usize, const AVERAGE: bool>(
    src: &[u8],
    stride: usize,
    half_x: bool,
    half_y: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    let width = SIZE + usize::from(half_x);
    for row in 0..SIZE {
        let o = &mut out[row * out_stride..row * out_stride + SIZE];
        let a = &src[row * stride..row * stride + width];
        match (half_x, half_y) {
            (false, false) => {
                if AVERAGE {
                    for i in 0..SIZE {
                        store::<true>(&mut o[i], u16::from(a[i]));
                    }
                } else {
                    o.copy_from_slice(&a[..SIZE]);
                }
            }
            (true, false) => {
                for i in 0..SIZE {
                    store::<AVERAGE>(&mut o[i], (u16::from(a[i]) + u16::from(a[i + 1]) + 1) >> 1);
                }
            }
            (false, true) => {
                let b = &src[(row + 1) * stride..(row + 1) * stride + SIZE];
                for i in 0..SIZE {
                    store::<AVERAGE>(&mut o[i], (u16::from(a[i]) + u16::from(b[i]) + 1) >> 1);
                }
            }
            (true, true) => {
                let b = &src[(row + 1) * stride..=(row + 1) * stride + SIZE];
                for i in 0..SIZE {
                    let sum = u16::from(a[i])
                        + u16::from(a[i + 1])
                        + u16::from(b[i])
                        + u16::from(b[i + 1]);
                    store::<AVERAGE>(&mut o[i], (sum + 2) >> 2);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize) -> alloc::vec::Vec<u8> {
        (0..w * h)
            .map(|i| ((i % w) * 3 + (i / w) * 7) as u8)
            .collect()
    }

    #[test]
    fn whole_pel_copy_and_half_pel_average() {
        let data = plane(32, 32);
        let r = PlaneRef {
            data: &data,
            stride: 32,
            height: 32,
        };
        let mut out = [0u8; 64];
        predict::<8, false>(r, 8, 8, 2, -2, &mut out, 8);
        assert_eq!(out[0], data[7 * 32 + 9]);
        predict::<8, false>(r, 8, 8, 1, 0, &mut out, 8);
        assert_eq!(
            u16::from(out[0]),
            (u16::from(data[8 * 32 + 8]) + u16::from(data[8 * 32 + 9]) + 1) >> 1
        );
        predict::<8, false>(r, 8, 8, -1, -1, &mut out, 8);
        let s: u16 = [7 * 32 + 7, 7 * 32 + 8, 8 * 32 + 7, 8 * 32 + 8]
            .iter()
            .map(|&i| u16::from(data[i]))
            .sum();
        assert_eq!(u16::from(out[0]), (s + 2) >> 2);
    }

    #[test]
    fn vectors_outside_the_picture_repeat_edges() {
        let data = plane(16, 16);
        let r = PlaneRef {
            data: &data,
            stride: 16,
            height: 16,
        };
        let mut out = [0u8; 256];
        predict::<16, false>(r, 0, 0, -1000, 1000, &mut out, 16);
        assert!(out.iter().all(|&v| v == data[15 * 16]));
    }
}
