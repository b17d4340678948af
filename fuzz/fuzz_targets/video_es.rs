//! The MPEG-1 video decoder alone on arbitrary elementary-stream bytes, with a valid sequence
//! header in front so that the fuzzer reaches picture and slice decoding at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmpeg::video::{VideoConfig, VideoDecoder, VideoEvent};

/// A 64x48 sequence header at 25 fps with default matrices.
const SEQUENCE_HEADER: [u8; 12] = [0, 0, 1, 0xB3, 0x04, 0x00, 0x30, 0x13, 0xFF, 0xFF, 0xE0, 0x18];

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else {
        return;
    };
    let mut decoder = VideoDecoder::new(VideoConfig {
        max_width: 256,
        max_height: 256,
        low_latency: control & 1 != 0,
    });
    decoder.push(&SEQUENCE_HEADER, Some(0));
    // The control byte also picks a chunk size, so that low latency's tentative decodes of
    // incomplete pictures are exercised.
    let chunk = usize::from(control >> 1) * 13 + 1;
    let mut frames = 0usize;
    let mut drain = |decoder: &mut VideoDecoder| {
        while let Some(event) = decoder.next_event() {
            if let VideoEvent::Frame(frame) = event {
                assert!(frame.y.len() >= frame.y_stride * frame.coded_height as usize);
                frames += 1;
            }
        }
    };
    for piece in data.chunks(chunk) {
        decoder.push(piece, None);
        drain(&mut decoder);
    }
    decoder.finish();
    drain(&mut decoder);
    assert!(frames <= data.len() / 4 + 2, "more frames than picture start codes could give");
});
