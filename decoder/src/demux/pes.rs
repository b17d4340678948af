//! PES packet headers, shared by the transport-stream and program-stream demuxers.
//!
//! Both header syntaxes are read: MPEG-2 (ISO/IEC 13818-1, a `10` marker then flags and
//! `PES_header_data_length`) and MPEG-1 (ISO/IEC 11172-1: `0xFF` stuffing, an optional `01`
//! STD-buffer field, then `0010` PTS, `0011` PTS + DTS or `0000 1111` for none). The first byte
//! after the length field tells them apart.

use super::StreamKind;

/// The longest PES header: 9 fixed bytes of MPEG-2 syntax plus 255 bytes of optional fields.
pub(crate) const MAX_PES_HEADER_LEN: usize = 9 + 255;

/// The most `0xFF` stuffing bytes an MPEG-1 PES header may carry.
const MAX_MPEG1_STUFFING: usize = 16;

/// Whether a PES `stream_id` carries MPEG audio or video.
pub(crate) fn media_kind(stream_id: u8) -> Option<StreamKind> {
    match stream_id {
        0xC0..=0xDF => Some(StreamKind::Audio),
        0xE0..=0xEF => Some(StreamKind::Video),
        _ => None,
    }
}

/// The parsed fixed part of a PES packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PesHeader {
    /// The `stream_id` byte after the start code prefix.
    pub stream_id: u8,
    /// `PES_packet_length`: the bytes after the length field, 0 meaning unbounded.
    pub packet_length: usize,
    /// Bytes from the start code to the first payload byte.
    pub header_len: usize,
    /// Presentation time stamp, 33 bits.
    pub pts: Option<u64>,
    /// Decoding time stamp, 33 bits.
    pub dts: Option<u64>,
}

impl PesHeader {
    /// How many payload bytes follow the header, when the packet length is bounded.
    pub fn payload_len(&self) -> Option<usize> {
        // `parse_pes_header` guarantees the header fits inside a bounded packet.
        (self.packet_length != 0).then(|| 6 + self.packet_length - self.header_len)
    }
}

/// The outcome of reading a PES header from the bytes received so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderParse {
    /// The header is complete.
    Complete(PesHeader),
    /// More bytes are needed.
    Incomplete,
    /// The bytes are not a valid PES header.
    Malformed,
}

/// Reads a PES header from `bytes`, which start at the `00 00 01` start code prefix.
pub(crate) fn parse_pes_header(bytes: &[u8]) -> HeaderParse {
    match try_parse(bytes) {
        Ok(header) => HeaderParse::Complete(header),
        Err(outcome) => outcome,
    }
}

/// Hands out header bytes, failing with `Incomplete` when they have not arrived yet and with
/// `Malformed` when the header would run past the end of its own packet.
struct HeaderBytes<'a> {
    bytes: &'a [u8],
    /// Where the packet ends (`PES_packet_length` + 6), if bounded.
    packet_end: Option<usize>,
}

impl HeaderBytes<'_> {
    fn get(&self, range: core::ops::Range<usize>) -> Result<&[u8], HeaderParse> {
        if self.packet_end.is_some_and(|end| range.end > end) {
            return Err(HeaderParse::Malformed);
        }
        self.bytes.get(range).ok_or(HeaderParse::Incomplete)
    }

    fn byte(&self, at: usize) -> Result<u8, HeaderParse> {
        Ok(self.get(at..at + 1)?[0])
    }
}

