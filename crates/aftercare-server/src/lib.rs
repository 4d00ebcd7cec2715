//! The HTTP server: REST API under `/api/v1`, its OpenAPI document, and the web UI's static
//! shell ([`ui`]).
//!
//! Handlers are thin: they extract, call one service function, and map the result to the
//! wire types of `aftercare_api` (shared with the CLI's JSON). HTTP error mapping lives only
//! here ([`ApiError`]). Every route is
//! registered in [`routes`] with its [`Access`] rule; nothing is reachable without one.

pub mod api;
pub mod auth;
pub mod ddi;
pub mod download;
mod error;
pub mod jobs;
pub mod mqtt;
pub mod openapi;
pub mod scheduler;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;

use aftercare_model::Permission;
use aftercare_service::Workspace;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

pub use auth::{Access, Caller, RequestContext};
pub use error::ApiError;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest accepted upload, in bytes; larger ones get 413.
    pub max_upload_bytes: usize,
    /// Whether the session cookie carries `Secure` (browsers still send it to
    /// `http://localhost`; turn it off only for plain HTTP on other hosts in a lab).
    pub secure_cookies: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_upload_bytes: 64 * 1024 * 1024,
            secure_cookies: true,
        }
    }
}

/// The intelligence side of the server: the warm alias map and how syncs run.
#[derive(Debug, Default)]
pub struct IntelRuntime {
    /// Every alias → its vulnerabilities, refreshed after syncs and when the stored data
    /// moves on.
    pub aliases: aftercare_service::intel::lookup::AliasIndex,
    /// How triggered and scheduled syncs run.
    pub options: aftercare_service::intel::sync::SyncOptions,
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The workspace.
    pub workspace: Workspace,
    /// The settings.
    pub settings: Settings,
    /// Intelligence: the alias map and sync options.
    pub intel: Arc<IntelRuntime>,
    /// The DDI side: settings, the coalesced poll clock, refused-credential counters.
    pub ddi: Arc<ddi::DdiRuntime>,
    /// The fleet side: the per-device telemetry rate limit.
    pub fleet: Arc<api::fleet::FleetRuntime>,
}

impl AppState {
    /// A state with default intelligence settings (the alias map loads on first refresh) and
    /// the matcher kept warm (its copy of the workspace loads on the first match run).
    pub fn new(workspace: Workspace, settings: Settings) -> AppState {
        AppState {
            workspace: aftercare_service::finding::keep_warm(workspace),
            settings,
            intel: Arc::new(IntelRuntime::default()),
            ddi: Arc::new(ddi::DdiRuntime::default()),
            fleet: Arc::new(api::fleet::FleetRuntime::default()),
        }
    }
}

/// One route: method, path and the access rule it is registered with.
#[derive(Debug, Clone)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, axum syntax (`/api/v1/releases/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether it runs behind the authorization middleware. Only the web UI's static files
    /// skip it: they are public, carry no data and use no caller, so loading a stylesheet
    /// neither looks up nor extends a session.
    pub guarded: bool,
    handler: MethodRouter<AppState>,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        guarded: true,
        handler,
    }
}

/// A public route of the web UI's static shell, outside the authorization middleware.
fn static_route(path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        guarded: false,
        ..route(Method::GET, path, Access::Public, handler)
    }
}

