//! Placeholder.
use super::ContainerFormat;

/// Guesses the container from the first bytes of a stream.
pub fn detect_container(prefix: &[u8]) -> Option<ContainerFormat> {
    let _ = prefix;
    None
}
