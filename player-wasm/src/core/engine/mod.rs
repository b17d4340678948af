//! The playback engine: input bytes in; pictures to show and audio to schedule out, in time.

use std::collections::VecDeque;

use wasmpeg::demux::{DemuxEvent, Demuxer, StreamKind};
use wasmpeg::ContainerFormat;
use wasmpeg::{Decoder, DecoderConfig, DecoderEvent};

use super::audio::{AudioChunk, AudioPlacement, AudioScheduler, SyncPolicy, MIN_LEAD};
use super::clock::Clock;
use super::pts_delta_seconds;
use super::video::{Picture, PictureQueue, Selection};

mod seek_index;

pub use seek_index::SeekIndex;

/// Bytes handed to the decoder at a time when decoding a file ahead.
const FEED_CHUNK: usize = 16 * 1024;
/// Files: pictures decoded ahead of the clock.
const VIDEO_AHEAD: usize = 4;
/// Files: the most pictures ever waiting (a bound on memory whatever the stream does).
const MAX_PICTURES: usize = 60;
/// Files: seconds of audio decoded ahead.
const AUDIO_AHEAD: f64 = 0.5;
/// Bytes after which a stream with no MPEG stream found in it is reported as an error.
const NO_MPEG_BYTES: u64 = 256 * 1024;
/// Seconds of audio handed to the output ahead of the clock.
const SCHEDULE_AHEAD: f64 = 0.5;
/// Files: a seek target at most this many seconds past the data in memory waits for the
/// download instead of asking for a Range request.
const RANGE_WAIT: f64 = 3.0;

/// Playback mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// A file: decoded just ahead of the clock; audio is the master clock; late frames are
    /// dropped; seeking, looping and `ended`.
    File,
    /// A live stream: everything is decoded as it arrives.
    Live {
        /// 0: show the newest frame each tick, drop stale audio. Above 0: keep this many
        /// seconds of delay for smooth playback with A/V sync, and never let it grow.
        latency: f64,
    },
}

/// What the engine needs to know besides the mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngineConfig {
    /// File or live.
    pub mode: Mode,
    /// Decode video.
    pub video: bool,
    /// Decode audio.
    pub audio: bool,
    /// Files: start again at the end.
    pub loop_playback: bool,
    /// Live without latency: the most audio allowed ahead in the output, seconds.
    pub max_audio_lag: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: Mode::File,
            video: true,
            audio: true,
            loop_playback: false,
            max_audio_lag: 0.25,
        }
    }
}

/// Something the player reports to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEvent {
    /// The picture size or aspect ratio changed (also sent for the first picture).
    Resize {
        /// Display width.
        width: u32,
        /// Display height.
        height: u32,
        /// Display aspect ratio.
        aspect: f64,
    },
    /// A picture was decoded (media time in seconds).
    VideoDecode {
        /// Media time of the picture.
        time: f64,
    },
    /// An audio frame was decoded.
    AudioDecode {
        /// Media time of the frame.
        time: f64,
    },
    /// Playback ran out of data before the end.
    Stalled,
    /// A file started again from the beginning.
    Looped,
    /// A file played to the end (without `loop`); playback is paused.
    Ended,
    /// Playback stopped by itself for another reason than the end (an error).
    Paused,
    /// Something went wrong that the page should know about.
    Error(String),
}

/// Counters for `player.stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Bytes received.
    pub bytes_received: u64,
    /// Pictures decoded.
    pub frames_decoded: u64,
    /// Pictures shown.
    pub frames_shown: u64,
    /// Pictures decoded but skipped (late, or superseded by a newer one when live).
    pub frames_dropped: u64,
    /// Audio frames decoded.
    pub audio_frames_decoded: u64,
    /// Audio frames handed to the audio output.
    pub audio_frames_played: u64,
    /// Audio frames not played: late, too far ahead (live), or while audio could not be heard
    /// (output locked by the browser's autoplay policy).
    pub audio_frames_dropped: u64,
    /// Damage the decoder recovered from.
    pub decoder_warnings: u64,
}

/// What one tick asks the web layer to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// A new picture is current: render [`Engine::current_picture`].
    pub new_picture: bool,
    /// Audio chunks were scheduled: play [`Engine::newly_scheduled_audio`].
    pub new_audio: usize,
}

/// An audio chunk handed to the output.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAudio {
    /// The samples.
    pub chunk: AudioChunk,
    /// Host time of the first played sample.
    pub when: f64,
    /// Seconds skipped at the start of the chunk.
    pub offset: f64,
}

impl ScheduledAudio {
    fn host_end(&self) -> f64 {
        self.when + self.chunk.duration() - self.offset
    }
}

