//! The browser side: the exported `Player` class and what it drives.

mod audio;
mod element;
mod options;
mod render;
mod source;
mod util;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CustomEvent, CustomEventInit, EventTarget, HtmlCanvasElement};

use crate::core::options::SourceKind;
use crate::core::{Engine, EngineConfig, EngineEvent, Mode, Options};

use self::audio::AudioOut;
use self::render::{Renderer, Surface};
use self::source::Source;
use self::util::{performance_now, Listener, Obj};
use self::worker::{Command, Front, Port, RemoteAudio};

/// Installs the `<div class="wasmpeg">` upgrade when the module is initialised.
#[wasm_bindgen(start)]
pub fn start() {
    // A bug must at least say where it is: panics go to the console (the module cannot go on
    // after one, as wasm32 aborts).
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("wasmpeg: {info}")));
    }));
    // Also runs in the player's worker, which has no document.
    if web_sys::window().is_some() {
        element::install();
    }
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
    /** Decode and render in a Worker with an OffscreenCanvas when the browser can (default true). */
    worker?: boolean;
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
    /** Bits per second received over the last 2 seconds. */
    bitrate: number;
    /** Average seconds spent demuxing and decoding per decoded video frame (audio included). */
    decodeTime: number;
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

/// Where a player's sound goes: the page's WebAudio output, or (in a worker) the page, by
/// message.
pub(crate) enum AudioSink {
    /// WebAudio on this page.
    Local(AudioOut),
    /// The page of this worker.
    Remote(RemoteAudio),
}

impl AudioSink {
    fn is_running(&self) -> bool {
        match self {
            AudioSink::Local(a) => a.is_running(),
            AudioSink::Remote(a) => a.running,
        }
    }

    fn current_time(&self) -> f64 {
        match self {
            AudioSink::Local(a) => a.current_time(),
            AudioSink::Remote(a) => a.current_time(),
        }
    }

    fn resume(&self) {
        if let AudioSink::Local(a) = self {
            a.resume();
        }
    }

    fn play(&mut self, chunk: &crate::core::AudioChunk, when: f64, offset: f64) {
        match self {
            AudioSink::Local(a) => {
                if let Err(e) = a.play(chunk, when, offset) {
                    util::warn(&format!("wasmpeg: audio output: {e:?}"));
                }
            }
            AudioSink::Remote(a) => a.play(chunk, when, offset),
        }
    }

    fn stop_all(&mut self) {
        match self {
            AudioSink::Local(a) => a.stop_all(),
            AudioSink::Remote(a) => a.stop_all(),
        }
    }

    fn set_volume(&mut self, volume: f64) {
        if let AudioSink::Local(a) = self {
            a.set_volume(volume);
        }
    }

    fn set_muted(&mut self, muted: bool) {
        if let AudioSink::Local(a) = self {
            a.set_muted(muted);
        }
    }
}

