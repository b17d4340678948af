//! Rendering: WebGL2, then WebGL1, then Canvas2D. The WebGL paths upload Y, Cb and Cr as three
//! single-channel textures and convert in the fragment shader; Canvas2D converts in Rust with
//! the same maths (`core::color`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, ImageData, OffscreenCanvas,
    WebGl2RenderingContext as Gl, WebGlBuffer, WebGlProgram, WebGlShader, WebGlTexture,
    WebglLoseContext,
};

use crate::core::color::{picture_to_rgba, MATRIX};
use crate::core::video::buffer_size;
use crate::core::Picture;

use super::util::Listener;

const VERTEX_SHADER: &str = "
attribute vec2 position;
varying vec2 uv;
void main() {
    uv = vec2(position.x * 0.5 + 0.5, 0.5 - position.y * 0.5);
    gl_Position = vec4(position, 0.0, 1.0);
}";

const FRAGMENT_SHADER: &str = "
#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif
uniform sampler2D y_plane;
uniform sampler2D cb_plane;
uniform sampler2D cr_plane;
// 255/219, Cr->R, Cb->G, Cr->G, Cb->B (BT.601, limited range), see core::color.
uniform float m[5];
varying vec2 uv;
void main() {
    float y = (texture2D(y_plane, uv).r * 255.0 - 16.0) * m[0];
    float cb = texture2D(cb_plane, uv).r * 255.0 - 128.0;
    float cr = texture2D(cr_plane, uv).r * 255.0 - 128.0;
    vec3 rgb = vec3(y + m[1] * cr, y + m[2] * cb + m[3] * cr, y + m[4] * cb);
    gl_FragColor = vec4(clamp(rgb / 255.0, 0.0, 1.0), 1.0);
}";

/// Which API renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RendererKind {
    /// WebGL 2.
    WebGl2,
    /// WebGL 1.
    WebGl1,
    /// Canvas 2D.
    Canvas2d,
}

impl RendererKind {
    /// The name reported by `player.renderer`.
    pub fn name(self) -> &'static str {
        match self {
            RendererKind::WebGl2 => "webgl2",
            RendererKind::WebGl1 => "webgl",
            RendererKind::Canvas2d => "2d",
        }
    }
}

/// What a renderer draws on: a canvas on the page or, in a worker, the `OffscreenCanvas`
/// that controls one.
#[derive(Clone, Debug)]
pub enum Surface {
    /// A `<canvas>` element.
    Element(HtmlCanvasElement),
    /// An `OffscreenCanvas` (from `transferControlToOffscreen`, or a scratch one).
    Offscreen(OffscreenCanvas),
}

impl Surface {
    fn size(&self) -> (u32, u32) {
        match self {
            Surface::Element(c) => (c.width(), c.height()),
            Surface::Offscreen(c) => (c.width(), c.height()),
        }
    }

    fn set_size(&self, (w, h): (u32, u32)) {
        if self.size() == (w, h) {
            return;
        }
        match self {
            Surface::Element(c) => {
                c.set_width(w);
                c.set_height(h);
            }
            Surface::Offscreen(c) => {
                c.set_width(w);
                c.set_height(h);
            }
        }
    }

    fn context(&self, kind: &str, attributes: &JsValue) -> Option<js_sys::Object> {
        match self {
            Surface::Element(c) => c.get_context_with_context_options(kind, attributes),
            Surface::Offscreen(c) => c.get_context_with_context_options(kind, attributes),
        }
        .ok()
        .flatten()
    }

    /// The surface as an event target (context loss events).
    pub fn target(&self) -> &web_sys::EventTarget {
        match self {
            Surface::Element(c) => c,
            Surface::Offscreen(c) => c,
        }
    }

    /// A scratch surface of the same kind (an element when there is a document).
    fn scratch() -> Option<Surface> {
        match web_sys::window().and_then(|w| w.document()) {
            Some(d) => d
                .create_element("canvas")
                .ok()
                .map(|c| Surface::Element(c.unchecked_into())),
            None => OffscreenCanvas::new(1, 1).ok().map(Surface::Offscreen),
        }
    }
}

fn resize_canvas(canvas: &Surface, size: (u32, u32)) {
    canvas.set_size(size);
}

/// GL resources that are re-created after a context loss.
struct GlResources {
    program: WebGlProgram,
    buffer: WebGlBuffer,
    textures: [WebGlTexture; 3],
    sizes: [(i32, i32); 3],
}

/// The WebGL renderer. A WebGL1 context is used through the WebGL2 binding, calling only
/// WebGL1 methods (the calls are dispatched by name in JavaScript).
pub struct GlRenderer {
    gl: Gl,
    webgl2: bool,
    resources: Option<GlResources>,
    lost: std::rc::Rc<std::cell::Cell<bool>>,
    _listeners: Vec<Listener>,
}

