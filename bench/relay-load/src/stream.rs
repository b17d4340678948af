//! The published stream: a synthetic MPEG-TS (MPEG-1 video + MP2 audio, about 1 Mbit/s) made
//! with ffmpeg, with a latency marker in front of every picture.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, ensure, Context, Result};

use crate::marker;

/// Frame rate of the generated video.
pub const FPS: u32 = 25;
/// Bit rate of the generated MP2 audio, kbit/s.
const AUDIO_KBPS: u32 = 64;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Picture size, e.g. `640x360`.
    pub size: String,
    /// Target total bit rate in kbit/s (video gets 92 % of it less the 64 kbit/s of audio;
    /// the rest is transport stream overhead).
    pub kbps: u32,
    /// Length in seconds.
    pub seconds: u32,
}

/// A transport stream in memory with the offsets of its markers.
#[derive(Debug)]
pub struct TsFile {
    /// The whole stream (whole 188-byte packets).
    pub data: Vec<u8>,
    /// Byte offset of each marker, ascending.
    pub markers: Vec<usize>,
    /// Playing time in seconds (pictures / frame rate).
    pub seconds: f64,
}

impl TsFile {
    /// Average rate in bytes per second: the publisher's pacing.
    pub fn bytes_per_second(&self) -> f64 {
        self.data.len() as f64 / self.seconds
    }
}

fn ffmpeg(ffmpeg: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", ffmpeg.display()))?;
    if !out.status.success() {
        bail!(
            "{} {} failed: {}",
            ffmpeg.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Makes (or reuses from `dir`) the stream described by `spec` and loads it.
pub fn prepare(spec: &Spec, dir: &Path, ffmpeg_bin: &Path) -> Result<TsFile> {
    ensure!(spec.kbps >= 200, "--kbps must be at least 200");
    ensure!(spec.seconds >= 5, "the stream must last at least 5 s");
    ensure!(
        spec.size.split_once('x').is_some_and(|(w, h)| {
            w.parse::<u16>().is_ok_and(|w| w >= 16) && h.parse::<u16>().is_ok_and(|h| h >= 16)
        }),
        "--size must look like 640x360, got {:?}",
        spec.size
    );
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = format!("load-{}-{}k-{}s.ts", spec.size, spec.kbps, spec.seconds);
    let path = dir.join(&name);
    if !path.exists() {
        generate(spec, dir, &path, ffmpeg_bin)
            .with_context(|| format!("cannot make the test stream {}", path.display()))?;
    }
    load(&path)
}

fn generate(spec: &Spec, dir: &Path, path: &Path, ffmpeg_bin: &Path) -> Result<()> {
    let tmp = |ext: &str| -> PathBuf { dir.join(format!("tmp-{}.{ext}", std::process::id())) };
    let (es, es_marked, mp2, ts) = (tmp("m1v"), tmp("marked.m1v"), tmp("mp2"), tmp("ts"));
    let video_kbps = format!("{}k", spec.kbps * 92 / 100 - AUDIO_KBPS);
    let secs = spec.seconds.to_string();
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let result = (|| {
        ffmpeg(
            ffmpeg_bin,
            &[
                "-f",
                "lavfi",
                "-i",
                &format!("testsrc2=size={}:rate={FPS}:duration={secs}", spec.size),
                "-f",
                "lavfi",
                "-i",
                &format!("sine=frequency=440:sample_rate=44100:duration={secs}"),
                "-map",
                "0:v",
                "-c:v",
                "mpeg1video",
                "-b:v",
                &video_kbps,
                "-minrate",
                &video_kbps,
                "-maxrate",
                &video_kbps,
                "-bufsize",
                "500k",
                "-g",
                &FPS.to_string(),
                "-bf",
                "0",
                "-f",
                "mpeg1video",
                &s(&es),
                "-map",
                "1:a",
                "-c:a",
                "mp2",
                "-b:a",
                &format!("{AUDIO_KBPS}k"),
                "-f",
                "mp2",
                &s(&mp2),
            ],
        )?;
        let video = std::fs::read(&es).with_context(|| format!("cannot read {}", es.display()))?;
        let (marked, n) = marker::insert_into_video_es(&video);
        ensure!(n > 0, "no pictures found in the generated video");
        std::fs::write(&es_marked, marked)
            .with_context(|| format!("cannot write {}", es_marked.display()))?;
        ffmpeg(
            ffmpeg_bin,
            &[
                "-fflags",
                "+genpts",
                "-r",
                &FPS.to_string(),
                "-f",
                "mpegvideo",
                "-i",
                &s(&es_marked),
                // ffmpeg's "mp3" demuxer reads any MPEG audio layer.
                "-f",
                "mp3",
                "-i",
                &s(&mp2),
                "-c",
                "copy",
                "-f",
                "mpegts",
                &s(&ts),
            ],
        )?;
        std::fs::rename(&ts, path).with_context(|| format!("cannot write {}", path.display()))
    })();
    for p in [&es, &es_marked, &mp2, &ts] {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// Loads a stream made by [`prepare`].
pub fn load(path: &Path) -> Result<TsFile> {
    let mut data =
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    ensure!(
        data.first() == Some(&0x47),
        "{}: not an MPEG transport stream",
        path.display()
    );
    data.truncate(data.len() / marker::TS_PACKET * marker::TS_PACKET);
    let markers = marker::find_in_ts(&data);
    ensure!(
        markers.len() >= FPS as usize,
        "{}: only {} latency markers found (the stream must be made by this tool)",
        path.display(),
        markers.len()
    );
    let seconds = markers.len() as f64 / f64::from(FPS);
    Ok(TsFile {
        data,
        markers,
        seconds,
    })
}
