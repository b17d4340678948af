//! Damaged MPEG audio: flipped bytes, frames cut short, garbage between frames, truncation at
//! odd offsets, damaged CRCs, and transport packets lost from an MPEG-TS. The decoder must not
//! panic, must finish (every decode runs under a timeout), and must lose only what the damage
//! touched:
//!
//! - every frame that comes out either equals a frame of the clean decode (in order) or is
//!   accounted for by a damaged frame: at most as many unmatched frames as damaged frames;
//! - every undamaged frame comes out, with a slack of one frame over the whole stream (so at
//!   least `total - damaged - 1` frames match), and none is lost at all after garbage between
//!   frames or before a truncation;
//! - an undamaged frame that follows another matched frame equals the clean one sample for
//!   sample; after a lost or damaged frame, only its samples from 480 on must (the first 15
//!   of its 36 subband sample slots go through the synthesis window together with the previous
//!   frame's, whose samples differ).
//!
//! Which frames the damage touched is known from the clean stream's frame boundaries (read by
//! the tests' own header reader). Damaged streams are written to tests/out/ for inspection.

use std::ops::Range;
use std::time::Duration;

use wasmpeg::DecoderConfig;
use wasmpeg_tests::damage::{drop_ts_packets, flip_bytes, remove_ranges, TS_PACKET};
use wasmpeg_tests::decode::{decode_with_timeout_config, Chunking, Decoded, DecodedAudioFrame};
use wasmpeg_tests::mpa::{self, FrameInfo, Header};
use wasmpeg_tests::{read_fixture, write_out, Lcg};

/// Generous for a few tens of kilobytes; a decoder that takes longer is stuck.
const TIMEOUT: Duration = Duration::from_secs(60);

/// ffmpeg's encoder: stereo, 44.1 kHz with padding, no CRC.
const PLAIN: &str = "mp2_44k_stereo_256k.mp2";
/// TwoLAME: joint stereo switching bounds, CRC on every frame.
const CRC: &str = "mp2_48k_joint_160k_crc_twolame.mp2";
/// Samples per channel whose value depends on the previous frame (15 slots of 32).
const HISTORY: usize = 480;

fn decode(data: &[u8]) -> Decoded {
    decode_with_timeout_config(
        data.to_vec(),
        Chunking::Fixed(1000),
        DecoderConfig {
            video: false,
            ..DecoderConfig::default()
        },
        TIMEOUT,
    )
}

struct Clean {
    es: Vec<u8>,
    frames: Vec<FrameInfo>,
    decoded: Vec<DecodedAudioFrame>,
}

fn clean(file: &str) -> Clean {
    let es = read_fixture(file);
    let frames = mpa::frames_strict(&es).unwrap_or_else(|e| panic!("{file}: {e}"));
    let decoded = decode(&es).audio;
    assert_eq!(
        decoded.len(),
        frames.len(),
        "{file}: the clean stream must decode to all its frames first"
    );
    Clean {
        es,
        frames,
        decoded,
    }
}

/// How an output frame relates to the clean decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    /// Equal to clean frame `i` in every sample.
    Full(usize),
    /// Equal to clean frame `i` from sample 480 of each channel on.
    Tail(usize),
}

impl Match {
    fn index(self) -> usize {
        match self {
            Match::Full(i) | Match::Tail(i) => i,
        }
    }
}

fn tail_equal(a: &DecodedAudioFrame, b: &DecodedAudioFrame) -> bool {
    let c = a.channels;
    a.channels == b.channels
        && a.samples.len() == b.samples.len()
        && a.samples.len() > HISTORY * c
        && a.samples[HISTORY * c..] == b.samples[HISTORY * c..]
}

