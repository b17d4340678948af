//! HTTP routes: ingest, WebSocket viewers, the API, metrics and the embedded pages.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use subtle::ConstantTimeEq;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::framer::{clean_start, StartProgress};
use crate::stream::{Join, OpenError, Registry, Role, Stream, StreamStats};

/// Shared state of the relay.
pub struct App {
    /// Settings.
    pub config: Config,
    /// The streams.
    pub registry: Arc<Registry>,
    /// Cancelled on shutdown.
    pub cancel: CancellationToken,
    /// Tracks viewer tasks, so that shutdown can wait for their close frames.
    pub tracker: TaskTracker,
    /// Tracks recording writers, so that shutdown can wait for their files to be finished.
    pub recordings: TaskTracker,
    started: Instant,
}

impl App {
    /// Shared state for `config`.
    pub fn new(config: Config, cancel: CancellationToken) -> Arc<App> {
        let pinned = config.demo.iter().cloned().collect();
        let registry = Arc::new(Registry::new(
            config.queue,
            config.gop_cache_bytes,
            config.max_streams,
            config.max_viewers,
            pinned,
        ));
        Arc::new(App {
            config,
            registry,
            cancel,
            tracker: TaskTracker::new(),
            recordings: TaskTracker::new(),
            started: Instant::now(),
        })
    }
}

/// The router with every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/streams", get(api_streams))
        .route("/metrics", get(metrics))
        .route(
            "/publish/{stream}",
            post(publish).put(publish).get(ws_publish),
        )
        .route(
            "/publish/{stream}/{secret}",
            post(publish_with_secret)
                .put(publish_with_secret)
                .get(ws_publish_with_secret),
        )
        .route("/ws/{stream}", get(viewer))
        .route("/upload/{secret}", post(rphlo_upload).put(rphlo_upload))
        .route("/live.ts", get(rphlo_viewer))
        .route("/streamsocket", get(rphlo_viewer))
        .fallback(get(crate::assets::serve))
        .with_state(app)
}

/// A stream name: 1 to 64 of `A-Z a-z 0-9 _ - .`, not starting with a dot.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

#[derive(serde::Serialize)]
struct ApiStreams {
    uptime: f64,
    streams: Vec<StreamStats>,
}

async fn api_streams(State(app): State<Arc<App>>) -> Json<impl serde::Serialize> {
    Json(ApiStreams {
        uptime: app.started.elapsed().as_secs_f64(),
        streams: app.registry.stats(),
    })
}

