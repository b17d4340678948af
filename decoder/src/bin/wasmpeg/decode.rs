//! `wasmpeg decode`: video to YUV4MPEG2.

use std::io::{self, IsTerminal};

use anyhow::bail;
use tracing::info;
use wasmpeg::DecoderEvent;

use crate::cli::{DecodeArgs, GlobalArgs, OutputTarget};
use crate::drive::{self, Flow};
use crate::input::Input;
use crate::progress::Progress;
use crate::y4m::{Destination, Y4mWriter};

/// Runs `wasmpeg decode`.
pub fn run(args: &DecodeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let target = args.output_target()?;
    if target == OutputTarget::Stdout && io::stdout().is_terminal() {
        bail!("refusing to write video to a terminal: redirect standard output or use -o OUT.y4m");
    }
    let mut input = Input::open(&args.input)?;
    let mut writer = match &target {
        OutputTarget::Null => None,
        OutputTarget::Stdout => Some(Y4mWriter::new(Destination::Stdout)),
        OutputTarget::Y4mFile(path) => Some(Y4mWriter::new(Destination::File(path.clone()))),
    };
    let limit = args.frames.unwrap_or(u64::MAX);
    let mut frames = 0u64;
    let mut progress = Progress::new(!global.quiet);
    let outcome = drive::run(
        &mut input,
        args.format.container(),
        &mut progress,
        |event| {
            if let DecoderEvent::Video(frame) = event {
                if frames >= limit {
                    return Ok(Flow::Stop);
                }
                if let Some(w) = writer.as_mut() {
                    w.write_frame(frame)?;
                }
                frames += 1;
                if frames >= limit {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Continue)
        },
    )?;
    if let Some(w) = writer {
        w.finish()?;
    }
    outcome.log_summary();
    if frames == 0 {
        let name = &outcome.name;
        if outcome.saw_video {
            bail!(
                "{name}: no video frame could be decoded ({} decoder warnings)",
                outcome.warnings.total()
            );
        }
        bail!(
            "{name}: no MPEG-1 video stream found in this {} input",
            outcome.container.name()
        );
    }
    if let OutputTarget::Y4mFile(path) = &target {
        info!("wrote {frames} frames to {}", path.display());
    }
    Ok(())
}
