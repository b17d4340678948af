//! Deterministic ways of damaging a stream, driven by [`Lcg`].

use crate::Lcg;

/// The MPEG-TS packet size.
pub const TS_PACKET: usize = 188;

/// `count` distinct indices in `0..n`, in increasing order.
fn distinct(rng: &mut Lcg, n: usize, count: usize) -> Vec<usize> {
    assert!(count <= n, "cannot pick {count} of {n}");
    let mut picked: Vec<usize> = Vec::with_capacity(count);
    while picked.len() < count {
        let i = rng.below(n);
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    picked
}

/// Flips `count` bytes at distinct pseudo-random positions (each XORed with a non-zero
/// value). Returns the damaged copy and the positions.
pub fn flip_bytes(data: &[u8], count: usize, seed: u64) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Lcg::new(seed);
    let positions = distinct(&mut rng, data.len(), count);
    let mut out = data.to_vec();
    for &p in &positions {
        out[p] ^= rng.byte() | 1;
    }
    (out, positions)
}

/// Removes `count` whole 188-byte packets at pseudo-random places. Returns the damaged copy and
/// the indices of the dropped packets.
pub fn drop_ts_packets(data: &[u8], count: usize, seed: u64) -> (Vec<u8>, Vec<usize>) {
    assert!(
        data.len() % TS_PACKET == 0 && data.first() == Some(&0x47),
        "not a packet-aligned transport stream"
    );
    let packets = data.len() / TS_PACKET;
    let mut rng = Lcg::new(seed);
    let dropped = distinct(&mut rng, packets, count);
    let out = data
        .chunks(TS_PACKET)
        .enumerate()
        .filter(|(i, _)| dropped.binary_search(i).is_err())
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    (out, dropped)
}

fn garbage(rng: &mut Lcg, max_len: usize) -> Vec<u8> {
    let len = 1 + rng.below(max_len);
    (0..len).map(|_| rng.byte()).collect()
}

/// Inserts runs of 1..=`max_len` pseudo-random bytes at `count` of the given offsets.
fn insert_at(
    data: &[u8],
    boundaries: &[usize],
    count: usize,
    max_len: usize,
    seed: u64,
) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Lcg::new(seed);
    let chosen: Vec<usize> = distinct(&mut rng, boundaries.len(), count)
        .into_iter()
        .map(|i| boundaries[i])
        .collect();
    let mut out = Vec::with_capacity(data.len() + count * max_len);
    let mut pos = 0;
    for &at in &chosen {
        out.extend_from_slice(&data[pos..at]);
        out.extend(garbage(&mut rng, max_len));
        pos = at;
    }
    out.extend_from_slice(&data[pos..]);
    (out, chosen)
}

/// Inserts runs of 1..=`max_len` pseudo-random bytes between transport packets, before
/// `count` pseudo-randomly chosen packets (never the first). Returns the damaged copy and the
/// original offsets where garbage went.
pub fn garbage_between_ts_packets(
    data: &[u8],
    count: usize,
    max_len: usize,
    seed: u64,
) -> (Vec<u8>, Vec<usize>) {
    assert!(
        data.len() % TS_PACKET == 0,
        "not a packet-aligned transport stream"
    );
    let boundaries: Vec<usize> = (1..data.len() / TS_PACKET).map(|i| i * TS_PACKET).collect();
    insert_at(data, &boundaries, count, max_len, seed)
}

/// Inserts runs of 1..=`max_len` pseudo-random bytes before `count` pseudo-randomly chosen
/// pack headers (`00 00 01 BA`, never the first) of a program stream.
pub fn garbage_between_ps_packs(
    data: &[u8],
    count: usize,
    max_len: usize,
    seed: u64,
) -> (Vec<u8>, Vec<usize>) {
    let boundaries: Vec<usize> = data
        .windows(4)
        .enumerate()
        .filter(|(i, w)| *i > 0 && *w == [0, 0, 1, 0xBA])
        .map(|(i, _)| i)
        .collect();
    assert!(
        boundaries.len() >= count,
        "only {} pack headers",
        boundaries.len()
    );
    insert_at(data, &boundaries, count, max_len, seed)
}

/// Removes the given byte ranges (sorted, not overlapping) from `data`.
pub fn remove_ranges(data: &[u8], ranges: &[std::ops::Range<usize>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut pos = 0;
    for r in ranges {
        assert!(
            r.start >= pos && r.end <= data.len() && r.start <= r.end,
            "ranges must be sorted, disjoint and inside the data"
        );
        out.extend_from_slice(&data[pos..r.start]);
        pos = r.end;
    }
    out.extend_from_slice(&data[pos..]);
    out
}

/// `len` pseudo-random bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg::new(seed);
    (0..len).map(|_| rng.byte()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_deterministic_and_as_asked() {
        let ts: Vec<u8> = (0..20 * TS_PACKET)
            .map(|i| {
                if i % TS_PACKET == 0 {
                    0x47
                } else {
                    (i / TS_PACKET) as u8
                }
            })
            .collect();
        let (a, pa) = flip_bytes(&ts, 5, 7);
        let (b, pb) = flip_bytes(&ts, 5, 7);
        assert_eq!((&a, &pa), (&b, &pb));
        assert_eq!(a.iter().zip(&ts).filter(|(x, y)| x != y).count(), 5);

        let (d, dropped) = drop_ts_packets(&ts, 3, 1);
        assert_eq!(d.len(), 17 * TS_PACKET);
        assert_eq!(dropped.len(), 3);
        // The survivors are whole packets in order.
        let kept: Vec<u8> = d.chunks(TS_PACKET).map(|p| p[1]).collect();
        assert_eq!(kept.len(), 17);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));

        let (g, at) = garbage_between_ts_packets(&ts, 4, 50, 3);
        assert!(g.len() > ts.len() && g.len() <= ts.len() + 200);
        assert!(at.iter().all(|&o| o % TS_PACKET == 0 && o > 0));
    }
}
