//! Decoding and rendering in a Worker.
//!
//! When the browser has `OffscreenCanvas` and module workers, a player runs its engine,
//! renderer and network source in a dedicated worker that loads this same module; the page
//! keeps a front (`Inner` with a [`Front`]) that forwards calls, mirrors the state the worker
//! reports, dispatches its events and plays its audio (WebAudio exists only on the page). The
//! canvas is handed to the worker only once the worker has started; if it cannot start (a
//! bundler that renamed the module, a browser without module workers) the front becomes an
//! ordinary main-thread player and replays the calls made meanwhile.
//!
//! Messages (`t` is the type):
//! - page → worker: `init` {url, options, canvas}, `call` {m}, `seek` {time}, `write` {data},
//!   `visibility` {hidden}, `audioclock` {running, ctxTime, at}.
//! - worker → page: `ready`, `failed` {reason}, `event` {kind, detail}, `state` {...},
//!   `audio` {when, offset, rate, channels, frames, samples}, `audiostop`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, OffscreenCanvas, Worker};

use crate::core::options::SourceKind;
use crate::core::AudioChunk;

use super::options::{self, CALLBACKS};
use super::render::Surface;
use super::util::{self, shared_clock, Listener, Obj};
use super::{flush, with_inner, Inner};

#[wasm_bindgen(inline_js = "export function wasmpeg_snippet_url() { return import.meta.url; }")]
extern "C" {
    /// The URL of this snippet (`<package>/snippets/<crate>-<hash>/inline0.js`).
    fn wasmpeg_snippet_url() -> String;
}

/// The worker's bootstrap: loads the package's JavaScript module, which loads its `.wasm` (from
/// the HTTP cache: the page loaded it already), then hands over to [`worker_main`]. Messages
/// that arrive while it loads are kept. (Passing the page's compiled module instead would need
/// `wasm_bindgen::module()`, which the bundler target cannot build.)
const BOOTSTRAP: &str = r#"
const pending = [];
let booting = false;
self.onmessage = async (e) => {
  if (booting) { pending.push(e.data); return; }
  booting = true;
  try {
    const glue = await import(e.data.glue);
    await glue.default();
    glue.wasmpegWorkerMain(pending);
    self.postMessage({ t: "ready" });
  } catch (err) {
    self.postMessage({ t: "failed", reason: String(err && err.message || err) });
  }
};
"#;

/// How often the page sends the audio clock to the worker, seconds.
const CLOCK_INTERVAL: f64 = 0.1;
/// How often the worker reports its state, seconds.
const STATE_INTERVAL: f64 = 0.05;

/// A call made on the page's player, carried out by the worker.
#[derive(Clone, Debug)]
pub enum Command {
    Play,
    Pause,
    Stop,
    NextFrame,
    End,
    Seek(f64),
    Write(Vec<u8>),
    Visibility(bool),
}

/// What the worker last reported.
#[derive(Debug, Default)]
pub struct Mirror {
    pub playing: bool,
    pub current_time: f64,
    /// Shared-clock time of `current_time`.
    pub at: f64,
    pub duration: f64,
    pub width: u32,
    pub height: u32,
    pub renderer: String,
    pub stats: Option<JsValue>,
    pub first_frame_done: bool,
    pub can_step: bool,
}

/// The page side of a player running in a worker.
pub struct Front {
    worker: Worker,
    ready: bool,
    queue: Vec<Command>,
    /// The canvas, until it is handed to the worker.
    canvas: Option<web_sys::HtmlCanvasElement>,
    url: Option<String>,
    options: JsValue,
    pub mirror: Mirror,
    last_clock: f64,
    _listeners: Vec<Listener>,
    blob_url: String,
}

impl Drop for Front {
    fn drop(&mut self) {
        // Frees the worker's memory, connection and WebGL context at once.
        self.worker.terminate();
        let _ = web_sys::Url::revoke_object_url(&self.blob_url);
    }
}

