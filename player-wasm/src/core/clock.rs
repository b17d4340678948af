//! The media clock: maps host time (seconds from any monotonic source) to media time
//! (seconds of stream time) and back.

/// A media clock running at rate 1 from an anchor, or stopped.
///
/// The host time comes from the web layer: the `AudioContext` clock when audio is playing (so
/// that audio is the master and video follows it), `performance.now()` otherwise. When the
/// host source changes, [`Clock::rebase`] keeps the media time continuous.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    /// `(host, media)`: media time `media` is shown at host time `host`.
    anchor: Option<(f64, f64)>,
    /// While paused: the media time at which the clock stopped.
    paused_at: Option<f64>,
}

impl Clock {
    /// A clock that has not started.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// True once [`Clock::start`] was called (paused or not).
    pub fn is_started(&self) -> bool {
        self.anchor.is_some() || self.paused_at.is_some()
    }

    /// True while the clock is stopped by [`Clock::pause`].
    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Runs the clock so that media time `media` is reached at host time `host`.
    pub fn start(&mut self, host: f64, media: f64) {
        self.anchor = Some((host, media));
        self.paused_at = None;
    }

    /// Forgets the anchor: the clock is not started any more.
    pub fn reset(&mut self) {
        *self = Clock::default();
    }

    /// The media time at host time `host` (`None` before the clock started). A paused clock
    /// reports the time it stopped at.
    pub fn media_time(&self, host: f64) -> Option<f64> {
        if let Some(t) = self.paused_at {
            return Some(t);
        }
        self.anchor.map(|(h, m)| m + (host - h))
    }

    /// The host time at which media time `media` is reached (`None` when paused or not started).
    pub fn host_time(&self, media: f64) -> Option<f64> {
        if self.paused_at.is_some() {
            return None;
        }
        self.anchor.map(|(h, m)| h + (media - m))
    }

    /// Stops the clock at the media time of host time `host`.
    pub fn pause(&mut self, host: f64) {
        if let Some(t) = self.media_time(host) {
            self.paused_at = Some(t);
            self.anchor = None;
        }
    }

    /// Restarts a paused clock at host time `host` from where it stopped.
    pub fn resume(&mut self, host: f64) {
        if let Some(t) = self.paused_at.take() {
            self.anchor = Some((host, t));
        }
    }

    /// Moves media time by `delta` seconds (positive: jump ahead).
    pub fn shift(&mut self, delta: f64) {
        if let Some(t) = self.paused_at.as_mut() {
            *t += delta;
        }
        if let Some((_, m)) = self.anchor.as_mut() {
            *m += delta;
        }
    }

    /// Sets the media time to `media` at host time `host`, keeping the paused state.
    pub fn set(&mut self, host: f64, media: f64) {
        if self.paused_at.is_some() {
            self.paused_at = Some(media);
        } else {
            self.anchor = Some((host, media));
        }
    }

    /// The host clock changed from one source to another: media time `old_host` on the old
    /// source continues from `new_host` on the new one.
    pub fn rebase(&mut self, old_host: f64, new_host: f64) {
        if let (Some(t), None) = (self.media_time(old_host), self.paused_at) {
            self.anchor = Some((new_host, t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn runs_at_rate_one_from_the_anchor() {
        let mut c = Clock::new();
        assert_eq!(c.media_time(5.0), None);
        c.start(10.0, 2.0);
        assert!(close(c.media_time(10.5), 2.5));
        assert!(close(c.host_time(3.0), 11.0));
    }

    #[test]
    fn pause_and_resume_keep_media_time() {
        let mut c = Clock::new();
        c.start(0.0, 0.0);
        c.pause(1.0);
        assert!(close(c.media_time(50.0), 1.0));
        assert_eq!(c.host_time(1.0), None);
        c.resume(100.0);
        assert!(close(c.media_time(100.25), 1.25));
    }

    #[test]
    fn rebase_is_continuous_across_host_sources() {
        let mut c = Clock::new();
        c.start(1000.0, 0.0); // performance.now() in seconds
        c.rebase(1002.0, 0.5); // AudioContext.currentTime takes over
        assert!(close(c.media_time(0.5), 2.0));
        assert!(close(c.media_time(1.5), 3.0));
    }

    #[test]
    fn shift_and_set() {
        let mut c = Clock::new();
        c.start(0.0, 0.0);
        c.shift(2.0);
        assert!(close(c.media_time(1.0), 3.0));
        c.set(1.0, 10.0);
        assert!(close(c.media_time(2.0), 11.0));
        c.pause(2.0);
        c.set(5.0, 4.0);
        assert!(c.is_paused());
        assert!(close(c.media_time(9.0), 4.0));
    }
}
