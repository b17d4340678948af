//! Named streams: the publishers' packets are merged ([`Mixer`]), cut into units by one framer
//! and sent into a broadcast channel and a GOP cache; viewers subscribe.
//!
//! Sessions: a new publish session starts when a publisher joins a stream that has none, or
//! none whose video viewers start on (e.g. the video publisher restarts while the audio one
//! goes on). Viewers then resume at the next key unit and the GOP cache starts over, so that a
//! publisher that (re)starts in the middle of a GOP never shows them broken pictures. A
//! publisher that joins a stream whose video is live (the audio of the two-ffmpeg trick) does
//! not disturb viewers: its packets start at its first PES, on PIDs of its own. When a
//! publisher leaves and others remain,
//! the session goes on: viewers keep their sockets and the rest of the stream (its PMT no
//! longer lists the streams that left); the GOP cache is dropped if the video that new viewers
//! start on left with it. When the last publisher leaves, the session ends and the cache is
//! dropped; viewers stay connected and wait for the next publisher.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::broadcast;

use crate::framer::{clean_start, Framer, StartProgress, TsFramer, Unit, TS_PACKET};
use crate::merge::{Mixer, SourceId};

/// The most publishers one stream merges at once; more are refused (HTTP 503).
pub const MAX_PUBLISHERS: usize = 8;

/// The window of the input bit rate shown in `/api/streams` and `/metrics`.
pub const RATE_WINDOW: Duration = Duration::from_secs(5);
/// Granularity of the bit rate window.
const RATE_BUCKET: Duration = Duration::from_millis(250);

/// Bytes received per [`RATE_BUCKET`] over the last [`RATE_WINDOW`].
#[derive(Debug, Default)]
struct Rate {
    buckets: VecDeque<(Instant, u64)>,
}

impl Rate {
    fn add(&mut self, now: Instant, bytes: u64) {
        match self.buckets.back_mut() {
            Some((start, n)) if now.duration_since(*start) < RATE_BUCKET => *n += bytes,
            _ => self.buckets.push_back((now, bytes)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|(start, _)| now.duration_since(*start) > RATE_WINDOW)
        {
            self.buckets.pop_front();
        }
    }

    /// Bits per second over the last [`RATE_WINDOW`] (or since `since`, if later; 0 for less
    /// than half a second).
    fn bits_per_second(&self, now: Instant, since: Instant) -> u64 {
        let span = now.duration_since(since).min(RATE_WINDOW);
        if span < Duration::from_millis(500) {
            return 0;
        }
        let bytes: u64 = self
            .buckets
            .iter()
            .filter(|(start, _)| now.duration_since(*start) <= RATE_WINDOW)
            .map(|(_, n)| n)
            .sum();
        (bytes as f64 * 8.0 / span.as_secs_f64()) as u64
    }
}

/// A unit as it travels to viewers: tagged with the publish session it belongs to.
#[derive(Debug)]
pub struct Item {
    /// Publish session number (a new one starts each time a publisher joins).
    pub session: u64,
    /// The unit.
    pub unit: Unit,
}

/// What a new viewer gets on joining.
pub struct Join {
    /// The receiver of everything published after the snapshot.
    pub rx: broadcast::Receiver<Arc<Item>>,
    /// The GOP cache as one message (prefix + units from the last complete I-picture), if any.
    pub first: Option<(u64, Bytes)>,
    /// The current session.
    pub session: u64,
}

#[derive(Default)]
struct Cache {
    /// The previous GOP, kept until the current one holds a complete I-picture.
    prev: Vec<Arc<Item>>,
    /// The GOP being received, starting with a key unit.
    gop: Vec<Arc<Item>>,
    /// How far `gop` is towards showing its I-picture.
    gop_progress: StartProgress,
    bytes: usize,
}

impl Cache {
    fn clear(&mut self) {
        self.prev.clear();
        self.gop.clear();
        self.gop_progress = StartProgress::default();
        self.bytes = 0;
    }

    fn add(&mut self, item: &Arc<Item>, limit: usize) {
        if item.unit.key {
            if item.unit.format_change || !self.gop_progress.ready() {
                self.prev.clear();
            } else {
                self.prev = std::mem::take(&mut self.gop);
            }
            self.gop.clear();
            self.gop_progress = StartProgress::default();
            self.bytes = self.prev.iter().map(|i| i.unit.data.len()).sum();
        } else if self.gop.is_empty() {
            return;
        }
        self.gop.push(Arc::clone(item));
        self.gop_progress.add(&item.unit.pictures);
        self.bytes += item.unit.data.len();
        if self.gop_progress.ready() && !self.prev.is_empty() {
            self.prev.clear();
            self.bytes = self.gop.iter().map(|i| i.unit.data.len()).sum();
        }
        if self.bytes > limit {
            // A GOP too long to cache: new viewers wait for the next key unit instead.
            self.clear();
        }
    }