/// A metric: name, type, help and how to read it from a stream's statistics.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&StreamStats) -> u64,
);

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let stats = app.registry.stats();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP wasmpeg_relay_uptime_seconds Seconds since the relay started."
    );
    let _ = writeln!(out, "# TYPE wasmpeg_relay_uptime_seconds gauge");
    let _ = writeln!(
        out,
        "wasmpeg_relay_uptime_seconds {:.3}",
        app.started.elapsed().as_secs_f64()
    );
    let _ = writeln!(out, "# HELP wasmpeg_relay_streams Streams open.");
    let _ = writeln!(out, "# TYPE wasmpeg_relay_streams gauge");
    let _ = writeln!(out, "wasmpeg_relay_streams {}", stats.len());
    let series: [Series; 7] = [
        ("viewers", "gauge", "Connected viewers.", |s| {
            s.viewers as u64
        }),
        ("publishers", "gauge", "Active publishers.", |s| {
            s.publishers as u64
        }),
        (
            "bitrate_bits_per_second",
            "gauge",
            "Input bit rate over the last 5 seconds.",
            |s| s.bitrate,
        ),
        (
            "received_bytes_total",
            "counter",
            "Bytes received from publishers.",
            |s| s.bytes_in,
        ),
        (
            "sent_bytes_total",
            "counter",
            "Bytes sent to viewers.",
            |s| s.bytes_out,
        ),
        (
            "viewer_skips_total",
            "counter",
            "Times a slow viewer skipped ahead to the next I-picture.",
            |s| s.lagged,
        ),
        (
            "viewers_dropped_total",
            "counter",
            "Viewers disconnected for being slow or dead.",
            |s| s.dropped,
        ),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(out, "# HELP wasmpeg_relay_{name} {help}");
        let _ = writeln!(out, "# TYPE wasmpeg_relay_{name} {kind}");
        for s in &stats {
            // Stream names are restricted to characters that need no escaping.
            let _ = writeln!(
                out,
                "wasmpeg_relay_{name}{{stream=\"{}\"}} {}",
                s.name,
                value(s)
            );
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

/// Whether `presented` holds the secret required for `stream` (constant-time comparison).
fn authorized(config: &Config, stream: &str, presented: &[&str]) -> bool {
    matches(
        config.stream_secrets.get(stream).or(config.secret.as_ref()),
        presented,
    )
}

/// Whether one of `presented` is `required` (constant-time comparison); true when nothing is
/// required.
fn matches(required: Option<&String>, presented: &[&str]) -> bool {
    let Some(required) = required else {
        return true;
    };
    let mut ok = subtle::Choice::from(0);
    for p in presented {
        ok |= p.as_bytes().ct_eq(required.as_bytes());
    }
    ok.into()
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Checks a viewer's token (`?token=` or `Authorization: Bearer`) when one is required;
/// `None` means accepted, otherwise the 401 (none presented) or 403 (wrong) response.
fn check_viewer(
    app: &App,
    name: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Option<Response> {
    let config = &app.config;
    let required = config
        .stream_viewer_tokens
        .get(name)
        .or(config.viewer_token.as_ref());
    required?;
    let presented: Vec<&str> = [query.get("token").map(String::as_str), bearer(headers)]
        .into_iter()
        .flatten()
        .collect();
    if presented.is_empty() {
        warn!(stream = %name, %peer, "viewer rejected: no token");
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "viewer token required (?token=...)\n",
            )
                .into_response(),
        );
    }
    if matches(required, &presented) {
        None
    } else {
        warn!(stream = %name, %peer, "viewer rejected: wrong token");
        Some((StatusCode::FORBIDDEN, "wrong viewer token\n").into_response())
    }
}

/// Checks the Origin of a WebSocket upgrade against `--allow-origin` (requests without an
/// Origin, i.e. not from a browser, pass); `None` means accepted, otherwise the 403 response.
fn check_origin(app: &App, name: &str, headers: &HeaderMap, peer: SocketAddr) -> Option<Response> {
    let allowed = &app.config.allow_origins;
    let origin = headers.get(header::ORIGIN)?;
    if allowed.is_empty() {
        return None;
    }
    let ok = origin.to_str().is_ok_and(|o| {
        let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
        allowed.contains(&o)
    });
    if ok {
        None
    } else {
        warn!(stream = %name, %peer, origin = ?origin, "websocket rejected: origin not allowed");
        Some((StatusCode::FORBIDDEN, "origin not allowed\n").into_response())
    }
}

/// Checks a publisher's secret (from the path, `?secret=` or `Authorization: Bearer`); `None`
/// means accepted, otherwise the 403 response.
fn check_publisher(
    app: &App,
    name: &str,
    path_secret: Option<&str>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Option<Response> {
    let presented: Vec<&str> = [
        path_secret,
        query.get("secret").map(String::as_str),
        bearer(headers),
    ]
    .into_iter()
    .flatten()
    .collect();
    if authorized(&app.config, name, &presented) {
        None
    } else {
        warn!(stream = %name, %peer, "publisher rejected: wrong or missing secret");
        Some((StatusCode::FORBIDDEN, "wrong or missing secret\n").into_response())
    }
}

async fn ws_publish_with_secret(
    State(app): State<Arc<App>>,
    Path((stream, secret)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    ws_ingest(app, &stream, Some(&secret), &query, peer, &headers, ws)
}

async fn ws_publish(
    State(app): State<Arc<App>>,
    Path(stream): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    ws_ingest(app, &stream, None, &query, peer, &headers, ws)
}

/// Largest WebSocket message a publisher may send.
const MAX_PUBLISH_MESSAGE: usize = 1 << 20;

/// WebSocket ingest (`GET /publish/<stream>` with an upgrade): each binary message is stream
/// bytes; text messages are ignored. Same authentication as HTTP ingest (403 before the
/// upgrade).
fn ws_ingest(
    app: Arc<App>,
    name: &str,
    path_secret: Option<&str>,
    query: &HashMap<String, String>,
    peer: SocketAddr,
    headers: &HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !valid_name(name) {
        return (StatusCode::BAD_REQUEST, "invalid stream name\n").into_response();
    }
    if let Some(r) = check_origin(&app, name, headers, peer) {
        return r;
    }
    if let Some(r) = check_publisher(&app, name, path_secret, query, headers, peer) {
        return r;
    }
    if app.cancel.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let handle = match app.registry.open(name, Role::Publisher) {
        Ok(h) => h,
        Err(e) => return open_error(e, name, peer),
    };
    let ws = match offered_protocol(headers) {
        Some(p) => ws.protocols([p]),
        None => ws,
    };
    let tracker = app.tracker.clone();
    ws.max_message_size(MAX_PUBLISH_MESSAGE)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let (mut sink, incoming) = socket.split();
                let chunks = incoming
                    .take_while(|m| std::future::ready(!matches!(m, Ok(Message::Close(_)))))
                    .filter_map(|m| {
                        std::future::ready(match m {
                            Ok(Message::Binary(b)) => Some(Ok(b)),
                            Ok(_) => None,
                            Err(e) => Some(Err(e)),
                        })
                    });
                let peer = format!("ws:{peer}");
                let why = crate::ingest::pump(&app, handle, &peer, Box::pin(chunks)).await;
                let (code, reason) = if why == "shutdown" {
                    (close_code::AWAY, "relay shutting down")
                } else {
                    (close_code::NORMAL, "bye")
                };
                close(&mut sink, code, reason).await;
            })
        })
}

