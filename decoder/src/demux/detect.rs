//! Recognising the container from the first bytes of a stream.
//!
//! The signatures, tried at the very start of the stream:
//!
//! - MPEG-TS: sync bytes `0x47` at 0, 188, 376 (as far as the bytes go);
//! - MPEG-PS: a pack header, `00 00 01 BA` then `0010` (MPEG-1) or `01` (MPEG-2);
//! - video elementary stream: a sequence header `00 00 01 B3`, possibly behind the 8-byte JSMpeg
//!   header (`jsmp`, width, height);
//! - audio elementary stream: an ID3v2 tag, or an MPEG audio frame header confirmed by a second
//!   one where the first frame ends.
//!
//! Failing those, a transport or program stream is looked for behind up to
//! [`MAX_LEADING_GARBAGE`] bytes of garbage.

use super::es::{id3_tag_len, ID3_HEADER_LEN, JSMP_HEADER_LEN, JSMP_MAGIC};
use super::mpeg_audio::parse_frame_header;
use super::ts::{check_sync, SyncCheck, SYNC_BYTE};
use super::ContainerFormat;

/// How far into the stream [`probe_container`] looks for a transport or program stream behind
/// garbage.
pub const MAX_LEADING_GARBAGE: usize = 1024;

/// An MPEG video sequence header start code.
const SEQUENCE_HEADER: [u8; 4] = [0, 0, 1, 0xB3];
/// An MPEG program stream pack header start code.
const PACK_HEADER: [u8; 4] = [0, 0, 1, 0xBA];

/// What [`probe_container`] makes of the first bytes of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The container was recognised.
    Format(ContainerFormat),
    /// The bytes so far may still turn out to be a known container: more are needed.
    NeedMoreData,
    /// The bytes are not a container this crate reads.
    Unrecognised,
}

/// Guesses the container from the first bytes of a stream, deciding on what `prefix` holds.
///
/// Same as [`probe_container`] with `at_end` set: `None` when the bytes are not recognised.
pub fn detect_container(prefix: &[u8]) -> Option<ContainerFormat> {
    match probe_container(prefix, true) {
        Probe::Format(format) => Some(format),
        Probe::NeedMoreData | Probe::Unrecognised => None,
    }
}

/// Recognises the container from the first bytes of a stream.
///
/// Without `at_end`, answers [`Probe::NeedMoreData`] while a signature is not confirmed yet (a
/// transport stream wants three sync bytes, an audio stream its second frame header) or while
/// fewer than [`MAX_LEADING_GARBAGE`] bytes rule nothing out. With `at_end` (no more bytes will
/// come), decides on what is there.
pub fn probe_container(prefix: &[u8], at_end: bool) -> Probe {
    let signatures: [(ContainerFormat, SignatureCheck); 4] = [
        (ContainerFormat::MpegTs, transport_stream_at),
        (ContainerFormat::MpegPs, pack_header_at),
        (ContainerFormat::VideoEs, video_stream_at),
        (ContainerFormat::AudioEs, audio_stream_at),
    ];
    // The signatures begin differently, so at most one can match or be pending.
    for (format, check) in signatures {
        match check(prefix, at_end) {
            Verdict::Yes => return Probe::Format(format),
            Verdict::Maybe => return Probe::NeedMoreData,
            Verdict::No => {}
        }
    }
    // Leading garbage: the first candidate that is not ruled out decides.
    let last_offset = prefix.len().saturating_sub(1).min(MAX_LEADING_GARBAGE);
    for offset in 1..=last_offset {
        let rest = &prefix[offset..];
        let candidate = match rest.first() {
            Some(&SYNC_BYTE) => (ContainerFormat::MpegTs, transport_stream_at(rest, at_end)),
            Some(0) => (
                ContainerFormat::MpegPs,
                confirmed_pack_header_at(rest, at_end),
            ),
            _ => continue,
        };
        match candidate {
            (format, Verdict::Yes) => return Probe::Format(format),
            (_, Verdict::Maybe) => return Probe::NeedMoreData,
            (_, Verdict::No) => {}
        }
    }
    if !at_end && prefix.len() <= MAX_LEADING_GARBAGE {
        Probe::NeedMoreData
    } else {
        Probe::Unrecognised
    }
}

/// Checks for one signature at the start of some bytes, given whether more bytes will come.
type SignatureCheck = fn(&[u8], bool) -> Verdict;

/// Whether a signature is at the start of some bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    /// Not decided by the bytes so far.
    Maybe,
}

impl Verdict {
    /// `No` instead of `Maybe` when no more bytes will come.
    fn settled(self, at_end: bool) -> Verdict {
        match self {
            Verdict::Maybe if at_end => Verdict::No,
            other => other,
        }
    }

