//! WAV output (RIFF WAVE): 32-bit float or 16-bit PCM, one file per audio format.
//!
//! Float files use `WAVE_FORMAT_IEEE_FLOAT` (format tag 3) with an 18-byte `fmt ` chunk
//! (`cbSize` = 0) and the `fact` chunk that the RIFF specification asks of every non-PCM file;
//! 16-bit files use `WAVE_FORMAT_PCM` (tag 1) with a 16-byte `fmt ` chunk and no `fact` chunk.
//! The header is written first with the sizes set to 0xFFFFFFFF ("unknown", what ffmpeg writes
//! to pipes) and, for regular files, rewritten with the real sizes at the end.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

use anyhow::{bail, Context};
use tracing::{debug, info, warn};
use wasmpeg::AudioFrame;

use crate::output::{io_error, numbered_path, Destination, STDOUT_LABEL};

/// The sample format of the `data` chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// 32-bit IEEE float, little-endian, full scale = 1.0 (format tag 3).
    F32,
    /// 16-bit signed PCM, little-endian (format tag 1).
    S16,
}

impl SampleFormat {
    fn format_tag(self) -> u16 {
        match self {
            SampleFormat::F32 => 3,
            SampleFormat::S16 => 1,
        }
    }

    fn bytes_per_sample(self) -> u16 {
        match self {
            SampleFormat::F32 => 4,
            SampleFormat::S16 => 2,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            SampleFormat::F32 => "32-bit float",
            SampleFormat::S16 => "16-bit PCM",
        }
    }

    /// Bytes of the header: RIFF + `fmt ` (+ `fact`) + the `data` chunk header.
    fn header_len(self) -> u64 {
        match self {
            SampleFormat::F32 => 12 + (8 + 18) + (8 + 4) + 8,
            SampleFormat::S16 => 12 + (8 + 16) + 8,
        }
    }
}

/// Written in place of a size that is not known (or does not fit in 32 bits).
pub const UNKNOWN_SIZE: u32 = u32::MAX;

/// The audio format of one WAV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Params {
    sample_rate: u32,
    channels: u16,
}

impl Params {
    fn of(frame: &AudioFrame) -> Params {
        Params {
            sample_rate: frame.sample_rate,
            channels: u16::from(frame.channels),
        }
    }
}

impl std::fmt::Display for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channels = match self.channels {
            1 => "mono".to_owned(),
            2 => "2 channels".to_owned(),
            n => format!("{n} channels"),
        };
        write!(f, "{} Hz {channels}", self.sample_rate)
    }
}

/// The WAV header for `frames` samples per channel, or for an unknown length (`None`, or a
/// length too large for the 32-bit sizes).
fn header(format: SampleFormat, params: Params, frames: Option<u64>) -> Vec<u8> {
    let block_align = params.channels.saturating_mul(format.bytes_per_sample());
    let data_bytes = frames.map(|n| n.saturating_mul(u64::from(block_align)));
    let riff_size = data_bytes.map(|d| d.saturating_add(format.header_len() - 8));
    let size32 = |v: Option<u64>| {
        v.and_then(|v| u32::try_from(v).ok())
            .filter(|_| riff_size.is_some_and(|r| u32::try_from(r).is_ok()))
            .unwrap_or(UNKNOWN_SIZE)
    };
    let mut h = Vec::with_capacity(format.header_len() as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&size32(riff_size).to_le_bytes());
    h.extend_from_slice(b"WAVE");
    h.extend_from_slice(b"fmt ");
    let fmt_size: u32 = match format {
        SampleFormat::F32 => 18,
        SampleFormat::S16 => 16,
    };
    h.extend_from_slice(&fmt_size.to_le_bytes());
    h.extend_from_slice(&format.format_tag().to_le_bytes());
    h.extend_from_slice(&params.channels.to_le_bytes());
    h.extend_from_slice(&params.sample_rate.to_le_bytes());
    let byte_rate = params.sample_rate.saturating_mul(u32::from(block_align));
    h.extend_from_slice(&byte_rate.to_le_bytes());
    h.extend_from_slice(&block_align.to_le_bytes());
    h.extend_from_slice(&(format.bytes_per_sample() * 8).to_le_bytes());
    if format == SampleFormat::F32 {
        // cbSize: no extra format bytes.
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&size32(frames).to_le_bytes());
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&size32(data_bytes).to_le_bytes());
    debug_assert_eq!(h.len() as u64, format.header_len());
    h
}