async fn publish_with_secret(
    State(app): State<Arc<App>>,
    Path((stream, secret)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(app, stream, Some(secret), query, peer, headers, body).await
}

async fn publish(
    State(app): State<Arc<App>>,
    Path(stream): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(app, stream, None, query, peer, headers, body).await
}

async fn ingest(
    app: Arc<App>,
    name: String,
    path_secret: Option<String>,
    query: HashMap<String, String>,
    peer: SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !valid_name(&name) {
        return (StatusCode::BAD_REQUEST, "invalid stream name\n").into_response();
    }
    if let Some(r) = check_publisher(&app, &name, path_secret.as_deref(), &query, &headers, peer) {
        return r;
    }
    let handle = match app.registry.open(&name, Role::Publisher) {
        Ok(h) => h,
        Err(e) => return open_error(e, &name, peer),
    };
    // hyper drops this handler when the client closes the connection right after its last
    // chunk (ffmpeg does), so the session runs in a task of its own that reads the body to
    // its end and finishes the recording whatever happens to the request.
    let peer = peer.to_string();
    let tracker = app.tracker.clone();
    let session = tracker.spawn(async move {
        crate::ingest::pump(&app, handle, &peer, body.into_data_stream()).await;
    });
    let _ = session.await;
    (StatusCode::OK, "bye\n").into_response()
}

/// The 503 response for a stream that cannot be opened (logged).
fn open_error(e: OpenError, name: &str, peer: SocketAddr) -> Response {
    warn!(stream = %name, %peer, error = ?e, "refused: limit reached");
    let msg = match e {
        OpenError::TooManyStreams => "too many streams\n",
        OpenError::TooManyViewers => "too many viewers on this stream\n",
        OpenError::TooManyPublishers => "too many publishers on this stream\n",
    };
    (StatusCode::SERVICE_UNAVAILABLE, msg).into_response()
}

/// The first subprotocol the client offers, if it is a valid token.
fn offered_protocol(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
        })
        .map(str::to_owned)
}

async fn viewer(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    watch(app, name, &query, peer, &headers, ws)
}

/// rphlo/websocket-relay's viewer routes (`/live.ts`, `/streamsocket`): the stream `live`.
async fn rphlo_viewer(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    watch(app, RPHLO_STREAM.to_owned(), &query, peer, &headers, ws)
}

/// The router of the JSMpeg-compatible ingest port: any method on `/<secret>[/...]`
/// publishes the request body to `--jsmpeg-stream` (the secret is the first path segment).
pub fn jsmpeg_ingest_router(app: Arc<App>) -> Router {
    Router::new().fallback(jsmpeg_ingest).with_state(app)
}

