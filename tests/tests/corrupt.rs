//! Damaged copies of fixtures (bytes flipped, transport packets dropped, garbage inserted
//! between packets, truncation) and plain garbage. The decoder must never panic, must finish
//! (each decode runs under a timeout), and must still deliver most pictures:
//!
//! - light damage (a dozen flipped bytes, a few dropped packets, garbage between packets):
//!   at least 80% of the clean stream's frame count;
//! - truncation: at least as many frames as ffmpeg gets from the same truncated file, minus 2;
//!   and apart from the last two (the picture cut in half and a held-back reference), the frames
//!   are exactly those of the clean decode.
//!
//! Every damaged stream is also written to tests/out/ for inspection.

use std::time::Duration;

use wasmpeg::{ContainerFormat, DecoderConfig};
use wasmpeg_tests::damage::{
    drop_ts_packets, flip_bytes, garbage_between_ps_packs, garbage_between_ts_packets, noise,
};
use wasmpeg_tests::decode::{decode_with_timeout, decode_with_timeout_config, Chunking, Decoded};
use wasmpeg_tests::yuv::{assert_identical, YuvFrame};
use wasmpeg_tests::{ffmpeg, read_fixture, write_out};

/// Generous for a few hundred kilobytes; a decoder that takes longer is stuck.
const TIMEOUT: Duration = Duration::from_secs(60);

const TS: &str = "ibbp_bf2_352x288.ts";
const PS: &str = "ibbbp_bf3_352x288.mpg";
const ES: &str = "ip_bf0_352x288.m1v";
const ES_ROW_SLICES: &str = "slices_row_352x288.m1v";

fn decode(data: &[u8]) -> Decoded {
    decode_with_timeout(data.to_vec(), Chunking::Fixed(4096), TIMEOUT)
}

fn clean_frame_count(file: &str) -> usize {
    let n = decode(&read_fixture(file)).frames.len();
    assert!(n > 0, "{file}: the clean stream decoded to nothing");
    n
}

/// Decodes a damaged copy and checks it keeps at least 80% of the clean frames (and does not
/// invent more than `extra_allowed` frames).
fn check_light_damage(file: &str, what: &str, damaged: &[u8], extra_allowed: usize) {
    let out_name = format!(
        "{}.{what}.{}",
        file,
        file.rsplit('.').next().unwrap_or("bin")
    );
    write_out(&out_name, damaged);
    let clean = clean_frame_count(file);
    let decoded = decode(damaged);
    let n = decoded.frames.len();
    let min = (clean * 4).div_ceil(5);
    println!(
        "{file} with {what}: {n} of {clean} frames, {} warnings",
        decoded.warnings
    );
    assert!(
        n >= min,
        "{file} with {what} (tests/out/{out_name}): {n} frames, fewer than 80% of the clean {clean}"
    );
    assert!(
        n <= clean + extra_allowed,
        "{file} with {what} (tests/out/{out_name}): {n} frames, the clean stream has {clean}"
    );
    for (i, f) in decoded.frames.iter().enumerate() {
        assert!(
            f.yuv.width > 0 && f.yuv.height > 0,
            "{file} with {what}: frame {i} is empty"
        );
    }
}

// --- Flipped bytes ---------------------------------------------------------------------------

const FLIPS: usize = 12;

#[test]
fn flipped_bytes_ts() {
    let (damaged, _) = flip_bytes(&read_fixture(TS), FLIPS, 101);
    check_light_damage(TS, "12_flipped_bytes", &damaged, FLIPS);
}

#[test]
fn flipped_bytes_ps() {
    let (damaged, _) = flip_bytes(&read_fixture(PS), FLIPS, 102);
    check_light_damage(PS, "12_flipped_bytes", &damaged, FLIPS);
}

#[test]
fn flipped_bytes_es() {
    let (damaged, _) = flip_bytes(&read_fixture(ES), FLIPS, 103);
    check_light_damage(ES, "12_flipped_bytes", &damaged, FLIPS);
}

#[test]
fn flipped_bytes_es_row_slices() {
    let (damaged, _) = flip_bytes(&read_fixture(ES_ROW_SLICES), FLIPS, 104);
    check_light_damage(ES_ROW_SLICES, "12_flipped_bytes", &damaged, FLIPS);
}

// --- Container damage ------------------------------------------------------------------------

#[test]
fn dropped_ts_packets() {
    let (damaged, _) = drop_ts_packets(&read_fixture(TS), 8, 201);
    check_light_damage(TS, "8_dropped_packets", &damaged, 0);
}

#[test]
fn garbage_between_ts_packets_is_skipped() {
    let (damaged, _) = garbage_between_ts_packets(&read_fixture(TS), 10, 300, 301);
    check_light_damage(TS, "garbage_between_packets", &damaged, 0);
}

