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

/// A `setTimeout` that is cleared when dropped. The callback is a one-shot JavaScript closure
/// freed by the call itself, so a timer may safely replace itself from inside its callback.
pub struct Timeout {
    handle: i32,
}

impl Timeout {
    /// Calls `f` after `seconds`.
    pub fn new(seconds: f64, f: impl FnOnce() + 'static) -> Option<Self> {
        let callback = Closure::once_into_js(f);
        let ms = (seconds * 1000.0).clamp(0.0, f64::from(i32::MAX)) as i32;
        let handle = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms)
            .ok()?;
        Some(Timeout { handle })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.handle);
        }
    }
}

/// `performance.now()` in seconds.
pub fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now() / 1000.0)
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