/// A float sample as 16-bit PCM: scaled by 32768, rounded to nearest, clipped.
pub fn f32_to_s16(x: f32) -> i16 {
    // NaN survives `clamp` and becomes 0 in the saturating `as` conversion.
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Where a segment's bytes go.
enum Sink {
    Stdout(io::StdoutLock<'static>),
    /// A file; `seekable` when it is a regular file whose header can be rewritten.
    File {
        writer: BufWriter<File>,
        seekable: bool,
    },
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File { writer, .. } => writer,
        }
    }
}

/// One output file (or stdout) with a fixed format.
struct Segment {
    sink: Sink,
    label: String,
    params: Params,
    /// Samples per channel written.
    frames: u64,
}

/// Writes audio frames as WAV.
pub struct WavWriter {
    destination: Destination,
    format: SampleFormat,
    segment: Option<Segment>,
    segments: u32,
    /// Seconds of audio written, all files together.
    seconds: f64,
    interleaved: Vec<f32>,
    bytes: Vec<u8>,
}

impl WavWriter {
    /// A writer for `destination`; nothing is created before the first frame.
    pub fn new(destination: Destination, format: SampleFormat) -> WavWriter {
        WavWriter {
            destination,
            format,
            segment: None,
            segments: 0,
            seconds: 0.0,
            interleaved: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// Files started so far.
    pub fn files(&self) -> u32 {
        self.segments
    }

    /// Appends the first `max_samples` samples per channel of `frame` (all of them if it has
    /// fewer), starting a new file if the sample rate or channel count changed.
    pub fn write_frame(&mut self, frame: &AudioFrame, max_samples: usize) -> anyhow::Result<()> {
        let params = Params::of(frame);
        let n = frame.samples_per_channel.min(max_samples);
        if n == 0 || params.channels == 0 || params.sample_rate == 0 {
            debug!("skipping an empty audio frame ({params}, {n} samples)");
            return Ok(());
        }
        match &self.segment {
            Some(s) if s.params != params => self.start_next_segment(params)?,
            Some(_) => {}
            None => self.open_segment(params)?,
        }
        let Some(segment) = self.segment.as_mut() else {
            bail!("internal error: no audio output open");
        };
        self.interleaved.clear();
        frame.write_interleaved(&mut self.interleaved);
        self.interleaved.truncate(n * usize::from(params.channels));
        self.bytes.clear();
        match self.format {
            SampleFormat::F32 => {
                self.bytes.reserve(self.interleaved.len() * 4);
                for s in &self.interleaved {
                    self.bytes.extend_from_slice(&s.to_le_bytes());
                }
            }
            SampleFormat::S16 => {
                self.bytes.reserve(self.interleaved.len() * 2);
                for s in &self.interleaved {
                    self.bytes.extend_from_slice(&f32_to_s16(*s).to_le_bytes());
                }
            }
        }
        segment
            .sink
            .writer()
            .write_all(&self.bytes)
            .map_err(|e| io_error(e, &segment.label))?;
        segment.frames += n as u64;
        self.seconds += n as f64 / f64::from(params.sample_rate);
        Ok(())
    }

    /// Completes the current file (sizes in the header) and flushes it.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if let Some(segment) = self.segment.take() {
            close(segment, self.format)?;
        }
        Ok(())
    }

    fn start_next_segment(&mut self, params: Params) -> anyhow::Result<()> {
        let Some(old) = self.segment.take() else {
            return self.open_segment(params);
        };
        let old_params = old.params;
        close(old, self.format)?;
        match &self.destination {
            Destination::Stdout => bail!(
                "stdout: the audio format changed from {old_params} to {params} after {:.3} s, \
                 and a WAV stream cannot change it (write to a .wav file instead to get one \
                 file per format)",
                self.seconds
            ),
            Destination::File(base) => {
                let next = numbered_path(base, self.segments + 1);
                warn!(
                    "the audio format changed from {old_params} to {params} after {:.3} s; a \
                     WAV file cannot change it, so the following audio goes to {}",
                    self.seconds,
                    next.display()
                );
            }
        }
        self.open_segment(params)
    }

