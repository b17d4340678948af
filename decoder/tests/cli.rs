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
        "--format",
        "--null",
        ".y4m",
        "OUT-2.y4m",
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
    for out_name in ["out.wav", "out.yuv", "out"] {
        let target = dir.join(out_name);
        let out = wasmpeg(&["decode", path_str(&clip), "-o", path_str(&target)], None);
        let line = assert_one_line_error(&out, out_name);
        assert!(
            line.contains("unsupported output extension, use .y4m"),
            "{line}"
        );
        assert!(!target.exists());
    }
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