/// A pending animation frame (or, where the scope has none, a timer standing in for one).
enum FrameRequest {
    Animation(JsValue),
    Timer(#[allow(dead_code)] util::Timeout),
}

/// The player state behind a `Player` handle: on the page, or in the player's worker. On the
/// page of a worker player it is a front: calls go to the worker (see [`worker`]).
pub(crate) struct Inner {
    engine: Engine,
    options: Options,
    url: Option<String>,
    kind: SourceKind,
    canvas: Surface,
    own_canvas: bool,
    renderer: Option<Renderer>,
    audio: Option<AudioSink>,
    /// True when the engine's host clock is the AudioContext clock.
    audio_clock: bool,
    events: EventTarget,
    callbacks: Vec<(&'static str, js_sys::Function)>,
    pending: Vec<(&'static str, JsValue)>,
    raf: Option<Closure<dyn FnMut(f64)>>,
    raf_id: Option<FrameRequest>,
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
    /// On the page: the worker that decodes for this player.
    remote: Option<Front>,
    /// In a worker: the way to the page.
    port: Option<Port>,
    /// `performance_now()` of the last animation frame.
    last_animation_frame: f64,
    /// Downloads started (a late chunk of an aborted one is told apart by it).
    fetch_generation: u32,
    /// The input bit rate.
    meter: crate::core::BitRateMeter,
    /// Seconds spent in the engine's decoding calls.
    decode_seconds: f64,
}

/// Dispatches the events queued while the player state was borrowed, without holding the
/// borrow (so listeners may call back into the player). In a worker they are posted to the
/// page.
pub(crate) fn flush(rc: &Rc<RefCell<Inner>>) {
    let (pending, target, callbacks) = match rc.try_borrow_mut() {
        Ok(mut inner) => {
            if inner.pending.is_empty() {
                return;
            }
            let pending = std::mem::take(&mut inner.pending);
            if let Some(port) = inner.port.as_ref() {
                for (kind, detail) in pending {
                    let message = Obj::new()
                        .set("t", "event")
                        .set("kind", kind)
                        .set("detail", detail);
                    port.post(&message.0);
                }
                return;
            }
            (pending, inner.events.clone(), inner.callbacks.clone())
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
        match &self.audio {
            Some(a) if self.audio_clock => a.current_time(),
            _ => performance_now(),
        }
    }

    fn is_hidden(&self) -> bool {
        self.port
            .as_ref()
            .map_or_else(util::document_hidden, |p| p.hidden)
    }

    /// True while playing.
    pub(crate) fn is_playing(&self) -> bool {
        match self.remote.as_ref() {
            Some(front) => front.mirror.playing,
            None => self.engine.is_playing(),
        }
    }

    /// Sends `command` to the worker when this is a front. True when it did.
    fn forward(&mut self, command: impl FnOnce() -> Command) -> bool {
        match self.remote.as_mut() {
            Some(front) if !self.destroyed => {
                front.send(command());
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Carries out a call (from the page, in a worker, or replayed after a worker failed).
    fn apply(&mut self, command: Command) {
        match command {
            Command::Play => self.play(),
            Command::Pause => self.pause(),
            Command::Stop => self.stop(),
            Command::NextFrame => {
                self.next_frame();
            }
            Command::End => self.end_of_input(),
            Command::Seek(t) => self.seek(t),
            Command::Write(bytes) => self.write(&bytes),
            Command::Visibility(hidden) => self.visibility_changed(hidden),
        }
    }

    /// Plays on this thread: creates the renderer (a front that falls back, or the
    /// main-thread path).
    fn start_local(&mut self) {
        if self.renderer.is_some() || !self.options.video {
            return;
        }
        match Renderer::create(
            &self.canvas,
            self.options.disable_gl,
            self.options.preserve_drawing_buffer,
        ) {
            Ok(r) => self.renderer = Some(r),
            Err(e) => self.emit_error(&format!("no renderer: {e}")),
        }
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        if self.destroyed || self.forward(|| Command::Write(bytes.to_vec())) {
            return;
        }
        let started = performance_now();
        self.engine.write(bytes);
        self.decode_seconds += performance_now() - started;
        self.collect_engine_events();
    }

    pub(crate) fn end_of_input(&mut self) {
        if self.forward(|| Command::End) {
            return;
        }
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
        let events = self.engine.take_events();
        let news = !events.is_empty();
        for event in events {
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
        self.report_state(news);
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

    /// In a worker: tells the page the state (now with `force`, else at most every 50 ms).
    fn report_state(&mut self, force: bool) {
        // Taken out for the time of the report, so that the report can read the rest.
        let Some(mut port) = self.port.take() else {
            return;
        };
        let now = self.now();
        port.report_state(
            || {
                let engine = &self.engine;
                let live = engine.is_live();
                let size = engine.video_size().unwrap_or((0, 0));
                let renderer = self
                    .renderer
                    .as_ref()
                    .map(|r| r.kind().name().to_string())
                    .unwrap_or_default();
                Obj::new()
                    .set("playing", engine.is_playing())
                    .set("currentTime", engine.current_time(now))
                    .set(
                        "duration",
                        if live {
                            f64::INFINITY
                        } else {
                            engine.duration().unwrap_or(f64::NAN)
                        },
                    )
                    .set("width", size.0)
                    .set("height", size.1)
                    .set("renderer", renderer)
                    .set("stats", stats_object(self, now))
                    .set("firstFrameDone", self.first_frame_done)
                    .set("canStep", !live)
            },
            force,
        );
        self.port = Some(port);
    }

    /// One animation frame.
    fn update(&mut self) {
        if let Some(front) = self.remote.as_mut() {
            // A front: keep the worker's audio clock fresh and the controls in step.
            let running = self.audio.as_ref().is_some_and(AudioSink::is_running);
            let ctx_time = self.audio.as_ref().map_or(0.0, AudioSink::current_time);
            front.send_audio_clock(running, ctx_time, false);
            let (playing, shown) = (front.mirror.playing, front.mirror.first_frame_done);
            if let Some(c) = self.controls.as_mut() {
                c.update(playing, !self.options.muted && running, shown);
            }
            return;
        }
        let running = self.audio.as_ref().is_some_and(AudioSink::is_running);
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
        let started = performance_now();
        let tick = self.engine.tick(now);
        self.decode_seconds += performance_now() - started;
        self.meter
            .sample(performance_now(), self.engine.stats().bytes_received);
        let restored = self.renderer.as_ref().is_some_and(Renderer::needs_redraw);
        if tick.new_picture || self.engine.take_redraw() || restored {
            self.first_frame_done = true;
            self.render_current();
        }
        if tick.new_audio > 0 {
            if let Some(out) = self.audio.as_mut() {
                for s in self.engine.newly_scheduled_audio() {
                    out.play(&s.chunk, s.when, s.offset);
                }
            }
        }
        self.collect_engine_events();
        self.follow_wanted_range();
        self.report_state(false);
        self.keep_ticking_when_hidden();
        if let Some(c) = self.controls.as_mut() {
            let audible =
                !self.options.muted && self.audio.as_ref().is_some_and(AudioSink::is_running);
            c.update(self.engine.is_playing(), audible, self.first_frame_done);
        }
    }

    /// Hidden pages get no animation frames: tick from a timer instead, so that audio (and the
    /// clock) go on when `pauseWhenHidden` is off. Browsers run timers of pages playing audio
    /// at full rate. In a worker the timer also stands in while animation frames do not come
    /// (Chrome may not resume a worker's frames after the page was hidden until something
    /// is drawn).
    fn keep_ticking_when_hidden(&mut self) {
        let hidden = self.is_hidden();
        let frames_stalled =
            self.port.is_some() && performance_now() - self.last_animation_frame > 0.25;
        if !(hidden || frames_stalled)
            || self.destroyed
            || !self.engine.is_playing()
            || self.background.is_some()
        {
            return;
        }
        let weak = self.me.clone();
        let interval = if hidden { 0.1 } else { 1.0 / 60.0 };
        self.background = util::Timeout::new(interval, move || {
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

    /// The page was hidden or shown.
    fn visibility_changed(&mut self, hidden: bool) {
        if self.forward(|| Command::Visibility(hidden)) {
            return;
        }
        if let Some(port) = self.port.as_mut() {
            port.hidden = hidden;
            if !hidden {
                // A worker's animation frame requested while the page was hidden may never
                // come: ask again.
                if let Some(FrameRequest::Animation(id)) = self.raf_id.take() {
                    util::cancel_animation_frame(&id);
                }
                request_frame(self);
            }
        }
        self.keep_ticking_when_hidden();
        if !self.options.pause_when_hidden {
            self.keep_ticking_when_hidden();
        } else if hidden && self.engine.is_playing() {
            self.pause();
            self.paused_by_hiding = true;
        } else if !hidden && self.paused_by_hiding {
            self.play();
            self.keep_ticking_when_hidden();
        }
    }

    fn play(&mut self) {
        if self.destroyed {
            return;
        }
        if let Some(a) = self.audio.as_ref() {
            a.resume();
        }
        if let Some(front) = self.remote.as_mut() {
            front.mirror.playing = true;
        }
        if self.forward(|| Command::Play) {
            return;
        }
        self.paused_by_hiding = false;
        if !self.engine.is_playing() {
            let now = self.now();
            self.engine.play(now);
            self.emit("play", Obj::new().0.into());
            self.report_state(true);
        }
    }

    fn pause(&mut self) {
        if let Some(front) = self.remote.as_mut() {
            front.mirror.playing = false;
        }
        if self.forward(|| Command::Pause) {
            return;
        }
        if self.engine.is_playing() {
            let now = self.now();
            self.engine.pause(now);
            if let Some(a) = self.audio.as_mut() {
                a.stop_all();
            }
            self.emit("pause", Obj::new().0.into());
            self.report_state(true);
        }
    }

    fn stop(&mut self) {
        if let Some(front) = self.remote.as_mut() {
            front.mirror.playing = false;
        }
        if self.forward(|| Command::Stop) {
            return;
        }
        self.pause();
        if !self.engine.is_live() {
            self.seek(0.0);
            if !self.options.decode_first_frame {
                self.first_frame_done = true;
            }
        }
    }

    fn next_frame(&mut self) -> bool {
        if let Some(front) = self.remote.as_ref() {
            let can_step = front.mirror.can_step;
            self.forward(|| Command::NextFrame);
            return can_step;
        }
        let now = self.now();
        let shown = self.engine.next_frame(now);
        if self.engine.take_redraw() {
            self.render_current();
        }
        self.first_frame_done |= shown;
        self.report_state(true);
        shown
    }

    /// Files: when the engine needs data that is not in memory, downloads from there (a
    /// Range request; started outside this borrow of the player).
    fn follow_wanted_range(&mut self) {
        let Some(offset) = self.engine.take_wanted_range() else {
            return;
        };
        let Some(url) = self.url.clone().filter(|_| self.kind == SourceKind::Fetch) else {
            return;
        };
        // Chunks of the running download are ignored from now on.
        self.fetch_generation += 1;
        let weak = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(rc) = weak.upgrade() {
                source::start_fetch(&rc, url, offset);
            }
        });
    }

    fn seek(&mut self, t: f64) {
        if self.forward(|| Command::Seek(t)) {
            return;
        }
        let now = self.now();
        let sought = self.engine.seek(t, now);
        self.follow_wanted_range();
        if sought {
            if let Some(a) = self.audio.as_mut() {
                a.stop_all();
            }
            if self.engine.take_redraw() {
                self.render_current();
            }
            self.report_state(true);
        }
    }

    fn destroy(&mut self) {
        if self.destroyed {
            return;
        }
        self.pause();
        self.destroyed = true;
        self.pending.clear();
        if let Some(FrameRequest::Animation(id)) = self.raf_id.take() {
            util::cancel_animation_frame(&id);
        }
        // Terminates the worker (its memory, connection and WebGL context go with it).
        self.remote = None;
        self.source = None;
        self.listeners.clear();
        self.background = None;
        self.controls = None;
        self.audio = None;
        if let Some(mut r) = self.renderer.take() {
            r.destroy(self.own_canvas);
        }
        if let (true, Surface::Element(c)) = (self.own_canvas, &self.canvas) {
            c.remove();
        }
        self.callbacks.clear();
        self.engine = Engine::new(*self.engine.config());
    }
}

fn request_frame(inner: &mut Inner) {
    if inner.destroyed || inner.raf_id.is_some() {
        return;
    }
    let Some(cb) = inner.raf.as_ref() else {
        return;
    };
    let callback: &JsValue = cb.as_ref();
    inner.raf_id = if let Some(id) = util::request_animation_frame(callback) {
        Some(FrameRequest::Animation(id))
    } else {
        // A worker without requestAnimationFrame: about 60 ticks a second.
        let weak = inner.me.clone();
        util::Timeout::new(1.0 / 60.0, move || {
            if let Some(rc) = weak.upgrade() {
                animation_frame(&rc);
            }
        })
        .map(FrameRequest::Timer)
    };
}

fn animation_frame(rc: &Rc<RefCell<Inner>>) {
    with_inner(rc, |inner| {
        inner.raf_id = None;
        inner.last_animation_frame = performance_now();
        if !inner.destroyed {
            inner.update();
            request_frame(inner);
        }
    });
}

pub(crate) fn with_inner<R>(rc: &Rc<RefCell<Inner>>, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
    let r = rc.try_borrow_mut().ok().map(|mut inner| f(&mut inner));
    flush(rc);
    r
}

/// The counters of `player.stats`.
fn stats_object(inner: &Inner, now: f64) -> JsValue {
    let engine = &inner.engine;
    let s = engine.stats();
    let decode_time = if s.frames_decoded > 0 {
        inner.decode_seconds / s.frames_decoded as f64
    } else {
        0.0
    };
    Obj::new()
        .set("bitrate", inner.meter.bits_per_second())
        .set("decodeTime", decode_time)
        .set("bytesReceived", s.bytes_received as f64)
        .set("framesDecoded", s.frames_decoded as f64)
        .set("framesShown", s.frames_shown as f64)
        .set("framesDropped", s.frames_dropped as f64)
        .set("audioFramesDecoded", s.audio_frames_decoded as f64)
        .set("audioFramesPlayed", s.audio_frames_played as f64)
        .set("audioFramesDropped", s.audio_frames_dropped as f64)
        .set("decoderWarnings", s.decoder_warnings as f64)
        .set("latency", engine.latency())
        .set("audioAhead", engine.audio_ahead(now))
        .set("queuedFrames", engine.queued_pictures() as f64)
        .0
        .into()
}

/// Creates the player state (not yet playing, no source started).
fn build_inner(
    url: Option<String>,
    options: Options,
    canvas: Surface,
    own_canvas: bool,
    audio: Option<AudioSink>,
    port: Option<Port>,
    kind: SourceKind,
) -> Result<Rc<RefCell<Inner>>, JsValue> {
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
    let inner = Rc::new(RefCell::new(Inner {
        engine,
        options,
        url,
        kind,
        canvas,
        own_canvas,
        renderer: None,
        audio,
        audio_clock: false,
        events: EventTarget::new()?,
        callbacks: Vec::new(),
        pending: Vec::new(),
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
        remote: None,
        port,
        last_animation_frame: 0.0,
        fetch_generation: 0,
        meter: crate::core::BitRateMeter::new(),
        decode_seconds: 0.0,
    }));
    // The animation loop owns the player until `destroy()`, like a playing media element:
    // a player the page keeps no reference to goes on playing.
    let rc = inner.clone();
    let raf = Closure::<dyn FnMut(f64)>::new(move |_: f64| animation_frame(&rc));
    {
        let mut i = inner.borrow_mut();
        i.me = Rc::downgrade(&inner);
        i.raf = Some(raf);
    }
    Ok(inner)
}

/// Starts the network source of a player playing on this thread, its renderer, autoplay and
/// animation frames.
fn start_source(rc: &Rc<RefCell<Inner>>) {
    let (kind, url) = {
        let Ok(mut i) = rc.try_borrow_mut() else {
            return;
        };
        i.start_local();
        let kind = i.kind;
        if i.options.autoplays(kind) && !i.engine.is_playing() {
            i.play();
        }
        request_frame(&mut i);
        (kind, i.url.clone())
    };
    match (kind, url) {
        (SourceKind::WebSocket, Some(_)) => source::start_websocket(rc),
        (SourceKind::Fetch, Some(u)) => source::start_fetch(rc, u, 0),
        _ => {}
    }
    flush(rc);
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
        let audio = if options.audio {
            AudioOut::new(options.volume, options.muted).map(AudioSink::Local)
        } else {
            None
        };
        let use_worker = options.worker && options.video && worker::supported(&canvas);
        let inner = build_inner(
            url.clone(),
            options.clone(),
            Surface::Element(canvas.clone()),
            own_canvas,
            audio,
            None,
            kind,
        )?;
        {
            let mut i = inner.borrow_mut();
            i.callbacks = parsed.callbacks;
            let weak = Rc::downgrade(&inner);
            let doc = document.clone();
            i.listeners
                .push(Listener::new(&document, "visibilitychange", move |_| {
                    if let Some(rc) = weak.upgrade() {
                        let hidden = doc.hidden();
                        with_inner(&rc, |inner| inner.visibility_changed(hidden));
                    }
                }));
        }
        let front = if use_worker {
            render::fit_contain(&canvas);
            Front::spawn(&inner, canvas, url, &options)
        } else {
            None
        };
        if let Some(front) = front {
            let mut i = inner.borrow_mut();
            i.remote = Some(front);
            if options.autoplays(kind) {
                i.play();
            }
            request_frame(&mut i);
        } else {
            start_source(&inner);
        }
        flush(&inner);
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
        with_inner(&self.inner, Inner::stop);
    }

    /// Shows the next video frame (files; without audio). False when no frame is available
    /// yet. (When decoding runs in a worker the frame is shown a moment later, and the
    /// result only says whether stepping is possible.)
    #[wasm_bindgen(js_name = nextFrame)]
    pub fn next_frame(&self) -> bool {
        with_inner(&self.inner, Inner::next_frame).unwrap_or(false)
    }

    /// Jumps to `time` seconds (files), landing exactly on the frame shown at that time.
    pub fn seek(&self, time: f64) {
        with_inner(&self.inner, |inner| inner.seek(time));
    }

    /// Stops everything and frees the player's resources (connection, WebGL resources,
    /// audio nodes, the decoding worker; the canvas too if the player created it). The
    /// player is unusable after. A player lives (and plays) until this is called, whether or
    /// not the page keeps a reference to it.
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
            .map_or(0.0, |i| match i.remote.as_ref() {
                Some(front) => front.current_time(),
                None => i.engine.current_time(i.now()),
            })
    }

    /// Seeks (files).
    #[wasm_bindgen(setter, js_name = currentTime)]
    pub fn set_current_time(&self, time: f64) {
        self.seek(time);
    }

    /// Duration in seconds: `Infinity` for live streams; for files `NaN` until it is known
    /// (estimated from the last timestamps once all data has arrived, exact once decoded to
    /// the end).
    #[wasm_bindgen(getter)]
    pub fn duration(&self) -> f64 {
        self.inner.try_borrow().map_or(f64::NAN, |i| {
            if i.options.is_live(i.kind) {
                f64::INFINITY
            } else if let Some(front) = i.remote.as_ref() {
                front.mirror.duration
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
        self.inner.try_borrow().map_or(true, |i| !i.is_playing())
    }

    /// Width of the video in pixels (0 before the first picture).
    #[wasm_bindgen(getter, js_name = videoWidth)]
    pub fn video_width(&self) -> u32 {
        self.video_size().0
    }

    /// Height of the video in pixels (0 before the first picture).
    #[wasm_bindgen(getter, js_name = videoHeight)]
    pub fn video_height(&self) -> u32 {
        self.video_size().1
    }

    fn video_size(&self) -> (u32, u32) {
        self.inner
            .try_borrow()
            .map_or((0, 0), |i| match i.remote.as_ref() {
                Some(front) => (front.mirror.width, front.mirror.height),
                None => i.engine.video_size().unwrap_or((0, 0)),
            })
    }

    /// The canvas rendered into (the player's own one when no `canvas` option was given).
    #[wasm_bindgen(getter)]
    pub fn canvas(&self) -> Option<HtmlCanvasElement> {
        self.inner.try_borrow().ok().and_then(|i| match &i.canvas {
            Surface::Element(c) => Some(c.clone()),
            Surface::Offscreen(_) => None,
        })
    }

    /// The renderer in use: `"webgl2"`, `"webgl"`, `"2d"`, or `""` (none yet).
    #[wasm_bindgen(getter)]
    pub fn renderer(&self) -> String {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| match i.remote.as_ref() {
                Some(front) => Some(front.mirror.renderer.clone()),
                None => i.renderer.as_ref().map(|r| r.kind().name().to_string()),
            })
            .unwrap_or_default()
    }

    /// True when decoding and rendering run in a Worker (with an `OffscreenCanvas`); false
    /// on the main thread.
    #[wasm_bindgen(getter, js_name = inWorker)]
    pub fn in_worker(&self) -> bool {
        self.inner.try_borrow().is_ok_and(|i| i.remote.is_some())
    }

    /// Counters: `bytesReceived`, `bitrate` (bits/s over the last 2 s), `framesDecoded`,
    /// `framesShown`, `framesDropped`, `decodeTime` (average seconds of decoding per video
    /// frame), `audioFramesDecoded`, `audioFramesPlayed`, `audioFramesDropped`, `decoderWarnings`,
    /// `latency` (live: seconds between the newest decoded frame and the one on screen),
    /// `audioAhead` (seconds of audio queued in the output), `queuedFrames`. With a worker
    /// they are at most 50 ms old.
    #[wasm_bindgen(getter, unchecked_return_type = "PlayerStats")]
    pub fn stats(&self) -> JsValue {
        let Ok(i) = self.inner.try_borrow() else {
            return JsValue::NULL;
        };
        match i.remote.as_ref() {
            Some(front) => front
                .mirror
                .stats
                .clone()
                .unwrap_or_else(|| stats_object(&i, 0.0)),
            None => stats_object(&i, i.now()),
        }
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
