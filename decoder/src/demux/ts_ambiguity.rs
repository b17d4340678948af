//! Continuation packets that could belong to either of two streams of the same PID.
//!
//! When two substreams of a PID expect the same continuity counter (two independent sources do
//! so one time in sixteen), a continuation packet carrying that counter fits both. Guessing
//! wrong at a switch between sources would swap the two counter sequences and corrupt both
//! streams until their next PES, silently. So such packets are held, with the packets of the
//! PID that follow, while a small set of hypotheses (which held packet went where) is tracked:
//!
//! - hard evidence rules hypotheses out: the continuity counters, and the length of a bounded
//!   PES (it takes no more payload than it has left);
//! - soft evidence makes a hypothesis costlier: an MPEG audio stream whose next frame header
//!   would be missing costs [`FRAME_SYNC_COST`]; muxers shorten a packet with adaptation-field
//!   stuffing only at the end of a PES, so a packet after a stuffed one, or a stuffed packet in
//!   the middle of a bounded PES, costs [`CONVENTION_COST`]; and since a relay interleaves its
//!   sources in chunks of several packets, every switch between sources costs [`SWITCH_COST`];
//! - hypotheses that leave both streams in the same state are merged, keeping the cheapest
//!   (future packets cannot tell them apart).
//!
//! Packets are handed on as soon as every remaining hypothesis agrees on them; a PES start on
//! the PID (its `stream_id` names its substream, whose counter must follow on) decides the
//! rest, as do the end of input and the [`MAX_HELD_PACKETS`] limit, with the cheapest
//! hypothesis.

use alloc::vec::Vec;

use super::audio_frames::FrameTracker;
use super::continuity::Repeat;

/// The most packets held for one PID before the cheapest hypothesis is taken.
pub(crate) const MAX_HELD_PACKETS: usize = 64;
/// The most hypotheses tracked; the costliest are dropped.
const MAX_HYPOTHESES: usize = 32;
/// The cost of two consecutive packets of the PID coming from different sources.
const SWITCH_COST: u32 = 1;
/// The cost of going against what muxers do (see the module documentation).
const CONVENTION_COST: u32 = 16;
/// The cost of an audio frame header missing where it is due.
const FRAME_SYNC_COST: u32 = 64;

/// What routing needs to know about a substream's current PES.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Room {
    /// No PES is open (or the open one is complete): no continuation packet belongs here.
    pub closed: bool,
    /// Payload bytes still expected by a bounded PES.
    pub remaining: Option<usize>,
    /// The last packet was shortened by adaptation-field stuffing.
    pub stuffed: bool,
}

impl Room {
    /// Whether `len` more payload bytes fit.
    pub fn can_take(&self, len: usize) -> bool {
        !self.closed && self.remaining.is_none_or(|remaining| len <= remaining)
    }

    /// Takes a packet's payload (which must fit); returns the convention cost of doing so.
    pub fn take(&mut self, len: usize, stuffed: bool) -> u32 {
        let mut cost = if self.stuffed { CONVENTION_COST } else { 0 };
        if let Some(remaining) = &mut self.remaining {
            *remaining -= len;
            if *remaining == 0 {
                self.closed = true;
            } else if stuffed {
                cost += CONVENTION_COST;
            }
        }
        self.stuffed = stuffed;
        cost
    }

    /// The convention cost of a new PES starting now: a bounded PES should be complete.
    fn end_cost(&self) -> u32 {
        if !self.closed && self.remaining.is_some() {
            CONVENTION_COST
        } else {
            0
        }
    }
}

/// What routing needs to know about a substream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Side {
    /// The continuity counter it expects next (`None`: any).
    pub expected: Option<u8>,
    /// Its current PES.
    pub room: Room,
    /// Where its next audio frame header is due (out of step for video).
    pub frames: FrameTracker,
}

impl Side {
    /// Takes a packet (which must fit); returns the cost of the evidence against doing so.
    fn take(&mut self, counter: u8, stuffed: bool, payload: &[u8]) -> u32 {
        self.expected = Some((counter + 1) & 0x0F);
        let mut cost = self.room.take(payload.len(), stuffed);
        if !self.frames.advance(payload) {
            cost += FRAME_SYNC_COST;
        }
        cost
    }
}

/// One way of sharing the held packets between the two candidates.
#[derive(Clone, Copy, Debug)]
struct Hypothesis {
    /// Both candidates' state after the held packets.
    sides: [Side; 2],
    /// The candidate (0 or 1) that took the last packet.
    last: usize,
    cost: u32,
    /// Bit `i`: the candidate held packet `i` goes to.
    assignment: u64,
}

impl Hypothesis {
    fn same_state(&self, other: &Hypothesis) -> bool {
        self.sides == other.sides && self.last == other.last
    }
}

