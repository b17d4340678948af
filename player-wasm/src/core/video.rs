//! Decoded pictures waiting to be shown, and the choice of which one to show.

use std::collections::VecDeque;

use wasmpeg::Frame;

/// A decoded picture owned by the player: planes cropped to the display size, no padding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picture {
    /// Display width in pixels.
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Luma, `width × height` bytes.
    pub y: Vec<u8>,
    /// Cb, `chroma_width × chroma_height` bytes.
    pub cb: Vec<u8>,
    /// Cr, `chroma_width × chroma_height` bytes.
    pub cr: Vec<u8>,
    /// Media time in seconds (relative to the start of the stream).
    pub time: f64,
    /// Display aspect ratio (width / height on screen) from the sequence header.
    pub display_aspect: f64,
    /// Frame duration in seconds, from the sequence header's frame rate.
    pub duration: f64,
}

impl Picture {
    /// Chroma width, `(width + 1) / 2`.
    pub fn chroma_width(&self) -> usize {
        self.width.div_ceil(2) as usize
    }

    /// Chroma height, `(height + 1) / 2`.
    pub fn chroma_height(&self) -> usize {
        self.height.div_ceil(2) as usize
    }

    /// Sets the size and resizes the planes (contents unspecified).
    pub fn set_size(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        let chroma = self.chroma_width() * self.chroma_height();
        self.y.resize(width as usize * height as usize, 16);
        self.cb.resize(chroma, 128);
        self.cr.resize(chroma, 128);
    }

    /// Copies a decoder frame (cropped to its display size), reusing this picture's buffers.
    pub fn copy_from(&mut self, frame: &Frame, time: f64) {
        self.width = frame.width;
        self.height = frame.height;
        copy_rows(&mut self.y, frame.y_rows());
        copy_rows(&mut self.cb, frame.cb_rows());
        copy_rows(&mut self.cr, frame.cr_rows());
        // A damaged frame could have short planes; keep the sizes consistent whatever happens.
        let chroma = self.chroma_width() * self.chroma_height();
        self.y
            .resize(frame.width as usize * frame.height as usize, 16);
        self.cb.resize(chroma, 128);
        self.cr.resize(chroma, 128);
        self.time = time;
        let aspect = frame.sequence.display_aspect_ratio();
        self.display_aspect = if aspect.is_finite() && aspect > 0.0 {
            aspect
        } else {
            f64::from(frame.width) / f64::from(frame.height.max(1))
        };
        self.duration = 1.0 / frame.sequence.frame_rate_f64().max(1.0);
    }
}

/// The canvas drawing-buffer size for a picture: the display height, and the width the
/// display aspect ratio gives (CSS `object-fit: contain` then letterboxes it in any CSS box).
/// Square-pixel pictures keep their exact size, so that pixels map one to one.
pub fn buffer_size(picture: &Picture) -> (u32, u32) {
    let h = picture.height.max(1);
    let natural = f64::from(picture.width) / f64::from(h);
    let w = if picture.display_aspect.is_finite() && (picture.display_aspect - natural).abs() > 0.01
    {
        (f64::from(h) * picture.display_aspect)
            .round()
            .clamp(1.0, 16384.0) as u32
    } else {
        picture.width
    };
    (w.max(1), h)
}

fn copy_rows<'a>(dst: &mut Vec<u8>, rows: impl Iterator<Item = &'a [u8]>) {
    dst.clear();
    for row in rows {
        dst.extend_from_slice(row);
    }
}

/// What a selection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// A new picture became current.
    pub new_picture: bool,
    /// Pictures that were due but skipped because a later one was due too.
    pub dropped: usize,
}

/// Pictures in display order waiting for their time, plus the picture on screen.
///
/// Buffers of pictures that were shown or dropped are kept in a pool and reused.
#[derive(Debug, Default)]
pub struct PictureQueue {
    queue: VecDeque<Picture>,
    current: Option<Picture>,
    pool: Vec<Picture>,
}

impl PictureQueue {
    /// An empty queue.
    pub fn new() -> PictureQueue {
        PictureQueue::default()
    }

    /// Queues a copy of `frame` with media time `time`.
    pub fn push(&mut self, frame: &Frame, time: f64) {
        let mut picture = self.pool.pop().unwrap_or_default();
        picture.copy_from(frame, time);
        self.queue.push_back(picture);
    }

    /// Queues a picture that is already owned.
    pub fn push_picture(&mut self, picture: Picture) {
        self.queue.push_back(picture);
    }

    /// Pictures waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when no picture is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The picture on screen (the last one selected).
    pub fn current(&self) -> Option<&Picture> {
        self.current.as_ref()
    }

    /// Media time of the next waiting picture.
    pub fn front_time(&self) -> Option<f64> {
        self.queue.front().map(|p| p.time)
    }

    /// Media time of the newest waiting picture.
    pub fn newest_time(&self) -> Option<f64> {
        self.queue.back().map(|p| p.time)
    }

    /// Seconds of video waiting: from the first waiting picture to the end of the last.
    pub fn buffered_seconds(&self) -> f64 {
        match (self.queue.front(), self.queue.back()) {
            (Some(a), Some(b)) => (b.time + b.duration - a.time).max(0.0),
            _ => 0.0,
        }
    }