    /// The verdict on a signature that needs `self` and then `next`.
    fn and_then(self, next: impl FnOnce() -> Verdict) -> Verdict {
        match self {
            Verdict::Yes => next(),
            other => other,
        }
    }
}

/// Whether `bytes` begin with `signature`.
fn starts_with(bytes: &[u8], signature: &[u8], at_end: bool) -> Verdict {
    let common = bytes.len().min(signature.len());
    if bytes[..common] != signature[..common] {
        Verdict::No
    } else if common == signature.len() {
        Verdict::Yes
    } else {
        Verdict::Maybe.settled(at_end)
    }
}

fn transport_stream_at(bytes: &[u8], at_end: bool) -> Verdict {
    match check_sync(bytes, at_end) {
        SyncCheck::Confirmed => Verdict::Yes,
        SyncCheck::Refuted => Verdict::No,
        SyncCheck::Undecided => Verdict::Maybe,
    }
}

/// A pack header: its start code, then the MPEG-1 (`0010`) or MPEG-2 (`01`) marker bits.
fn pack_header_at(bytes: &[u8], at_end: bool) -> Verdict {
    starts_with(bytes, &PACK_HEADER, at_end).and_then(|| match bytes.get(4) {
        Some(b) if b >> 4 == 0b0010 || b >> 6 == 0b01 => Verdict::Yes,
        Some(_) => Verdict::No,
        None => Verdict::Maybe.settled(at_end),
    })
}

/// A pack header followed by another start code, which is evidence enough behind garbage.
fn confirmed_pack_header_at(bytes: &[u8], at_end: bool) -> Verdict {
    pack_header_at(bytes, at_end).and_then(|| {
        let pack_len = match bytes.get(4) {
            Some(b) if b >> 4 == 0b0010 => Some(12),
            _ => bytes
                .get(13)
                .map(|stuffing| 14 + usize::from(stuffing & 0x07)),
        };
        match pack_len.and_then(|len| bytes.get(len..)) {
            Some(next) => starts_with(next, &[0, 0, 1], at_end),
            None => Verdict::Maybe.settled(at_end),
        }
    })
}

/// A sequence header, possibly behind the JSMpeg header.
fn video_stream_at(bytes: &[u8], at_end: bool) -> Verdict {
    match starts_with(bytes, JSMP_MAGIC, at_end) {
        Verdict::No => starts_with(bytes, &SEQUENCE_HEADER, at_end),
        jsmp => jsmp.and_then(|| {
            let after_header = bytes.get(JSMP_HEADER_LEN..).unwrap_or(&[]);
            starts_with(after_header, &SEQUENCE_HEADER, at_end)
        }),
    }
}

/// An ID3v2 tag, or MPEG audio frames.
fn audio_stream_at(bytes: &[u8], at_end: bool) -> Verdict {
    let id3 = starts_with(bytes, b"ID3", at_end).and_then(|| {
        if bytes.len() < ID3_HEADER_LEN {
            Verdict::Maybe.settled(at_end)
        } else if id3_tag_len(bytes).is_some() {
            Verdict::Yes
        } else {
            Verdict::No
        }
    });
    match id3 {
        Verdict::No => audio_frames_at(bytes, at_end),
        other => other,
    }
}