/// The playback engine. Platform-free: time comes in as seconds of a host clock.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    decoder: Decoder,
    /// Files: every byte received (kept for looping and seeking).
    input: Vec<u8>,
    fed: usize,
    input_complete: bool,
    finish_sent: bool,
    pictures: PictureQueue,
    audio_queue: VecDeque<AudioChunk>,
    audio_pool: Vec<AudioChunk>,
    scheduled: VecDeque<ScheduledAudio>,
    new_scheduled: usize,
    start_pts: Option<u64>,
    clock: Clock,
    scheduler: AudioScheduler,
    playing: bool,
    audio_active: bool,
    stalled: bool,
    has_video: bool,
    has_audio: bool,
    audio_seen: bool,
    decoded_anything: bool,
    reported_no_mpeg: bool,
    /// Files: played to the end (without loop); `play()` starts again from the beginning.
    ended: bool,
    size: Option<(u32, u32, u64)>,
    newest_time: Option<f64>,
    media_end: f64,
    duration: Option<f64>,
    /// Files: the duration estimated from the timestamps at the end of the data.
    duration_estimate: Option<f64>,
    scanned: bool,
    frame_duration: f64,
    redraw: bool,
    events: Vec<EngineEvent>,
    stats: Stats,
    /// Files: where a seek may start decoding.
    seek_index: SeekIndex,
    /// Files: the file offset of `input[0]` (above 0 after a Range request).
    input_base: usize,
    /// Files: the size of the file, when the source can read any part of it (Range requests).
    file_length: Option<usize>,
    /// Files: the last bytes of the file, read ahead for the duration.
    tail: Option<Vec<u8>>,
    /// Files: a file offset the source should read from next (see [`Engine::take_wanted_range`]).
    wanted_range: Option<usize>,
    /// Files: a seek waiting for the data of a Range request.
    pending_seek: Option<f64>,
    /// Range requests made for the pending seek.
    range_attempts: u32,
    /// A Range request was asked for and its data has not begun (no `begin_segment` yet).
    awaiting_segment: bool,
    /// Seconds past the data in memory that a seek still waits for (see [`RANGE_WAIT`]).
    range_wait: f64,
    /// Files: the byte offset the last seek started decoding from.
    seek_start: usize,
}

impl Engine {
    /// An engine with nothing received yet, paused.
    pub fn new(config: EngineConfig) -> Engine {
        let decoder = Decoder::new(Self::decoder_config(&config));
        Engine {
            config,
            decoder,
            input: Vec::new(),
            fed: 0,
            input_complete: false,
            finish_sent: false,
            pictures: PictureQueue::new(),
            audio_queue: VecDeque::new(),
            audio_pool: Vec::new(),
            scheduled: VecDeque::new(),
            new_scheduled: 0,
            start_pts: None,
            clock: Clock::new(),
            scheduler: AudioScheduler::new(),
            playing: false,
            audio_active: false,
            stalled: false,
            has_video: false,
            has_audio: false,
            audio_seen: false,
            decoded_anything: false,
            reported_no_mpeg: false,
            ended: false,
            size: None,
            newest_time: None,
            media_end: 0.0,
            duration: None,
            duration_estimate: None,
            scanned: false,
            frame_duration: 0.04,
            redraw: false,
            events: Vec::new(),
            stats: Stats::default(),
            seek_index: SeekIndex::new(),
            seek_start: 0,
            input_base: 0,
            file_length: None,
            tail: None,
            wanted_range: None,
            pending_seek: None,
            range_attempts: 0,
            awaiting_segment: false,
            range_wait: RANGE_WAIT,
        }
    }