/// The router of the JSMpeg-compatible viewer port: a WebSocket on any path watches
/// `--jsmpeg-stream`.
pub fn jsmpeg_viewer_router(app: Arc<App>) -> Router {
    Router::new().fallback(jsmpeg_viewer).with_state(app)
}

async fn jsmpeg_ingest(
    State(app): State<Arc<App>>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let secret = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let name = app.config.jsmpeg_stream.clone();
    ingest(app, name, secret, query, peer, headers, body).await
}

async fn jsmpeg_viewer(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let name = app.config.jsmpeg_stream.clone();
    watch(app, name, &query, peer, &headers, ws)
}

/// rphlo/websocket-relay's ingest route (`/upload/<secret>`): publishes the stream `live`.
async fn rphlo_upload(
    State(app): State<Arc<App>>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(
        app,
        RPHLO_STREAM.to_owned(),
        Some(secret),
        query,
        peer,
        headers,
        body,
    )
    .await
}

/// The stream behind rphlo's compatible routes.
pub const RPHLO_STREAM: &str = "live";

/// A viewer's WebSocket upgrade: checks (stream name, Origin, token, limits; all before the
/// upgrade), then the viewer task.
fn watch(
    app: Arc<App>,
    name: String,
    query: &HashMap<String, String>,
    peer: SocketAddr,
    headers: &HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !valid_name(&name) {
        return (StatusCode::BAD_REQUEST, "invalid stream name\n").into_response();
    }
    if let Some(r) = check_origin(&app, &name, headers, peer) {
        return r;
    }
    if let Some(r) = check_viewer(&app, &name, query, headers, peer) {
        return r;
    }
    if app.cancel.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let handle = match app.registry.open(&name, Role::Viewer) {
        Ok(h) => h,
        Err(e) => return open_error(e, &name, peer),
    };
    // Browsers fail the handshake when they offered a subprotocol and none is selected:
    // echo the first one offered (JSMpeg's `protocols`, rphlo, `echo-protocol`).
    let ws = match offered_protocol(headers) {
        Some(p) => ws.protocols([p]),
        None => ws,
    };
    // Subscribe before answering the handshake: everything published after the viewer has
    // its 101 reaches it, however late the upgraded connection's task runs.
    let stream = Arc::clone(handle.stream());
    let join = stream.join();
    let tracker = app.tracker.clone();
    // Viewers send only pongs and a close: a small read buffer instead of tungstenite's
    // 128 KiB per connection (bench/relay-load: RSS at 2000 viewers).
    ws.max_message_size(64 << 10)
        .read_buffer_size(VIEWER_READ_BUFFER)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                info!(stream = %name, %peer, "viewer connected");
                let why = run_viewer(socket, &app, &stream, join).await;
                info!(stream = %name, %peer, why, "viewer left");
                drop(handle);
            })
        })
}

/// Outcome of one send to a viewer.
enum Sent {
    Ok,
    Failed,
    TooSlow,
    Cancelled,
}

async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    msg: Message,
    limit: Duration,
    cancel: &CancellationToken,
) -> Sent {
    tokio::select! {
        () = cancel.cancelled() => Sent::Cancelled,
        r = tokio::time::timeout(limit, sink.send(msg)) => match r {
            Ok(Ok(())) => Sent::Ok,
            Ok(Err(_)) => Sent::Failed,
            Err(_) => Sent::TooSlow,
        },
    }
}

