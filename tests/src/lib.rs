//! Helpers shared by the integration tests.
//!
//! - [`ffmpeg`]: the reference decoder (ffmpeg) and its demuxer, run as a child process.
//! - [`decode`]: wasmpeg run over a byte buffer, with a timeout, into the same frame layout (and
//!   audio frames into interleaved samples).
//! - [`yuv`]: planar yuv420p frames, PSNR, and the comparisons that the tests assert.
//! - [`es`]: a start-code scanner that reports what an MPEG-1 video elementary stream contains
//!   (to check that a fixture exercises what it claims, and to predict the display order).
//! - [`bits`] and [`synth`]: a bit writer and a generator of hand-made MPEG-1 video streams
//!   (D-pictures, full-pel motion vectors) with analytically expected pictures.
//! - [`damage`]: deterministic ways of corrupting a stream.
//! - [`mpa`]: MPEG audio frame headers and side information (frame boundaries, channel modes,
//!   intensity stereo use, CRC checks), independent of wasmpeg.
//! - [`pcm`]: decoded audio samples and the ISO/IEC 11172-4 accuracy measures.
//! - [`mp1synth`]: a generator of MPEG audio Layer I streams with pseudo-random content (no
//!   available encoder makes Layer I).

pub mod bits;
pub mod damage;
pub mod decode;
pub mod es;
pub mod ffmpeg;
pub mod mp1synth;
pub mod mpa;
pub mod pcm;
pub mod synth;
pub mod yuv;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The folder with the committed test streams (`fixtures/` at the workspace root).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

/// The path of a committed fixture.
pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Reads a committed fixture, with a helpful message when it is missing.
pub fn read_fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {}: {e} (the streams are made by fixtures/make_fixtures.sh)",
            path.display()
        )
    })
}

/// A scratch folder for files the tests write (streams handed to ffmpeg, failure dumps);
/// `tests/out/`, which git ignores. Created on first use.
pub fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("out");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Writes `data` to `tests/out/<name>` and returns the path. The file is written under a
/// temporary name and renamed, so that tests running in parallel never see it half written.
pub fn write_out(name: &str, data: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = out_dir();
    let path = dir.join(name);
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    std::fs::rename(&tmp, &path)
        .unwrap_or_else(|e| panic!("cannot rename to {}: {e}", path.display()));
    path
}

/// A small deterministic pseudo-random generator (a 64-bit linear congruential generator with
/// Knuth's MMIX constants), so that every "random" test input is the same on every run.
#[derive(Clone, Debug)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 32 pseudo-random bits (the high half of the state).
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Lcg::below(0)");
        ((u64::from(self.next_u32()) * n as u64) >> 32) as usize
    }

    /// A value in `lo..=hi`.
    pub fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        assert!(lo <= hi, "Lcg::range_i32({lo}, {hi})");
        lo + self.below((hi - lo + 1) as usize) as i32
    }

    /// A pseudo-random byte.
    pub fn byte(&mut self) -> u8 {
        (self.next_u32() >> 24) as u8
    }
}
