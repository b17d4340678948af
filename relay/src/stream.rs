//! Named streams: the publisher side feeds units through a framer into a broadcast channel and
//! a GOP cache; viewers subscribe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::sync::broadcast;

use crate::framer::{clean_start, StartProgress, Unit};

/// A unit as it travels to viewers: tagged with the publish session it belongs to.
#[derive(Debug)]
pub struct Item {
    /// Publish session number (a new one starts each time a publisher connects).
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
    publishing: bool,
    session_started: Instant,
    session_bytes: u64,
    size: Option<(u16, u16)>,
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
    /// Active publishers (0 or 1).
    pub publishers: usize,
    /// Connected viewers.
    pub viewers: usize,
    /// Average input bit rate of the current publish session, bits per second.
    pub bitrate: u64,
    /// Seconds since the stream was created.
    pub uptime: f64,
    /// Seconds since the current publish session started (0 when nobody publishes).
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
                publishing: false,
                session_started: Instant::now(),
                session_bytes: 0,
                size: None,
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

    /// Starts a publish session (a new publisher replaces the previous one): the GOP cache is
    /// dropped and viewers wait for the new session's first key unit.
    pub fn begin_session(&self) -> u64 {
        let mut st = lock(&self.state);
        st.session += 1;
        st.cache.clear();
        st.publishing = true;
        st.session_started = Instant::now();
        st.session_bytes = 0;
        st.size = None;
        st.session
    }

    /// Ends a publish session if it is still the current one.
    pub fn end_session(&self, session: u64) {
        let mut st = lock(&self.state);
        if st.session == session {
            st.publishing = false;
            st.cache.clear();
        }
    }

    /// The current session number.
    pub fn current_session(&self) -> u64 {
        lock(&self.state).session
    }

    /// Publishes units of `session`. Returns false when the session was replaced by a newer
    /// publisher (the caller should stop).
    pub fn publish(
        &self,
        session: u64,
        units: Vec<Unit>,
        input_bytes: usize,
        size: Option<(u16, u16)>,
    ) -> bool {
        self.bytes_in
            .fetch_add(input_bytes as u64, Ordering::Relaxed);
        let mut st = lock(&self.state);
        if st.session != session {
            return false;
        }
        st.session_bytes += input_bytes as u64;
        st.size = size;
        for unit in units {
            let item = Arc::new(Item { session, unit });
            st.cache.add(&item, self.cache_limit);
            // No receivers is fine: nobody is watching.
            let _ = self.tx.send(item);
        }
        true
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
        let publish_uptime = if st.publishing {
            st.session_started.elapsed().as_secs_f64()
        } else {
            0.0
        };
        let bitrate = if publish_uptime > 0.5 {
            (st.session_bytes as f64 * 8.0 / publish_uptime) as u64
        } else {
            0
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
        let stream = if let Some(s) = map.get(name) {
            Arc::clone(s)
        } else {
            if map.len() >= self.max_streams {
                return Err(OpenError::TooManyStreams);
            }
            let s = Arc::new(Stream::new(name.to_owned(), self.queue, self.cache_limit));
            map.insert(name.to_owned(), Arc::clone(&s));
            s
        };
        match role {
            Role::Publisher => {
                stream.publishers.fetch_add(1, Ordering::Relaxed);
            }
            Role::Viewer => {
                if stream.viewers.load(Ordering::Relaxed) >= self.max_viewers {
                    return Err(OpenError::TooManyViewers);
                }
                stream.viewers.fetch_add(1, Ordering::Relaxed);
            }
        }
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
