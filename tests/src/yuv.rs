//! Planar yuv420p frames and the comparisons the tests assert.

use std::fmt::{self, Write as _};

/// Lowest PSNR (dB) accepted for any plane of any frame.
pub const MIN_FRAME_PSNR_DB: f64 = 50.0;
/// Lowest PSNR (dB) accepted for a plane over a whole stream (see [`compare_to_reference`]).
pub const MIN_STREAM_PSNR_DB: f64 = 55.0;
/// The value shown for identical planes, whose PSNR is infinite.
pub const IDENTICAL_PSNR_DB: f64 = f64::INFINITY;

/// One picture in planar yuv420p: the Y plane (`width` x `height`), then Cb, then Cr (each
/// `(width + 1) / 2` x `(height + 1) / 2`), no padding. This is the layout of ffmpeg's
/// `-f rawvideo -pix_fmt yuv420p` and of wasmpeg's `Frame::write_yuv420p`.
#[derive(Clone, PartialEq, Eq)]
pub struct YuvFrame {
    /// Luma width in samples.
    pub width: usize,
    /// Luma height in samples.
    pub height: usize,
    /// The three planes, one after the other.
    pub data: Vec<u8>,
}

impl fmt::Debug for YuvFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The samples themselves are too many to print usefully.
        write!(
            f,
            "YuvFrame {}x{} ({} bytes, checksum {:08x})",
            self.width,
            self.height,
            self.data.len(),
            checksum(&self.data)
        )
    }
}

/// One of the three planes of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plane {
    /// Luma.
    Y,
    /// Blue-difference chroma.
    Cb,
    /// Red-difference chroma.
    Cr,
}

impl Plane {
    /// The three planes in storage order.
    pub const ALL: [Plane; 3] = [Plane::Y, Plane::Cb, Plane::Cr];

    /// The plane's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Plane::Y => "Y",
            Plane::Cb => "Cb",
            Plane::Cr => "Cr",
        }
    }

    fn index(self) -> usize {
        match self {
            Plane::Y => 0,
            Plane::Cb => 1,
            Plane::Cr => 2,
        }
    }
}

impl YuvFrame {
    /// The size of a chroma plane for a `width` x `height` picture.
    pub fn chroma_size(width: usize, height: usize) -> (usize, usize) {
        (width.div_ceil(2), height.div_ceil(2))
    }

    /// The number of bytes of one `width` x `height` frame.
    pub fn frame_len(width: usize, height: usize) -> usize {
        let (cw, ch) = YuvFrame::chroma_size(width, height);
        width * height + 2 * cw * ch
    }

    /// A frame from its planes; panics if `data` has the wrong length.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> YuvFrame {
        assert_eq!(
            data.len(),
            YuvFrame::frame_len(width, height),
            "a {width}x{height} yuv420p frame has {} bytes",
            YuvFrame::frame_len(width, height)
        );
        YuvFrame {
            width,
            height,
            data,
        }
    }

    /// Width and height of `plane`.
    pub fn plane_size(&self, plane: Plane) -> (usize, usize) {
        match plane {
            Plane::Y => (self.width, self.height),
            Plane::Cb | Plane::Cr => YuvFrame::chroma_size(self.width, self.height),
        }
    }

    /// The samples of `plane`, row after row.
    pub fn plane(&self, plane: Plane) -> &[u8] {
        let luma = self.width * self.height;
        let (cw, ch) = YuvFrame::chroma_size(self.width, self.height);
        let chroma = cw * ch;
        match plane {
            Plane::Y => &self.data[..luma],
            Plane::Cb => &self.data[luma..luma + chroma],
            Plane::Cr => &self.data[luma + chroma..luma + 2 * chroma],
        }
    }

    /// Splits a concatenation of `width` x `height` frames; panics if the length does not divide.
    pub fn split_frames(width: usize, height: usize, data: &[u8]) -> Vec<YuvFrame> {
        let len = YuvFrame::frame_len(width, height);
        assert!(
            data.len() % len == 0,
            "{} bytes is not a whole number of {width}x{height} yuv420p frames ({len} bytes each)",
            data.len()
        );
        data.chunks(len)
            .map(|chunk| YuvFrame::new(width, height, chunk.to_vec()))
            .collect()
    }
}

/// A cheap checksum (FNV-1a, 32 bits) for messages.
pub fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0x811C_9DC5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The sum of squared differences of two equally long sample arrays.
pub fn sum_squared_error(a: &[u8], b: &[u8]) -> u64 {
    assert_eq!(a.len(), b.len(), "planes of different sizes");
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i64::from(x) - i64::from(y);
            (d * d) as u64
        })
        .sum()
}

