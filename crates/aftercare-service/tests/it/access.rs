//! Login throttling and lock-out, sessions and tokens, with injected time, on both backends.

use aftercare_model::Role;
use aftercare_service::ServiceError;
use aftercare_service::access::auth::{self, AccessSettings, TokenRequest, Via};
use aftercare_service::access::password::Password;
use jiff::SignedDuration;

use crate::{person, t0, workspaces};

#[tokio::test]
async fn twenty_wrong_logins_lock_the_account_and_the_right_password_works_after_the_lockout() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        person(
            &workspace,
            &context,
            "rita",
            "Rita Reviewer",
            &[Role::Reviewer],
        )
        .await;
        let settings = AccessSettings::default();
        let wrong = Password::new("not the password");
        let mut locked_at = None;
        for attempt in 1..=20 {
            let now = t0() + SignedDuration::from_secs(attempt);
            match auth::login(&workspace, "rita", &wrong, now, None).await {
                Err(ServiceError::Unauthenticated { .. }) => {
                    assert!(
                        attempt <= settings.max_failed_logins,
                        "{backend}: attempt {attempt} should be locked"
                    );
                }
                Err(ServiceError::LockedOut { .. }) => {
                    locked_at.get_or_insert(attempt);
                }
                other => panic!("{backend}: attempt {attempt}: {other:?}"),
            }
        }
        assert_eq!(
            locked_at,
            Some(settings.max_failed_logins + 1),
            "{backend}: throttled after the limit"
        );
        // The right password is refused while locked...
        let right = Password::new("rita-password-1");
        let during = auth::login(
            &workspace,
            "rita",
            &right,
            t0() + SignedDuration::from_secs(60),
            None,
        )
        .await;
        assert!(
            matches!(during, Err(ServiceError::LockedOut { .. })),
            "{backend}: {during:?}"
        );
        // ... and accepted once the lock-out period is over.
        let after = t0() + SignedDuration::from_secs(settings.lockout_seconds + 10);
        let (secret, principal) = auth::login(&workspace, "rita", &right, after, None)
            .await
            .unwrap();
        assert_eq!(principal.login, "rita", "{backend}");
        let again = auth::session_principal(&workspace, &secret, after)
            .await
            .unwrap();
        assert!(
            matches!(again.via, Via::Session { signed: false, .. }),
            "{backend}"
        );
        // The lock-out raised an alert and the failures are in the audit trail.
        let alerts = aftercare_store::alert::newest(test.store.pool(), 10)
            .await
            .unwrap();
        assert!(
            alerts.iter().any(|a| a.kind == "login.lockout"),
            "{backend}"
        );
        let events = aftercare_store::audit::page(test.store.pool(), 0, 1000)
            .await
            .unwrap();
        let failed = events
            .iter()
            .filter(|e| e.event.action == "auth.login_failed")
            .count();
        assert_eq!(
            failed as i64, settings.max_failed_logins,
            "{backend}: audited failures"
        );
    }
}

#[tokio::test]
async fn an_unknown_login_and_a_wrong_password_get_the_same_answer() {
    for (_, workspace, context) in workspaces().await {
        person(
            &workspace,
            &context,
            "sam",
            "Sam Analyst",
            &[Role::SecurityAnalyst],
        )
        .await;
        let unknown = auth::login(&workspace, "nobody", &Password::new("x"), t0(), None)
            .await
            .unwrap_err();
        let wrong = auth::login(&workspace, "sam", &Password::new("x"), t0(), None)
            .await
            .unwrap_err();
        assert_eq!(unknown.to_string(), wrong.to_string());
    }
}

#[tokio::test]
async fn sessions_expire_when_idle_and_end_at_logout() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        person(&workspace, &context, "vic", "Vic Viewer", &[Role::Viewer]).await;
        let settings = AccessSettings::default();
        let (secret, principal) = auth::login(
            &workspace,
            "vic",
            &Password::new("vic-password-1"),
            t0(),
            None,
        )
        .await
        .unwrap();
        let soon = t0() + SignedDuration::from_secs(settings.session_idle_seconds - 5);
        auth::session_principal(&workspace, &secret, soon)
            .await
            .unwrap();
        let idle = soon + SignedDuration::from_secs(settings.session_idle_seconds + 1);
        assert!(
            auth::session_principal(&workspace, &secret, idle)
                .await
                .is_err(),
            "{backend}: idle"
        );
        let (secret, principal2) = auth::login(
            &workspace,
            "vic",
            &Password::new("vic-password-1"),
            t0(),
            None,
        )
        .await
        .unwrap();
        let context = aftercare_service::Context::new(principal2.actor(), jiff::Timestamp::now());
        auth::logout(&workspace, &context, &principal2, t0())
            .await
            .unwrap();
        assert!(
            auth::session_principal(&workspace, &secret, t0())
                .await
                .is_err(),
            "{backend}: logged out"
        );
        let _ = principal;
    }
}

#[tokio::test]
async fn tokens_are_shown_once_stored_hashed_scoped_and_revocable() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        person(
            &workspace,
            &context,
            "ci",
            "CI pipeline owner",
            &[Role::SecurityAnalyst, Role::Viewer],
        )
        .await;
        let (_, owner) = auth::login(
            &workspace,
            "ci",
            &Password::new("ci-password-1"),
            t0(),
            None,
        )
        .await
        .unwrap();
        let owner_context = aftercare_service::Context::new(owner.actor(), jiff::Timestamp::now());
        let request = TokenRequest {
            name: "pipeline".into(),
            roles: vec![Role::Viewer],
            expires_in_days: Some(30),
            ..TokenRequest::default()
        };
        let (secret, token) =
            auth::create_token(&workspace, &owner_context, &owner, &request, t0())
                .await
                .unwrap();
        assert!(secret.expose().starts_with(auth::TOKEN_PREFIX), "{backend}");
        // The secret is not stored anywhere.
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
            .fetch_all(test.store.pool())
            .await
            .unwrap();
        assert!(
            stored.iter().all(|h| !h.contains(&secret.expose()[4..])),
            "{backend}"
        );
        let principal = auth::token_principal(&workspace, &secret, t0())
            .await
            .unwrap();
        assert_eq!(
            principal.roles,
            vec![Role::Viewer],
            "{backend}: scoped to the token's roles"
        );
        assert!(matches!(principal.via, Via::Token { .. }), "{backend}");
        // A role the account does not have is refused.
        let too_much = TokenRequest {
            name: "x".into(),
            roles: vec![Role::Administrator],
            ..TokenRequest::default()
        };
        assert!(
            auth::create_token(&workspace, &owner_context, &owner, &too_much, t0())
                .await
                .is_err(),
            "{backend}"
        );
        // Expiry and revocation.
        let later = t0() + SignedDuration::from_hours(24 * 31);
        assert!(
            auth::token_principal(&workspace, &secret, later)
                .await
                .is_err(),
            "{backend}: expired"
        );
        auth::revoke_token(&workspace, &owner_context, &owner, token.id, t0())
            .await
            .unwrap();
        assert!(
            auth::token_principal(&workspace, &secret, t0())
                .await
                .is_err(),
            "{backend}: revoked"
        );
    }
}