fn compile(gl: &Gl, kind: u32, source: &str) -> Result<WebGlShader, String> {
    let shader = gl.create_shader(kind).ok_or("cannot create shader")?;
    gl.shader_source(&shader, source);
    gl.compile_shader(&shader);
    if gl
        .get_shader_parameter(&shader, Gl::COMPILE_STATUS)
        .as_bool()
        .unwrap_or(false)
    {
        Ok(shader)
    } else {
        let log = gl.get_shader_info_log(&shader).unwrap_or_default();
        gl.delete_shader(Some(&shader));
        Err(format!("shader compilation failed: {log}"))
    }
}

fn create_resources(gl: &Gl) -> Result<GlResources, String> {
    let vs = compile(gl, Gl::VERTEX_SHADER, VERTEX_SHADER)?;
    let fs = compile(gl, Gl::FRAGMENT_SHADER, FRAGMENT_SHADER)?;
    let program = gl.create_program().ok_or("cannot create program")?;
    gl.attach_shader(&program, &vs);
    gl.attach_shader(&program, &fs);
    gl.bind_attrib_location(&program, 0, "position");
    gl.link_program(&program);
    gl.delete_shader(Some(&vs));
    gl.delete_shader(Some(&fs));
    if !gl
        .get_program_parameter(&program, Gl::LINK_STATUS)
        .as_bool()
        .unwrap_or(false)
    {
        let log = gl.get_program_info_log(&program).unwrap_or_default();
        gl.delete_program(Some(&program));
        return Err(format!("shader linking failed: {log}"));
    }
    gl.use_program(Some(&program));
    let buffer = gl.create_buffer().ok_or("cannot create buffer")?;
    gl.bind_buffer(Gl::ARRAY_BUFFER, Some(&buffer));
    let quad: [f32; 8] = [-1.0, -1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 1.0];
    let array = js_sys::Float32Array::from(&quad[..]);
    gl.buffer_data_with_array_buffer_view(Gl::ARRAY_BUFFER, &array, Gl::STATIC_DRAW);
    gl.enable_vertex_attrib_array(0);
    gl.vertex_attrib_pointer_with_i32(0, 2, Gl::FLOAT, false, 0, 0);
    let mut textures = Vec::with_capacity(3);
    for (unit, name) in ["y_plane", "cb_plane", "cr_plane"].iter().enumerate() {
        let texture = gl.create_texture().ok_or("cannot create texture")?;
        gl.active_texture(Gl::TEXTURE0 + unit as u32);
        gl.bind_texture(Gl::TEXTURE_2D, Some(&texture));
        for (pname, value) in [
            (Gl::TEXTURE_MAG_FILTER, Gl::LINEAR),
            (Gl::TEXTURE_MIN_FILTER, Gl::LINEAR),
            (Gl::TEXTURE_WRAP_S, Gl::CLAMP_TO_EDGE),
            (Gl::TEXTURE_WRAP_T, Gl::CLAMP_TO_EDGE),
        ] {
            gl.tex_parameteri(Gl::TEXTURE_2D, pname, value as i32);
        }
        let location = gl.get_uniform_location(&program, name);
        gl.uniform1i(location.as_ref(), unit as i32);
        textures.push(texture);
    }
    let m = gl.get_uniform_location(&program, "m");
    gl.uniform1fv_with_f32_array(m.as_ref(), &MATRIX);
    gl.pixel_storei(Gl::UNPACK_ALIGNMENT, 1);
    let textures: [WebGlTexture; 3] = textures
        .try_into()
        .map_err(|_| String::from("cannot create textures"))?;
    Ok(GlResources {
        program,
        buffer,
        textures,
        sizes: [(0, 0); 3],
    })
}

impl GlRenderer {
    /// Creates a WebGL2 (or else WebGL1) renderer on `canvas`.
    pub fn new(canvas: &Surface, preserve_drawing_buffer: bool) -> Result<Self, String> {
        let attributes = js_sys::Object::new();
        for (key, value) in [
            ("alpha", false),
            ("depth", false),
            ("stencil", false),
            ("antialias", false),
            ("premultipliedAlpha", false),
            ("preserveDrawingBuffer", preserve_drawing_buffer),
        ] {
            let _ = js_sys::Reflect::set(&attributes, &key.into(), &value.into());
        }
        let mut context = None;
        for (name, webgl2) in [("webgl2", true), ("webgl", false)] {
            if let Some(ctx) = canvas.context(name, &attributes) {
                context = Some((ctx.unchecked_into::<Gl>(), webgl2));
                break;
            }
        }
        let (gl, webgl2) = context.ok_or("WebGL is not available")?;
        if gl.is_context_lost() {
            return Err("the WebGL context is lost".into());
        }
        let resources = create_resources(&gl)?;
        let lost = std::rc::Rc::new(std::cell::Cell::new(false));
        let on_lost = {
            let lost = lost.clone();
            Listener::new(canvas.target(), "webglcontextlost", move |event| {
                event.prevent_default();
                lost.set(true);
            })
        };
        Ok(GlRenderer {
            gl,
            webgl2,
            resources: Some(resources),
            lost,
            _listeners: vec![on_lost],
        })
    }

