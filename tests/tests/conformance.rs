//! Every video fixture decoded by wasmpeg and by ffmpeg (the reference), compared frame by
//! frame and plane by plane: the same number of frames, the same sizes, PSNR >= 50 dB on every
//! plane of every frame and >= 55 dB per plane over the stream. Also checked against what the
//! stream's headers say (independently of both decoders): the display order of picture types
//! and temporal references, the frame rate, and for MPEG-TS/PS the presentation timestamps
//! (against ffprobe).
//!
//! Plus the cases where the expected output is another decode: the same stream in three
//! containers, any chunking of the input, repeated vs single sequence headers, user data, and a
//! picture size change mid-stream.

use std::path::Path;

use wasmpeg_tests::decode::{decode_file, decode_with_timeout, Chunking, Decoded, DEFAULT_TIMEOUT};
use wasmpeg_tests::es::{self, EsSummary};
use wasmpeg_tests::yuv::{assert_identical, assert_matches_reference, YuvFrame};
use wasmpeg_tests::{ffmpeg, fixture_path, read_fixture};

/// The video elementary stream of a file: the file itself for `.m1v`, else extracted by
/// ffmpeg's demuxer.
fn video_es_of(path: &Path) -> Vec<u8> {
    if path.extension().is_some_and(|e| e == "m1v") {
        std::fs::read(path).expect("readable fixture")
    } else {
        ffmpeg::extract_video_es(path)
    }
}

/// Picture types, temporal references and frame rate against the elementary stream's headers.
fn check_structure(decoded: &Decoded, es: &EsSummary) -> Vec<String> {
    let mut failures = Vec::new();
    let expected = es.display_order();
    let got: Vec<(char, u16)> = decoded
        .frames
        .iter()
        .map(|f| (f.picture_type.letter(), f.temporal_reference))
        .collect();
    if got != expected {
        let at = got
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(expected.len()));
        let letters = |v: &[(char, u16)]| v.iter().map(|p| p.0).collect::<String>();
        failures.push(format!(
            "display order differs from the headers' from frame {at} (got {:?}, expected {:?}); types got {}, expected {}",
            got.get(at),
            expected.get(at),
            letters(&got),
            letters(&expected)
        ));
    }
    if let Some(first) = es.sequences.first() {
        for (i, f) in decoded.frames.iter().enumerate() {
            if f.frame_rate_code != first.frame_rate_code {
                failures.push(format!(
                    "frame {i}: frame_rate_code {}, the sequence header says {}",
                    f.frame_rate_code, first.frame_rate_code
                ));
            }
        }
    }
    failures
}

/// Presentation timestamps: increasing in display order; for MPEG-TS/PS, equal to ffprobe's
/// where they came from the stream (all of them in MPEG-TS, where every picture has its PES).
fn check_pts(path: &Path, decoded: &Decoded) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, w) in decoded.frames.windows(2).enumerate() {
        if w[1].pts <= w[0].pts {
            failures.push(format!(
                "frame {}: pts {} not after the previous frame's {}",
                i + 1,
                w[1].pts,
                w[0].pts
            ));
        }
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "ts" || ext == "mpg" {
        let reference = ffmpeg::frame_pts(path);
        if reference.len() != decoded.frames.len() {
            failures.push(format!(
                "ffprobe lists {} frames, wasmpeg decoded {}",
                reference.len(),
                decoded.frames.len()
            ));
        }
        let mut from_stream = 0;
        for (i, (f, r)) in decoded.frames.iter().zip(&reference).enumerate() {
            if f.pts_from_stream {
                from_stream += 1;
                if Some(f.pts as i64) != *r {
                    failures.push(format!("frame {i}: pts {}, ffprobe says {r:?}", f.pts));
                }
            } else if ext == "ts" {
                failures.push(format!(
                    "frame {i}: pts not taken from the stream, but every picture has a PES with a PTS"
                ));
            }
        }
        if from_stream == 0 && !decoded.frames.is_empty() {
            failures.push("no frame has a pts from the stream".into());
        }
    }
    failures
}

