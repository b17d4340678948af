//! Push-based demultiplexers: MPEG transport streams, MPEG program streams and raw elementary
//! streams.
//!
//! Every demuxer accepts byte chunks of any size, split anywhere, through [`Demuxer::push`] and
//! hands out [`DemuxEvent`]s through [`Demuxer::next_event`]. Nothing here panics on bad input;
//! damage is reported as [`DemuxWarning`]s and the demuxer resynchronises. Memory is bounded
//! whatever the input says: buffers never grow with sizes read off the wire.
//!
//! A stream is announced by [`DemuxEvent::NewStream`] before its first [`Packet`]. However the
//! input is split, the same events come out, except that the payload of a transport-stream PES
//! may be cut into pieces at different places.
//!
//! The parts:
//!
//! - [`detect`] recognises the container from the first bytes;
//! - `ts` finds transport packets and reads their headers and tables (with `psi` for PAT/PMT
//!   sections and `continuity` for continuity counters); `ts_streams` reassembles PES packets
//!   per (PID, `stream_id`), and `ts_ambiguity` (with `audio_frames`) decides between two
//!   streams sharing a PID when counters alone cannot;
//! - `ps` reads program streams; `pes` reads the PES headers both use;
//! - `es` passes raw elementary streams through; `mpeg_audio` reads audio frame headers.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

mod audio_frames;
mod continuity;
pub mod detect;
mod es;
mod mpeg_audio;
mod pes;
mod ps;
mod psi;
mod ts;
mod ts_ambiguity;
mod ts_streams;

#[cfg(test)]
mod test_support;

pub use detect::{detect_container, probe_container, Probe};

use es::EsDemuxer;
use ps::PsDemuxer;
use ts::TsDemuxer;

/// The container formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerFormat {
    /// MPEG transport stream (ISO/IEC 13818-1), 188-byte packets.
    MpegTs,
    /// MPEG program stream or MPEG-1 system stream (.mpg, VCD).
    MpegPs,
    /// Raw MPEG-1 video elementary stream (.m1v), optionally behind an 8-byte `jsmp` header.
    VideoEs,
    /// Raw MPEG audio elementary stream (.mp2).
    AudioEs,
}

impl ContainerFormat {
    /// A short lower-case name (`mpegts`, `mpegps`, `m1v`, `mp2`), as used by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ContainerFormat::MpegTs => "mpegts",
            ContainerFormat::MpegPs => "mpegps",
            ContainerFormat::VideoEs => "m1v",
            ContainerFormat::AudioEs => "mp2",
        }
    }
}

/// Whether an elementary stream carries pictures or sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// MPEG-1/2 video.
    Video,
    /// MPEG-1/2 audio.
    Audio,
}

/// Identifies one elementary stream inside a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamId {
    /// Video or audio.
    pub kind: StreamKind,
    /// The transport-stream PID (`None` outside MPEG-TS).
    pub pid: Option<u16>,
    /// The PES `stream_id` (0xE0-0xEF video, 0xC0-0xDF audio). Raw elementary streams use 0xE0
    /// or 0xC0.
    pub stream_id: u8,
}

/// What the demuxer knows about a stream when it first sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream's identity.
    pub id: StreamId,
    /// The PMT `stream_type` (0x01/0x02 video, 0x03/0x04 audio) when the stream was announced by
    /// a PMT.
    pub stream_type: Option<u8>,
    /// The MPEG-TS program number when known.
    pub program: Option<u16>,
}

/// A piece of one elementary stream's payload.
///
/// A PES payload may be delivered in several consecutive packets of the same stream (the
/// transport-stream demuxer hands over what it has at the end of every `push`, so that live
/// decoding does not wait for the next PES to start). Only the first piece of a PES has
/// `unit_start` set, and only it carries the PES timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The stream this payload belongs to.
    pub stream: StreamId,
    /// True on the first piece of a PES packet.
    pub unit_start: bool,
    /// Presentation time stamp, 90 kHz ticks, 33 bits.
    pub pts: Option<u64>,
    /// Decoding time stamp, 90 kHz ticks, 33 bits.
    pub dts: Option<u64>,
    /// The payload bytes.
    pub data: Vec<u8>,
}

