//! Command-line syntax and help texts.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand, ValueEnum};
use wasmpeg::ContainerFormat;

/// Decode MPEG-1 video and MPEG audio from MPEG-TS, MPEG-PS or elementary streams.
#[derive(Debug, Parser)]
#[command(
    name = "wasmpeg",
    version,
    about = "Decode MPEG-1 video and MPEG audio (Layer I/II) from MPEG-TS, MPEG-PS or elementary streams",
    after_help = "Examples:\n  \
        wasmpeg decode input.ts -o output.y4m\n  \
        wasmpeg decode input.ts -o video.y4m -o audio.wav\n  \
        wasmpeg decode input.mpg --frames 100 -o - | ffplay -\n  \
        wasmpeg decode input.mp2 --audio - --s16 | aplay\n  \
        cat input.ts | wasmpeg probe -\n  \
        wasmpeg probe --json input.m1v\n\n\
        See 'wasmpeg decode --help' and 'wasmpeg probe --help' for details (WAV format, JSON\n\
        fields, output files when the picture size or sample rate changes). Errors are printed\n\
        as one line on stderr and the exit status is 1 (2 for usage errors). RUST_LOG (e.g.\n\
        RUST_LOG=debug) selects log output."
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides it
    #[arg(short, long, action = clap::ArgAction::Count, global = true, display_order = 100)]
    pub verbose: u8,
    /// Print only errors: no warnings, no progress line, no summary
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 101
    )]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode INPUT: video to a YUV4MPEG2 (.y4m) file, audio to a WAV (.wav) file, or both
    #[command(after_long_help = DECODE_AFTER_HELP)]
    Decode(DecodeArgs),
    /// Describe INPUT: container, streams, picture size, rates, audio format, durations, GOPs
    #[command(after_long_help = PROBE_AFTER_HELP)]
    Probe(ProbeArgs),
}

const DECODE_AFTER_HELP: &str = "\
Outputs: the kind of each -o file is chosen by its extension: .y4m for video, .wav for
audio; other extensions are an error. Give -o twice (one .y4m and one .wav) to write both
from one pass over INPUT. --video FILE and --audio FILE name the kind explicitly and accept
any file name (except .wav for --video and .y4m for --audio). - means standard output: -o -
and --video - write the video there, --audio - the audio; only one output can use it.
Only the streams that have an output (or --null / --null-audio) are decoded.

Video: every frame of the first video stream is written in display order, cropped to the
display size, as 4:2:0 YUV4MPEG2 (C420jpeg, progressive) with the stream's frame rate and
sample aspect ratio.

