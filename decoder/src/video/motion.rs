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

/// Forms the prediction of a `size` x `size` block (16 for luma, 8 for chroma) whose top-left
/// corner is at (`x`, `y`) in the plane, displaced by the half-pel vector (`dx`, `dy`), into
/// `out` (`size` * `size` samples, row-major).
///
/// Vectors pointing outside the reference are illegal in MPEG-1; for robustness the reference
/// is extended by repeating its edge samples instead of reading out of bounds.
pub fn predict(
    reference: PlaneRef<'_>,
    x: usize,
    y: usize,
    dx: i32,
    dy: i32,
    size: usize,
    out: &mut [u8],
) {
    let half_x = (dx & 1) != 0;
    let half_y = (dy & 1) != 0;
    // Integer part of the displacement, rounding toward minus infinity.
    let sx = x as isize + (dx >> 1) as isize;
    let sy = y as isize + (dy >> 1) as isize;
    let need_w = size + usize::from(half_x);
    let need_h = size + usize::from(half_y);
    let inside = sx >= 0
        && sy >= 0
        && (sx as usize) + need_w <= reference.stride
        && (sy as usize) + need_h <= reference.height
        && reference.data.len() >= reference.stride * reference.height;
    if inside {
        let origin = sy as usize * reference.stride + sx as usize;
        interpolate(
            &reference.data[origin..],
            reference.stride,
            half_x,
            half_y,
            size,
            out,
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
        interpolate(&area, 17, half_x, half_y, size, out);
    }
}

/// Half-pel interpolation with the standard's rounding: (a + b + 1) / 2 and
/// (a + b + c + d + 2) / 4.
#[inline(always)]
fn interpolate(src: &[u8], stride: usize, half_x: bool, half_y: bool, size: usize, out: &mut [u8]) {
    match (half_x, half_y) {
        (false, false) => {
            for row in 0..size {
                out[row * size..row * size + size]
                    .copy_from_slice(&src[row * stride..row * stride + size]);
            }
        }
        (true, false) => {
            for row in 0..size {
                let s = &src[row * stride..=row * stride + size];
                let o = &mut out[row * size..row * size + size];
                for i in 0..size {
                    o[i] = ((u16::from(s[i]) + u16::from(s[i + 1]) + 1) >> 1) as u8;
                }
            }
        }
        (false, true) => {
            for row in 0..size {
                let a = &src[row * stride..row * stride + size];
                let b = &src[(row + 1) * stride..(row + 1) * stride + size];
                let o = &mut out[row * size..row * size + size];
                for i in 0..size {
                    o[i] = ((u16::from(a[i]) + u16::from(b[i]) + 1) >> 1) as u8;
                }
            }
        }
        (true, true) => {
            for row in 0..size {
                let a = &src[row * stride..=row * stride + size];
                let b = &src[(row + 1) * stride..=(row + 1) * stride + size];
                let o = &mut out[row * size..row * size + size];
                for i in 0..size {
                    let sum = u16::from(a[i])
                        + u16::from(a[i + 1])
                        + u16::from(b[i])
                        + u16::from(b[i + 1]);
                    o[i] = ((sum + 2) >> 2) as u8;
                }
            }
        }
    }
}

/// Averages a second prediction into the first with rounding up: (a + b + 1) / 2, as for
/// bidirectionally predicted macroblocks.
pub fn average_into(acc: &mut [u8], other: &[u8]) {
    for (a, &b) in acc.iter_mut().zip(other) {
        *a = ((u16::from(*a) + u16::from(b) + 1) >> 1) as u8;
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
        predict(r, 8, 8, 2, -2, 8, &mut out);
        assert_eq!(out[0], data[7 * 32 + 9]);
        predict(r, 8, 8, 1, 0, 8, &mut out);
        assert_eq!(
            u16::from(out[0]),
            (u16::from(data[8 * 32 + 8]) + u16::from(data[8 * 32 + 9]) + 1) >> 1
        );
        predict(r, 8, 8, -1, -1, 8, &mut out);
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
        predict(r, 0, 0, -1000, 1000, 16, &mut out);
        assert!(out.iter().all(|&v| v == data[15 * 16]));
    }
}