/// PSNR in dB for 8-bit samples from a sum of squared errors over `samples` samples; infinite
/// when the error is zero.
pub fn psnr_from_sse(sse: u64, samples: usize) -> f64 {
    if sse == 0 || samples == 0 {
        return IDENTICAL_PSNR_DB;
    }
    let mse = sse as f64 / samples as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// PSNR in dB of two equally long sample arrays (infinite when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    psnr_from_sse(sum_squared_error(a, b), a.len())
}

/// PSNR of the three planes (Y, Cb, Cr) of two frames of the same size.
pub fn frame_psnr(a: &YuvFrame, b: &YuvFrame) -> [f64; 3] {
    Plane::ALL.map(|p| psnr(a.plane(p), b.plane(p)))
}

fn fmt_db(db: f64) -> String {
    if db.is_infinite() {
        "inf".to_string()
    } else {
        format!("{db:.2}")
    }
}

/// What a comparison against the reference measured.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Frames in the decoded output.
    pub frames: usize,
    /// Frames in the reference.
    pub reference_frames: usize,
    /// Lowest per-frame PSNR of each plane (Y, Cb, Cr) over the frames compared.
    pub min_psnr: [f64; 3],
    /// Whole-stream PSNR of each plane: from the squared error summed over all frames compared.
    pub stream_psnr: [f64; 3],
    /// Frames whose samples are identical to the reference.
    pub identical_frames: usize,
    /// Every failure found, one line each.
    pub failures: Vec<String>,
}

impl Comparison {
    /// A one-line summary.
    pub fn summary(&self) -> String {
        format!(
            "{} frames (reference {}), {} identical; min PSNR Y/Cb/Cr {}/{}/{} dB, stream PSNR {}/{}/{} dB",
            self.frames,
            self.reference_frames,
            self.identical_frames,
            fmt_db(self.min_psnr[0]),
            fmt_db(self.min_psnr[1]),
            fmt_db(self.min_psnr[2]),
            fmt_db(self.stream_psnr[0]),
            fmt_db(self.stream_psnr[1]),
            fmt_db(self.stream_psnr[2]),
        )
    }
}

/// Compares decoded frames with reference frames: the same number of frames, the same size for
/// each, PSNR >= [`MIN_FRAME_PSNR_DB`] on every plane of every frame, and a whole-stream PSNR
/// (squared error pooled over all frames, which is stricter than averaging per-frame dB values)
/// >= [`MIN_STREAM_PSNR_DB`] per plane. Collects every failure rather than stopping at the first.
pub fn compare_to_reference(ours: &[YuvFrame], reference: &[YuvFrame]) -> Comparison {
    let mut c = Comparison {
        frames: ours.len(),
        reference_frames: reference.len(),
        min_psnr: [IDENTICAL_PSNR_DB; 3],
        stream_psnr: [IDENTICAL_PSNR_DB; 3],
        ..Comparison::default()
    };
    if ours.len() != reference.len() {
        c.failures.push(format!(
            "frame count: decoded {} frames, the reference has {}",
            ours.len(),
            reference.len()
        ));
    }
    let mut sse = [0_u64; 3];
    let mut samples = [0_usize; 3];
    for (i, (a, b)) in ours.iter().zip(reference).enumerate() {
        if (a.width, a.height) != (b.width, b.height) {
            c.failures.push(format!(
                "frame {i}: size {}x{}, the reference is {}x{}",
                a.width, a.height, b.width, b.height
            ));
            continue;
        }
        let mut identical = true;
        for p in Plane::ALL {
            let e = sum_squared_error(a.plane(p), b.plane(p));
            let n = a.plane(p).len();
            sse[p.index()] += e;
            samples[p.index()] += n;
            let db = psnr_from_sse(e, n);
            identical &= e == 0;
            c.min_psnr[p.index()] = c.min_psnr[p.index()].min(db);
            if db < MIN_FRAME_PSNR_DB {
                c.failures.push(format!(
                    "frame {i} plane {}: PSNR {} dB < {MIN_FRAME_PSNR_DB} dB (max |diff| {}, {})",
                    p.name(),
                    fmt_db(db),
                    max_abs_diff(a.plane(p), b.plane(p)),
                    first_difference(a, b, p).unwrap_or_default()
                ));
            }
        }
        if identical {
            c.identical_frames += 1;
        }
    }
    for p in Plane::ALL {
        let db = psnr_from_sse(sse[p.index()], samples[p.index()]);
        c.stream_psnr[p.index()] = db;
        if db < MIN_STREAM_PSNR_DB {
            c.failures.push(format!(
                "plane {}: whole-stream PSNR {} dB < {MIN_STREAM_PSNR_DB} dB",
                p.name(),
                fmt_db(db)
            ));
        }
    }
    c
}