fn try_parse(bytes: &[u8]) -> Result<PesHeader, HeaderParse> {
    let prefix_len = bytes.len().min(3);
    if bytes[..prefix_len] != [0, 0, 1][..prefix_len] {
        return Err(HeaderParse::Malformed);
    }
    let fixed = bytes.get(..6).ok_or(HeaderParse::Incomplete)?;
    let stream_id = fixed[3];
    let packet_length = usize::from(u16::from_be_bytes([fixed[4], fixed[5]]));
    let reader = HeaderBytes {
        bytes,
        packet_end: (packet_length != 0).then_some(6 + packet_length),
    };
    let mut header = PesHeader {
        stream_id,
        packet_length,
        header_len: 6,
        pts: None,
        dts: None,
    };
    if !has_optional_header(stream_id) {
        return Ok(header);
    }
    if reader.byte(6)? & 0xC0 == 0x80 {
        read_mpeg2_fields(&reader, &mut header)?;
    } else {
        read_mpeg1_fields(&reader, &mut header)?;
    }
    Ok(header)
}

/// Stream ids whose PES packets carry the optional header fields (the others go straight to the
/// payload: program stream map, padding, private stream 2, ECM, EMM, DSM-CC, H.222.1 type E,
/// program stream directory).
fn has_optional_header(stream_id: u8) -> bool {
    !matches!(
        stream_id,
        0xBC | 0xBE | 0xBF | 0xF0 | 0xF1 | 0xF2 | 0xF8 | 0xFF
    )
}

/// MPEG-2 syntax: `10` marker byte, flags, `PES_header_data_length`, optional fields.
fn read_mpeg2_fields(reader: &HeaderBytes<'_>, header: &mut PesHeader) -> Result<(), HeaderParse> {
    let fixed = reader.get(6..9)?;
    let pts_dts_flags = fixed[1] >> 6;
    let header_len = 9 + usize::from(fixed[2]);
    let fields = reader.get(9..header_len)?;
    match pts_dts_flags {
        0b10 => {
            let pts = fields.get(..5).ok_or(HeaderParse::Malformed)?;
            header.pts = Some(read_timestamp(pts));
        }
        0b11 => {
            let both = fields.get(..10).ok_or(HeaderParse::Malformed)?;
            header.pts = Some(read_timestamp(&both[..5]));
            header.dts = Some(read_timestamp(&both[5..]));
        }
        // 0b01 is forbidden; such a header is read as carrying no timestamps.
        _ => {}
    }
    header.header_len = header_len;
    Ok(())
}

/// MPEG-1 syntax: stuffing, optional STD buffer size, then the timestamp field.
fn read_mpeg1_fields(reader: &HeaderBytes<'_>, header: &mut PesHeader) -> Result<(), HeaderParse> {
    let mut at = 6;
    while reader.byte(at)? == 0xFF {
        at += 1;
        if at - 6 > MAX_MPEG1_STUFFING {
            return Err(HeaderParse::Malformed);
        }
    }
    if reader.byte(at)? & 0xC0 == 0x40 {
        // '01' STD_buffer_scale and STD_buffer_size.
        at += 2;
    }
    let marker = reader.byte(at)?;
    match marker >> 4 {
        0b0010 => {
            header.pts = Some(read_timestamp(reader.get(at..at + 5)?));
            at += 5;
        }
        0b0011 => {
            let both = reader.get(at..at + 10)?;
            header.pts = Some(read_timestamp(&both[..5]));
            header.dts = Some(read_timestamp(&both[5..]));
            at += 10;
        }
        _ if marker == 0x0F => at += 1,
        _ => return Err(HeaderParse::Malformed),
    }
    header.header_len = at;
    Ok(())
}

