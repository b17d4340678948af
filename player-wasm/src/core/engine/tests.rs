use super::{Engine, EngineConfig, EngineEvent, Mode};
use crate::core::audio::AudioChunk;

/// 64x48, 25 fps, 10 frames (0.4 s), MPEG-TS with MP2 audio (see tests/fixtures/README.md).
const TINY: &[u8] = include_bytes!("../../../tests/fixtures/tiny_64x48.ts");
/// 352x288, 25 fps, 2 s, I/P only (the decoder's fixture).
const TWO_SECONDS: &[u8] = include_bytes!("../../../../fixtures/ip_bf0_352x288.ts");

const TICK: f64 = 1.0 / 60.0;

fn file_engine(data: &[u8], loop_playback: bool) -> Engine {
    let mut e = Engine::new(EngineConfig {
        mode: Mode::File,
        loop_playback,
        ..EngineConfig::default()
    });
    e.write(data);
    e.end_of_input();
    e
}

fn run(e: &mut Engine, from: f64, to: f64) -> (usize, Vec<EngineEvent>) {
    let mut shown = 0;
    let mut events = Vec::new();
    let mut now = from;
    while now < to {
        if e.tick(now).new_picture {
            shown += 1;
        }
        events.extend(e.take_events());
        now += TICK;
    }
    (shown, events)
}

#[test]
fn file_plays_every_frame_in_time_and_ends() {
    let mut e = file_engine(TINY, false);
    e.play(0.0);
    let (shown, events) = run(&mut e, 0.0, 1.0);
    assert_eq!(shown, 10);
    assert_eq!(e.stats().frames_dropped, 0);
    assert_eq!(
        events.iter().filter(|e| **e == EngineEvent::Ended).count(),
        1
    );
    assert!(events.contains(&EngineEvent::Resize {
        width: 64,
        height: 48,
        aspect: 64.0 / 48.0
    }));
    assert!(!e.is_playing());
    // The duration is that of the longer track: 10 frames of video (0.4 s), or the audio's
    // whole MP2 frames of 1152 samples at 44.1 kHz.
    let audio_frames = e.stats().audio_frames_decoded;
    assert!(audio_frames >= 15, "{audio_frames}");
    let audio_end = audio_frames as f64 * 1152.0 / 44_100.0;
    let duration = e.duration().unwrap_or(0.0);
    assert!(
        duration >= 0.4 - 1e-9 && duration <= audio_end.max(0.4) + 0.03,
        "{duration}"
    );
    assert!((e.current_time(5.0) - duration).abs() < 1e-9);
}

#[test]
fn file_frames_wait_for_their_time() {
    let mut e = file_engine(TINY, false);
    e.play(0.0);
    // MIN_LEAD: the first picture is due 20 ms after play.
    e.tick(0.0);
    assert!(e.current_picture().is_none());
    assert!(e.tick(0.03).new_picture);
    assert_eq!(e.current_picture().map(|p| p.time), Some(0.0));
    assert!(!e.tick(0.05).new_picture);
    assert!(e.tick(0.065).new_picture);
    assert_eq!(e.current_picture().map(|p| p.time), Some(0.04));
}

#[test]
fn file_late_frames_are_dropped_not_slowed_down() {
    let mut e = file_engine(TINY, false);
    e.play(0.0);
    e.tick(0.03);
    // A long stall of the page (300 ms without ticks).
    assert!(e.tick(0.33).new_picture);
    let t = e.current_picture().map_or(0.0, |p| p.time);
    assert!((t - 0.28).abs() < 1e-6, "{t}");
    assert!(e.stats().frames_dropped >= 6);
}

#[test]
fn file_loops_by_default_when_asked() {
    let mut e = file_engine(TINY, true);
    e.play(0.0);
    let (shown, events) = run(&mut e, 0.0, 1.0);
    assert!(events.contains(&EngineEvent::Looped));
    assert!(!events.contains(&EngineEvent::Ended));
    assert!(shown >= 20, "{shown}");
    assert!(e.is_playing());
}

