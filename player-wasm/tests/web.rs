//! Browser tests of the player (headless Chromium): `wasm-pack test --headless --chrome
//! player-wasm` (see scripts/test-player.sh).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, WebGl2RenderingContext, WebGlRenderingContext,
};

use wasmpeg_player::core::color::picture_to_rgba;
use wasmpeg_player::core::Picture;
use wasmpeg_player::Player;

wasm_bindgen_test_configure!(run_in_browser);

const TINY: &[u8] = include_bytes!("fixtures/tiny_64x48.ts");

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// An options object. Unless given, `worker` is false: this harness serves the package's module
/// under another name, so a worker could not load it (the player would fall back to the main
/// thread a moment later; `a_worker_that_cannot_start_falls_back` tests that). The worker path
/// is tested end to end with the built package (tests/e2e/run.py).
fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &JsValue::from_str("worker"), &false.into()).unwrap();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn new_canvas() -> HtmlCanvasElement {
    let c: HtmlCanvasElement = document()
        .create_element("canvas")
        .unwrap()
        .unchecked_into();
    document().body().unwrap().append_child(&c).unwrap();
    c
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Waits for one event of `kind` (its `detail`), or `None` after `ms`.
async fn next_event(player: &Player, kind: &str, ms: i32) -> Option<JsValue> {
    let p = Promise::new(&mut |resolve, _| {
        player.add_event_listener(kind, &resolve, &obj(&[("once", true.into())]));
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_1(
                &resolve,
                ms,
                &JsValue::UNDEFINED,
            )
            .unwrap();
    });
    let v = JsFuture::from(p).await.unwrap();
    if v.is_undefined() {
        None
    } else {
        Some(js_sys::Reflect::get(&v, &"detail".into()).unwrap())
    }
}

/// Polls `done` every 20 ms for up to `ms`; true when it became true.
async fn wait_until(ms: i32, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..=ms / 20 {
        if done() {
            return true;
        }
        sleep(20).await;
    }
    done()
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

/// The last picture of the fixture decoded directly, converted with the shared BT.601 maths.
fn expected_last_picture() -> (Picture, Vec<u8>) {
    let mut decoder = wasmpeg::Decoder::new(wasmpeg::DecoderConfig::default());
    decoder.push(TINY);
    decoder.finish();
    let mut last = Picture::default();
    while let Some(event) = decoder.next_event() {
        if let wasmpeg::DecoderEvent::Video(f) = event {
            last.copy_from(f, 0.0);
        }
    }
    let mut rgba = Vec::new();
    picture_to_rgba(&last, &mut rgba);
    (last, rgba)
}

/// Greatest per-channel difference between two RGBA images (alpha ignored).
fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len());
    a.chunks_exact(4)
        .zip(b.chunks_exact(4))
        .flat_map(|(p, q)| (0..3).map(move |i| p[i].abs_diff(q[i])))
        .max()
        .unwrap_or(0)
}

