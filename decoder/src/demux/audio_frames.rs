//! Where the next MPEG audio frame header is due in an audio elementary stream.
//!
//! Frame headers sit back to back at distances their own fields give, so once a stream is in
//! step, the bytes of each later header are predictable. The transport-stream demuxer uses this
//! as evidence when it cannot tell from continuity counters which of two streams a packet
//! belongs to: an audio stream that would receive a packet without the frame header due in it
//! is probably not its owner.

use super::mpeg_audio::parse_frame_header;

/// Follows the frame headers of an MPEG audio stream as its bytes go by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FrameTracker {
    /// Bytes from the current position to the next frame header; `None` when out of step.
    next_header: Option<usize>,
    /// The first bytes of a header cut by the end of the previous payload.
    partial: [u8; 3],
    partial_len: u8,
}

impl FrameTracker {
    /// A tracker that expects a frame header right away (at the start of an aligned PES).
    pub fn at_frame_start() -> FrameTracker {
        FrameTracker {
            next_header: Some(0),
            ..FrameTracker::default()
        }
    }

    /// A tracker that knows nothing (checks nothing).
    pub fn out_of_step() -> FrameTracker {
        FrameTracker::default()
    }

    /// Moves past the next `bytes` of the stream. Returns false when a header due in them is
    /// not there (the tracker is then out of step); true otherwise, including when out of step.
    pub fn advance(&mut self, bytes: &[u8]) -> bool {
        let Some(mut at) = self.next_header else {
            return true;
        };
        if self.partial_len > 0 {
            // Complete the header cut by the previous payload.
            let have = usize::from(self.partial_len);
            let mut header = [0u8; 4];
            header[..have].copy_from_slice(&self.partial[..have]);
            let wanted = 4 - have;
            let Some(rest) = bytes.get(..wanted) else {
                // Still not whole: keep collecting (payloads this short are rare).
                self.partial[have..have + bytes.len()].copy_from_slice(bytes);
                self.partial_len += bytes.len() as u8;
                return plausible_prefix(&self.partial[..usize::from(self.partial_len)]);
            };
            header[have..].copy_from_slice(rest);
            self.partial_len = 0;
            let Some(frame) = parse_frame_header(&header) else {
                *self = FrameTracker::out_of_step();
                return false;
            };
            at = frame.frame_len - have;
        }
        while at < bytes.len() {
            let rest = &bytes[at..];
            if rest.len() < 4 {
                if !plausible_prefix(rest) {
                    *self = FrameTracker::out_of_step();
                    return false;
                }
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len() as u8;
                self.next_header = Some(0);
                return true;
            }
            let Some(frame) = parse_frame_header(rest) else {
                *self = FrameTracker::out_of_step();
                return false;
            };
            at += frame.frame_len;
        }
        self.next_header = Some(at - bytes.len());
        true
    }
}

/// Whether up to 3 bytes may begin a frame header (the 11 sync bits).
fn plausible_prefix(bytes: &[u8]) -> bool {
    bytes.first().is_none_or(|&b| b == 0xFF) && bytes.get(1).is_none_or(|&b| b & 0xE0 == 0xE0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// MPEG-1 layer II, 128 kbit/s, 48 kHz: 384-byte frames.
    fn frames(count: usize) -> Vec<u8> {
        let mut stream = Vec::new();
        for i in 0..count {
            stream.extend_from_slice(&[0xFF, 0xFD, 0x84, 0x00]);
            stream.resize(stream.len() + 380, i as u8);
        }
        stream
    }

    #[test]
    fn follows_frames_across_any_cuts() {
        let stream = frames(6);
        for piece in [1, 2, 3, 5, 184, 383, 384, 385, 1000] {
            let mut tracker = FrameTracker::at_frame_start();
            for chunk in stream.chunks(piece) {
                assert!(tracker.advance(chunk), "piece {piece}");
            }
            assert_ne!(tracker, FrameTracker::out_of_step());
        }
    }

    #[test]
    fn notices_a_missing_header() {
        let mut stream = frames(3);
        stream[384 * 2] = 0x12;
        let mut tracker = FrameTracker::at_frame_start();
        assert!(tracker.advance(&stream[..384 * 2]));
        assert!(!tracker.advance(&stream[384 * 2..]));
        // Out of step, it checks nothing.
        assert!(tracker.advance(&[1, 2, 3]));
        // A header cut after its first byte is checked when the rest arrives.
        let mut tracker = FrameTracker::at_frame_start();
        assert!(tracker.advance(&stream[..385]));
        assert!(!tracker.advance(&[0x00, 0x84, 0x00]));
        let mut tracker = FrameTracker::at_frame_start();
        assert!(!tracker.advance(&[0x47, 0xFD]));
    }
}