    /// The cache as one message, if it starts with a complete I-picture.
    fn snapshot(&self) -> Option<(u64, Bytes)> {
        let units: Vec<&Arc<Item>> = if self.prev.is_empty() {
            if !self.gop_progress.ready() {
                return None;
            }
            self.gop.iter().collect()
        } else {
            self.prev.iter().chain(self.gop.iter()).collect()
        };
        let first = units.first()?;
        let mut buf = BytesMut::with_capacity(self.bytes + first.unit.prefix.len());
        buf.extend_from_slice(&first.unit.prefix);
        for item in &units {
            buf.extend_from_slice(&item.unit.data);
        }
        Some((first.session, clean_start(&buf)))
    }
}

struct State {
    session: u64,
    cache: Cache,
    /// Merges the publishers.
    mixer: Mixer,
    /// Cuts the merged packets into units.
    framer: TsFramer,
    /// Publishers that give way to any other (the demo).
    yielding: Vec<SourceId>,
    last_source: SourceId,
    /// Since when someone has been publishing, if anyone is.
    publishing_since: Option<Instant>,
    rate: Rate,
    size: Option<(u16, u16)>,
    /// Reused buffer of merged packets.
    merged: Vec<u8>,
}

/// One named stream.
pub struct Stream {
    name: String,
    tx: broadcast::Sender<Arc<Item>>,
    state: Mutex<State>,
    cache_limit: usize,
    created: Instant,
    viewers: AtomicUsize,
    publishers: AtomicUsize,
    /// Bytes received from publishers.
    pub bytes_in: AtomicU64,
    /// Bytes sent to viewers.
    pub bytes_out: AtomicU64,
    /// Times a viewer fell behind and skipped to the next key unit.
    pub lagged: AtomicU64,
    /// Viewers disconnected for being too slow or dead.
    pub dropped: AtomicU64,
}

/// A snapshot of a stream's state for `/api/streams` and `/metrics`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StreamStats {
    /// Stream name.
    pub name: String,
    /// Active publishers (merged into one stream).
    pub publishers: usize,
    /// Connected viewers.
    pub viewers: usize,
    /// Input bit rate over the last 5 seconds (all publishers), bits per second.
    pub bitrate: u64,
    /// Seconds since the stream was created.
    pub uptime: f64,
    /// Seconds since someone started publishing (0 when nobody publishes).
    pub publish_uptime: f64,
    /// Last picture width seen, or 0.
    pub width: u16,
    /// Last picture height seen, or 0.
    pub height: u16,
    /// Bytes received from publishers.
    pub bytes_in: u64,
    /// Bytes sent to viewers.
    pub bytes_out: u64,
    /// Times a viewer skipped forward after falling behind.
    pub lagged: u64,
    /// Viewers disconnected for being slow or dead.
    pub dropped: u64,
    /// Number of publish sessions so far.
    pub sessions: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Stream {
    fn new(name: String, queue: usize, cache_limit: usize) -> Stream {
        let (tx, _) = broadcast::channel(queue.max(1));
        Stream {
            name,
            tx,
            state: Mutex::new(State {
                session: 0,
                cache: Cache::default(),
                mixer: Mixer::new(),
                framer: TsFramer::new(),
                yielding: Vec::new(),
                last_source: 0,
                publishing_since: None,
                rate: Rate::default(),
                size: None,
                merged: Vec::new(),
            }),
            cache_limit,
            created: Instant::now(),
            viewers: AtomicUsize::new(0),
            publishers: AtomicUsize::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// The stream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a publisher, starting a new publish session when nobody publishes or the video
    /// viewers start on has left (the GOP cache is dropped and viewers wait for the next key
    /// unit). A `yielding` publisher (the demo) is removed as soon as another one joins.
    /// Returns the publisher's id for [`Stream::publish`].
    pub fn add_publisher(&self, yielding: bool) -> SourceId {
        let mut st = lock(&self.state);
        let st = &mut *st;
        if !yielding {
            for id in std::mem::take(&mut st.yielding) {
                st.mixer.remove(id, &mut Vec::new());
            }
        }
        if st.mixer.is_empty() {
            st.framer = TsFramer::new();
            st.publishing_since = Some(Instant::now());
        }
        let video_live = st
            .framer
            .video_pid()
            .is_some_and(|v| st.mixer.owner(v).is_some());
        st.last_source += 1;
        let id = st.last_source;
        st.mixer.add(id);
        if yielding {
            st.yielding.push(id);
        }
        if !video_live {
            st.session += 1;
            st.cache.clear();
        }
        id
    }

    /// Removes a publisher (see the module documentation for what viewers see).
    pub fn remove_publisher(&self, id: SourceId) {
        let mut st = lock(&self.state);
        let st = &mut *st;
        if !st.mixer.has(id) {
            return;
        }
        st.yielding.retain(|y| *y != id);
        let mut tables = std::mem::take(&mut st.merged);
        tables.clear();
        let freed = st.mixer.remove(id, &mut tables);
        let mut units = Vec::new();
        if st.mixer.is_empty() {
            st.framer.finish(&mut units);
            self.send(st, units);
            st.framer = TsFramer::new();
            st.cache.clear();
            st.publishing_since = None;
        } else {
            let video_left = st.framer.video_pid().is_some_and(|v| freed.contains(&v));
            if video_left {
                st.framer.finish(&mut units);
            }
            st.framer.push(&tables, &mut units);
            self.send(st, units);
            if video_left {
                st.cache.clear();
            }
        }
        st.merged = tables;
    }

    /// The current session number.
    pub fn current_session(&self) -> u64 {
        lock(&self.state).session
    }

    /// Publishes whole TS packets of publisher `id` (`input_bytes` is what it sent for them,
    /// for the statistics). Returns false when the publisher is no longer part of the stream
    /// (a yielding publisher that gave way): the caller should stop.
    pub fn publish(&self, id: SourceId, packets: &[u8], input_bytes: usize) -> bool {
        self.bytes_in
            .fetch_add(input_bytes as u64, Ordering::Relaxed);
        let mut st = lock(&self.state);
        let st = &mut *st;
        if !st.mixer.has(id) {
            return false;
        }
        st.rate.add(Instant::now(), input_bytes as u64);
        let mut merged = std::mem::take(&mut st.merged);
        merged.clear();
        for pkt in packets.chunks_exact(TS_PACKET) {
            st.mixer.packet(id, pkt, &mut merged);
        }
        let mut units = Vec::new();
        st.framer.push(&merged, &mut units);
        st.merged = merged;
        st.size = st.framer.picture_size().or(st.size);
        self.send(st, units);
        true
    }

    /// Caches and broadcasts units of the current session.
    fn send(&self, st: &mut State, units: Vec<Unit>) {
        for unit in units {
            let item = Arc::new(Item {
                session: st.session,
                unit,
            });
            st.cache.add(&item, self.cache_limit);
            // No receivers is fine: nobody is watching.
            let _ = self.tx.send(item);
        }
    }

    /// Subscribes a viewer: the cache snapshot and the receiver are taken together, so the
    /// viewer sees neither a gap nor a duplicate between them.
    pub fn join(&self) -> Join {
        let st = lock(&self.state);
        Join {
            rx: self.tx.subscribe(),
            first: st.cache.snapshot(),
            session: st.session,
        }
    }

    /// Statistics.
    pub fn stats(&self) -> StreamStats {
        let st = lock(&self.state);
        let now = Instant::now();
        let (publish_uptime, bitrate) = match st.publishing_since {
            Some(since) => (
                now.duration_since(since).as_secs_f64(),
                st.rate.bits_per_second(now, since),
            ),
            None => (0.0, 0),
        };
        let (width, height) = st.size.unwrap_or((0, 0));
        StreamStats {
            name: self.name.clone(),
            publishers: self.publishers.load(Ordering::Relaxed),
            viewers: self.viewers.load(Ordering::Relaxed),
            bitrate,
            uptime: self.created.elapsed().as_secs_f64(),
            publish_uptime,
            width,
            height,
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            lagged: self.lagged.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            sessions: st.session,
        }
    }
}

/// Why a stream could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// `--max-streams` reached.
    TooManyStreams,
    /// `--max-viewers` reached on this stream.
    TooManyViewers,
    /// [`MAX_PUBLISHERS`] reached on this stream.
    TooManyPublishers,
}

/// Role of a handle on a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A publisher.
    Publisher,
    /// A viewer.
    Viewer,
}

/// Keeps a stream alive and counted while a publisher or viewer uses it.
pub struct StreamHandle {
    registry: Arc<Registry>,
    stream: Arc<Stream>,
    role: Role,
}

impl StreamHandle {
    /// The stream.
    pub fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }
}