/// A frame header, confirmed by a second matching one where the frame ends when the bytes go
/// that far.
fn audio_frames_at(bytes: &[u8], at_end: bool) -> Verdict {
    if bytes.len() < 4 {
        let may_be_sync = bytes.first().is_none_or(|&b| b == 0xFF)
            && bytes.get(1).is_none_or(|&b| b & 0xE0 == 0xE0);
        return if may_be_sync {
            Verdict::Maybe.settled(at_end)
        } else {
            Verdict::No
        };
    }
    let Some(first) = parse_frame_header(bytes) else {
        return Verdict::No;
    };
    match bytes.get(first.frame_len..) {
        Some(next) if next.len() >= 4 => match parse_frame_header(next) {
            Some(second)
                if (second.version, second.layer, second.sample_rate)
                    == (first.version, first.layer, first.sample_rate) =>
            {
                Verdict::Yes
            }
            _ => Verdict::No,
        },
        // A single frame header is all there is.
        _ if at_end => Verdict::Yes,
        _ => Verdict::Maybe,
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::demux::test_support::*;

    fn ts(packets: usize) -> Vec<u8> {
        (0..packets)
            .flat_map(|i| ts_packet(0x100, i as u8, TsOptions::default(), &[0x11; 184]))
            .collect()
    }

    /// Two MPEG-1 layer II frames (128 kbit/s, 48 kHz).
    fn mp2() -> Vec<u8> {
        let mut frames = Vec::new();
        for _ in 0..2 {
            frames.extend_from_slice(&[0xFF, 0xFD, 0x84, 0x00]);
            frames.resize(frames.len() + 380, 0x55);
        }
        frames
    }

    #[test]
    fn recognises_each_format() {
        let mpeg1_ps = [mpeg1_pack_header(0), system_header()].concat();
        let mpeg2_ps = [mpeg2_pack_header(2), system_header()].concat();
        let jsmp = [&b"jsmp\x00\x40\x00\x30"[..], &[0, 0, 1, 0xB3, 1]].concat();
        let id3 = b"ID3\x03\x00\x00\x00\x00\x00\x05hello";
        let cases: [(&[u8], ContainerFormat); 7] = [
            (&ts(3), ContainerFormat::MpegTs),
            (&mpeg1_ps, ContainerFormat::MpegPs),
            (&mpeg2_ps, ContainerFormat::MpegPs),
            (&[0, 0, 1, 0xB3, 0x04, 0x00], ContainerFormat::VideoEs),
            (&jsmp, ContainerFormat::VideoEs),
            (id3, ContainerFormat::AudioEs),
            (&mp2(), ContainerFormat::AudioEs),
        ];
        for (bytes, format) in cases {
            assert_eq!(
                probe_container(bytes, false),
                Probe::Format(format),
                "{format:?}"
            );
            assert_eq!(detect_container(bytes), Some(format), "{format:?}");
        }
    }

    #[test]
    fn waits_for_confirmation() {
        // One transport packet: maybe, until the end says that is all.
        let one = ts(1);
        assert_eq!(probe_container(&one, false), Probe::NeedMoreData);
        assert_eq!(
            probe_container(&one, true),
            Probe::Format(ContainerFormat::MpegTs)
        );
        assert_eq!(
            probe_container(&ts(3)[..377], false),
            Probe::Format(ContainerFormat::MpegTs)
        );
        assert_eq!(probe_container(&ts(3)[..376], false), Probe::NeedMoreData);
        // One audio frame header: maybe, until the second one or the end.
        let frames = mp2();
        assert_eq!(probe_container(&frames[..300], false), Probe::NeedMoreData);
        assert_eq!(
            probe_container(&frames[..300], true),
            Probe::Format(ContainerFormat::AudioEs)
        );
        let mut broken = frames.clone();
        broken[384] = 0;
        assert_eq!(probe_container(&broken, true), Probe::Unrecognised);
        // Prefixes of signatures.
        for prefix in [
            &[0u8][..],
            &[0, 0, 1],
            &[0, 0, 1, 0xBA],
            b"jsmp\0\0",
            b"ID3",
            &[0xFF],
        ] {
            assert_eq!(
                probe_container(prefix, false),
                Probe::NeedMoreData,
                "{prefix:?}"
            );
            assert_eq!(
                probe_container(prefix, true),
                Probe::Unrecognised,
                "{prefix:?}"
            );
        }
        assert_eq!(probe_container(&[], false), Probe::NeedMoreData);
        assert_eq!(detect_container(&[]), None);
    }

    #[test]
    fn tolerates_leading_garbage() {
        let mut stream = b"garbage!".to_vec();
        stream.extend_from_slice(&ts(4));
        assert_eq!(detect_container(&stream), Some(ContainerFormat::MpegTs));
        let mut stream = alloc::vec![0x12; 300];
        stream.extend_from_slice(&mpeg1_pack_header(0));
        stream.extend_from_slice(&system_header());
        assert_eq!(detect_container(&stream), Some(ContainerFormat::MpegPs));
        // Not beyond the limit.
        let mut stream = alloc::vec![0x12; MAX_LEADING_GARBAGE + 1];
        stream.extend_from_slice(&ts(4));
        assert_eq!(detect_container(&stream), None);
    }

    #[test]
    fn rejects_other_data() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0";
        let text = b"Hello, this is plain text and not an MPEG stream at all. ".repeat(40);
        let cases: [&[u8]; 5] = [png, &text, &[0; 2000], b"G", b"GIF89a"];
        for bytes in cases {
            assert_eq!(
                detect_container(bytes),
                None,
                "{:?}",
                &bytes[..bytes.len().min(8)]
            );
        }
        assert_eq!(probe_container(&text, false), Probe::Unrecognised);
        // Too short to rule anything out yet.
        assert_eq!(probe_container(png, false), Probe::NeedMoreData);
    }
}
