//! Reading the JavaScript options object.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use crate::core::Options;

use super::util::Obj;

/// Event types and the option holding their callback.
pub const CALLBACKS: [(&str, &str); 11] = [
    ("play", "onPlay"),
    ("pause", "onPause"),
    ("ended", "onEnded"),
    ("error", "onError"),
    ("stalled", "onStalled"),
    ("sourceestablished", "onSourceEstablished"),
    ("sourcecompleted", "onSourceCompleted"),
    ("reconnect", "onReconnect"),
    ("videodecode", "onVideoDecode"),
    ("audiodecode", "onAudioDecode"),
    ("resize", "onResize"),
];

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_bool(obj: &JsValue, key: &str, out: &mut bool) {
    if let Some(b) = get(obj, key).and_then(|v| v.as_bool()) {
        *out = b;
    }
}

fn get_f64(obj: &JsValue, key: &str, out: &mut f64) {
    if let Some(n) = get(obj, key).and_then(|v| v.as_f64()) {
        *out = n;
    }
}

/// Everything the player takes from the options object. Missing or mistyped entries keep
/// their defaults.
pub struct ParsedOptions {
    /// The plain options.
    pub options: Options,
    /// `canvas`: the canvas to render into.
    pub canvas: Option<HtmlCanvasElement>,
    /// `on...` callbacks by event type.
    pub callbacks: Vec<(&'static str, js_sys::Function)>,
}

/// Reads `options` (any value; non-objects give the defaults).
pub fn parse(obj: &JsValue) -> ParsedOptions {
    let mut o = Options::default();
    if let Some(b) = get(obj, "autoplay").and_then(|v| v.as_bool()) {
        o.autoplay = Some(b);
    }
    get_bool(obj, "loop", &mut o.loop_playback);
    get_bool(obj, "audio", &mut o.audio);
    get_bool(obj, "video", &mut o.video);
    get_f64(obj, "volume", &mut o.volume);
    get_bool(obj, "muted", &mut o.muted);
    o.poster = get(obj, "poster").and_then(|v| v.as_string());
    get_bool(obj, "pauseWhenHidden", &mut o.pause_when_hidden);
    get_bool(obj, "disableGl", &mut o.disable_gl);
    get_bool(obj, "preserveDrawingBuffer", &mut o.preserve_drawing_buffer);
    get_bool(obj, "decodeFirstFrame", &mut o.decode_first_frame);
    get_f64(obj, "maxAudioLag", &mut o.max_audio_lag);
    let mut n = o.video_buffer_size as f64;
    get_f64(obj, "videoBufferSize", &mut n);
    o.video_buffer_size = n.clamp(0.0, 1e9) as usize;
    let mut n = o.audio_buffer_size as f64;
    get_f64(obj, "audioBufferSize", &mut n);
    o.audio_buffer_size = n.clamp(0.0, 1e9) as usize;
    get_f64(obj, "reconnectInterval", &mut o.reconnect_interval);
    if let Some(p) = get(obj, "protocols") {
        if let Some(s) = p.as_string() {
            o.protocols = vec![s];
        } else if js_sys::Array::is_array(&p) {
            o.protocols = js_sys::Array::from(&p)
                .iter()
                .filter_map(|v| v.as_string())
                .collect();
        }
    }
    o.protocols.retain(|p| !p.is_empty());
    if let Some(b) = get(obj, "live").and_then(|v| v.as_bool()) {
        o.live = Some(b);
    }
    get_f64(obj, "latency", &mut o.latency);
    get_bool(obj, "worker", &mut o.worker);
    o.sanitize();
    let canvas = get(obj, "canvas").and_then(|v| v.dyn_into::<HtmlCanvasElement>().ok());
    let callbacks = CALLBACKS
        .iter()
        .filter_map(|&(event, key)| {
            get(obj, key)
                .and_then(|v| v.dyn_into::<js_sys::Function>().ok())
                .map(|f| (event, f))
        })
        .collect();
    ParsedOptions {
        options: o,
        canvas,
        callbacks,
    }
}

/// `options` as a plain object of the option names `parse` reads (for a worker: elements and
/// functions cannot be sent to one).
pub fn to_plain(o: &Options) -> Obj {
    let mut obj = Obj::new()
        .set("loop", o.loop_playback)
        .set("audio", o.audio)
        .set("video", o.video)
        .set("volume", o.volume)
        .set("muted", o.muted)
        .set("pauseWhenHidden", o.pause_when_hidden)
        .set("disableGl", o.disable_gl)
        .set("preserveDrawingBuffer", o.preserve_drawing_buffer)
        .set("decodeFirstFrame", o.decode_first_frame)
        .set("maxAudioLag", o.max_audio_lag)
        .set("videoBufferSize", o.video_buffer_size as f64)
        .set("audioBufferSize", o.audio_buffer_size as f64)
        .set("reconnectInterval", o.reconnect_interval)
        .set(
            "protocols",
            o.protocols
                .iter()
                .map(|p| JsValue::from_str(p))
                .collect::<js_sys::Array>(),
        )
        .set("latency", o.latency)
        .set("worker", false);
    if let Some(a) = o.autoplay {
        obj = obj.set("autoplay", a);
    }
    if let Some(l) = o.live {
        obj = obj.set("live", l);
    }
    obj
}
