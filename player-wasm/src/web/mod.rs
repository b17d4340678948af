//! The browser side: the exported `Player` class and what it drives.

mod audio;
mod element;
mod options;
mod render;
mod source;
mod util;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CustomEvent, CustomEventInit, EventTarget, HtmlCanvasElement};

use crate::core::options::SourceKind;
use crate::core::{Engine, EngineConfig, EngineEvent, Mode, Options};

use self::audio::AudioOut;
use self::render::Renderer;
use self::source::Source;
use self::util::{performance_now, Listener, Obj};

/// Installs the `<div class="wasmpeg">` upgrade when the module is initialised.
#[wasm_bindgen(start)]
pub fn start() {
    // A bug must at least say where it is: panics go to the console (the module cannot go on
    // after one, as wasm32 aborts).
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("wasmpeg: {info}")));
    }));
    element::install();
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Options of `new Player(url, options)`; every one may be omitted. */
export interface PlayerOptions {
    /** Canvas to render into (default: a new canvas, see `player.canvas`). */
    canvas?: HTMLCanvasElement;
    /** Start playing at once (default: true for live sources, false for files). */
    autoplay?: boolean;
    /** Start again at the end of a file (default true). */
    loop?: boolean;
    /** Decode and play audio (default true). */
    audio?: boolean;
    /** Decode and show video (default true). */
    video?: boolean;
    /** 0–1 (default 1). */
    volume?: number;
    /** Start muted (default false). */
    muted?: boolean;
    /** Poster image URL (shown by the `<div class="wasmpeg">` element until the first frame). */
    poster?: string;
    /** Pause while the page is hidden (default true). */
    pauseWhenHidden?: boolean;
    /** Use Canvas2D instead of WebGL (default false). */
    disableGl?: boolean;
    /** WebGL `preserveDrawingBuffer`, for screenshots (default false). */
    preserveDrawingBuffer?: boolean;
    /** Show the first frame of a file that does not autoplay (default true). */
    decodeFirstFrame?: boolean;
    /** Live: most seconds of audio queued before more is dropped (default 0.25). */
    maxAudioLag?: number;
    /** Accepted for JSMpeg compatibility; buffers grow as needed. */
    videoBufferSize?: number;
    /** Accepted for JSMpeg compatibility; buffers grow as needed. */
    audioBufferSize?: number;
    /** WebSocket: seconds before reconnecting, doubling up to 30 s; 0 disables (default 5). */
    reconnectInterval?: number;
    /** WebSocket subprotocols. */
    protocols?: string | string[];
    /** Live playback (default: true for ws(s):// URLs and pushed data). */
    live?: boolean;
    /** Live: seconds of delay kept for smooth playback with A/V sync (default 0: newest frame). */
    latency?: number;
    onPlay?: (event: CustomEvent) => void;
    onPause?: (event: CustomEvent) => void;
    onEnded?: (event: CustomEvent) => void;
    onError?: (event: CustomEvent<{ reason: string }>) => void;
    onStalled?: (event: CustomEvent) => void;
    onSourceEstablished?: (event: CustomEvent) => void;
    onSourceCompleted?: (event: CustomEvent) => void;
    onReconnect?: (event: CustomEvent<{ attempt: number; delay: number }>) => void;
    onVideoDecode?: (event: CustomEvent<{ time: number }>) => void;
    onAudioDecode?: (event: CustomEvent<{ time: number }>) => void;
    onResize?: (event: CustomEvent<{ width: number; height: number; aspect: number }>) => void;
}

/** `player.stats`. */
export interface PlayerStats {
    bytesReceived: number;
    framesDecoded: number;
    framesShown: number;
    framesDropped: number;
    audioFramesDecoded: number;
    /** Audio frames handed to the audio output. */
    audioFramesPlayed: number;
    /** Audio frames not played (late, too far ahead when live, or while audio is locked). */
    audioFramesDropped: number;
    decoderWarnings: number;
    /** Live: seconds between the newest decoded frame and the one on screen. */
    latency: number;
    /** Seconds of audio queued in the output. */
    audioAhead: number;
    queuedFrames: number;
}

/** Event types of `player.addEventListener`. */
export type PlayerEventType = "play" | "pause" | "ended" | "error" | "stalled"
    | "sourceestablished" | "sourcecompleted" | "reconnect" | "videodecode" | "audiodecode"
    | "resize";
"#;

