//! # wasmpeg-player
//!
//! A browser player for live and on-demand MPEG-1 video and MP2 audio, built on the pure-Rust
//! [`wasmpeg`] decoder and compiled to WebAssembly.
//!
//! The crate has two halves, in the manner of Ruffle's core/web split:
//!
//! - [`core`] holds the playback logic (input buffering, decoding ahead, the A/V clock, frame
//!   selection, the live latency policy, audio scheduling decisions and the BT.601 colour
//!   conversion). It uses no web API at all, so it builds and is unit-tested natively with
//!   `cargo test`.
//! - `web` (only on `wasm32`) is a thin layer that connects the core to the browser: the
//!   exported `Player` class, WebGL2/WebGL1/Canvas2D rendering, WebAudio output, WebSocket and
//!   streaming-fetch sources and the `<div class="wasmpeg">` element.
//!
//! From JavaScript:
//!
//! ```js
//! import init, { Player } from "./pkg/wasmpeg_player.js";
//! await init();
//! const player = new Player("ws://example.org/ws/demo", { canvas: document.querySelector("canvas") });
//! player.addEventListener("error", (e) => console.log(e.detail.reason));
//! ```

pub mod core;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use web::{upgrade_elements, Player};
