//! `<div class="wasmpeg" data-url="...">`: upgraded on load into a canvas with a player and
//! simple controls (play/pause, mute/unmute, which also unlocks audio, fullscreen) and an
//! optional poster. Every option can be given as a `data-*` attribute
//! (`data-decode-first-frame="false"` → `decodeFirstFrame: false`); values are read as JSON,
//! else as strings. The player is available as `element.playerInstance`.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

use super::util::{Listener, Obj};
use super::{with_inner, Player};

/// Buttons whose labels follow the player state.
pub struct Controls {
    play: HtmlElement,
    mute: HtmlElement,
    poster: Option<HtmlElement>,
    state: (bool, bool),
}

impl Controls {
    /// Updates the labels and hides the poster once something was shown.
    pub fn update(&mut self, playing: bool, audible: bool, shown: bool) {
        if self.state != (playing, audible) {
            self.state = (playing, audible);
            set_label(
                &self.play,
                if playing { icon::PAUSE } else { icon::PLAY },
                if playing { "Pause" } else { "Play" },
            );
            set_label(
                &self.mute,
                if audible {
                    icon::SOUND_ON
                } else {
                    icon::SOUND_OFF
                },
                if audible { "Mute" } else { "Unmute" },
            );
        }
        if shown {
            if let Some(p) = self.poster.take() {
                p.remove();
            }
        }
    }
}

/// Control icons as inline SVG (24x24 viewBox, drawn in the button's text colour), so they do
/// not depend on emoji or symbol fonts being installed.
mod icon {
    pub const PLAY: &str = r#"<path d="M8 5v14l11-7z"/>"#;
    pub const PAUSE: &str = r#"<path d="M6 5h4v14H6zM14 5h4v14h-4z"/>"#;
    pub const SOUND_ON: &str = r#"<path d="M4 9v6h4l5 4V5L8 9zM16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" stroke="currentColor" stroke-width="2" fill="currentColor"/>"#;
    pub const SOUND_OFF: &str = r#"<path d="M4 9v6h4l5 4V5L8 9z"/><path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2"/>"#;
    pub const FULLSCREEN: &str =
        r#"<path d="M4 4h6v2H6v4H4zM14 4h6v6h-2V6h-4zM4 14h2v4h4v2H4zM18 14h2v6h-6v-2h4z"/>"#;
}

fn set_label(button: &HtmlElement, icon: &str, label: &str) {
    button.set_inner_html(&format!(
        r#"<svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor" aria-hidden="true">{icon}</svg>"#
    ));
    let _ = button.set_attribute("aria-label", label);
    button.set_title(label);
}

/// Upgrades the elements now, or when the document has loaded.
pub fn install() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.ready_state() == "loading" {
        let doc = document.clone();
        let callback = Closure::once_into_js(move || upgrade_all(&doc));
        let _ =
            document.add_event_listener_with_callback("DOMContentLoaded", callback.unchecked_ref());
    } else {
        upgrade_all(&document);
    }
}

/// Upgrades every `div.wasmpeg` not upgraded yet.
pub fn upgrade_all(document: &Document) {
    let Ok(list) = document.query_selector_all("div.wasmpeg") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
            if !el.has_attribute("data-wasmpeg-upgraded") {
                if let Err(e) = upgrade(document, &el) {
                    web_sys::console::error_1(&e);
                }
            }
        }
    }
}

fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn options_from_data(el: &Element) -> Obj {
    let mut options = Obj::new();
    let names = el.get_attribute_names();
    for name in names.iter().filter_map(|n| n.as_string()) {
        let Some(key) = name.strip_prefix("data-") else {
            continue;
        };
        if key == "url" || key == "wasmpeg-upgraded" {
            continue;
        }
        let raw = el.get_attribute(&name).unwrap_or_default();
        let value = js_sys::JSON::parse(&raw).unwrap_or_else(|_| JsValue::from_str(&raw));
        options = options.set(&camel_case(key), value);
    }
    options
}

