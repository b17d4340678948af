//! # wasmpeg-relay
//!
//! A live MPEG-TS relay: publishers push a stream over HTTP (`POST|PUT /publish/<stream>`, e.g.
//! ffmpeg's `-f mpegts http://...`), WebSocket (`ws://host/publish/<stream>`), raw TCP
//! (`--tcp-ingest ADDR=STREAM`), standard input (`--stdin STREAM`) or the standard output of a
//! command the relay runs and restarts (`--source STREAM=COMMAND`); viewers receive it over
//! WebSocket (`/ws/<stream>`). `--record DIR` writes each publish session to a `.ts` file.
//! Several publishers of one stream (e.g. one ffmpeg for the video, one for the audio) are
//! merged into one transport stream with one PAT/PMT ([`merge`]).
//!
//! - Every message to a viewer is whole 188-byte TS packets ([`framer`]).
//! - A new viewer's first message starts at the last sequence header + I-picture (GOP cache,
//!   with the PAT/PMT and the audio that goes with it), so it shows a picture at once.
//! - Slow viewers never hold up the others: each one reads the stream's bounded broadcast queue
//!   on its own; one that falls behind skips to the next I-picture, and one that stays behind
//!   is disconnected.
//! - With `--tls-cert` and `--tls-key`, the port speaks https and wss (rustls).
//! - Graceful shutdown closes WebSockets with "going away" and finishes within a second.
#![forbid(unsafe_code)]

pub mod assets;
pub mod config;
pub mod demo;
pub mod framer;
pub mod ingest;
pub mod merge;
pub mod record;
pub mod server;
pub mod source;
pub mod stream;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use config::{Cli, Config};

/// Runs the relay on `listener` until `cancel` is cancelled, then shuts down: stops accepting,
/// ends publishers, closes viewers with "going away", and returns within about a second.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let app = server::App::new(config, cancel.clone());
    if let Some(name) = app.config.demo.clone() {
        let registry = Arc::clone(&app.registry);
        app.tracker.spawn(demo::run(registry, name, cancel.clone()));
    }
    for (addr, name) in &app.config.tcp_ingest {
        let tcp = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("--tcp-ingest {addr}={name}: {e}"))
        })?;
        info!(addr = %tcp.local_addr()?, stream = %name, "tcp ingest listening");
        app.tracker
            .spawn(ingest::tcp(Arc::clone(&app), tcp, name.clone()));
    }
    for (name, argv) in &app.config.sources {
        app.tracker
            .spawn(source::run(Arc::clone(&app), name.clone(), argv.clone()));
    }
    if let Some(name) = app.config.stdin.clone() {
        app.tracker.spawn(ingest::stdin(Arc::clone(&app), name));
    }
    let mut extra = Vec::new();
    for (addr, router, what) in [
        (
            app.config.jsmpeg_ingest,
            server::jsmpeg_ingest_router(Arc::clone(&app)),
            "--jsmpeg-ingest",
        ),
        (
            app.config.jsmpeg_viewers,
            server::jsmpeg_viewer_router(Arc::clone(&app)),
            "--jsmpeg-viewers",
        ),
    ] {
        let Some(addr) = addr else {
            continue;
        };
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("{what} {addr}: {e}")))?;
        info!(addr = %l.local_addr()?, stream = %app.config.jsmpeg_stream, "{what} listening");
        extra.push(tokio::spawn(serve_on(
            l,
            router,
            tls.clone(),
            cancel.clone(),
        )));
    }
    let main = serve_on(
        listener,
        server::router(Arc::clone(&app)),
        tls,
        cancel.clone(),
    )
    .await;
    for task in extra {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "jsmpeg-compatible listener failed"),
            Err(e) => warn!(error = %e, "jsmpeg-compatible listener panicked"),
        }
    }
    main?;
    app.tracker.close();
    if tokio::time::timeout(Duration::from_millis(200), app.tracker.wait())
        .await
        .is_err()
    {
        warn!("some viewers did not close in time");
    }
    app.recordings.close();
    if tokio::time::timeout(Duration::from_secs(2), app.recordings.wait())
        .await
        .is_err()
    {
        warn!("some recordings were not finished in time");
    }
    info!("relay stopped");
    Ok(())
}

/// Serves `router` on `listener` (with TLS when `tls` is set) until shutdown.
async fn serve_on(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let make = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let shutdown = cancel.clone();
    let graceful = async move { shutdown.cancelled().await };
    use axum::serve::ListenerExt;
    if let Some(acceptor) = tls {
        let listener = tls::TlsListener::new(listener, acceptor, cancel.clone())?.tap_io(|_| {});
        return run(
            axum::serve(listener, make).with_graceful_shutdown(graceful),
            &cancel,
        )
        .await;
    }
    // Small WebSocket messages go out at once instead of waiting for Nagle's algorithm
    // (measured by bench/relay-load: p99 latency 28 -> 9 ms at 100 viewers).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    run(
        axum::serve(listener, make).with_graceful_shutdown(graceful),
        &cancel,
    )
    .await
}

/// Runs the server until it stops, or until 700 ms after shutdown began.
async fn run<F>(server: F, cancel: &CancellationToken) -> std::io::Result<()>
where
    F: std::future::IntoFuture<Output = std::io::Result<()>>,
{
    let deadline = async {
        cancel.cancelled().await;
        tokio::time::sleep(Duration::from_millis(700)).await;
    };
    tokio::select! {
        r = server.into_future() => r,
        () = deadline => {
            warn!("connections still open after shutdown began; closing them");
            Ok(())
        }
    }
}