/// Matches the output frames to the clean frames, preserving order, so that as many output
/// frames as possible equal their clean frame (a full match counts double a match from sample
/// 480 on). An order-preserving maximum matching (a weighted longest common subsequence) rather
/// than a greedy one: in runs of identical frames, such as digital silence, a greedy choice can
/// take a frame too early and shift every later match.
fn match_frames(clean: &[DecodedAudioFrame], got: &[DecodedAudioFrame]) -> Vec<Option<Match>> {
    let compare = |g: &DecodedAudioFrame, c: usize| {
        if g.samples == clean[c].samples && g.channels == clean[c].channels {
            Some(Match::Full(c))
        } else if tail_equal(g, &clean[c]) {
            Some(Match::Tail(c))
        } else {
            None
        }
    };
    let weight = |m: Option<Match>| match m {
        Some(Match::Full(_)) => 2,
        Some(Match::Tail(_)) => 1,
        None => 0,
    };
    let (n, m) = (got.len(), clean.len());
    // best[i][j]: the best score matching got[i..] with clean[j..].
    let mut best = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let pair = weight(compare(&got[i], j));
            let take = if pair > 0 {
                pair + best[i + 1][j + 1]
            } else {
                0
            };
            best[i][j] = take.max(best[i + 1][j]).max(best[i][j + 1]);
        }
    }
    let mut matches = vec![None; n];
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let pair = compare(&got[i], j);
        if weight(pair) > 0 && best[i][j] == weight(pair) + best[i + 1][j + 1] {
            matches[i] = pair;
            i += 1;
            j += 1;
        } else if best[i][j] == best[i + 1][j + 1] {
            // Among equally good matchings keep output and clean frames aligned: a damaged
            // frame replaced by its damaged decode, not a shift of everything after it.
            i += 1;
            j += 1;
        } else if best[i][j] == best[i + 1][j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    matches
}

