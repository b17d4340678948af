//! Hand-made streams (tests/src/synth.rs) for features ffmpeg's encoder never produces:
//! D-pictures and full-pel motion vectors. wasmpeg must decode them exactly to the analytically
//! expected pictures. The generator itself is validated against ffmpeg: the same DC-only
//! content as I-pictures, and the full-pel P-pictures, must decode bit-exactly in ffmpeg too
//! (ffmpeg cannot serve as a reference for the D-pictures: it rejects them).

use wasmpeg_tests::decode::decode_file;
use wasmpeg_tests::synth::{dc_only_stream, full_pel_stream, IntraKind, SynthStream};
use wasmpeg_tests::yuv::{assert_identical, YuvFrame};
use wasmpeg_tests::{ffmpeg, write_out};

/// Number of pictures in the DC-only streams.
const PICTURES: usize = 6;

/// Writes the stream and its expected pictures to tests/out (for inspection with ffplay or a
/// YUV viewer) and returns the stream's path.
fn dump(s: &SynthStream) -> std::path::PathBuf {
    let expected: Vec<u8> = s.expected.iter().flat_map(|f| f.data.clone()).collect();
    write_out(&format!("{}.ref.yuv", s.name), &expected);
    write_out(&format!("{}.m1v", s.name), &s.bytes)
}

fn check_generator_against_ffmpeg(s: &SynthStream) {
    let path = dump(s);
    let reference: Vec<YuvFrame> = ffmpeg::decode(&path);
    assert_identical(
        &format!("ffmpeg decoding {}", s.name),
        "the generator's expected pictures",
        &reference,
        &s.expected,
    );
}

fn check_wasmpeg(s: &SynthStream) {
    dump(s);
    let decoded = decode_file(&s.bytes);
    assert_identical(
        &format!("wasmpeg decoding {}", s.name),
        "the analytically expected pictures",
        &decoded.yuv(),
        &s.expected,
    );
    let types: String = decoded
        .frames
        .iter()
        .map(|f| f.picture_type.letter())
        .collect();
    assert_eq!(types, s.types, "{}: picture types", s.name);
    let temporal: Vec<u16> = decoded
        .frames
        .iter()
        .map(|f| f.temporal_reference)
        .collect();
    let expected_temporal: Vec<u16> = (0..s.expected.len() as u16).collect();
    assert_eq!(
        temporal, expected_temporal,
        "{}: temporal_reference",
        s.name
    );
    assert_eq!(
        decoded.warnings, 0,
        "{}: warnings on a valid stream",
        s.name
    );
}

// --- The generator against ffmpeg -------------------------------------------------------------

#[test]
fn generator_dc_only_ipictures_80x48_match_ffmpeg() {
    check_generator_against_ffmpeg(&dc_only_stream(80, 48, IntraKind::I, PICTURES, 80_48));
}

#[test]
fn generator_dc_only_ipictures_72x40_match_ffmpeg() {
    check_generator_against_ffmpeg(&dc_only_stream(72, 40, IntraKind::I, PICTURES, 72_40));
}

#[test]
fn generator_full_pel_80x48_matches_ffmpeg() {
    check_generator_against_ffmpeg(&full_pel_stream(80, 48, 80_48));
}

#[test]
fn generator_full_pel_72x40_matches_ffmpeg() {
    check_generator_against_ffmpeg(&full_pel_stream(72, 40, 72_40));
}

#[test]
fn generator_d_and_i_streams_carry_the_same_pictures() {
    // The D-picture expectation is only as good as the I-picture one that ffmpeg confirms:
    // both must come from the same content.
    for (w, h) in [(80, 48), (72, 40)] {
        let seed = (w * 1000 + h) as u64;
        let d = dc_only_stream(w, h, IntraKind::D, PICTURES, seed);
        let i = dc_only_stream(w, h, IntraKind::I, PICTURES, seed);
        assert_eq!(d.expected, i.expected, "{w}x{h}");
        assert_eq!(d.types, "D".repeat(PICTURES));
        assert_ne!(d.bytes, i.bytes);
    }
}

// --- wasmpeg against the expected pictures ----------------------------------------------------

#[test]
fn d_pictures_80x48_decode_exactly() {
    check_wasmpeg(&dc_only_stream(80, 48, IntraKind::D, PICTURES, 80_48));
}

#[test]
fn d_pictures_72x40_decode_exactly() {
    check_wasmpeg(&dc_only_stream(72, 40, IntraKind::D, PICTURES, 72_40));
}

#[test]
fn dc_only_i_pictures_80x48_decode_exactly() {
    check_wasmpeg(&dc_only_stream(80, 48, IntraKind::I, PICTURES, 80_48));
}

#[test]
fn dc_only_i_pictures_72x40_decode_exactly() {
    check_wasmpeg(&dc_only_stream(72, 40, IntraKind::I, PICTURES, 72_40));
}

#[test]
fn full_pel_p_pictures_80x48_decode_exactly() {
    check_wasmpeg(&full_pel_stream(80, 48, 80_48));
}

#[test]
fn full_pel_p_pictures_72x40_decode_exactly() {
    check_wasmpeg(&full_pel_stream(72, 40, 72_40));
}
