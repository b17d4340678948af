//! The platform-free playback core: everything the player decides, with no web API.
//!
//! The web layer feeds bytes into an [`Engine`], calls [`Engine::tick`] once per animation frame
//! with the current time, and carries out what the tick returns (show this picture, schedule
//! these audio chunks, fire these events).

pub mod audio;
pub mod clock;
pub mod color;
pub mod engine;
pub mod meter;
pub mod options;
pub mod video;

pub use audio::{AudioChunk, AudioPlacement, AudioScheduler};
pub use clock::Clock;
pub use engine::{Engine, EngineConfig, EngineEvent, Mode, Stats, Tick};
pub use meter::BitRateMeter;
pub use options::Options;
pub use video::{Picture, PictureQueue};

/// Ticks per second of MPEG timestamps, as `f64`.
pub(crate) const PTS_HZ: f64 = 90_000.0;

/// Seconds from `start` to `pts`, both in 90 kHz ticks, allowing for the 33-bit wrap-around
/// (a difference of more than half the range is taken as going the other way).
pub fn pts_delta_seconds(start: u64, pts: u64) -> f64 {
    const RANGE: i64 = 1 << 33;
    let mut d = (pts as i64 - start as i64).rem_euclid(RANGE);
    if d >= RANGE / 2 {
        d -= RANGE;
    }
    d as f64 / PTS_HZ
}

#[cfg(test)]
mod tests {
    use super::pts_delta_seconds;

    #[test]
    fn pts_delta_handles_wrap() {
        assert!((pts_delta_seconds(90_000, 180_000) - 1.0).abs() < 1e-9);
        assert!((pts_delta_seconds(180_000, 90_000) + 1.0).abs() < 1e-9);
        let near_end = (1u64 << 33) - 45_000;
        assert!((pts_delta_seconds(near_end, 45_000) - 1.0).abs() < 1e-9);
    }
}
