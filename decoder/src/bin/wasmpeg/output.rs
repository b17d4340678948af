//! What the output writers share: where the data goes, numbered follow-up files and I/O errors.

use std::io;
use std::path::{Path, PathBuf};

use crate::StdoutClosed;

/// Where an output stream goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (cannot be split into several files).
    Stdout,
    /// A file; when the stream's format changes, the following data goes to `NAME-2.EXT`,
    /// `NAME-3.EXT`...
    File(PathBuf),
}

/// `OUT.ext` for the first file, `OUT-2.ext`, `OUT-3.ext`... for the next ones.
pub fn numbered_path(base: &Path, index: u32) -> PathBuf {
    if index <= 1 {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}-{index}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{index}"),
    };
    base.with_file_name(name)
}

/// Label used in messages for standard output.
pub const STDOUT_LABEL: &str = "stdout";

/// Wraps a write error with the output's name; a closed standard output becomes
/// [`StdoutClosed`] (a quiet, successful stop).
pub fn io_error(e: io::Error, label: &str) -> anyhow::Error {
    if label == STDOUT_LABEL && e.kind() == io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(e).context(label.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_paths() {
        let base = Path::new("dir/out.y4m");
        assert_eq!(numbered_path(base, 1), PathBuf::from("dir/out.y4m"));
        assert_eq!(numbered_path(base, 2), PathBuf::from("dir/out-2.y4m"));
        assert_eq!(numbered_path(base, 12), PathBuf::from("dir/out-12.y4m"));
        assert_eq!(
            numbered_path(Path::new("a.b.Y4M"), 3),
            PathBuf::from("a.b-3.Y4M")
        );
        assert_eq!(
            numbered_path(Path::new("sound.wav"), 2),
            PathBuf::from("sound-2.wav")
        );
        assert_eq!(
            numbered_path(Path::new("noext"), 2),
            PathBuf::from("noext-2")
        );
    }
}
