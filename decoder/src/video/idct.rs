//! Placeholder: replaced by the IEEE 1180 conformant IDCT.

/// In-place 8x8 inverse DCT.
pub fn idct(block: &mut [i32; 64]) {
    let _ = block;
}