/// Whether this browser can run a player in a worker.
pub fn supported(canvas: &web_sys::HtmlCanvasElement) -> bool {
    let g: JsValue = js_sys::global().into();
    let has = |obj: &JsValue, name: &str| {
        js_sys::Reflect::get(obj, &JsValue::from_str(name)).is_ok_and(|v| !v.is_undefined())
    };
    has(&g, "Worker") && has(&g, "OffscreenCanvas") && has(canvas, "transferControlToOffscreen")
}

/// The package's main JavaScript module, found from this snippet's URL.
fn glue_url() -> Option<String> {
    let snippet = wasmpeg_snippet_url();
    web_sys::Url::new_with_base("../../wasmpeg_player.js", &snippet)
        .ok()
        .map(|u| u.href())
}

/// Resolves `url` against the page (a worker started from a blob URL has no useful base).
fn absolute(url: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    match base {
        Some(b) => {
            web_sys::Url::new_with_base(url, &b).map_or_else(|_| url.to_string(), |u| u.href())
        }
        None => url.to_string(),
    }
}

impl Front {
    /// Starts a worker for `rc`'s player. `None` when one cannot be created (the caller then
    /// plays on the main thread).
    pub fn spawn(
        rc: &Rc<RefCell<Inner>>,
        canvas: web_sys::HtmlCanvasElement,
        url: Option<String>,
        options: &crate::core::Options,
    ) -> Option<Front> {
        let glue = glue_url()?;
        let parts: js_sys::Array = [JsValue::from_str(BOOTSTRAP)].into_iter().collect();
        let props = web_sys::BlobPropertyBag::new();
        props.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props).ok()?;
        let blob_url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
        let worker_options = web_sys::WorkerOptions::new();
        worker_options.set_type(web_sys::WorkerType::Module);
        let Ok(worker) = Worker::new_with_options(&blob_url, &worker_options) else {
            let _ = web_sys::Url::revoke_object_url(&blob_url);
            return None;
        };
        let weak = Rc::downgrade(rc);
        let on_message = Listener::new(&worker, "message", {
            let weak = weak.clone();
            move |event| {
                if let (Some(rc), Ok(event)) = (weak.upgrade(), event.dyn_into::<MessageEvent>()) {
                    on_worker_message(&rc, &event.data());
                }
            }
        });
        let on_error = Listener::new(&worker, "error", move |event| {
            event.prevent_default();
            if let Some(rc) = weak.upgrade() {
                fall_back(&rc, "the worker failed to start");
            }
        });
        let boot = Obj::new().set("glue", glue);
        worker.post_message(&boot.0).ok()?;
        Some(Front {
            worker,
            ready: false,
            queue: Vec::new(),
            canvas: Some(canvas),
            url: url.map(|u| absolute(&u)),
            options: options::to_plain(options).0.into(),
            mirror: Mirror {
                duration: f64::NAN,
                can_step: true,
                ..Mirror::default()
            },
            last_clock: f64::NEG_INFINITY,
            _listeners: vec![on_message, on_error],
            blob_url,
        })
    }

    /// Carries out `command` in the worker (or keeps it until the worker has started).
    pub fn send(&mut self, command: Command) {
        if !self.ready {
            if let (Command::Write(_), Some(Command::Write(last))) =
                (&command, self.queue.last_mut())
            {
                if let Command::Write(data) = command {
                    last.extend_from_slice(&data);
                }
                return;
            }
            self.queue.push(command);
            return;
        }
        let message = match command {
            Command::Play => call("play"),
            Command::Pause => call("pause"),
            Command::Stop => call("stop"),
            Command::NextFrame => call("next"),
            Command::End => call("end"),
            Command::Seek(t) => Obj::new().set("t", "seek").set("time", t),
            Command::Write(data) => {
                let array = js_sys::Uint8Array::from(data.as_slice());
                let message = Obj::new().set("t", "write").set("data", array.clone());
                let transfer: js_sys::Array = [JsValue::from(array.buffer())]
                    .into_iter()
                    .collect::<js_sys::Array>();
                let _ = self
                    .worker
                    .post_message_with_transfer(&message.0, &transfer);
                return;
            }
            Command::Visibility(hidden) => Obj::new().set("t", "visibility").set("hidden", hidden),
        };
        let _ = self.worker.post_message(&message.0);
    }

    /// Sends the audio clock (at most every [`CLOCK_INTERVAL`], or at once with `force`).
    pub fn send_audio_clock(&mut self, running: bool, ctx_time: f64, force: bool) {
        let now = shared_clock();
        if !self.ready || (!force && now - self.last_clock < CLOCK_INTERVAL) {
            return;
        }
        self.last_clock = now;
        let message = Obj::new()
            .set("t", "audioclock")
            .set("running", running)
            .set("ctxTime", ctx_time)
            .set("at", now);
        let _ = self.worker.post_message(&message.0);
    }

    /// The playback position now, from the last report.
    pub fn current_time(&self) -> f64 {
        let m = &self.mirror;
        let t = if m.playing {
            m.current_time + (shared_clock() - m.at).max(0.0)
        } else {
            m.current_time
        };
        if m.duration.is_finite() {
            t.min(m.duration)
        } else {
            t
        }
    }
}

