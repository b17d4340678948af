//! `wasmpeg`: decode MPEG-1 video to YUV4MPEG2 and MPEG audio to WAV, and describe MPEG
//! streams.
//!
//! Errors are reported as one line on stderr (`wasmpeg: error: ...`) with exit status 1;
//! command-line mistakes exit with status 2 (clap's convention). A panic would be a bug: the
//! panic hook turns it into one line and exit status 101.

mod cli;
mod decode;
mod drive;
mod input;
mod logging;
mod output;
mod probe;
mod progress;
mod rational;
mod wav;
mod y4m;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit status for a run that failed (unreadable input, not MPEG, write error...).
const EXIT_FAILURE: u8 = 1;
/// Exit status used by the panic hook (a bug in wasmpeg).
const EXIT_PANIC: i32 = 101;

/// Marks an error caused by stdout being closed by the reader (`wasmpeg ... | head`): the run
/// stops quietly and successfully, as other command-line tools do.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet);
    let result = match &cli.command {
        Command::Decode(args) => decode::run(args, &cli.global),
        Command::Probe(args) => probe::run(args, &cli.global),
    };
    progress::clear_line();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<StdoutClosed>().is_some() => ExitCode::SUCCESS,
        Err(err) => {
            let message = one_line(&format!("{err:#}"));
            let _ = writeln!(std::io::stderr(), "wasmpeg: error: {message}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Replaces line breaks so that every message stays on one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A last resort: should anything panic, print one line and exit 101 instead of a trace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        progress::clear_line();
        let _ = writeln!(
            std::io::stderr(),
            "wasmpeg: internal error (this is a bug, please report it): {}{place}",
            one_line(&what)
        );
        std::process::exit(EXIT_PANIC);
    }));
}