    fn open_segment(&mut self, params: Params) -> anyhow::Result<()> {
        self.segments += 1;
        let (sink, label) = match &self.destination {
            Destination::Stdout => (Sink::Stdout(io::stdout().lock()), STDOUT_LABEL.to_owned()),
            Destination::File(base) => {
                let path = numbered_path(base, self.segments);
                let label = path.display().to_string();
                let file = File::create(&path).with_context(|| label.clone())?;
                let seekable = file.metadata().is_ok_and(|m| m.is_file());
                info!("writing {label} ({params}, {})", self.format.describe());
                let writer = BufWriter::with_capacity(256 * 1024, file);
                (Sink::File { writer, seekable }, label)
            }
        };
        let mut segment = Segment {
            sink,
            label,
            params,
            frames: 0,
        };
        segment
            .sink
            .writer()
            .write_all(&header(self.format, params, None))
            .map_err(|e| io_error(e, &segment.label))?;
        self.segment = Some(segment);
        Ok(())
    }
}

/// Flushes a segment and, for a regular file, writes the real sizes into its header.
fn close(mut segment: Segment, format: SampleFormat) -> anyhow::Result<()> {
    let label = segment.label;
    let result = match &mut segment.sink {
        Sink::Stdout(w) => w.flush(),
        Sink::File { writer, seekable } => writer.flush().and_then(|()| {
            if !*seekable {
                debug!("{label}: not a regular file, the WAV sizes stay unknown");
                return Ok(());
            }
            let final_header = header(format, segment.params, Some(segment.frames));
            if final_header[4..8] == UNKNOWN_SIZE.to_le_bytes() {
                warn!(
                    "{label}: more than 4 GiB of audio; the WAV header's sizes are left at \
                     0xFFFFFFFF (\"until the end of the file\")"
                );
            }
            let file = writer.get_mut();
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&final_header)?;
            file.flush()
        }),
    };
    result.map_err(|e| io_error(e, &label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn frame(rate: u32, channels: u8, n: usize, base: f32) -> AudioFrame {
        AudioFrame {
            sample_rate: rate,
            channels,
            samples_per_channel: n,
            samples: (0..n * usize::from(channels))
                .map(|i| base + i as f32 / 1024.0)
                .collect(),
            ..AudioFrame::default()
        }
    }

    #[test]
    fn float_header_layout() {
        let p = Params {
            sample_rate: 44_100,
            channels: 2,
        };
        let h = header(SampleFormat::F32, p, Some(1000));
        assert_eq!(h.len(), 58);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32_at(&h, 4), 50 + 8000);
        assert_eq!(&h[8..16], b"WAVEfmt ");
        assert_eq!(u32_at(&h, 16), 18);
        assert_eq!(u16_at(&h, 20), 3);
        assert_eq!(u16_at(&h, 22), 2);
        assert_eq!(u32_at(&h, 24), 44_100);
        assert_eq!(u32_at(&h, 28), 44_100 * 8);
        assert_eq!(u16_at(&h, 32), 8);
        assert_eq!(u16_at(&h, 34), 32);
        assert_eq!(u16_at(&h, 36), 0);
        assert_eq!(&h[38..42], b"fact");
        assert_eq!(u32_at(&h, 42), 4);
        assert_eq!(u32_at(&h, 46), 1000);
        assert_eq!(&h[50..54], b"data");
        assert_eq!(u32_at(&h, 54), 8000);
    }

    #[test]
    fn pcm_header_layout() {
        let p = Params {
            sample_rate: 32_000,
            channels: 1,
        };
        let h = header(SampleFormat::S16, p, Some(7));
        assert_eq!(h.len(), 44);
        assert_eq!(u32_at(&h, 4), 36 + 14);
        assert_eq!(u32_at(&h, 16), 16);
        assert_eq!(u16_at(&h, 20), 1);
        assert_eq!(u16_at(&h, 22), 1);
        assert_eq!(u32_at(&h, 28), 64_000);
        assert_eq!(u16_at(&h, 32), 2);
        assert_eq!(u16_at(&h, 34), 16);
        assert_eq!(&h[36..40], b"data");
        assert_eq!(u32_at(&h, 40), 14);
    }

    #[test]
    fn unknown_and_oversized_lengths() {
        let p = Params {
            sample_rate: 48_000,
            channels: 2,
        };
        for frames in [None, Some(1 << 30)] {
            let h = header(SampleFormat::F32, p, frames);
            assert_eq!(u32_at(&h, 4), UNKNOWN_SIZE);
            assert_eq!(u32_at(&h, 46), UNKNOWN_SIZE);
            assert_eq!(u32_at(&h, 54), UNKNOWN_SIZE);
        }
        // Just fits: data + 50 header bytes = 0xFFFFFFFF - 1.
        let frames = (u64::from(u32::MAX) - 51) / 8;
        let h = header(SampleFormat::F32, p, Some(frames));
        assert_eq!(u64::from(u32_at(&h, 54)), frames * 8);
    }

    #[test]
    fn s16_conversion_rounds_and_clips() {
        assert_eq!(f32_to_s16(0.0), 0);
        assert_eq!(f32_to_s16(0.5), 16_384);
        assert_eq!(f32_to_s16(-0.5), -16_384);
        assert_eq!(f32_to_s16(1.0), 32_767);
        assert_eq!(f32_to_s16(-1.0), -32_768);
        assert_eq!(f32_to_s16(3.0), 32_767);
        assert_eq!(f32_to_s16(-3.0), -32_768);
        assert_eq!(f32_to_s16(1.4 / 32768.0), 1);
        assert_eq!(f32_to_s16(1.6 / 32768.0), 2);
        assert_eq!(f32_to_s16(-1.6 / 32768.0), -2);
        assert_eq!(f32_to_s16(f32::NAN), 0);
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("wasmpeg-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn writes_interleaved_samples_and_patches_sizes() {
        let path = temp_path("stereo.wav");
        let mut w = WavWriter::new(Destination::File(path.clone()), SampleFormat::F32);
        w.write_frame(&frame(44_100, 2, 3, 0.0), usize::MAX)
            .unwrap();
        w.write_frame(&frame(44_100, 2, 3, 0.5), 2).unwrap();
        w.finish().unwrap();
        let b = std::fs::read(&path).unwrap();
        assert_eq!(b.len(), 58 + 5 * 8);
        assert_eq!(u32_at(&b, 4) as usize, b.len() - 8);
        assert_eq!(u32_at(&b, 46), 5);
        assert_eq!(u32_at(&b, 54), 40);
        let samples: Vec<f32> = b[58..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let k = 1.0 / 1024.0;
        // Planar L0 L1 L2 R0 R1 R2 becomes L0 R0 L1 R1 L2 R2.
        let expected = [
            0.0,
            3.0 * k,
            k,
            4.0 * k,
            2.0 * k,
            5.0 * k,
            0.5,
            0.5 + 3.0 * k,
            0.5 + k,
            0.5 + 4.0 * k,
        ];
        assert_eq!(samples, expected);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn format_change_starts_a_numbered_file() {
        let path = temp_path("change.wav");
        let second = numbered_path(&path, 2);
        let mut w = WavWriter::new(Destination::File(path.clone()), SampleFormat::S16);
        w.write_frame(&frame(48_000, 2, 4, 0.0), usize::MAX)
            .unwrap();
        w.write_frame(&frame(24_000, 1, 6, 0.0), usize::MAX)
            .unwrap();
        w.write_frame(&frame(24_000, 1, 6, 0.0), usize::MAX)
            .unwrap();
        assert_eq!(w.files(), 2);
        w.finish().unwrap();
        let a = std::fs::read(&path).unwrap();
        assert_eq!((u16_at(&a, 22), u32_at(&a, 24)), (2, 48_000));
        assert_eq!(u32_at(&a, 40), 16);
        assert_eq!(a.len(), 44 + 16);
        let b = std::fs::read(&second).unwrap();
        assert_eq!((u16_at(&b, 22), u32_at(&b, 24)), (1, 24_000));
        assert_eq!(u32_at(&b, 40), 24);
        assert_eq!(b.len(), 44 + 24);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&second);
    }
}
