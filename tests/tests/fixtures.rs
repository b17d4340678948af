//! The committed fixtures exercise what fixtures/README.md says they do. These tests read the
//! headers of each stream (through ffmpeg's demuxer for MPEG-TS/PS) and do not involve
//! wasmpeg, so they fail only if the fixtures are regenerated differently.

use wasmpeg_tests::es::{self, EsSummary};
use wasmpeg_tests::{ffmpeg, fixture_path, read_fixture};

fn scan(file: &str) -> EsSummary {
    let is_es = std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("m1v"));
    let es = if is_es {
        read_fixture(file)
    } else {
        ffmpeg::extract_video_es(&fixture_path(file))
    };
    let s = es::scan(&es);
    assert!(!s.pictures.is_empty(), "{file}: no pictures");
    s
}

/// The longest run of consecutive B-pictures in stream order.
fn max_b_run(s: &EsSummary) -> usize {
    s.types_in_stream_order()
        .split(|c| c != 'B')
        .map(str::len)
        .max()
        .unwrap_or(0)
}

fn sizes(s: &EsSummary) -> Vec<(u16, u16)> {
    let mut v: Vec<(u16, u16)> = s.sequences.iter().map(|q| (q.width, q.height)).collect();
    v.dedup();
    v
}

fn assert_size_and_rate(file: &str, size: (u16, u16), rate_code: u8) {
    let s = scan(file);
    assert_eq!(sizes(&s), vec![size], "{file}: size");
    assert!(
        s.sequences.iter().all(|q| q.frame_rate_code == rate_code),
        "{file}: picture_rate code"
    );
}

#[test]
fn picture_structures() {
    let ip = scan("ip_bf0_352x288.m1v");
    assert_eq!(max_b_run(&ip), 0, "ip_bf0: no B-pictures");
    assert!(ip.types_in_stream_order().contains('P'));
    assert_eq!(max_b_run(&scan("ibbp_bf2_352x288.ts")), 2);
    assert_eq!(max_b_run(&scan("ibbbp_bf3_352x288.mpg")), 3);

    let intra = scan("intra_q1_176x144.m1v");
    assert!(intra.pictures.iter().all(|p| p.coding_type == 1), "all I");
    assert_eq!(intra.gops, intra.pictures.len(), "one GOP per picture");

    let long = scan("longgop_g250_128x96.m1v");
    assert_eq!(long.pictures.len(), 260);
    assert_eq!(
        long.pictures.iter().filter(|p| p.gop == 0).count(),
        250,
        "first GOP"
    );
    assert_eq!(long.types_in_stream_order().matches('I').count(), 2);

    let qmat = scan("qmat_352x288.m1v");
    assert!(qmat
        .sequences
        .iter()
        .all(|q| q.load_intra_matrix && q.load_non_intra_matrix));
}

#[test]
fn picture_sizes_and_rates() {
    assert_size_and_rate("odd_322x242.ts", (322, 242), 3);
    assert_size_and_rate("odd_100x75.m1v", (100, 75), 3);
    assert_size_and_rate("tiny_16x16.m1v", (16, 16), 3);
    assert_size_and_rate("sif_352x240_2997.ts", (352, 240), 4);
    assert_size_and_rate("sif_352x288_25.mpg", (352, 288), 3);
    assert_size_and_rate("pal_720x576.ts", (720, 576), 3);
    assert_size_and_rate("rate_23976_160x120.m1v", (160, 120), 1);
    assert_size_and_rate("rate_25_160x120.m1v", (160, 120), 3);
    assert_size_and_rate("rate_2997_160x120.m1v", (160, 120), 4);
    assert_size_and_rate("rate_50_160x120.m1v", (160, 120), 6);
    assert_size_and_rate("rate_60_160x120.m1v", (160, 120), 8);
    assert_size_and_rate("vcd_pal.mpg", (352, 288), 3);
    assert_size_and_rate("bench_480p_bf2.ts", (640, 480), 3);
    assert_size_and_rate("bench_720p_bf0.ts", (1280, 720), 3);
    assert_size_and_rate("bench_1080p_bf2.ts", (1920, 1080), 3);
    assert_eq!(max_b_run(&scan("bench_480p_bf2.ts")), 2);
    assert_eq!(max_b_run(&scan("bench_720p_bf0.ts")), 0);
    assert_eq!(max_b_run(&scan("bench_1080p_bf2.ts")), 2);
    // VCD: 1150 kbit/s constant rate (bit_rate in units of 400 bit/s).
    assert!(scan("vcd_pal.mpg")
        .sequences
        .iter()
        .all(|q| q.bit_rate == 2875));
}

#[test]
fn stream_structures() {
    let every = scan("seqhdr_every_gop_176x144.m1v");
    assert_eq!(every.sequences.len(), every.gops);
    assert!(every.gops > 1);
    let once = scan("seqhdr_once_176x144.m1v");
    assert_eq!(once.sequences.len(), 1);
    assert_eq!(once.gops, every.gops);
    assert_eq!(once.pictures.len(), every.pictures.len());

    let change = scan("sizechange_176x144_240x160.m1v");
    assert_eq!(sizes(&change), vec![(176, 144), (240, 160)]);
    let part1 = read_fixture("sizechange_part1_176x144.m1v");
    let part2 = read_fixture("sizechange_part2_240x160.m1v");
    assert_eq!(
        read_fixture("sizechange_176x144_240x160.m1v"),
        [part1, part2].concat()
    );

    let one = scan("slices_1_352x288.m1v");
    assert!(one.pictures.iter().all(|p| p.slices == 1));
    let rows = scan("slices_row_352x288.m1v");
    assert!(rows.pictures.iter().all(|p| p.slices == 18));
    // The usual encodes have 3 slices per picture.
    assert!(scan("ip_bf0_352x288.m1v")
        .pictures
        .iter()
        .all(|p| p.slices == 3));

    let user = scan("userdata_352x288.m1v");
    assert_eq!(
        user.user_data_after,
        [user.sequences.len(), user.gops, user.pictures.len()],
        "user data after every sequence, GOP and picture header"
    );
    assert_eq!(user.pictures.len(), one.pictures.len());
    assert_eq!(one.user_data_after, [0, 0, 0]);
}

#[test]
fn big_motion_vectors() {
    let s = scan("bigmv_scroll_320x240.m1v");
    let max_forward = s.pictures.iter().map(|p| p.forward_f_code).max();
    let max_backward = s.pictures.iter().map(|p| p.backward_f_code).max();
    assert!(max_forward >= Some(3), "forward f_code {max_forward:?}");
    assert!(max_backward >= Some(3), "backward f_code {max_backward:?}");
    assert_eq!(max_b_run(&s), 3);
}

#[test]
fn same_video_in_three_containers() {
    let es = read_fixture("ip_bf0_352x288.m1v");
    assert_eq!(
        ffmpeg::extract_video_es(&fixture_path("ip_bf0_352x288.ts")),
        es
    );
    assert_eq!(
        ffmpeg::extract_video_es(&fixture_path("ip_bf0_352x288.mpg")),
        es
    );
}
