//! Use-case tests: every test runs on SQLite, and on PostgreSQL when
//! `AFTERCARE_TEST_POSTGRES_URL` is set (CI sets it and fails without it).

// Test helpers may panic: a failed helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod artifact;
mod assessment;
mod audit_chain;
mod case;
mod device;
mod finding;
mod fleet;
mod incident;
mod intel;
mod intel_sync;
mod inventory;
mod part11;
mod patch;
mod policy;
mod rollout;
mod signature;
mod time;

use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::{Context, Workspace, WorkspaceLocation};
use aftercare_store::testing::{TestStore, each_backend};

/// A fresh, initialized workspace on each backend, with the administrator's context.
pub async fn workspaces() -> Vec<(TestStore, Workspace, Context)> {
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
        let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
        out.push((test, workspace, context));
    }
    out
}

/// A member of a shared-data zip, by path.
pub fn shared_member(zip: &str, name: &str) -> Vec<u8> {
    aftercare_testdata::zip_entries(zip)
        .into_iter()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("{zip} has no member {name}"))
        .bytes
}

/// Creates an account with roles, returns it.
pub async fn person(
    workspace: &Workspace,
    context: &Context,
    login: &str,
    name: &str,
    roles: &[aftercare_model::Role],
) -> aftercare_store::account::AccountRow {
    let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
        .await
        .unwrap()
        .unwrap();
    let principal = aftercare_service::access::auth::Principal::local(&admin).unwrap();
    account::create(
        workspace,
        context,
        &principal,
        &account::NewAccountRequest {
            login: login.into(),
            display_name: name.into(),
            password: Password::new(format!("{login}-password-1")),
            roles: roles.to_vec(),
            organisation: None,
        },
    )
    .await
    .unwrap()
}

/// The local administrator's signature with a meaning, as `init` of [`workspaces`] sets it up.
pub fn admin_signs(
    meaning: aftercare_service::access::signature::Meaning,
) -> aftercare_service::access::signature::SignRequest {
    aftercare_service::access::signature::SignRequest {
        login: Some("admin".into()),
        password: Password::new("correct horse battery"),
        meaning,
        reason: None,
    }
}

/// The time used by tests that inject it: 2026-03-02T10:00:00Z.
pub fn t0() -> jiff::Timestamp {
    "2026-03-02T10:00:00Z".parse().unwrap()
}

/// An error and its sources, as the CLI prints them: what a person reads.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
