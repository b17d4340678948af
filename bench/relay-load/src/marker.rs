//! Latency markers carried inside the MPEG-1 video elementary stream, and a transport stream
//! scanner that finds them again on the viewer side.
//!
//! A marker is an MPEG-1 `user_data` unit placed in front of every picture (before its
//! sequence, GOP or picture header):
//!
//! ```text
//! 00 00 01 B2  'W' 'P' 'G' 'L'  SEQ (8 hex digits)  SEND_NS (16 hex digits)
//! ```
//!
//! The fields are ASCII hex so that they can never contain a start code prefix (`00 00 01`).
//! Because the unit belongs to the video elementary stream, it survives relays that forward
//! bytes (wasmpeg-relay, JSMpeg's websocket-relay.js) and also an ffmpeg stream copy
//! (`-c:v copy`, as node-rtsp-stream runs it in this benchmark): ffmpeg's MPEG video parser
//! starts each picture's packet at the marker, so the marker opens the picture's PES packet,
//! in a transport packet with `payload_unit_start_indicator` set.

/// The bytes every marker starts with: the user_data start code and a magic.
pub const MAGIC: &[u8; 8] = b"\x00\x00\x01\xb2WPGL";
/// Length of a whole marker.
pub const LEN: usize = MAGIC.len() + 8 + 16;
/// Size of a transport stream packet.
pub const TS_PACKET: usize = 188;
const SYNC: u8 = 0x47;

/// A marker with a zero sequence number and time, to be inserted into a stream and stamped
/// later with [`stamp`].
pub fn placeholder() -> [u8; LEN] {
    let mut m = [b'0'; LEN];
    m[..MAGIC.len()].copy_from_slice(MAGIC);
    m
}

fn put_hex(out: &mut [u8], mut v: u64) {
    for b in out.iter_mut().rev() {
        *b = b"0123456789ABCDEF"[(v & 15) as usize];
        v >>= 4;
    }
}

fn get_hex(input: &[u8]) -> Option<u64> {
    input.iter().try_fold(0u64, |acc, &b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some((acc << 4) | u64::from(d))
    })
}

/// Writes a sequence number and a send time (nanoseconds) into the marker that starts at
/// `marker[0]`.
pub fn stamp(marker: &mut [u8], seq: u32, send_ns: u64) {
    put_hex(&mut marker[MAGIC.len()..MAGIC.len() + 8], u64::from(seq));
    put_hex(&mut marker[MAGIC.len() + 8..LEN], send_ns);
}

/// Reads a marker: its sequence number and send time, or `None` if `bytes` does not start
/// with a valid one.
pub fn parse(bytes: &[u8]) -> Option<(u32, u64)> {
    if bytes.len() < LEN || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let seq = get_hex(&bytes[MAGIC.len()..MAGIC.len() + 8])?;
    let ns = get_hex(&bytes[MAGIC.len() + 8..LEN])?;
    Some((u32::try_from(seq).ok()?, ns))
}

/// Inserts a [`placeholder`] marker in front of every picture of an MPEG-1 video elementary
/// stream: before the first sequence, GOP or picture header that follows a picture's slices
/// (and before the first header of the stream). Returns the new stream and the number of
/// markers.
pub fn insert_into_video_es(es: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(es.len() + es.len() / 100);
    let mut copied = 0;
    let mut after_slices = true;
    let mut count = 0;
    let mut i = 0;
    while i + 3 < es.len() {
        if es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1 {
            i += 1;
            continue;
        }
        let code = es[i + 3];
        if (0x01..=0xaf).contains(&code) {
            after_slices = true;
        } else if matches!(code, 0x00 | 0xb3 | 0xb8) && after_slices {
            out.extend_from_slice(&es[copied..i]);
            out.extend_from_slice(&placeholder());
            copied = i;
            after_slices = false;
            count += 1;
        }
        i += 4;
    }
    out.extend_from_slice(&es[copied..]);
    (out, count)
}

/// Finds the markers of a transport stream (whole packets from offset 0): the byte offset of
/// each marker, in stream order. Only packets that start a PES are searched.
pub fn find_in_ts(ts: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    for (n, pkt) in ts.chunks_exact(TS_PACKET).enumerate() {
        if pkt[0] == SYNC && pkt[1] & 0x40 != 0 {
            if let Some(k) = find_magic(&pkt[4..]) {
                if 4 + k + LEN <= TS_PACKET {
                    found.push(n * TS_PACKET + 4 + k);
                }
            }
        }
    }
    found
}