fn call(method: &str) -> Obj {
    Obj::new().set("t", "call").set("m", method)
}

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_f64(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or(f64::NAN)
}

/// The worker could not be used: play on the main thread, with the calls made meanwhile.
fn fall_back(rc: &Rc<RefCell<Inner>>, reason: &str) {
    with_inner(rc, |inner| {
        let Some(mut front) = inner.remote.take() else {
            return;
        };
        if front.ready {
            // It ran and then failed: the canvas is the worker's; nothing can be done here.
            inner.emit_error(&format!("decoding worker: {reason}"));
            inner.remote = Some(front);
            return;
        }
        util::warn(&format!("wasmpeg: {reason}; decoding on the main thread"));
        let queue = std::mem::take(&mut front.queue);
        drop(front);
        inner.start_local();
        for command in queue {
            inner.apply(command);
        }
    });
    if let Ok(inner) = rc.try_borrow() {
        if inner.remote.is_none() {
            drop(inner);
            super::start_source(rc);
        }
    }
}

fn on_worker_message(rc: &Rc<RefCell<Inner>>, data: &JsValue) {
    let kind = get(data, "t").as_string().unwrap_or_default();
    match kind.as_str() {
        "failed" => {
            let reason = get(data, "reason").as_string().unwrap_or_default();
            fall_back(rc, &format!("the worker failed to start ({reason})"));
        }
        "ready" => {
            with_inner(rc, |inner| {
                let Some(front) = inner.remote.as_mut() else {
                    return;
                };
                let Some(canvas) = front.canvas.take() else {
                    return;
                };
                let offscreen: OffscreenCanvas = match canvas.transfer_control_to_offscreen() {
                    Ok(o) => o,
                    Err(e) => {
                        front.canvas = Some(canvas);
                        drop(e);
                        return;
                    }
                };
                let init = Obj::new()
                    .set("t", "init")
                    .set(
                        "url",
                        front.url.clone().map_or(JsValue::NULL, JsValue::from),
                    )
                    .set("options", front.options.clone())
                    .set("canvas", offscreen.clone());
                let transfer: js_sys::Array = [JsValue::from(offscreen)].into_iter().collect();
                let _ = front.worker.post_message_with_transfer(&init.0, &transfer);
                front.ready = true;
                for command in std::mem::take(&mut front.queue) {
                    front.send(command);
                }
                let running = inner
                    .audio
                    .as_ref()
                    .is_some_and(super::AudioSink::is_running);
                let ctx_time = inner
                    .audio
                    .as_ref()
                    .map_or(0.0, super::AudioSink::current_time);
                if let Some(front) = inner.remote.as_mut() {
                    front.send_audio_clock(running, ctx_time, true);
                }
            });
        }
        "event" => {
            let name = get(data, "kind").as_string().unwrap_or_default();
            let Some(&(event, _)) = CALLBACKS.iter().find(|(e, _)| *e == name) else {
                return;
            };
            with_inner(rc, |inner| {
                if let Some(front) = inner.remote.as_mut() {
                    match event {
                        "play" => front.mirror.playing = true,
                        "pause" | "ended" => front.mirror.playing = false,
                        _ => {}
                    }
                }
                inner.emit(event, get(data, "detail"));
            });
        }
        "state" => {
            with_inner(rc, |inner| {
                let Some(front) = inner.remote.as_mut() else {
                    return;
                };
                let m = &mut front.mirror;
                m.playing = get(data, "playing").as_bool().unwrap_or(false);
                m.current_time = get_f64(data, "currentTime");
                m.at = get_f64(data, "at");
                m.duration = get_f64(data, "duration");
                m.width = get_f64(data, "width") as u32;
                m.height = get_f64(data, "height") as u32;
                m.renderer = get(data, "renderer").as_string().unwrap_or_default();
                m.stats = Some(get(data, "stats"));
                m.first_frame_done = get(data, "firstFrameDone").as_bool().unwrap_or(false);
                m.can_step = get(data, "canStep").as_bool().unwrap_or(true);
            });
        }
        "audio" => {
            with_inner(rc, |inner| {
                let Some(out) = inner.audio.as_mut() else {
                    return;
                };
                let samples = get(data, "samples");
                let Ok(samples) = samples.dyn_into::<js_sys::Float32Array>() else {
                    return;
                };
                let chunk = AudioChunk {
                    time: 0.0,
                    sample_rate: get_f64(data, "rate") as u32,
                    channels: get_f64(data, "channels") as u8,
                    samples_per_channel: get_f64(data, "frames") as usize,
                    samples: samples.to_vec(),
                };
                if chunk.samples.len() < usize::from(chunk.channels) * chunk.samples_per_channel {
                    return;
                }
                out.play(&chunk, get_f64(data, "when"), get_f64(data, "offset"));
            });
        }
        "audiostop" => {
            with_inner(rc, |inner| {
                if let Some(a) = inner.audio.as_mut() {
                    a.stop_all();
                }
            });
        }
        _ => {}
    }
}