#[test]
fn file_without_end_of_input_stalls_then_resumes() {
    let mut e = Engine::new(EngineConfig::default());
    let half = TWO_SECONDS.len() / 2;
    e.write(&TWO_SECONDS[..half]);
    e.play(0.0);
    let (_, events) = run(&mut e, 0.0, 3.0);
    assert!(events.contains(&EngineEvent::Stalled));
    let stalled_at = e.current_time(3.0);
    assert!(stalled_at > 0.5 && stalled_at < 1.5, "{stalled_at}");
    e.write(&TWO_SECONDS[half..]);
    e.end_of_input();
    let (shown, events) = run(&mut e, 3.0, 6.0);
    assert!(shown > 10);
    assert!(events.contains(&EngineEvent::Ended));
    assert_eq!(e.stats().frames_decoded, 50);
}

#[test]
fn seek_lands_exactly_and_next_frame_steps() {
    let mut e = file_engine(TWO_SECONDS, false);
    assert!(e.seek(1.0, 0.0));
    assert!(e.take_redraw());
    let t = e.current_picture().map_or(-1.0, |p| p.time);
    assert!((t - 1.0).abs() < 1e-6, "{t}");
    assert!((e.current_time(10.0) - 1.0).abs() < 1e-6);
    assert!(e.next_frame(10.0));
    let t = e.current_picture().map_or(-1.0, |p| p.time);
    assert!((t - 1.04).abs() < 1e-6, "{t}");
    // Seeking between two frames shows the earlier one.
    assert!(e.seek(0.5 + 0.02, 0.0));
    let t = e.current_picture().map_or(-1.0, |p| p.time);
    assert!((t - 0.52).abs() < 0.021, "{t}");
    assert!(t <= 0.52);
}

#[test]
fn next_frame_from_the_start() {
    let mut e = file_engine(TINY, false);
    for expected in [0.0, 0.04, 0.08] {
        assert!(e.next_frame(0.0));
        let t = e.current_picture().map_or(-1.0, |p| p.time);
        assert!((t - expected).abs() < 1e-6);
    }
    assert!(!e.is_playing());
}

#[test]
fn live_shows_the_newest_frame_and_latency_never_grows() {
    let mut e = Engine::new(EngineConfig {
        mode: Mode::Live { latency: 0.0 },
        ..EngineConfig::default()
    });
    e.play(0.0);
    // A burst: 2 s of video arrive between two ticks (a hidden tab, a slow network).
    for chunk in TWO_SECONDS.chunks(4096) {
        e.write(chunk);
        assert!(e.queued_pictures() <= 1);
    }
    assert!(e.tick(0.0).new_picture);
    let t = e.current_picture().map_or(0.0, |p| p.time);
    assert!(t > 1.8, "{t}");
    assert!(e.latency().abs() < 1e-9);
    let s = e.stats();
    assert!(s.frames_dropped >= 40, "{s:?}");
    assert_eq!(s.frames_decoded, s.frames_dropped + s.frames_shown);
}

#[test]
fn buffered_live_skips_ahead_when_latency_grows() {
    let mut e = Engine::new(EngineConfig {
        mode: Mode::Live { latency: 0.2 },
        ..EngineConfig::default()
    });
    e.play(0.0);
    e.write(TWO_SECONDS);
    e.tick(0.0);
    e.tick(0.02);
    let t = e.current_picture().map_or(0.0, |p| p.time);
    assert!(e.latency() <= 0.2 + 0.05, "latency {}", e.latency());
    assert!(t > 1.7, "{t}");
}

#[test]
fn buffered_live_keeps_the_delay_with_steady_input() {
    let mut e = Engine::new(EngineConfig {
        mode: Mode::Live { latency: 0.3 },
        ..EngineConfig::default()
    });
    e.play(0.0);
    // Feed the stream at its own pace: about 1/50 of it per 40 ms.
    let chunk = TWO_SECONDS.len() / 50 + 1;
    let mut now = 0.0;
    let mut shown = 0;
    for piece in TWO_SECONDS.chunks(chunk) {
        e.write(piece);
        for _ in 0..2 {
            if e.tick(now).new_picture {
                shown += 1;
            }
            now += 0.02;
        }
    }
    assert!(shown >= 35, "{shown}");
    assert!(e.stats().frames_dropped <= 3, "{:?}", e.stats());
}

