//! Reading the input file or standard input in chunks.

use std::fs::File;
use std::io::{self, Read};

use anyhow::Context;

/// Bytes read per `push` into the decoder.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// An open input: a file or standard input.
pub struct Input {
    /// The name used in messages (`stdin` for `-`).
    pub name: String,
    reader: Box<dyn Read>,
}

impl Input {
    /// Opens `arg` (`-` is standard input). A missing file gives the OS error, with the name.
    pub fn open(arg: &str) -> anyhow::Result<Input> {
        if arg == "-" {
            return Ok(Input {
                name: "stdin".to_owned(),
                reader: Box::new(io::stdin().lock()),
            });
        }
        let file = File::open(arg).with_context(|| arg.to_owned())?;
        Ok(Input {
            name: arg.to_owned(),
            reader: Box::new(file),
        })
    }

    /// Reads the next chunk into `buf` (resized to what was read); `false` at the end.
    pub fn read_chunk(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<bool> {
        buf.resize(CHUNK_SIZE, 0);
        loop {
            match self.reader.read(buf) {
                Ok(n) => {
                    buf.truncate(n);
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.clear();
                    return Err(anyhow::Error::new(e).context(self.name.clone()));
                }
            }
        }
    }
}
