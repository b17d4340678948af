//! PES timestamps waiting for the access unit (picture or audio frame) they belong to.
//!
//! A PES packet's PTS applies to the first access unit that starts in that packet
//! (ISO/IEC 13818-1 2.4.3.7). The elementary-stream decoders record where each PES began in
//! their byte stream, and look the mark up when a unit's start code or header is found.

use alloc::collections::VecDeque;

/// Timestamps are 33-bit counters of the 90 kHz clock.
pub(crate) const PTS_MASK: u64 = (1 << 33) - 1;

/// The most PES starts kept waiting for their units: bounded, but far beyond what the data
/// buffered for one unit can hold.
const MAX_MARKS: usize = 1 << 16;

/// Where PES packets began in an elementary stream, and their PTS.
#[derive(Debug, Default, Clone)]
pub(crate) struct PtsMarks {
    /// (stream offset of the PES payload's first byte, its PTS if it had one), in order.
    marks: VecDeque<(u64, Option<u64>)>,
}

impl PtsMarks {
    /// Records that a PES starts at stream offset `offset`, with its PTS if it had one.
    pub(crate) fn pes_start(&mut self, offset: u64, pts: Option<u64>) {
        if self.marks.len() >= MAX_MARKS {
            self.marks.pop_front();
        }
        self.marks.push_back((offset, pts.map(|p| p & PTS_MASK)));
    }

    /// The PTS for a unit starting at stream offset `offset`: that of the PES the unit starts
    /// in, if that PES had one and no earlier unit took it. Marks up to `offset` are used up.
    pub(crate) fn take(&mut self, offset: u64) -> Option<u64> {
        let mut pts = None;
        while let Some(&(start, value)) = self.marks.front() {
            if start > offset {
                break;
            }
            pts = value;
            self.marks.pop_front();
        }
        pts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_takes_the_pts_of_the_pes_it_starts_in() {
        let mut marks = PtsMarks::default();
        marks.pes_start(0, Some(100));
        marks.pes_start(50, None);
        marks.pes_start(90, Some(300));
        // A unit starting in the first PES.
        assert_eq!(marks.take(10), Some(100));
        // The next unit starts in the second PES, which had no PTS: none, not 100 again.
        assert_eq!(marks.take(60), None);
        // A unit starting in the third PES, and a second unit in the same PES.
        assert_eq!(marks.take(95), Some(300));
        assert_eq!(marks.take(99), None);
    }

    #[test]
    fn timestamps_wrap_at_33_bits() {
        let mut marks = PtsMarks::default();
        marks.pes_start(0, Some((1 << 33) + 5));
        assert_eq!(marks.take(0), Some(5));
    }
}