/// One held packet.
#[derive(Clone, Debug)]
pub(crate) struct HeldPacket {
    pub counter: u8,
    pub stuffed: bool,
    pub payload: Vec<u8>,
}

/// The packets of one PID held while it is unknown which of two substreams each belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Hold {
    pub pid: u16,
    /// The two substreams (indices); the first received the previous packet of the PID.
    pub candidates: [usize; 2],
    /// In arrival order.
    pub packets: Vec<HeldPacket>,
    /// Never empty.
    hypotheses: Vec<Hypothesis>,
    /// Copies of the last held packet seen since it (duplicates).
    copies: u8,
}

impl Hold {
    /// Starts holding; `sides` are the candidates' states as they stand.
    pub fn new(pid: u16, candidates: [usize; 2], sides: [Side; 2]) -> Hold {
        Hold {
            pid,
            candidates,
            packets: Vec::new(),
            hypotheses: alloc::vec![Hypothesis {
                sides,
                last: 0,
                cost: 0,
                assignment: 0,
            }],
            copies: 0,
        }
    }

    /// Whether the hold can take no more packets.
    pub fn is_full(&self) -> bool {
        self.packets.len() >= MAX_HELD_PACKETS
    }

    /// Holds a continuation packet. Returns false, changing nothing, when no hypothesis can
    /// take it (it fits neither candidate: a gap) or the hold is full.
    pub fn add(&mut self, counter: u8, stuffed: bool, payload: &[u8]) -> bool {
        if self.is_full() {
            return false;
        }
        let bit = self.packets.len();
        let mut next: Vec<Hypothesis> = Vec::new();
        for hypothesis in &self.hypotheses {
            // Staying with the same source first, so that it wins ties.
            for target in [hypothesis.last, 1 - hypothesis.last] {
                let side = hypothesis.sides[target];
                if side.expected.is_some_and(|e| e != counter) || !side.room.can_take(payload.len())
                {
                    continue;
                }
                let mut extended = *hypothesis;
                extended.cost += extended.sides[target].take(counter, stuffed, payload);
                if target != hypothesis.last {
                    extended.cost += SWITCH_COST;
                }
                extended.last = target;
                extended.assignment |= (target as u64) << bit;
                match next.iter_mut().find(|h| h.same_state(&extended)) {
                    Some(existing) if existing.cost <= extended.cost => {}
                    Some(existing) => *existing = extended,
                    None => next.push(extended),
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        next.sort_by_key(|h| h.cost);
        next.truncate(MAX_HYPOTHESES);
        self.hypotheses = next;
        self.packets.push(HeldPacket {
            counter,
            stuffed,
            payload: payload.to_vec(),
        });
        self.copies = 0;
        true
    }

    /// How many of the first held packets every hypothesis sends to the same candidate.
    pub fn agreed_len(&self) -> usize {
        let first = self.hypotheses[0].assignment;
        let disagreement = self
            .hypotheses
            .iter()
            .fold(0, |bits, h| bits | (h.assignment ^ first));
        (disagreement.trailing_zeros() as usize).min(self.packets.len())
    }

    /// Removes the first `count` held packets (handed on by the caller), with where they go.
    pub fn take_agreed(&mut self, count: usize) -> Vec<(usize, HeldPacket)> {
        let assignment = self.hypotheses[0].assignment;
        let taken = self
            .packets
            .drain(..count)
            .enumerate()
            .map(|(i, packet)| (self.candidates[((assignment >> i) & 1) as usize], packet))
            .collect();
        for hypothesis in &mut self.hypotheses {
            hypothesis.assignment = hypothesis.assignment.checked_shr(count as u32).unwrap_or(0);
        }
        taken
    }

    /// Settles on the cheapest hypothesis: every held packet with the substream it goes to.
    pub fn settle(self) -> Vec<(usize, HeldPacket)> {
        self.settle_with(0)
    }

    /// Settles on the cheapest hypothesis consistent with a PES starting on candidate
    /// substream `stream` with `counter` (its counter must follow on); the cheapest overall if
    /// there is none, or if `stream` is not a candidate.
    pub fn settle_at_unit_start(
        self,
        stream: Option<usize>,
        counter: u8,
    ) -> Vec<(usize, HeldPacket)> {
        let position = stream.and_then(|s| self.candidates.iter().position(|&c| c == s));
        let chosen = position.and_then(|position| {
            self.hypotheses
                .iter()
                .enumerate()
                .filter(|(_, h)| h.sides[position].expected.is_none_or(|e| e == counter))
                .min_by_key(|(_, h)| h.cost + h.sides[position].room.end_cost())
                .map(|(index, _)| index)
        });
        self.settle_with(chosen.unwrap_or(0))
    }

    fn settle_with(self, hypothesis: usize) -> Vec<(usize, HeldPacket)> {
        let assignment = self.hypotheses[hypothesis].assignment;
        let candidates = self.candidates;
        self.packets
            .into_iter()
            .enumerate()
            .map(|(i, packet)| (candidates[((assignment >> i) & 1) as usize], packet))
            .collect()
    }

    /// Whether a packet repeats the last held one.
    pub fn check_repeat(&mut self, counter: u8, payload: &[u8]) -> Repeat {
        let Some(last) = self.packets.last() else {
            return Repeat::No;
        };
        if last.counter != counter || last.payload != payload {
            return Repeat::No;
        }
        self.copies = self.copies.saturating_add(1);
        if self.copies == 1 {
            Repeat::Duplicate
        } else {
            Repeat::Excess
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(expected: u8, remaining: Option<usize>) -> Side {
        Side {
            expected: Some(expected),
            room: Room {
                closed: false,
                remaining,
                stuffed: false,
            },
            frames: FrameTracker::out_of_step(),
        }
    }

    fn targets(settled: &[(usize, HeldPacket)]) -> Vec<usize> {
        settled.iter().map(|(stream, _)| *stream).collect()
    }

    #[test]
    fn counters_and_lengths_rule_hypotheses_out() {
        // Stream 10 (served last) and stream 20 both expect counter 4.
        let mut hold = Hold::new(0x100, [10, 20], [side(4, None), side(4, Some(200))]);
        assert!(hold.add(4, false, &[0; 184]));
        assert_eq!(hold.agreed_len(), 0);
        // Counter 5 continues whichever took 4, counter 4 goes to the other.
        assert!(hold.add(5, false, &[0; 184]));
        assert!(!hold.add(9, false, &[0; 184]));
        // Stream 20 has room for 200 bytes: it cannot have taken both.
        assert!(hold.add(4, false, &[0; 184]));
        assert_eq!(hold.agreed_len(), 3);
        assert_eq!(targets(&hold.take_agreed(3)), [10, 10, 20]);
        assert!(hold.packets.is_empty());
    }

    #[test]
    fn the_cheapest_hypothesis_keeps_runs_together() {
        let mut hold = Hold::new(0x100, [10, 20], [side(0, None), side(0, None)]);
        for counter in 0..3 {
            assert!(hold.add(counter, false, &[1; 184]));
        }
        assert_eq!(targets(&hold.clone().settle()), [10, 10, 10]);
        // A PES start on stream 10 with counter 0 says the run was stream 20's.
        assert_eq!(
            targets(&hold.settle_at_unit_start(Some(10), 0)),
            [20, 20, 20]
        );
    }

    #[test]
    fn stuffing_and_missing_frame_headers_make_hypotheses_costlier() {
        // Stream 10's last packet was stuffed: its PES has probably ended.
        let mut ended = side(3, None);
        ended.room.stuffed = true;
        let mut hold = Hold::new(0x100, [10, 20], [ended, side(3, None)]);
        assert!(hold.add(3, false, &[0; 184]));
        assert_eq!(targets(&hold.settle()), [20]);
        // Stream 10 is audio expecting a frame header right away.
        let mut audio = side(3, None);
        audio.frames = FrameTracker::at_frame_start();
        let mut hold = Hold::new(0x100, [10, 20], [audio, side(3, None)]);
        assert!(hold.add(3, false, &[0; 184]));
        assert_eq!(targets(&hold.settle()), [20]);
        let mut hold = Hold::new(0x100, [10, 20], [audio, side(3, None)]);
        let mut frame = [0u8; 184];
        frame[..4].copy_from_slice(&[0xFF, 0xFD, 0x84, 0x00]);
        assert!(hold.add(3, false, &frame));
        assert_eq!(targets(&hold.settle()), [10]);
    }

    #[test]
    fn holds_a_bounded_number_of_packets() {
        let mut hold = Hold::new(0x100, [0, 1], [side(0, None), side(0, None)]);
        for i in 0..MAX_HELD_PACKETS {
            assert!(hold.add(i as u8 & 0x0F, false, &[0; 10]));
        }
        assert!(hold.is_full());
        assert!(!hold.add(0, false, &[0; 10]));
    }

    #[test]
    fn recognises_duplicates_of_the_last_held_packet() {
        let mut hold = Hold::new(0x100, [0, 1], [side(2, None), side(2, None)]);
        assert_eq!(hold.check_repeat(2, b"xyz"), Repeat::No);
        assert!(hold.add(2, false, b"xyz"));
        assert_eq!(hold.check_repeat(2, b"xyz"), Repeat::Duplicate);
        assert_eq!(hold.check_repeat(2, b"xyz"), Repeat::Excess);
        assert_eq!(hold.check_repeat(3, b"xyz"), Repeat::No);
    }
}