    fn decoder_config(config: &EngineConfig) -> DecoderConfig {
        DecoderConfig {
            video: config.video,
            audio: config.audio,
            low_latency: matches!(config.mode, Mode::Live { .. }),
            ..DecoderConfig::default()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// True for live modes.
    pub fn is_live(&self) -> bool {
        matches!(self.config.mode, Mode::Live { .. })
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<EngineEvent> {
        core::mem::take(&mut self.events)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// True while playing (not paused).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The picture on screen.
    pub fn current_picture(&self) -> Option<&Picture> {
        self.pictures.current()
    }

    /// Pictures decoded and waiting.
    pub fn queued_pictures(&self) -> usize {
        self.pictures.len()
    }

    /// The audio chunks scheduled by the last tick.
    pub fn newly_scheduled_audio(&self) -> impl Iterator<Item = &ScheduledAudio> {
        let skip = self.scheduled.len().saturating_sub(self.new_scheduled);
        self.scheduled.iter().skip(skip)
    }

    /// Display size of the latest picture.
    pub fn video_size(&self) -> Option<(u32, u32)> {
        self.size.map(|(w, h, _)| (w, h))
    }

    /// Files: the duration, seconds: exact once the whole file was decoded, else estimated
    /// from the timestamps at the end of the data once it has all arrived (MPEG-TS and
    /// MPEG-PS; raw elementary streams carry none).
    pub fn duration(&self) -> Option<f64> {
        self.duration.or(self.duration_estimate)
    }

    /// Estimates the duration from the last timestamps in the data (the tail is demuxed, not
    /// decoded): the end of the file read ahead by a Range request, or of the input.
    fn scan_duration(&mut self) {
        const TAIL: usize = 512 * 1024;
        if self.start_pts.is_none() || self.decoder.container().is_none() {
            return;
        }
        self.scanned = true;
        let end = match self.tail.as_deref() {
            Some(tail) => self.last_time_in(tail),
            None => self.last_time_in(&self.input[self.input.len().saturating_sub(TAIL)..]),
        };
        self.duration_estimate = end.filter(|d| d.is_finite() && *d > 0.0);
    }

    /// The end time (seconds from the start) of the last timestamped data in `bytes`.
    fn last_time_in(&self, bytes: &[u8]) -> Option<f64> {
        let (Some(start), Some(format)) = (self.start_pts, self.decoder.container()) else {
            return None;
        };
        if !matches!(format, ContainerFormat::MpegTs | ContainerFormat::MpegPs) {
            return None;
        }
        let mut demuxer = Demuxer::new(Some(format));
        demuxer.push(bytes);
        demuxer.finish();
        let mut end: Option<f64> = None;
        while let Some(event) = demuxer.next_event() {
            if let DemuxEvent::Packet(packet) = event {
                let wanted = match packet.stream.kind {
                    StreamKind::Video => self.config.video,
                    StreamKind::Audio => self.config.audio && self.audio_seen,
                };
                if let (true, Some(pts)) = (wanted, packet.pts) {
                    let extra = match packet.stream.kind {
                        StreamKind::Video => self.frame_duration,
                        StreamKind::Audio => 0.0,
                    };
                    let t = pts_delta_seconds(start, pts) + extra;
                    end = Some(end.map_or(t, |e: f64| e.max(t)));
                }
            }
        }
        end
    }

    /// Files: the source can read any part of the file, which has `length` bytes. Seeks far
    /// from the data at hand then ask for a Range request (see [`Engine::take_wanted_range`]).
    pub fn set_file_length(&mut self, length: usize) {
        self.file_length = Some(length);
    }

    /// Files: the last bytes of the file, read ahead, so that the duration is known before the
    /// download ends.
    pub fn set_tail(&mut self, tail: Vec<u8>) {
        self.tail = Some(tail);
        self.scanned = false;
        if self.start_pts.is_some() {
            self.scan_duration();
        }
    }

    /// Files: a file offset the source should read from now on (a seek or a loop needs data
    /// that is not in memory). The source calls [`Engine::begin_segment`] with it and then
    /// writes the bytes from there.
    pub fn take_wanted_range(&mut self) -> Option<usize> {
        let wanted = self.wanted_range.take();
        self.awaiting_segment |= wanted.is_some();
        wanted
    }

    /// Files: the bytes written from now on are the file from `offset` on (a Range request);
    /// the bytes in memory are dropped.
    pub fn begin_segment(&mut self, offset: usize) {
        self.awaiting_segment = false;
        self.input.clear();
        self.input_base = offset;
        self.input_complete = false;
        self.seek_index.rebase(offset);
        self.restart_file_at(0);
    }

    /// Files: the file offset after the last byte in memory.
    pub fn downloaded_end(&self) -> usize {
        self.input_base + self.input.len()
    }

    /// Bytes per second of the file, from its size and duration or from the keyframes seen.
    fn byte_rate(&self) -> Option<f64> {
        let start = self.start_pts?;
        if let (Some(len), Some(d)) = (self.file_length, self.duration()) {
            if d > 0.0 {
                return Some(len as f64 / d);
            }
        }
        let mut points = self.seek_index.keyframes_from(0);
        let (o0, p0) = points.next()?;
        let (o1, p1) = points.last()?;
        let span = pts_delta_seconds(start, p1) - pts_delta_seconds(start, p0);
        (span > 0.5).then(|| (o1 - o0) as f64 / span)
    }

    /// Files: the offset a Range request for media time `t` should start at, when the data
    /// for `t` is neither in memory nor about to arrive. `None` when it is (or when the
    /// source cannot read ranges).
    fn range_target(&self, t: f64) -> Option<usize> {
        let length = self.file_length?;
        let start = self.start_pts?;
        if self.input_complete && self.input_base == 0 {
            return None;
        }
        let rate = self.byte_rate()?;
        let times: Vec<f64> = self
            .seek_index
            .keyframes_from(self.input_base)
            .map(|(_, pts)| pts_delta_seconds(start, pts))
            .collect();
        let first = if self.input_base == 0 {
            f64::NEG_INFINITY
        } else {
            times.first().copied().unwrap_or(f64::INFINITY)
        };
        let last = if self.input_complete {
            f64::INFINITY
        } else {
            times.last().copied().unwrap_or(f64::NEG_INFINITY)
        };
        // Data up to a few seconds past what is in memory is as good as here.
        if t >= first && t <= last + self.range_wait {
            return None;
        }
        let offset = ((t - 1.0).max(0.0) * rate) as usize;
        Some(offset.min(length.saturating_sub(1)))
    }

    /// Files: carries out a seek that waited for a Range request once its data is here;
    /// asks for an earlier range when the data began after the target.
    fn resolve_pending_seek(&mut self, now: f64) {
        let (Some(t), Some(start)) = (self.pending_seek, self.start_pts) else {
            return;
        };
        if self.wanted_range.is_some() || self.awaiting_segment {
            return;
        }
        let points: Vec<(usize, f64)> = self
            .seek_index
            .keyframes_from(self.input_base)
            .map(|(o, pts)| (o, pts_delta_seconds(start, pts)))
            .collect();
        let rate = self.byte_rate().unwrap_or(0.0);
        match points.first() {
            Some(&(_, first))
                if first > t + 0.001 && self.input_base > 0 && self.range_attempts < 3 =>
            {
                // Landed after the target: read again from further back.
                let back = ((first - t + 2.0) * rate) as usize;
                self.range_attempts += 1;
                self.wanted_range = Some(self.input_base.saturating_sub(back.max(188)));
                return;
            }
            None if !self.input_complete => return,
            _ => {}
        }
        let newest = points.last().map_or(f64::NEG_INFINITY, |p| p.1);
        let bytes_after = points
            .iter()
            .rev()
            .find(|p| p.1 <= t)
            .map_or(0, |p| self.downloaded_end().saturating_sub(p.0));
        if newest <= t && !self.input_complete && (bytes_after as f64) < self.range_wait * rate {
            return; // wait for more
        }
        self.pending_seek = None;
        self.seek(t, now);
    }

    /// True once every byte of the source arrived.
    pub fn input_complete(&self) -> bool {
        self.input_complete
    }

    /// Live: seconds between the newest decoded picture and the one on screen.
    pub fn latency(&self) -> f64 {
        match (self.newest_time, self.pictures.current()) {
            (Some(n), Some(c)) => (n - c.time).max(0.0),
            _ => 0.0,
        }
    }

    /// Seconds of audio scheduled ahead of `now`.
    pub fn audio_ahead(&self, now: f64) -> f64 {
        self.scheduler.ahead(now)
    }

    /// Media time at host time `now`, seconds from the start of the stream (0 before start).
    pub fn current_time(&self, now: f64) -> f64 {
        let t = self.clock.media_time(now).unwrap_or(0.0).max(0.0);
        match self.duration {
            Some(d) if !self.is_live() => t.min(d),
            _ => t,
        }
    }

    /// True when a redraw of the current picture is needed outside a tick (after a seek).
    pub fn take_redraw(&mut self) -> bool {
        core::mem::take(&mut self.redraw)
    }

    /// Adds received bytes. Live streams are decoded at once; files are decoded as playback
    /// needs them.
    pub fn write(&mut self, data: &[u8]) {
        self.stats.bytes_received += data.len() as u64;
        if self.is_live() {
            self.decoder.push(data);
            self.drain();
        } else {
            self.input.extend_from_slice(data);
            self.seek_index
                .update(&self.input, self.decoder.container());
        }
    }

    /// Every byte has arrived.
    pub fn end_of_input(&mut self) {
        self.input_complete = true;
        if self.is_live() && !self.finish_sent {
            self.finish_sent = true;
            self.decoder.finish();
            self.drain();
        }
    }

    /// A new stream on the same player (after a reconnect): forgets all stream state.
    pub fn reset_stream(&mut self) {
        self.decoder.reset();
        self.input.clear();
        self.input_base = 0;
        self.seek_index = SeekIndex::new();
        self.pending_seek = None;
        self.wanted_range = None;
        self.awaiting_segment = false;
        self.fed = 0;
        self.input_complete = false;
        self.finish_sent = false;
        self.pictures.clear();
        self.recycle_audio();
        self.scheduled.clear();
        self.new_scheduled = 0;
        self.scheduler.reset();
        self.start_pts = None;
        self.newest_time = None;
        self.clock.reset();
        self.stalled = false;
    }

    /// Whether audio can be heard (output running and audio wanted). While it cannot, audio
    /// does not steer the clock and decoded audio is discarded when due.
    pub fn set_audio_active(&mut self, active: bool) {
        if self.audio_active != active {
            self.audio_active = active;
            self.scheduler.reset();
            self.scheduled.clear();
        }
    }

    /// The host clock changed from one source to another (see [`Clock::rebase`]).
    pub fn rebase_clock(&mut self, old_now: f64, new_now: f64) {
        self.clock.rebase(old_now, new_now);
        self.scheduler.reset();
        self.scheduled.clear();
    }

    /// Starts or resumes playback at host time `now`.
    pub fn play(&mut self, now: f64) {
        if self.playing {
            return;
        }
        self.playing = true;
        if std::mem::take(&mut self.ended) && !self.is_live() {
            self.restart_file();
        }
        if self.clock.is_paused() {
            self.clock.resume(now);
        }
        if self.is_live() {
            // Never resume a live stream behind: start again from what arrives next.
            self.pictures.clear();
            self.recycle_audio();
            self.clock.reset();
        }
    }

    /// Pauses at host time `now`. The web layer stops the audio output; audio that had not
    /// started playing is put back to be scheduled on resume.
    pub fn pause(&mut self, now: f64) {
        if !self.playing {
            return;
        }
        self.playing = false;
        self.clock.pause(now);
        while let Some(s) = self.scheduled.pop_back() {
            if s.when > now && !self.is_live() {
                self.audio_queue.push_front(s.chunk);
            } else {
                self.audio_pool.push(s.chunk);
            }
        }
        self.new_scheduled = 0;
        self.scheduler.reset();
    }

    fn recycle_audio(&mut self) {
        while let Some(c) = self.audio_queue.pop_front() {
            self.audio_pool.push(c);
        }
        self.audio_pool.truncate(32);
    }

    /// Decodes what is available into the queues.
    fn drain(&mut self) {
        while let Some(event) = self.decoder.next_event() {
            match event {
                DecoderEvent::Stream(info) => match info.id.kind {
                    StreamKind::Video => self.has_video = true,
                    StreamKind::Audio => self.has_audio = true,
                },
                DecoderEvent::Video(frame) => {
                    if !self.config.video {
                        continue;
                    }
                    let start = *self.start_pts.get_or_insert(frame.pts);
                    let time = pts_delta_seconds(start, frame.pts);
                    let aspect_bits = frame.sequence.display_aspect_ratio().to_bits();
                    if self.size != Some((frame.width, frame.height, aspect_bits)) {
                        self.size = Some((frame.width, frame.height, aspect_bits));
                        self.events.push(EngineEvent::Resize {
                            width: frame.width,
                            height: frame.height,
                            aspect: frame.sequence.display_aspect_ratio(),
                        });
                    }
                    self.pictures.push(frame, time);
                    let duration = 1.0 / frame.sequence.frame_rate_f64().max(1.0);
                    self.frame_duration = duration;
                    self.media_end = self.media_end.max(time + duration);
                    self.newest_time = Some(self.newest_time.map_or(time, |n| n.max(time)));
                    self.stats.frames_decoded += 1;
                    self.decoded_anything = true;
                    self.events.push(EngineEvent::VideoDecode { time });
                }
                DecoderEvent::Audio(frame) => {
                    if !self.config.audio || frame.sample_rate == 0 {
                        continue;
                    }
                    let start = *self.start_pts.get_or_insert(frame.pts);
                    let time = pts_delta_seconds(start, frame.pts);
                    let mut chunk = self.audio_pool.pop().unwrap_or_default();
                    chunk.time = time;
                    chunk.sample_rate = frame.sample_rate;
                    chunk.channels = frame.channels.clamp(1, 2);
                    chunk.samples_per_channel = frame.samples_per_channel;
                    chunk.samples.clear();
                    for c in 0..usize::from(chunk.channels) {
                        let samples = frame.channel(c);
                        chunk.samples.extend_from_slice(samples);
                        // A short channel never leaves the planes misaligned.
                        let want = (c + 1) * chunk.samples_per_channel;
                        chunk.samples.resize(want, 0.0);
                    }
                    self.media_end = self.media_end.max(chunk.end());
                    self.audio_queue.push_back(chunk);
                    self.audio_seen = true;
                    self.decoded_anything = true;
                    self.stats.audio_frames_decoded += 1;
                    self.events.push(EngineEvent::AudioDecode { time });
                }
                DecoderEvent::Warning(_) => self.stats.decoder_warnings += 1,
                _ => {}
            }
        }
        if !self.decoded_anything
            && !self.has_video
            && !self.has_audio
            && !self.reported_no_mpeg
            && self.stats.bytes_received >= NO_MPEG_BYTES
            && (self.is_live() || self.fed >= NO_MPEG_BYTES as usize)
        {
            self.reported_no_mpeg = true;
            self.events.push(EngineEvent::Error(
                "no MPEG video or audio found in the data".into(),
            ));
        }
        if let Mode::Live { latency } = self.config.mode {
            // Decode everything, but never hold more than the policy can show.
            let dropped = if latency > 0.0 {
                let mut n = 0;
                while self.pictures.buffered_seconds() > latency + 1.0 {
                    n += self.pictures.limit(self.pictures.len().saturating_sub(1));
                }
                n
            } else {
                self.pictures.limit(1)
            };
            self.stats.frames_dropped += dropped as u64;
            let keep = latency + self.config.max_audio_lag + 1.0;
            while let (Some(a), Some(b)) = (self.audio_queue.front(), self.audio_queue.back()) {
                if b.end() - a.time <= keep {
                    break;
                }
                if let Some(c) = self.audio_queue.pop_front() {
                    self.audio_pool.push(c);
                    self.stats.audio_frames_dropped += 1;
                }
            }
        }
    }

    fn audio_buffered(&self) -> f64 {
        match (self.audio_queue.front(), self.audio_queue.back()) {
            (Some(a), Some(b)) => b.end() - a.time,
            _ => 0.0,
        }
    }

    fn needs_data(&self) -> bool {
        let want_video = self.config.video && (self.has_video || !self.has_audio);
        let need_video = want_video && self.pictures.len() < VIDEO_AHEAD;
        let need_audio =
            self.config.audio && self.audio_seen && self.audio_buffered() < AUDIO_AHEAD;
        let nothing_yet = !self.audio_seen && self.pictures.is_empty();
        need_video || need_audio || nothing_yet
    }

    /// Files: feeds the decoder until enough is decoded ahead (or the input runs out).
    fn pump(&mut self, force: bool) {
        while self.fed < self.input.len()
            && self.pictures.len() < MAX_PICTURES
            && (force || self.needs_data())
        {
            let end = (self.fed + FEED_CHUNK).min(self.input.len());
            self.decoder.push(&self.input[self.fed..end]);
            self.fed = end;
            self.drain();
            if force && !self.pictures.is_empty() {
                break;
            }
        }
        if self.fed >= self.input.len() && self.input_complete && !self.finish_sent {
            self.finish_sent = true;
            self.decoder.finish();
            self.drain();
        }
        if self.input_complete && !self.scanned && self.start_pts.is_some() {
            self.scan_duration();
        }
        // Bytes that arrived before the container was recognised.
        self.seek_index
            .update(&self.input, self.decoder.container());
    }

    /// One animation frame at host time `now`.
    pub fn tick(&mut self, now: f64) -> Tick {
        self.new_scheduled = 0;
        while self
            .scheduled
            .front()
            .is_some_and(|s| s.host_end() < now - 1.0)
        {
            if let Some(s) = self.scheduled.pop_front() {
                self.audio_pool.push(s.chunk);
            }
        }
        if self.pending_seek.is_some() {
            // Paused or not, a seek waiting for its data lands when it is here.
            self.resolve_pending_seek(now);
        }
        if !self.playing {
            return Tick::default();
        }
        let selection = match self.config.mode {
            Mode::File => self.tick_file(now),
            Mode::Live { latency } if latency > 0.0 => self.tick_buffered(now, latency),
            Mode::Live { .. } => self.tick_live(now),
        };
        self.stats.frames_dropped += selection.dropped as u64;
        if selection.new_picture {
            self.stats.frames_shown += 1;
        }
        Tick {
            new_picture: selection.new_picture,
            new_audio: self.new_scheduled,
        }
    }

    fn schedule(&mut self, placement: AudioPlacement, chunk: AudioChunk) {
        match placement {
            AudioPlacement::Play { when, offset } => {
                self.scheduled.push_back(ScheduledAudio {
                    chunk,
                    when,
                    offset,
                });
                self.new_scheduled += 1;
                self.stats.audio_frames_played += 1;
            }
            AudioPlacement::Drop => {
                self.stats.audio_frames_dropped += 1;
                self.audio_pool.push(chunk);
            }
        }
    }

    /// Hands queued audio to the output up to `horizon` (host time) with `policy`.
    fn schedule_audio(&mut self, now: f64, policy: SyncPolicy) {
        if !self.audio_active {
            // Nobody can hear it: discard what is due so the queue stays short.
            let t = self.clock.media_time(now).unwrap_or(f64::NEG_INFINITY);
            let free = matches!(policy, SyncPolicy::Free { .. });
            while self
                .audio_queue
                .front()
                .is_some_and(|c| free || c.end() <= t)
            {
                if let Some(c) = self.audio_queue.pop_front() {
                    self.audio_pool.push(c);
                    self.stats.audio_frames_dropped += 1;
                }
            }
            return;
        }
        while let Some(front) = self.audio_queue.front() {
            if !matches!(policy, SyncPolicy::Free { .. }) {
                match self.clock.host_time(front.time) {
                    Some(h) if h > now + SCHEDULE_AHEAD => break,
                    None => break,
                    _ => {}
                }
            }
            let (time, duration) = (front.time, front.duration());
            let placement = self
                .scheduler
                .place(time, duration, now, &mut self.clock, policy);
            if let Some(chunk) = self.audio_queue.pop_front() {
                self.schedule(placement, chunk);
            }
        }
    }

    fn tick_file(&mut self, now: f64) -> Selection {
        if self.pending_seek.is_some() {
            return Selection::default();
        }
        self.pump(false);
        if !self.clock.is_started() {
            let first_audio = self
                .audio_queue
                .front()
                .filter(|_| self.audio_active)
                .map(|c| c.time);
            let first = match (self.pictures.front_time(), first_audio) {
                (Some(v), Some(a)) => Some(v.min(a)),
                (v, a) => v.or(a),
            };
            let Some(t) = first else {
                self.check_end(now);
                return Selection::default();
            };
            self.clock.start(now + MIN_LEAD, t);
        }
        if self.stalled {
            if self.pictures.is_empty() && self.audio_queue.is_empty() {
                self.check_end(now);
                return Selection::default();
            }
            self.stalled = false;
            self.clock.resume(now);
        }
        self.schedule_audio(now, SyncPolicy::AudioMaster);
        let t = self.clock.media_time(now).unwrap_or(0.0);
        let selection = self.pictures.select_due(t);
        self.check_end(now);
        selection
    }

    /// Files: stall, loop or end when the data runs out.
    fn check_end(&mut self, now: f64) {
        let drained =
            self.fed >= self.input.len() && self.pictures.is_empty() && self.audio_queue.is_empty();
        if !drained {
            return;
        }
        let t = self.clock.media_time(now).unwrap_or(0.0);
        let audio_done = self.scheduler.scheduled_until().is_none_or(|e| e <= now);
        let shown_all = t >= self.media_end - 0.001 || !self.clock.is_started();
        if !self.input_complete {
            if !self.stalled && self.clock.is_started() && t >= self.media_end {
                self.stalled = true;
                self.clock.pause(now);
                self.events.push(EngineEvent::Stalled);
            }
            return;
        }
        if !(self.finish_sent && audio_done && shown_all) {
            return;
        }
        if !self.decoded_anything {
            if !std::mem::replace(&mut self.reported_no_mpeg, true) {
                self.events.push(EngineEvent::Error(
                    "no MPEG video or audio found in the data".into(),
                ));
            }
            self.events.push(EngineEvent::Paused);
            self.playing = false;
            self.clock.pause(now);
            return;
        }
        self.duration = Some(self.media_end);
        if self.config.loop_playback && self.input_base > 0 {
            // The start of the file is not in memory: read it again.
            self.wanted_range = Some(0);
            self.pending_seek = Some(0.0);
            self.range_attempts = 0;
            self.events.push(EngineEvent::Looped);
        } else if self.config.loop_playback {
            self.restart_file();
            self.events.push(EngineEvent::Looped);
        } else {
            self.playing = false;
            self.ended = true;
            self.clock.pause(now);
            self.events.push(EngineEvent::Ended);
        }
    }

    fn restart_file(&mut self) {
        self.restart_file_at(0);
    }

    /// Files: starts decoding again at byte `offset` of the input.
    fn restart_file_at(&mut self, offset: usize) {
        if offset > 0 || self.input_base > 0 {
            // Mid-file bytes must not be taken for another container.
            self.decoder = Decoder::new(DecoderConfig {
                container: self.decoder.container(),
                ..Self::decoder_config(&self.config)
            });
        } else {
            self.decoder.reset();
        }
        self.fed = offset.min(self.input.len());
        self.seek_start = self.fed;
        self.finish_sent = false;
        self.pictures.clear();
        self.recycle_audio();
        self.scheduler.reset();
        self.clock.reset();
        self.stalled = false;
    }

    fn tick_live(&mut self, now: f64) -> Selection {
        let selection = self.pictures.select_newest();
        if selection.new_picture {
            if let Some(p) = self.pictures.current() {
                self.clock.set(now, p.time);
            }
        }
        if !self.clock.is_started() {
            if let Some(a) = self.audio_queue.front() {
                self.clock.start(now, a.time);
            }
        }
        let max_lag = self.config.max_audio_lag;
        self.schedule_audio(now, SyncPolicy::Free { max_lag });
        selection
    }

    fn tick_buffered(&mut self, now: f64, latency: f64) -> Selection {
        let first = match (self.pictures.front_time(), self.audio_queue.front()) {
            (Some(v), Some(a)) => Some(v.min(a.time)),
            (v, a) => v.or(a.map(|a| a.time)),
        };
        if !self.clock.is_started() || self.stalled {
            let Some(first) = first else {
                return Selection::default();
            };
            self.stalled = false;
            // Rebuffer: the first waiting data is shown `latency` seconds from now.
            self.clock.start(now + latency, first);
        }
        let t = self.clock.media_time(now).unwrap_or(0.0);
        if let Some(newest) = self.newest_time {
            if newest - t > latency + (latency * 0.5).max(0.5) {
                // Latency grew (a slow tick, a hidden tab, a burst): skip ahead.
                self.clock.set(now, newest - latency);
            } else if t > newest + 0.1 && self.pictures.is_empty() && self.has_video {
                self.stalled = true;
                self.events.push(EngineEvent::Stalled);
                return Selection::default();
            }
        }
        self.schedule_audio(now, SyncPolicy::Synced);
        let t = self.clock.media_time(now).unwrap_or(0.0);
        self.pictures.select_due(t)
    }

    /// Files: decodes the next picture and makes it current, without audio (`nextFrame()`).
    /// False when no picture is available yet.
    pub fn next_frame(&mut self, now: f64) -> bool {
        if self.pictures.is_empty() && !self.is_live() {
            self.pump(true);
        }
        let selection = self.pictures.select_next();
        if let (true, Some(t)) = (
            selection.new_picture,
            self.pictures.current().map(|p| p.time),
        ) {
            self.set_time(now, t);
            self.stats.frames_shown += 1;
            self.redraw = true;
        }
        selection.new_picture
    }

    fn set_time(&mut self, now: f64, t: f64) {
        if self.playing {
            self.clock.set(now, t);
        } else {
            self.clock.start(now, t);
            self.clock.pause(now);
        }
    }

    /// Files: jumps to media time `t` (seconds), landing exactly on the picture shown at `t`.
    /// Decodes from the last random-access point at or before `t` (see [`SeekIndex`]), or
    /// from the start of the data when there is none. Returns false for live streams.
    pub fn seek(&mut self, t: f64, now: f64) -> bool {
        if self.is_live() || !t.is_finite() {
            return false;
        }
        let t = t.max(0.0);
        self.ended = false;
        if let Some(offset) = self.range_target(t) {
            // Far from the data at hand: the source reads from near t, and the seek is done
            // when that data is here.
            self.wanted_range = Some(offset);
            self.pending_seek = Some(t);
            self.range_attempts = 0;
            self.pictures.clear();
            self.recycle_audio();
            self.set_time(now, t);
            return true;
        }
        let with_audio = self.config.audio && self.audio_seen;
        let candidates = self
            .start_pts
            .map(|s| self.seek_index.candidates(t, s, with_audio))
            .unwrap_or_default();
        let expect_video = self.config.video && self.has_video;
        let mut landed = false;
        // The index holds file offsets; only those in memory can be used.
        let base = self.input_base;
        let in_memory = candidates.into_iter().filter_map(|o| o.checked_sub(base));
        for start in in_memory.chain([0]) {
            landed = self.seek_from(t, start);
            // A random-access point whose timestamp was an earlier picture's cannot give the
            // picture at t (when t falls before its I-picture): try the one before, and in the
            // end the start of the data.
            if landed || !expect_video || start == 0 {
                break;
            }
        }
        // Events from decoding up to the target are not news to the page.
        self.events.retain(|e| {
            !matches!(
                e,
                EngineEvent::VideoDecode { .. } | EngineEvent::AudioDecode { .. }
            )
        });
        self.set_time(now, t);
        self.redraw |= landed;
        true
    }

    /// Decodes from byte `offset` until the picture shown at `t` is current. True when a
    /// picture at or before `t` was found.
    fn seek_from(&mut self, t: f64, offset: usize) -> bool {
        self.restart_file_at(offset);
        let mut landed = false;
        loop {
            // Show the last picture at or before t; discard audio that ends before t.
            landed |= self.pictures.select_due(t).new_picture;
            while self.audio_queue.front().is_some_and(|c| c.end() <= t) {
                if let Some(c) = self.audio_queue.pop_front() {
                    self.audio_pool.push(c);
                }
            }
            // Until the streams are known, expect video.
            let expect_video = self.config.video && (self.has_video || !self.has_audio);
            let video_done = !expect_video || self.pictures.front_time().is_some_and(|f| f > t);
            // Audio is muxed near, not exactly at, the video of the same time, and its decoder
            // confirms a frame by the next one: read on until it covers t (but not more than a
            // second of video beyond it, in case the audio ended earlier).
            let audio_done = !(self.config.audio && self.audio_seen)
                || self.audio_queue.back().is_some_and(|c| c.end() > t)
                || self.pictures.newest_time().is_some_and(|n| n > t + 1.0);
            if (video_done && audio_done) || self.fed >= self.input.len() {
                if self.fed >= self.input.len() && self.input_complete && !self.finish_sent {
                    self.pump(true);
                    continue;
                }
                break;
            }
            let end = (self.fed + FEED_CHUNK).min(self.input.len());
            self.decoder.push(&self.input[self.fed..end]);
            self.fed = end;
            self.drain();
        }
        landed
    }

    /// Files: the byte offset the last seek (or restart) started decoding from.
    pub fn seek_start(&self) -> usize {
        self.seek_start
    }

    /// Files: random-access points indexed so far.
    pub fn keyframes_indexed(&self) -> usize {
        self.seek_index.keyframes()
    }

    /// Queues a decoded audio chunk as if the decoder had produced it (tests of the audio
    /// path while no stream at hand has decodable audio).
    #[cfg(test)]
    pub(crate) fn inject_audio(&mut self, chunk: AudioChunk) {
        self.media_end = self.media_end.max(chunk.end());
        self.audio_queue.push_back(chunk);
        self.audio_seen = true;
        self.decoded_anything = true;
    }
}

#[cfg(test)]
mod tests;