/// Decodes `path` with both decoders and checks everything above.
fn check_file(name: &str, path: &Path) {
    let data =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let reference = ffmpeg::decode(path);
    let decoded = decode_file(&data);
    assert_matches_reference(name, &decoded.yuv(), &reference);
    let es = es::scan(&video_es_of(path));
    let mut failures = check_structure(&decoded, &es);
    failures.extend(check_pts(path, &decoded));
    assert!(
        failures.is_empty(),
        "{name}: {} failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

fn check_fixture(file: &str) {
    check_file(file, &fixture_path(file));
}

macro_rules! fixture_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_fixture($file);
            }
        )*
    };
}

fixture_tests! {
    ip_bf0_352x288_ts => "ip_bf0_352x288.ts",
    ip_bf0_352x288_mpg => "ip_bf0_352x288.mpg",
    ip_bf0_352x288_m1v => "ip_bf0_352x288.m1v",
    ibbp_bf2_352x288_ts => "ibbp_bf2_352x288.ts",
    ibbbp_bf3_352x288_mpg => "ibbbp_bf3_352x288.mpg",
    intra_q1_176x144_m1v => "intra_q1_176x144.m1v",
    longgop_g250_128x96_m1v => "longgop_g250_128x96.m1v",
    qmat_352x288_m1v => "qmat_352x288.m1v",
    odd_322x242_ts => "odd_322x242.ts",
    odd_100x75_m1v => "odd_100x75.m1v",
    tiny_16x16_m1v => "tiny_16x16.m1v",
    sif_352x240_2997_ts => "sif_352x240_2997.ts",
    sif_352x288_25_mpg => "sif_352x288_25.mpg",
    pal_720x576_ts => "pal_720x576.ts",
    rate_23976_160x120_m1v => "rate_23976_160x120.m1v",
    rate_25_160x120_m1v => "rate_25_160x120.m1v",
    rate_2997_160x120_m1v => "rate_2997_160x120.m1v",
    rate_50_160x120_m1v => "rate_50_160x120.m1v",
    rate_60_160x120_m1v => "rate_60_160x120.m1v",
    seqhdr_every_gop_176x144_m1v => "seqhdr_every_gop_176x144.m1v",
    seqhdr_once_176x144_m1v => "seqhdr_once_176x144.m1v",
    sizechange_part1_176x144_m1v => "sizechange_part1_176x144.m1v",
    sizechange_part2_240x160_m1v => "sizechange_part2_240x160.m1v",
    slices_1_352x288_m1v => "slices_1_352x288.m1v",
    slices_row_352x288_m1v => "slices_row_352x288.m1v",
    userdata_352x288_m1v => "userdata_352x288.m1v",
    bigmv_scroll_320x240_m1v => "bigmv_scroll_320x240.m1v",
    vcd_pal_mpg => "vcd_pal.mpg",
    bench_480p_bf2_ts => "bench_480p_bf2.ts",
    bench_720p_bf0_ts => "bench_720p_bf0.ts",
    bench_1080p_bf2_ts => "bench_1080p_bf2.ts",
}

// --- Streams whose expected output is another decode -----------------------------------------

fn decode_fixture(file: &str) -> Vec<YuvFrame> {
    decode_file(&read_fixture(file)).yuv()
}

#[test]
fn same_stream_in_ts_ps_and_es_decodes_identically() {
    // The .mpg and .m1v are stream copies of the .ts's video: the pictures must be the same.
    let ts = decode_fixture("ip_bf0_352x288.ts");
    assert!(!ts.is_empty(), "ip_bf0_352x288.ts decoded to nothing");
    assert_identical(
        "ip_bf0_352x288.mpg",
        "the .ts decode",
        &decode_fixture("ip_bf0_352x288.mpg"),
        &ts,
    );
    assert_identical(
        "ip_bf0_352x288.m1v",
        "the .ts decode",
        &decode_fixture("ip_bf0_352x288.m1v"),
        &ts,
    );
}

