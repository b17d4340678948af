//! WebAudio output: every decoded frame becomes an `AudioBufferSourceNode` started at the time
//! the core chose (back to back, so there are no gaps at frame boundaries), through one
//! `GainNode` per player for volume and mute. All players of a page share one `AudioContext`
//! (browsers limit how many can exist); it is closed when the last player goes.

use std::cell::RefCell;
use std::collections::VecDeque;

use wasm_bindgen::prelude::*;
use web_sys::{
    AudioBufferSourceNode, AudioContext, AudioContextState, AudioScheduledSourceNode,
    BaseAudioContext, GainNode,
};

use crate::core::AudioChunk;

use super::util::Listener;

thread_local! {
    static SHARED: RefCell<Option<(AudioContext, usize)>> = const { RefCell::new(None) };
    static UNLOCK: RefCell<Vec<Listener>> = const { RefCell::new(Vec::new()) };
}

/// Resumes the shared context (call from a user gesture; also done automatically on the
/// first pointer or key event of the page).
pub fn resume_shared() {
    SHARED.with(|s| {
        if let Some((ctx, _)) = s.borrow().as_ref() {
            if ctx.state() == AudioContextState::Suspended {
                let _ = ctx.resume();
            }
        }
    });
}

fn install_unlock_listeners() {
    UNLOCK.with(|u| {
        let mut u = u.borrow_mut();
        if !u.is_empty() {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        for kind in ["pointerdown", "keydown", "touchend", "click"] {
            u.push(Listener::new(&window, kind, |_| resume_shared()));
        }
    });
}

fn acquire() -> Option<AudioContext> {
    SHARED.with(|s| {
        let mut s = s.borrow_mut();
        if let Some((ctx, count)) = s.as_mut() {
            *count += 1;
            return Some(ctx.clone());
        }
        let ctx = AudioContext::new().ok()?;
        *s = Some((ctx.clone(), 1));
        Some(ctx)
    })
}

fn release() {
    SHARED.with(|s| {
        let mut s = s.borrow_mut();
        let last = match s.as_mut() {
            Some((_, count)) => {
                *count -= 1;
                *count == 0
            }
            None => false,
        };
        if last {
            if let Some((ctx, _)) = s.take() {
                let _ = ctx.close();
            }
            UNLOCK.with(|u| u.borrow_mut().clear());
        }
    });
}

/// One player's audio output.
pub struct AudioOut {
    ctx: BaseAudioContext,
    /// The shared real-time context (`None` only in tests, which render offline).
    realtime: Option<AudioContext>,
    gain: GainNode,
    nodes: VecDeque<(AudioBufferSourceNode, f64)>,
    volume: f64,
    muted: bool,
}

impl AudioOut {
    /// An output on the shared context (`None` without WebAudio).
    pub fn new(volume: f64, muted: bool) -> Option<AudioOut> {
        let realtime = acquire()?;
        install_unlock_listeners();
        let out = Self::on_context(realtime.clone().into(), Some(realtime), volume, muted);
        if out.is_none() {
            release();
        }
        out
    }

    fn on_context(
        ctx: BaseAudioContext,
        realtime: Option<AudioContext>,
        volume: f64,
        muted: bool,
    ) -> Option<AudioOut> {
        let gain = ctx.create_gain().ok()?;
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let mut out = AudioOut {
            ctx,
            realtime,
            gain,
            nodes: VecDeque::new(),
            volume,
            muted,
        };
        out.apply_gain();
        Some(out)
    }

    fn apply_gain(&mut self) {
        let v = if self.muted { 0.0 } else { self.volume };
        self.gain.gain().set_value(v as f32);
    }

    /// Sets the volume (0–1).
    pub fn set_volume(&mut self, volume: f64) {
        self.volume = volume;
        self.apply_gain();
    }

    /// Mutes or unmutes.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
        self.apply_gain();
    }

    /// True when the context is running (so its clock advances and audio is heard).
    pub fn is_running(&self) -> bool {
        self.realtime
            .as_ref()
            .is_some_and(|c| c.state() == AudioContextState::Running)
    }

    /// The context clock, seconds.
    pub fn current_time(&self) -> f64 {
        self.ctx.current_time()
    }

    /// Asks the context to resume (it only does inside a user gesture, or with autoplay
    /// allowed).
    pub fn resume(&self) {
        if let Some(c) = self.realtime.as_ref() {
            if c.state() == AudioContextState::Suspended {
                let _ = c.resume();
            }
        }
    }

    /// Plays a chunk at context time `when`, skipping `offset` seconds of it.
    pub fn play(&mut self, chunk: &AudioChunk, when: f64, offset: f64) -> Result<(), JsValue> {
        let now = self.ctx.current_time();
        while self.nodes.front().is_some_and(|(_, end)| *end < now) {
            self.nodes.pop_front();
        }
        let channels = u32::from(chunk.channels.max(1));
        let frames = chunk.samples_per_channel as u32;
        if frames == 0 {
            return Ok(());
        }
        let buffer = self
            .ctx
            .create_buffer(channels, frames, chunk.sample_rate as f32)?;
        for c in 0..channels {
            buffer.copy_to_channel(chunk.channel(c as usize), c as i32)?;
        }
        let node = self.ctx.create_buffer_source()?;
        node.set_buffer(Some(&buffer));
        node.connect_with_audio_node(&self.gain)?;
        node.start_with_when_and_grain_offset(when, offset)?;
        let end = when + chunk.duration() - offset;
        self.nodes.push_back((node, end));
        Ok(())
    }

    /// Stops everything scheduled (pause, seek, reconnect).
    pub fn stop_all(&mut self) {
        for (node, _) in self.nodes.drain(..) {
            let _ = AudioScheduledSourceNode::stop(&node);
            let _ = node.disconnect();
        }
    }
}

