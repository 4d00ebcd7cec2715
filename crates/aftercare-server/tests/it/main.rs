//! HTTP tests through `Router::oneshot`, on each backend, plus the OpenAPI freshness check.

// Test helpers may panic: a failed helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod inventory;
mod openapi;

use aftercare_server::{AppState, Settings};
use aftercare_service::account::{self, Password};
use aftercare_service::{Context, Workspace, WorkspaceLocation};
use aftercare_store::testing::{TestStore, each_backend};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A router over a fresh, initialized workspace on each backend.
pub async fn apps(settings: Settings) -> Vec<(TestStore, axum::Router, Workspace, Context)> {
    let mut out = Vec::new();
    for test in each_backend().await {
        let workspace = Workspace::from_store(
            test.store.clone(),
            WorkspaceLocation::Database(test.url.clone()),
        );
        let admin = account::init(
            &workspace,
            "admin",
            "Ada Admin",
            &Password::new("correct horse battery"),
        )
        .await
        .unwrap();
        let router = aftercare_server::router(AppState {
            workspace: workspace.clone(),
            settings: settings.clone(),
        });
        out.push((
            test,
            router,
            workspace,
            Context::new(account::actor_of(&admin)),
        ));
    }
    out
}

/// Sends a request, returns the status and the body as JSON (or `null` when not JSON).
pub async fn send(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, serde_json::Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// A GET request.
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}
