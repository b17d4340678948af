//! The decode loop that `bench/compare.sh -m wasm` times, for wasm32 (run in Node next to
//! JSMpeg's decoders) and natively (the `wasmpeg-bench-native` program), so that both measure
//! exactly the same code.
//!
//! Each call runs a fresh [`Decoder`] over a whole in-memory stream, pushed in one piece, and
//! counts the frames. One byte of every picture and one sample of every audio frame go into a
//! checksum, so that the optimiser cannot drop the work.
//!
//! On wasm32 the interface is a `wasm_bindgen` class, `Input`: `new Input(bytes)` copies the
//! stream into the module's memory once (outside the timed part), `input.decode(mode)` decodes
//! it and returns `[video frames, audio frames, checksum]` as a `Uint32Array`. wasm-bindgen
//! rather than hand-written `#[no_mangle] extern "C"` exports: the workspace forbids unsafe
//! code, and exporting an unmangled symbol counts as unsafe (the `unsafe_code` lint), while
//! the wasm-bindgen macro (already used by `player-wasm/`, at the same pinned version) does it
//! for us and gives Node a ready CommonJS module (`wasm-bindgen --target nodejs`).

use wasmpeg::{Decoder, DecoderConfig, DecoderEvent};

/// Mode bit: decode the video stream.
pub const VIDEO: u32 = 1;
/// Mode bit: decode the audio stream.
pub const AUDIO: u32 = 2;

/// What one decode of a stream produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Pictures output.
    pub video_frames: u32,
    /// Audio frames output.
    pub audio_frames: u32,
    /// A byte of every picture and a sample of every audio frame, summed (keeps the work
    /// observable; its value means nothing).
    pub checksum: u32,
}

/// Decodes the whole of `data` with a fresh decoder; `mode` is [`VIDEO`], [`AUDIO`] or both.
pub fn decode(data: &[u8], mode: u32) -> Counts {
    let mut decoder = Decoder::new(DecoderConfig {
        video: mode & VIDEO != 0,
        audio: mode & AUDIO != 0,
        ..DecoderConfig::default()
    });
    let mut counts = Counts::default();
    decoder.push(data);
    drain(&mut decoder, &mut counts);
    decoder.finish();
    drain(&mut decoder, &mut counts);
    counts
}

fn drain(decoder: &mut Decoder, counts: &mut Counts) {
    while let Some(event) = decoder.next_event() {
        match event {
            DecoderEvent::Video(frame) => {
                counts.video_frames += 1;
                let touched = frame.y.get(frame.y.len() / 2).copied().unwrap_or(0);
                counts.checksum = counts.checksum.wrapping_add(u32::from(touched));
            }
            DecoderEvent::Audio(frame) => {
                counts.audio_frames += 1;
                let touched = frame.samples.first().map_or(0, |s| s.to_bits());
                counts.checksum = counts.checksum.wrapping_add(touched);
            }
            _ => {}
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::wasm_bindgen;

    /// A stream held in the module's memory, ready to be decoded any number of times.
    #[wasm_bindgen]
    pub struct Input {
        data: Vec<u8>,
    }

    #[wasm_bindgen]
    impl Input {
        /// Copies `data` into the module's memory.
        #[wasm_bindgen(constructor)]
        pub fn new(data: &[u8]) -> Input {
            Input {
                data: data.to_vec(),
            }
        }

        /// Decodes the whole stream with a fresh decoder (`mode`: 1 video, 2 audio, 3 both);
        /// returns `[video frames, audio frames, checksum]`.
        pub fn decode(&self, mode: u32) -> Vec<u32> {
            let c = super::decode(&self.data, mode);
            vec![c.video_frames, c.audio_frames, c.checksum]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/");
        std::fs::read(format!("{path}{name}")).expect("fixture")
    }

    #[test]
    fn counts_the_frames_of_each_kind() {
        let ts = fixture("ip_bf0_352x288.ts");
        let video = decode(&ts, VIDEO);
        assert_eq!((video.video_frames, video.audio_frames), (50, 0));
        let audio = decode(&ts, AUDIO);
        assert_eq!(audio.video_frames, 0);
        assert!(audio.audio_frames > 0);
        let both = decode(&ts, VIDEO | AUDIO);
        assert_eq!(
            (both.video_frames, both.audio_frames),
            (50, audio.audio_frames)
        );
    }
}