/// Damage the demuxer noticed and recovered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DemuxWarning {
    /// Bytes were skipped to find the next packet or pack boundary.
    Resync {
        /// How many bytes were dropped.
        skipped: usize,
    },
    /// A transport packet's continuity counter was not the expected one (packets were lost).
    ContinuityError {
        /// The PID concerned.
        pid: u16,
        /// The counter value that was expected.
        expected: u8,
        /// The counter value that was found.
        found: u8,
    },
    /// A transport packet had its transport_error_indicator set and was dropped.
    TransportError {
        /// The PID concerned.
        pid: u16,
    },
    /// A PES header or a PSI section was malformed and was dropped.
    MalformedHeader,
    /// The first bytes are not a container this crate reads; all input is being discarded (see
    /// [`Demuxer::is_unrecognised`]). Reported once.
    UnknownContainer,
}

/// One thing the demuxer has to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemuxEvent {
    /// A video or audio stream was found (by PAT/PMT, or by its first PES).
    NewStream(StreamInfo),
    /// Payload of an elementary stream.
    Packet(Packet),
    /// A program clock reference from a transport-stream adaptation field.
    Pcr {
        /// The PID that carried it.
        pid: u16,
        /// The PCR in 27 MHz ticks (base * 300 + extension).
        pcr: u64,
    },
    /// Damage that was skipped.
    Warning(DemuxWarning),
}

/// Where the events of all demuxers go before [`Demuxer::next_event`] hands them out.
pub(crate) type Events = VecDeque<DemuxEvent>;

/// How many bytes [`Demuxer`] keeps while it waits to recognise the container. When that much
/// has arrived, it decides on what it has.
pub const DETECTION_LIMIT: usize = 64 * 1024;

/// A demuxer for any supported container, chosen explicitly or detected from the first bytes.
#[derive(Debug, Default)]
pub struct Demuxer {
    /// The format given to [`Demuxer::new`], kept across [`Demuxer::reset`].
    explicit: Option<ContainerFormat>,
    state: State,
    events: Events,
}

/// What the demuxer is doing with the input.
#[derive(Debug)]
enum State {
    /// Buffering the first bytes until the container is recognised.
    Detecting(Vec<u8>),
    MpegTs(Box<TsDemuxer>),
    MpegPs(PsDemuxer),
    ElementaryStream(EsDemuxer),
    /// The container was not recognised: input is discarded.
    Unrecognised,
}

impl Default for State {
    fn default() -> Self {
        State::Detecting(Vec::new())
    }
}

impl State {
    fn for_format(format: ContainerFormat) -> State {
        match format {
            ContainerFormat::MpegTs => State::MpegTs(Box::default()),
            ContainerFormat::MpegPs => State::MpegPs(PsDemuxer::default()),
            ContainerFormat::VideoEs => State::ElementaryStream(EsDemuxer::new(StreamKind::Video)),
            ContainerFormat::AudioEs => State::ElementaryStream(EsDemuxer::new(StreamKind::Audio)),
        }
    }
}

impl Demuxer {
    /// A demuxer for `format`, or one that detects the format from the first bytes when `None`.
    ///
    /// Detection buffers the input until [`probe_container`] decides, at most
    /// [`DETECTION_LIMIT`] bytes or until [`Demuxer::finish`].
    pub fn new(format: Option<ContainerFormat>) -> Demuxer {
        Demuxer {
            explicit: format,
            state: format.map(State::for_format).unwrap_or_default(),
            events: Events::new(),
        }
    }

