//! The web UI's static shell: content types, security headers, caching, every referenced
//! asset served, unknown ones 404, and no HTML or code sinks in the scripts.

use std::collections::{BTreeSet, VecDeque};

use aftercare_server::{Settings, routes, ui};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::apps;

/// A router over a fresh workspace (the UI's routes do not touch it).
async fn app() -> axum::Router {
    let (_, router, _, _) = apps(Settings::default()).await.into_iter().next().unwrap();
    router
}

async fn fetch(router: &axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body)
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Bytes) {
    fetch(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The headers every UI response carries.
fn assert_ui_security_headers(uri: &str, headers: &HeaderMap) {
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{uri}"
    );
    assert_eq!(header(headers, "referrer-policy"), "same-origin", "{uri}");
    let csp = header(headers, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
    ] {
        assert!(
            csp.contains(directive),
            "{uri}: {directive} missing in {csp}"
        );
    }
    for loophole in [
        "unsafe-inline",
        "unsafe-eval",
        "http:",
        "https:",
        "*",
        "data:",
    ] {
        assert!(!csp.contains(loophole), "{uri}: {loophole} in {csp}");
    }
}

/// The values of `attribute="…"` in an HTML text.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The module specifiers a script imports (`import … from './x.js'`, `import './x.js'`).
fn imports(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        if !line.starts_with("import ") && !line.starts_with("} from ") {
            continue;
        }
        let quoted = line
            .rsplit_once(" from ")
            .map_or(line.trim_start_matches("import "), |(_, spec)| spec);
        let spec = quoted
            .trim()
            .trim_end_matches(';')
            .trim_matches(['\'', '"']);
        found.push(spec.to_string());
    }
    found
}