/// Every route of the server with its access rule: the single table the router is built
/// from, and that the permission-matrix test walks.
pub fn routes() -> Vec<Route> {
    use Access::{Authenticated, Device, Permission as Needs, Public};
    use Method as M;
    use api::access as acc;
    use api::artifact as art;
    use api::device as dev;
    use api::finding as fnd;
    use api::fleet as flt;
    use api::incident as inc;
    use api::intel as int;
    use api::inventory as inv;
    use api::patch as pat;
    use api::rollout as rol;
    use api::triage as tri;
    vec![
        // The web UI's static shell; its data comes from the API after login.
        static_route("/", get(ui::index)),
        static_route("/ui/{*path}", get(ui::serve_asset)),
        route(M::GET, "/api/v1/openapi.json", Public, get(openapi::serve)),
        // Access control.
        route(M::POST, "/api/v1/auth/login", Public, post(acc::login)),
        route(
            M::POST,
            "/api/v1/auth/logout",
            Authenticated,
            post(acc::logout),
        ),
        route(M::GET, "/api/v1/auth/me", Authenticated, get(acc::me)),
        route(
            M::GET,
            "/api/v1/tokens",
            Authenticated,
            get(acc::list_tokens),
        ),
        route(
            M::POST,
            "/api/v1/tokens",
            Authenticated,
            post(acc::create_token),
        ),
        route(
            M::DELETE,
            "/api/v1/tokens/{id}",
            Authenticated,
            delete(acc::revoke_token),
        ),
        route(
            M::GET,
            "/api/v1/accounts",
            Needs(Permission::AccountManage),
            get(acc::list_accounts),
        ),
        route(
            M::POST,
            "/api/v1/accounts",
            Needs(Permission::AccountManage),
            post(acc::create_account),
        ),
        route(
            M::PATCH,
            "/api/v1/accounts/{login}",
            Needs(Permission::AccountManage),
            patch(acc::update_account),
        ),
        route(
            M::GET,
            "/api/v1/accounts/{login}/trainings",
            Needs(Permission::AccountManage),
            get(acc::list_trainings),
        ),
        route(
            M::POST,
            "/api/v1/accounts/{login}/trainings",
            Needs(Permission::AccountManage),
            post(acc::add_training),
        ),
        route(
            M::GET,
            "/api/v1/audit",
            Needs(Permission::AuditRead),
            get(acc::list_audit),
        ),
        route(
            M::GET,
            "/api/v1/audit/verify",
            Needs(Permission::AuditRead),
            get(acc::verify_audit),
        ),
        route(
            M::GET,
            "/api/v1/alerts",
            Needs(Permission::AuditRead),
            get(acc::list_alerts),
        ),
        // Inventory.
        route(
            M::GET,
            "/api/v1/products",
            Needs(Permission::InventoryRead),
            get(inv::list_products),
        ),
        route(
            M::POST,
            "/api/v1/products",
            Needs(Permission::InventoryWrite),
            post(inv::create_product),
        ),
        route(
            M::GET,
            "/api/v1/products/{product}",
            Needs(Permission::InventoryRead),
            get(inv::get_product),
        ),
        route(
            M::GET,
            "/api/v1/products/{product}/releases",
            Needs(Permission::InventoryRead),
            get(inv::list_product_releases),
        ),
        route(
            M::POST,
            "/api/v1/products/{product}/releases",
            Needs(Permission::InventoryWrite),
            post(inv::create_release),
        ),
        route(
            M::GET,
            "/api/v1/releases",
            Needs(Permission::InventoryRead),
            get(inv::list_releases),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}",
            Needs(Permission::InventoryRead),
            get(inv::get_release),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}/components",
            Needs(Permission::InventoryRead),
            get(inv::release_components),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}/sbom",
            Needs(Permission::InventoryRead),
            get(inv::release_sbom),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}/quality",
            Needs(Permission::InventoryRead),
            get(inv::release_quality),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}/warnings",
            Needs(Permission::InventoryRead),
            get(inv::release_warnings),
        ),
        route(
            M::GET,
            "/api/v1/releases/{id}/diff",
            Needs(Permission::InventoryRead),
            get(inv::release_diff),
        ),
        route(
            M::PUT,
            "/api/v1/releases/{id}/support",
            Needs(Permission::InventoryWrite),
            put(inv::release_support),
        ),
        // Intelligence.
        route(
            M::GET,
            "/api/v1/vulnerabilities",
            Needs(Permission::IntelligenceRead),
            get(int::list_vulnerabilities),
        ),
        route(
            M::GET,
            "/api/v1/vulnerabilities/{id}",
            Needs(Permission::IntelligenceRead),
            get(int::get_vulnerability),
        ),
        route(
            M::GET,
            "/api/v1/feeds",
            Needs(Permission::IntelligenceRead),
            get(int::list_feeds),
        ),
        route(
            M::POST,
            "/api/v1/feeds",
            Needs(Permission::FeedManage),
            post(int::create_feed),
        ),
        route(
            M::GET,
            "/api/v1/feeds/{name}",
            Needs(Permission::IntelligenceRead),
            get(int::get_feed),
        ),
        route(
            M::DELETE,
            "/api/v1/feeds/{name}",
            Needs(Permission::FeedManage),
            delete(int::delete_feed),
        ),
        route(
            M::POST,
            "/api/v1/feeds/{name}/sync",
            Needs(Permission::FeedManage),
            post(int::sync_feed),
        ),
        // Findings.
        route(
            M::GET,
            "/api/v1/findings",
            Needs(Permission::FindingRead),
            get(fnd::list_findings),
        ),
        route(
            M::GET,
            "/api/v1/findings/{id}",
            Needs(Permission::FindingRead),
            get(fnd::get_finding),
        ),
        route(
            M::GET,
            "/api/v1/findings/{id}/assessment",
            Needs(Permission::FindingRead),
            get(fnd::get_assessment),
        ),
        route(
            M::PUT,
            "/api/v1/findings/{id}/assessment",
            Needs(Permission::FindingAssess),
            put(fnd::put_assessment),
        ),
        route(
            M::POST,
            "/api/v1/findings/assessments",
            Needs(Permission::FindingAssess),
            post(fnd::bulk_assess),
        ),
        route(
            M::GET,
            "/api/v1/rubric",
            Needs(Permission::FindingRead),
            get(fnd::get_rubric),
        ),
        route(
            M::POST,
            "/api/v1/rubric/score",
            Needs(Permission::FindingRead),
            post(fnd::score_rubric),
        ),
        route(
            M::POST,
            "/api/v1/match",
            Needs(Permission::InventoryWrite),
            post(fnd::match_all),
        ),
        // Policy, cases and clocks, and the words of triage.
        route(
            M::GET,
            "/api/v1/vocabulary",
            Authenticated,
            get(tri::get_vocabulary),
        ),
        route(
            M::GET,
            "/api/v1/policy",
            Needs(Permission::PolicyRead),
            get(tri::get_policy),
        ),
        route(
            M::PUT,
            "/api/v1/policy",
            Needs(Permission::PolicyWrite),
            put(tri::change_policy),
        ),
        route(
            M::GET,
            "/api/v1/policy/revisions",
            Needs(Permission::PolicyRead),
            get(tri::policy_revisions),
        ),
        route(
            M::GET,
            "/api/v1/policy/schema",
            Needs(Permission::PolicyRead),
            get(tri::policy_schema),
        ),
        route(
            M::GET,
            "/api/v1/clocks",
            Needs(Permission::FindingRead),
            get(tri::list_clocks),
        ),
        route(
            M::POST,
            "/api/v1/clocks/{id}/waive",
            Needs(Permission::ClockWaive),
            post(tri::waive_clock),
        ),
        route(
            M::GET,
            "/api/v1/cases/{product}/{vulnerability}",
            Needs(Permission::FindingRead),
            get(tri::get_case),
        ),
        route(
            M::POST,
            "/api/v1/cases/events",
            Needs(Permission::FindingAssess),
            post(tri::record_event),
        ),
        // Patch management: plans, patch releases, evidence, the signed approval and the
        // distribution that meets the remediation clock.
        route(
            M::GET,
            "/api/v1/plans",
            Needs(Permission::FindingRead),
            get(pat::list_plans),
        ),
        route(
            M::POST,
            "/api/v1/plans",
            Needs(Permission::PatchManage),
            post(pat::create_plan),
        ),
        route(
            M::GET,
            "/api/v1/plans/{id}",
            Needs(Permission::FindingRead),
            get(pat::get_plan),
        ),
        route(
            M::PATCH,
            "/api/v1/plans/{id}",
            Needs(Permission::PatchManage),
            patch(pat::update_plan),
        ),
        route(
            M::POST,
            "/api/v1/plans/{id}/close",
            Needs(Permission::PatchManage),
            post(pat::close_plan),
        ),
        route(
            M::GET,
            "/api/v1/patches/{product}/{version}",
            Needs(Permission::FindingRead),
            get(pat::get_patch),
        ),
        route(
            M::GET,
            "/api/v1/patches/{product}/{version}/chain",
            Needs(Permission::FindingRead),
            get(pat::get_chain),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/attach",
            Needs(Permission::PatchManage),
            post(pat::attach),
        ),
        route(
            M::GET,
            "/api/v1/patches/{product}/{version}/evidence",
            Needs(Permission::FindingRead),
            get(pat::list_evidence),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/evidence",
            Needs(Permission::PatchManage),
            post(pat::add_evidence),
        ),
        route(
            M::GET,
            "/api/v1/evidence/{id}/files/{name}",
            Needs(Permission::FindingRead),
            get(pat::download_evidence_file),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/approve",
            Needs(Permission::PatchApprove),
            post(pat::approve),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/reject",
            Needs(Permission::PatchApprove),
            post(pat::reject),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/revoke",
            Needs(Permission::PatchApprove),
            post(pat::revoke),
        ),
        route(
            M::POST,
            "/api/v1/patches/{product}/{version}/distribute",
            Needs(Permission::PatchManage),
            post(pat::distribute),
        ),
        // The device registry: organisations, sites, devices (issue 14, first slice).
        route(
            M::GET,
            "/api/v1/organisations",
            Needs(Permission::DeviceRead),
            get(dev::list_organisations),
        ),
        route(
            M::POST,
            "/api/v1/organisations",
            Needs(Permission::DeviceManage),
            post(dev::create_organisation),
        ),
        route(
            M::GET,
            "/api/v1/organisations/{name}",
            Needs(Permission::DeviceRead),
            get(dev::get_organisation),
        ),
        route(
            M::GET,
            "/api/v1/sites",
            Needs(Permission::DeviceRead),
            get(dev::list_sites),
        ),
        route(
            M::POST,
            "/api/v1/sites",
            Needs(Permission::DeviceManage),
            post(dev::create_site),
        ),
        route(
            M::GET,
            "/api/v1/sites/{name}",
            Needs(Permission::DeviceRead),
            get(dev::get_site),
        ),
        route(
            M::GET,
            "/api/v1/devices",
            Needs(Permission::DeviceRead),
            get(dev::list_devices),
        ),
        route(
            M::POST,
            "/api/v1/devices",
            Needs(Permission::DeviceManage),
            post(dev::create_device),
        ),
        route(
            M::GET,
            "/api/v1/devices/{controller_id}",
            Needs(Permission::DeviceRead),
            get(dev::get_device),
        ),
        route(
            M::PATCH,
            "/api/v1/devices/{controller_id}",
            Needs(Permission::DeviceManage),
            patch(dev::update_device),
        ),
        route(
            M::POST,
            "/api/v1/devices/{controller_id}/decommission",
            Needs(Permission::DeviceManage),
            post(dev::decommission_device),
        ),
        // Not under /devices/: `import` is a valid controller id, and its GET must stay the
        // device's.
        route(
            M::POST,
            "/api/v1/device-imports",
            Needs(Permission::DeviceManage),
            post(dev::import_devices),
        ),
        route(
            M::GET,
            "/api/v1/devices/{controller_id}/actions",
            Needs(Permission::DeviceRead),
            get(rol::device_actions),
        ),
        // Rollouts of approved patches (issue 14).
        route(
            M::GET,
            "/api/v1/rollouts",
            Needs(Permission::DeviceRead),
            get(rol::list_rollouts),
        ),
        route(
            M::POST,
            "/api/v1/rollouts",
            Needs(Permission::RolloutManage),
            post(rol::create_rollout),
        ),
        route(
            M::GET,
            "/api/v1/rollouts/{name}",
            Needs(Permission::DeviceRead),
            get(rol::get_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/start",
            Needs(Permission::RolloutManage),
            post(rol::start_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/pause",
            Needs(Permission::RolloutManage),
            post(rol::pause_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/resume",
            Needs(Permission::RolloutManage),
            post(rol::resume_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/cancel",
            Needs(Permission::RolloutManage),
            post(rol::cancel_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/decide",
            Needs(Permission::PatchApprove),
            post(rol::decide_rollout),
        ),
        route(
            M::POST,
            "/api/v1/rollouts/{name}/retry-failed",
            Needs(Permission::RolloutManage),
            post(rol::retry_failed),
        ),
        // Fleet monitoring (issue 15): telemetry in, signals out.
        route(
            M::POST,
            "/api/v1/devices/{controller_id}/telemetry",
            Device,
            post(flt::ingest),
        ),
        route(
            M::GET,
            "/api/v1/devices/{controller_id}/telemetry",
            Needs(Permission::DeviceRead),
            get(flt::device_telemetry),
        ),
        route(
            M::GET,
            "/api/v1/rollouts/{name}/report",
            Needs(Permission::DeviceRead),
            get(flt::rollout_report),
        ),
        route(
            M::GET,
            "/api/v1/exposure",
            Needs(Permission::DeviceRead),
            get(flt::exposure),
        ),
        route(
            M::GET,
            "/api/v1/signals",
            Needs(Permission::DeviceRead),
            get(flt::list_signals),
        ),
        route(
            M::GET,
            "/api/v1/signals/{id}",
            Needs(Permission::DeviceRead),
            get(flt::get_signal),
        ),
        route(
            M::POST,
            "/api/v1/signals/{id}/acknowledge",
            Needs(Permission::SignalTriage),
            post(flt::acknowledge_signal),
        ),
        route(
            M::POST,
            "/api/v1/signals/{id}/dismiss",
            Needs(Permission::SignalTriage),
            post(flt::dismiss_signal),
        ),
        // Incidents (issue 15): investigations, their signed classification and clocks.
        route(
            M::GET,
            "/api/v1/incidents",
            Needs(Permission::FindingRead),
            get(inc::list_incidents),
        ),
        route(
            M::POST,
            "/api/v1/incidents",
            Needs(Permission::SignalTriage),
            post(inc::open_incident),
        ),
        route(
            M::GET,
            "/api/v1/incidents/lessons",
            Needs(Permission::FindingRead),
            get(inc::incident_lessons),
        ),
        route(
            M::GET,
            "/api/v1/incidents/{id}",
            Needs(Permission::FindingRead),
            get(inc::get_incident),
        ),
        route(
            M::POST,
            "/api/v1/incidents/{id}/classify",
            Needs(Permission::SignalTriage),
            post(inc::classify_incident),
        ),
        route(
            M::POST,
            "/api/v1/incidents/{id}/links",
            Needs(Permission::SignalTriage),
            post(inc::link_incident),
        ),
        route(
            M::POST,
            "/api/v1/incidents/{id}/close",
            Needs(Permission::SignalTriage),
            post(inc::close_incident),
        ),
        // hawkBit's Direct Device Integration API: devices authenticate themselves.
        route(
            M::GET,
            "/{tenant}/controller/v1/{controller_id}",
            Device,
            get(ddi::poll),
        ),
        route(
            M::GET,
            "/{tenant}/controller/v1/{controller_id}/deploymentBase/{action_id}",
            Device,
            get(ddi::deployment_base),
        ),
        route(
            M::POST,
            "/{tenant}/controller/v1/{controller_id}/deploymentBase/{action_id}/feedback",
            Device,
            post(ddi::deployment_feedback),
        ),
        route(
            M::GET,
            "/{tenant}/controller/v1/{controller_id}/cancelAction/{action_id}",
            Device,
            get(ddi::cancel_action),
        ),
        route(
            M::POST,
            "/{tenant}/controller/v1/{controller_id}/cancelAction/{action_id}/feedback",
            Device,
            post(ddi::cancel_feedback),
        ),
        route(
            M::PUT,
            "/{tenant}/controller/v1/{controller_id}/configData",
            Device,
            put(ddi::config_data),
        ),
        route(
            M::GET,
            "/{tenant}/controller/v1/{controller_id}/installedBase/{action_id}",
            Device,
            get(ddi::installed_base),
        ),
        route(
            M::GET,
            "/{tenant}/controller/v1/{controller_id}/softwaremodules/{module}/artifacts/{file}",
            Device,
            get(ddi::artifact).head(ddi::artifact),
        ),
        // Artifacts: the files of a release that devices download (issue 14).
        route(
            M::GET,
            "/api/v1/releases/{product}/{version}/artifacts",
            Needs(Permission::DeviceRead),
            get(art::list_artifacts),
        ),
        route(
            M::POST,
            "/api/v1/releases/{product}/{version}/artifacts",
            Needs(Permission::RolloutManage),
            post(art::upload_artifact),
        ),
        route(
            M::GET,
            "/api/v1/artifacts/{id}/content",
            Needs(Permission::DeviceRead),
            get(art::download_artifact),
        ),
    ]
}

/// The application's router, built from [`routes`]: each route runs behind the
/// authorization middleware with its own access rule (but the UI's static files), and every
/// response carries the security headers of [`ui::security_headers`].
pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_upload_bytes;
    let mut router = Router::new();
    for route in routes() {
        let handler = if route.guarded {
            let guard = axum::middleware::from_fn_with_state(
                (state.clone(), route.access),
                auth::authorize,
            );
            route.handler.route_layer(guard)
        } else {
            route.handler
        };
        router = router.route(route.path, handler);
    }
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_response(ui::security_headers))
        .with_state(state)
}

/// Serves the router on a listener until `shutdown` resolves, then finishes the requests in
/// flight.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
