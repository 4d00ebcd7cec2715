//! Artifacts over HTTP, on each backend: upload (201; 409 for a `.swu` of a product without
//! update CA and for a name used twice; 422 for a `.swu` that is not an image; 413 over the
//! limit; 400 without a name), the list, and every branch of the download responder — GET,
//! HEAD, the three range forms, 416 past the end, several ranges answered whole, `If-Match`
//! (412) and `If-Range`, 404, 403 for a caller without `device.read`, and a file of the wrong
//! size refused rather than served short. One test runs the router on a real port, so that
//! hyper's handling of `HEAD` and of a streamed body is what is checked.
//!
//! Expected digests come from OpenSSL's hash functions, not from the code under test.

use std::io::{Read, Write};

use aftercare_model::Role;
use aftercare_server::{AppState, Settings};
use aftercare_service::{Context, Workspace};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use openssl::hash::{MessageDigest, hash};
use tower::ServiceExt;

use crate::{apps, send, token_for};

/// A file whose bytes differ at every position, so that a wrong offset shows.
fn content(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn hex_of(digest: MessageDigest, bytes: &[u8]) -> String {
    hash(digest, bytes)
        .unwrap()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn upload_as(uri: &str, token: &str, bytes: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap()
}

/// A request for an artifact's content with extra headers.
fn content_request(
    method: &str,
    id: i64,
    token: &str,
    headers: &[(header::HeaderName, &str)],
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/v1/artifacts/{id}/content"))
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    request.body(Body::empty()).unwrap()
}

/// Status, the headers asked for, and the body's bytes.
async fn fetch(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

fn header_of(headers: &axum::http::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name}: {headers:?}"))
}

/// A router whose workspace keeps its artifacts in `dir`.
fn router_with_artifacts(
    workspace: &Workspace,
    dir: &std::path::Path,
    limit: usize,
) -> axum::Router {
    aftercare_server::router(AppState::new(
        workspace.clone().with_artifact_dir(Some(dir.to_path_buf())),
        Settings {
            max_upload_bytes: limit,
            ..Settings::default()
        },
    ))
}

async fn release(workspace: &Workspace, context: &Context) {
    aftercare_service::inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    aftercare_service::inventory::add_release(workspace, context, "Pump", "1.0", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn artifacts_are_uploaded_listed_and_downloaded_over_http() {
    for (test, _, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let dir = tempfile::tempdir().unwrap();
        let router = router_with_artifacts(&workspace, dir.path(), 4096);
        release(&workspace, &context).await;
        let engineer = token_for(&workspace, &context, "eric", &[Role::ReleaseEngineer]).await;
        let viewer = token_for(&workspace, &context, "vera", &[Role::Viewer]).await;
        let customer = token_for(&workspace, &context, "cora", &[Role::Customer]).await;
        let uri = "/api/v1/releases/Pump/1.0/artifacts";

        // Upload: a RAUC bundle of 1000 bytes.
        let bytes = content(1000);
        let (status, created) = send(
            &router,
            upload_as(
                &format!("{uri}?filename=pump-1.0.raucb"),
                &engineer,
                bytes.clone(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {created}");
        let sha1 = hex_of(MessageDigest::sha1(), &bytes);
        assert_eq!(created["filename"], "pump-1.0.raucb");
        assert_eq!(created["size"], 1000);
        assert_eq!(created["sha256"], hex_of(MessageDigest::sha256(), &bytes));
        assert_eq!(created["sha1"], sha1.as_str());
        assert_eq!(created["md5"], hex_of(MessageDigest::md5(), &bytes));
        assert_eq!(created["signer"], serde_json::Value::Null);
        let id = created["id"].as_i64().unwrap();

        // Refusals.
        let (status, body) = send(
            &router,
            upload_as(
                &format!("{uri}?filename=pump-1.0.raucb"),
                &engineer,
                bytes.clone(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "already_exists");
        let (status, body) = send(
            &router,
            upload_as(
                &format!("{uri}?filename=pump-1.0.swu"),
                &engineer,
                b"junk".to_vec(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "no_update_ca");
        let ca = ca_pem();
        let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
            .await
            .unwrap()
            .unwrap();
        let admin = aftercare_service::access::auth::Principal::local(&admin).unwrap();
        aftercare_service::artifact::trust_ca(&workspace, &context, &admin, "Pump", "ca.pem", &ca)
            .await
            .unwrap();
        let (status, body) = send(
            &router,
            upload_as(
                &format!("{uri}?filename=pump-1.0.swu"),
                &engineer,
                b"junk".to_vec(),
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: {body}"
        );
        assert_eq!(body["error"]["code"], "artifact_refused");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("pump-1.0.swu is not a cpio archive"),
            "{body}"
        );
        let (status, body) = send(
            &router,
            upload_as(&format!("{uri}?filename=big.bin"), &engineer, content(4097)),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}: {body}");
        let (status, _) = send(&router, upload_as(uri, &engineer, b"x".to_vec())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: no file name");
        let (status, _) = send(
            &router,
            upload_as(&format!("{uri}?filename=x.bin"), &viewer, b"x".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");

        // The list: the one file.
        let (status, listed) = send(&router, crate::get_as(uri, &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {listed}");
        assert_eq!(listed.as_array().unwrap().len(), 1, "{backend}: {listed}");
        assert_eq!(listed[0]["id"], id);
        let (status, _) = send(
            &router,
            crate::get_as("/api/v1/releases/Pump/9.9/artifacts", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // GET: the whole file with its headers.
        let etag = format!("\"{sha1}\"");
        let (status, headers, body) =
            fetch(&router, content_request("GET", id, &viewer, &[])).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(body, bytes);
        assert_eq!(header_of(&headers, header::CONTENT_LENGTH), "1000");
        assert_eq!(header_of(&headers, header::ACCEPT_RANGES), "bytes");
        assert_eq!(header_of(&headers, header::ETAG), etag);
        assert_eq!(
            header_of(&headers, header::CONTENT_TYPE),
            "application/octet-stream"
        );
        assert_eq!(
            header_of(&headers, header::CONTENT_DISPOSITION),
            "attachment; filename=\"pump-1.0.raucb\"; filename*=UTF-8''pump-1.0.raucb"
        );
        // HEAD: the same headers, no body.
        let (status, headers, body) =
            fetch(&router, content_request("HEAD", id, &viewer, &[])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header_of(&headers, header::CONTENT_LENGTH), "1000");
        assert_eq!(header_of(&headers, header::ETAG), etag);
        assert!(body.is_empty());

        // Ranges.
        for (range, start, end) in [
            ("bytes=0-9", 0usize, 9usize),
            ("bytes=990-", 990, 999),
            ("bytes=-5", 995, 999),
            ("bytes=500-5000", 500, 999),
        ] {
            let (status, headers, body) = fetch(
                &router,
                content_request("GET", id, &viewer, &[(header::RANGE, range)]),
            )
            .await;
            assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{range}");
            assert_eq!(
                header_of(&headers, header::CONTENT_RANGE),
                format!("bytes {start}-{end}/1000"),
                "{range}"
            );
            assert_eq!(
                header_of(&headers, header::CONTENT_LENGTH),
                (end - start + 1).to_string(),
                "{range}"
            );
            assert_eq!(body, bytes[start..=end], "{range}");
        }
        let (status, headers, body) = fetch(
            &router,
            content_request("HEAD", id, &viewer, &[(header::RANGE, "bytes=10-19")]),
        )
        .await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(header_of(&headers, header::CONTENT_LENGTH), "10");
        assert!(body.is_empty());
        let (status, headers, body) = fetch(
            &router,
            content_request("GET", id, &viewer, &[(header::RANGE, "bytes=1000-")]),
        )
        .await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header_of(&headers, header::CONTENT_RANGE), "bytes */1000");
        assert!(body.is_empty());
        for whole in [
            vec![(header::RANGE, "bytes=0-1,5-6")],
            vec![(header::RANGE, "bytes=9-5")],
            vec![
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, "\"stale\""),
            ],
            vec![(header::IF_MATCH, etag.as_str())],
            vec![(header::IF_MATCH, "*")],
        ] {
            let (status, headers, body) =
                fetch(&router, content_request("GET", id, &viewer, &whole)).await;
            assert_eq!(status, StatusCode::OK, "{whole:?}");
            assert_eq!(body, bytes, "{whole:?}");
            assert!(headers.get(header::CONTENT_RANGE).is_none(), "{whole:?}");
        }
        let (status, _, body) = fetch(
            &router,
            content_request("GET", id, &viewer, &[(header::IF_MATCH, "\"0000\"")]),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        assert!(body.is_empty());

        // Who and what.
        let (status, _, _) = fetch(&router, content_request("GET", 999_999, &viewer, &[])).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = fetch(&router, content_request("GET", id, &customer, &[])).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = fetch(
            &router,
            Request::get(format!("/api/v1/artifacts/{id}/content"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Bytes of another size than recorded are not served short.
        let sha256 = hex_of(MessageDigest::sha256(), &bytes);
        let object = dir.path().join("sha256").join(&sha256[..2]).join(&sha256);
        std::fs::write(&object, &bytes[..10]).unwrap();
        let (status, _, _) = fetch(&router, content_request("GET", id, &viewer, &[])).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{backend}");
    }
}

/// A self-signed CA certificate, PEM.
fn ca_pem() -> Vec<u8> {
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "Test Update Root CA")
        .unwrap();
    let name = name.build();
    let mut builder = X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    builder.sign(&key, MessageDigest::sha256()).unwrap();
    builder.build().to_pem().unwrap()
}

/// Sends raw HTTP/1.1 to a port and reads until the server closes the connection.
fn raw(port: u16, request: &str) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_and_ranges_survive_a_real_http_connection() {
    let (test, _, workspace, context) = apps(Settings::default()).await.remove(0);
    let _keep = test;
    let dir = tempfile::tempdir().unwrap();
    let router = router_with_artifacts(&workspace, dir.path(), 1 << 20);
    release(&workspace, &context).await;
    let token = token_for(&workspace, &context, "eric", &[Role::ReleaseEngineer]).await;
    // Larger than one 64 KiB chunk of the stream.
    let bytes = content(200_000);
    let (status, created) = send(
        &router,
        upload_as(
            "/api/v1/releases/Pump/1.0/artifacts?filename=big.raucb",
            &token,
            bytes.clone(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(aftercare_server::serve(router, listener, async move {
        let _ = stopped.await;
    }));
    let request = |method: &str, extra: &str| {
        format!(
            "{method} /api/v1/artifacts/{id}/content HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer {token}\r\n{extra}Connection: close\r\n\r\n"
        )
    };
    let (head, get, range) = tokio::task::spawn_blocking({
        let head = request("HEAD", "");
        let get = request("GET", "");
        let range = request("GET", "Range: bytes=70000-70009\r\n");
        move || (raw(port, &head), raw(port, &get), raw(port, &range))
    })
    .await
    .unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let split = |response: &[u8]| -> (String, Vec<u8>) {
        let at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (
            String::from_utf8_lossy(&response[..at]).to_lowercase(),
            response[at + 4..].to_vec(),
        )
    };
    let (head_headers, head_body) = split(&head);
    assert!(head_headers.starts_with("http/1.1 200"), "{head_headers}");
    assert!(
        head_headers.contains("content-length: 200000"),
        "{head_headers}"
    );
    assert!(head_body.is_empty());
    let (get_headers, get_body) = split(&get);
    assert!(get_headers.starts_with("http/1.1 200"), "{get_headers}");
    assert!(
        get_headers.contains("content-length: 200000"),
        "{get_headers}"
    );
    assert_eq!(get_body, bytes);
    let (range_headers, range_body) = split(&range);
    assert!(range_headers.starts_with("http/1.1 206"), "{range_headers}");
    assert!(
        range_headers.contains("content-range: bytes 70000-70009/200000"),
        "{range_headers}"
    );
    assert_eq!(range_body, bytes[70_000..70_010]);
}
