//! Recent input bit rate, for `player.stats`.

use std::collections::VecDeque;

/// Seconds over which the bit rate is averaged.
const WINDOW: f64 = 2.0;

/// The bit rate of the bytes received over the last 2 seconds.
#[derive(Debug, Default)]
pub struct BitRateMeter {
    /// (host time, total bytes received then), oldest first.
    samples: VecDeque<(f64, u64)>,
}

impl BitRateMeter {
    /// A meter with no samples.
    pub fn new() -> BitRateMeter {
        BitRateMeter::default()
    }

    /// Notes that `total` bytes had been received by host time `now` (seconds).
    pub fn sample(&mut self, now: f64, total: u64) {
        if self
            .samples
            .back()
            .is_some_and(|&(t, b)| now < t || total < b)
        {
            // The clock or the counter went back (a new stream): start again.
            self.samples.clear();
        }
        self.samples.push_back((now, total));
        while self.samples.len() > 2 && self.samples.get(1).is_some_and(|&(t, _)| now - t >= WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Bits per second over the window (0 until two samples are at least 0.25 s apart).
    pub fn bits_per_second(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, b0)), Some(&(t1, b1))) if t1 - t0 >= 0.25 => {
                (b1 - b0) as f64 * 8.0 / (t1 - t0)
            }
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BitRateMeter;

    #[test]
    fn measures_the_recent_rate() {
        let mut m = BitRateMeter::new();
        assert!(m.bits_per_second().abs() < f64::EPSILON);
        // 1 Mbit/s for 5 s, sampled at 60 Hz...
        let mut total = 0;
        for i in 0..=300 {
            m.sample(f64::from(i) / 60.0, total);
            total += 125_000 / 60;
        }
        let r = m.bits_per_second();
        assert!((r - 1_000_000.0).abs() < 10_000.0, "{r}");
        // ...then nothing for 3 s: the rate falls to 0 within the window.
        let last = total;
        for i in 301..=480 {
            m.sample(f64::from(i) / 60.0, last);
        }
        assert!(m.bits_per_second() < 1.0, "{}", m.bits_per_second());
        // A new stream (the counter restarts) does not give a negative rate.
        m.sample(9.0, 0);
        m.sample(9.5, 62_500);
        assert!((m.bits_per_second() - 1_000_000.0).abs() < 1.0);
    }
}