fn find_magic(hay: &[u8]) -> Option<usize> {
    hay.windows(MAGIC.len()).position(|w| w == MAGIC)
}

/// Reassembles transport packets from messages cut anywhere (JSMpeg's relay forwards its HTTP
/// body chunks as they come; node-rtsp-stream forwards ffmpeg's stdout reads and first sends
/// an 8-byte `jsmp` header) and reports the markers found.
#[derive(Debug)]
pub struct TsScanner {
    carry: [u8; TS_PACKET],
    carry_len: usize,
    /// Bytes skipped while looking for packet sync.
    pub skipped: u64,
}

impl Default for TsScanner {
    fn default() -> Self {
        TsScanner {
            carry: [0; TS_PACKET],
            carry_len: 0,
            skipped: 0,
        }
    }
}

impl TsScanner {
    /// Scans one message; calls `found(seq, send_ns)` for every marker in it.
    pub fn push(&mut self, mut data: &[u8], mut found: impl FnMut(u32, u64)) {
        if self.carry_len > 0 {
            let take = (TS_PACKET - self.carry_len).min(data.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&data[..take]);
            self.carry_len += take;
            data = &data[take..];
            if self.carry_len < TS_PACKET {
                return;
            }
            self.carry_len = 0;
            let pkt = self.carry;
            packet(&pkt, &mut found);
        }
        while !data.is_empty() {
            if data[0] != SYNC {
                let skip = data.iter().position(|&b| b == SYNC).unwrap_or(data.len());
                self.skipped += skip as u64;
                data = &data[skip..];
                continue;
            }
            if data.len() < TS_PACKET {
                self.carry[..data.len()].copy_from_slice(data);
                self.carry_len = data.len();
                return;
            }
            packet(&data[..TS_PACKET], &mut found);
            data = &data[TS_PACKET..];
        }
    }
}

fn packet(pkt: &[u8], found: &mut impl FnMut(u32, u64)) {
    if pkt[1] & 0x40 == 0 {
        return;
    }
    if let Some(k) = find_magic(&pkt[4..]) {
        if let Some((seq, ns)) = parse(&pkt[4 + k..]) {
            found(seq, ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_and_parse_round_trip() {
        let mut m = placeholder();
        assert_eq!(parse(&m), Some((0, 0)));
        stamp(&mut m, 0xdead_beef, 0x0123_4567_89ab_cdef);
        assert_eq!(parse(&m), Some((0xdead_beef, 0x0123_4567_89ab_cdef)));
        // No start code emulation in the fields.
        assert!(!m[3..].windows(3).any(|w| w == [0, 0, 1]));
        assert_eq!(parse(&m[1..]), None);
        m[10] = b'x';
        assert_eq!(parse(&m), None);
    }

    #[test]
    fn insertion_before_each_picture() {
        // seq, gop, picture, slice, picture, slice, seq, picture, slice
        let es: Vec<u8> = [0xb3u8, 0xb8, 0x00, 0x01, 0x00, 0x01, 0xb3, 0x00, 0x01]
            .iter()
            .flat_map(|&c| [0, 0, 1, c, 0xff])
            .collect();
        let (out, n) = insert_into_video_es(&es);
        assert_eq!(n, 3);
        assert_eq!(out.len(), es.len() + 3 * LEN);
        assert_eq!(&out[..MAGIC.len()], MAGIC);
        assert_eq!(&out[LEN..LEN + 4], &[0, 0, 1, 0xb3]);
    }

    #[test]
    fn scanner_reassembles_split_packets() {
        let mut pkt = [0xffu8; TS_PACKET];
        pkt[..4].copy_from_slice(&[SYNC, 0x41, 0x00, 0x10]);
        let mut m = placeholder();
        stamp(&mut m, 7, 42);
        pkt[20..20 + LEN].copy_from_slice(&m);
        let mut stream = b"jsmp\x02\x80\x01\x68".to_vec();
        stream.extend_from_slice(&pkt);
        stream.extend_from_slice(&pkt);
        assert_eq!(find_in_ts(&pkt), vec![20]);
        for cut in [1, 5, 8, 100, 196, 300] {
            let mut s = TsScanner::default();
            let mut got = Vec::new();
            s.push(&stream[..cut], |q, t| got.push((q, t)));
            s.push(&stream[cut..], |q, t| got.push((q, t)));
            assert_eq!(got, vec![(7, 42), (7, 42)], "cut at {cut}");
            assert_eq!(s.skipped, 8);
        }
    }
}
