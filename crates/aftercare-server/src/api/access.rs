//! `/api/v1` routes of access control: login, sessions, tokens, accounts, trainings, the
//! audit trail and security alerts.

use aftercare_model::Role;
use aftercare_service::access::account::{self, NewAccountRequest};
use aftercare_service::access::auth::{self, AccessSettings, TokenRequest};
use aftercare_service::access::password::Password;
use aftercare_store::audit::AuditFilter;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext, clear_cookie, session_cookie};
use crate::{ApiError, AppState};
use aftercare_api::access::{
    AccountChangeDto, AccountDto, AlertDto, AuditEventDto, AuditVerificationDto, LoginDto, MeDto,
    NewAccountDto, NewTokenDto, TokenDto, TrainingDto,
};
use aftercare_api::error::ErrorDto;

fn roles(names: &[String]) -> Result<Vec<Role>, ApiError> {
    names
        .iter()
        .map(|name| {
            name.parse::<Role>()
                .map_err(|e| ApiError::invalid(e.to_string()))
        })
        .collect()
}

/// Logs in with login and password; sets the session cookie. Too many failures in a row
/// lock the account for a while (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "access", request_body = LoginDto,
    responses((status = 200, body = MeDto, description = "Logged in; the session cookie is set"),
        (status = 401, body = ErrorDto), (status = 429, body = ErrorDto)))]
pub async fn login(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(credentials): Json<LoginDto>,
) -> Result<Response, ApiError> {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (secret, principal) = auth::login(
        &state.workspace,
        &credentials.login,
        &Password::new(credentials.password),
        jiff::Timestamp::now(),
        request_id,
    )
    .await?;
    let settings = AccessSettings::load(&state.workspace).await?;
    let cookie = session_cookie(
        secret.expose(),
        settings.session_max_seconds,
        state.settings.secure_cookies,
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(MeDto::from(&principal)),
    )
        .into_response())
}

/// Closes the caller's session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "access",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorDto)))]
pub async fn logout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
) -> Result<Response, ApiError> {
    auth::logout(
        &state.workspace,
        &context,
        &principal,
        jiff::Timestamp::now(),
    )
    .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            clear_cookie(state.settings.secure_cookies),
        )],
    )
        .into_response())
}

/// Who the caller is, with the permissions their roles grant.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "access",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorDto)))]
pub async fn me(Caller(principal): Caller) -> Json<MeDto> {
    Json(MeDto::from(&principal))
}

/// Filters for listing tokens.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenFilter {
    /// Everyone's tokens (administrators), not only one's own.
    #[serde(default)]
    pub all: bool,
}

/// Lists the caller's API tokens (or everyone's, for administrators).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access", params(TokenFilter),
    responses((status = 200, body = [TokenDto]), (status = 401, body = ErrorDto)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(filter): Query<TokenFilter>,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let tokens = auth::tokens(&state.workspace, &principal, filter.all).await?;
    Ok(Json(tokens.iter().map(TokenDto::from).collect()))
}

