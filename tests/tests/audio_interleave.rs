//! Audio and video from one MPEG-TS come out of the top-level decoder interleaved in stream
//! order, as a player needs them: not all pictures first, each audio frame with a timestamp,
//! audio timestamps advancing by one frame's duration (1152 samples).
//!
//! In these fixtures the muxer keeps audio and video within about 0.2 s of each other in file
//! order (checked below from ffprobe's packet list). The decoder adds some latency (a picture
//! is held back for reordering, an audio frame until its bytes are complete), so when each
//! frame comes out, the latest frame of the other kind must be within 0.75 s of it; a decoder
//! that handed out all the pictures of these 2 s clips before the audio would be about 2 s
//! off.

use wasmpeg::{DecoderConfig, PTS_CLOCK_HZ};
use wasmpeg_tests::decode::{decode_with_timeout_config, Chunking, MediaKind, DEFAULT_TIMEOUT};
use wasmpeg_tests::{ffmpeg, fixture_path, read_fixture};

/// The largest distance allowed between an event and the latest event of the other kind.
const MAX_SKEW_TICKS: i64 = 3 * PTS_CLOCK_HZ as i64 / 4;

/// The largest audio-video distance in the file's own packet order, from ffprobe.
fn file_order_skew(file: &str) -> i64 {
    let packets = ffmpeg::packets(&fixture_path(file));
    let (mut video, mut audio) = (None, None);
    let mut worst = 0;
    for p in &packets {
        match p.kind.as_str() {
            "video" => video = p.pts.or(video),
            "audio" => audio = p.pts.or(audio),
            _ => {}
        }
        if let (Some(v), Some(a)) = (video, audio) {
            worst = worst.max((v - a).abs());
        }
    }
    assert!(
        video.is_some() && audio.is_some(),
        "{file}: ffprobe lists no audio or no video packets"
    );
    worst
}

fn check(file: &str, chunking: Chunking) {
    let skew = file_order_skew(file);
    assert!(
        skew < MAX_SKEW_TICKS / 2,
        "{file}: the muxer's own interleaving is {skew} ticks loose; this test needs a tighter file"
    );
    let decoded = decode_with_timeout_config(
        read_fixture(file),
        chunking,
        DecoderConfig::default(),
        DEFAULT_TIMEOUT,
    );
    let what = format!("{file} pushed as {chunking:?}");
    let audio_packets = ffmpeg::audio_packet_pts(&fixture_path(file)).len();
    assert_eq!(decoded.frames.len(), 50, "{what}: pictures");
    assert_eq!(
        decoded.audio.len(),
        audio_packets,
        "{what}: audio frames (ffprobe lists {audio_packets})"
    );
    assert!(
        decoded.audio[0].pts_from_stream,
        "{what}: the first audio frame's timestamp is not from the stream"
    );

    // Audio timestamps advance by one frame.
    for (i, w) in decoded.audio.windows(2).enumerate() {
        let duration =
            w[0].samples_per_channel as f64 * PTS_CLOCK_HZ as f64 / f64::from(w[0].sample_rate);
        let step = w[1].pts as f64 - w[0].pts as f64;
        assert!(
            (step - duration).abs() <= 1.0,
            "{what}: audio frames {i} and {}: pts {} then {} (a frame lasts {duration:.2} ticks)",
            i + 1,
            w[0].pts,
            w[1].pts
        );
    }

    // Interleaving: walk the events in the order they came out.
    let (mut v, mut a) = (0usize, 0usize);
    let (mut last_video, mut last_audio): (Option<i64>, Option<i64>) = (None, None);
    let mut worst = 0i64;
    let mut worst_at = 0;
    let mut switches = 0;
    for (n, kind) in decoded.order.iter().enumerate() {
        if n > 0 && decoded.order[n - 1] != *kind {
            switches += 1;
        }
        match kind {
            MediaKind::Video => {
                last_video = Some(decoded.frames[v].pts as i64);
                v += 1;
            }
            MediaKind::Audio => {
                last_audio = Some(decoded.audio[a].pts as i64);
                a += 1;
            }
        }
        if let (Some(lv), Some(la)) = (last_video, last_audio) {
            if (lv - la).abs() > worst {
                worst = (lv - la).abs();
                worst_at = n;
            }
        }
    }
    let first_audio = decoded
        .order
        .iter()
        .position(|k| *k == MediaKind::Audio)
        .unwrap_or(usize::MAX);
    println!(
        "{what}: {} events, {switches} switches between video and audio, first audio event at \
         {first_audio}, worst skew {worst} ticks at event {worst_at} (the file's own: {skew})",
        decoded.order.len()
    );
    assert!(
        first_audio < 10,
        "{what}: the first audio frame comes out as event {first_audio}, after the pictures"
    );
    assert!(
        switches >= 10,
        "{what}: only {switches} switches between video and audio events"
    );
    assert!(
        worst <= MAX_SKEW_TICKS,
        "{what}: at event {worst_at} the latest picture and audio frame are {worst} ticks apart \
         (allowed {MAX_SKEW_TICKS})"
    );
}

#[test]
fn ts_audio_and_video_interleave_pushed_in_datagrams() {
    // Seven transport packets per push, as in a UDP datagram.
    check("ip_bf0_352x288.ts", Chunking::Fixed(7 * 188));
    check("ibbp_bf2_352x288.ts", Chunking::Fixed(7 * 188));
}

#[test]
fn ts_audio_and_video_interleave_pushed_whole() {
    // With everything available at once, events must still follow the stream order.
    check("ibbp_bf2_352x288.ts", Chunking::Whole);
}