fn pixel(rgba: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
    let i = (y * width + x) * 4;
    [rgba[i], rgba[i + 1], rgba[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    (0..3).all(|i| a[i].abs_diff(b[i]) <= tolerance)
}

/// Plays the fixture pushed through `write()` and returns the canvas content as RGBA, top row
/// first.
async fn render_fixture(disable_gl: bool) -> (String, Vec<u8>, u32, u32) {
    let canvas = new_canvas();
    let player = Player::new(
        &JsValue::NULL,
        &obj(&[
            ("canvas", canvas.clone().into()),
            ("preserveDrawingBuffer", true.into()),
            ("disableGl", disable_gl.into()),
            ("audio", false.into()),
        ]),
    )
    .unwrap();
    player.write(&bytes(TINY));
    player.end();
    for _ in 0..250 {
        sleep(20).await;
        if js_sys::Reflect::get(&player.stats(), &"framesShown".into())
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
            >= 1.0
        {
            break;
        }
    }
    sleep(50).await;
    let kind = player.renderer();
    let (w, h) = (canvas.width(), canvas.height());
    let mut rgba = vec![0u8; (w * h * 4) as usize];
    if kind == "2d" {
        let ctx: CanvasRenderingContext2d =
            canvas.get_context("2d").unwrap().unwrap().unchecked_into();
        let data = ctx.get_image_data(0.0, 0.0, w.into(), h.into()).unwrap();
        rgba.copy_from_slice(&data.data());
    } else {
        let name = if kind == "webgl2" { "webgl2" } else { "webgl" };
        let gl: WebGl2RenderingContext =
            canvas.get_context(name).unwrap().unwrap().unchecked_into();
        gl.read_pixels_with_opt_u8_array(
            0,
            0,
            w as i32,
            h as i32,
            WebGl2RenderingContext::RGBA,
            WebGl2RenderingContext::UNSIGNED_BYTE,
            Some(&mut rgba),
        )
        .unwrap();
        // WebGL rows are bottom-up.
        let row = (w * 4) as usize;
        let flipped: Vec<u8> = rgba.chunks_exact(row).rev().flatten().copied().collect();
        rgba = flipped;
    }
    player.destroy();
    canvas.remove();
    (kind, rgba, w, h)
}

#[wasm_bindgen_test]
fn options_can_be_omitted() {
    let p = Player::new(&JsValue::UNDEFINED, &JsValue::UNDEFINED).unwrap();
    assert!(!p.paused()); // pushed data is live, and live sources autoplay
    assert_eq!(p.video_width(), 0);
    assert!(p.duration().is_infinite()); // pushed data plays live by default
    p.destroy();
    let p = Player::new(&JsValue::NULL, &JsValue::from(5)).unwrap();
    assert!(!p.muted());
    p.set_muted(true);
    assert!(p.muted());
    p.set_volume(0.25);
    assert!((p.volume() - 0.25).abs() < f64::EPSILON);
    p.set_volume(7.0);
    assert!((p.volume() - 1.0).abs() < f64::EPSILON);
    p.destroy();
    let p = Player::new(
        &JsValue::NULL,
        &obj(&[
            ("volume", "loud".into()),
            ("canvas", 3.into()),
            ("loop", JsValue::NULL),
        ]),
    )
    .unwrap();
    assert!((p.volume() - 1.0).abs() < f64::EPSILON);
    p.destroy();
}

#[wasm_bindgen_test]
async fn webgl_renders_the_bt601_colours() {
    let (kind, rgba, w, h) = render_fixture(false).await;
    assert!(kind == "webgl2" || kind == "webgl", "renderer {kind}");
    assert_eq!((w, h), (64, 48));
    let (_, expected) = expected_last_picture();
    let d = max_diff(&rgba, &expected);
    assert!(d <= 2, "WebGL differs from the BT.601 conversion by {d}");
    // And the colours are the ones the fixture was made from (compression error aside).
    assert!(
        near(pixel(&rgba, 64, 8, 24), [0x20, 0x80, 0xc0], 8),
        "{:?}",
        pixel(&rgba, 64, 8, 24)
    );
    assert!(
        near(pixel(&rgba, 64, 56, 24), [0xd0, 0x40, 0x30], 8),
        "{:?}",
        pixel(&rgba, 64, 56, 24)
    );
}

#[wasm_bindgen_test]
async fn canvas2d_renders_the_same_colours_as_webgl() {
    let (kind, rgba_2d, w, h) = render_fixture(true).await;
    assert_eq!(kind, "2d");
    assert_eq!((w, h), (64, 48));
    let (_, expected) = expected_last_picture();
    assert!(max_diff(&rgba_2d, &expected) <= 2);
    let (_, rgba_gl, _, _) = render_fixture(false).await;
    let d = max_diff(&rgba_2d, &rgba_gl);
    assert!(d <= 2, "Canvas2D and WebGL differ by {d}");
}

#[wasm_bindgen_test]
async fn events_fire_and_on_callbacks_are_called() {
    let count = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let c = count.clone();
    let on_decode = Closure::<dyn FnMut(JsValue)>::new(move |_| c.set(c.get() + 1));
    let player = Player::new(
        &JsValue::NULL,
        &obj(&[
            ("live", false.into()),
            ("loop", false.into()),
            ("autoplay", true.into()),
            ("audio", false.into()),
            ("onVideoDecode", on_decode.as_ref().clone()),
        ]),
    )
    .unwrap();
    player.write(&bytes(TINY));
    player.end();
    let ended = next_event(&player, "ended", 5000).await;
    assert!(ended.is_some(), "no ended event");
    assert!(player.paused());
    assert_eq!(count.get(), 10);
    let d = player.duration();
    assert!((d - 0.4).abs() < 0.01, "duration {d}");
    assert_eq!((player.video_width(), player.video_height()), (64, 48));
    player.destroy();
}

#[wasm_bindgen_test]
async fn a_blob_url_file_plays_to_the_end() {
    let parts = Array::new();
    parts.push(&Uint8Array::from(TINY));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let audio_events = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let a = audio_events.clone();
    let on_audio = Closure::<dyn FnMut(JsValue)>::new(move |_| a.set(a.get() + 1));
    let player = Player::new(
        &JsValue::from_str(&url),
        &obj(&[
            ("autoplay", true.into()),
            ("loop", false.into()),
            ("onAudioDecode", on_audio.as_ref().clone()),
        ]),
    )
    .unwrap();
    let established = next_event(&player, "sourceestablished", 5000).await;
    assert!(established.is_some());
    assert!(
        next_event(&player, "ended", 5000).await.is_some(),
        "no ended event"
    );
    let stats = player.stats();
    let shown = js_sys::Reflect::get(&stats, &"framesShown".into())
        .unwrap()
        .as_f64();
    assert!(shown.unwrap_or(0.0) >= 5.0, "{shown:?}");
    // The fixture's MP2 audio was decoded too and, with the test browser's autoplay policy,
    // played: none of it was dropped as late.
    let audio = get(&stats, "audioFramesDecoded").as_f64().unwrap_or(0.0);
    assert!(audio >= 15.0, "audio frames decoded: {audio}");
    assert!((f64::from(audio_events.get()) - audio).abs() < f64::EPSILON);
    let played = get(&stats, "audioFramesPlayed").as_f64().unwrap_or(0.0);
    assert!(
        (played - audio).abs() < f64::EPSILON,
        "played {played} of {audio}"
    );
    let dropped = get(&stats, "audioFramesDropped").as_f64().unwrap_or(-1.0);
    assert!(
        dropped.abs() < f64::EPSILON,
        "audio frames dropped: {dropped}"
    );
    player.destroy();
    web_sys::Url::revoke_object_url(&url).unwrap();
}

#[wasm_bindgen_test]
async fn http_404_is_an_error_event() {
    let player = Player::new(&JsValue::from_str("/no-such-file.ts"), &JsValue::UNDEFINED).unwrap();
    let detail = next_event(&player, "error", 5000)
        .await
        .expect("no error event");
    let reason = js_sys::Reflect::get(&detail, &"reason".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(reason.contains("404"), "{reason}");
    player.destroy();
}

#[wasm_bindgen_test]
async fn websocket_failure_reports_and_reconnects() {
    let player = Player::new(
        &JsValue::from_str("ws://127.0.0.1:9/none"),
        &obj(&[("reconnectInterval", 0.05.into())]),
    )
    .unwrap();
    let error = next_event(&player, "error", 5000)
        .await
        .expect("no error event");
    let reason = js_sys::Reflect::get(&error, &"reason".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(reason.contains("WebSocket"), "{reason}");
    let first = next_event(&player, "reconnect", 5000)
        .await
        .expect("no reconnect");
    let second = next_event(&player, "reconnect", 5000)
        .await
        .expect("no second reconnect");
    let delay = |d: &JsValue| {
        js_sys::Reflect::get(d, &"delay".into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    assert!(delay(&second) > delay(&first), "no back-off");
    player.destroy();
    // Destroyed: no more attempts.
    assert!(next_event(&player, "reconnect", 300).await.is_none());
}

#[wasm_bindgen_test]
async fn play_pause_and_paused() {
    let player = Player::new(&JsValue::NULL, &obj(&[("live", false.into())])).unwrap();
    assert!(player.paused());
    player.play();
    assert!(!player.paused());
    assert!(next_event(&player, "play", 1000).await.is_none()); // already dispatched
    player.pause();
    assert!(player.paused());
    player.destroy();
}

#[wasm_bindgen_test]
async fn destroy_releases_webgl_contexts() {
    // A long-lived player: if destroyed players kept their contexts, the browser would evict
    // the oldest context (this one) once its limit (16 in Chromium) is passed.
    let keeper = Player::new(&JsValue::NULL, &obj(&[("audio", false.into())])).unwrap();
    assert!(
        keeper.renderer().starts_with("webgl"),
        "{}",
        keeper.renderer()
    );
    for _ in 0..50 {
        let p = Player::new(&JsValue::NULL, &obj(&[("audio", false.into())])).unwrap();
        assert!(p.renderer().starts_with("webgl"));
        p.destroy();
    }
    sleep(100).await;
    let canvas = keeper.canvas().unwrap();
    let name = if keeper.renderer() == "webgl2" {
        "webgl2"
    } else {
        "webgl"
    };
    let gl: WebGlRenderingContext = canvas.get_context(name).unwrap().unwrap().unchecked_into();
    assert!(!gl.is_context_lost(), "the long-lived context was evicted");
    // New contexts can still be created.
    let fresh = new_canvas();
    let ctx = fresh.get_context("webgl").unwrap();
    assert!(ctx.is_some());
    keeper.destroy();
    fresh.remove();
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
async fn div_elements_are_upgraded_with_controls() {
    let div: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
    div.set_class_name("wasmpeg");
    for (k, v) in [
        ("data-live", "false"),
        ("data-loop", "false"),
        ("data-audio", "false"),
        ("data-decode-first-frame", "true"),
        ("data-poster", "data:image/gif;base64,R0lGODlhAQABAAAAACw="),
    ] {
        div.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&div).unwrap();
    wasmpeg_player::upgrade_elements();
    let player = get(&div, "playerInstance");
    assert!(!player.is_undefined(), "no playerInstance");
    assert_eq!(div.query_selector_all("canvas").unwrap().length(), 1);
    assert_eq!(div.query_selector_all("img").unwrap().length(), 1);
    let buttons = div.query_selector_all("button").unwrap();
    assert_eq!(buttons.length(), 3);
    // Upgrading again does nothing.
    wasmpeg_player::upgrade_elements();
    assert_eq!(div.query_selector_all("canvas").unwrap().length(), 1);
    // The data-* options were applied: a file that does not autoplay.
    assert_eq!(get(&player, "paused").as_bool(), Some(true));
    let play: web_sys::HtmlElement = buttons.item(0).unwrap().unchecked_into();
    play.click();
    assert_eq!(get(&player, "paused").as_bool(), Some(false));
    play.click();
    assert_eq!(get(&player, "paused").as_bool(), Some(true));
    // Data pushed into the element's player shows the first frame and removes the poster.
    let write: js_sys::Function = get(&player, "write").unchecked_into();
    write.call1(&player, &bytes(TINY)).unwrap();
    let poster_gone = || div.query_selector_all("img").unwrap().length() == 0;
    assert!(wait_until(5000, poster_gone).await, "poster still shown");
    assert_eq!(get(&player, "videoWidth").as_f64(), Some(64.0));
    assert_eq!(div.query_selector_all("img").unwrap().length(), 0);
    let destroy: js_sys::Function = get(&player, "destroy").unchecked_into();
    destroy.call0(&player).unwrap();
    div.remove();
}

#[wasm_bindgen_test]
async fn rendering_survives_context_loss() {
    let canvas = new_canvas();
    let player = Player::new(
        &JsValue::NULL,
        &obj(&[
            ("canvas", canvas.clone().into()),
            ("preserveDrawingBuffer", true.into()),
            ("audio", false.into()),
        ]),
    )
    .unwrap();
    assert!(player.renderer().starts_with("webgl"));
    let name = if player.renderer() == "webgl2" {
        "webgl2"
    } else {
        "webgl"
    };
    let gl: WebGl2RenderingContext = canvas.get_context(name).unwrap().unwrap().unchecked_into();
    let lose: web_sys::WebglLoseContext = gl
        .get_extension("WEBGL_lose_context")
        .unwrap()
        .unwrap()
        .unchecked_into();
    lose.lose_context();
    assert!(wait_until(5000, || gl.is_context_lost()).await);
    player.write(&bytes(TINY)); // decoding goes on while the context is lost
    sleep(100).await;
    lose.restore_context();
    assert!(wait_until(5000, || !gl.is_context_lost()).await);
    sleep(200).await; // a few animation frames
    let mut rgba = vec![0u8; 64 * 48 * 4];
    gl.read_pixels_with_opt_u8_array(
        0,
        0,
        64,
        48,
        WebGl2RenderingContext::RGBA,
        WebGl2RenderingContext::UNSIGNED_BYTE,
        Some(&mut rgba),
    )
    .unwrap();
    // Bottom-up rows: row 24 from the bottom is the middle row either way.
    assert!(
        near(pixel(&rgba, 64, 8, 24), [0x20, 0x80, 0xc0], 8),
        "{:?}",
        pixel(&rgba, 64, 8, 24)
    );
    assert!(near(pixel(&rgba, 64, 56, 24), [0xd0, 0x40, 0x30], 8));
    player.destroy();
    canvas.remove();
}

/// Needs `tests/ws_server.py` running; scripts/test-player.sh starts it and sets
/// `WASMPEG_TEST_WS` (e.g. `ws://127.0.0.1:18081/`) when building the tests.
#[wasm_bindgen_test]
async fn websocket_stream_plays_and_resets_on_reconnect() {
    let Some(url) = option_env!("WASMPEG_TEST_WS") else {
        web_sys::console::log_1(
            &"SKIPPED: WASMPEG_TEST_WS not set (no test WebSocket server)".into(),
        );
        return;
    };
    let decoded = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let d = decoded.clone();
    let on_decode = Closure::<dyn FnMut(JsValue)>::new(move |_| d.set(d.get() + 1));
    let player = Player::new(
        &JsValue::from_str(url),
        &obj(&[
            ("audio", false.into()),
            ("reconnectInterval", 0.1.into()),
            ("onVideoDecode", on_decode.as_ref().clone()),
        ]),
    )
    .unwrap();
    assert!(next_event(&player, "sourceestablished", 5000)
        .await
        .is_some());
    // The server closes after one pass over the fixture; the player reconnects.
    assert!(
        next_event(&player, "reconnect", 5000).await.is_some(),
        "no reconnect"
    );
    assert!(
        next_event(&player, "sourceestablished", 5000)
            .await
            .is_some(),
        "no second stream"
    );
    for _ in 0..100 {
        if decoded.get() >= 20 {
            break;
        }
        sleep(20).await;
    }
    assert!(decoded.get() >= 20, "decoded {}", decoded.get());
    let stats = player.stats();
    let warnings = get(&stats, "decoderWarnings").as_f64().unwrap();
    // Each connection is a fresh stream: with the decoder reset, no damage is reported.
    assert!(warnings.abs() < f64::EPSILON, "decoder warnings {warnings}");
    assert_eq!((player.video_width(), player.video_height()), (64, 48));
    assert!(player.duration().is_infinite());
    player.destroy();
}

/// Needs `tests/ws_server.py` (see above), which also serves `/slow.ts` over HTTP.
#[wasm_bindgen_test]
async fn http_download_plays_before_it_ends() {
    let Some(ws) = option_env!("WASMPEG_TEST_WS") else {
        web_sys::console::log_1(&"SKIPPED: WASMPEG_TEST_WS not set (no test server)".into());
        return;
    };
    let url = format!("{}slow.ts", ws.replacen("ws://", "http://", 1));
    let player = Player::new(
        &JsValue::from_str(&url),
        &obj(&[
            ("autoplay", true.into()),
            ("loop", false.into()),
            ("audio", false.into()),
        ]),
    )
    .unwrap();
    let completed = std::rc::Rc::new(std::cell::Cell::new(false));
    let c = completed.clone();
    let on_complete = Closure::<dyn FnMut(JsValue)>::new(move |_| c.set(true));
    player.add_event_listener("sourcecompleted", on_complete.as_ref(), &JsValue::UNDEFINED);
    assert!(next_event(&player, "videodecode", 5000).await.is_some());
    assert!(!completed.get(), "decoding waited for the whole download");
    assert!(
        next_event(&player, "ended", 5000).await.is_some(),
        "no ended event"
    );
    assert!(completed.get());
    player.destroy();
}

#[wasm_bindgen_test]
fn file_methods_step_seek_and_stop() {
    let player = Player::new(
        &JsValue::NULL,
        &obj(&[("live", false.into()), ("audio", false.into())]),
    )
    .unwrap();
    assert!(player.duration().is_nan());
    player.write(&bytes(TINY));
    player.end();
    assert!(player.next_frame());
    assert!(player.current_time().abs() < 1e-6);
    assert!(player.next_frame());
    assert!((player.current_time() - 0.04).abs() < 1e-6);
    player.seek(0.2);
    assert!((player.current_time() - 0.2).abs() < 1e-6);
    player.set_current_time(0.3);
    assert!((player.current_time() - 0.3).abs() < 1e-6);
    assert_eq!((player.video_width(), player.video_height()), (64, 48));
    player.play();
    player.stop();
    assert!(player.paused());
    assert!(player.current_time().abs() < 1e-6);
    player.destroy();
    // After destroy every method is harmless.
    player.play();
    assert!(!player.next_frame());
    player.write(&bytes(TINY));
    assert!(player.paused());
}

#[wasm_bindgen_test]
async fn eight_players_on_a_page() {
    let players: Vec<Player> = (0..8)
        .map(|i| {
            Player::new(
                &JsValue::NULL,
                &obj(&[("audio", false.into()), ("disableGl", (i == 7).into())]),
            )
            .unwrap()
        })
        .collect();
    for p in &players {
        document()
            .body()
            .unwrap()
            .append_child(&p.canvas().unwrap())
            .unwrap();
        p.write(&bytes(TINY));
    }
    let all_shown = || {
        players
            .iter()
            .all(|p| get(&p.stats(), "framesShown").as_f64().unwrap_or(0.0) >= 1.0)
    };
    assert!(wait_until(5000, all_shown).await);
    for p in &players {
        let shown = get(&p.stats(), "framesShown").as_f64().unwrap_or(0.0);
        assert!(shown >= 1.0, "a player showed nothing ({})", p.renderer());
        let canvas = p.canvas().unwrap();
        assert_eq!((canvas.width(), canvas.height()), (64, 48));
        if p.renderer() != "2d" {
            let gl: WebGlRenderingContext = canvas
                .get_context(&p.renderer())
                .unwrap()
                .unwrap()
                .unchecked_into();
            assert!(!gl.is_context_lost());
        }
    }
    for p in &players {
        let canvas = p.canvas().unwrap();
        p.destroy();
        // The player created this canvas, so destroy() removed it from the page.
        assert!(canvas.parent_node().is_none());
    }
}

#[wasm_bindgen_test]
async fn a_worker_that_cannot_start_falls_back_to_the_main_thread() {
    // Default options ask for a worker; here it cannot load the package, so the player must
    // end up playing pushed data on the main thread, with the calls made meanwhile replayed.
    let canvas = new_canvas();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"canvas".into(), &canvas).unwrap();
    js_sys::Reflect::set(&options, &"live".into(), &false.into()).unwrap();
    let player = Player::new(&JsValue::NULL, &options.into()).unwrap();
    player.write(&bytes(TINY));
    player.end();
    player.play();
    assert!(
        wait_until(10_000, || !player.in_worker()
            && player.renderer().starts_with("webgl"))
        .await,
        "in worker: {}, renderer: {:?}",
        player.in_worker(),
        player.renderer()
    );
    assert!(
        wait_until(10_000, || js_sys::Reflect::get(
            &player.stats(),
            &"framesShown".into()
        )
        .ok()
        .and_then(|v| v.as_f64())
        .is_some_and(|n| n >= 5.0))
        .await,
        "frames were not shown after the fallback"
    );
    player.destroy();
}

/// FNV-1a, 64 bits (the same as tests/native_hashes.py).
fn fnv(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Decodes `data` with the wasm build of the decoder: one hash per picture (yuv420p cropped to
/// the display size) and one over all audio (interleaved f32 little-endian samples).
fn wasm_hashes(data: &[u8]) -> (Vec<String>, String) {
    let mut decoder = wasmpeg::Decoder::new(wasmpeg::DecoderConfig::default());
    let mut pictures = Vec::new();
    let mut audio = FNV_START;
    let mut buf = Vec::new();
    let mut collect = |decoder: &mut wasmpeg::Decoder| {
        while let Some(event) = decoder.next_event() {
            match event {
                wasmpeg::DecoderEvent::Video(frame) => {
                    buf.clear();
                    frame.write_yuv420p(&mut buf);
                    pictures.push(format!("{:016x}", fnv(&buf, FNV_START)));
                }
                wasmpeg::DecoderEvent::Audio(frame) => {
                    for i in 0..frame.samples_per_channel {
                        for c in 0..usize::from(frame.channels) {
                            let sample = frame.channel(c).get(i).copied().unwrap_or(0.0);
                            audio = fnv(&sample.to_le_bytes(), audio);
                        }
                    }
                }
                _ => {}
            }
        }
    };
    // Arbitrary pieces, as a network would deliver them.
    for piece in data.chunks(7001) {
        decoder.push(piece);
        collect(&mut decoder);
    }
    decoder.finish();
    collect(&mut decoder);
    (pictures, format!("{audio:016x}"))
}

#[wasm_bindgen_test]
fn wasm_decoding_is_bit_identical_to_native() {
    // Set by scripts/test-player.sh from the native decoder (tests/native_hashes.py).
    let Some(expected) = option_env!("WASMPEG_NATIVE_HASHES") else {
        web_sys::console::warn_1(&"WASMPEG_NATIVE_HASHES not set at build time: skipped".into());
        return;
    };
    let fixtures: [(&str, &[u8]); 3] = [
        (
            "ibbp_bf2_352x288.ts",
            include_bytes!("../../fixtures/ibbp_bf2_352x288.ts"),
        ),
        (
            "sif_352x288_25.mpg",
            include_bytes!("../../fixtures/sif_352x288_25.mpg"),
        ),
        (
            "odd_322x242.ts",
            include_bytes!("../../fixtures/odd_322x242.ts"),
        ),
    ];
    for (name, data) in fixtures {
        let entry = expected
            .split('|')
            .find_map(|e| e.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .unwrap_or_else(|| panic!("no native hashes for {name}"));
        let (video, audio) = entry.split_once(';').unwrap();
        let want: Vec<&str> = video.trim_start_matches("v=").split(',').collect();
        let (got, got_audio) = wasm_hashes(data);
        assert!(
            want.len() > 10,
            "{name}: only {} native pictures",
            want.len()
        );
        assert_eq!(got, want, "{name}: pictures differ between wasm and native");
        assert_eq!(
            got_audio,
            audio.trim_start_matches("a="),
            "{name}: audio differs"
        );
    }
}
