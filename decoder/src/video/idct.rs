//! Temporary matrix IDCT (to be replaced by the IEEE 1180 conformant one).

const BASIS: [[i64; 8]; 8] = [
    [23170, 32138, 30274, 27246, 23170, 18205, 12540, 6393],
    [23170, 27246, 12540, -6393, -23170, -32138, -30274, -18205],
    [23170, 18205, -12540, -32138, -23170, 6393, 30274, 27246],
    [23170, 6393, -30274, -18205, 23170, 27246, -12540, -32138],
    [23170, -6393, -30274, 18205, 23170, -27246, -12540, 32138],
    [23170, -18205, -12540, 32138, -23170, -6393, 30274, -27246],
    [23170, -27246, 12540, 6393, -23170, 32138, -30274, 18205],
    [23170, -32138, 30274, -27246, 23170, -18205, 12540, -6393],
];

/// In-place 8x8 inverse DCT.
pub fn idct(block: &mut [i32; 64]) {
    let mut tmp = [0i64; 64];
    for y in 0..8 {
        for x in 0..8 {
            let mut s = 0i64;
            for u in 0..8 {
                s += BASIS[x][u] * i64::from(block[y * 8 + u]);
            }
            tmp[y * 8 + x] = s;
        }
    }
    for x in 0..8 {
        for y in 0..8 {
            let mut s = 0i64;
            for v in 0..8 {
                s += BASIS[y][v] * tmp[v * 8 + x];
            }
            let r = (s + (1 << 31)) >> 32;
            block[y * 8 + x] = r as i32;
        }
    }
}

/// Output value of a DC-only block.
pub fn idct_dc_only(dc: i32) -> i32 {
    let mut b = [0i32; 64];
    b[0] = dc;
    idct(&mut b);
    b[0]
}