async fn close(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    code: u16,
    reason: &'static str,
) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = tokio::time::timeout(
        Duration::from_millis(200),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// A viewer waiting for a key unit collects it until its I-picture is complete, so that its
/// first message (after joining, lagging or a publisher change) shows a picture at once.
struct Start {
    buf: BytesMut,
    progress: StartProgress,
}

/// Sends the stream to one viewer until it leaves, is too slow or dead, or the relay stops.
/// Returns why it ended.
/// Read buffer of a viewer's WebSocket, bytes.
const VIEWER_READ_BUFFER: usize = 4096;

async fn run_viewer(socket: WebSocket, app: &App, stream: &Stream, join: Join) -> &'static str {
    let config = &app.config;
    let (mut sink, mut incoming) = socket.split();
    let Join {
        mut rx,
        first,
        mut session,
    } = join;
    let mut need_key = true;
    let mut start: Option<Start> = None;
    if let Some((s, data)) = first {
        session = s;
        need_key = false;
        let len = data.len() as u64;
        match send(
            &mut sink,
            Message::Binary(data),
            config.max_behind,
            &app.cancel,
        )
        .await
        {
            Sent::Ok => {
                stream.bytes_out.fetch_add(len, Ordering::Relaxed);
            }
            other => return finish(&mut sink, stream, other).await,
        }
    }
    let mut ping = tokio::time::interval(config.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_heard = Instant::now();
    let mut behind_since: Option<Instant> = None;
    loop {
        tokio::select! {
            () = app.cancel.cancelled() => {
                close(&mut sink, close_code::AWAY, "relay shutting down").await;
                return "shutdown";
            }
            r = rx.recv() => match r {
                Ok(item) => {
                    if item.session != session {
                        session = item.session;
                        need_key = true;
                        start = None;
                    }
                    let msg = if need_key {
                        if item.unit.key {
                            let mut buf = BytesMut::with_capacity(item.unit.prefix.len() + item.unit.data.len());
                            buf.extend_from_slice(&item.unit.prefix);
                            buf.extend_from_slice(&item.unit.data);
                            let mut progress = StartProgress::default();
                            progress.add(&item.unit.pictures);
                            start = Some(Start { buf, progress });
                        } else if let Some(s) = start.as_mut() {
                            s.buf.extend_from_slice(&item.unit.data);
                            s.progress.add(&item.unit.pictures);
                        } else {
                            continue;
                        }
                        match start.as_ref() {
                            Some(s) if s.progress.ready() || s.buf.len() > config.gop_cache_bytes => {}
                            _ => continue,
                        }
                        need_key = false;
                        start.take().map(|s| clean_start(&s.buf)).unwrap_or_default()
                    } else {
                        item.unit.data.clone()
                    };
                    let len = msg.len() as u64;
                    match send(&mut sink, Message::Binary(msg), config.max_behind, &app.cancel).await {
                        Sent::Ok => {
                            stream.bytes_out.fetch_add(len, Ordering::Relaxed);
                        }
                        other => return finish(&mut sink, stream, other).await,
                    }
                    if rx.is_empty() {
                        behind_since = None;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    stream.lagged.fetch_add(1, Ordering::Relaxed);
                    need_key = true;
                    start = None;
                    let since = *behind_since.get_or_insert_with(Instant::now);
                    debug!(stream = stream.name(), missed, "viewer behind: skipping to the next I-picture");
                    if since.elapsed() >= config.max_behind {
                        return finish(&mut sink, stream, Sent::TooSlow).await;
                    }
                }
                Err(RecvError::Closed) => {
                    close(&mut sink, close_code::AWAY, "stream closed").await;
                    return "stream closed";
                }
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return "closed by viewer",
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > config.ping_timeout {
                    stream.dropped.fetch_add(1, Ordering::Relaxed);
                    return "no answer to pings";
                }
                if let other @ (Sent::Failed | Sent::TooSlow | Sent::Cancelled) =
                    send(&mut sink, Message::Ping(Bytes::from_static(b"wasmpeg")), config.max_behind, &app.cancel).await
                {
                    return finish(&mut sink, stream, other).await;
                }
            }
        }
    }
}

async fn finish(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    stream: &Stream,
    why: Sent,
) -> &'static str {
    match why {
        Sent::Ok => "done",
        Sent::Failed => "send failed",
        Sent::Cancelled => {
            close(sink, close_code::AWAY, "relay shutting down").await;
            "shutdown"
        }
        Sent::TooSlow => {
            stream.dropped.fetch_add(1, Ordering::Relaxed);
            close(
                sink,
                close_code::POLICY,
                "too slow: stayed behind the live stream",
            )
            .await;
            "too slow"
        }
    }
}

/// Used by the fallback to tell page URLs (`/<stream>`) from unknown files.
pub fn is_page_path(uri: &Uri) -> bool {
    let path = uri.path().trim_start_matches('/');
    path.is_empty() || valid_name(path)
}
