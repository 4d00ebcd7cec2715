//! HTTP tests through `Router::oneshot`, on each backend, plus the OpenAPI freshness check
//! and the web UI's static shell.

// Test helpers may panic: a failed helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod artifact;
mod browser;
mod case;
mod ddi;
mod device;
mod finding;
mod incident;
mod intel;
mod inventory;
mod openapi;
mod patch;
mod snapshot;
mod telemetry;
mod triage;
mod ui;

use aftercare_server::{AppState, Settings};
use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::{Context, Workspace, WorkspaceLocation};
use aftercare_store::testing::{TestStore, each_backend};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// An API token for an account with these roles (created by the local administrator).
pub async fn token_for(
    workspace: &Workspace,
    context: &Context,
    login: &str,
    roles: &[aftercare_model::Role],
) -> String {
    let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
        .await
        .unwrap()
        .unwrap();
    let admin = aftercare_service::access::auth::Principal::local(&admin).unwrap();
    if aftercare_store::account::by_login(workspace.raw_store().pool(), login)
        .await
        .unwrap()
        .is_none()
    {
        let organisation = roles
            .contains(&aftercare_model::Role::Customer)
            .then(|| "General Hospital".to_string());
        account::create(
            workspace,
            context,
            &admin,
            &account::NewAccountRequest {
                login: login.into(),
                display_name: login.into(),
                password: Password::new(format!("{login}-password-1")),
                roles: roles.to_vec(),
                organisation,
            },
        )
        .await
        .unwrap();
    }
    let request = aftercare_service::access::auth::TokenRequest {
        account_login: Some(login.into()),
        name: format!("{login}-token"),
        ..Default::default()
    };
    let (secret, _) = aftercare_service::access::auth::create_token(
        workspace,
        context,
        &admin,
        &request,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    secret.expose().to_string()
}

/// A GET request with a bearer token.
pub fn get_as(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// A router over a fresh, initialized workspace on each backend.
pub async fn apps(settings: Settings) -> Vec<(TestStore, axum::Router, Workspace, Context)> {
    let mut out = Vec::new();
    for test in each_backend().await {
        let workspace = Workspace::from_store(
            test.store.clone(),
            WorkspaceLocation::Database(test.url.clone()),
        );
        let admin = aftercare_service::flow::init(
            &workspace,
            "admin",
            "Ada Admin",
            &Password::new("correct horse battery"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        let router = aftercare_server::router(AppState::new(workspace.clone(), settings.clone()));
        out.push((
            test,
            router,
            workspace,
            Context::new(account::actor_of(&admin), jiff::Timestamp::now()),
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
