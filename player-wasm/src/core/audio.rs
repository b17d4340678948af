//! Decoded audio waiting to be played, and where on the output timeline each chunk goes.

use super::clock::Clock;

/// Scheduling margin: audio is never scheduled closer to "now" than this (seconds).
pub const MIN_LEAD: f64 = 0.02;
/// Start-up lead for live audio after an underrun (seconds): a little cushion against jitter.
pub const LIVE_LEAD: f64 = 0.05;
/// Chunks that would start within this distance of where the previous one ends are joined to
/// it exactly, so that timestamp rounding never leaves gaps or overlaps (seconds).
pub const SNAP: f64 = 0.04;

/// One decoded audio frame owned by the player.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AudioChunk {
    /// Media time of the first sample, seconds.
    pub time: f64,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels (1 or 2).
    pub channels: u8,
    /// Samples per channel.
    pub samples_per_channel: usize,
    /// Planar samples: channel 0, then channel 1.
    pub samples: Vec<f32>,
}

impl AudioChunk {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.samples_per_channel as f64 / f64::from(self.sample_rate)
    }

    /// Media time just after the last sample.
    pub fn end(&self) -> f64 {
        self.time + self.duration()
    }

    /// The samples of one channel (empty if there is no such channel).
    pub fn channel(&self, index: usize) -> &[f32] {
        let n = self.samples_per_channel;
        self.samples.get(index * n..(index + 1) * n).unwrap_or(&[])
    }
}

/// How audio relates to the media clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SyncPolicy {
    /// Files: audio is the master; the clock follows the audio as it is laid out back to back.
    AudioMaster,
    /// Buffered live: audio goes where the clock says; late audio is dropped.
    Synced,
    /// Live without a latency target: audio plays as soon as it arrives, but never more than
    /// `max_lag` seconds ahead (later chunks are dropped until the queue drains).
    Free {
        /// The most audio allowed in the output queue, seconds (`maxAudioLag`).
        max_lag: f64,
    },
}

/// Where an audio chunk goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AudioPlacement {
    /// Play at host time `when`, skipping the first `offset` seconds of the chunk.
    Play {
        /// Host (AudioContext) time of the first played sample.
        when: f64,
        /// Seconds of the chunk to skip.
        offset: f64,
    },
    /// Do not play this chunk.
    Drop,
}

/// Lays decoded audio chunks out on the output timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AudioScheduler {
    /// Host time at which the audio scheduled so far ends.
    next_free: Option<f64>,
}

impl AudioScheduler {
    /// A scheduler with nothing scheduled.
    pub fn new() -> AudioScheduler {
        AudioScheduler::default()
    }

    /// Forgets what was scheduled (after stopping the output).
    pub fn reset(&mut self) {
        self.next_free = None;
    }

    /// Host time at which the scheduled audio ends.
    pub fn scheduled_until(&self) -> Option<f64> {
        self.next_free
    }

    /// Seconds of audio scheduled ahead of `now`.
    pub fn ahead(&self, now: f64) -> f64 {
        self.next_free.map_or(0.0, |t| (t - now).max(0.0))
    }

    /// Decides where a chunk of media time `time` and length `duration` plays, at host time
    /// `now`. With [`SyncPolicy::AudioMaster`] the clock may be nudged to follow the audio.
    pub fn place(
        &mut self,
        time: f64,
        duration: f64,
        now: f64,
        clock: &mut Clock,
        policy: SyncPolicy,
    ) -> AudioPlacement {
        let next_free = self.next_free.filter(|&t| t > now + MIN_LEAD);
        let placement = match policy {
            SyncPolicy::Free { max_lag } => {
                let when = next_free.unwrap_or(now + LIVE_LEAD);
                if when - now > max_lag {
                    return AudioPlacement::Drop;
                }
                AudioPlacement::Play { when, offset: 0.0 }
            }
            SyncPolicy::AudioMaster => {
                let Some(mut when) = clock.host_time(time) else {
                    return AudioPlacement::Drop;
                };
                if let Some(nf) = next_free.filter(|nf| (when - nf).abs() <= SNAP) {
                    clock.shift(when - nf);
                    when = nf;
                }
                if when < now + MIN_LEAD {
                    // The clock ran ahead of the audio (an underrun): the clock waits.
                    clock.shift(when - (now + MIN_LEAD));
                    when = now + MIN_LEAD;
                }
                AudioPlacement::Play { when, offset: 0.0 }
            }
            SyncPolicy::Synced => {
                let Some(mut when) = clock.host_time(time) else {
                    return AudioPlacement::Drop;
                };
                if let Some(nf) = next_free.filter(|nf| (when - nf).abs() <= SNAP) {
                    when = nf;
                }
                let earliest = now + MIN_LEAD;
                if when + duration <= earliest {
                    return AudioPlacement::Drop;
                }
                if when < earliest {
                    AudioPlacement::Play {
                        when: earliest,
                        offset: earliest - when,
                    }
                } else {
                    AudioPlacement::Play { when, offset: 0.0 }
                }
            }
        };
        if let AudioPlacement::Play { when, offset } = placement {
            self.next_free = Some(when + duration - offset);
        }
        placement
    }
}

