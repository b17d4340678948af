//! ffmpeg as the reference decoder and demuxer, run as a child process.
//!
//! The programs are `ffmpeg` and `ffprobe` from `PATH`, or the paths in the environment
//! variables `FFMPEG` and `FFPROBE`.

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::{Command, Output};

use crate::yuv::YuvFrame;

const INSTALL_HINT: &str = "The wasmpeg tests compare against ffmpeg's decoder, so they need \
`ffmpeg` and `ffprobe` on PATH (or set FFMPEG / FFPROBE to their paths). Install them with \
`sudo apt-get install ffmpeg` (Debian/Ubuntu), `sudo dnf install ffmpeg` (Fedora), \
`brew install ffmpeg` (macOS) or from https://ffmpeg.org/download.html";

fn program(var: &str, default: &str) -> OsString {
    std::env::var_os(var).unwrap_or_else(|| default.into())
}

fn run(var: &str, default: &str, args: &[&std::ffi::OsStr]) -> Output {
    let prog = program(var, default);
    match Command::new(&prog).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            panic!("`{}` was not found. {INSTALL_HINT}", prog.to_string_lossy())
        }
        Err(e) => panic!(
            "cannot run `{}`: {e}. {INSTALL_HINT}",
            prog.to_string_lossy()
        ),
    }
}