/// The worker side: posts to the page.
pub struct Port {
    scope: DedicatedWorkerGlobalScope,
    /// The page is hidden.
    pub hidden: bool,
    last_state: f64,
}

impl Port {
    /// Posts `message`.
    pub fn post(&self, message: &JsValue) {
        let _ = self.scope.post_message(message);
    }

    /// Reports the state (at most every [`STATE_INTERVAL`], or at once with `force`).
    pub fn report_state(&mut self, inner_state: impl FnOnce() -> Obj, force: bool) {
        let now = shared_clock();
        if !force && now - self.last_state < STATE_INTERVAL {
            return;
        }
        self.last_state = now;
        let state = inner_state().set("t", "state").set("at", now);
        self.post(&state.0);
    }
}

/// The page's audio output, seen from the worker: chunks are posted to the page, and the
/// clock is the page's AudioContext clock as last reported, advanced by the shared clock.
pub struct RemoteAudio {
    scope: DedicatedWorkerGlobalScope,
    pub running: bool,
    ctx_time: f64,
    at: f64,
}

impl RemoteAudio {
    /// The page's AudioContext time now (estimated).
    pub fn current_time(&self) -> f64 {
        self.ctx_time + (shared_clock() - self.at).max(0.0)
    }

    /// Sends a chunk to play at context time `when`, skipping `offset` seconds.
    pub fn play(&self, chunk: &AudioChunk, when: f64, offset: f64) {
        let samples = js_sys::Float32Array::from(chunk.samples.as_slice());
        let message = Obj::new()
            .set("t", "audio")
            .set("when", when)
            .set("offset", offset)
            .set("rate", chunk.sample_rate)
            .set("channels", chunk.channels)
            .set("frames", chunk.samples_per_channel as f64)
            .set("samples", samples.clone());
        let transfer: js_sys::Array = [JsValue::from(samples.buffer())]
            .into_iter()
            .collect::<js_sys::Array>();
        let _ = self.scope.post_message_with_transfer(&message.0, &transfer);
    }

