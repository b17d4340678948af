//! Spawned sources (`--source STREAM="ffmpeg ... -f mpegts -"`): the relay runs a command and
//! publishes its standard output to a stream, like any other publisher.
//!
//! - The command line is split like a shell does (quotes and backslashes) but run without a
//!   shell: no pipes, redirections or variables (run `sh -c '...'` yourself for those).
//! - Its standard error is logged line by line (target `wasmpeg_relay::source`).
//! - When it exits it is started again after a back-off: 1 s, doubling up to 30 s, back to
//!   1 s after a run that lasted a minute.
//! - On shutdown it is killed (and reaped) within the shutdown budget; it is also killed if
//!   its task is dropped.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::server::App;

/// The first restart delay.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest restart delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run at least this long resets the delay.
const STABLE_RUN: Duration = Duration::from_secs(60);
/// How long a killed source may take to be reaped.
const KILL_WAIT: Duration = Duration::from_millis(300);
/// Longest stderr line logged; the rest of a longer line is cut.
const MAX_LINE: usize = 1024;

/// Splits a command line into words like a POSIX shell: whitespace separates words; single
/// quotes keep everything literally; double quotes keep everything but `\"`, `\\`, `` \` `` and
/// `\$` escapes; a backslash outside quotes escapes the next character.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed single quote".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '`' | '$')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed double quote".to_owned()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed double quote".to_owned()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("trailing backslash".to_owned()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("empty command".to_owned());
    }
    Ok(words)
}

/// Runs `argv` as the publisher of `name` until the relay shuts down, restarting it when it
/// exits (see the module documentation).
pub async fn run(app: Arc<App>, name: String, argv: Vec<String>) {
    let mut backoff = FIRST_BACKOFF;
    let mut starts = 0u64;
    while !app.cancel.is_cancelled() {
        starts += 1;
        let started = Instant::now();
        match spawn(&argv) {
            Ok(child) => {
                let pid = child.id().unwrap_or(0);
                info!(stream = %name, pid, start = starts, command = %argv.join(" "), "source started");
                let why = publish(&app, &name, pid, child).await;
                info!(stream = %name, pid, why, "source ended");
            }
            Err(e) => {
                warn!(stream = %name, start = starts, command = %argv.join(" "), error = %e, "source could not be started");
            }
        }
        if app.cancel.is_cancelled() {
            break;
        }
        if started.elapsed() >= STABLE_RUN {
            backoff = FIRST_BACKOFF;
        }
        info!(stream = %name, delay = ?backoff, "source will be restarted");
        tokio::select! {
            () = app.cancel.cancelled() => break,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn spawn(argv: &[String]) -> std::io::Result<Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
}

/// Publishes the child's stdout until it ends or the relay shuts down, then kills and reaps
/// the child. Returns how it ended.
async fn publish(app: &App, name: &str, pid: u32, mut child: Child) -> String {
    if let Some(stderr) = child.stderr.take() {
        app.tracker.spawn(log_lines(stderr, name.to_owned(), pid));
    }
    let why = match child.stdout.take() {
        Some(stdout) => {
            crate::ingest::pump_reader(app, name, &format!("source:{pid}"), stdout).await
        }
        None => "no stdout",
    };
    // Normally it has exited (its stdout ended); otherwise (shutdown, refused) stop it.
    let exited = if app.cancel.is_cancelled() {
        None
    } else {
        tokio::time::timeout(Duration::from_millis(100), child.wait())
            .await
            .ok()
    };
    let status = if let Some(status) = exited {
        status
    } else {
        let _ = child.start_kill();
        let Ok(status) = tokio::time::timeout(KILL_WAIT, child.wait()).await else {
            return format!("{why}; not reaped in time");
        };
        status
    };
    match status {
        Ok(s) => format!("{why}; {s}"),
        Err(e) => format!("{why}; wait failed: {e}"),
    }
}

/// Logs the lines of a source's standard error (`\n` or `\r` ends a line; long lines are cut).
async fn log_lines<R: AsyncRead + Unpin>(mut stderr: R, name: String, pid: u32) {
    let mut buf = vec![0u8; 4096];
    let mut line: Vec<u8> = Vec::new();
    let mut cut = false;
    loop {
        let n = match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                if !line.is_empty() {
                    info!(target: "wasmpeg_relay::source", stream = %name, pid, "{}", String::from_utf8_lossy(&line));
                    line.clear();
                }
                cut = false;
            } else if line.len() < MAX_LINE {
                line.push(b);
            } else if !cut {
                cut = true;
                line.extend_from_slice("…".as_bytes());
            }
        }
    }
    if !line.is_empty() {
        info!(target: "wasmpeg_relay::source", stream = %name, pid, "{}", String::from_utf8_lossy(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_command(r#"ffmpeg -i "a b.ts" -vf 'scale=1:2,fps=25' -metadata t=\"x\" -"#)
                .unwrap(),
            [
                "ffmpeg",
                "-i",
                "a b.ts",
                "-vf",
                "scale=1:2,fps=25",
                "-metadata",
                "t=\"x\"",
                "-"
            ]
        );
        assert_eq!(split_command(r#"a "" b"#).unwrap(), ["a", "", "b"]);
        assert!(split_command("a 'b").is_err());
        assert!(split_command("  ").is_err());
    }
}