impl Drop for StreamHandle {
    fn drop(&mut self) {
        let mut map = lock(&self.registry.streams);
        match self.role {
            Role::Publisher => self.stream.publishers.fetch_sub(1, Ordering::Relaxed),
            Role::Viewer => self.stream.viewers.fetch_sub(1, Ordering::Relaxed),
        };
        let idle = self.stream.publishers.load(Ordering::Relaxed) == 0
            && self.stream.viewers.load(Ordering::Relaxed) == 0
            && !self.registry.pinned.iter().any(|p| p == self.stream.name());
        if idle {
            map.remove(self.stream.name());
        }
    }
}

/// All streams.
pub struct Registry {
    streams: Mutex<HashMap<String, Arc<Stream>>>,
    pinned: Vec<String>,
    queue: usize,
    cache_limit: usize,
    max_streams: usize,
    max_viewers: usize,
}

impl Registry {
    /// A registry. `queue` is the per-stream broadcast capacity in units, `cache_limit` the
    /// GOP cache limit in bytes; `pinned` streams are listed even when idle.
    pub fn new(
        queue: usize,
        cache_limit: usize,
        max_streams: usize,
        max_viewers: usize,
        pinned: Vec<String>,
    ) -> Registry {
        Registry {
            streams: Mutex::new(HashMap::new()),
            pinned,
            queue,
            cache_limit,
            max_streams,
            max_viewers,
        }
    }

