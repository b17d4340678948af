//! The pages under `www/`, embedded in the binary at build time, so that one file is a complete
//! deployment.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The embedded file at `path` (relative to `www/`).
pub fn get(path: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, data)| *data)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "ts" => "video/mp2t",
        _ => "application/octet-stream",
    }
}

/// Serves an embedded file; `/` and page URLs (`/<stream>`) get `index.html`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(data) = get(path).filter(|_| !path.is_empty()) {
        return ([(header::CONTENT_TYPE, content_type(path))], data).into_response();
    }
    if crate::server::is_page_path(&uri) {
        if let Some(index) = get("index.html") {
            return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], index).into_response();
        }
    }
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