/// Checks a damaged decode against the rules in the module comment. `touched` are the clean
/// frames the damage reached; `lost_slack` how many untouched frames may be lost.
fn check(
    what: &str,
    c: &Clean,
    damaged: &[u8],
    touched: &[usize],
    lost_slack: usize,
    out_name: &str,
) -> Decoded {
    write_out(out_name, damaged);
    let decoded = decode(damaged);
    let matches = match_frames(&c.decoded, &decoded.audio);
    let matched: Vec<Match> = matches.iter().flatten().copied().collect();
    let unmatched = matches.iter().filter(|m| m.is_none()).count();
    let total = c.frames.len();
    let k = touched.len();
    let lost_untouched: Vec<usize> = (0..total)
        .filter(|i| !touched.contains(i) && !matched.iter().any(|m| m.index() == *i))
        .collect();
    println!(
        "{what}: {} frames out of {total} ({} matched, {unmatched} unmatched), {k} damaged frame(s) \
         {touched:?}, untouched lost {lost_untouched:?}, {} audio warning(s)",
        decoded.audio.len(),
        matched.len(),
        decoded.audio_warnings.len()
    );
    let mut failures = Vec::new();
    if matched.len() + k + 1 < total {
        failures.push(format!(
            "only {} frames match the clean decode, fewer than total - damaged - 1 = {}",
            matched.len(),
            total.saturating_sub(k + 1)
        ));
    }
    if lost_untouched.len() > lost_slack {
        failures.push(format!(
            "undamaged frames {lost_untouched:?} are missing (allowed: {lost_slack})"
        ));
    }
    if unmatched > k {
        failures.push(format!(
            "{unmatched} frames match no clean frame, but only {k} frames were damaged"
        ));
    }
    // Consecutive matches of untouched frames: the synthesis history is intact, so the whole
    // frame must be equal.
    for (j, w) in matches.windows(2).enumerate() {
        if let (Some(a), Some(Match::Tail(i))) = (w[0], w[1]) {
            if a.index() + 1 == i && !touched.contains(&i) && !touched.contains(&a.index()) {
                failures.push(format!(
                    "output frame {} equals clean frame {i} only from sample {HISTORY} on, \
                     although it follows clean frame {i}-1",
                    j + 1
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{what} (tests/out/{out_name}): {} failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    decoded
}

fn touched_by(frames: &[FrameInfo], offsets: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = offsets
        .into_iter()
        .filter_map(|o| mpa::frame_at(frames, o))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

// --- Flipped bytes ---------------------------------------------------------------------------

#[test]
fn flipped_bytes() {
    for (file, count, seed) in [(PLAIN, 8, 301), (PLAIN, 20, 302), (CRC, 8, 303)] {
        let c = clean(file);
        let (damaged, positions) = flip_bytes(&c.es, count, seed);
        let touched = touched_by(&c.frames, positions);
        check(
            &format!("{file} with {count} flipped bytes"),
            &c,
            &damaged,
            &touched,
            1,
            &format!("{file}.{count}_flipped_bytes.mp2"),
        );
    }
}

#[test]
fn flipped_header_bytes() {
    // Damage aimed at the headers (frame, byte, XOR mask): a broken sync word (frames 5 and
    // 40), a reserved bit rate (17) and sampling frequency (30), and a valid header with the
    // wrong bit rate (22: 320 instead of 256 kbit/s, so the next header is not where this one
    // says).
    let c = clean(PLAIN);
    let mut damaged = c.es.clone();
    let targets = [
        (5, 1, 0x10u8),
        (17, 2, 0x30),
        (22, 2, 0x10),
        (30, 2, 0x0C),
        (40, 0, 0x81),
    ];
    for &(frame, byte, mask) in &targets {
        damaged[c.frames[frame].offset + byte] ^= mask;
    }
    let touched: Vec<usize> = targets.iter().map(|t| t.0).collect();
    check(
        &format!("{PLAIN} with damaged headers"),
        &c,
        &damaged,
        &touched,
        1,
        &format!("{PLAIN}.damaged_headers.mp2"),
    );
}

// --- Frames cut short --------------------------------------------------------------------------

#[test]
fn frames_cut_short() {
    for (file, seed) in [(PLAIN, 401), (CRC, 402)] {
        let c = clean(file);
        let mut rng = Lcg::new(seed);
        // Three frames lose a run of bytes from their middle (header kept); the next frame's
        // header follows early.
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < 3 {
            let i = 1 + rng.below(c.frames.len() - 2);
            if !chosen.iter().any(|&j| j.abs_diff(i) < 3) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
        let ranges: Vec<Range<usize>> = chosen
            .iter()
            .map(|&i| {
                let f = c.frames[i];
                let start = f.offset + 8 + rng.below(f.len / 2);
                let end = (start + 1 + rng.below(f.len / 2)).min(f.offset + f.len);
                start..end
            })
            .collect();
        let damaged = remove_ranges(&c.es, &ranges);
        check(
            &format!("{file} with frames {chosen:?} cut short"),
            &c,
            &damaged,
            &chosen,
            1,
            &format!("{file}.cut_frames.mp2"),
        );
    }
}

#[test]
fn whole_frames_missing() {
    // Frames dropped whole: the stream stays in sync, only the dropped frames are missing (the
    // frames after them have a different synthesis history).
    let c = clean(PLAIN);
    let dropped = [3usize, 4, 20, 41];
    let ranges: Vec<Range<usize>> = dropped.iter().map(|&i| c.frames[i].range()).collect();
    let damaged = remove_ranges(&c.es, &ranges);
    let d = check(
        &format!("{PLAIN} without frames {dropped:?}"),
        &c,
        &damaged,
        &dropped,
        0,
        &format!("{PLAIN}.dropped_frames.mp2"),
    );
    assert_eq!(
        d.audio.len(),
        c.frames.len() - dropped.len(),
        "no frame may be invented or lost"
    );
}

// --- Garbage between frames -------------------------------------------------------------------

/// Inserts 1..=`max_len` pseudo-random bytes before `count` frames, at least two frames apart
/// and not before the first two (so that the stream's start, and the frame after each run,
/// are followed by an intact frame whose header confirms them); returns the stream and the
/// garbage's ranges in it.
fn garbage_between_frames(
    c: &Clean,
    count: usize,
    max_len: usize,
    seed: u64,
) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut rng = Lcg::new(seed);
    let mut before: Vec<usize> = Vec::new();
    while before.len() < count {
        let i = 2 + rng.below(c.frames.len() - 2);
        if !before.iter().any(|&j| j.abs_diff(i) < 2) {
            before.push(i);
        }
    }
    before.sort_unstable();
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    let mut pos = 0;
    for &i in &before {
        let at = c.frames[i].offset;
        out.extend_from_slice(&c.es[pos..at]);
        let len = 1 + rng.below(max_len);
        let start = out.len();
        out.extend((0..len).map(|_| rng.byte()));
        ranges.push(start..out.len());
        pos = at;
    }
    out.extend_from_slice(&c.es[pos..]);
    (out, ranges)
}

#[test]
fn garbage_between_frames_loses_nothing() {
    for (file, count, max_len, seed) in [(PLAIN, 10, 60, 501), (CRC, 10, 300, 504)] {
        let c = clean(file);
        let (damaged, ranges) = garbage_between_frames(&c, count, max_len, seed);
        // A run of garbage that happens to hold something shaped like a frame header could
        // fool a decoder into taking it for a frame; none of these do (checked), so nothing
        // may be lost or invented.
        let false_syncs: Vec<usize> = ranges
            .iter()
            .flat_map(Clone::clone)
            .filter(|&p| Header::parse(&damaged[p..]).is_some())
            .collect();
        assert!(
            false_syncs.is_empty(),
            "choose another seed: the garbage holds frame headers at {false_syncs:?}"
        );
        let d = check(
            &format!("{file} with garbage before {count} frames"),
            &c,
            &damaged,
            &[],
            0,
            &format!("{file}.garbage_between_frames.mp2"),
        );
        assert_eq!(
            d.audio.len(),
            c.frames.len(),
            "{file}: garbage between frames must not add or remove frames"
        );
    }
}

#[test]
fn garbage_with_sync_patterns_between_frames() {
    // Runs of 0xFF and things that look like headers (but are followed by garbage, not by a
    // frame at their stated length) between frames.
    let c = clean(PLAIN);
    let fake_header = [0xFF, 0xFD, 0xB0, 0x00];
    let junk: [&[u8]; 4] = [
        &[0xFF; 7],
        &[0xFF, 0xFF, 0xF0, 0x00, 0x12],
        &fake_header,
        &[0x00, 0xFF, 0xFD, 0x84, 0x44, 0x55, 0x00, 0xFF],
    ];
    let before = [6usize, 15, 27, 44];
    let mut out = Vec::new();
    let mut pos = 0;
    for (&i, j) in before.iter().zip(junk) {
        let at = c.frames[i].offset;
        out.extend_from_slice(&c.es[pos..at]);
        out.extend_from_slice(j);
        pos = at;
    }
    out.extend_from_slice(&c.es[pos..]);
    // The junk before frame i may at worst cost frame i itself (a decoder that trusts a fake
    // header reads into it); count those as touched.
    check(
        &format!("{PLAIN} with sync-like junk before frames {before:?}"),
        &c,
        &out,
        &before,
        0,
        &format!("{PLAIN}.sync_junk.mp2"),
    );
}

// --- Truncation --------------------------------------------------------------------------------

#[test]
fn truncated_at_odd_offsets() {
    for file in [PLAIN, CRC] {
        let c = clean(file);
        let n = c.frames.len();
        // Inside the data of frames n/4, n/2 and 3n/4, two bytes into a header, and one byte
        // before the end.
        let cuts = [
            c.frames[n / 4].offset + c.frames[n / 4].len / 2 + 1,
            c.frames[n / 2].offset + 7,
            c.frames[3 * n / 4].offset + c.frames[3 * n / 4].len - 3,
            c.frames[n / 3].offset + 2,
            c.es.len() - 1,
        ];
        for cut in cuts {
            let damaged = &c.es[..cut];
            let cut_frame = mpa::frame_at(&c.frames, cut).expect("cut inside the stream");
            // Only frames up to the cut one can come out: every frame before it is complete and
            // must come out; the cut frame may or may not (it cannot be right).
            let upto = Clean {
                es: c.es.clone(),
                frames: c.frames[..=cut_frame].to_vec(),
                decoded: c.decoded[..=cut_frame].to_vec(),
            };
            let d = check(
                &format!("{file} truncated at byte {cut} (in frame {cut_frame})"),
                &upto,
                damaged,
                &[cut_frame],
                0,
                &format!("{file}.truncated_at_{cut}.mp2"),
            );
            let kept = d.audio.len();
            assert!(
                kept == cut_frame || kept == cut_frame + 1,
                "{file} truncated in frame {cut_frame}: {kept} frames"
            );
        }
    }
}

// --- CRC ---------------------------------------------------------------------------------------

#[test]
fn crc_mismatches_are_reported_and_the_frames_decoded() {
    // Flipping bits of the stored CRC word leaves the frame's data intact: the decoder must
    // report each mismatch, and (AudioEvent::Error's documentation) still decode the frame.
    let c = clean(CRC);
    let victims = [2usize, 9, 33, 50];
    let mut damaged = c.es.clone();
    for &i in &victims {
        damaged[c.frames[i].offset + 4] ^= 0x5A;
    }
    // Our reader agrees that exactly these CRCs now fail.
    let bad: Vec<usize> = c
        .frames
        .iter()
        .enumerate()
        .filter(|(_, f)| mpa::side_info(&damaged[f.range()]).and_then(|s| s.crc_ok) == Some(false))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(bad, victims);
    let d = check(
        &format!("{CRC} with {} wrong CRC words", victims.len()),
        &c,
        &damaged,
        &[],
        0,
        &format!("{CRC}.wrong_crc_words.mp2"),
    );
    assert_eq!(d.audio.len(), c.frames.len(), "every frame decoded");
    assert!(
        d.audio_warnings.len() >= victims.len(),
        "{} audio warnings for {} CRC mismatches: {:?}",
        d.audio_warnings.len(),
        victims.len(),
        d.audio_warnings
    );
    // And without damage there is no warning (the CRCs are right).
    assert!(decode(&c.es).audio_warnings.is_empty());
}

#[test]
fn crc_protected_side_information_damage_is_reported() {
    // A flipped bit in the bit allocation of CRC-protected frames: the CRC no longer matches,
    // which must be reported; those frames may be decoded (wrongly) or skipped.
    let c = clean(CRC);
    let victims = [7usize, 25, 44];
    let mut damaged = c.es.clone();
    for &i in &victims {
        damaged[c.frames[i].offset + 6] ^= 0x20;
    }
    for &i in &victims {
        let f = c.frames[i];
        assert_eq!(
            mpa::side_info(&damaged[f.range()]).and_then(|s| s.crc_ok),
            Some(false),
            "frame {i}: the damage must break the CRC"
        );
    }
    let d = check(
        &format!("{CRC} with damaged bit allocations"),
        &c,
        &damaged,
        &victims,
        0,
        &format!("{CRC}.damaged_allocation.mp2"),
    );
    assert!(
        d.audio_warnings.len() >= victims.len(),
        "{} audio warnings for {} damaged CRC-protected frames",
        d.audio_warnings.len(),
        victims.len()
    );
}

// --- Transport stream -------------------------------------------------------------------------

/// The PIDs of the TS packets that start an audio PES (stream_id 0xC0-0xDF).
fn audio_pids(ts: &[u8]) -> Vec<u16> {
    let mut pids = Vec::new();
    for p in ts.chunks_exact(TS_PACKET) {
        let pid = u16::from_be_bytes([p[1] & 0x1F, p[2]]);
        let unit_start = p[1] & 0x40 != 0;
        let payload = match (p[3] >> 4) & 3 {
            1 => 4,
            3 => 5 + usize::from(p[4]),
            _ => continue,
        };
        if unit_start
            && payload + 4 <= TS_PACKET
            && p[payload..payload + 3] == [0, 0, 1]
            && (0xC0..=0xDF).contains(&p[payload + 3])
            && !pids.contains(&pid)
        {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn ts_with_lost_packets_keeps_the_other_audio_frames() {
    let file = "ibbp_bf2_352x288.ts";
    let ts = read_fixture(file);
    let clean = decode(&ts).audio;
    assert!(!clean.is_empty(), "{file}: the clean stream has no audio");
    let pids = audio_pids(&ts);
    assert_eq!(pids.len(), 1, "{file}: one audio PID");
    let (damaged, dropped) = drop_ts_packets(&ts, 12, 601);
    let audio_dropped = dropped
        .iter()
        .filter(|&&i| {
            let p = &ts[i * TS_PACKET..];
            u16::from_be_bytes([p[1] & 0x1F, p[2]]) == pids[0]
        })
        .count();
    write_out(&format!("{file}.12_dropped_packets_audio.ts"), &damaged);
    let got = decode(&damaged);
    let matches = match_frames(&clean, &got.audio);
    let matched = matches.iter().flatten().count();
    let unmatched = matches.len() - matched;
    // A lost packet carries at most 184 bytes of a PES: it touches at most two frames (these
    // are 417-418 bytes long), and a lost PES header may cost the rest of its PES's frames their
    // timestamp but not their samples.
    println!(
        "{file} with 12 dropped packets ({audio_dropped} of them audio): {} of {} audio frames, \
         {matched} matched, {unmatched} unmatched",
        got.audio.len(),
        clean.len()
    );
    assert!(
        audio_dropped > 0,
        "choose another seed: no audio packet was dropped"
    );
    assert!(
        matched + 2 * audio_dropped + 1 >= clean.len(),
        "{file}: only {matched} of {} audio frames survive {audio_dropped} lost audio packets",
        clean.len()
    );
    assert!(
        unmatched <= 2 * audio_dropped,
        "{file}: {unmatched} audio frames match no clean frame"
    );
}

// --- Self-check of the matching ----------------------------------------------------------------

#[test]
fn matching_follows_the_rules() {
    // Synthetic "frames" (2 channels x 1152): frame i holds the value i everywhere.
    let frame = |v: f32| DecodedAudioFrame {
        sample_rate: 48_000,
        channels: 2,
        samples_per_channel: 1152,
        samples: vec![v; 2304],
        pts: 0,
        pts_from_stream: false,
        header: None,
        layout_error: None,
    };
    let clean: Vec<DecodedAudioFrame> = (0..6u8).map(|i| frame(f32::from(i))).collect();
    // Output: 0, garbage, 2 with a different head (after the garbage), 3, 5.
    let mut after_gap = frame(2.0);
    after_gap.samples[..2 * HISTORY].fill(-1.0);
    let got = vec![
        frame(0.0),
        frame(9.0),
        after_gap.clone(),
        frame(3.0),
        frame(5.0),
    ];
    assert_eq!(
        match_frames(&clean, &got),
        [
            Some(Match::Full(0)),
            None,
            Some(Match::Tail(2)),
            Some(Match::Full(3)),
            Some(Match::Full(5)),
        ]
    );
    // A head that differs beyond sample 480 is no match.
    let mut bad = frame(2.0);
    bad.samples[2 * HISTORY] = 7.0;
    assert_eq!(match_frames(&clean, &[bad]), [None]);
    // Matches stay in order: of two frames equal to clean frames in the opposite order, only
    // one can match.
    let crossed = match_frames(&clean, &[frame(3.0), frame(1.0)]);
    assert_eq!(crossed.iter().flatten().count(), 1, "{crossed:?}");
    // Equal frames (silence) are matched in step, not shifted: a damaged frame in the middle of
    // a run of identical frames leaves the others aligned.
    let silent: Vec<DecodedAudioFrame> = (0..4).map(|_| frame(0.0)).collect();
    let got = [frame(0.0), frame(9.0), frame(0.0), frame(0.0)];
    assert_eq!(
        match_frames(&silent, &got),
        [
            Some(Match::Full(0)),
            None,
            Some(Match::Full(2)),
            Some(Match::Full(3))
        ]
    );
}
