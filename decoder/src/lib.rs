//! # wasmpeg
//!
//! A pure-Rust, `no_std` (+ `alloc`) decoder for MPEG-1 video (ISO/IEC 11172-2), with
//! push-based demuxers for MPEG transport streams, MPEG program streams and raw elementary
//! streams (video and MPEG audio; the MP2 audio decoder is being added).
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
//!         if let DecoderEvent::Video(frame) = event {
//!             println!("{}x{} at {:?}", frame.width, frame.height, frame.pts);
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
//! container into packets and [`video::VideoDecoder`] turns an MPEG-1 video elementary stream into
//! frames.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod bits;
pub mod decoder;
pub mod demux;
pub mod error;
pub mod video;

pub use decoder::{Decoder, DecoderConfig, DecoderEvent};
pub use demux::ContainerFormat;
pub use error::Error;
pub use video::{Frame, PictureType, VideoDecoder};

/// Ticks per second of MPEG system timestamps (PTS, DTS).
pub const PTS_CLOCK_HZ: u64 = 90_000;
