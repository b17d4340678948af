//! YCbCr → RGB conversion, ITU-R BT.601 limited range (luma 16–235, chroma 16–240), the range
//! MPEG-1 uses.
//!
//! The WebGL fragment shader and the Canvas2D path use the same coefficients ([`MATRIX`]) and
//! the same chroma upsampling (bilinear, sample positions as a texture sampled with `LINEAR`
//! filtering places them), so both renderers give the same colours.

use super::video::Picture;

/// Luma scale: 255 / 219.
pub const Y_SCALE: f32 = 255.0 / 219.0;
/// Cr → R: 1.402 × 255 / 224.
pub const CR_TO_R: f32 = 1.402 * 255.0 / 224.0;
/// Cb → G: −1.772 × 0.114 / 0.587 × 255 / 224.
pub const CB_TO_G: f32 = -1.772 * 0.114 / 0.587 * 255.0 / 224.0;
/// Cr → G: −1.402 × 0.299 / 0.587 × 255 / 224.
pub const CR_TO_G: f32 = -1.402 * 0.299 / 0.587 * 255.0 / 224.0;
/// Cb → B: 1.772 × 255 / 224.
pub const CB_TO_B: f32 = 1.772 * 255.0 / 224.0;

/// The coefficients in the order the shader uses them: `[Y_SCALE, CR_TO_R, CB_TO_G, CR_TO_G,
/// CB_TO_B]`.
pub const MATRIX: [f32; 5] = [Y_SCALE, CR_TO_R, CB_TO_G, CR_TO_G, CB_TO_B];

/// Converts one sample triple (8-bit Y, Cb, Cr, chroma possibly interpolated) to RGB.
pub fn ycbcr_to_rgb(y: f32, cb: f32, cr: f32) -> [u8; 3] {
    let y = (y - 16.0) * Y_SCALE;
    let cb = cb - 128.0;
    let cr = cr - 128.0;
    let to_u8 = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [
        to_u8(y + CR_TO_R * cr),
        to_u8(y + CB_TO_G * cb + CR_TO_G * cr),
        to_u8(y + CB_TO_B * cb),
    ]
}

/// For output position `i` of `n`, the two chroma samples (of `cn`) to blend and the weight of
/// the second: the sample position of a `LINEAR`-filtered texture of `cn` texels stretched
/// over `n` pixels.
fn chroma_taps(i: usize, n: usize, cn: usize) -> (usize, usize, f32) {
    let pos = (i as f32 + 0.5) * cn as f32 / n as f32 - 0.5;
    let base = pos.floor();
    let frac = pos - base;
    let last = cn.saturating_sub(1) as isize;
    let i0 = (base as isize).clamp(0, last) as usize;
    let i1 = (base as isize + 1).clamp(0, last) as usize;
    (i0, i1, frac)
}

/// Converts a picture to RGBA (alpha 255), `width × height` pixels, into `out` (resized).
pub fn picture_to_rgba(picture: &Picture, out: &mut Vec<u8>) {
    let (w, h) = (picture.width as usize, picture.height as usize);
    let (cw, ch) = (picture.chroma_width(), picture.chroma_height());
    out.clear();
    out.resize(w * h * 4, 255);
    if w == 0 || h == 0 || cw == 0 || ch == 0 {
        return;
    }
    let xtaps: Vec<(usize, usize, f32)> = (0..w).map(|x| chroma_taps(x, w, cw)).collect();
    for row in 0..h {
        let (r0, r1, fy) = chroma_taps(row, h, ch);
        let y_row = &picture.y[row * w..(row + 1) * w];
        let cb0 = &picture.cb[r0 * cw..(r0 + 1) * cw];
        let cb1 = &picture.cb[r1 * cw..(r1 + 1) * cw];
        let cr0 = &picture.cr[r0 * cw..(r0 + 1) * cw];
        let cr1 = &picture.cr[r1 * cw..(r1 + 1) * cw];
        let out_row = &mut out[row * w * 4..(row + 1) * w * 4];
        for (x, (px, &(c0, c1, fx))) in out_row.chunks_exact_mut(4).zip(&xtaps).enumerate() {
            let bilinear = |a: &[u8], b: &[u8]| {
                let top = f32::from(a[c0]) * (1.0 - fx) + f32::from(a[c1]) * fx;
                let bottom = f32::from(b[c0]) * (1.0 - fx) + f32::from(b[c1]) * fx;
                top * (1.0 - fy) + bottom * fy
            };
            let rgb = ycbcr_to_rgb(f32::from(y_row[x]), bilinear(cb0, cb1), bilinear(cr0, cr1));
            px[..3].copy_from_slice(&rgb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{picture_to_rgba, ycbcr_to_rgb};
    use crate::core::video::Picture;

    #[test]
    fn limited_range_extremes() {
        assert_eq!(ycbcr_to_rgb(16.0, 128.0, 128.0), [0, 0, 0]);
        assert_eq!(ycbcr_to_rgb(235.0, 128.0, 128.0), [255, 255, 255]);
        assert_eq!(ycbcr_to_rgb(126.0, 128.0, 128.0), [128, 128, 128]);
        // BT.601 red (R'=255, G'=B'=0): Y 81, Cb 90, Cr 240.
        let [r, g, b] = ycbcr_to_rgb(81.0, 90.0, 240.0);
        assert!(r >= 253 && g <= 2 && b <= 2, "{r} {g} {b}");
    }

    #[test]
    fn flat_picture_converts_to_flat_rgba() {
        let mut p = Picture::default();
        p.set_size(5, 3);
        p.y.fill(81);
        p.cb.fill(90);
        p.cr.fill(240);
        let mut out = Vec::new();
        picture_to_rgba(&p, &mut out);
        assert_eq!(out.len(), 5 * 3 * 4);
        let [r, g, b] = ycbcr_to_rgb(81.0, 90.0, 240.0);
        for px in out.chunks_exact(4) {
            assert_eq!(px, &[r, g, b, 255]);
        }
    }

    #[test]
    fn chroma_is_interpolated_between_samples() {
        let mut p = Picture::default();
        p.set_size(4, 2);
        p.y.fill(126);
        p.cb.fill(128);
        p.cr.copy_from_slice(&[128, 228]); // one chroma row of 2 samples
        let mut out = Vec::new();
        picture_to_rgba(&p, &mut out);
        let reds: Vec<u8> = out.chunks_exact(4).take(4).map(|px| px[0]).collect();
        // Positions 0.25 of the way (clamped at the edges): pixel 0 and 3 are pure samples,
        // 1 and 2 blend 3:1.
        assert_eq!(reds[0], ycbcr_to_rgb(126.0, 128.0, 128.0)[0]);
        assert_eq!(reds[1], ycbcr_to_rgb(126.0, 128.0, 153.0)[0]);
        assert_eq!(reds[2], ycbcr_to_rgb(126.0, 128.0, 203.0)[0]);
        assert_eq!(reds[3], ycbcr_to_rgb(126.0, 128.0, 228.0)[0]);
    }
}
