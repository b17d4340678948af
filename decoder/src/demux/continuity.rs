//! Transport-stream continuity counters: which counter comes next, and duplicate packets.
//!
//! The 4-bit `continuity_counter` increases by one (mod 16) with every packet of a PID that has
//! a payload. A duplicate packet is the previous packet sent again, byte for byte, with the same
//! counter; the standard allows exactly one duplicate, which is dropped silently.

/// The payload of a transport packet is at most 184 bytes.
const MAX_PAYLOAD_LEN: usize = 184;

/// What a packet's counter says about its relation to the previous packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Not a copy of the previous packet.
    No,
    /// The one duplicate the standard allows: drop it silently.
    Duplicate,
    /// A further copy after a duplicate: drop it, it is damage.
    Excess,
}

/// Continuity bookkeeping for one sequence of packets (a PSI PID, or one elementary stream of a
/// PID).
#[derive(Clone, Debug)]
pub(crate) struct Continuity {
    /// The counter of the last packet with a payload, `None` when anything may come next.
    last_counter: Option<u8>,
    /// That packet's payload, to recognise duplicates.
    last_payload: [u8; MAX_PAYLOAD_LEN],
    last_payload_len: usize,
    /// How many copies of that packet followed it.
    copies: u8,
}

impl Default for Continuity {
    fn default() -> Self {
        Continuity {
            last_counter: None,
            last_payload: [0; MAX_PAYLOAD_LEN],
            last_payload_len: 0,
            copies: 0,
        }
    }
}

impl Continuity {
    /// The counter the next packet should have, if known.
    pub fn expected(&self) -> Option<u8> {
        self.last_counter.map(|counter| (counter + 1) & 0x0F)
    }

    /// Whether `counter` continues the sequence (anything does when nothing is expected).
    pub fn accepts(&self, counter: u8) -> bool {
        self.expected().is_none_or(|expected| expected == counter)
    }

    /// Whether a packet with `counter` and `payload` is a copy of the previous one; counts the
    /// copies.
    pub fn check_repeat(&mut self, counter: u8, payload: &[u8]) -> Repeat {
        if self.last_counter != Some(counter) || self.last_payload() != payload {
            return Repeat::No;
        }
        self.copies = self.copies.saturating_add(1);
        if self.copies == 1 {
            Repeat::Duplicate
        } else {
            Repeat::Excess
        }
    }

    /// Records a packet that was accepted (in sequence or not).
    pub fn record(&mut self, counter: u8, payload: &[u8]) {
        let len = payload.len().min(MAX_PAYLOAD_LEN);
        self.last_counter = Some(counter);
        self.last_payload[..len].copy_from_slice(&payload[..len]);
        self.last_payload_len = len;
        self.copies = 0;
    }

    /// Accepts any counter next (after a signalled discontinuity).
    pub fn forget(&mut self) {
        self.last_counter = None;
    }

    fn last_payload(&self) -> &[u8] {
        &self.last_payload[..self.last_payload_len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_modulo_16() {
        let mut continuity = Continuity::default();
        assert!(continuity.accepts(9));
        continuity.record(15, b"a");
        assert_eq!(continuity.expected(), Some(0));
        assert!(continuity.accepts(0));
        assert!(!continuity.accepts(1));
        continuity.forget();
        assert!(continuity.accepts(1));
    }

    #[test]
    fn one_duplicate_is_allowed() {
        let mut continuity = Continuity::default();
        continuity.record(3, b"abc");
        assert_eq!(continuity.check_repeat(3, b"abd"), Repeat::No);
        assert_eq!(continuity.check_repeat(4, b"abc"), Repeat::No);
        assert_eq!(continuity.check_repeat(3, b"abc"), Repeat::Duplicate);
        assert_eq!(continuity.check_repeat(3, b"abc"), Repeat::Excess);
        continuity.record(4, b"abc");
        assert_eq!(continuity.check_repeat(4, b"abc"), Repeat::Duplicate);
    }
}
