//! Byte sources: WebSocket (live, reconnecting) and streaming fetch (files, playback starts
//! before the download ends).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, BinaryType, CloseEvent, Event, Headers, MessageEvent,
    ReadableStreamDefaultReader, RequestInit, Response, WebSocket,
};

use super::util::{js_error_message, Obj, Timeout};
use super::{flush, Inner};

/// The longest wait between reconnection attempts, seconds.
const MAX_RECONNECT_DELAY: f64 = 30.0;

/// An open source; dropping it closes the connection or aborts the download.
pub enum Source {
    /// A WebSocket connection (or a wait before reconnecting).
    WebSocket(WsSource),
    /// A fetch download.
    Fetch(AbortController),
}

impl Drop for Source {
    fn drop(&mut self) {
        match self {
            Source::WebSocket(ws) => ws.close(),
            Source::Fetch(abort) => abort.abort(),
        }
    }
}

/// WebSocket state.
pub struct WsSource {
    socket: Option<WebSocket>,
    handlers: Vec<Closure<dyn FnMut(Event)>>,
    timer: Option<Timeout>,
    attempt: u32,
    got_data: bool,
    connections: u32,
}

impl WsSource {
    fn close(&mut self) {
        self.timer = None;
        if let Some(ws) = self.socket.take() {
            ws.set_onmessage(None);
            ws.set_onclose(None);
            ws.set_onopen(None);
            ws.set_onerror(None);
            let _ = ws.close();
        }
    }
}

/// Starts the WebSocket source of the player.
pub fn start_websocket(rc: &Rc<RefCell<Inner>>) {
    let Ok(mut inner) = rc.try_borrow_mut() else {
        return;
    };
    inner.source = Some(Source::WebSocket(WsSource {
        socket: None,
        handlers: Vec::new(),
        timer: None,
        attempt: 0,
        got_data: false,
        connections: 0,
    }));
    drop(inner);
    connect(&Rc::downgrade(rc));
}

fn with_ws<R>(inner: &mut Inner, f: impl FnOnce(&mut WsSource) -> R) -> Option<R> {
    match inner.source.as_mut() {
        Some(Source::WebSocket(ws)) => Some(f(ws)),
        _ => None,
    }
}

fn connect(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        if inner.destroyed {
            return;
        }
        let url = inner.url.clone().unwrap_or_default();
        let protocols = inner.options.protocols.clone();
        let socket = if protocols.is_empty() {
            WebSocket::new(&url)
        } else {
            let list = js_sys::Array::new();
            for p in &protocols {
                list.push(&JsValue::from_str(p));
            }
            WebSocket::new_with_str_sequence(&url, &list)
        };
        let socket = match socket {
            Ok(s) => s,
            Err(e) => {
                // A malformed URL: nothing to retry.
                inner.emit_error(&format!(
                    "cannot open WebSocket {url}: {}",
                    js_error_message(&e)
                ));
                drop(inner);
                flush(&rc);
                return;
            }
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let on_message = {
            let weak = weak.clone();
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                let Some(rc) = weak.upgrade() else {
                    return;
                };
                let Ok(message) = event.dyn_into::<MessageEvent>() else {
                    return;
                };
                let data = message.data();
                if !data.is_instance_of::<js_sys::ArrayBuffer>() {
                    return; // text frames are not part of the stream
                }
                let bytes = Uint8Array::new(&data).to_vec();
                if let Ok(mut inner) = rc.try_borrow_mut() {
                    let first = with_ws(&mut inner, |ws| {
                        ws.attempt = 0;
                        !std::mem::replace(&mut ws.got_data, true)
                    });
                    if first == Some(true) {
                        inner.emit("sourceestablished", Obj::new().0.into());
                    }
                    inner.write(&bytes);
                }
                flush(&rc);
            })
        };
        let on_open = {
            let weak = weak.clone();
            Closure::<dyn FnMut(Event)>::new(move |_| {
                let Some(rc) = weak.upgrade() else {
                    return;
                };
                if let Ok(mut inner) = rc.try_borrow_mut() {
                    let reconnected = with_ws(&mut inner, |ws| {
                        ws.connections += 1;
                        ws.got_data = false;
                        ws.connections > 1
                    });
                    if reconnected == Some(true) {
                        // A new stream: nothing of the old one may leak into it.
                        inner.reset_stream();
                    }
                }
                flush(&rc);
            })
        };
        let on_close = {
            let weak = weak.clone();
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                let (code, reason) = event
                    .dyn_ref::<CloseEvent>()
                    .map_or((0, String::new()), |c| (c.code(), c.reason()));
                on_closed(&weak, code, &reason);
            })
        };
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        with_ws(&mut inner, |ws| {
            if let Some(old) = ws.socket.replace(socket) {
                let _ = old.close();
            }
            ws.handlers = vec![on_message, on_open, on_close];
        });
    }
}