/// Creates an API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = NewTokenDto,
    responses((status = 201, body = TokenDto), (status = 400, body = ErrorDto), (status = 401, body = ErrorDto)))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewTokenDto>,
) -> Result<(StatusCode, Json<TokenDto>), ApiError> {
    let request = TokenRequest {
        account_login: new.account,
        name: new.name,
        roles: roles(&new.roles)?,
        expires_in_days: new.expires_in_days,
    };
    let (secret, token) = auth::create_token(
        &state.workspace,
        &context,
        &principal,
        &request,
        jiff::Timestamp::now(),
    )
    .await?;
    let mut dto = TokenDto::from(&token);
    dto.secret = Some(secret.expose().to_string());
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Revokes an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "access",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorDto)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    auth::revoke_token(
        &state.workspace,
        &context,
        &principal,
        id,
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "access",
    responses((status = 200, body = [AccountDto]), (status = 403, body = ErrorDto)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<AccountDto>>, ApiError> {
    let accounts = account::list(&state.workspace, &principal).await?;
    Ok(Json(accounts.iter().map(AccountDto::from).collect()))
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "access", request_body = NewAccountDto,
    responses((status = 201, body = AccountDto), (status = 400, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn create_account(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewAccountDto>,
) -> Result<(StatusCode, Json<AccountDto>), ApiError> {
    let request = NewAccountRequest {
        login: new.login,
        display_name: new.display_name,
        password: Password::new(new.password),
        roles: roles(&new.roles)?,
        organisation: new.organisation,
    };
    let created = account::create(&state.workspace, &context, &principal, &request).await?;
    Ok((StatusCode::CREATED, Json(AccountDto::from(&created))))
}

/// Changes an account's roles, organisation or disabled flag.
#[utoipa::path(patch, path = "/api/v1/accounts/{login}", tag = "access",
    params(("login" = String, Path, description = "Login name")), request_body = AccountChangeDto,
    responses((status = 200, body = AccountDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn update_account(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(login): Path<String>,
    Json(change): Json<AccountChangeDto>,
) -> Result<Json<AccountDto>, ApiError> {
    let new_roles = match &change.roles {
        Some(names) => Some(roles(names)?),
        None => None,
    };
    let updated = account::update(
        &state.workspace,
        &context,
        &principal,
        &login,
        new_roles,
        change.disabled,
        change
            .organisation
            .map(|o| Some(o).filter(|o| !o.trim().is_empty())),
    )
    .await?;
    Ok(Json(AccountDto::from(&updated)))
}

fn date(field: &str, value: &str) -> Result<jiff::civil::Date, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::invalid(format!("{field} {value:?} is not a YYYY-MM-DD date")))
}

/// Records a completed training of an account.
#[utoipa::path(post, path = "/api/v1/accounts/{login}/trainings", tag = "access",
    params(("login" = String, Path, description = "Login name")), request_body = TrainingDto,
    responses((status = 201, body = TrainingDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn add_training(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(login): Path<String>,
    Json(training): Json<TrainingDto>,
) -> Result<(StatusCode, Json<TrainingDto>), ApiError> {
    let completed = date("completed_on", &training.completed_on)?;
    let expires = match &training.expires_on {
        Some(value) => Some(date("expires_on", value)?),
        None => None,
    };
    let stored = account::add_training(
        &state.workspace,
        &context,
        &principal,
        &login,
        &training.topic,
        completed,
        expires,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TrainingDto {
            topic: stored.topic,
            completed_on: stored.completed_on,
            expires_on: stored.expires_on,
        }),
    ))
}

/// Lists an account's trainings.
#[utoipa::path(get, path = "/api/v1/accounts/{login}/trainings", tag = "access",
    params(("login" = String, Path, description = "Login name")),
    responses((status = 200, body = [TrainingDto]), (status = 404, body = ErrorDto)))]
pub async fn list_trainings(
    State(state): State<AppState>,
    Path(login): Path<String>,
) -> Result<Json<Vec<TrainingDto>>, ApiError> {
    let found = account::by_login(&state.workspace, &login).await?;
    let trainings = account::trainings(&state.workspace, found.id).await?;
    Ok(Json(
        trainings
            .into_iter()
            .map(|t| TrainingDto {
                topic: t.topic,
                completed_on: t.completed_on,
                expires_on: t.expires_on,
            })
            .collect(),
    ))
}

/// Filters and paging for the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only events about this kind of record.
    pub entity_type: Option<String>,
    /// Only events about this record (with `entity_type`).
    pub entity_id: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only events before this time (RFC 3339).
    pub until: Option<String>,
    /// Only events after this sequence number (paging).
    #[serde(default)]
    pub after: i64,
    /// At most this many (default 100, at most 10,000).
    pub limit: Option<i64>,
}

fn stored_time(field: &str, value: &Option<String>) -> Result<Option<String>, ApiError> {
    value
        .as_deref()
        .map(|text| {
            text.parse::<jiff::Timestamp>()
                .map(aftercare_store::timestamp_text)
                .map_err(|_| ApiError::invalid(format!("{field} {text:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// Lists audit events, oldest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditEventDto]), (status = 403, body = ErrorDto)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEventDto>>, ApiError> {
    let filter = AuditFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        since: stored_time("since", &query.since)?,
        until: stored_time("until", &query.until)?,
        after: query.after,
        limit: query.limit.unwrap_or(100).clamp(1, 10_000),
    };
    let events = aftercare_service::audit::list(&state.workspace, &filter).await?;
    Ok(Json(events.iter().map(AuditEventDto::from).collect()))
}

/// Walks the whole audit chain and reports the first broken link.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = AuditVerificationDto), (status = 403, body = ErrorDto)))]
pub async fn verify_audit(
    State(state): State<AppState>,
) -> Result<Json<AuditVerificationDto>, ApiError> {
    let verification = aftercare_service::audit::verify(&state.workspace).await?;
    Ok(Json(AuditVerificationDto::from(&verification)))
}

/// Lists the newest security alerts (lock-outs, repeated failed signatures).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "audit",
    responses((status = 200, body = [AlertDto]), (status = 403, body = ErrorDto)))]
pub async fn list_alerts(State(state): State<AppState>) -> Result<Json<Vec<AlertDto>>, ApiError> {
    let alerts = account::alerts(&state.workspace, 200).await?;
    Ok(Json(alerts.iter().map(AlertDto::from).collect()))
}