/// Reads a 33-bit timestamp from its 5-byte field (4 prefix bits, then 3 + 15 + 15 bits, each
/// group followed by a marker bit). Marker bits are not checked.
fn read_timestamp(field: &[u8]) -> u64 {
    let b = |i: usize| u64::from(field[i]);
    ((b(0) >> 1) & 0x07) << 30 | b(1) << 22 | (b(2) >> 1) << 15 | b(3) << 7 | b(4) >> 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demux::test_support::{mpeg1_pes, pes_header, Timestamps};

    #[test]
    fn reads_mpeg2_header_with_pts_and_dts() {
        let bytes = pes_header(0xE0, 100, Timestamps::Both(0x1_2345_6789, 0x0_8765_4321));
        let HeaderParse::Complete(header) = parse_pes_header(&bytes) else {
            panic!("not complete");
        };
        assert_eq!(header.stream_id, 0xE0);
        assert_eq!(header.pts, Some(0x1_2345_6789));
        assert_eq!(header.dts, Some(0x0_8765_4321));
        assert_eq!(header.header_len, 19);
        assert_eq!(header.payload_len(), Some(100));
    }

    #[test]
    fn reads_mpeg2_header_without_timestamps_and_unbounded() {
        let mut bytes = pes_header(0xE1, 0, Timestamps::None);
        bytes[4] = 0;
        bytes[5] = 0;
        let HeaderParse::Complete(header) = parse_pes_header(&bytes) else {
            panic!("not complete");
        };
        assert_eq!((header.pts, header.dts, header.header_len), (None, None, 9));
        assert_eq!(header.payload_len(), None);
    }

    #[test]
    fn reads_all_mpeg1_variants() {
        let payload = [1u8, 2, 3];
        let cases = [
            (Timestamps::None, 0, None, None),
            (Timestamps::Pts(90_000), 3, Some(90_000), None),
            (
                Timestamps::Both(0x1_FFFF_FFFF, 7),
                0,
                Some(0x1_FFFF_FFFF),
                Some(7),
            ),
        ];
        for (timestamps, stuffing, pts, dts) in cases {
            for std_buffer in [false, true] {
                let bytes = mpeg1_pes(0xC1, stuffing, std_buffer, timestamps, &payload);
                let HeaderParse::Complete(header) = parse_pes_header(&bytes) else {
                    panic!("not complete");
                };
                assert_eq!((header.pts, header.dts), (pts, dts));
                assert_eq!(&bytes[header.header_len..], &payload);
                assert_eq!(header.payload_len(), Some(payload.len()));
            }
        }
    }

    #[test]
    fn every_truncation_is_incomplete() {
        let bytes = pes_header(0xE0, 0, Timestamps::Both(1, 2));
        for len in 0..bytes.len() {
            assert_eq!(
                parse_pes_header(&bytes[..len]),
                HeaderParse::Incomplete,
                "{len}"
            );
        }
        let bytes = mpeg1_pes(0xC0, 2, true, Timestamps::Both(1, 2), &[]);
        for len in 0..bytes.len() {
            assert_eq!(
                parse_pes_header(&bytes[..len]),
                HeaderParse::Incomplete,
                "{len}"
            );
        }
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(parse_pes_header(&[0, 0, 2]), HeaderParse::Malformed);
        assert_eq!(parse_pes_header(&[1]), HeaderParse::Malformed);
        // MPEG-1 syntax with an invalid marker nibble.
        assert_eq!(
            parse_pes_header(&[0, 0, 1, 0xC0, 0, 3, 0x50, 0, 0x5F]),
            HeaderParse::Malformed
        );
        // Too much stuffing.
        let mut bytes = [0xFFu8; 30];
        bytes[..6].copy_from_slice(&[0, 0, 1, 0xE0, 0, 24]);
        assert_eq!(parse_pes_header(&bytes), HeaderParse::Malformed);
        // A header longer than its packet.
        let mut bytes = pes_header(0xE0, 0, Timestamps::Pts(5));
        bytes[5] = 4;
        assert_eq!(parse_pes_header(&bytes), HeaderParse::Malformed);
        // PTS flag without room for the PTS.
        assert_eq!(
            parse_pes_header(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 2, 0x21, 0]),
            HeaderParse::Malformed
        );
    }

    #[test]
    fn padding_has_no_optional_header() {
        let HeaderParse::Complete(header) = parse_pes_header(&[0, 0, 1, 0xBE, 0, 4]) else {
            panic!("not complete");
        };
        assert_eq!((header.header_len, header.payload_len()), (6, Some(4)));
    }
}
