//! Small helpers for the web layer.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// An event listener that is removed when dropped (its closure is freed with it).
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Adds `f` as a listener for `kind` events on `target`.
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        Listener {
            target: target.clone(),
            kind,
            closure,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// The global object (`window` on a page, `self` in a worker).
fn global() -> JsValue {
    js_sys::global().into()
}

/// Calls the global function `name` with `args`; `None` when it does not exist or throws.
fn call_global(name: &str, args: &[&JsValue]) -> Option<JsValue> {
    let g = global();
    let f = js_sys::Reflect::get(&g, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let array: js_sys::Array = args.iter().copied().collect();
    f.apply(&g, &array).ok()
}

/// A `setTimeout` that is cleared when dropped. The callback is a one-shot JavaScript closure
/// freed by the call itself, so a timer may safely replace itself from inside its callback.
/// Works on a page and in a worker.
pub struct Timeout {
    handle: JsValue,
}

impl Timeout {
    /// Calls `f` after `seconds`.
    pub fn new(seconds: f64, f: impl FnOnce() + 'static) -> Option<Self> {
        let callback = Closure::once_into_js(f);
        let ms = (seconds * 1000.0).clamp(0.0, f64::from(i32::MAX));
        let handle = call_global("setTimeout", &[&callback, &JsValue::from_f64(ms)])?;
        Some(Timeout { handle })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        let _ = call_global("clearTimeout", &[&self.handle]);
    }
}

/// `requestAnimationFrame(callback)` of the page or of a dedicated worker (Chrome, Firefox);
/// `None` where the scope has none.
pub fn request_animation_frame(callback: &JsValue) -> Option<JsValue> {
    call_global("requestAnimationFrame", &[callback])
}

/// Cancels a request of [`request_animation_frame`].
pub fn cancel_animation_frame(handle: &JsValue) {
    let _ = call_global("cancelAnimationFrame", &[handle]);
}

fn performance() -> Option<web_sys::Performance> {
    js_sys::Reflect::get(&global(), &JsValue::from_str("performance"))
        .ok()
        .filter(JsValue::is_object)
        .map(JsCast::unchecked_into)
}

/// `performance.now()` in seconds (each thread has its own origin).
pub fn performance_now() -> f64 {
    performance().map_or(0.0, |p| p.now() / 1000.0)
}

/// Seconds since the epoch, with `performance.now()` precision and the same value on the page
/// and in its workers (`performance.timeOrigin + performance.now()`).
pub fn shared_clock() -> f64 {
    performance().map_or(0.0, |p| (p.time_origin() + p.now()) / 1000.0)
}

/// True in a window whose document is hidden.
pub fn document_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Builds a plain JavaScript object.
pub struct Obj(pub js_sys::Object);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Obj(js_sys::Object::new())
    }

    /// Sets a property.
    pub fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        let _ = js_sys::Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }
}

/// Logs a warning to the console.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// A readable message from a JavaScript error value.
pub fn js_error_message(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    if let Ok(m) = js_sys::Reflect::get(value, &JsValue::from_str("message")) {
        if let Some(s) = m.as_string() {
            return s;
        }
    }
    format!("{value:?}")
}