#[test]
fn garbage_becomes_an_error_event_not_a_panic() {
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut e = file_engine(&noise, false);
    e.play(0.0);
    let (shown, events) = run(&mut e, 0.0, 0.5);
    assert_eq!(shown, 0);
    assert!(events.iter().any(|e| matches!(e, EngineEvent::Error(_))));
    assert!(events.contains(&EngineEvent::Paused));
    assert!(!e.is_playing());
}

#[test]
fn audio_master_schedules_back_to_back_and_ends_after_the_audio() {
    let mut e = Engine::new(EngineConfig::default());
    e.set_audio_active(true);
    for i in 0..20 {
        e.inject_audio(AudioChunk {
            time: f64::from(i) * 0.026,
            sample_rate: 44_100,
            channels: 2,
            samples_per_channel: 1147, // 26.01 ms
            samples: vec![0.0; 2 * 1147],
        });
    }
    e.end_of_input();
    e.play(0.0);
    let mut whens = Vec::new();
    let mut now = 0.0;
    let mut ended_at = None;
    while now < 2.0 && ended_at.is_none() {
        e.tick(now);
        whens.extend(
            e.newly_scheduled_audio()
                .map(|s| (s.when, s.chunk.duration())),
        );
        if e.take_events().contains(&EngineEvent::Ended) {
            ended_at = Some(now);
        }
        now += TICK;
    }
    assert_eq!(whens.len(), 20);
    for pair in whens.windows(2) {
        assert!(
            (pair[0].0 + pair[0].1 - pair[1].0).abs() < 1e-9,
            "gap: {pair:?}"
        );
    }
    let last_end = whens[19].0 + whens[19].1;
    let ended_at = ended_at.unwrap_or(f64::NAN);
    assert!(
        ended_at >= last_end && ended_at < last_end + 0.05,
        "{ended_at}"
    );
}

