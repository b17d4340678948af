//! # wasmpeg
//!
//! A pure-Rust, `no_std` (+ `alloc`) decoder for MPEG-1 video (ISO/IEC 11172-2) and MPEG audio
//! Layers I and II (ISO/IEC 11172-3, with the MPEG-2 low sample rates of ISO/IEC 13818-3), with
//! push-based demuxers for MPEG transport streams, MPEG program streams and raw elementary
//! streams.
//!
//! The easy way in is [`Decoder`]: feed it byte chunks of any size, split anywhere, and pull
//! decoded frames in display order.
//!
//! ```no_run
//! use wasmpeg::{Decoder, DecoderEvent};
//! let mut decoder = Decoder::new(Default::default());
//! # let chunks: Vec<Vec<u8>> = Vec::new();
//! for chunk in chunks {
//!     decoder.push(&chunk);
//!     while let Some(event) = decoder.next_event() {
//!         match event {
//!             DecoderEvent::Video(frame) => println!("{}x{} at {}", frame.width, frame.height, frame.pts),
//!             DecoderEvent::Audio(frame) => println!("{} samples at {}", frame.samples_per_channel, frame.pts),
//!             _ => {}
//!         }
//!     }
//! }
//! decoder.finish();
//! while let Some(event) = decoder.next_event() {
//!     // the last frames come out after `finish`
//! }
//! ```
//!
//! People who bring their own transport can use the pieces directly: [`demux::Demuxer`] splits a
//! container into packets, [`video::VideoDecoder`] turns an MPEG-1 video elementary stream into
//! frames and [`audio::AudioDecoder`] an MPEG audio elementary stream into sample frames.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod audio;
pub mod bits;
pub mod decoder;
pub mod demux;
pub mod error;
mod timestamp;
pub mod video;

pub use audio::{AudioDecoder, AudioFrame};
pub use decoder::{Decoder, DecoderConfig, DecoderEvent};
pub use demux::ContainerFormat;
pub use error::Error;
pub use video::{Frame, PictureType, VideoDecoder};

/// Ticks per second of MPEG system timestamps (PTS, DTS).
pub const PTS_CLOCK_HZ: u64 = 90_000;