/// The largest absolute difference between two equally long sample arrays.
pub fn max_abs_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap_or(0)
}

/// Where two frames of the same size first differ in `plane`, as text.
pub fn first_difference(a: &YuvFrame, b: &YuvFrame, plane: Plane) -> Option<String> {
    let (w, _) = a.plane_size(plane);
    let pa = a.plane(plane);
    let pb = b.plane(plane);
    let n = pa.iter().zip(pb).filter(|(x, y)| x != y).count();
    let pos = pa.iter().zip(pb).position(|(x, y)| x != y)?;
    Some(format!(
        "{n} samples differ, first at x={} y={}: {} vs {}",
        pos % w,
        pos / w,
        pa[pos],
        pb[pos]
    ))
}

fn report(name: &str, what: &str, summary: &str, failures: &[String]) -> String {
    const MAX_LINES: usize = 200;
    let mut msg = format!(
        "{name}: {} failure(s) against {what}\n  ({summary})\n",
        failures.len()
    );
    for line in failures.iter().take(MAX_LINES) {
        let _ = writeln!(msg, "  {name}: {line}");
    }
    if failures.len() > MAX_LINES {
        let _ = writeln!(msg, "  ... and {} more", failures.len() - MAX_LINES);
    }
    msg
}

/// Runs [`compare_to_reference`] and panics with every failure, naming the stream, when there
/// is any; prints the summary otherwise.
pub fn assert_matches_reference(name: &str, ours: &[YuvFrame], reference: &[YuvFrame]) {
    let c = compare_to_reference(ours, reference);
    assert!(
        c.failures.is_empty(),
        "{}",
        report(name, "the ffmpeg reference", &c.summary(), &c.failures)
    );
    println!("{name}: OK, {}", c.summary());
}

/// Asserts that two frame sequences are bit-identical, listing every frame that is not.
pub fn assert_identical(name: &str, what: &str, got: &[YuvFrame], expected: &[YuvFrame]) {
    let mut failures = Vec::new();
    if got.len() != expected.len() {
        failures.push(format!(
            "frame count: {} frames, expected {}",
            got.len(),
            expected.len()
        ));
    }
    for (i, (a, b)) in got.iter().zip(expected).enumerate() {
        if (a.width, a.height) != (b.width, b.height) {
            failures.push(format!(
                "frame {i}: size {}x{}, expected {}x{}",
                a.width, a.height, b.width, b.height
            ));
            continue;
        }
        for p in Plane::ALL {
            if let Some(diff) = first_difference(a, b, p) {
                failures.push(format!(
                    "frame {i} plane {}: {diff} (max |diff| {}, PSNR {} dB)",
                    p.name(),
                    max_abs_diff(a.plane(p), b.plane(p)),
                    fmt_db(psnr(a.plane(p), b.plane(p)))
                ));
            }
        }
    }
    let summary = format!("{} frames, expected {}", got.len(), expected.len());
    assert!(
        failures.is_empty(),
        "{}",
        report(name, what, &summary, &failures)
    );
    println!("{name}: identical to {what} ({summary})");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psnr_of_known_errors() {
        let a = vec![100_u8; 100];
        assert!(psnr(&a, &a).is_infinite());
        let mut b = a.clone();
        b[0] = 110; // sse 100 over 100 samples: mse 1
        let expected = 10.0 * (255.0_f64 * 255.0).log10();
        assert!((psnr(&a, &b) - expected).abs() < 1e-9);
    }

    #[test]
    fn comparison_reports_every_failure() {
        let good = YuvFrame::new(4, 2, vec![128; YuvFrame::frame_len(4, 2)]);
        let mut bad = good.clone();
        bad.data[0] = 0; // Y plane: 8 samples, one off by 128
        let bad_chroma = {
            let mut f = good.clone();
            let n = f.data.len();
            f.data[n - 1] = 0; // last Cr sample
            f
        };
        let c = compare_to_reference(
            &[bad.clone(), good.clone(), bad_chroma],
            &[good.clone(), good.clone(), good.clone(), good],
        );
        // Frame count, frame 0 Y, frame 2 Cr, and the pooled Y and Cr planes.
        assert_eq!(c.failures.len(), 5, "{:#?}", c.failures);
        assert!(c.failures[0].starts_with("frame count"));
        assert!(c.failures[1].starts_with("frame 0 plane Y"));
        assert!(c.failures[2].starts_with("frame 2 plane Cr"));
        assert_eq!(c.identical_frames, 1);
    }

    #[test]
    fn odd_sizes_have_rounded_up_chroma() {
        assert_eq!(YuvFrame::frame_len(100, 75), 100 * 75 + 2 * 50 * 38);
        assert_eq!(YuvFrame::chroma_size(321, 241), (161, 121));
    }
}