#[test]
fn a_live_stream_of_garbage_is_reported_once() {
    let mut e = Engine::new(EngineConfig {
        mode: Mode::Live { latency: 0.0 },
        ..EngineConfig::default()
    });
    e.play(0.0);
    let mut errors = 0;
    for i in 0..100u32 {
        let chunk: Vec<u8> = (0..8192u32)
            .map(|j| ((i * 8192 + j).wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        e.write(&chunk);
        e.tick(f64::from(i) * 0.02);
        errors += e
            .take_events()
            .iter()
            .filter(|e| matches!(e, EngineEvent::Error(_)))
            .count();
    }
    assert_eq!(errors, 1);
    assert!(e.current_picture().is_none());
    // A live stream goes on (the data may get better, e.g. after a reconnect).
    assert!(e.is_playing());
}

#[test]
fn file_duration_is_known_before_the_end() {
    let mut e = file_engine(TWO_SECONDS, false);
    assert_eq!(e.duration(), None);
    assert!(e.next_frame(0.0));
    let d = e.duration().unwrap_or(0.0);
    assert!((d - 2.0).abs() < 0.001, "{d}");
    // Raw elementary streams carry no timestamps: unknown until decoded to the end.
    let raw = include_bytes!("../../../../fixtures/rate_25_160x120.m1v");
    let mut e = file_engine(raw, false);
    assert!(e.next_frame(0.0));
    assert_eq!(e.duration(), None);
}

#[test]
fn play_after_the_end_starts_again() {
    let mut e = file_engine(TINY, false);
    e.play(0.0);
    let (first, events) = run(&mut e, 0.0, 1.0);
    assert!(events.contains(&EngineEvent::Ended));
    e.play(1.0);
    assert!(e.current_time(1.0) < 0.001);
    let (second, events) = run(&mut e, 1.0, 2.0);
    assert_eq!(first, second);
    assert!(events.contains(&EngineEvent::Ended));
}

/// Seeks with the index and from the start of the file must show the same picture and queue
/// the same audio; the index must actually be used for targets past the first GOP.
fn check_indexed_seek(data: &[u8], targets: &[f64]) {
    let mut indexed = file_engine(data, false);
    // The index (and the time base) exist once playback has started decoding.
    assert!(indexed.next_frame(0.0));
    assert!(
        indexed.keyframes_indexed() >= 2,
        "{}",
        indexed.keyframes_indexed()
    );
    for &t in targets {
        assert!(indexed.seek(t, 0.0));
        let mut reference = file_engine(data, false);
        assert!(reference.next_frame(0.0));
        assert!(reference.seek_from(t, 0), "from the start: nothing at {t}");
        let a = indexed
            .current_picture()
            .expect("indexed seek shows a picture");
        let b = reference
            .current_picture()
            .expect("reference seek shows a picture");
        assert!(
            (a.time - b.time).abs() < 1e-9,
            "at {t}: {} vs {}",
            a.time,
            b.time
        );
        assert!(a.time <= t + 1e-9 && a.time > t - 0.1, "at {t}: {}", a.time);
        assert!(
            a.y == b.y && a.cb == b.cb && a.cr == b.cr,
            "picture at {t} differs"
        );
        if t >= 1.0 {
            assert!(
                indexed.seek_start() > 0,
                "seek to {t} decoded from the start"
            );
        }
        let first_audio = |e: &Engine| e.audio_queue.front().map(|c| (c.time, c.samples.clone()));
        assert_eq!(
            first_audio(&indexed).map(|a| a.0),
            first_audio(&reference).map(|a| a.0)
        );
        if let Some((time, _)) = first_audio(&indexed) {
            assert!(time <= t + 1e-9, "audio at {t} starts at {time}");
        }
        assert_eq!(
            first_audio(&indexed),
            first_audio(&reference),
            "audio at {t}"
        );
        // Playback goes on from there (both files last 2 s).
        if t < 1.9 {
            assert!(indexed.next_frame(0.0), "no picture after {t}");
        }
    }
}

#[test]
fn seek_uses_the_keyframe_index_and_lands_like_a_full_decode() {
    // MPEG-TS with B-pictures and MP2 audio, 2 s.
    check_indexed_seek(
        include_bytes!("../../../../fixtures/bench_480p_bf2.ts"),
        &[0.3, 1.0, 1.23, 1.5, 1.97],
    );
    // MPEG-PS (packs of 2 KiB).
    check_indexed_seek(
        include_bytes!("../../../../fixtures/ibbbp_bf3_352x288.mpg"),
        &[0.5, 1.0, 1.5],
    );
}

#[test]
fn a_far_seek_asks_for_a_range_and_lands_like_a_full_decode() {
    let file: &[u8] = include_bytes!("../../../../fixtures/bench_480p_bf2.ts");
    let mut e = Engine::new(EngineConfig {
        mode: Mode::File,
        loop_playback: false,
        ..EngineConfig::default()
    });
    e.range_wait = 0.3; // the fixture lasts 2 s
    e.set_file_length(file.len());
    // The download has reached 0.4 s or so; the tail was read ahead for the duration.
    e.write(&file[..100_000]);
    assert!(e.next_frame(0.0));
    e.set_tail(file[file.len() - 65_536..].to_vec());
    let d = e.duration().expect("duration from the tail");
    assert!((d - 2.0).abs() < 0.05, "{d}");
    assert_eq!(e.take_wanted_range(), None);

    assert!(e.seek(1.7, 0.0));
    let offset = e.take_wanted_range().expect("a Range request for 1.7 s");
    assert!(
        offset > 100_000 && offset < file.len() / 2 + 200_000,
        "{offset}"
    );
    // Until the data is here, nothing new is shown.
    assert!(!e.tick(0.1).new_picture || e.current_picture().is_some());
    e.begin_segment(offset);
    e.write(&file[offset..]);
    e.end_of_input();
    e.tick(0.2);
    assert_eq!(
        e.take_wanted_range(),
        None,
        "the range started early enough"
    );
    let got = e
        .current_picture()
        .expect("a picture after the ranged seek");

    let mut reference = file_engine(file, false);
    assert!(reference.next_frame(0.0));
    assert!(reference.seek_from(1.7, 0));
    let want = reference.current_picture().expect("reference picture");
    assert!(
        (got.time - want.time).abs() < 1e-9,
        "{} vs {}",
        got.time,
        want.time
    );
    assert!(got.y == want.y && got.cb == want.cb && got.cr == want.cr);
    assert!(e.downloaded_end() == file.len() && e.seek_start() < file.len() - offset);
    // Seeking back to the start needs the start of the file again.
    assert!(e.seek(0.1, 1.0));
    assert_eq!(e.take_wanted_range(), Some(0));
}