/// Upgrades every `<div class="wasmpeg">` added since the page loaded (those present at load
/// are upgraded automatically).
#[wasm_bindgen(js_name = upgradeElements)]
pub fn upgrade_elements() {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        element::upgrade_all(&document);
    }
}

/// The player state behind a `Player` handle.
pub(crate) struct Inner {
    engine: Engine,
    options: Options,
    url: Option<String>,
    canvas: HtmlCanvasElement,
    own_canvas: bool,
    renderer: Option<Renderer>,
    audio: Option<AudioOut>,
    /// True when the engine's host clock is the AudioContext clock.
    audio_clock: bool,
    events: EventTarget,
    callbacks: Vec<(&'static str, js_sys::Function)>,
    pending: Vec<(&'static str, JsValue)>,
    raf: Option<Closure<dyn FnMut(f64)>>,
    raf_id: Option<i32>,
    source: Option<Source>,
    source_established: bool,
    destroyed: bool,
    first_frame_done: bool,
    paused_by_hiding: bool,
    last_render_error: Option<String>,
    listeners: Vec<Listener>,
    controls: Option<element::Controls>,
    /// Itself, for timers.
    me: std::rc::Weak<RefCell<Inner>>,
    /// While the page is hidden (and playback goes on), a timer replaces the animation frames,
    /// which browsers stop for hidden pages.
    background: Option<util::Timeout>,
}

/// Dispatches the events queued while the player state was borrowed, without holding the
/// borrow (so listeners may call back into the player).
pub(crate) fn flush(rc: &Rc<RefCell<Inner>>) {
    let (pending, target, callbacks) = match rc.try_borrow_mut() {
        Ok(mut inner) => {
            if inner.pending.is_empty() {
                return;
            }
            (
                std::mem::take(&mut inner.pending),
                inner.events.clone(),
                inner.callbacks.clone(),
            )
        }
        Err(_) => return,
    };
    for (kind, detail) in pending {
        let init = CustomEventInit::new();
        init.set_detail(&detail);
        let Ok(event) = CustomEvent::new_with_event_init_dict(kind, &init) else {
            continue;
        };
        for (_, f) in callbacks.iter().filter(|(k, _)| *k == kind) {
            if let Err(e) = f.call1(&JsValue::NULL, &event) {
                web_sys::console::error_1(&e);
            }
        }
        let _ = target.dispatch_event(&event);
    }
}

impl Inner {
    pub(crate) fn emit(&mut self, kind: &'static str, detail: JsValue) {
        if !self.destroyed {
            self.pending.push((kind, detail));
        }
    }

    pub(crate) fn emit_error(&mut self, reason: &str) {
        self.emit("error", Obj::new().set("reason", reason).0.into());
    }

    /// The host time the engine runs on.
    fn now(&self) -> f64 {
        match (&self.audio, self.audio_clock) {
            (Some(a), true) => a.current_time(),
            _ => performance_now(),
        }
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        if self.destroyed {
            return;
        }
        self.engine.write(bytes);
        self.collect_engine_events();
    }

    pub(crate) fn end_of_input(&mut self) {
        if self.destroyed || self.engine.input_complete() {
            return;
        }
        self.engine.end_of_input();
        self.emit("sourcecompleted", Obj::new().0.into());
        self.collect_engine_events();
    }

    pub(crate) fn reset_stream(&mut self) {
        self.engine.reset_stream();
        if let Some(a) = self.audio.as_mut() {
            a.stop_all();
        }
    }

    fn collect_engine_events(&mut self) {
        for event in self.engine.take_events() {
            match event {
                EngineEvent::Resize {
                    width,
                    height,
                    aspect,
                } => self.emit(
                    "resize",
                    Obj::new()
                        .set("width", width)
                        .set("height", height)
                        .set("aspect", aspect)
                        .0
                        .into(),
                ),
                EngineEvent::VideoDecode { time } => {
                    self.emit("videodecode", Obj::new().set("time", time).0.into());
                }
                EngineEvent::AudioDecode { time } => {
                    self.emit("audiodecode", Obj::new().set("time", time).0.into());
                }
                EngineEvent::Stalled => self.emit("stalled", Obj::new().0.into()),
                EngineEvent::Looped => {}
                EngineEvent::Ended => {
                    if let Some(a) = self.audio.as_mut() {
                        a.stop_all();
                    }
                    self.emit("pause", Obj::new().0.into());
                    self.emit("ended", Obj::new().0.into());
                }
                EngineEvent::Error(reason) => self.emit_error(&reason),
                EngineEvent::Paused => self.emit("pause", Obj::new().0.into()),
            }
        }
    }

    fn render_current(&mut self) {
        let (Some(renderer), Some(picture)) =
            (self.renderer.as_mut(), self.engine.current_picture())
        else {
            return;
        };
        if let Err(e) = renderer.render(&self.canvas, picture) {
            if self.last_render_error.as_deref() != Some(e.as_str()) {
                self.last_render_error = Some(e.clone());
                self.emit_error(&format!("rendering failed: {e}"));
            }
        }
    }

    /// One animation frame.
    fn update(&mut self) {
        let running = self.audio.as_ref().is_some_and(AudioOut::is_running);
        if running != self.audio_clock {
            let old = self.now();
            self.audio_clock = running;
            let new = self.now();
            self.engine.rebase_clock(old, new);
            if let Some(a) = self.audio.as_mut() {
                a.stop_all();
            }
        }
        self.engine.set_audio_active(running);
        let now = self.now();
        if !self.first_frame_done
            && !self.engine.is_playing()
            && self.options.decode_first_frame
            && !self.engine.is_live()
        {
            self.first_frame_done = self.engine.next_frame(now);
        }
        let tick = self.engine.tick(now);
        let restored = self.renderer.as_ref().is_some_and(Renderer::needs_redraw);
        if tick.new_picture || self.engine.take_redraw() || restored {
            self.first_frame_done = true;
            self.render_current();
        }
        if tick.new_audio > 0 {
            if let Some(out) = self.audio.as_mut() {
                for s in self.engine.newly_scheduled_audio() {
                    if let Err(e) = out.play(&s.chunk, s.when, s.offset) {
                        util::warn(&format!("wasmpeg: audio output: {e:?}"));
                    }
                }
            }
        }
        self.collect_engine_events();
        self.keep_ticking_when_hidden();
        if let Some(c) = self.controls.as_mut() {
            let audible =
                !self.options.muted && self.audio.as_ref().is_some_and(AudioOut::is_running);
            c.update(self.engine.is_playing(), audible, self.first_frame_done);
        }
    }

    /// Hidden pages get no animation frames: tick from a timer instead, so that audio (and the
    /// clock) go on when `pauseWhenHidden` is off. Browsers run timers of pages playing audio
    /// at full rate.
    fn keep_ticking_when_hidden(&mut self) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if !hidden || self.destroyed || !self.engine.is_playing() || self.background.is_some() {
            return;
        }
        let weak = self.me.clone();
        self.background = util::Timeout::new(0.1, move || {
            if let Some(rc) = weak.upgrade() {
                with_inner(&rc, |inner| {
                    inner.background = None;
                    if !inner.destroyed {
                        inner.update();
                    }
                });
            }
        });
    }

    fn play(&mut self) {
        if self.destroyed {
            return;
        }
        if let Some(a) = self.audio.as_ref() {
            a.resume();
        }
        self.paused_by_hiding = false;
        if !self.engine.is_playing() {
            let now = self.now();
            self.engine.play(now);
            self.emit("play", Obj::new().0.into());
        }
    }

    fn pause(&mut self) {
        if self.engine.is_playing() {
            let now = self.now();
            self.engine.pause(now);
            if let Some(a) = self.audio.as_mut() {
                a.stop_all();
            }
            self.emit("pause", Obj::new().0.into());
        }
    }

    fn seek(&mut self, t: f64) {
        let now = self.now();
        if self.engine.seek(t, now) {
            if let Some(a) = self.audio.as_mut() {
                a.stop_all();
            }
            if self.engine.take_redraw() {
                self.render_current();
            }
        }
    }

    fn destroy(&mut self) {
        if self.destroyed {
            return;
        }
        self.pause();
        self.destroyed = true;
        self.pending.clear();
        if let (Some(id), Some(w)) = (self.raf_id.take(), web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
        self.source = None;
        self.listeners.clear();
        self.background = None;
        self.controls = None;
        self.audio = None;
        if let Some(mut r) = self.renderer.take() {
            r.destroy(self.own_canvas);
        }
        if self.own_canvas {
            self.canvas.remove();
        }
        self.callbacks.clear();
        self.engine = Engine::new(*self.engine.config());
    }
}

fn request_frame(inner: &mut Inner) {
    if inner.destroyed || inner.raf_id.is_some() {
        return;
    }
    if let (Some(w), Some(cb)) = (web_sys::window(), inner.raf.as_ref()) {
        inner.raf_id = w.request_animation_frame(cb.as_ref().unchecked_ref()).ok();
    }
}

fn with_inner<R>(rc: &Rc<RefCell<Inner>>, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
    let r = rc.try_borrow_mut().ok().map(|mut inner| f(&mut inner));
    flush(rc);
    r
}

/// An MPEG-1 video / MP2 audio player (JSMpeg-compatible options and methods).
///
/// `new Player(url, options)`: `url` is a `ws://`/`wss://` URL (live), any other URL (fetched
/// and streamed), or `null` to push bytes with `write()`. Every option may be omitted.
#[wasm_bindgen]
pub struct Player {
    inner: Rc<RefCell<Inner>>,
}

#[wasm_bindgen]
impl Player {
    /// Creates a player. Problems after construction (network, decoding, rendering) are
    /// reported as `error` events, never thrown.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] url: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PlayerOptions")] options: &JsValue,
    ) -> Result<Player, JsValue> {
        let url = url.as_string().filter(|u| !u.trim().is_empty());
        let parsed = options::parse(options);
        let options = parsed.options;
        let kind = SourceKind::for_url(url.as_deref());
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| JsValue::from_str("wasmpeg: no document"))?;
        let (canvas, own_canvas) = match parsed.canvas {
            Some(c) => (c, false),
            None => (
                document
                    .create_element("canvas")?
                    .unchecked_into::<HtmlCanvasElement>(),
                true,
            ),
        };
        let live = options.is_live(kind);
        let engine = Engine::new(EngineConfig {
            mode: if live {
                Mode::Live {
                    latency: options.latency,
                }
            } else {
                Mode::File
            },
            video: options.video,
            audio: options.audio,
            loop_playback: options.loop_playback,
            max_audio_lag: options.max_audio_lag,
        });
        let mut pending = Vec::new();
        let renderer = if options.video {
            match Renderer::create(&canvas, options.disable_gl, options.preserve_drawing_buffer) {
                Ok(r) => Some(r),
                Err(e) => {
                    pending.push((
                        "error",
                        Obj::new()
                            .set("reason", format!("no renderer: {e}"))
                            .0
                            .into(),
                    ));
                    None
                }
            }
        } else {
            None
        };
        let audio = if options.audio {
            AudioOut::new(options.volume, options.muted)
        } else {
            None
        };
        let inner = Rc::new(RefCell::new(Inner {
            engine,
            options: options.clone(),
            url: url.clone(),
            canvas,
            own_canvas,
            renderer,
            audio,
            audio_clock: false,
            events: EventTarget::new()?,
            callbacks: parsed.callbacks,
            pending,
            raf: None,
            raf_id: None,
            source: None,
            source_established: false,
            destroyed: false,
            first_frame_done: false,
            paused_by_hiding: false,
            last_render_error: None,
            listeners: Vec::new(),
            controls: None,
            me: std::rc::Weak::new(),
            background: None,
        }));
        inner.borrow_mut().me = Rc::downgrade(&inner);
        // The animation loop owns the player until `destroy()`, like a playing media element:
        // a player the page keeps no reference to goes on playing.
        let rc = inner.clone();
        let raf = Closure::<dyn FnMut(f64)>::new(move |_: f64| {
            with_inner(&rc, |inner| {
                inner.raf_id = None;
                if !inner.destroyed {
                    inner.update();
                    request_frame(inner);
                }
            });
        });
        {
            let mut i = inner.borrow_mut();
            i.raf = Some(raf);
            let weak = Rc::downgrade(&inner);
            let doc = document.clone();
            let pause_when_hidden = options.pause_when_hidden;
            i.listeners
                .push(Listener::new(&document, "visibilitychange", move |_| {
                    let Some(rc) = weak.upgrade() else {
                        return;
                    };
                    let hidden = doc.hidden();
                    with_inner(&rc, |inner| {
                        if !pause_when_hidden {
                            inner.keep_ticking_when_hidden();
                        } else if hidden && inner.engine.is_playing() {
                            inner.pause();
                            inner.paused_by_hiding = true;
                        } else if !hidden && inner.paused_by_hiding {
                            inner.play();
                        }
                    });
                }));
            if options.autoplays(kind) {
                i.play();
            }
            request_frame(&mut i);
        }
        match (kind, url) {
            (SourceKind::WebSocket, Some(_)) => source::start_websocket(&inner),
            (SourceKind::Fetch, Some(u)) => source::start_fetch(&inner, u),
            _ => {}
        }
        Ok(Player { inner })
    }

