//! Command-line syntax and help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wasmpeg::ContainerFormat;

/// Decode MPEG-1 video from MPEG-TS, MPEG-PS or elementary streams.
#[derive(Debug, Parser)]
#[command(
    name = "wasmpeg",
    version,
    about = "Decode MPEG-1 video from MPEG-TS, MPEG-PS or elementary streams",
    after_help = "Examples:\n  \
        wasmpeg decode input.ts -o output.y4m\n  \
        wasmpeg decode input.mpg --frames 100 -o - | ffplay -\n  \
        cat input.ts | wasmpeg probe -\n  \
        wasmpeg probe --json input.m1v\n\n\
        See 'wasmpeg decode --help' and 'wasmpeg probe --help' for details (JSON fields, output\n\
        files when the picture size changes). Errors are printed as one line on stderr and the\n\
        exit status is 1 (2 for usage errors). RUST_LOG (e.g. RUST_LOG=debug) selects log output."
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
    /// Decode the video of INPUT to a YUV4MPEG2 (.y4m) file
    #[command(after_long_help = DECODE_AFTER_HELP)]
    Decode(DecodeArgs),
    /// Describe INPUT: container, streams, picture size, rates, duration, GOP structure
    #[command(after_long_help = PROBE_AFTER_HELP)]
    Probe(ProbeArgs),
}

const DECODE_AFTER_HELP: &str = "\
Every frame of the first video stream is written in display order, cropped to the display
size, as 4:2:0 YUV4MPEG2 (C420jpeg, progressive) with the stream's frame rate and sample
aspect ratio. The input is read in 64 KiB chunks, so pipes and very large files work.

Output: the format is chosen by the extension of OUT; only .y4m is supported for now.
With -o - the YUV4MPEG2 stream goes to standard output.

Picture size changes: a YUV4MPEG2 file cannot change picture size. If the size changes in
the middle of the stream, the frames of the second size are written to OUT-2.y4m, those of
the third to OUT-3.y4m and so on (for -o clip.y4m: clip-2.y4m, clip-3.y4m...), and a warning
names each new file. Writing to standard output stops with an error at such a change.

A progress line (frames, frames per second, megabytes read) is shown on stderr when it is
a terminal. Damage in the stream is concealed, logged as warnings and counted at the end.

Exit status: 0 on success, 1 on error (unreadable file, not an MPEG stream, no video frame
decoded, write error), 2 on a usage error.";

const PROBE_AFTER_HELP: &str = "\
The whole stream is decoded to count frames and measure the duration, unless
--limit-seconds stops it earlier.

duration:  from the first to the last presentation time stamp, plus one frame.
first GOP: the picture types of the first group of pictures in display order and in coded
           order (the coded order is derived from the display order: each I or P picture
           moves ahead of the B pictures displayed just before it); N is the number of
           pictures in the group, M the distance between I/P pictures; closed or open is the
           GOP header's closed_gop flag.
sequence headers: how many sequence headers were read (repeats included).

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
  warnings                    number of decoder warnings (damage that was concealed)
  complete                    false when --limit-seconds stopped the decoding early

Exit status: 0 on success, 1 on error (unreadable file, not an MPEG stream), 2 on a
usage error.";

/// Arguments of `wasmpeg decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The MPEG file to read, or - for standard input
    #[arg(value_name = "INPUT")]
    pub input: String,
    /// Output file (.y4m), or - for standard output; a picture size change starts OUT-2.y4m
    #[arg(
        short,
        long,
        value_name = "OUT",
        required_unless_present = "null",
        conflicts_with = "null"
    )]
    pub output: Option<String>,
    /// Decode without writing anything (for speed measurements)
    #[arg(long)]
    pub null: bool,
    /// Stop after writing N frames
    #[arg(long, value_name = "N", value_parser = parse_frames)]
    pub frames: Option<u64>,
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
    /// Stop decoding after this many seconds of video (the counts then cover only that part)
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
    /// Raw MPEG audio elementary stream (no video: probe only)
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

/// Where decoded video goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputTarget {
    /// Nowhere (`--null`).
    Null,
    /// Standard output, as YUV4MPEG2.
    Stdout,
    /// A `.y4m` file.
    Y4mFile(PathBuf),
}

impl DecodeArgs {
    /// Works out the output from `-o`/`--null`, checking the extension.
    pub fn output_target(&self) -> anyhow::Result<OutputTarget> {
        let Some(out) = self.output.as_deref() else {
            return Ok(OutputTarget::Null);
        };
        if out == "-" {
            return Ok(OutputTarget::Stdout);
        }
        let path = PathBuf::from(out);
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("y4m") => Ok(OutputTarget::Y4mFile(path)),
            _ => anyhow::bail!("{out}: unsupported output extension, use .y4m"),
        }
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

    #[test]
    fn output_extension_dispatch() {
        let args = |o: &str| DecodeArgs {
            input: "in.ts".into(),
            output: Some(o.into()),
            null: false,
            frames: None,
            format: FormatArg::Auto,
        };
        assert_eq!(
            args("a.Y4M").output_target().unwrap(),
            OutputTarget::Y4mFile("a.Y4M".into())
        );
        assert_eq!(args("-").output_target().unwrap(), OutputTarget::Stdout);
        assert!(args("a.wav").output_target().is_err());
        assert!(args("noext").output_target().is_err());
    }
}
