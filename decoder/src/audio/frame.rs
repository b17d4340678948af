//! Decoded audio frames.

use alloc::vec::Vec;

use super::header::FrameHeader;

/// One decoded audio frame: 384 (Layer I) or 1152 (Layer II, also at LSF rates) samples per
/// channel, 32-bit float, full scale = 1.0, same sign as the encoder input.
///
/// The samples are the output of the standard's synthesis filter bank without clipping: a loud
/// stream may go slightly beyond ±1.0 (the standard clips when it converts to integer PCM; a
/// player converting to 16 bits should clamp). Dual-channel streams give both programmes, as
/// channels 0 and 1.
#[derive(Clone, Debug, Default)]
pub struct AudioFrame {
    /// Sampling frequency in Hz.
    pub sample_rate: u32,
    /// Number of output channels (1 for mono, 2 otherwise).
    pub channels: u8,
    /// Samples per channel in this frame.
    pub samples_per_channel: usize,
    /// The samples, planar: channel 0's `samples_per_channel` samples, then channel 1's.
    pub samples: Vec<f32>,
    /// Presentation time of the first sample, 90 kHz ticks: the PES PTS, or extrapolated from
    /// the previous frame and its sample count.
    pub pts: u64,
    /// True when `pts` came from the stream rather than being extrapolated.
    pub pts_from_stream: bool,
    /// The frame's header (layer, rates, mode...). `None` only for a default-constructed frame.
    pub header: Option<FrameHeader>,
}

impl AudioFrame {
    /// The samples of channel `index` (empty if there is no such channel).
    pub fn channel(&self, index: usize) -> &[f32] {
        let n = self.samples_per_channel;
        self.samples.get(index * n..(index + 1) * n).unwrap_or(&[])
    }

    /// Appends the samples interleaved (L R L R ... for stereo), the layout of WAV files.
    pub fn write_interleaved(&self, out: &mut Vec<f32>) {
        let n = self.samples_per_channel;
        let channels = usize::from(self.channels);
        out.reserve(n * channels);
        for i in 0..n {
            for c in 0..channels {
                out.push(self.samples.get(c * n + i).copied().unwrap_or(0.0));
            }
        }
    }

    /// Duration in 90 kHz ticks.
    pub fn duration_ticks(&self) -> u64 {
        if self.sample_rate == 0 {
            return 0;
        }
        self.samples_per_channel as u64 * crate::PTS_CLOCK_HZ / u64::from(self.sample_rate)
    }
}