    /// Starts or resumes playback (also resumes the audio output; call it from a user
    /// gesture to unlock audio).
    pub fn play(&self) {
        with_inner(&self.inner, Inner::play);
    }

    /// Pauses playback. Live streams keep receiving; `play()` resumes at the newest data.
    pub fn pause(&self) {
        with_inner(&self.inner, Inner::pause);
    }

    /// Pauses and goes back to the start (files), showing the first frame when
    /// `decodeFirstFrame` is set.
    pub fn stop(&self) {
        with_inner(&self.inner, |inner| {
            inner.pause();
            if !inner.engine.is_live() {
                inner.seek(0.0);
                if !inner.options.decode_first_frame {
                    inner.first_frame_done = true;
                }
            }
        });
    }

    /// Shows the next video frame (files; without audio). False when no frame is available
    /// yet.
    #[wasm_bindgen(js_name = nextFrame)]
    pub fn next_frame(&self) -> bool {
        with_inner(&self.inner, |inner| {
            let now = inner.now();
            let shown = inner.engine.next_frame(now);
            if inner.engine.take_redraw() {
                inner.render_current();
            }
            inner.first_frame_done |= shown;
            shown
        })
        .unwrap_or(false)
    }

    /// Jumps to `time` seconds (files), landing exactly on the frame shown at that time.
    pub fn seek(&self, time: f64) {
        with_inner(&self.inner, |inner| inner.seek(time));
    }

