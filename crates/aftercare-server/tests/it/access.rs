//! Access control over HTTP: the permission matrix over every route and role, login with a
//! session cookie, lock-out answers, and the route table against the OpenAPI document.

use aftercare_model::{Role, access};
use aftercare_server::{Access, Settings, routes};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use crate::{apps, send, token_for};

/// A concrete URI for a route path: parameters replaced by values that parse.
fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{product}", "nothing")
        .replace("{login}", "nobody")
        .replace("{vulnerability}", "CVE-0000-0000")
        .replace("{*path}", "app.css")
        .replace("{name}", "no-such-feed")
        .replace("{version}", "0.0")
        .replace("{controller_id}", "no-such-device")
}

fn request(method: &Method, uri: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method.clone()).uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if *method == Method::GET || *method == Method::DELETE {
        builder.body(Body::empty()).unwrap()
    } else {
        builder
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap()
    }
}

#[tokio::test]
async fn every_route_has_an_access_rule_and_the_matrix_holds_for_every_role() {
    let table = routes();
    assert!(table.len() >= 25, "the route table lists every route");
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let login = format!("user-{}", role.as_str());
            tokens.push((role, token_for(&workspace, &context, &login, &[role]).await));
        }
        for route in &table {
            let uri = concrete(route.path);
            // Without credentials.
            let (status, body) = send(&router, request(&route.method, &uri, None)).await;
            match route.access {
                Access::Public => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{backend} {} {}: public, got {status} {body}",
                    route.method,
                    route.path
                ),
                _ => assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{backend} {} {}: {body}",
                    route.method,
                    route.path
                ),
            }
            // With each role.
            for (role, token) in &tokens {
                let (status, body) = send(&router, request(&route.method, &uri, Some(token))).await;
                let allowed = match route.access {
                    Access::Public | Access::Authenticated => true,
                    Access::Permission(permission) => access::allows(&[*role], permission),
                    // A person's token is no device credential: DDI answers 401 to every role.
                    Access::Device => {
                        assert_eq!(
                            status,
                            StatusCode::UNAUTHORIZED,
                            "{backend} {} {} as {role}: {body}",
                            route.method,
                            route.path
                        );
                        continue;
                    }
                };
                if allowed {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{backend} {} {} as {role}: expected access, got {status} {body}",
                        route.method,
                        route.path
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{backend} {} {} as {role}: {body}",
                        route.method,
                        route.path
                    );
                    assert_eq!(body["error"]["code"], "forbidden");
                }
            }
        }
        // Refusals are audited as unauthorized attempts.
        let denied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'access.denied'")
                .fetch_one(test.store.pool())
                .await
                .unwrap();
        assert!(denied > 0, "{backend}");
    }
}

/// Only `/api/v1/…` belongs in the API description: the web UI's shell (`/`, `/ui/…`) is
/// static files, not API operations, and the OpenAPI document describes itself.
#[test]
fn the_route_table_and_the_openapi_document_list_the_same_operations() {
    let document: serde_json::Value =
        serde_json::from_str(&aftercare_server::openapi::document()).unwrap();
    let mut documented: Vec<String> = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut routed: Vec<String> = routes()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(routed, documented);
}

#[tokio::test]
async fn login_sets_a_session_cookie_and_lockout_answers_429_with_retry_after() {
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        token_for(&workspace, &context, "rita", &[Role::Reviewer]).await;
        let login = |password: &str| {
            Request::post("/api/v1/auth/login")
                .header("content-type", "application/json")
                .body(Body::from(format!(
                    r#"{{"login":"rita","password":"{password}"}}"#
                )))
                .unwrap()
        };
        let response = tower::ServiceExt::oneshot(router.clone(), login("rita-password-1"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Secure"),
            "{cookie}"
        );
        let session = cookie.split(';').next().unwrap().to_string();
        let me = Request::get("/api/v1/auth/me")
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap();
        let (status, body) = send(&router, me).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["login"], "rita");
        assert!(
            body["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "record.sign")
        );
        // Logout ends the session.
        let logout = Request::post("/api/v1/auth/logout")
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(&router, logout).await.0,
            StatusCode::NO_CONTENT,
            "{backend}"
        );
        let me = Request::get("/api/v1/auth/me")
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(&router, me).await.0,
            StatusCode::UNAUTHORIZED,
            "{backend}"
        );
        // Wrong passwords: 401 until the limit, then 429 with Retry-After.
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for _ in 0..7 {
            let response = tower::ServiceExt::oneshot(router.clone(), login("wrong"))
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
            if let Some(value) = response.headers().get("retry-after") {
                retry_after = value.to_str().ok().and_then(|v| v.parse::<i64>().ok());
            }
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429], "{backend}");
        assert!(
            retry_after.is_some_and(|s| s > 0 && s <= 900),
            "{backend}: {retry_after:?}"
        );
    }
}