    fn make_current(&mut self, picture: Picture) {
        if let Some(old) = self.current.replace(picture) {
            self.pool.push(old);
        }
    }

    /// File and buffered playback: every picture whose time is `≤ t` is due; the latest due
    /// one becomes current and earlier due ones are dropped (late frames are skipped, not
    /// shown in slow motion).
    pub fn select_due(&mut self, t: f64) -> Selection {
        let mut selection = Selection::default();
        // Half a millisecond of slack absorbs rounding of 90 kHz timestamps.
        while self.queue.front().is_some_and(|p| p.time <= t + 0.0005) {
            let Some(p) = self.queue.pop_front() else {
                break;
            };
            if selection.new_picture {
                selection.dropped += 1;
            }
            selection.new_picture = true;
            self.make_current(p);
        }
        selection
    }

    /// Live playback without a latency target: the newest picture becomes current, all others
    /// are dropped.
    pub fn select_newest(&mut self) -> Selection {
        let mut selection = Selection::default();
        while let Some(p) = self.queue.pop_front() {
            if selection.new_picture {
                selection.dropped += 1;
            }
            selection.new_picture = true;
            self.make_current(p);
        }
        selection
    }

    /// Makes the next waiting picture current regardless of time (`nextFrame()`).
    pub fn select_next(&mut self) -> Selection {
        match self.queue.pop_front() {
            Some(p) => {
                self.make_current(p);
                Selection {
                    new_picture: true,
                    dropped: 0,
                }
            }
            None => Selection::default(),
        }
    }

    /// Drops the oldest waiting pictures so that at most `max` wait; returns how many.
    pub fn limit(&mut self, max: usize) -> usize {
        let mut dropped = 0;
        while self.queue.len() > max {
            if let Some(p) = self.queue.pop_front() {
                self.pool.push(p);
                dropped += 1;
            }
        }
        dropped
    }

    /// Drops waiting pictures older than `t` (keeping the current one); returns how many.
    pub fn drop_before(&mut self, t: f64) -> usize {
        let mut dropped = 0;
        while self.queue.front().is_some_and(|p| p.time + 0.0005 < t) {
            if let Some(p) = self.queue.pop_front() {
                self.pool.push(p);
                dropped += 1;
            }
        }
        dropped
    }

    /// Forgets the waiting pictures (the current one stays on screen).
    pub fn clear(&mut self) {
        while let Some(p) = self.queue.pop_front() {
            self.pool.push(p);
        }
        // Never keep more spare buffers than a short queue needs.
        self.pool.truncate(8);
    }
}

#[cfg(test)]
mod tests {
    use super::{Picture, PictureQueue};

    fn picture(time: f64) -> Picture {
        let mut p = Picture::default();
        p.set_size(2, 2);
        p.time = time;
        p.duration = 0.04;
        p
    }

    fn queue(times: &[f64]) -> PictureQueue {
        let mut q = PictureQueue::new();
        for &t in times {
            q.push_picture(picture(t));
        }
        q
    }

    #[test]
    fn select_due_shows_latest_due_and_drops_the_rest() {
        let mut q = queue(&[0.0, 0.04, 0.08, 0.12]);
        let s = q.select_due(0.09);
        assert!(s.new_picture);
        assert_eq!(s.dropped, 2);
        assert_eq!(q.current().map(|p| p.time), Some(0.08));
        assert_eq!(q.len(), 1);
        let s = q.select_due(0.10);
        assert!(!s.new_picture);
        assert_eq!(q.current().map(|p| p.time), Some(0.08));
    }

    #[test]
    fn nothing_due_before_the_first_picture() {
        let mut q = queue(&[1.0]);
        assert!(!q.select_due(0.5).new_picture);
        assert!(q.current().is_none());
        assert!(q.select_due(1.0).new_picture);
    }

    #[test]
    fn select_newest_skips_to_the_newest() {
        let mut q = queue(&[0.0, 0.04, 0.08]);
        let s = q.select_newest();
        assert_eq!(s.dropped, 2);
        assert_eq!(q.current().map(|p| p.time), Some(0.08));
        assert!(q.is_empty());
    }

    #[test]
    fn buffer_size_follows_the_display_aspect_ratio() {
        let mut p = picture(0.0);
        p.set_size(352, 288);
        p.display_aspect = 352.0 / 288.0;
        assert_eq!(super::buffer_size(&p), (352, 288));
        // 4:3 display of a 352x288 picture (non-square pixels).
        p.display_aspect = 4.0 / 3.0;
        assert_eq!(super::buffer_size(&p), (384, 288));
        // 16:9 at 720x576.
        p.set_size(720, 576);
        p.display_aspect = 16.0 / 9.0;
        assert_eq!(super::buffer_size(&p), (1024, 576));
        p.display_aspect = f64::NAN;
        assert_eq!(super::buffer_size(&p), (720, 576));
    }

    #[test]
    fn limit_and_drop_before() {
        let mut q = queue(&[0.0, 0.04, 0.08, 0.12, 0.16]);
        assert_eq!(q.limit(3), 2);
        assert_eq!(q.front_time(), Some(0.08));
        assert_eq!(q.drop_before(0.15), 2);
        assert_eq!(q.front_time(), Some(0.16));
        assert!((q.buffered_seconds() - 0.04).abs() < 1e-9);
    }
}