#[test]
fn garbage_between_ps_packs_is_skipped() {
    let (damaged, _) = garbage_between_ps_packs(&read_fixture(PS), 10, 300, 302);
    check_light_damage(PS, "garbage_between_packs", &damaged, 0);
}

// --- Truncation ------------------------------------------------------------------------------

/// Cuts `file` at four places (odd offsets, mid-packet) and checks each truncated decode.
fn check_truncation(file: &str) {
    let data = read_fixture(file);
    let clean = decode(&data);
    let clean_yuv = clean.yuv();
    assert!(
        !clean_yuv.is_empty(),
        "{file}: the clean stream decoded to nothing"
    );
    let ext = file.rsplit('.').next().unwrap_or("bin");
    for k in 1..=4 {
        let cut = data.len() * k / 5 + 37 * k;
        let truncated = &data[..cut];
        let name = format!("{file}.truncated_at_{cut}.{ext}");
        let path = write_out(&name, truncated);
        let reference = ffmpeg::decode_lenient(&path).frames.len();
        let decoded = decode(truncated);
        let n = decoded.frames.len();
        println!(
            "{file} cut at {cut}: {n} frames (ffmpeg {reference}, clean {})",
            clean_yuv.len()
        );
        assert!(
            n + 2 >= reference,
            "{file} cut at byte {cut} (tests/out/{name}): {n} frames, ffmpeg decodes {reference}"
        );
        assert!(
            n <= clean_yuv.len(),
            "{file} cut at byte {cut}: {n} frames, more than the whole stream's {}",
            clean_yuv.len()
        );
        let keep = n.saturating_sub(2);
        assert_identical(
            &format!("{file} cut at byte {cut}, frames 0..{keep}"),
            "the clean decode",
            &decoded.yuv()[..keep],
            &clean_yuv[..keep],
        );
    }
}

#[test]
fn truncated_ts() {
    check_truncation(TS);
}

#[test]
fn truncated_ps() {
    check_truncation(PS);
}

#[test]
fn truncated_es() {
    check_truncation(ES);
}

// --- Heavy damage and garbage: only "no panic, no hang" ---------------------------------------

#[test]
fn heavy_damage_terminates() {
    for (file, seed) in [(TS, 401), (PS, 402), (ES, 403)] {
        let data = read_fixture(file);
        // One byte in a hundred.
        let (damaged, _) = flip_bytes(&data, data.len() / 100, seed);
        let decoded = decode(&damaged);
        println!(
            "{file} with 1% of bytes flipped: {} frames, {} warnings",
            decoded.frames.len(),
            decoded.warnings
        );
        for (i, f) in decoded.frames.iter().enumerate() {
            assert_eq!(
                f.yuv.data.len(),
                YuvFrame::frame_len(f.yuv.width, f.yuv.height),
                "{file}: frame {i}"
            );
        }
    }
}

#[test]
fn noise_terminates_in_every_container_mode() {
    let data = noise(256 * 1024, 501);
    for container in [
        None,
        Some(ContainerFormat::MpegTs),
        Some(ContainerFormat::MpegPs),
        Some(ContainerFormat::VideoEs),
    ] {
        let config = DecoderConfig {
            container,
            ..DecoderConfig::default()
        };
        let decoded =
            decode_with_timeout_config(data.clone(), Chunking::Fixed(1000), config, TIMEOUT);
        println!("noise as {container:?}: {} frames", decoded.frames.len());
    }
}

#[test]
fn every_prefix_of_the_stream_start_terminates() {
    // Cut inside the first headers at every byte: sequence header, GOP, picture, first slice.
    for file in [ES, TS, PS] {
        let data = read_fixture(file);
        for len in (0..=600).chain([1000, 2000, 4000]) {
            let decoded = decode(&data[..len.min(data.len())]);
            assert!(
                decoded.frames.len() <= 2,
                "{file}: {len} bytes gave {} frames",
                decoded.frames.len()
            );
        }
    }
}

#[test]
fn start_code_soup_terminates() {
    // Start codes of every kind back to back with a few bytes of junk between them: headers
    // with missing fields, slices without pictures, pictures without sequences.
    let mut data = Vec::new();
    let junk = noise(4096, 601);
    for (i, code) in (0..=255_u8).cycle().take(3000).enumerate() {
        data.extend_from_slice(&[0, 0, 1, code]);
        data.extend_from_slice(&junk[i % 4000..i % 4000 + i % 13]);
    }
    for container in [None, Some(ContainerFormat::VideoEs)] {
        let config = DecoderConfig {
            container,
            ..DecoderConfig::default()
        };
        let decoded =
            decode_with_timeout_config(data.clone(), Chunking::Fixed(333), config, TIMEOUT);
        println!(
            "start code soup as {container:?}: {} frames",
            decoded.frames.len()
        );
    }
}
