//! The MPEG-1 video decoder alone on arbitrary elementary-stream bytes, with a valid sequence
//! header in front so that the fuzzer reaches picture and slice decoding at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmpeg::video::{VideoConfig, VideoDecoder, VideoEvent};

/// A 64x48 sequence header at 25 fps with default matrices.
const SEQUENCE_HEADER: [u8; 12] = [0, 0, 1, 0xB3, 0x04, 0x00, 0x30, 0x13, 0xFF, 0xFF, 0xE0, 0x18];

fuzz_target!(|data: &[u8]| {
    let mut decoder = VideoDecoder::new(VideoConfig {
        max_width: 256,
        max_height: 256,
    });
    decoder.push(&SEQUENCE_HEADER, Some(0));
    decoder.push(data, None);
    decoder.finish();
    let mut frames = 0usize;
    while let Some(event) = decoder.next_event() {
        if let VideoEvent::Frame(frame) = event {
            assert!(frame.y.len() >= frame.y_stride * frame.coded_height as usize);
            frames += 1;
        }
    }
    assert!(frames <= data.len() / 4 + 2, "more frames than picture start codes could give");
});