fn button(document: &Document, parent: &Element) -> Result<HtmlElement, JsValue> {
    let b: HtmlElement = document.create_element("button")?.unchecked_into();
    let _ = b.set_attribute("type", "button");
    b.style().set_css_text(
        "background:rgba(0,0,0,.55);color:#fff;border:0;border-radius:4px;\
         font:16px/1 sans-serif;padding:6px 10px;margin:0 4px;cursor:pointer",
    );
    parent.append_child(&b)?;
    Ok(b)
}

fn upgrade(document: &Document, el: &HtmlElement) -> Result<(), JsValue> {
    el.set_attribute("data-wasmpeg-upgraded", "")?;
    let style = el.style();
    if style.get_property_value("position")?.is_empty() {
        style.set_property("position", "relative")?;
    }
    if style.get_property_value("display")?.is_empty() {
        style.set_property("display", "inline-block")?;
    }
    let canvas: HtmlElement = document.create_element("canvas")?.unchecked_into();
    canvas
        .style()
        .set_css_text("display:block;width:100%;height:100%;background:#000");
    el.append_child(&canvas)?;
    let options = options_from_data(el).set("canvas", canvas.clone());
    let poster_url = js_sys::Reflect::get(&options.0, &"poster".into())?.as_string();
    let poster = match poster_url {
        Some(src) => {
            let img: HtmlElement = document.create_element("img")?.unchecked_into();
            img.set_attribute("src", &src)?;
            img.set_attribute("alt", "")?;
            img.style().set_css_text(
                "position:absolute;left:0;top:0;width:100%;height:100%;object-fit:contain;\
                 pointer-events:none",
            );
            el.append_child(&img)?;
            Some(img)
        }
        None => None,
    };
    let url = el
        .get_attribute("data-url")
        .map_or(JsValue::NULL, JsValue::from);
    let player = Player::new(&url, &options.0.into())?;

    let bar = document.create_element("div")?;
    bar.unchecked_ref::<HtmlElement>().style().set_css_text(
        "position:absolute;left:0;right:0;bottom:0;padding:6px;display:flex;\
         justify-content:flex-start;z-index:1",
    );
    el.append_child(&bar)?;
    let play = button(document, &bar)?;
    let mute = button(document, &bar)?;
    let full = button(document, &bar)?;
    set_label(&full, icon::FULLSCREEN, "Fullscreen");

    let weak = Rc::downgrade(&player.inner);
    let mut listeners = Vec::new();
    {
        let weak = weak.clone();
        listeners.push(Listener::new(&play, "click", move |_| {
            if let Some(rc) = weak.upgrade() {
                with_inner(&rc, |i| {
                    if i.is_playing() {
                        i.pause();
                    } else {
                        i.play();
                    }
                });
            }
        }));
    }
    {
        let weak = weak.clone();
        listeners.push(Listener::new(&mute, "click", move |_| {
            if let Some(rc) = weak.upgrade() {
                with_inner(&rc, |i| {
                    let running = i.audio.as_ref().is_some_and(super::AudioSink::is_running);
                    let muted = running && !i.options.muted;
                    i.options.muted = muted;
                    if let Some(a) = i.audio.as_mut() {
                        a.set_muted(muted);
                        a.resume();
                    }
                });
            }
        }));
    }
    {
        let container = el.clone();
        let doc = document.clone();
        listeners.push(Listener::new(&full, "click", move |_| {
            if doc.fullscreen_element().is_some() {
                doc.exit_fullscreen();
            } else {
                let _ = container.request_fullscreen();
            }
        }));
    }
    {
        let mut inner = player.inner.borrow_mut();
        inner.listeners.extend(listeners);
        inner.controls = Some(Controls {
            play,
            mute,
            poster,
            state: (true, true),
        });
        // Force the first label update.
        if let Some(c) = inner.controls.as_mut() {
            c.update(false, false, false);
        }
    }
    js_sys::Reflect::set(el, &"playerInstance".into(), &JsValue::from(player))?;
    Ok(())
}
