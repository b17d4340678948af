//! Player options: JSMpeg's names, with a sane default for every one.

/// Every option of the player. The web layer fills it from the JavaScript options object;
/// anything omitted (or of the wrong type) keeps its default, so `new Player(url)` never throws.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Start playing as soon as possible. Default: false for files, true for live sources
    /// (`ws://`, `wss://` and pushed data), as in JSMpeg.
    pub autoplay: Option<bool>,
    /// Start again at the end of a file. Default true (JSMpeg's default).
    pub loop_playback: bool,
    /// Decode and play audio. Default true.
    pub audio: bool,
    /// Decode and show video. Default true.
    pub video: bool,
    /// Output volume, 0–1. Default 1.
    pub volume: f64,
    /// Start muted. Default false.
    pub muted: bool,
    /// Image URL shown until playback starts (used by the `<div class="wasmpeg">` element).
    pub poster: Option<String>,
    /// Pause while the page is hidden, resume when it is visible again. Default true.
    pub pause_when_hidden: bool,
    /// Use Canvas2D instead of WebGL. Default false.
    pub disable_gl: bool,
    /// Create the WebGL context with `preserveDrawingBuffer` (for `canvas.toDataURL()` and
    /// reading pixels back). Default false.
    pub preserve_drawing_buffer: bool,
    /// Show the first frame of a file that does not autoplay. Default true.
    pub decode_first_frame: bool,
    /// Live playback: the most audio (seconds) allowed in the output queue before more is
    /// dropped. Default 0.25 (JSMpeg's default).
    pub max_audio_lag: f64,
    /// Accepted for compatibility with JSMpeg. wasmpeg's buffers grow as needed, so this is
    /// only the initial capacity of the input buffer. Default 512 KiB.
    pub video_buffer_size: usize,
    /// Accepted for compatibility with JSMpeg (see `video_buffer_size`). Default 128 KiB.
    pub audio_buffer_size: usize,
    /// WebSocket: seconds before the first reconnection attempt; doubles on every failure up
    /// to 30 s. 0 disables reconnecting. Default 5 (JSMpeg's default).
    pub reconnect_interval: f64,
    /// WebSocket subprotocols. Default none.
    pub protocols: Vec<String>,
    /// Live playback (newest frame first, latency never grows) rather than file playback.
    /// Default: true for `ws://`/`wss://` and pushed data, false for `http(s)://` and other
    /// URLs.
    pub live: Option<bool>,
    /// Live playback with a buffer: seconds of delay kept for smooth playback with A/V sync.
    /// 0 (the default) shows the newest frame at once.
    pub latency: f64,
    /// Decode and render in a Worker (with an `OffscreenCanvas`) when the browser allows it.
    /// Default true; the main-thread path is used otherwise.
    pub worker: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            autoplay: None,
            loop_playback: true,
            audio: true,
            video: true,
            volume: 1.0,
            muted: false,
            poster: None,
            pause_when_hidden: true,
            disable_gl: false,
            preserve_drawing_buffer: false,
            decode_first_frame: true,
            max_audio_lag: 0.25,
            video_buffer_size: 512 * 1024,
            audio_buffer_size: 128 * 1024,
            reconnect_interval: 5.0,
            protocols: Vec::new(),
            live: None,
            latency: 0.0,
            worker: true,
        }
    }
}

/// Where the bytes come from, decided by the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// `ws://` or `wss://`.
    WebSocket,
    /// Anything else fetch can read (`http(s)://`, relative URLs, `data:`, `blob:`).
    Fetch,
    /// No URL: the page pushes bytes with `player.write()`.
    Push,
}

impl SourceKind {
    /// The source for a URL (`None` or an empty string: pushed data).
    pub fn for_url(url: Option<&str>) -> SourceKind {
        match url.map(str::trim) {
            None | Some("") => SourceKind::Push,
            Some(u) => {
                let lower = u.get(..6).unwrap_or(u).to_ascii_lowercase();
                if lower.starts_with("ws://") || lower.starts_with("wss://") {
                    SourceKind::WebSocket
                } else {
                    SourceKind::Fetch
                }
            }
        }
    }
}

impl Options {
    /// True when the player plays live for this source.
    pub fn is_live(&self, source: SourceKind) -> bool {
        self.live
            .unwrap_or(matches!(source, SourceKind::WebSocket | SourceKind::Push))
    }

    /// True when the player starts by itself.
    pub fn autoplays(&self, source: SourceKind) -> bool {
        self.autoplay.unwrap_or(self.is_live(source))
    }

    /// Clamps numbers into their valid ranges (NaN and negative values become defaults).
    pub fn sanitize(&mut self) {
        let d = Options::default();
        let fix = |v: f64, default: f64, max: f64| {
            if v.is_finite() && v >= 0.0 {
                v.min(max)
            } else {
                default
            }
        };
        self.volume = fix(self.volume, d.volume, 1.0);
        self.max_audio_lag = fix(self.max_audio_lag, d.max_audio_lag, 10.0);
        self.reconnect_interval = fix(self.reconnect_interval, d.reconnect_interval, 3600.0);
        self.latency = fix(self.latency, d.latency, 30.0);
        self.video_buffer_size = self.video_buffer_size.min(64 << 20);
        self.audio_buffer_size = self.audio_buffer_size.min(64 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::{Options, SourceKind};

    #[test]
    fn source_kind_from_url() {
        assert_eq!(SourceKind::for_url(Some("ws://a/b")), SourceKind::WebSocket);
        assert_eq!(
            SourceKind::for_url(Some("WSS://a/b")),
            SourceKind::WebSocket
        );
        assert_eq!(SourceKind::for_url(Some("/video.ts")), SourceKind::Fetch);
        assert_eq!(
            SourceKind::for_url(Some("https://x/y.ts?sig=1")),
            SourceKind::Fetch
        );
        assert_eq!(
            SourceKind::for_url(Some("data:video/mp2t;base64,AA")),
            SourceKind::Fetch
        );
        assert_eq!(SourceKind::for_url(None), SourceKind::Push);
        assert_eq!(SourceKind::for_url(Some("  ")), SourceKind::Push);
    }

    #[test]
    fn defaults_follow_the_source() {
        let o = Options::default();
        assert!(o.autoplays(SourceKind::WebSocket));
        assert!(!o.autoplays(SourceKind::Fetch));
        assert!(o.is_live(SourceKind::Push));
        let o = Options {
            live: Some(false),
            ..Options::default()
        };
        assert!(!o.is_live(SourceKind::WebSocket));
    }

    #[test]
    fn sanitize_replaces_bad_numbers() {
        let mut o = Options {
            volume: f64::NAN,
            max_audio_lag: -1.0,
            latency: 100.0,
            ..Options::default()
        };
        o.sanitize();
        assert!((o.volume - 1.0).abs() < f64::EPSILON);
        assert!((o.max_audio_lag - 0.25).abs() < f64::EPSILON);
        assert!((o.latency - 30.0).abs() < f64::EPSILON);
    }
}
