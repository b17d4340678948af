//! The MPEG audio decoder alone on arbitrary bytes, pushed in chunks of a size taken from the
//! input. Every frame handed out must be consistent, and the decoder must finish.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmpeg::audio::{AudioDecoder, AudioEvent};

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(control) * 7 + 1;
    let mut decoder = AudioDecoder::new();
    let mut frames = 0usize;
    let mut drain = |decoder: &mut AudioDecoder| {
        while let Some(event) = decoder.next_event() {
            if let AudioEvent::Frame(frame) = event {
                let channels = usize::from(frame.channels);
                assert!(channels == 1 || channels == 2);
                assert_eq!(frame.samples.len(), channels * frame.samples_per_channel);
                assert!(frame.samples.iter().all(|s| s.is_finite()));
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
    // The shortest frame (Layer I, 32 kbit/s at 48 kHz) is 32 bytes.
    assert!(frames <= data.len() / 24 + 2, "{frames} frames from {} bytes", data.len());
});