Audio: the first audio stream (MPEG-1 or MPEG-2 LSF, Layer I or II) is written as a WAV file
with the stream's sample rate and channel count (1, or 2 for stereo, joint stereo and dual
channel; dual channel is written as two channels). The samples are 32-bit float
(WAVE_FORMAT_IEEE_FLOAT, format tag 3, full scale = 1.0, not clipped, with the fact chunk
that non-PCM WAV files must have), or with --s16 16-bit PCM (format tag 1; sample * 32768
rounded to nearest and clipped to -32768..32767). The sizes in the WAV header are filled in
at the end when the output is a regular file. On standard output, or anything that is not a
regular file, they cannot be: the RIFF, data (and fact) sizes are then 0xFFFFFFFF, as ffmpeg
does for pipes; readers take this as \"until the end of the data\". A WAV file holds at most
4 GiB: beyond that the sizes are also left at 0xFFFFFFFF, with a warning. An input without
audio is an error (\"no audio stream\"), and no WAV file is made. The WAV file starts with
the first decoded audio frame and, like the YUV4MPEG2 file, carries no time stamps: an offset
between the audio and the video in INPUT is not kept.

Format changes: a YUV4MPEG2 file cannot change picture size and a WAV file cannot change
sample rate or channel count. If one changes in the middle of the stream, what follows is
written to OUT-2.y4m / OUT-2.wav, then OUT-3 and so on (for -o clip.y4m: clip-2.y4m,
clip-3.y4m...), and a warning names each new file. Standard output stops with an error at
such a change.

Limits: --frames N stops after N video frames (it needs a video output); the audio, if
written too, gets the same duration, N / frame rate. --seconds S keeps the first S seconds of
each stream: the video frames that start before S seconds (counted with the frame rate, so
gaps in the time stamps do not matter) and the first S * sample rate audio samples.
Decoding stops when every output has enough.

The input is read in 64 KiB chunks, so pipes and very large files work. A progress line
(video frames, frames per second, seconds of audio, megabytes read) is shown on stderr when
it is a terminal. Damage in the stream is concealed, logged as warnings and counted at the
end (container, video and audio separately).

Exit status: 0 on success, 1 on error (unreadable file, not an MPEG stream, no stream or no
frame to decode for an output, write error), 2 on a usage error.";

const PROBE_AFTER_HELP: &str = "\
The whole stream is decoded (video and audio) to count frames and measure the durations,
unless --limit-seconds stops it earlier.

duration:  video: from the first to the last presentation time stamp, plus one frame.
           audio: the decoded samples divided by the sample rate.
first GOP: the picture types of the first group of pictures in display order and in coded
           order (the coded order is derived from the display order: each I or P picture
           moves ahead of the B pictures displayed just before it); N is the number of
           pictures in the group, M the distance between I/P pictures; closed or open is the
           GOP header's closed_gop flag.
sequence headers: how many sequence headers were read (repeats included).
audio:     the first decoded audio frame's header: MPEG version, layer, sample rate,
           channels and mode (for joint stereo, the first subband coded as intensity
           stereo), bit rate (or free format), whether frames carry a CRC.

With --json one JSON object is printed, with these fields:
  file                        the INPUT argument (\"-\" for standard input)
  container                   \"mpegts\", \"mpegps\", \"m1v\" or \"mp2\"
  streams                     array of {kind: \"video\" or \"audio\", pid: number or null,
                              stream_id: number, stream_type: number or null,
                              program: number or null}
  video                       null when no video sequence header was found, else:
    width, height             display size in pixels (first sequence header)
    display_aspect_ratio      \"W:H\", e.g. \"4:3\"
    display_aspect_ratio_value  the same as a number
    sample_aspect_ratio       pixel width:height, e.g. \"1:1\"
    sample_aspect_ratio_value the same as a number
    frame_rate                \"num:den\" frames per second, e.g. \"30000:1001\"
    frame_rate_value          the same as a number
    bit_rate                  bits per second from the sequence header, null if variable
    variable_bit_rate         true when the sequence header says \"variable\"
    frames                    number of decoded frames
    duration                  seconds, null without frames
    first_pts, last_pts       first and last presentation time stamps in display order,
                              90 kHz ticks, null without frames
    pictures                  {I, P, B, D}: decoded pictures of each type
    gop                       null without frames, else {display_order, coded_order
                              (strings of I/P/B/D letters), n, m, closed, broken_link
                              (booleans, null when no GOP header was seen)}
    sequence_headers          number of sequence headers read (repeats included)
    sizes                     every picture size seen, \"WxH\" strings in order
  audio                       null when no audio frame was decoded, else (the version,
                              layer, rate, mode, bit rate, CRC and emphasis fields describe
                              the first decoded frame):
    version                   \"MPEG-1\" or \"MPEG-2 LSF\"
    layer                     1 or 2 (3 is recognised but not decoded)
    sample_rate               sampling frequency in Hz
    channels                  1 or 2
    mode                      \"stereo\", \"joint_stereo\", \"dual_channel\" or \"mono\"
    intensity_bound           for joint stereo the first subband coded as intensity
                              stereo (4, 8, 12 or 16), else null
    bit_rate                  bits per second, null for free format
    free_format               true for a free-format stream
    variable_bit_rate         true when the frames do not all have the same bit rate
    crc                       true when the frames carry a CRC-16
    emphasis                  \"none\", \"50/15us\", \"ccitt_j17\" or \"reserved\"
    frames                    number of decoded audio frames
    samples                   decoded samples per channel
    duration                  seconds: the decoded samples divided by the sample rate
    first_pts, last_pts       presentation time stamps of the first and last audio frame,
                              90 kHz ticks
    formats                   every {sample_rate, channels} seen, in order
  warnings                    number of decoder warnings (damage that was concealed)
  warnings_by_origin          the same split as {container, video, audio}
  complete                    false when --limit-seconds stopped the decoding early

Exit status: 0 on success, 1 on error (unreadable file, not an MPEG stream), 2 on a
usage error.";

/// Arguments of `wasmpeg decode`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("outputs")
        .args(["output", "video", "audio", "null", "null_audio"])
        .required(true)
        .multiple(true)
))]
pub struct DecodeArgs {
    /// The MPEG file to read, or - for standard input
    #[arg(value_name = "INPUT")]
    pub input: String,
    /// Output file, by extension: .y4m for video, .wav for audio; - is video on standard output.
    /// Give -o twice for both (one pass)
    #[arg(short, long, value_name = "OUT", action = ArgAction::Append)]
    pub output: Vec<String>,
    /// Write the video as YUV4MPEG2 to FILE (any name but .wav; - for standard output)
    #[arg(long, value_name = "FILE")]
    pub video: Option<String>,
    /// Write the audio as WAV to FILE (any name but .y4m; - for standard output)
    #[arg(long, value_name = "FILE")]
    pub audio: Option<String>,
    /// Decode the video without writing it (for speed measurements)
    #[arg(long, conflicts_with = "video")]
    pub null: bool,
    /// Decode the audio without writing it (for speed measurements)
    #[arg(long, conflicts_with = "audio")]
    pub null_audio: bool,
    /// Write 16-bit PCM WAV (rounded to nearest, clipped) instead of 32-bit float WAV
    #[arg(long)]
    pub s16: bool,
    /// Stop after writing N video frames (the audio gets the same duration)
    #[arg(long, value_name = "N", value_parser = parse_frames, conflicts_with = "seconds")]
    pub frames: Option<u64>,
    /// Stop after S seconds of media (video frames and audio samples, from each stream's start)
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    pub seconds: Option<f64>,
    /// Container format of INPUT
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
}

