//! The committed audio fixtures exercise what fixtures/README.md says they do: sampling
//! frequency, channel mode, bit rate and so Layer II allocation table, joint stereo with
//! intensity coding really used (a subband at or above the bound has samples), valid CRCs,
//! padding. Read from the frame headers and side information by the tests' own reader
//! (`wasmpeg_tests::mpa`), with ffmpeg's CRC check as a second opinion; wasmpeg is not
//! involved, so these fail only if the fixtures are regenerated differently.

use wasmpeg_tests::mpa::{self, FrameInfo, StreamSummary};
use wasmpeg_tests::{ffmpeg, fixture_path, read_fixture};

/// What one fixture must contain.
struct Expect {
    file: &'static str,
    lsf: bool,
    sample_rate: u32,
    bitrate_kbps: u32,
    /// Subbands of the Layer II allocation table in use (27/30/8/12; 30 for LSF).
    sblimit: usize,
    /// Channel modes that must all occur (see `mpa::Header::mode_name`), and no others.
    modes: &'static [&'static str],
    crc: bool,
    /// Some joint-stereo frame has samples at or above its bound.
    intensity: bool,
    /// Some frame has padding_bit set.
    padding: bool,
}

const RAW: &[Expect] = &[
    Expect {
        file: "mp2_32k_mono_32k.mp2",
        lsf: false,
        sample_rate: 32_000,
        bitrate_kbps: 32,
        sblimit: 12,
        modes: &["mono"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_32k_stereo_96k.mp2",
        lsf: false,
        sample_rate: 32_000,
        bitrate_kbps: 96,
        sblimit: 12,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_32k_stereo_384k.mp2",
        lsf: false,
        sample_rate: 32_000,
        bitrate_kbps: 384,
        sblimit: 30,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_44k_mono_48k.mp2",
        lsf: false,
        sample_rate: 44_100,
        bitrate_kbps: 48,
        sblimit: 8,
        modes: &["mono"],
        crc: false,
        intensity: false,
        padding: true,
    },
    Expect {
        file: "mp2_44k_stereo_256k.mp2",
        lsf: false,
        sample_rate: 44_100,
        bitrate_kbps: 256,
        sblimit: 30,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: true,
    },
    Expect {
        file: "mp2_48k_stereo_64k.mp2",
        lsf: false,
        sample_rate: 48_000,
        bitrate_kbps: 64,
        sblimit: 8,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_48k_stereo_384k.mp2",
        lsf: false,
        sample_rate: 48_000,
        bitrate_kbps: 384,
        sblimit: 27,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_16k_mono_24k.mp2",
        lsf: true,
        sample_rate: 16_000,
        bitrate_kbps: 24,
        sblimit: 30,
        modes: &["mono"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_22k_stereo_64k.mp2",
        lsf: true,
        sample_rate: 22_050,
        bitrate_kbps: 64,
        sblimit: 30,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: true,
    },
    Expect {
        file: "mp2_24k_stereo_160k.mp2",
        lsf: true,
        sample_rate: 24_000,
        bitrate_kbps: 160,
        sblimit: 30,
        modes: &["stereo"],
        crc: false,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_48k_joint_64k_twolame.mp2",
        lsf: false,
        sample_rate: 48_000,
        bitrate_kbps: 64,
        sblimit: 8,
        modes: &["stereo", "joint stereo (bound 4)"],
        crc: false,
        intensity: true,
        padding: false,
    },
    Expect {
        file: "mp2_48k_joint_160k_crc_twolame.mp2",
        lsf: false,
        sample_rate: 48_000,
        bitrate_kbps: 160,
        sblimit: 27,
        modes: &[
            "stereo",
            "joint stereo (bound 4)",
            "joint stereo (bound 8)",
            "joint stereo (bound 12)",
        ],
        crc: true,
        intensity: true,
        padding: false,
    },
    Expect {
        file: "mp2_44k_dual_192k_crc_twolame.mp2",
        lsf: false,
        sample_rate: 44_100,
        bitrate_kbps: 192,
        sblimit: 30,
        modes: &["dual channel"],
        crc: true,
        intensity: false,
        padding: false,
    },
    Expect {
        file: "mp2_24k_joint_96k_crc_twolame.mp2",
        lsf: true,
        sample_rate: 24_000,
        bitrate_kbps: 96,
        sblimit: 30,
        modes: &[
            "stereo",
            "joint stereo (bound 8)",
            "joint stereo (bound 12)",
            "joint stereo (bound 16)",
        ],
        crc: true,
        intensity: true,
        padding: false,
    },
];

fn check(e: &Expect, es: &[u8], frames: &[FrameInfo]) -> StreamSummary {
    let s = mpa::summarise(es, frames);
    println!("{}: {}", e.file, s.describe());
    assert!(!frames.is_empty(), "{}: no frames", e.file);
    for (i, f) in frames.iter().enumerate() {
        let h = &f.header;
        assert_eq!(h.layer, 2, "{} frame {i}: layer", e.file);
        assert_eq!(h.lsf, e.lsf, "{} frame {i}: MPEG-2 LSF", e.file);
        assert_eq!(h.sample_rate, e.sample_rate, "{} frame {i}: rate", e.file);
        assert_eq!(
            h.bitrate_kbps, e.bitrate_kbps,
            "{} frame {i}: bit rate",
            e.file
        );
        assert_eq!(h.has_crc, e.crc, "{} frame {i}: protection", e.file);
        assert_eq!(
            mpa::layer2_nbal(h).len(),
            e.sblimit,
            "{} frame {i}: allocation table",
            e.file
        );
    }
    let modes: Vec<&str> = s.modes.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = e.modes.to_vec();
    expected.sort_unstable();
    assert_eq!(modes, expected, "{}: channel modes", e.file);
    assert_eq!(
        s.intensity_frames > 0,
        e.intensity,
        "{}: joint-stereo frames with samples above the bound",
        e.file
    );
    assert_eq!(s.padded > 0, e.padding, "{}: padding", e.file);
    if e.crc {
        assert_eq!(
            (s.crc_frames, s.crc_ok),
            (frames.len(), frames.len()),
            "{}: every frame has a CRC and every CRC matches",
            e.file
        );
    }
    s
}

#[test]
fn raw_audio_fixtures_have_the_announced_structure() {
    for e in RAW {
        let es = read_fixture(e.file);
        let frames = mpa::frames_strict(&es).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        check(e, &es, &frames);
        if e.crc {
            // Second opinion on the CRCs: ffmpeg's decoder with -err_detect crccheck.
            let complaints = ffmpeg::audio_crc_errors(&fixture_path(e.file));
            assert!(
                complaints.trim().is_empty(),
                "{}: ffmpeg's CRC check complains:\n{complaints}",
                e.file
            );
        }
    }
}

#[test]
fn container_fixtures_carry_the_announced_audio() {
    // (file, rate, bit rate, sblimit, mode); all have padding at 44.1 kHz and none has a CRC.
    for (file, rate, bitrate, sblimit, mode) in [
        ("ip_bf0_352x288.ts", 44_100, 128, 27, "stereo"),
        ("ip_bf0_352x288.mpg", 44_100, 128, 27, "stereo"),
        ("ibbp_bf2_352x288.ts", 44_100, 128, 27, "stereo"),
        ("ibbbp_bf3_352x288.mpg", 44_100, 128, 27, "stereo"),
        ("odd_322x242.ts", 32_000, 64, 27, "mono"),
        ("sif_352x240_2997.ts", 44_100, 128, 27, "stereo"),
        ("sif_352x288_25.mpg", 44_100, 128, 27, "stereo"),
        ("pal_720x576.ts", 44_100, 128, 27, "stereo"),
        ("vcd_pal.mpg", 44_100, 224, 30, "stereo"),
    ] {
        let es = ffmpeg::extract_audio_es(&fixture_path(file));
        let frames = mpa::frames_strict(&es).unwrap_or_else(|err| panic!("{file}: {err}"));
        let s = mpa::summarise(&es, &frames);
        assert_eq!(
            s.modes.keys().collect::<Vec<_>>(),
            [mode],
            "{file}: channel mode"
        );
        for (i, f) in frames.iter().enumerate() {
            let h = &f.header;
            assert_eq!(
                (h.layer, h.lsf, h.sample_rate, h.bitrate_kbps, h.has_crc),
                (2, false, rate, bitrate, false),
                "{file} frame {i}"
            );
            assert_eq!(mpa::layer2_nbal(h).len(), sblimit, "{file} frame {i}");
        }
        assert_eq!(s.padded > 0, rate == 44_100, "{file}: padding");
        println!("{file}: {}", s.describe());
    }
}
