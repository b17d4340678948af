//! The whole decoder on arbitrary bytes: container detection or an explicit container, input
//! split into chunks of a size taken from the input. Every frame handed out must be
//! consistent (planes as large as their strides and heights say).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmpeg::{ContainerFormat, Decoder, DecoderConfig, DecoderEvent};

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else {
        return;
    };
    let container = match control & 7 {
        1 => Some(ContainerFormat::MpegTs),
        2 => Some(ContainerFormat::MpegPs),
        3 => Some(ContainerFormat::VideoEs),
        4 => Some(ContainerFormat::AudioEs),
        _ => None,
    };
    let chunk = usize::from(control >> 3) * 37 + 1;
    let mut decoder = Decoder::new(DecoderConfig {
        container,
        max_width: 256,
        max_height: 256,
        low_latency: control & 0x80 != 0,
        ..DecoderConfig::default()
    });
    let mut check = |decoder: &mut Decoder| {
        while let Some(event) = decoder.next_event() {
            if let DecoderEvent::Video(frame) = event {
                assert!(frame.width <= 256 && frame.height <= 256);
                assert!(frame.y.len() >= frame.y_stride * frame.coded_height as usize);
                assert!(frame.cb.len() >= frame.c_stride * frame.coded_height as usize / 2);
                let mut out = Vec::new();
                frame.write_yuv420p(&mut out);
            }
        }
    };
    for piece in data.chunks(chunk) {
        decoder.push(piece);
        check(&mut decoder);
    }
    decoder.finish();
    check(&mut decoder);
});
