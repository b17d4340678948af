//! YUV4MPEG2 output, split into one file per picture size.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{bail, Context};
use tracing::{info, warn};
use wasmpeg::Frame;

use crate::output::{io_error, numbered_path, Destination, STDOUT_LABEL};
use crate::rational::{sample_aspect, Ratio};

/// The stream parameters written in a YUV4MPEG2 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Params {
    width: u32,
    height: u32,
    rate: (u32, u32),
    sar: Ratio,
}

impl Params {
    fn of(frame: &Frame) -> Params {
        Params {
            width: frame.width,
            height: frame.height,
            rate: frame.sequence.frame_rate(),
            sar: sample_aspect(&frame.sequence),
        }
    }

    fn header(self) -> String {
        let sar = if self.sar.num == 0 || self.sar.den == 0 {
            "0:0".to_owned()
        } else {
            self.sar.to_string()
        };
        format!(
            "YUV4MPEG2 W{} H{} F{}:{} Ip A{sar} C420jpeg\n",
            self.width, self.height, self.rate.0, self.rate.1
        )
    }
}

/// One output file (or stdout) with a fixed picture size.
struct Segment {
    writer: Box<dyn Write>,
    label: String,
    params: Params,
    frames: u64,
    warned_params: bool,
}

/// Writes frames as YUV4MPEG2.
pub struct Y4mWriter {
    destination: Destination,
    segment: Option<Segment>,
    segments: u32,
    frames: u64,
    buf: Vec<u8>,
}

impl Y4mWriter {
    /// A writer for `destination`; nothing is created before the first frame.
    pub fn new(destination: Destination) -> Y4mWriter {
        Y4mWriter {
            destination,
            segment: None,
            segments: 0,
            frames: 0,
            buf: Vec::new(),
        }
    }

    /// Appends one frame, starting a new file if the picture size changed.
    pub fn write_frame(&mut self, frame: &Frame) -> anyhow::Result<()> {
        let params = Params::of(frame);
        let size_changed = self
            .segment
            .as_ref()
            .is_some_and(|s| (s.params.width, s.params.height) != (params.width, params.height));
        if size_changed {
            self.start_next_segment(params)?;
        } else if self.segment.is_none() {
            self.open_segment(params)?;
        }
        let Some(segment) = self.segment.as_mut() else {
            bail!("internal error: no output open");
        };
        if segment.params != params && !segment.warned_params {
            segment.warned_params = true;
            warn!(
                "{}: the frame rate or aspect ratio changed to {}:{} fps, sample aspect {} after \
                 {} frames; the YUV4MPEG2 header keeps {}:{} fps, sample aspect {}",
                segment.label,
                params.rate.0,
                params.rate.1,
                params.sar,
                segment.frames,
                segment.params.rate.0,
                segment.params.rate.1,
                segment.params.sar
            );
        }
        self.buf.clear();
        self.buf.extend_from_slice(b"FRAME\n");
        frame.write_yuv420p(&mut self.buf);
        write_all(segment, &self.buf)?;
        segment.frames += 1;
        self.frames += 1;
        Ok(())
    }

    /// Files started so far.
    pub fn files(&self) -> u32 {
        self.segments
    }

    /// Flushes the output.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if let Some(mut segment) = self.segment.take() {
            flush(&mut segment)?;
        }
        Ok(())
    }

    fn start_next_segment(&mut self, params: Params) -> anyhow::Result<()> {
        let Some(mut old) = self.segment.take() else {
            return self.open_segment(params);
        };
        flush(&mut old)?;
        let (ow, oh) = (old.params.width, old.params.height);
        let (nw, nh) = (params.width, params.height);
        match &self.destination {
            Destination::Stdout => bail!(
                "stdout: the picture size changed from {ow}x{oh} to {nw}x{nh} after {} frames, \
                 and a YUV4MPEG2 stream cannot change size (write to a .y4m file instead to get \
                 one file per size)",
                self.frames
            ),
            Destination::File(base) => {
                let next = numbered_path(base, self.segments + 1);
                warn!(
                    "the picture size changed from {ow}x{oh} to {nw}x{nh} after {} frames; \
                     YUV4MPEG2 cannot change size, so the following frames go to {}",
                    self.frames,
                    next.display()
                );
            }
        }
        self.open_segment(params)
    }

    fn open_segment(&mut self, params: Params) -> anyhow::Result<()> {
        self.segments += 1;
        let (writer, label): (Box<dyn Write>, String) = match &self.destination {
            Destination::Stdout => (Box::new(io::stdout().lock()), STDOUT_LABEL.to_owned()),
            Destination::File(base) => {
                let path = numbered_path(base, self.segments);
                let label = path.display().to_string();
                let file = File::create(&path).with_context(|| label.clone())?;
                info!("writing {label} ({}x{})", params.width, params.height);
                (Box::new(BufWriter::new(file)), label)
            }
        };
        let mut segment = Segment {
            writer,
            label,
            params,
            frames: 0,
            warned_params: false,
        };
        write_all(&mut segment, params.header().as_bytes())?;
        self.segment = Some(segment);
        Ok(())
    }
}

fn write_all(segment: &mut Segment, bytes: &[u8]) -> anyhow::Result<()> {
    segment
        .writer
        .write_all(bytes)
        .map_err(|e| io_error(e, &segment.label))
}

fn flush(segment: &mut Segment) -> anyhow::Result<()> {
    segment
        .writer
        .flush()
        .map_err(|e| io_error(e, &segment.label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_line() {
        let p = Params {
            width: 640,
            height: 480,
            rate: (30_000, 1001),
            sar: Ratio::new(1, 1),
        };
        assert_eq!(
            p.header(),
            "YUV4MPEG2 W640 H480 F30000:1001 Ip A1:1 C420jpeg\n"
        );
    }
}