    /// Opens (creating if needed) a stream for a publisher or viewer.
    pub fn open(self: &Arc<Self>, name: &str, role: Role) -> Result<StreamHandle, OpenError> {
        let mut map = lock(&self.streams);
        let existing = map.get(name).cloned();
        let (viewers, publishers) = existing.as_ref().map_or((0, 0), |s| {
            (
                s.viewers.load(Ordering::Relaxed),
                s.publishers.load(Ordering::Relaxed),
            )
        });
        match role {
            Role::Publisher if publishers >= MAX_PUBLISHERS => {
                return Err(OpenError::TooManyPublishers)
            }
            Role::Viewer if viewers >= self.max_viewers => return Err(OpenError::TooManyViewers),
            _ => {}
        }
        let stream = if let Some(s) = existing {
            s
        } else {
            if map.len() >= self.max_streams {
                return Err(OpenError::TooManyStreams);
            }
            let s = Arc::new(Stream::new(name.to_owned(), self.queue, self.cache_limit));
            map.insert(name.to_owned(), Arc::clone(&s));
            s
        };
        // Counted under the registry lock, so the limits hold.
        match role {
            Role::Publisher => stream.publishers.fetch_add(1, Ordering::Relaxed),
            Role::Viewer => stream.viewers.fetch_add(1, Ordering::Relaxed),
        };
        Ok(StreamHandle {
            registry: Arc::clone(self),
            stream,
            role,
        })
    }

    /// Statistics of every stream, sorted by name.
    pub fn stats(&self) -> Vec<StreamStats> {
        let streams: Vec<Arc<Stream>> = lock(&self.streams).values().cloned().collect();
        let mut stats: Vec<StreamStats> = streams.iter().map(|s| s.stats()).collect();
        stats.sort_by(|a, b| a.name.cmp(&b.name));
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rate_is_recent() {
        let start = Instant::now();
        let mut rate = Rate::default();
        let mut now = start;
        // 100 kB/s for 10 s.
        for _ in 0..40 {
            rate.add(now, 25_000);
            now += Duration::from_millis(250);
        }
        let full = rate.bits_per_second(now, start);
        assert!((760_000..=840_000).contains(&full), "{full}");
        assert!(rate.buckets.len() <= 22, "{}", rate.buckets.len());
        // Then nothing for 2.5 s: half the window is silent.
        now += Duration::from_millis(2250);
        let half = rate.bits_per_second(now, start);
        assert!((340_000..=460_000).contains(&half), "{half}");
        // Just started: no rate yet.
        assert_eq!(rate.bits_per_second(now, now), 0);
    }
}