#[test]
fn chunk_boundaries_do_not_change_the_output() {
    for (file, chunking) in [
        (
            "ibbp_bf2_352x288.ts",
            Chunking::Random { seed: 1, max: 1500 },
        ),
        (
            "ibbbp_bf3_352x288.mpg",
            Chunking::Random { seed: 2, max: 3000 },
        ),
        (
            "slices_row_352x288.m1v",
            Chunking::Random { seed: 3, max: 700 },
        ),
        ("odd_100x75.m1v", Chunking::Fixed(1)),
        ("tiny_16x16.m1v", Chunking::Fixed(1)),
    ] {
        let data = read_fixture(file);
        let whole = decode_with_timeout(data.clone(), Chunking::Whole, DEFAULT_TIMEOUT).yuv();
        assert!(!whole.is_empty(), "{file} decoded to nothing");
        let chunked = decode_with_timeout(data, chunking, DEFAULT_TIMEOUT).yuv();
        assert_identical(
            &format!("{file} pushed as {chunking:?}"),
            "the decode of the whole file in one push",
            &chunked,
            &whole,
        );
    }
}

#[test]
fn one_sequence_header_decodes_like_one_per_gop() {
    // seqhdr_once is seqhdr_every_gop with the repeated sequence headers removed; they carry
    // nothing new (default matrices), so the pictures must not change.
    let every = decode_fixture("seqhdr_every_gop_176x144.m1v");
    assert!(
        !every.is_empty(),
        "seqhdr_every_gop_176x144.m1v decoded to nothing"
    );
    assert_identical(
        "seqhdr_once_176x144.m1v",
        "seqhdr_every_gop_176x144.m1v",
        &decode_fixture("seqhdr_once_176x144.m1v"),
        &every,
    );
}

#[test]
fn user_data_does_not_change_the_output() {
    // userdata_352x288 is slices_1_352x288 with user data after every sequence, GOP and
    // picture header.
    let plain = decode_fixture("slices_1_352x288.m1v");
    assert!(!plain.is_empty(), "slices_1_352x288.m1v decoded to nothing");
    assert_identical(
        "userdata_352x288.m1v",
        "slices_1_352x288.m1v",
        &decode_fixture("userdata_352x288.m1v"),
        &plain,
    );
}

#[test]
fn picture_size_change_mid_stream() {
    // sizechange_176x144_240x160.m1v is part1 followed by part2. ffmpeg's rawvideo output
    // cannot change size (and ffmpeg drops a picture at the seam), so each half is compared
    // with ffmpeg's decode of its own part file.
    let first = ffmpeg::decode(&fixture_path("sizechange_part1_176x144.m1v"));
    let second = ffmpeg::decode(&fixture_path("sizechange_part2_240x160.m1v"));
    assert_eq!((first.len(), second.len()), (25, 25), "the part files");
    let decoded = decode_file(&read_fixture("sizechange_176x144_240x160.m1v")).yuv();
    let sizes: Vec<(usize, usize)> = decoded.iter().map(|f| (f.width, f.height)).collect();
    let mut expected_sizes = vec![(176, 144); first.len()];
    expected_sizes.extend(vec![(240, 160); second.len()]);
    assert_eq!(
        sizes, expected_sizes,
        "frame sizes: 25 frames at 176x144, then 25 at 240x160"
    );
    assert_matches_reference(
        "sizechange_176x144_240x160.m1v frames 0-24",
        &decoded[..first.len()],
        &first,
    );
    assert_matches_reference(
        "sizechange_176x144_240x160.m1v frames 25-49",
        &decoded[first.len()..],
        &second,
    );
}

#[test]
fn big_buck_bunny() {
    // Real-world MPEG-PS (320x240, 13 slices per picture, f_code up to 5), kept outside the
    // repository: WASMPEG_CONFORMANCE_VIDEO_DIR names the folder holding big_buck_bunny.mpg.
    let Some(dir) = std::env::var_os("WASMPEG_CONFORMANCE_VIDEO_DIR") else {
        println!(
            "skipped: set WASMPEG_CONFORMANCE_VIDEO_DIR to the folder with big_buck_bunny.mpg \
             (for example ../shared/conformance/video) to run this test"
        );
        return;
    };
    // A relative path may be meant from the workspace root (where `cargo test` is typed) or
    // from this package (the tests' working directory).
    let dir = Path::new(&dir);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        dir.join("big_buck_bunny.mpg"),
        workspace.join(dir).join("big_buck_bunny.mpg"),
    ];
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        panic!(
            "WASMPEG_CONFORMANCE_VIDEO_DIR is set but big_buck_bunny.mpg is not in {}",
            dir.display()
        );
    };
    check_file("big_buck_bunny.mpg", path);
}