impl Drop for AudioOut {
    fn drop(&mut self) {
        self.stop_all();
        let _ = self.gain.disconnect();
        if self.realtime.is_some() {
            release();
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::*;
    use web_sys::{AudioBuffer, OfflineAudioContext};

    use super::AudioOut;
    use crate::core::audio::{AudioPlacement, AudioScheduler, SyncPolicy};
    use crate::core::{AudioChunk, Clock};

    wasm_bindgen_test_configure!(run_in_browser);

    const RATE: u32 = 44_100;
    const N: usize = 1152;

    /// Ten MP2-sized stereo chunks of a 440 Hz sine, the right channel inverted, with
    /// timestamps rounded to 90 kHz ticks as a demuxer gives them.
    fn chunks() -> Vec<AudioChunk> {
        (0..10)
            .map(|k| {
                let mut samples = vec![0.0f32; 2 * N];
                for i in 0..N {
                    let t = (k * N + i) as f32 / RATE as f32;
                    let v = 0.8 * (2.0 * core::f32::consts::PI * 440.0 * t).sin();
                    samples[i] = v;
                    samples[N + i] = -v;
                }
                let time = ((k * N) as f64 / f64::from(RATE) * 90_000.0).round() / 90_000.0;
                AudioChunk {
                    time,
                    sample_rate: RATE,
                    channels: 2,
                    samples_per_channel: N,
                    samples,
                }
            })
            .collect()
    }

    /// Schedules the chunks as the player does (audio-master placement) into an offline
    /// context and returns both rendered channels.
    async fn render(volume: f64, muted: bool) -> (Vec<f32>, Vec<f32>, usize) {
        let ctx = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(
            2,
            RATE / 2,
            RATE as f32,
        )
        .unwrap();
        let mut out = AudioOut::on_context(ctx.clone().into(), None, volume, muted).unwrap();
        let mut clock = Clock::new();
        clock.start(0.01, 0.0);
        let mut scheduler = AudioScheduler::new();
        let mut first = None;
        for chunk in chunks() {
            let placement = scheduler.place(
                chunk.time,
                chunk.duration(),
                0.0,
                &mut clock,
                SyncPolicy::AudioMaster,
            );
            let AudioPlacement::Play { when, offset } = placement else {
                panic!("dropped");
            };
            first.get_or_insert(when);
            out.play(&chunk, when, offset).unwrap();
        }
        let rendered: AudioBuffer = JsFuture::from(ctx.start_rendering().unwrap())
            .await
            .unwrap()
            .unchecked_into();
        let start = (first.unwrap() * f64::from(RATE)).round() as usize;
        (
            rendered.get_channel_data(0).unwrap(),
            rendered.get_channel_data(1).unwrap(),
            start,
        )
    }

    #[wasm_bindgen_test]
    async fn output_has_the_level_phase_and_no_gaps() {
        let (left, right, start) = render(1.0, false).await;
        let input = chunks();
        let expected_left: Vec<f32> = input.iter().flat_map(|c| c.channel(0).to_vec()).collect();
        let mut worst = 0.0f32;
        for (i, &want) in expected_left.iter().enumerate() {
            worst = worst.max((left[start + i] - want).abs());
            worst = worst.max((right[start + i] + want).abs());
        }
        assert!(worst < 1e-3, "output differs from the input by {worst}");
        assert!(
            left[..start].iter().all(|v| v.abs() < 1e-6),
            "sound before the start"
        );
        let end = start + expected_left.len();
        assert!(
            left[end + 1..].iter().all(|v| v.abs() < 1e-6),
            "sound after the end"
        );
    }

    #[wasm_bindgen_test]
    async fn volume_and_mute_scale_the_output() {
        let (left, _, start) = render(0.5, false).await;
        let input = chunks();
        for (i, &want) in input[0].channel(0).iter().enumerate() {
            assert!((left[start + i] - 0.5 * want).abs() < 1e-3);
        }
        let (left, right, _) = render(1.0, true).await;
        assert!(left.iter().chain(&right).all(|v| v.abs() < 1e-6));
    }
}