    /// Which API this is.
    pub fn kind(&self) -> RendererKind {
        if self.webgl2 {
            RendererKind::WebGl2
        } else {
            RendererKind::WebGl1
        }
    }

    fn upload(&self, resources: &mut GlResources, index: usize, w: i32, h: i32, data: &[u8]) {
        let gl = &self.gl;
        gl.active_texture(Gl::TEXTURE0 + index as u32);
        gl.bind_texture(Gl::TEXTURE_2D, Some(&resources.textures[index]));
        let (internal, format) = if self.webgl2 {
            (Gl::R8, Gl::RED)
        } else {
            (Gl::LUMINANCE, Gl::LUMINANCE)
        };
        let result = if resources.sizes[index] == (w, h) {
            gl.tex_sub_image_2d_with_i32_and_i32_and_u32_and_type_and_opt_u8_array(
                Gl::TEXTURE_2D,
                0,
                0,
                0,
                w,
                h,
                format,
                Gl::UNSIGNED_BYTE,
                Some(data),
            )
        } else {
            resources.sizes[index] = (w, h);
            gl.tex_image_2d_with_i32_and_i32_and_i32_and_format_and_type_and_opt_u8_array(
                Gl::TEXTURE_2D,
                0,
                internal as i32,
                w,
                h,
                0,
                format,
                Gl::UNSIGNED_BYTE,
                Some(data),
            )
        };
        if result.is_err() {
            resources.sizes[index] = (0, 0);
        }
    }

    /// Draws a picture. Returns an error message when the context cannot be used.
    pub fn render(&mut self, canvas: &Surface, picture: &Picture) -> Result<(), String> {
        if self.lost.get() || self.gl.is_context_lost() {
            if self.gl.is_context_lost() {
                return Ok(()); // wait for webglcontextrestored
            }
            // Restored: everything on the GPU is gone; build it again.
            self.lost.set(false);
            self.resources = None;
        }
        if self.resources.is_none() {
            self.resources = Some(create_resources(&self.gl)?);
        }
        let Some(mut resources) = self.resources.take() else {
            return Ok(());
        };
        let size = buffer_size(picture);
        resize_canvas(canvas, size);
        let (w, h) = (picture.width as i32, picture.height as i32);
        let (cw, ch) = (
            picture.chroma_width() as i32,
            picture.chroma_height() as i32,
        );
        self.gl.use_program(Some(&resources.program));
        self.upload(&mut resources, 0, w, h, &picture.y);
        self.upload(&mut resources, 1, cw, ch, &picture.cb);
        self.upload(&mut resources, 2, cw, ch, &picture.cr);
        self.gl.viewport(0, 0, size.0 as i32, size.1 as i32);
        self.gl.draw_arrays(Gl::TRIANGLE_STRIP, 0, 4);
        self.resources = Some(resources);
        Ok(())
    }

    /// True once the context came back after a loss: the picture must be drawn again.
    pub fn restored(&self) -> bool {
        self.lost.get() && !self.gl.is_context_lost()
    }

    /// Frees the GPU resources; with `lose_context` (a canvas the player created) also gives
    /// the context back to the browser at once.
    pub fn destroy(&mut self, lose_context: bool) {
        if let Some(r) = self.resources.take() {
            for t in &r.textures {
                self.gl.delete_texture(Some(t));
            }
            self.gl.delete_buffer(Some(&r.buffer));
            self.gl.delete_program(Some(&r.program));
        }
        if lose_context {
            if let Ok(Some(ext)) = self.gl.get_extension("WEBGL_lose_context") {
                ext.unchecked_into::<WebglLoseContext>().lose_context();
            }
        }
    }
}

/// The Canvas2D renderer.
pub struct Canvas2dRenderer {
    ctx: CanvasRenderingContext2d,
    rgba: Vec<u8>,
    scratch: Option<Surface>,
}