    /// Stops everything and frees the player's resources (connection, WebGL resources,
    /// audio nodes; the canvas too if the player created it). The player is unusable after.
    /// A player lives (and plays) until this is called, whether or not the page keeps a
    /// reference to it.
    pub fn destroy(&self) {
        with_inner(&self.inner, Inner::destroy);
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.raf = None;
        }
    }

    /// Adds pushed bytes (`Uint8Array` or `ArrayBuffer`) of the stream.
    pub fn write(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] data: &JsValue,
    ) {
        let bytes = js_sys::Uint8Array::new(data).to_vec();
        with_inner(&self.inner, |inner| {
            if !inner.source_established && !bytes.is_empty() {
                inner.source_established = true;
                inner.emit("sourceestablished", Obj::new().0.into());
            }
            inner.write(&bytes);
        });
    }

    /// Signals the end of pushed data: the last frames are shown, then `ended` fires (files).
    pub fn end(&self) {
        with_inner(&self.inner, Inner::end_of_input);
    }

    /// Adds an event listener (`play`, `pause`, `ended`, `error`, `stalled`,
    /// `sourceestablished`, `sourcecompleted`, `reconnect`, `videodecode`, `audiodecode`,
    /// `resize`). Listeners get a `CustomEvent` whose `detail` holds the event's data.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlayerEventType")] kind: &str,
        #[wasm_bindgen(unchecked_param_type = "EventListenerOrEventListenerObject")]
        listener: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean | AddEventListenerOptions")]
        options: &JsValue,
    ) {
        let target = self.inner.borrow().events.clone();
        call_target(&target, "addEventListener", kind, listener, options);
    }

    /// Removes an event listener.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlayerEventType")] kind: &str,
        #[wasm_bindgen(unchecked_param_type = "EventListenerOrEventListenerObject")]
        listener: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean | EventListenerOptions")]
        options: &JsValue,
    ) {
        let target = self.inner.borrow().events.clone();
        call_target(&target, "removeEventListener", kind, listener, options);
    }

    /// Playback position in seconds. Setting it seeks.
    #[wasm_bindgen(getter, js_name = currentTime)]
    pub fn current_time(&self) -> f64 {
        self.inner
            .try_borrow()
            .map_or(0.0, |i| i.engine.current_time(i.now()))
    }

    /// Seeks (files).
    #[wasm_bindgen(setter, js_name = currentTime)]
    pub fn set_current_time(&self, time: f64) {
        self.seek(time);
    }

    /// Duration in seconds: `Infinity` for live streams; for files `NaN` until all data has
    /// arrived, then estimated from the last timestamps (exact once decoded to the end).
    #[wasm_bindgen(getter)]
    pub fn duration(&self) -> f64 {
        self.inner.try_borrow().map_or(f64::NAN, |i| {
            if i.engine.is_live() {
                f64::INFINITY
            } else {
                i.engine.duration().unwrap_or(f64::NAN)
            }
        })
    }

    /// Volume, 0–1.
    #[wasm_bindgen(getter)]
    pub fn volume(&self) -> f64 {
        self.inner.try_borrow().map_or(0.0, |i| i.options.volume)
    }

    /// Sets the volume (clamped to 0–1).
    #[wasm_bindgen(setter)]
    pub fn set_volume(&self, volume: f64) {
        with_inner(&self.inner, |inner| {
            inner.options.volume = if volume.is_finite() {
                volume.clamp(0.0, 1.0)
            } else {
                inner.options.volume
            };
            let v = inner.options.volume;
            if let Some(a) = inner.audio.as_mut() {
                a.set_volume(v);
            }
        });
    }

    /// True while muted.
    #[wasm_bindgen(getter)]
    pub fn muted(&self) -> bool {
        self.inner.try_borrow().is_ok_and(|i| i.options.muted)
    }

    /// Mutes or unmutes (unmuting also resumes the audio output).
    #[wasm_bindgen(setter)]
    pub fn set_muted(&self, muted: bool) {
        with_inner(&self.inner, |inner| {
            inner.options.muted = muted;
            if let Some(a) = inner.audio.as_mut() {
                a.set_muted(muted);
                if !muted {
                    a.resume();
                }
            }
        });
    }

    /// True while not playing.
    #[wasm_bindgen(getter)]
    pub fn paused(&self) -> bool {
        self.inner
            .try_borrow()
            .map_or(true, |i| !i.engine.is_playing())
    }

    /// Width of the video in pixels (0 before the first picture).
    #[wasm_bindgen(getter, js_name = videoWidth)]
    pub fn video_width(&self) -> u32 {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| i.engine.video_size())
            .map_or(0, |s| s.0)
    }

    /// Height of the video in pixels (0 before the first picture).
    #[wasm_bindgen(getter, js_name = videoHeight)]
    pub fn video_height(&self) -> u32 {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| i.engine.video_size())
            .map_or(0, |s| s.1)
    }

    /// The canvas rendered into (the player's own one when no `canvas` option was given).
    #[wasm_bindgen(getter)]
    pub fn canvas(&self) -> Option<HtmlCanvasElement> {
        self.inner.try_borrow().ok().map(|i| i.canvas.clone())
    }

    /// The renderer in use: `"webgl2"`, `"webgl"`, `"2d"`, or `""` (none).
    #[wasm_bindgen(getter)]
    pub fn renderer(&self) -> String {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| i.renderer.as_ref().map(|r| r.kind().name().to_string()))
            .unwrap_or_default()
    }

    /// Counters: `bytesReceived`, `framesDecoded`, `framesShown`, `framesDropped`,
    /// `audioFramesDecoded`, `audioFramesPlayed`, `audioFramesDropped`, `decoderWarnings`, `latency` (live: seconds
    /// between the newest decoded frame and the one on screen), `audioAhead` (seconds of audio
    /// queued in the output), `queuedFrames`.
    #[wasm_bindgen(getter, unchecked_return_type = "PlayerStats")]
    pub fn stats(&self) -> JsValue {
        let Ok(i) = self.inner.try_borrow() else {
            return JsValue::NULL;
        };
        let s = i.engine.stats();
        let now = i.now();
        Obj::new()
            .set("bytesReceived", s.bytes_received as f64)
            .set("framesDecoded", s.frames_decoded as f64)
            .set("framesShown", s.frames_shown as f64)
            .set("framesDropped", s.frames_dropped as f64)
            .set("audioFramesDecoded", s.audio_frames_decoded as f64)
            .set("audioFramesPlayed", s.audio_frames_played as f64)
            .set("audioFramesDropped", s.audio_frames_dropped as f64)
            .set("decoderWarnings", s.decoder_warnings as f64)
            .set("latency", i.engine.latency())
            .set("audioAhead", i.engine.audio_ahead(now))
            .set("queuedFrames", i.engine.queued_pictures() as f64)
            .0
            .into()
    }
}

fn call_target(
    target: &EventTarget,
    method: &str,
    kind: &str,
    listener: &JsValue,
    options: &JsValue,
) {
    if let Ok(f) = js_sys::Reflect::get(target, &JsValue::from_str(method)) {
        if let Ok(f) = f.dyn_into::<js_sys::Function>() {
            let _ = f.call3(target, &JsValue::from_str(kind), listener, options);
        }
    }
}
