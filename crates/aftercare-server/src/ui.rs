//! The web UI: a static shell (HTML, CSS and ES modules from `ui/`) embedded in the binary and
//! served at `/` and `/ui/…`, and the security headers of every response.
//!
//! The shell carries no data: the pages fetch everything from `/api/v1` after login, so these
//! routes are public. There is no build step; the files are served as written. Asset URLs in
//! the shell carry a build id (a digest of all assets), so a browser may cache them forever
//! (`immutable`) and still never mixes files of two builds.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file of the UI.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `ui/` and `/ui/`.
    pub path: &'static str,
    /// Its content.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!("../ui/", $path)),
        }
    };
}

/// Every file of the UI but the shell; a test checks this list against the `ui/` directory.
pub const ASSETS: &[Asset] = &[
    asset!("app.css"),
    asset!("app.js"),
    asset!("api.js"),
    asset!("dom.js"),
    asset!("format.js"),
    asset!("icon.svg"),
    asset!("signature.js"),
    asset!("vocabulary.js"),
    asset!("pages/accounts.js"),
    asset!("pages/audit.js"),
    asset!("pages/clocks.js"),
    asset!("pages/dashboard.js"),
    asset!("pages/devices.js"),
    asset!("pages/findings.js"),
    asset!("pages/findings/assess.js"),
    asset!("pages/findings/detail.js"),
    asset!("pages/findings/list.js"),
    asset!("pages/findings/rubric.js"),
    asset!("pages/findings/text.js"),
    asset!("pages/login.js"),
    asset!("pages/patch.js"),
    asset!("pages/patch/chain.js"),
    asset!("pages/patch/detail.js"),
    asset!("pages/patch/forms.js"),
    asset!("pages/patch/text.js"),
    asset!("pages/plans.js"),
    asset!("pages/policy.js"),
    asset!("pages/products.js"),
    asset!("pages/release.js"),
    asset!("pages/rollouts.js"),
];

/// The shell, with `{{assets}}` where the versioned asset prefix goes.
const INDEX_TEMPLATE: &str = include_str!("../ui/index.html");

/// The shell's Content-Security-Policy: scripts, styles, images and API calls from this
/// origin only; no inline script or style, no plugins, no framing, no `<base>`; and Trusted
/// Types with no policy, so that a browser that enforces them refuses every string-to-HTML
/// or string-to-script sink (`innerHTML`, `eval`) outright.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'; object-src 'none'; \
    require-trusted-types-for 'script'; trusted-types 'none'";

/// The policy of every other response (API JSON, downloads): nothing may load or run, and
/// it may not be framed. Opening an API URL in a browser tab renders inert data.
pub const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// The build id: the first 16 hex digits of the SHA-256 of every asset's path and bytes.
pub static BUILD: LazyLock<String> = LazyLock::new(|| {
    let mut all = Vec::new();
    for asset in ASSETS {
        all.extend_from_slice(asset.path.as_bytes());
        all.push(0);
        all.extend_from_slice(&(asset.bytes.len() as u64).to_be_bytes());
        all.extend_from_slice(asset.bytes);
    }
    all.extend_from_slice(INDEX_TEMPLATE.as_bytes());
    let hex = aftercare_model::Sha256::of(&all).to_hex();
    hex[..16].to_string()
});

/// The shell as served: asset URLs carry the build id.
static INDEX: LazyLock<String> =
    LazyLock::new(|| INDEX_TEMPLATE.replace("{{assets}}", &format!("/ui/{}", *BUILD)));

/// The content type of a file, from its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn static_header(value: &'static str) -> HeaderValue {
    HeaderValue::from_static(value)
}

/// A UI response: content, type, cache rule and the shell's security headers.
fn respond(bytes: &'static [u8], path: &str, cache: &'static str, etag: Option<&str>) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, static_header(content_type(path)));
    headers.insert(header::CACHE_CONTROL, static_header(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        static_header(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        static_header("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        static_header("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, static_header("DENY"));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(header::ETAG, tag);
    }
    response
}

/// `GET /`: the shell. Never cached without revalidation, so a new build's assets are
/// picked up at the next load.
pub async fn index() -> Response {
    respond(INDEX.as_bytes(), "index.html", "no-cache", None)
}

fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "not found\n").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        static_header("text/plain; charset=utf-8"),
    );
    response
}

/// The embedded asset at a path under `/ui/`, if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// `GET /ui/{*path}`: an asset. Under the current build id (`/ui/<build>/app.js`, as the
/// shell links them) it is immutable; by its plain name (`/ui/app.js`) it is revalidated by
/// ETag. Anything else, including another build's id, is 404.
pub async fn serve_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if let Some((build, rest)) = path.split_once('/')
        && build == BUILD.as_str()
        && let Some(found) = asset(rest)
    {
        return respond(
            found.bytes,
            found.path,
            "public, max-age=31536000, immutable",
            None,
        );
    }
    let Some(found) = asset(&path) else {
        return not_found();
    };
    let etag = format!("\"{}-{}\"", *BUILD, found.path.replace('/', "-"));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        let mut response = respond(b"", found.path, "no-cache", Some(&etag));
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    respond(found.bytes, found.path, "no-cache", Some(&etag))
}

/// Adds the headers every response carries: no content sniffing, no cross-origin referrer,
/// and, where a handler set none, the inert [`API_CONTENT_SECURITY_POLICY`].
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, static_header("nosniff"));
    headers.insert(header::REFERRER_POLICY, static_header("same-origin"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            static_header(API_CONTENT_SECURITY_POLICY),
        );
    }
    response
}
