//! Integration tests of the `wasmpeg` command-line tool.
//!
//! The MPEG inputs are made with ffmpeg in a temporary directory (so the tests do not depend on
//! the names of the files in `fixtures/`), and frame counts are compared with ffmpeg's.
//! ffmpeg must be on the PATH.
#![cfg(feature = "std")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_wasmpeg");

/// A fresh, empty directory for one test.
fn work_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("wasmpeg-cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// Runs `wasmpeg` with `args`, feeding `stdin` if given.
fn wasmpeg(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wasmpeg");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let data = data.to_vec();
        // Write from a thread so that a full stdout pipe cannot deadlock us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    child.wait_with_output().expect("wait for wasmpeg")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs ffmpeg (quietly, overwriting outputs) and checks that it succeeded.
fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y"])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .expect("ffmpeg must be installed to run the CLI tests");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Kinds of test clip.
#[derive(Clone, Copy)]
enum Clip {
    /// MPEG-TS with MPEG-1 video (B-frames) and MP2 audio.
    Ts,
    /// MPEG-1 system stream (program stream) with video and audio.
    Ps,
    /// Raw MPEG-1 video elementary stream.
    M1v,
}

/// Encodes one second of 25 fps test pattern at `width`x`height` into `dir/name`.
fn make_clip(dir: &Path, name: &str, clip: Clip, width: u32, height: u32) -> PathBuf {
    let path = dir.join(name);
    let video = format!("testsrc2=s={width}x{height}:r=25:d=1");
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", &video];
    let with_audio = !matches!(clip, Clip::M1v);
    if with_audio {
        args.extend([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=1",
        ]);
    }
    args.extend(["-c:v", "mpeg1video", "-bf", "2", "-g", "12", "-b:v", "400k"]);
    if with_audio {
        args.extend(["-c:a", "mp2", "-b:a", "128k"]);
    } else {
        args.push("-an");
    }
    args.extend(match clip {
        Clip::Ts => ["-f", "mpegts"],
        Clip::Ps => ["-f", "mpeg"],
        Clip::M1v => ["-f", "mpeg1video"],
    });
    let path_str = path.to_str().expect("UTF-8 temporary path");
    args.push(path_str);
    ffmpeg(&args);
    path
}

/// Bytes of one yuv420p frame.
fn frame_bytes(width: usize, height: usize) -> usize {
    width * height + 2 * width.div_ceil(2) * height.div_ceil(2)
}

/// How many video frames ffmpeg decodes from `path` (all of them, no rate conversion).
fn ffmpeg_frame_count(path: &Path, width: usize, height: usize) -> usize {
    let raw = ffmpeg(&[
        "-i",
        path.to_str().expect("UTF-8 path"),
        "-map",
        "0:v:0",
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-",
    ]);
    let size = frame_bytes(width, height);
    assert_eq!(raw.len() % size, 0, "ffmpeg output is not whole frames");
    raw.len() / size
}

/// A parsed YUV4MPEG2 stream: the header line and the number of frames.
struct Y4m {
    header: String,
    frames: usize,
}

/// Parses a whole YUV4MPEG2 stream, checking that every frame has the right size.
fn parse_y4m(data: &[u8]) -> Y4m {
    let end = data
        .iter()
        .position(|&b| b == b'\n')
        .expect("Y4M header line");
    let header = String::from_utf8(data[..end].to_vec()).expect("ASCII Y4M header");
    let field = |tag: char| -> usize {
        header
            .split(' ')
            .find_map(|f| f.strip_prefix(tag))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("Y4M header {header:?} lacks {tag}"))
    };
    let size = frame_bytes(field('W'), field('H'));
    let mut pos = end + 1;
    let mut frames = 0;
    while pos < data.len() {
        let line_end = pos
            + data[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("FRAME line");
        assert!(
            data[pos..line_end].starts_with(b"FRAME"),
            "frame {frames} does not start with FRAME"
        );
        pos = line_end + 1 + size;
        assert!(pos <= data.len(), "frame {frames} is truncated");
        frames += 1;
    }
    Y4m { header, frames }
}

fn read_y4m(path: &Path) -> Y4m {
    parse_y4m(&std::fs::read(path).expect("read the Y4M output"))
}

/// Checks the failure contract: exit status 1, exactly one line on stderr, no panic.
fn assert_one_line_error(out: &Output, what: &str) -> String {
    let err = stderr_of(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit status; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{what}: panicked: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: expected one line on stderr, got: {err}"
    );
    assert!(
        lines[0].starts_with("wasmpeg: error: "),
        "{what}: unexpected message: {err}"
    );
    lines[0].to_owned()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn help_and_version() {
    let out = wasmpeg(&["--help"], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("decode") && text.contains("probe"), "{text}");

    let out = wasmpeg(&["decode", "--help"], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--frames",
        "--seconds",
        "--format",
        "--null",
        "--null-audio",
        "--s16",
        "--video",
        "--audio",
        ".y4m",
        ".wav",
        "OUT-2.y4m",
        "OUT-2.wav",
        "WAVE_FORMAT_IEEE_FLOAT",
        "0xFFFFFFFF",
        "standard input",
    ] {
        assert!(text.contains(needle), "decode help lacks {needle}: {text}");
    }

    let out = wasmpeg(&["probe", "--help"], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--json",
        "display_order",
        "coded_order",
        "duration",
        "warnings",
        "warnings_by_origin",
        "sample_rate",
        "channels",
        "joint_stereo",
        "intensity_bound",
        "free_format",
        "crc",
        "layer",
        "MPEG-2 LSF",
    ] {
        assert!(text.contains(needle), "probe help lacks {needle}: {text}");
    }

    let out = wasmpeg(&["--version"], None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("wasmpeg "));
}

#[test]
fn usage_errors_exit_2() {
    let out = wasmpeg(&["decode", "x.ts"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let out = wasmpeg(&["decode", "x.ts", "--null", "--frames", "0"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let out = wasmpeg(&["probe", "x.ts", "--format", "avi"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    for args in [
        vec![
            "decode",
            "x.ts",
            "--null",
            "--frames",
            "3",
            "--seconds",
            "1",
        ],
        vec!["decode", "x.ts", "--null", "--video", "v.y4m"],
        vec!["decode", "x.ts", "--null-audio", "--audio", "a.wav"],
        vec!["decode", "x.ts", "--s16"],
        vec!["decode", "x.ts", "--null", "--seconds", "0"],
    ] {
        let out = wasmpeg(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
    }
}

#[test]
fn non_mpeg_inputs_fail_with_one_line() {
    let dir = work_dir("non_mpeg");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "This is a text file, not a video.\n".repeat(200)).unwrap();
    let empty = dir.join("empty.ts");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.join("random.bin");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let bytes: Vec<u8> = (0..300_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    std::fs::write(&random, bytes).unwrap();

    let out_y4m = dir.join("out.y4m");
    for (input, surely_not_mpeg) in [(&text, true), (&empty, true), (&random, false)] {
        let name = path_str(input);
        for args in [
            vec!["decode", name, "-o", path_str(&out_y4m)],
            vec!["decode", name, "--null"],
            vec!["probe", name],
            vec!["probe", "--json", name],
        ] {
            let out = wasmpeg(&args, None);
            let line = assert_one_line_error(&out, &format!("{args:?}"));
            assert!(
                line.contains(name),
                "{args:?}: message lacks the file: {line}"
            );
            if surely_not_mpeg {
                assert!(
                    line.contains("not an MPEG stream"),
                    "{args:?}: unexpected message: {line}"
                );
            }
            assert!(out.stdout.is_empty(), "{args:?}: wrote to stdout");
        }
        assert!(!out_y4m.exists(), "an output file was made for {name}");
    }

    // The same through standard input.
    let out = wasmpeg(&["probe", "-"], Some(b"hello, world\n"));
    let line = assert_one_line_error(&out, "text on stdin");
    assert!(line.contains("not an MPEG stream"), "{line}");
}

#[test]
fn missing_file_gives_the_os_error() {
    let dir = work_dir("missing");
    let missing = dir.join("no-such-file.ts");
    for args in [
        vec!["decode", path_str(&missing), "--null"],
        vec!["probe", path_str(&missing)],
    ] {
        let out = wasmpeg(&args, None);
        let line = assert_one_line_error(&out, "missing file");
        assert!(line.contains("no-such-file.ts"), "{line}");
        assert!(line.contains("os error"), "{line}");
    }
    // A directory is not a file either.
    let out = wasmpeg(&["probe", path_str(&dir)], None);
    assert_one_line_error(&out, "directory");
}

#[test]
fn unsupported_output_extension() {
    let dir = work_dir("bad_extension");
    let clip = make_clip(&dir, "in.m1v", Clip::M1v, 176, 144);
    for out_name in ["out.yuv", "out.mp3", "out"] {
        let target = dir.join(out_name);
        let out = wasmpeg(&["decode", path_str(&clip), "-o", path_str(&target)], None);
        let line = assert_one_line_error(&out, out_name);
        assert!(
            line.contains("unsupported output extension, use .y4m (video) or .wav (audio)"),
            "{line}"
        );
        assert!(!target.exists());
    }
}

#[test]
fn output_combination_errors() {
    let dir = work_dir("output_combinations");
    let clip = make_clip(&dir, "in.ts", Clip::Ts, 176, 144);
    let input = path_str(&clip);
    let v = dir.join("v.y4m");
    let a = dir.join("a.wav");
    let (v, a) = (path_str(&v), path_str(&a));
    for (args, needle) in [
        (vec!["-o", v, "-o", v], "more than one video output"),
        (vec!["-o", a, "--audio", a], "more than one audio output"),
        (
            vec!["-o", "-", "--audio", "-"],
            "cannot both go to standard output",
        ),
        (vec!["--audio", v], "--audio writes WAV"),
        (vec!["--video", a], "--video writes YUV4MPEG2"),
        (vec!["-o", v, "--s16"], "--s16"),
        (
            vec!["-o", a, "--frames", "3"],
            "--frames counts video frames",
        ),
    ] {
        let mut all = vec!["decode", input];
        all.extend(&args);
        let out = wasmpeg(&all, None);
        let line = assert_one_line_error(&out, &format!("{args:?}"));
        assert!(line.contains(needle), "{args:?}: {line}");
    }
    assert!(!dir.join("v.y4m").exists() && !dir.join("a.wav").exists());
}

/// `probe --json` on a clip: container, size, rate and frame count.
fn check_probe(clip: Clip, name: &str, container: &str) {
    let dir = work_dir(&format!("probe_{container}"));
    let input = make_clip(&dir, name, clip, 176, 144);
    let expected = ffmpeg_frame_count(&input, 176, 144);
    let out = wasmpeg(&["probe", "--json", path_str(&input)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("probe --json prints JSON");
    assert_eq!(json["container"], container);
    assert_eq!(json["complete"], true);
    let video = &json["video"];
    assert_eq!(video["width"], 176, "{json}");
    assert_eq!(video["height"], 144, "{json}");
    assert_eq!(video["frame_rate"], "25:1", "{json}");
    assert_eq!(video["sample_aspect_ratio"], "1:1", "{json}");
    assert_eq!(video["display_aspect_ratio"], "11:9", "{json}");
    assert_eq!(video["frames"], expected, "{json}");
    let duration = video["duration"].as_f64().expect("duration");
    assert!(
        (duration - expected as f64 / 25.0).abs() < 0.041,
        "duration {duration} for {expected} frames"
    );
    let pictures = &video["pictures"];
    let sum: u64 = ["I", "P", "B", "D"]
        .iter()
        .map(|t| pictures[t].as_u64().expect("picture count"))
        .sum();
    assert_eq!(sum, expected as u64, "{json}");
    assert!(pictures["B"].as_u64() > Some(0), "{json}");
    let gop = &video["gop"];
    let display = gop["display_order"].as_str().expect("display_order");
    assert!(display.starts_with('I'), "{json}");
    assert!(
        gop["coded_order"]
            .as_str()
            .expect("coded_order")
            .starts_with("IP"),
        "{json}"
    );
    assert_eq!(gop["m"], 3, "{json}");
    assert!(video["sequence_headers"].as_u64() >= Some(1), "{json}");
    let kinds: Vec<&str> = json["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"video"), "{json}");
    if !matches!(clip, Clip::M1v) {
        assert!(kinds.contains(&"audio"), "{json}");
    }

    // The text report says the same.
    let out = wasmpeg(&["probe", path_str(&input)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(container) && text.contains("176x144"),
        "{text}"
    );
    assert!(text.contains(&format!("({expected} frames)")), "{text}");
}

#[test]
fn probe_json_mpegts() {
    check_probe(Clip::Ts, "in.ts", "mpegts");
}

#[test]
fn probe_json_mpegps() {
    check_probe(Clip::Ps, "in.mpg", "mpegps");
}

#[test]
fn probe_json_m1v() {
    check_probe(Clip::M1v, "in.m1v", "m1v");
}

#[test]
fn probe_limit_seconds_stops_early() {
    let dir = work_dir("probe_limit");
    let input = make_clip(&dir, "in.ts", Clip::Ts, 176, 144);
    let out = wasmpeg(
        &[
            "probe",
            "--json",
            "--limit-seconds",
            "0.5",
            path_str(&input),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["complete"], false, "{json}");
    assert_eq!(json["video"]["frames"], 13, "{json}");
}

#[test]
fn decode_writes_every_frame() {
    let dir = work_dir("decode_ts");
    let input = make_clip(&dir, "in.ts", Clip::Ts, 176, 144);
    let expected = ffmpeg_frame_count(&input, 176, 144);
    let output = dir.join("out.y4m");
    let out = wasmpeg(&["decode", path_str(&input), "-o", path_str(&output)], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    let y4m = read_y4m(&output);
    assert_eq!(y4m.header, "YUV4MPEG2 W176 H144 F25:1 Ip A1:1 C420jpeg");
    assert_eq!(y4m.frames, expected);
    assert!(!dir.join("out-2.y4m").exists());
}

#[test]
fn decode_program_stream_with_format_override() {
    let dir = work_dir("decode_ps");
    let input = make_clip(&dir, "in.mpg", Clip::Ps, 176, 144);
    let expected = ffmpeg_frame_count(&input, 176, 144);
    let output = dir.join("out.y4m");
    let out = wasmpeg(
        &[
            "decode",
            "--format",
            "mpegps",
            path_str(&input),
            "-o",
            path_str(&output),
        ],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert_eq!(read_y4m(&output).frames, expected);
}

#[test]
fn decode_frames_limit() {
    let dir = work_dir("decode_frames");
    let input = make_clip(&dir, "in.ts", Clip::Ts, 176, 144);
    let output = dir.join("five.y4m");
    let out = wasmpeg(
        &[
            "decode",
            path_str(&input),
            "--frames",
            "5",
            "-o",
            path_str(&output),
        ],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert_eq!(read_y4m(&output).frames, 5);
}

#[test]
fn decode_stdin_to_file_and_to_stdout() {
    let dir = work_dir("decode_stdin");
    let input = make_clip(&dir, "in.ts", Clip::Ts, 176, 144);
    let expected = ffmpeg_frame_count(&input, 176, 144);
    let data = std::fs::read(&input).unwrap();

    let output = dir.join("from-stdin.y4m");
    let out = wasmpeg(&["decode", "-", "-o", path_str(&output)], Some(&data));
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert_eq!(read_y4m(&output).frames, expected);

    let out = wasmpeg(&["-q", "decode", "-", "-o", "-"], Some(&data));
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    let y4m = parse_y4m(&out.stdout);
    assert!(y4m.header.starts_with("YUV4MPEG2 W176 H144 F25:1"));
    assert_eq!(y4m.frames, expected);

    // Same bytes as the file written from the file.
    let from_file = dir.join("from-file.y4m");
    let out = wasmpeg(
        &["decode", path_str(&input), "-o", path_str(&from_file)],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(std::fs::read(&from_file).unwrap() == std::fs::read(&output).unwrap());
}

#[test]
fn decode_null_writes_nothing() {
    let dir = work_dir("decode_null");
    let input = make_clip(&dir, "in.m1v", Clip::M1v, 176, 144);
    let out = wasmpeg(&["decode", path_str(&input), "--null"], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn picture_size_change_starts_a_new_file() {
    let dir = work_dir("size_change");
    let first = make_clip(&dir, "a.m1v", Clip::M1v, 176, 144);
    let second = make_clip(&dir, "b.m1v", Clip::M1v, 128, 96);
    let frames_a = ffmpeg_frame_count(&first, 176, 144);
    let frames_b = ffmpeg_frame_count(&second, 128, 96);
    let mut joined = std::fs::read(&first).unwrap();
    joined.extend(std::fs::read(&second).unwrap());
    let input = dir.join("joined.m1v");
    std::fs::write(&input, joined).unwrap();

    let output = dir.join("clip.y4m");
    let out = wasmpeg(&["decode", path_str(&input), "-o", path_str(&output)], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("clip-2.y4m"),
        "no warning names the new file: {}",
        stderr_of(&out)
    );
    let a = read_y4m(&output);
    assert!(a.header.starts_with("YUV4MPEG2 W176 H144 "), "{}", a.header);
    assert_eq!(a.frames, frames_a);
    let b = read_y4m(&dir.join("clip-2.y4m"));
    assert!(b.header.starts_with("YUV4MPEG2 W128 H96 "), "{}", b.header);
    assert_eq!(b.frames, frames_b);
    assert!(!dir.join("clip-3.y4m").exists());

    // Standard output cannot be split: one-line error after the first part.
    let out = wasmpeg(&["decode", path_str(&input), "-q", "-o", "-"], None);
    let line = assert_one_line_error(&out, "size change on stdout");
    assert!(line.contains("size changed"), "{line}");
    assert_eq!(parse_y4m(&out.stdout).frames, frames_a);
}

#[test]
fn y4m_header_matches_ffmpeg() {
    let dir = work_dir("y4m_header");
    for (aspect, rate, name) in [
        ("16:9", "30000/1001", "wide.m1v"),
        ("4:3", "25", "pal.m1v"),
        ("1.2", "24", "other.m1v"),
    ] {
        let input = dir.join(name);
        let source = format!("testsrc2=s=352x288:r={rate}:d=0.4");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &source,
            "-c:v",
            "mpeg1video",
            "-aspect",
            aspect,
            "-f",
            "mpeg1video",
            path_str(&input),
        ]);
        let reference = ffmpeg(&[
            "-i",
            path_str(&input),
            "-frames:v",
            "1",
            "-f",
            "yuv4mpegpipe",
            "-",
        ]);
        let reference = parse_y4m(&reference).header;
        let output = dir.join(format!("{name}.y4m"));
        let out = wasmpeg(
            &[
                "decode",
                path_str(&input),
                "-o",
                path_str(&output),
                "--frames",
                "1",
            ],
            None,
        );
        assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
        let ours = read_y4m(&output).header;
        // ffmpeg adds X... extension fields after the standard ones.
        let standard: Vec<&str> = reference
            .split(' ')
            .filter(|f| !f.starts_with('X'))
            .collect();
        assert_eq!(ours, standard.join(" "), "-aspect {aspect} -r {rate}");
    }
}

// ---------------------------------------------------------------------------------------------
// Audio
// ---------------------------------------------------------------------------------------------

/// The ISO/IEC 11172-4 "full accuracy" bound on the difference from the reference decoder, for
/// samples with full scale = 1.0.
const FULL_ACCURACY: f32 = 1.0 / 16384.0;

/// How an audio test clip is made.
struct AudioClip {
    /// `mpegts`, `mpeg` (program stream) or `mp2` (raw elementary stream).
    container: &'static str,
    /// With a 176x144 video stream (TS and PS only).
    video: bool,
    sample_rate: u32,
    channels: u32,
    bit_rate: &'static str,
    seconds: f64,
}

/// Stereo 44.1 kHz 192k MP2 with 176x144 video in MPEG-TS, one second.
const AV_TS: AudioClip = AudioClip {
    container: "mpegts",
    video: true,
    sample_rate: 44_100,
    channels: 2,
    bit_rate: "192k",
    seconds: 1.0,
};

/// Encodes `clip` into `dir/name`. The channels carry different tones (440 Hz at -6 dB left,
/// 660 Hz at -8 dB right), so swapped or mixed channels show.
fn make_audio_clip(dir: &Path, name: &str, clip: &AudioClip) -> PathBuf {
    let path = dir.join(name);
    let expr = if clip.channels == 1 {
        "0.5*sin(2*PI*440*t)".to_owned()
    } else {
        "0.5*sin(2*PI*440*t)|0.4*sin(2*PI*660*t+1)".to_owned()
    };
    let audio = format!("aevalsrc={expr}:s={}:d={}", clip.sample_rate, clip.seconds);
    let video = format!("testsrc2=s=176x144:r=25:d={}", clip.seconds);
    let mut args: Vec<&str> = Vec::new();
    if clip.video {
        args.extend(["-f", "lavfi", "-i", &video]);
    }
    args.extend(["-f", "lavfi", "-i", &audio]);
    if clip.video {
        args.extend(["-c:v", "mpeg1video", "-bf", "2", "-g", "12", "-b:v", "400k"]);
    }
    args.extend(["-c:a", "mp2", "-b:a", clip.bit_rate, "-f", clip.container]);
    args.push(path_str(&path));
    ffmpeg(&args);
    path
}

/// ffmpeg's decode of the first audio stream of `path` with its float MP2 decoder, interleaved.
fn ffmpeg_audio(path: &Path) -> Vec<f32> {
    let raw = ffmpeg(&[
        "-c:a",
        "mp2float",
        "-i",
        path_str(path),
        "-map",
        "0:a:0",
        "-f",
        "f32le",
        "-",
    ]);
    assert_eq!(raw.len() % 4, 0);
    raw.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// A parsed WAV file.
#[derive(Debug)]
struct Wav {
    format_tag: u16,
    channels: u16,
    sample_rate: u32,
    byte_rate: u32,
    block_align: u16,
    bits: u16,
    /// Size of the `fmt ` chunk.
    fmt_size: u32,
    /// The `fact` chunk's sample count, if there is one.
    fact: Option<u32>,
    /// The RIFF and data sizes written in the header.
    riff_size: u32,
    data_size: u32,
    /// The data chunk, up to the end of the file when its size is 0xFFFFFFFF.
    data: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a WAV file chunk by chunk (RIFF, fmt, optional fact, data).
fn parse_wav(b: &[u8]) -> Wav {
    assert!(b.len() >= 12, "WAV too short");
    assert_eq!(&b[0..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    let riff_size = u32_at(b, 4);
    let mut pos = 12;
    let mut fmt = None;
    let mut fact = None;
    loop {
        assert!(pos + 8 <= b.len(), "no data chunk");
        let id = &b[pos..pos + 4];
        let size = u32_at(b, pos + 4);
        let body = pos + 8;
        if id == b"data" {
            let end = if size == u32::MAX {
                b.len()
            } else {
                body + size as usize
            };
            assert!(end <= b.len(), "data chunk truncated");
            let fmt: (u32, Vec<u8>) = fmt.expect("fmt chunk before data");
            let f = &fmt.1;
            return Wav {
                format_tag: u16_at(f, 0),
                channels: u16_at(f, 2),
                sample_rate: u32_at(f, 4),
                byte_rate: u32_at(f, 8),
                block_align: u16_at(f, 12),
                bits: u16_at(f, 14),
                fmt_size: fmt.0,
                fact,
                riff_size,
                data_size: size,
                data: b[body..end].to_vec(),
            };
        }
        let end = body + size as usize;
        assert!(end <= b.len(), "chunk {id:?} truncated");
        if id == b"fmt " {
            assert!(size >= 16);
            fmt = Some((size, b[body..end].to_vec()));
        } else if id == b"fact" {
            assert_eq!(size, 4);
            fact = Some(u32_at(b, body));
        }
        pos = end + (size as usize & 1);
    }
}

fn read_wav(path: &Path) -> Wav {
    parse_wav(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

impl Wav {
    fn floats(&self) -> Vec<f32> {
        assert_eq!((self.format_tag, self.bits), (3, 32));
        self.data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    fn shorts(&self) -> Vec<i16> {
        assert_eq!((self.format_tag, self.bits), (1, 16));
        self.data
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect()
    }

    /// Samples per channel.
    fn frames(&self) -> usize {
        self.data.len() / usize::from(self.block_align)
    }

    /// Checks a float WAV's header against its own contents and the expected format.
    fn check_float(&self, file_len: usize, rate: u32, channels: u16) {
        assert_eq!(self.format_tag, 3, "WAVE_FORMAT_IEEE_FLOAT");
        assert_eq!(self.bits, 32);
        assert_eq!(self.fmt_size, 18, "fmt chunk with cbSize");
        assert_eq!((self.sample_rate, self.channels), (rate, channels));
        assert_eq!(self.block_align, 4 * channels);
        assert_eq!(self.byte_rate, rate * 4 * u32::from(channels));
        assert_eq!(self.data_size as usize, self.data.len());
        assert_eq!(self.riff_size as usize, file_len - 8);
        assert_eq!(self.fact, Some(self.frames() as u32), "fact chunk");
    }
}

/// Checks that wasmpeg's samples are ffmpeg's within the full-accuracy bound, and that the
/// signal is not silence (so a sign or level error cannot pass).
fn assert_close_to_ffmpeg(ours: &[f32], reference: &[f32], what: &str) {
    assert_eq!(ours.len(), reference.len(), "{what}: sample count");
    let mut worst = (0.0f32, 0);
    for (i, (a, b)) in ours.iter().zip(reference).enumerate() {
        let d = (a - b).abs();
        if d.is_nan() || d > worst.0 {
            worst = (d, i);
        }
    }
    assert!(
        worst.0 <= FULL_ACCURACY,
        "{what}: sample {} differs from ffmpeg's by {} ({} vs {})",
        worst.1,
        worst.0,
        ours[worst.1],
        reference[worst.1]
    );
    let rms = (reference.iter().map(|x| x * x).sum::<f32>() / reference.len() as f32).sqrt();
    assert!(rms > 0.1, "{what}: the reference is nearly silent ({rms})");
}

#[test]
fn decode_audio_to_float_wav_matches_ffmpeg() {
    let dir = work_dir("wav_float");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let reference = ffmpeg_audio(&input);
    assert!(!reference.is_empty());
    let output = dir.join("out.wav");
    let out = wasmpeg(&["decode", path_str(&input), "-o", path_str(&output)], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(out.stdout.is_empty());
    let bytes = std::fs::read(&output).unwrap();
    let wav = parse_wav(&bytes);
    wav.check_float(bytes.len(), 44_100, 2);
    assert_eq!(wav.frames() * 2, reference.len(), "samples per channel");
    assert_eq!(wav.frames() % 1152, 0, "whole Layer II frames");
    assert_close_to_ffmpeg(&wav.floats(), &reference, "float WAV");
    // An independent reader agrees with our header: ffmpeg reads back the same samples.
    let reread = ffmpeg(&["-i", path_str(&output), "-f", "f32le", "-"]);
    assert!(reread == wav.data, "ffmpeg reads the WAV differently");
    assert!(!dir.join("out-2.wav").exists());
}

#[test]
fn decode_audio_to_s16_wav() {
    let dir = work_dir("wav_s16");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let float_path = dir.join("float.wav");
    let s16_path = dir.join("s16.wav");
    let out = wasmpeg(
        &["decode", path_str(&input), "-o", path_str(&float_path)],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    let out = wasmpeg(
        &[
            "decode",
            path_str(&input),
            "--s16",
            "-o",
            path_str(&s16_path),
        ],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    let bytes = std::fs::read(&s16_path).unwrap();
    let wav = parse_wav(&bytes);
    assert_eq!(wav.format_tag, 1, "WAVE_FORMAT_PCM");
    assert_eq!(wav.bits, 16);
    assert_eq!(wav.fmt_size, 16);
    assert_eq!(wav.fact, None);
    assert_eq!((wav.sample_rate, wav.channels), (44_100, 2));
    assert_eq!((wav.block_align, wav.byte_rate), (4, 44_100 * 4));
    assert_eq!(wav.data_size as usize, wav.data.len());
    assert_eq!(wav.riff_size as usize, bytes.len() - 8);
    assert_eq!(wav.frames() * 2, ffmpeg_audio(&input).len());
    // Each 16-bit sample is the float sample * 32768, rounded to nearest and clipped.
    let floats = read_wav(&float_path).floats();
    let shorts = wav.shorts();
    assert_eq!(floats.len(), shorts.len());
    for (i, (f, s)) in floats.iter().zip(&shorts).enumerate() {
        let expected = (f * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        assert_eq!(*s, expected, "sample {i}: {f}");
    }
    let reread = ffmpeg(&["-i", path_str(&s16_path), "-f", "s16le", "-"]);
    assert!(reread == wav.data, "ffmpeg reads the WAV differently");
}

#[test]
fn video_and_audio_in_one_pass() {
    let dir = work_dir("av_one_pass");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let input = path_str(&input);
    let p = |name: &str| dir.join(name);
    let run = |args: &[&str]| {
        let mut all = vec!["decode", input];
        all.extend(args);
        let out = wasmpeg(&all, None);
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    };
    run(&["-o", path_str(&p("v.y4m"))]);
    run(&["-o", path_str(&p("a.wav"))]);
    run(&[
        "-o",
        path_str(&p("both.wav")),
        "-o",
        path_str(&p("both.y4m")),
    ]);
    run(&[
        "--video",
        path_str(&p("named.video")),
        "--audio",
        path_str(&p("named.audio")),
    ]);
    let read = |name: &str| std::fs::read(p(name)).unwrap();
    assert_eq!(read_y4m(&p("v.y4m")).frames, 25);
    assert!(read("both.y4m") == read("v.y4m"), "video differs");
    assert!(read("named.video") == read("v.y4m"), "video differs");
    assert!(read("both.wav") == read("a.wav"), "audio differs");
    assert!(read("named.audio") == read("a.wav"), "audio differs");
    assert!(!read_wav(&p("a.wav")).data.is_empty());
}

#[test]
fn audio_to_stdout() {
    let dir = work_dir("wav_stdout");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let file = dir.join("a.wav");
    let out = wasmpeg(&["decode", path_str(&input), "-o", path_str(&file)], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    let data = std::fs::read(&input).unwrap();
    let out = wasmpeg(&["-q", "decode", "-", "--audio", "-"], Some(&data));
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    let piped = parse_wav(&out.stdout);
    // Sizes cannot be patched in a pipe: they are left at 0xFFFFFFFF.
    assert_eq!(piped.riff_size, u32::MAX);
    assert_eq!(piped.data_size, u32::MAX);
    assert_eq!(piped.fact, Some(u32::MAX));
    assert_eq!(
        (piped.format_tag, piped.sample_rate, piped.channels),
        (3, 44_100, 2)
    );
    assert!(
        piped.data == read_wav(&file).data,
        "stdout and file samples differ"
    );
    // With the video file written at the same time.
    let y4m = dir.join("v.y4m");
    let out = wasmpeg(
        &["-q", "decode", "-", "--audio", "-", "-o", path_str(&y4m)],
        Some(&data),
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(parse_wav(&out.stdout).data == piped.data);
    assert_eq!(read_y4m(&y4m).frames, 25);
}

#[test]
fn wav_output_without_audio_fails() {
    let dir = work_dir("wav_no_audio");
    let clip = make_clip(&dir, "in.m1v", Clip::M1v, 176, 144);
    let target = dir.join("out.wav");
    for args in [
        vec!["decode", path_str(&clip), "-o", path_str(&target)],
        vec!["decode", path_str(&clip), "--null-audio"],
        vec!["decode", path_str(&clip), "--audio", "-"],
    ] {
        let out = wasmpeg(&args, None);
        let line = assert_one_line_error(&out, &format!("{args:?}"));
        assert!(line.contains("no audio stream"), "{line}");
        assert!(line.contains("in.m1v"), "{line}");
        assert!(out.stdout.is_empty());
        assert!(!target.exists(), "a WAV file was made without audio");
    }
}

#[test]
fn null_audio_writes_nothing() {
    let dir = work_dir("null_audio");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    for args in [
        vec!["decode", path_str(&input), "--null-audio"],
        vec!["decode", path_str(&input), "--null-audio", "--null"],
    ] {
        let out = wasmpeg(&args, None);
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(out.stdout.is_empty());
    }
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(names.len(), 1, "files were written: {names:?}");
}

#[test]
fn audio_format_change_starts_a_new_file() {
    let dir = work_dir("wav_change");
    let first = make_audio_clip(
        &dir,
        "a.mp2",
        &AudioClip {
            container: "mp2",
            video: false,
            sample_rate: 44_100,
            channels: 2,
            bit_rate: "192k",
            seconds: 0.5,
        },
    );
    let second = make_audio_clip(
        &dir,
        "b.mp2",
        &AudioClip {
            container: "mp2",
            video: false,
            sample_rate: 32_000,
            channels: 1,
            bit_rate: "64k",
            seconds: 0.5,
        },
    );
    let ref_a = ffmpeg_audio(&first);
    let ref_b = ffmpeg_audio(&second);
    let mut joined = std::fs::read(&first).unwrap();
    joined.extend(std::fs::read(&second).unwrap());
    let input = dir.join("joined.mp2");
    std::fs::write(&input, joined).unwrap();

    let output = dir.join("sound.wav");
    let out = wasmpeg(&["decode", path_str(&input), "-o", path_str(&output)], None);
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("sound-2.wav"),
        "no warning names the new file: {}",
        stderr_of(&out)
    );
    let bytes = std::fs::read(&output).unwrap();
    let a = parse_wav(&bytes);
    a.check_float(bytes.len(), 44_100, 2);
    assert_close_to_ffmpeg(&a.floats(), &ref_a, "first part");
    let bytes = std::fs::read(dir.join("sound-2.wav")).unwrap();
    let b = parse_wav(&bytes);
    b.check_float(bytes.len(), 32_000, 1);
    assert_close_to_ffmpeg(&b.floats(), &ref_b, "second part");
    assert!(!dir.join("sound-3.wav").exists());

    // Standard output cannot be split: one-line error after the first part.
    let out = wasmpeg(&["decode", path_str(&input), "-q", "--audio", "-"], None);
    let line = assert_one_line_error(&out, "format change on stdout");
    assert!(line.contains("audio format changed"), "{line}");
    assert!(parse_wav(&out.stdout).data == a.data);
}

#[test]
fn decode_seconds_and_frames_limits() {
    let dir = work_dir("av_limits");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let input = path_str(&input);
    let (v, a) = (dir.join("v.y4m"), dir.join("a.wav"));
    let (v, a) = (path_str(&v), path_str(&a));

    let out = wasmpeg(
        &["decode", input, "--seconds", "0.5", "-o", v, "-o", a],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    // 25 fps: frames at 0, 0.04 ... 0.48 s; 44.1 kHz: 22050 samples.
    assert_eq!(read_y4m(Path::new(v)).frames, 13);
    assert_eq!(read_wav(Path::new(a)).frames(), 22_050);

    let out = wasmpeg(&["decode", input, "--seconds", "0.25", "--audio", a], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let wav = read_wav(Path::new(a));
    assert_eq!(wav.frames(), 11_025);
    // The cut keeps the first samples unchanged.
    let full = ffmpeg_audio(Path::new(input));
    assert_close_to_ffmpeg(&wav.floats(), &full[..2 * 11_025], "first 0.25 s");

    // --frames 5 at 25 fps: 0.2 s of audio.
    let out = wasmpeg(&["decode", input, "--frames", "5", "-o", v, "-o", a], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(read_y4m(Path::new(v)).frames, 5);
    assert_eq!(read_wav(Path::new(a)).frames(), 8_820);
}

#[test]
fn probe_reports_audio() {
    let dir = work_dir("probe_audio");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let samples = ffmpeg_audio(&input).len() / 2;
    let out = wasmpeg(&["probe", "--json", path_str(&input)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("probe --json prints JSON");
    let audio = &json["audio"];
    assert_eq!(audio["version"], "MPEG-1", "{json}");
    assert_eq!(audio["layer"], 2, "{json}");
    assert_eq!(audio["sample_rate"], 44_100, "{json}");
    assert_eq!(audio["channels"], 2, "{json}");
    assert_eq!(audio["mode"], "stereo", "{json}");
    assert_eq!(audio["intensity_bound"], Value::Null, "{json}");
    assert_eq!(audio["bit_rate"], 192_000, "{json}");
    assert_eq!(audio["free_format"], false, "{json}");
    assert_eq!(audio["variable_bit_rate"], false, "{json}");
    assert_eq!(audio["crc"], false, "{json}");
    assert_eq!(audio["emphasis"], "none", "{json}");
    assert_eq!(audio["samples"], samples, "{json}");
    assert_eq!(audio["frames"], samples / 1152, "{json}");
    let duration = audio["duration"].as_f64().expect("duration");
    assert!(
        (duration - samples as f64 / 44_100.0).abs() < 1e-6,
        "{json}"
    );
    assert!(
        audio["first_pts"].is_u64() && audio["last_pts"].is_u64(),
        "{json}"
    );
    assert_eq!(
        audio["formats"],
        serde_json::json!([{"sample_rate": 44_100, "channels": 2}])
    );
    assert_eq!(json["video"]["frames"], 25, "{json}");
    assert_eq!(json["warnings"], 0, "{json}");
    assert_eq!(
        json["warnings_by_origin"],
        serde_json::json!({"container": 0, "video": 0, "audio": 0})
    );
    let out = wasmpeg(&["probe", path_str(&input)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "MPEG-1 Layer II, 44100 Hz, stereo, 2 channels",
        "192 kbit/s, no CRC",
        &format!("{} frames, {samples} samples", samples / 1152),
    ] {
        assert!(
            text.contains(needle),
            "text report lacks {needle:?}: {text}"
        );
    }

    // A raw MPEG-2 LSF stream: mono 24 kHz.
    let lsf = make_audio_clip(
        &dir,
        "lsf.mp2",
        &AudioClip {
            container: "mp2",
            video: false,
            sample_rate: 24_000,
            channels: 1,
            bit_rate: "48k",
            seconds: 1.0,
        },
    );
    let samples = ffmpeg_audio(&lsf).len();
    let out = wasmpeg(&["probe", "--json", path_str(&lsf)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["container"], "mp2", "{json}");
    assert_eq!(json["video"], Value::Null, "{json}");
    let audio = &json["audio"];
    assert_eq!(audio["version"], "MPEG-2 LSF", "{json}");
    assert_eq!(audio["layer"], 2, "{json}");
    assert_eq!(audio["sample_rate"], 24_000, "{json}");
    assert_eq!(audio["channels"], 1, "{json}");
    assert_eq!(audio["mode"], "mono", "{json}");
    assert_eq!(audio["bit_rate"], 48_000, "{json}");
    assert_eq!(audio["samples"], samples, "{json}");

    // An input without audio.
    let m1v = make_clip(&dir, "in.m1v", Clip::M1v, 176, 144);
    let out = wasmpeg(&["probe", "--json", path_str(&m1v)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["audio"], Value::Null, "{json}");
    let out = wasmpeg(&["probe", path_str(&m1v)], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("audio:            none"));
}

#[test]
fn probe_limit_seconds_covers_audio() {
    let dir = work_dir("probe_limit_audio");
    let input = make_audio_clip(&dir, "in.ts", &AV_TS);
    let out = wasmpeg(
        &[
            "probe",
            "--json",
            "--limit-seconds",
            "0.5",
            path_str(&input),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["complete"], false, "{json}");
    assert_eq!(json["video"]["frames"], 13, "{json}");
    // Frames are counted until 0.5 s is reached: 20 * 1152 / 44100 = 0.52 s.
    assert_eq!(json["audio"]["frames"], 20, "{json}");
}

#[test]
fn audio_damage_is_counted_as_audio_warnings() {
    let dir = work_dir("audio_damage");
    let clean = make_audio_clip(
        &dir,
        "clean.mp2",
        &AudioClip {
            container: "mp2",
            video: false,
            sample_rate: 48_000,
            channels: 2,
            bit_rate: "192k",
            seconds: 2.0,
        },
    );
    let mut data = std::fs::read(&clean).unwrap();
    // Overwrite 1000 bytes in the middle (several frame headers among them) with garbage.
    let middle = data.len() / 2;
    let mut state = 0x9e37_79b9_u32;
    for b in &mut data[middle..middle + 1000] {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *b = state as u8;
    }
    let damaged = dir.join("damaged.mp2");
    std::fs::write(&damaged, &data).unwrap();
    let out = wasmpeg(&["probe", "--json", path_str(&damaged)], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let by_origin = &json["warnings_by_origin"];
    assert!(by_origin["audio"].as_u64() >= Some(1), "{json}");
    assert_eq!(by_origin["video"], 0, "{json}");
    assert_eq!(
        json["warnings"],
        by_origin["audio"].as_u64().unwrap() + by_origin["container"].as_u64().unwrap()
    );
    // decode still writes the rest, and says the damage was audio.
    let wav = dir.join("out.wav");
    let out = wasmpeg(&["decode", path_str(&damaged), "-o", path_str(&wav)], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("audio"), "{}", stderr_of(&out));
    assert!(read_wav(&wav).frames() > 0);
}

/// True when ffmpeg has the TwoLAME encoder (for dual channel and CRC streams).
fn has_twolame() -> bool {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .output()
        .expect("run ffmpeg");
    String::from_utf8_lossy(&out.stdout).contains("libtwolame")
}

#[test]
fn dual_channel_with_crc() {
    if !has_twolame() {
        eprintln!("dual_channel_with_crc: skipped, ffmpeg has no libtwolame encoder");
        return;
    }
    let dir = work_dir("dual_crc");
    let input = dir.join("dual.mp2");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.5*sin(2*PI*440*t)|0.4*sin(2*PI*660*t+1):s=48000:d=1",
        "-c:a",
        "libtwolame",
        "-mode",
        "dual_channel",
        "-error_protection",
        "1",
        "-b:a",
        "192k",
        "-f",
        "mp2",
        path_str(&input),
    ]);
    let out = wasmpeg(&["probe", "--json", path_str(&input)], None);
    assert!(out.status.success(), "probe failed: {}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let audio = &json["audio"];
    assert_eq!(audio["mode"], "dual_channel", "{json}");
    assert_eq!(audio["channels"], 2, "{json}");
    assert_eq!(audio["crc"], true, "{json}");
    assert_eq!(audio["sample_rate"], 48_000, "{json}");
    assert_eq!(json["warnings"], 0, "{json}");
    let out = wasmpeg(&["probe", path_str(&input)], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("dual channel, 2 channels"), "{text}");
    assert!(text.contains("192 kbit/s, CRC"), "{text}");

    // Both programmes are written, as two WAV channels.
    let wav_path = dir.join("dual.wav");
    let out = wasmpeg(
        &["decode", path_str(&input), "-o", path_str(&wav_path)],
        None,
    );
    assert!(out.status.success(), "decode failed: {}", stderr_of(&out));
    let bytes = std::fs::read(&wav_path).unwrap();
    let wav = parse_wav(&bytes);
    wav.check_float(bytes.len(), 48_000, 2);
    assert_close_to_ffmpeg(&wav.floats(), &ffmpeg_audio(&input), "dual channel");
}