/// Arguments of `wasmpeg probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The MPEG file to read, or - for standard input
    #[arg(value_name = "INPUT")]
    pub input: String,
    /// Print one JSON object instead of text (fields: see --help)
    #[arg(long)]
    pub json: bool,
    /// Stop decoding after this many seconds of video and of audio (the counts then cover
    /// only that part)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub limit_seconds: Option<f64>,
    /// Container format of INPUT
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
}

/// The `--format` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect the container from the first bytes
    Auto,
    /// MPEG transport stream
    Mpegts,
    /// MPEG program stream or MPEG-1 system stream (.mpg, .vob, VCD)
    Mpegps,
    /// Raw MPEG-1 video elementary stream
    M1v,
    /// Raw MPEG audio elementary stream (.mp2, .mpa; Layer I and II)
    Mp2,
}

impl FormatArg {
    /// The container to force, or `None` to detect it.
    pub fn container(self) -> Option<ContainerFormat> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Mpegts => Some(ContainerFormat::MpegTs),
            FormatArg::Mpegps => Some(ContainerFormat::MpegPs),
            FormatArg::M1v => Some(ContainerFormat::VideoEs),
            FormatArg::Mp2 => Some(ContainerFormat::AudioEs),
        }
    }
}

fn parse_frames(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "expected a number of frames of at least 1, got {text:?}"
        )),
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "expected a positive number of seconds, got {text:?}"
        )),
    }
}

/// Where one decoded stream goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Decoded, then dropped (`--null`, `--null-audio`).
    Null,
    /// Standard output.
    Stdout,
    /// A file (followed by `NAME-2.EXT`... if the format changes).
    File(PathBuf),
}

impl Sink {
    /// The sink's name in messages.
    fn describe(&self) -> String {
        match self {
            Sink::Null => "nowhere".to_owned(),
            Sink::Stdout => "standard output".to_owned(),
            Sink::File(path) => path.display().to_string(),
        }
    }
}

/// The outputs of a `decode` run: `None` means the stream is not decoded at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    /// Where the video goes (YUV4MPEG2).
    pub video: Option<Sink>,
    /// Where the audio goes (WAV).
    pub audio: Option<Sink>,
}

/// The kind of a file name, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Video,
    Audio,
    Other,
}

fn kind_of(path: &Path) -> Kind {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("y4m") => Kind::Video,
        Some("wav") => Kind::Audio,
        _ => Kind::Other,
    }
}

/// Sets `slot` to `sink`, refusing a second output of the same kind.
fn place(slot: &mut Option<Sink>, sink: Sink, kind: &str) -> anyhow::Result<()> {
    if let Some(previous) = slot {
        bail!(
            "more than one {kind} output ({} and {}): give one video and at most one audio output",
            previous.describe(),
            sink.describe()
        );
    }
    *slot = Some(sink);
    Ok(())
}