    /// Stops everything scheduled on the page.
    pub fn stop_all(&self) {
        let _ = self.scope.post_message(&Obj::new().set("t", "audiostop").0);
    }
}

thread_local! {
    /// The player of this worker.
    static WORKER_PLAYER: RefCell<Option<Rc<RefCell<Inner>>>> = const { RefCell::new(None) };
}

/// Entry point of the worker (called by the bootstrap once the module is loaded) with the
/// messages that arrived meanwhile.
#[wasm_bindgen(js_name = wasmpegWorkerMain)]
pub fn worker_main(pending: &js_sys::Array) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        on_page_message(&event.data());
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget(); // lives as long as the worker
    for message in pending.iter() {
        on_page_message(&message);
    }
}

fn on_page_message(data: &JsValue) {
    let kind = get(data, "t").as_string().unwrap_or_default();
    if kind == "init" {
        init_worker_player(data);
        return;
    }
    let Some(rc) = WORKER_PLAYER.with(|p| p.borrow().clone()) else {
        return;
    };
    match kind.as_str() {
        "call" => {
            let command = match get(data, "m").as_string().as_deref() {
                Some("play") => Command::Play,
                Some("pause") => Command::Pause,
                Some("stop") => Command::Stop,
                Some("next") => Command::NextFrame,
                Some("end") => Command::End,
                _ => return,
            };
            with_inner(&rc, |inner| inner.apply(command));
        }
        "seek" => {
            let t = get_f64(data, "time");
            with_inner(&rc, |inner| inner.apply(Command::Seek(t)));
        }
        "write" => {
            let bytes = js_sys::Uint8Array::new(&get(data, "data")).to_vec();
            with_inner(&rc, |inner| inner.apply(Command::Write(bytes)));
        }
        "visibility" => {
            let hidden = get(data, "hidden").as_bool().unwrap_or(false);
            with_inner(&rc, |inner| inner.apply(Command::Visibility(hidden)));
        }
        "audioclock" => {
            with_inner(&rc, |inner| {
                if let Some(super::AudioSink::Remote(a)) = inner.audio.as_mut() {
                    a.running = get(data, "running").as_bool().unwrap_or(false);
                    a.ctx_time = get_f64(data, "ctxTime");
                    a.at = get_f64(data, "at");
                }
            });
        }
        _ => {}
    }
    flush(&rc);
}

fn init_worker_player(data: &JsValue) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let Ok(canvas) = get(data, "canvas").dyn_into::<OffscreenCanvas>() else {
        return;
    };
    let url = get(data, "url").as_string();
    let parsed = options::parse(&get(data, "options"));
    let audio = parsed.options.audio.then(|| {
        super::AudioSink::Remote(RemoteAudio {
            scope: scope.clone(),
            running: false,
            ctx_time: 0.0,
            at: shared_clock(),
        })
    });
    let port = Port {
        scope,
        hidden: false,
        last_state: f64::NEG_INFINITY,
    };
    let kind = SourceKind::for_url(url.as_deref());
    match super::build_inner(
        url,
        parsed.options,
        Surface::Offscreen(canvas),
        false,
        audio,
        Some(port),
        kind,
    ) {
        Ok(rc) => {
            super::start_source(&rc);
            WORKER_PLAYER.with(|p| *p.borrow_mut() = Some(rc));
        }
        Err(e) => util::warn(&format!("wasmpeg worker: {}", util::js_error_message(&e))),
    }
}