    /// The container format, once known.
    pub fn format(&self) -> Option<ContainerFormat> {
        match &self.state {
            State::Detecting(_) | State::Unrecognised => None,
            State::MpegTs(_) => Some(ContainerFormat::MpegTs),
            State::MpegPs(_) => Some(ContainerFormat::MpegPs),
            State::ElementaryStream(es) => Some(match es.kind() {
                StreamKind::Video => ContainerFormat::VideoEs,
                StreamKind::Audio => ContainerFormat::AudioEs,
            }),
        }
    }

    /// True when detection gave up on the input: [`DemuxWarning::UnknownContainer`] was reported
    /// and everything pushed is discarded until [`Demuxer::reset`].
    pub fn is_unrecognised(&self) -> bool {
        matches!(self.state, State::Unrecognised)
    }

    /// Adds bytes (any size, split anywhere).
    pub fn push(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Detecting(buffered) => {
                buffered.extend_from_slice(data);
                let at_limit = buffered.len() >= DETECTION_LIMIT;
                self.detect(at_limit);
            }
            State::MpegTs(ts) => ts.push(data, &mut self.events),
            State::MpegPs(ps) => ps.push(data, &mut self.events),
            State::ElementaryStream(es) => es.push(data, &mut self.events),
            State::Unrecognised => {}
        }
    }

    /// The next event, if any. Call until `None` after every `push`.
    pub fn next_event(&mut self) -> Option<DemuxEvent> {
        self.events.pop_front()
    }

    /// Signals the end of input: partial PES payloads are handed out and a detection still
    /// waiting for more bytes is decided on what is there.
    ///
    /// Pushing more data afterwards is allowed and continues the same stream.
    pub fn finish(&mut self) {
        if matches!(&self.state, State::Detecting(buffered) if !buffered.is_empty()) {
            self.detect(true);
        }
        match &mut self.state {
            State::MpegTs(ts) => ts.finish(&mut self.events),
            State::MpegPs(ps) => ps.finish(&mut self.events),
            State::ElementaryStream(es) => es.finish(&mut self.events),
            State::Detecting(_) | State::Unrecognised => {}
        }
    }

    /// Forgets all state, keeping an explicitly chosen format.
    pub fn reset(&mut self) {
        *self = Demuxer::new(self.explicit);
    }

    /// Runs detection on the buffered bytes; when it decides, replays them into the chosen
    /// demuxer. `at_end` decides on what is there instead of waiting for more.
    fn detect(&mut self, at_end: bool) {
        let State::Detecting(buffered) = &mut self.state else {
            return;
        };
        match probe_container(buffered, at_end) {
            Probe::NeedMoreData => {}
            Probe::Unrecognised => {
                self.state = State::Unrecognised;
                self.events
                    .push_back(DemuxEvent::Warning(DemuxWarning::UnknownContainer));
            }
            Probe::Format(format) => {
                let buffered = core::mem::take(buffered);
                self.state = State::for_format(format);
                self.push(&buffered);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::test_support::*;
    use super::*;

    fn events(demuxer: &mut Demuxer) -> Vec<DemuxEvent> {
        core::iter::from_fn(|| demuxer.next_event()).collect()
    }

    fn transport_stream() -> Vec<u8> {
        let data = pes(0xE0, Timestamps::Pts(3), &[7; 600], false);
        concat(&ts_packets(0x100, &mut 0, &data))
    }

    #[test]
    fn detects_the_format_and_gives_the_same_events_as_an_explicit_one() {
        let stream = transport_stream();
        let explicit = normalise(&run(Some(ContainerFormat::MpegTs), &stream));
        for size in [1, 10, 188, 1000] {
            let mut demuxer = Demuxer::new(None);
            let mut all = Vec::new();
            for chunk in stream.chunks(size) {
                demuxer.push(chunk);
                all.extend(events(&mut demuxer));
            }
            demuxer.finish();
            all.extend(events(&mut demuxer));
            assert_eq!(demuxer.format(), Some(ContainerFormat::MpegTs));
            assert_eq!(normalise(&all), explicit, "chunks of {size}");
        }
    }

    #[test]
    fn finish_decides_on_a_short_input() {
        let stream = transport_stream();
        let mut demuxer = Demuxer::new(None);
        demuxer.push(&stream[..188]);
        assert_eq!(demuxer.format(), None);
        assert_eq!(demuxer.next_event(), None);
        demuxer.finish();
        assert_eq!(demuxer.format(), Some(ContainerFormat::MpegTs));
        assert!(matches!(
            demuxer.next_event(),
            Some(DemuxEvent::NewStream(_))
        ));
        // Nothing at all: nothing to say.
        let mut demuxer = Demuxer::new(None);
        demuxer.finish();
        assert_eq!(demuxer.next_event(), None);
        assert!(!demuxer.is_unrecognised());
    }

    #[test]
    fn gives_up_once_on_unknown_data() {
        let mut demuxer = Demuxer::new(None);
        demuxer.push(&b"not an mpeg stream. ".repeat(100));
        assert!(demuxer.is_unrecognised());
        assert_eq!(
            events(&mut demuxer),
            [DemuxEvent::Warning(DemuxWarning::UnknownContainer)]
        );
        demuxer.push(&transport_stream());
        demuxer.finish();
        assert_eq!(events(&mut demuxer), []);
        assert_eq!(demuxer.format(), None);
        // Reset starts detection over.
        demuxer.reset();
        assert!(!demuxer.is_unrecognised());
        demuxer.push(&transport_stream());
        assert_eq!(demuxer.format(), Some(ContainerFormat::MpegTs));
    }

    #[test]
    fn buffers_a_bounded_amount_while_detecting() {
        // Zeros may begin a program stream, or hide one behind a little garbage: undecided for a
        // while, but well before the limit.
        let mut demuxer = Demuxer::new(None);
        let mut pushed = 0;
        while !demuxer.is_unrecognised() {
            demuxer.push(&[0; 100]);
            pushed += 100;
            assert!(pushed <= DETECTION_LIMIT);
        }
        assert!(pushed > 100 && pushed <= 2 * detect::MAX_LEADING_GARBAGE);
    }

    #[test]
    fn reset_keeps_an_explicit_format_only() {
        let mut demuxer = Demuxer::new(Some(ContainerFormat::AudioEs));
        demuxer.push(&[1, 2, 3]);
        demuxer.reset();
        assert_eq!(demuxer.format(), Some(ContainerFormat::AudioEs));
        assert_eq!(demuxer.next_event(), None);
        let mut demuxer = Demuxer::default();
        demuxer.push(&transport_stream());
        assert_eq!(demuxer.format(), Some(ContainerFormat::MpegTs));
        demuxer.reset();
        assert_eq!(demuxer.format(), None);
        assert_eq!(demuxer.next_event(), None);
        // After a reset the stream is new: it is announced again.
        demuxer.push(&transport_stream());
        assert!(matches!(
            demuxer.next_event(),
            Some(DemuxEvent::NewStream(_))
        ));
    }

    #[test]
    fn names() {
        let names = [
            ContainerFormat::MpegTs,
            ContainerFormat::MpegPs,
            ContainerFormat::VideoEs,
            ContainerFormat::AudioEs,
        ]
        .map(ContainerFormat::name);
        assert_eq!(names, ["mpegts", "mpegps", "m1v", "mp2"]);
    }

    /// Random bytes, and valid streams with random damage, pushed in random pieces, never panic
    /// and never produce more payload than they contain.
    #[test]
    fn arbitrary_input_never_panics() {
        let formats = [
            None,
            Some(ContainerFormat::MpegTs),
            Some(ContainerFormat::MpegPs),
            Some(ContainerFormat::VideoEs),
            Some(ContainerFormat::AudioEs),
        ];
        let valid = [
            transport_stream(),
            [
                concat(&psi_packets(0, &mut 0, &pat_section(&[(1, 0x1000)]))),
                concat(&psi_packets(
                    0x1000,
                    &mut 0,
                    &pmt_section(1, &[(0x01, 0x100)]),
                )),
                transport_stream(),
            ]
            .concat(),
            [
                mpeg1_pack_header(0),
                system_header(),
                mpeg1_pes(0xE0, 1, true, Timestamps::Both(1, 2), &[1; 200]),
                mpeg2_pack_header(1),
                pes(0xC0, Timestamps::Pts(3), &[2; 100], true),
            ]
            .concat(),
        ];
        let mut rng = Lcg(0x5EED);
        for round in 0..3000 {
            let mut input = if round % 2 == 0 {
                let len = rng.below(1500);
                rng.bytes(len)
            } else {
                let mut stream = valid[rng.below(valid.len())].clone();
                for _ in 0..=rng.below(8) {
                    let at = rng.below(stream.len());
                    stream[at] = rng.next_u32() as u8;
                }
                stream
            };
            if round % 7 == 0 {
                // Make random data look like a transport stream now and then.
                for at in (0..input.len()).step_by(188) {
                    input[at] = 0x47;
                }
            }
            let format = formats[rng.below(formats.len())];
            let mut demuxer = Demuxer::new(format);
            let mut payload = 0;
            let mut rest = &input[..];
            while !rest.is_empty() {
                let (chunk, tail) = rest.split_at(1 + rng.below(rest.len()));
                demuxer.push(chunk);
                rest = tail;
                payload += events(&mut demuxer)
                    .iter()
                    .map(|e| match e {
                        DemuxEvent::Packet(p) => p.data.len(),
                        _ => 0,
                    })
                    .sum::<usize>();
            }
            demuxer.finish();
            payload += events(&mut demuxer)
                .iter()
                .map(|e| match e {
                    DemuxEvent::Packet(p) => p.data.len(),
                    _ => 0,
                })
                .sum::<usize>();
            assert!(payload <= input.len(), "round {round}");
        }
    }

    #[test]
    fn the_same_pid_streams_survive_random_damage() {
        // Two sources on one PID with lost, duplicated and corrupted packets: no panic.
        let audio = ts_packets(
            0x100,
            &mut 0,
            &pes(0xC0, Timestamps::Pts(1), &[1; 2000], true),
        );
        let video = ts_packets(
            0x100,
            &mut 3,
            &pes(0xE0, Timestamps::Pts(2), &[2; 3000], false),
        );
        let mut rng = Lcg(77);
        for _ in 0..300 {
            let mut packets = Vec::new();
            let (mut a, mut v) = (audio.iter(), video.iter());
            while a.len() + v.len() > 0 {
                let source = if rng.below(2) == 0 { &mut a } else { &mut v };
                for packet in source.take(1 + rng.below(4)) {
                    match rng.below(20) {
                        0 => {}
                        1 => {
                            packets.push(packet.clone());
                            packets.push(packet.clone());
                        }
                        2 => {
                            let mut damaged = packet.clone();
                            damaged[4 + rng.below(184)] ^= 0xFF;
                            damaged[3] ^= rng.below(16) as u8;
                            packets.push(damaged);
                        }
                        _ => packets.push(packet.clone()),
                    }
                }
            }
            let events = run(Some(ContainerFormat::MpegTs), &concat(&packets));
            let payload: usize = events
                .iter()
                .map(|e| match e {
                    DemuxEvent::Packet(p) => p.data.len(),
                    _ => 0,
                })
                .sum();
            assert!(payload <= packets.len() * 184);
        }
    }

    #[test]
    fn events_are_plain_data() {
        let warning = DemuxWarning::Resync { skipped: 3 };
        assert_eq!(warning, warning.clone());
        let event = DemuxEvent::Warning(warning);
        assert_eq!(vec![event.clone()], vec![event]);
    }
}
