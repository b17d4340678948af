//! The error type shared by every part of the decoder.

use core::fmt;

/// Everything that can go wrong while demuxing or decoding.
///
/// Errors are reported and the decoder resynchronises; none of them is fatal to the decoder
/// object, which keeps accepting data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bitstream violates the standard; the string says where.
    InvalidData(&'static str),
    /// A picture is larger than the configured limit (`DecoderConfig::max_width`/`max_height`).
    PictureTooLarge {
        /// `horizontal_size` from the sequence header.
        width: u32,
        /// `vertical_size` from the sequence header.
        height: u32,
    },
    /// The input ended in the middle of a structure.
    UnexpectedEnd,
    /// A feature of the stream that this decoder does not decode (for example MPEG-2 video).
    Unsupported(&'static str),
    /// The container could not be recognised from its first bytes.
    UnknownContainer,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidData(what) => write!(f, "invalid data: {what}"),
            Error::PictureTooLarge { width, height } => {
                write!(f, "picture size {width}x{height} exceeds the configured limit")
            }
            Error::UnexpectedEnd => f.write_str("unexpected end of data"),
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            Error::UnknownContainer => f.write_str(
                "not an MPEG stream: expected MPEG-TS, MPEG-PS, an MPEG-1 video or an MPEG audio elementary stream",
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Shorthand for results in this crate.
pub type Result<T> = core::result::Result<T, Error>;