/// True when `ffmpeg` can be started.
pub fn available() -> bool {
    Command::new(program("FFMPEG", "ffmpeg"))
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The display size of the first video stream, from `ffprobe`.
pub fn probe_size(path: &Path) -> (usize, usize) {
    let out = run(
        "FFPROBE",
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "v:0".as_ref(),
            "-show_entries".as_ref(),
            "stream=width,height".as_ref(),
            "-of".as_ref(),
            "csv=p=0".as_ref(),
            path.as_os_str(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.trim().split(',').map(str::parse::<usize>);
    match (parts.next(), parts.next()) {
        (Some(Ok(w)), Some(Ok(h))) if w > 0 && h > 0 => (w, h),
        _ => panic!(
            "ffprobe found no video size in {}: stdout {text:?}, stderr {:?}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// What ffmpeg decoded.
#[derive(Debug)]
pub struct Reference {
    /// The frames, in display order, all at the size ffprobe reported.
    pub frames: Vec<YuvFrame>,
    /// ffmpeg's error output (empty for a clean stream).
    pub stderr: String,
}

/// Decodes the first video stream of `path` with ffmpeg into yuv420p frames:
/// `ffmpeg -v error -threads 1 -i F -map 0:v:0 -fps_mode passthrough -f rawvideo -pix_fmt yuv420p -`
/// (one decoder thread because the tests already run in parallel). Panics if ffmpeg fails or
/// reports an error, since a committed fixture must decode cleanly.
pub fn decode(path: &Path) -> Vec<YuvFrame> {
    let r = decode_lenient(path);
    assert!(
        r.stderr.trim().is_empty(),
        "ffmpeg reported errors decoding {}:\n{}",
        path.display(),
        r.stderr
    );
    r.frames
}

/// Like [`decode`], but accepts errors in the stream (for damaged input); ffmpeg's messages are
/// returned. Still panics if ffmpeg exits with a failure status.
pub fn decode_lenient(path: &Path) -> Reference {
    let (w, h) = probe_size(path);
    let out = run(
        "FFMPEG",
        "ffmpeg",
        &[
            "-nostdin".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-threads".as_ref(),
            "1".as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-fps_mode".as_ref(),
            "passthrough".as_ref(),
            "-f".as_ref(),
            "rawvideo".as_ref(),
            "-pix_fmt".as_ref(),
            "yuv420p".as_ref(),
            "-".as_ref(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "ffmpeg failed to decode {} ({}):\n{stderr}",
        path.display(),
        out.status
    );
    Reference {
        frames: YuvFrame::split_frames(w, h, &out.stdout),
        stderr,
    }
}

/// The first video stream of `path` as a raw MPEG-1 video elementary stream, extracted by
/// ffmpeg's demuxer (`-map 0:v:0 -c copy -f mpeg1video`).
pub fn extract_video_es(path: &Path) -> Vec<u8> {
    let out = run(
        "FFMPEG",
        "ffmpeg",
        &[
            "-nostdin".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-c".as_ref(),
            "copy".as_ref(),
            "-f".as_ref(),
            "mpeg1video".as_ref(),
            "-".as_ref(),
        ],
    );
    assert!(
        out.status.success(),
        "ffmpeg could not extract the video of {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The presentation timestamps (in the stream's time base, 1/90000 s for MPEG-TS and MPEG-PS)
/// of the decoded video frames of `path`, in display order, from `ffprobe -show_frames`.
/// `None` where ffprobe shows no timestamp.
pub fn frame_pts(path: &Path) -> Vec<Option<i64>> {
    let out = run(
        "FFPROBE",
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "v:0".as_ref(),
            "-show_entries".as_ref(),
            "frame=pts".as_ref(),
            "-of".as_ref(),
            "default=noprint_wrappers=1".as_ref(),
            path.as_os_str(),
        ],
    );
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pts="))
        .map(|v| v.parse().ok())
        .collect()
}

// --- Audio ----------------------------------------------------------------------------------------

/// `(sample_rate, channels)` of the first audio stream, from `ffprobe`.
pub fn probe_audio(path: &Path) -> (u32, usize) {
    let out = run(
        "FFPROBE",
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "a:0".as_ref(),
            "-show_entries".as_ref(),
            "stream=sample_rate,channels".as_ref(),
            "-of".as_ref(),
            "csv=p=0".as_ref(),
            path.as_os_str(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.trim().split(',');
    match (
        parts.next().map(str::parse::<u32>),
        parts.next().map(str::parse::<usize>),
    ) {
        (Some(Ok(rate)), Some(Ok(channels))) if rate > 0 && channels > 0 => (rate, channels),
        _ => panic!(
            "ffprobe found no audio stream in {}: stdout {text:?}, stderr {:?}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// What ffmpeg's audio decoder produced.
#[derive(Debug)]
pub struct AudioReference {
    /// The decoded samples.
    pub pcm: crate::pcm::Pcm,
    /// ffmpeg's error output (empty for a clean stream).
    pub stderr: String,
}

/// Decodes the first audio stream of `path` with ffmpeg's floating-point MPEG audio decoder
/// `decoder` (`mp2float` for Layer II, `mp1float` for Layer I), selected before `-i` so that it
/// is the one used:
/// `ffmpeg -v error -c:a DECODER -i F -map 0:a:0 -f f32le -acodec pcm_f32le -`.
/// Panics if ffmpeg fails; its error messages are returned.
pub fn decode_audio_with(path: &Path, decoder: &str) -> AudioReference {
    let (sample_rate, channels) = probe_audio(path);
    let out = run(
        "FFMPEG",
        "ffmpeg",
        &[
            "-nostdin".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-c:a".as_ref(),
            decoder.as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:a:0".as_ref(),
            "-f".as_ref(),
            "f32le".as_ref(),
            "-acodec".as_ref(),
            "pcm_f32le".as_ref(),
            "-".as_ref(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "ffmpeg failed to decode the audio of {} ({}):\n{stderr}",
        path.display(),
        out.status
    );
    AudioReference {
        pcm: crate::pcm::Pcm {
            sample_rate,
            channels,
            samples: crate::pcm::f32le_to_f32(&out.stdout),
        },
        stderr,
    }
}

/// [`decode_audio_with`] with `mp2float`, asserting that ffmpeg reports no error.
pub fn decode_audio(path: &Path) -> crate::pcm::Pcm {
    let r = decode_audio_with(path, "mp2float");
    assert!(
        r.stderr.trim().is_empty(),
        "ffmpeg reported errors decoding the audio of {}:\n{}",
        path.display(),
        r.stderr
    );
    r.pcm
}

/// ffmpeg's complaints when it decodes the audio of `path` checking every CRC
/// (`-err_detect crccheck`); empty when all CRCs match. (ffmpeg's decoders handle every layer
/// whichever of them is selected; `mp2float` is.)
pub fn audio_crc_errors(path: &Path) -> String {
    let out = run(
        "FFMPEG",
        "ffmpeg",
        &[
            "-nostdin".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-err_detect".as_ref(),
            "crccheck".as_ref(),
            "-c:a".as_ref(),
            "mp2float".as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:a:0".as_ref(),
            "-f".as_ref(),
            "null".as_ref(),
            "-".as_ref(),
        ],
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The presentation timestamps (1/90000 s for MPEG-TS and MPEG-PS) of the audio frames of
/// `path` in stream order, from `ffprobe -show_packets` (ffmpeg's parser splits the PES into
/// frames; frames after the first of a PES get timestamps interpolated by ffmpeg).
pub fn audio_packet_pts(path: &Path) -> Vec<Option<i64>> {
    let out = run(
        "FFPROBE",
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "a:0".as_ref(),
            "-show_entries".as_ref(),
            "packet=pts".as_ref(),
            "-of".as_ref(),
            "default=noprint_wrappers=1".as_ref(),
            path.as_os_str(),
        ],
    );
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pts="))
        .map(|v| v.parse().ok())
        .collect()
}

/// One packet of `ffprobe -show_packets` over all streams, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    /// `"video"` or `"audio"`.
    pub kind: String,
    /// Presentation timestamp, if any.
    pub pts: Option<i64>,
    /// Byte position in the file, if ffprobe knows it.
    pub pos: Option<u64>,
}

/// Every packet of every stream of `path`, in the order ffprobe reads them.
pub fn packets(path: &Path) -> Vec<PacketInfo> {
    let out = run(
        "FFPROBE",
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-show_entries".as_ref(),
            "packet=codec_type,pts,pos".as_ref(),
            "-of".as_ref(),
            "compact=p=0:nk=0".as_ref(),
            path.as_os_str(),
        ],
    );
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("codec_type="))
        .map(|line| {
            let field = |name: &str| {
                line.split('|')
                    .find_map(|kv| kv.strip_prefix(name))
                    .map(str::to_owned)
            };
            PacketInfo {
                kind: field("codec_type=").unwrap_or_default(),
                pts: field("pts=").and_then(|v| v.parse().ok()),
                pos: field("pos=").and_then(|v| v.parse().ok()),
            }
        })
        .collect()
}

/// The first audio stream of `path` as a raw MPEG audio elementary stream, extracted by
/// ffmpeg's demuxer (`-map 0:a:0 -c copy -f mp2`).
pub fn extract_audio_es(path: &Path) -> Vec<u8> {
    let out = run(
        "FFMPEG",
        "ffmpeg",
        &[
            "-nostdin".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:a:0".as_ref(),
            "-c".as_ref(),
            "copy".as_ref(),
            "-f".as_ref(),
            "mp2".as_ref(),
            "-".as_ref(),
        ],
    );
    assert!(
        out.status.success(),
        "ffmpeg could not extract the audio of {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Where ffmpeg's raw MPEG audio reader (its "mp3" demuxer, also used for .mp2 and .bit files)
/// starts: at the first frame whose header agrees with the next frame's on version, layer,
/// sampling frequency, channel mode, copyright, original and emphasis (ffmpeg 5.1
/// `mp3_read_header` compares the two headers under the mask 0xFFFE0CCF; the mode extension,
/// bit rate, padding and protection may differ). Earlier frames are skipped as "junk", so a
/// stream that switches between stereo and joint stereo in its first frames loses them in
/// ffmpeg's decode; everything from the returned index on is decoded.
pub fn raw_reader_first_frame(frames: &[crate::mpa::FrameInfo]) -> usize {
    let key = |h: &crate::mpa::Header| {
        (
            h.lsf,
            h.layer,
            h.sample_rate,
            h.mode,
            h.copyright,
            h.original,
            h.emphasis,
        )
    };
    frames
        .windows(2)
        .position(|w| key(&w[0].header) == key(&w[1].header))
        .unwrap_or(0)
}