impl DecodeArgs {
    /// Works out the outputs from `-o`, `--video`, `--audio`, `--null` and `--null-audio`,
    /// checking extensions and combinations (the checks clap cannot do).
    pub fn outputs(&self) -> anyhow::Result<Outputs> {
        let mut outputs = Outputs::default();
        for out in &self.output {
            if out == "-" {
                place(&mut outputs.video, Sink::Stdout, "video")?;
                continue;
            }
            let path = PathBuf::from(out);
            match kind_of(&path) {
                Kind::Video => place(&mut outputs.video, Sink::File(path), "video")?,
                Kind::Audio => place(&mut outputs.audio, Sink::File(path), "audio")?,
                Kind::Other => {
                    bail!("{out}: unsupported output extension, use .y4m (video) or .wav (audio)")
                }
            }
        }
        if let Some(out) = &self.video {
            let sink = if out == "-" {
                Sink::Stdout
            } else if kind_of(Path::new(out)) == Kind::Audio {
                bail!("{out}: --video writes YUV4MPEG2, not WAV (use --audio for .wav files)");
            } else {
                Sink::File(out.into())
            };
            place(&mut outputs.video, sink, "video")?;
        }
        if let Some(out) = &self.audio {
            let sink = if out == "-" {
                Sink::Stdout
            } else if kind_of(Path::new(out)) == Kind::Video {
                bail!("{out}: --audio writes WAV, not YUV4MPEG2 (use --video for .y4m files)");
            } else {
                Sink::File(out.into())
            };
            place(&mut outputs.audio, sink, "audio")?;
        }
        if self.null {
            place(&mut outputs.video, Sink::Null, "video")?;
        }
        if self.null_audio {
            place(&mut outputs.audio, Sink::Null, "audio")?;
        }
        match (&outputs.video, &outputs.audio) {
            (Some(Sink::Stdout), Some(Sink::Stdout)) => {
                bail!("the video and the audio cannot both go to standard output")
            }
            (Some(Sink::File(v)), Some(Sink::File(a))) if v == a => {
                bail!(
                    "{}: given as both the video and the audio output",
                    v.display()
                )
            }
            _ => {}
        }
        if self.s16 && outputs.audio.is_none() {
            bail!("--s16 sets the WAV sample format, but no audio output was given");
        }
        if self.frames.is_some() && outputs.video.is_none() {
            bail!(
                "--frames counts video frames, but no video output was given (use --seconds to \
                 limit the audio)"
            );
        }
        Ok(outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn args(outputs: &[&str]) -> DecodeArgs {
        DecodeArgs {
            input: "in.ts".into(),
            output: outputs.iter().map(|o| (*o).to_owned()).collect(),
            video: None,
            audio: None,
            null: false,
            null_audio: false,
            s16: false,
            frames: None,
            seconds: None,
            format: FormatArg::Auto,
        }
    }

    #[test]
    fn output_extension_dispatch() {
        let file = |p: &str| Some(Sink::File(p.into()));
        assert_eq!(
            args(&["a.Y4M"]).outputs().unwrap(),
            Outputs {
                video: file("a.Y4M"),
                audio: None
            }
        );
        assert_eq!(
            args(&["-"]).outputs().unwrap(),
            Outputs {
                video: Some(Sink::Stdout),
                audio: None
            }
        );
        assert_eq!(
            args(&["a.WAV", "v.y4m"]).outputs().unwrap(),
            Outputs {
                video: file("v.y4m"),
                audio: file("a.WAV")
            }
        );
        assert!(args(&["a.yuv"]).outputs().is_err());
        assert!(args(&["noext"]).outputs().is_err());
        assert!(args(&["a.y4m", "b.y4m"]).outputs().is_err());
        assert!(args(&["a.wav", "b.wav"]).outputs().is_err());
    }

    #[test]
    fn explicit_outputs_and_combinations() {
        let mut a = args(&[]);
        a.audio = Some("-".into());
        a.null = true;
        assert_eq!(
            a.outputs().unwrap(),
            Outputs {
                video: Some(Sink::Null),
                audio: Some(Sink::Stdout)
            }
        );
        // Any name goes with --video/--audio, except the other kind's extension.
        let mut a = args(&[]);
        a.audio = Some("sound.raw".into());
        assert_eq!(
            a.outputs().unwrap().audio,
            Some(Sink::File("sound.raw".into()))
        );
        a.audio = Some("sound.y4m".into());
        assert!(a.outputs().is_err());
        let mut a = args(&[]);
        a.video = Some("clip.wav".into());
        assert!(a.outputs().is_err());
        // Both on stdout, or the same file twice.
        let mut a = args(&["-"]);
        a.audio = Some("-".into());
        assert!(a.outputs().is_err());
        let mut a = args(&[]);
        a.video = Some("same".into());
        a.audio = Some("same".into());
        assert!(a.outputs().is_err());
        // --s16 needs an audio output; --frames needs a video output.
        let mut a = args(&["v.y4m"]);
        a.s16 = true;
        assert!(a.outputs().is_err());
        let mut a = args(&["a.wav"]);
        a.s16 = true;
        assert!(a.outputs().is_ok());
        a.frames = Some(3);
        assert!(a.outputs().is_err());
    }
}