/// Resolves a relative module specifier against the importing module's URL.
fn resolve(base: &str, spec: &str) -> String {
    assert!(
        spec.starts_with("./") || spec.starts_with("../"),
        "{base} imports {spec:?}: only relative, same-origin modules are allowed"
    );
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for segment in spec.split('/') {
        match segment {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[tokio::test]
async fn the_shell_is_served_as_html_with_the_security_headers() {
    let router = app().await;
    let (status, headers, body) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    assert_ui_security_headers("/", &headers);
    let html = std::str::from_utf8(&body).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(
        !html.contains("{{"),
        "an unreplaced placeholder is left: {html}"
    );
    // No inline script or style, no inline event handlers: the CSP would refuse them anyway.
    for (at, _) in html.match_indices("<script") {
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        assert!(
            tag.contains(" src=\""),
            "an inline script in the shell: {tag}"
        );
        assert!(
            html[at..].contains("></script>"),
            "a script with content: {tag}"
        );
    }
    assert!(!html.contains("<style"), "an inline style element");
    assert!(!html.contains(" style=\""), "an inline style attribute");
    assert!(
        !html.contains(" onclick=") && !html.contains(" onload="),
        "an inline handler"
    );
}

#[tokio::test]
async fn every_asset_the_shell_references_is_served_and_every_asset_is_reachable() {
    let router = app().await;
    let (_, _, body) = get(&router, "/").await;
    let html = String::from_utf8(body.to_vec()).unwrap();
    let prefix = format!("/ui/{}/", *ui::BUILD);
    let mut queue: VecDeque<String> = attribute_values(&html, "href")
        .into_iter()
        .chain(attribute_values(&html, "src"))
        .filter(|url| url.starts_with("/ui/"))
        .collect();
    assert!(
        queue.iter().any(|u| u.ends_with("/app.js")) && queue.iter().any(|u| u.ends_with(".css")),
        "the shell loads the app and its stylesheet: {queue:?}"
    );
    let mut seen = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        if !seen.insert(url.clone()) {
            continue;
        }
        assert!(
            url.starts_with(&prefix),
            "{url}: the shell links assets under the build id"
        );
        let (status, headers, body) = get(&router, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        let expected = match url.rsplit_once('.').unwrap().1 {
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "svg" => "image/svg+xml",
            other => panic!("{url}: unexpected asset type {other}"),
        };
        assert_eq!(header(&headers, "content-type"), expected, "{url}");
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_ui_security_headers(&url, &headers);
        if url.ends_with(".js") {
            let script = std::str::from_utf8(&body).unwrap();
            for spec in imports(script) {
                queue.push_back(resolve(&url, &spec));
            }
        }
    }
    let reached: BTreeSet<String> = seen
        .iter()
        .map(|u| u.trim_start_matches(&prefix).to_string())
        .collect();
    let embedded: BTreeSet<String> = ui::ASSETS.iter().map(|a| a.path.to_string()).collect();
    assert_eq!(
        reached, embedded,
        "every embedded asset is reachable from the shell, and nothing else is referenced"
    );
}

#[test]
fn every_file_in_the_ui_directory_is_embedded() {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).unwrap();
                out.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut files = BTreeSet::new();
    walk(&base, &base, &mut files);
    let mut embedded: BTreeSet<String> = ui::ASSETS.iter().map(|a| a.path.to_string()).collect();
    embedded.insert("index.html".to_string());
    assert_eq!(
        files, embedded,
        "ui/ and the ASSETS list in src/ui.rs must name the same files"
    );
}

#[tokio::test]
async fn unknown_assets_other_builds_and_path_tricks_are_404() {
    let router = app().await;
    for uri in [
        "/ui/nothing.js",
        "/ui/",
        "/ui/0123456789abcdef/app.js",
        &format!("/ui/{}/nothing.js", *ui::BUILD),
        &format!("/ui/{}/", *ui::BUILD),
        "/ui/..%2FCargo.toml",
        "/ui/pages/../app.js",
        "/ui/%2e%2e/src/lib.rs",
        "/ui/index.html",
        "/ui/APP.JS",
        "/index.html",
    ] {
        let (status, headers, _) = get(&router, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn plain_asset_names_are_revalidated_by_etag() {
    let router = app().await;
    let (status, headers, body) = get(&router, "/ui/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(
        header(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(body.as_ref(), ui::asset("app.js").unwrap().bytes);
    let etag = header(&headers, "etag").to_string();
    assert!(
        etag.starts_with('"') && etag.contains(ui::BUILD.as_str()),
        "{etag}"
    );
    let request = Request::get("/ui/app.js")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = fetch(&router, request).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), etag);
    let stale = Request::get("/ui/app.js")
        .header("if-none-match", "\"other\"")
        .body(Body::empty())
        .unwrap();
    assert_eq!(fetch(&router, stale).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_shell_is_served_whatever_cookie_comes_with_it() {
    // The static routes skip the authorization middleware: a stale or forged session cookie
    // neither blocks the login page nor is looked up.
    let router = app().await;
    for uri in ["/", "/ui/app.css"] {
        let request = Request::get(uri)
            .header("cookie", "aftercare_session=stale-or-forged")
            .header("authorization", "Bearer not-a-token")
            .body(Body::empty())
            .unwrap();
        assert_eq!(fetch(&router, request).await.0, StatusCode::OK, "{uri}");
    }
}

#[test]
fn only_the_ui_static_routes_skip_the_authorization_middleware() {
    for route in routes() {
        if !route.guarded {
            assert_eq!(
                route.access,
                aftercare_server::Access::Public,
                "{}",
                route.path
            );
            assert!(
                !route.path.starts_with("/api/"),
                "{}: an API route must run behind the middleware",
                route.path
            );
        }
    }
    let unguarded: Vec<&str> = routes()
        .iter()
        .filter(|r| !r.guarded)
        .map(|r| r.path)
        .collect();
    assert_eq!(unguarded, ["/", "/ui/{*path}"]);
}

#[tokio::test]
async fn api_responses_carry_nosniff_and_an_inert_content_security_policy() {
    let router = app().await;
    for uri in ["/api/v1/products", "/api/v1/openapi.json", "/nowhere"] {
        let (_, headers, _) = get(&router, uri).await;
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{uri}"
        );
        assert_eq!(header(&headers, "referrer-policy"), "same-origin", "{uri}");
        assert_eq!(
            header(&headers, "content-security-policy"),
            ui::API_CONTENT_SECURITY_POLICY,
            "{uri}"
        );
    }
}

/// What would turn a string into markup or code, and what would fetch from elsewhere.
const FORBIDDEN_IN_SCRIPTS: &[&str] = &[
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "createContextualFragment",
    "DOMParser",
    "srcdoc",
    "document.write",
    "eval(",
    "Function(",
    "setTimeout(\"",
    "setTimeout('",
    "setTimeout(`",
    "setInterval(\"",
    "setInterval('",
    "setInterval(`",
    "javascript:",
    "http://",
    "https://",
    "import(",
];

#[test]
fn no_script_turns_strings_into_html_or_code() {
    let scripts: Vec<&ui::Asset> = ui::ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".js"))
        .collect();
    assert!(scripts.len() >= 5, "the scripts are embedded");
    for script in scripts {
        let text = std::str::from_utf8(script.bytes).unwrap();
        for (number, line) in text.lines().enumerate() {
            for forbidden in FORBIDDEN_IN_SCRIPTS {
                assert!(
                    !line.contains(forbidden),
                    "ui/{}:{}: {forbidden} is not allowed in the UI (build DOM nodes with dom.js's h(); import modules statically from this origin): {line}",
                    script.path,
                    number + 1
                );
            }
        }
    }
}

#[test]
fn the_shell_and_stylesheets_load_nothing_from_other_origins() {
    let index = include_str!("../../ui/index.html").replace("{{assets}}", "/ui/build");
    for asset in ui::ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".css") || a.path.ends_with(".js"))
    {
        let text = std::str::from_utf8(asset.bytes).unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://") && !text.contains("//fonts."),
            "ui/{} names another origin",
            asset.path
        );
        assert!(
            !text.contains("@import"),
            "ui/{}: no CSS imports",
            asset.path
        );
    }
    for url in attribute_values(&index, "href")
        .into_iter()
        .chain(attribute_values(&index, "src"))
    {
        assert!(
            url.starts_with('/') && !url.starts_with("//") || url.starts_with('#'),
            "index.html references {url}"
        );
    }
}