#[cfg(test)]
mod tests {
    use super::{AudioPlacement, AudioScheduler, SyncPolicy, MIN_LEAD};
    use crate::core::clock::Clock;

    const FRAME: f64 = 1152.0 / 44100.0;

    fn when(p: AudioPlacement) -> f64 {
        match p {
            AudioPlacement::Play { when, .. } => when,
            AudioPlacement::Drop => panic!("dropped"),
        }
    }

    #[test]
    fn audio_master_lays_chunks_back_to_back_without_gaps() {
        let mut clock = Clock::new();
        clock.start(1.0, 0.0);
        let mut s = AudioScheduler::new();
        let mut expected = 1.0;
        for i in 0..100 {
            // Timestamps rounded to 90 kHz ticks jitter by up to a tick.
            let t = (f64::from(i) * FRAME * 90_000.0).round() / 90_000.0;
            let w = when(s.place(t, FRAME, 0.9, &mut clock, SyncPolicy::AudioMaster));
            assert!((w - expected).abs() < 1e-9, "chunk {i}: {w} vs {expected}");
            expected += FRAME;
        }
        // The clock follows the audio: the media time of the last chunk's start is at its host
        // time.
        let last_t = (99.0 * FRAME * 90_000.0f64).round() / 90_000.0;
        assert!((clock.host_time(last_t).unwrap_or(0.0) - (expected - FRAME)).abs() < 1e-9);
    }

    #[test]
    fn audio_master_underrun_makes_the_clock_wait() {
        let mut clock = Clock::new();
        clock.start(0.0, 0.0);
        let mut s = AudioScheduler::new();
        // Host time 5 s but the chunk is for media time 1 s: it plays now and the clock steps back.
        let w = when(s.place(1.0, FRAME, 5.0, &mut clock, SyncPolicy::AudioMaster));
        assert!((w - (5.0 + MIN_LEAD)).abs() < 1e-9);
        assert!((clock.media_time(5.0 + MIN_LEAD).unwrap_or(0.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn free_policy_drops_audio_beyond_max_lag() {
        let mut clock = Clock::new();
        let mut s = AudioScheduler::new();
        let policy = SyncPolicy::Free { max_lag: 0.25 };
        let mut played = 0;
        for i in 0..40 {
            if let AudioPlacement::Play { .. } =
                s.place(f64::from(i) * FRAME, FRAME, 0.0, &mut clock, policy)
            {
                played += 1;
            }
        }
        assert!(s.ahead(0.0) <= 0.25 + FRAME);
        assert!((8..=10).contains(&played), "{played}");
    }

    #[test]
    fn synced_policy_drops_stale_audio_and_trims_partly_late_chunks() {
        let mut clock = Clock::new();
        clock.start(10.0, 0.0);
        let mut s = AudioScheduler::new();
        assert_eq!(
            s.place(0.0, FRAME, 10.5, &mut clock, SyncPolicy::Synced),
            AudioPlacement::Drop
        );
        match s.place(0.5, FRAME, 10.5, &mut clock, SyncPolicy::Synced) {
            AudioPlacement::Play { when, offset } => {
                assert!((when - (10.5 + MIN_LEAD)).abs() < 1e-9);
                assert!((offset - MIN_LEAD).abs() < 1e-9);
            }
            AudioPlacement::Drop => panic!("dropped"),
        }
        let w = when(s.place(1.0, FRAME, 10.5, &mut clock, SyncPolicy::Synced));
        assert!((w - 11.0).abs() < 1e-9);
    }
}
