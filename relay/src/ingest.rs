//! Publish sessions, whatever the transport: HTTP request bodies, WebSocket messages, raw TCP
//! connections and standard input all end up in [`pump`].

use std::fmt::Display;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream as FutStream, StreamExt};
use tokio::io::AsyncRead;
use tokio::net::TcpListener;
use tokio_util::io::ReaderStream;
use tracing::{debug, info, warn};

use crate::framer::Packetizer;
use crate::merge::SourceId;
use crate::record::Recorder;
use crate::server::App;
use crate::stream::{Role, Stream, StreamHandle};

/// Read size for byte-stream sources (TCP, stdin).
const READ_CHUNK: usize = 64 << 10;

/// Connections open at once on one `--tcp-ingest` listener; more are refused. (Concurrent
/// connections are merged into one stream, like any publishers of a stream.)
const MAX_TCP_CONNECTIONS: usize = 8;

/// Publishes everything `chunks` yields to the stream behind `handle`, merged with the stream's
/// other publishers (see [`crate::merge`]), until the source ends or fails, or the relay shuts
/// down. Records what this publisher sends when `--record` is set. Returns why it ended.
pub async fn pump<S, E>(app: &App, handle: StreamHandle, peer: &str, mut chunks: S) -> &'static str
where
    S: FutStream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let stream = Arc::clone(handle.stream());
    let name = stream.name().to_owned();
    let id = stream.add_publisher(false);
    // Leaves the stream even if this future is dropped half-way.
    let guard = Leave {
        stream: Arc::clone(&stream),
        id,
    };
    let session = stream.current_session();
    info!(stream = %name, peer, publisher = id, session, "publisher connected");
    let mut recorder = match &app.config.record {
        Some(dir) => Recorder::start(dir, &name, &app.recordings).await,
        None => None,
    };
    let mut packetizer = Packetizer::new();
    let mut packets = Vec::new();
    let mut total = 0u64;
    let reason = loop {
        let chunk = tokio::select! {
            () = app.cancel.cancelled() => break "shutdown",
            chunk = chunks.next() => chunk,
        };
        match chunk {
            Some(Ok(data)) => {
                total += data.len() as u64;
                packets.clear();
                packetizer.push(&data, &mut packets);
                let len = data.len();
                if let Some(r) = &mut recorder {
                    r.write(data);
                }
                if !stream.publish(id, &packets, len) {
                    break "removed from the stream";
                }
            }
            Some(Err(e)) => {
                debug!(stream = %name, error = %e, "publisher read error");
                break "connection error";
            }
            None => break "end of stream",
        }
    };
    drop(guard);
    info!(stream = %name, peer, publisher = id, bytes = total, skipped = packetizer.skipped_bytes(), reason, "publisher finished");
    drop(handle);
    if let Some(r) = recorder {
        r.finish().await;
    }
    reason
}

/// Removes a publisher from its stream when dropped.
struct Leave {
    stream: Arc<Stream>,
    id: SourceId,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.stream.remove_publisher(self.id);
    }
}

/// Publishes a byte source (`AsyncRead`) to `name`.
pub async fn pump_reader<R>(app: &App, name: &str, peer: &str, reader: R) -> &'static str
where
    R: AsyncRead + Unpin,
{
    let handle = match app.registry.open(name, Role::Publisher) {
        Ok(h) => h,
        Err(e) => {
            warn!(stream = name, peer, error = ?e, "publisher refused");
            return "refused";
        }
    };
    pump(
        app,
        handle,
        peer,
        ReaderStream::with_capacity(reader, READ_CHUNK),
    )
    .await
}

/// Raw TCP ingest (`--tcp-ingest ADDR=STREAM`): every connection accepted on `listener`
/// publishes its bytes to `name`; concurrent connections are merged, as with HTTP.
/// There is no authentication: bind it only where publishers are trusted.
pub async fn tcp(app: Arc<App>, listener: TcpListener, name: String) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_TCP_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            () = app.cancel.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((socket, peer)) => {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    warn!(stream = %name, %peer, "tcp ingest: too many connections; refused");
                    continue;
                };
                let app2 = Arc::clone(&app);
                let name = name.clone();
                app.tracker.spawn(async move {
                    let _ = socket.set_nodelay(true);
                    let peer = format!("tcp:{peer}");
                    pump_reader(&app2, &name, &peer, socket).await;
                    drop(slot);
                });
            }
            Err(e) => {
                // E.g. out of file descriptors: back off instead of spinning.
                warn!(stream = %name, error = %e, "tcp ingest: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Standard-input ingest (`--stdin STREAM`): publishes stdin to `name` until it ends.
pub async fn stdin(app: Arc<App>, name: String) {
    let why = pump_reader(&app, &name, "stdin", tokio::io::stdin()).await;
    info!(stream = %name, why, "stdin ingest finished");
}
