//! # wasmpeg-relay
//!
//! A live MPEG-TS relay: publishers push a stream over HTTP (`POST|PUT /publish/<stream>`, e.g.
//! ffmpeg's `-f mpegts http://...`), viewers receive it over WebSocket (`/ws/<stream>`).
//!
//! - Every message to a viewer is whole 188-byte TS packets ([`framer`]).
//! - A new viewer's first message starts at the last sequence header + I-picture (GOP cache,
//!   with the PAT/PMT and the audio that goes with it), so it shows a picture at once.
//! - Slow viewers never hold up the others: each one reads the stream's bounded broadcast queue
//!   on its own; one that falls behind skips to the next I-picture, and one that stays behind
//!   is disconnected.
//! - Graceful shutdown closes WebSockets with "going away" and finishes within a second.
#![forbid(unsafe_code)]

pub mod assets;
pub mod config;
pub mod demo;
pub mod framer;
pub mod server;
pub mod stream;

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
    let app = server::App::new(config, cancel.clone());
    if let Some(name) = app.config.demo.clone() {
        let registry = Arc::clone(&app.registry);
        app.tracker.spawn(demo::run(registry, name, cancel.clone()));
    }
    let router = server::router(Arc::clone(&app));
    let shutdown = cancel.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await });
    let deadline = async {
        cancel.cancelled().await;
        tokio::time::sleep(Duration::from_millis(700)).await;
    };
    tokio::select! {
        r = server => r?,
        () = deadline => warn!("connections still open after shutdown began; closing them"),
    }
    app.tracker.close();
    if tokio::time::timeout(Duration::from_millis(200), app.tracker.wait())
        .await
        .is_err()
    {
        warn!("some viewers did not close in time");
    }
    info!("relay stopped");
    Ok(())
}