impl Canvas2dRenderer {
    /// Creates a Canvas2D renderer on `canvas`.
    pub fn new(canvas: &Surface) -> Result<Self, String> {
        let ctx = canvas
            .context("2d", &JsValue::UNDEFINED)
            .ok_or("Canvas2D is not available (the canvas may already have a WebGL context)")?
            .unchecked_into::<CanvasRenderingContext2d>();
        Ok(Canvas2dRenderer {
            ctx,
            rgba: Vec::new(),
            scratch: None,
        })
    }

    /// Draws a picture.
    pub fn render(&mut self, canvas: &Surface, picture: &Picture) -> Result<(), String> {
        let size = buffer_size(picture);
        resize_canvas(canvas, size);
        picture_to_rgba(picture, &mut self.rgba);
        let image = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&self.rgba),
            picture.width,
            picture.height,
        )
        .map_err(|e| format!("ImageData: {e:?}"))?;
        if size == (picture.width, picture.height) {
            self.ctx
                .put_image_data(&image, 0.0, 0.0)
                .map_err(|e| format!("putImageData: {e:?}"))?;
            return Ok(());
        }
        // Non-square pixels: draw at the picture's size, then scale to the display aspect.
        if self.scratch.is_none() {
            self.scratch = Some(Surface::scratch().ok_or("cannot create a scratch canvas")?);
        }
        let Some(scratch) = self.scratch.as_ref() else {
            return Ok(());
        };
        resize_canvas(scratch, (picture.width, picture.height));
        let scratch_ctx = scratch
            .context("2d", &JsValue::UNDEFINED)
            .ok_or("Canvas2D is not available")?
            .unchecked_into::<CanvasRenderingContext2d>();
        scratch_ctx
            .put_image_data(&image, 0.0, 0.0)
            .map_err(|e| format!("putImageData: {e:?}"))?;
        let (dw, dh) = (f64::from(size.0), f64::from(size.1));
        match scratch {
            Surface::Element(c) => self
                .ctx
                .draw_image_with_html_canvas_element_and_dw_and_dh(c, 0.0, 0.0, dw, dh),
            Surface::Offscreen(c) => self
                .ctx
                .draw_image_with_offscreen_canvas_and_dw_and_dh(c, 0.0, 0.0, dw, dh),
        }
        .map_err(|e| format!("drawImage: {e:?}"))
    }
}

/// Sets `object-fit: contain` on `canvas` unless the page chose a fit: the canvas keeps its
/// CSS size and the picture keeps its aspect ratio.
pub fn fit_contain(canvas: &HtmlCanvasElement) {
    let style = canvas.style();
    if style
        .get_property_value("object-fit")
        .unwrap_or_default()
        .is_empty()
    {
        let _ = style.set_property("object-fit", "contain");
    }
}

/// One of the renderers.
pub enum Renderer {
    /// WebGL2 or WebGL1.
    Gl(GlRenderer),
    /// Canvas2D.
    Canvas2d(Canvas2dRenderer),
}

impl Renderer {
    /// The best renderer available on `canvas`: WebGL2, WebGL1, then Canvas2D (only Canvas2D
    /// with `disable_gl`). Also sets `object-fit: contain` unless the page chose a fit.
    pub fn create(
        canvas: &Surface,
        disable_gl: bool,
        preserve_drawing_buffer: bool,
    ) -> Result<Renderer, String> {
        if let Surface::Element(c) = canvas {
            fit_contain(c);
        }
        if !disable_gl {
            match GlRenderer::new(canvas, preserve_drawing_buffer) {
                Ok(r) => return Ok(Renderer::Gl(r)),
                Err(e) => web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "wasmpeg: WebGL unavailable ({e}), using Canvas2D"
                ))),
            }
        }
        Canvas2dRenderer::new(canvas).map(Renderer::Canvas2d)
    }

    /// Which API renders.
    pub fn kind(&self) -> RendererKind {
        match self {
            Renderer::Gl(r) => r.kind(),
            Renderer::Canvas2d(_) => RendererKind::Canvas2d,
        }
    }

    /// Draws a picture.
    pub fn render(&mut self, canvas: &Surface, picture: &Picture) -> Result<(), String> {
        if picture.width == 0 || picture.height == 0 {
            return Ok(());
        }
        match self {
            Renderer::Gl(r) => r.render(canvas, picture),
            Renderer::Canvas2d(r) => r.render(canvas, picture),
        }
    }

    /// True when the current picture must be drawn again (the WebGL context was restored).
    pub fn needs_redraw(&self) -> bool {
        matches!(self, Renderer::Gl(r) if r.restored())
    }

    /// Frees what the renderer holds.
    pub fn destroy(&mut self, lose_context: bool) {
        if let Renderer::Gl(r) = self {
            r.destroy(lose_context);
        }
    }
}