fn on_closed(weak: &Weak<RefCell<Inner>>, code: u16, reason: &str) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        if inner.destroyed {
            return;
        }
        let mut message = format!("WebSocket closed (code {code})");
        if !reason.is_empty() {
            message.push_str(": ");
            message.push_str(reason);
        }
        inner.emit_error(&message);
        let interval = inner.options.reconnect_interval;
        if interval > 0.0 {
            let attempt = with_ws(&mut inner, |ws| {
                ws.attempt += 1;
                ws.attempt
            })
            .unwrap_or(1);
            let delay = (interval * 2f64.powi(attempt.min(16) as i32 - 1))
                .min(MAX_RECONNECT_DELAY.max(interval));
            inner.emit(
                "reconnect",
                Obj::new()
                    .set("attempt", attempt)
                    .set("delay", delay)
                    .0
                    .into(),
            );
            let again = weak.clone();
            let timer = Timeout::new(delay, move || connect(&again));
            with_ws(&mut inner, |ws| ws.timer = timer);
        }
    }
    flush(&rc);
}

/// How much of the end of a file is read ahead (Range request) for its duration.
const TAIL_BYTES: usize = 512 * 1024;

/// Starts downloading `url` from byte `from` with fetch (a Range request when `from` > 0);
/// bytes go to the player as they arrive. A download started earlier is aborted, and its late
/// bytes are ignored.
pub fn start_fetch(rc: &Rc<RefCell<Inner>>, url: String, from: usize) {
    let Ok(abort) = AbortController::new() else {
        return;
    };
    let init = RequestInit::new();
    init.set_signal(Some(&abort.signal()));
    if from > 0 {
        if let Ok(headers) = Headers::new() {
            let _ = headers.set("Range", &format!("bytes={from}-"));
            init.set_headers(&headers);
        }
    }
    let generation = {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        inner.fetch_generation += 1;
        inner.source = Some(Source::Fetch(abort));
        inner.fetch_generation
    };
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(message) = download(&weak, &url, &init, from, generation).await {
            if let Some(rc) = weak.upgrade() {
                if let Ok(mut inner) = rc.try_borrow_mut() {
                    if !inner.destroyed && inner.fetch_generation == generation {
                        inner.emit_error(&message);
                    }
                }
                flush(&rc);
            }
        }
    });
}

/// `fetch` of the page or of the worker the player runs in.
fn fetch(url: &str, init: &RequestInit) -> js_sys::Promise {
    match web_sys::window() {
        Some(window) => window.fetch_with_str_and_init(url, init),
        None => js_sys::global()
            .unchecked_into::<web_sys::WorkerGlobalScope>()
            .fetch_with_str_and_init(url, init),
    }
}

/// Reads the last [`TAIL_BYTES`] of the file (for the duration); failures are ignored.
async fn read_tail(weak: Weak<RefCell<Inner>>, url: String) {
    let init = RequestInit::new();
    let Ok(headers) = Headers::new() else {
        return;
    };
    let _ = headers.set("Range", &format!("bytes=-{TAIL_BYTES}"));
    init.set_headers(&headers);
    let Ok(response) = JsFuture::from(fetch(&url, &init)).await else {
        return;
    };
    let response: Response = response.unchecked_into();
    if response.status() != 206 {
        return;
    }
    let Ok(buffer) = response.array_buffer() else {
        return;
    };
    let Ok(buffer) = JsFuture::from(buffer).await else {
        return;
    };
    let bytes = Uint8Array::new(&buffer).to_vec();
    if let Some(rc) = weak.upgrade() {
        if let Ok(mut inner) = rc.try_borrow_mut() {
            inner.engine.set_tail(bytes);
        }
    }
}

async fn download(
    weak: &Weak<RefCell<Inner>>,
    url: &str,
    init: &RequestInit,
    from: usize,
    generation: u32,
) -> Result<(), String> {
    let response = JsFuture::from(fetch(url, init))
        .await
        .map_err(|e| format!("cannot load {url}: {}", js_error_message(&e)))?;
    let response: Response = response.unchecked_into();
    if !response.ok() {
        return Err(format!(
            "cannot load {url}: HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    // A server that ignored the Range header sends the whole file.
    let from = if response.status() == 206 { from } else { 0 };
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let ranges = header("accept-ranges").is_some_and(|v| v.contains("bytes"));
    let length = header("content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(rc) = weak.upgrade() {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return Ok(());
        };
        if inner.fetch_generation != generation {
            return Ok(());
        }
        if generation > 1 {
            inner.engine.begin_segment(from);
        } else if let (true, Some(length)) = (ranges, length) {
            // Seeks far ahead can read from there, and the duration is known at once.
            inner.engine.set_file_length(length);
            if length > TAIL_BYTES {
                wasm_bindgen_futures::spawn_local(read_tail(weak.clone(), url.to_string()));
            }
        }
    }
    let body = response
        .body()
        .ok_or_else(|| format!("cannot load {url}: no body"))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    loop {
        let result = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("download of {url} failed: {}", js_error_message(&e)))?;
        let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        let Some(rc) = weak.upgrade() else {
            return Ok(());
        };
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return Ok(());
        };
        if inner.destroyed || inner.fetch_generation != generation {
            let _ = reader.cancel();
            return Ok(());
        }
        if done {
            inner.end_of_input();
            drop(inner);
            flush(&rc);
            return Ok(());
        }
        if let Ok(value) = js_sys::Reflect::get(&result, &JsValue::from_str("value")) {
            let bytes = value.unchecked_into::<Uint8Array>().to_vec();
            if !inner.source_established {
                inner.source_established = true;
                inner.emit("sourceestablished", Obj::new().0.into());
            }
            inner.write(&bytes);
        }
        drop(inner);
        flush(&rc);
    }
}
