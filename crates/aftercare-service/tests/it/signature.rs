//! Electronic signatures (21 CFR 11.50, 11.70, 11.200) on both backends.

use aftercare_model::Role;
use aftercare_service::ServiceError;
use aftercare_service::access::account;
use aftercare_service::access::auth::{self, AccessSettings, Principal, TokenRequest};
use aftercare_service::access::password::Password;
use aftercare_service::access::signature::{self, Meaning, SignRequest, Signable, SignatureState};
use aftercare_service::{Context, Workspace};

use crate::{person, t0, workspaces};

async fn session(workspace: &Workspace, login: &str) -> Principal {
    auth::login(
        workspace,
        login,
        &Password::new(format!("{login}-password-1")),
        t0(),
        None,
    )
    .await
    .unwrap()
    .1
}

fn request(login: Option<&str>, password: &str, meaning: Meaning) -> SignRequest {
    SignRequest {
        login: login.map(str::to_string),
        password: Password::new(password),
        meaning,
        reason: None,
    }
}

async fn sign(
    workspace: &Workspace,
    principal: &Principal,
    signable: &Signable<'_>,
    request: &SignRequest,
) -> Result<aftercare_store::signature::SignatureRow, ServiceError> {
    let context = Context::new(principal.actor(), jiff::Timestamp::now());
    let signer =
        signature::verify_signer(workspace, &context, principal, signable, request, t0()).await?;
    let mut tx = workspace.raw_store().begin().await.unwrap();
    let row = signature::record(&mut tx, &context, &signer, signable).await?;
    tx.commit().await.unwrap();
    Ok(row)
}

fn determination<'a>(content: &'a [u8], author: Option<i64>) -> Signable<'a> {
    Signable {
        entity_type: "determination",
        entity_id: "7".into(),
        content,
        author_account_id: author,
    }
}

#[tokio::test]
async fn a_signature_binds_to_content_and_shows_when_the_record_changed() {
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
        let rita = session(&workspace, "rita").await;
        let content = br#"{"outcome":"controlled"}"#;
        // The first signature of a session needs the login too.
        let no_login = sign(
            &workspace,
            &rita,
            &determination(content, None),
            &request(None, "rita-password-1", Meaning::Review),
        )
        .await;
        assert!(
            matches!(no_login, Err(ServiceError::SignatureRefused { .. })),
            "{backend}"
        );
        let row = sign(
            &workspace,
            &rita,
            &determination(content, None),
            &request(Some("rita"), "rita-password-1", Meaning::Review),
        )
        .await
        .unwrap();
        assert_eq!(row.printed_name, "Rita Reviewer", "{backend}");
        assert_eq!(row.meaning, "review", "{backend}");
        assert_eq!(
            signature::manifestation(&row).split(" on ").next(),
            Some("Signed by Rita Reviewer"),
            "{backend}"
        );
        // Later signatures in the same session need only the password.
        let rita = session_after_signing(&workspace, &rita).await;
        sign(
            &workspace,
            &rita,
            &determination(content, None),
            &request(None, "rita-password-1", Meaning::Responsibility),
        )
        .await
        .unwrap();

        let views = signature::signatures(&workspace, "determination", "7", content)
            .await
            .unwrap();
        assert!(
            views.iter().all(|v| v.state == SignatureState::Valid),
            "{backend}"
        );
        let edited = br#"{"outcome":"uncontrolled"}"#;
        let views = signature::signatures(&workspace, "determination", "7", edited)
            .await
            .unwrap();
        assert_eq!(views.len(), 2, "{backend}");
        assert!(
            views
                .iter()
                .all(|v| v.state == SignatureState::ContentChanged),
            "{backend}"
        );
    }
}

/// The principal of the same session re-read after a signing (the session is now "signed").
async fn session_after_signing(workspace: &Workspace, principal: &Principal) -> Principal {
    let aftercare_service::access::auth::Via::Session { id, .. } = principal.via else {
        panic!("a session")
    };
    let row: i64 = sqlx::query_scalar("SELECT signed FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_one(workspace.raw_store().pool())
        .await
        .unwrap();
    assert_eq!(row, 1, "the session is marked signed");
    Principal {
        via: aftercare_service::access::auth::Via::Session { id, signed: true },
        ..principal.clone()
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_audited_and_alerts_after_n_in_a_row() {
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
        let rita = session(&workspace, "rita").await;
        let limit = AccessSettings::default().signature_alert_after;
        for _ in 0..limit {
            let refused = sign(
                &workspace,
                &rita,
                &determination(b"x", None),
                &request(Some("rita"), "wrong", Meaning::Approval),
            )
            .await;
            assert!(
                matches!(refused, Err(ServiceError::SignatureRefused { .. })),
                "{backend}"
            );
        }
        let events = aftercare_store::audit::page(test.store.pool(), 0, 1000)
            .await
            .unwrap();
        let refused = events
            .iter()
            .filter(|e| e.event.action == "signature.refused")
            .count();
        assert_eq!(refused as i64, limit, "{backend}: every refusal audited");
        assert!(
            events.iter().any(|e| e.event.action == "security.alert"),
            "{backend}"
        );
        let alerts = aftercare_store::alert::newest(test.store.pool(), 10)
            .await
            .unwrap();
        assert_eq!(alerts[0].kind, "signature.failures", "{backend}");
        assert!(
            aftercare_store::signature::signatures_of(test.store.pool(), "determination", "7")
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_author_cannot_approve_their_own_record_when_segregation_is_on() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let author = person(
            &workspace,
            &context,
            "sam",
            "Sam Analyst",
            &[Role::SecurityAnalyst],
        )
        .await;
        let sam = session(&workspace, "sam").await;
        let own = sign(
            &workspace,
            &sam,
            &determination(b"x", Some(author.id)),
            &request(Some("sam"), "sam-password-1", Meaning::Approval),
        )
        .await;
        match own {
            Err(ServiceError::SignatureRefused { reason }) => {
                assert!(reason.contains("segregation"), "{backend}: {reason}")
            }
            other => panic!("{backend}: {other:?}"),
        }
        // Authorship of one's own record is fine.
        sign(
            &workspace,
            &sam,
            &determination(b"x", Some(author.id)),
            &request(Some("sam"), "sam-password-1", Meaning::Authorship),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn tokens_never_sign_and_signing_can_require_a_current_training() {
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
        let rita = session(&workspace, "rita").await;
        let rita_context = Context::new(rita.actor(), jiff::Timestamp::now());
        let (secret, _) = auth::create_token(
            &workspace,
            &rita_context,
            &rita,
            &TokenRequest {
                name: "bot".into(),
                ..TokenRequest::default()
            },
            t0(),
        )
        .await
        .unwrap();
        let bot = auth::token_principal(&workspace, &secret, t0())
            .await
            .unwrap();
        let refused = sign(
            &workspace,
            &bot,
            &determination(b"x", None),
            &request(Some("rita"), "rita-password-1", Meaning::Review),
        )
        .await;
        assert!(
            matches!(refused, Err(ServiceError::SignatureRefused { .. })),
            "{backend}"
        );

        // Require a training; Rita has none, then a current one.
        let admin = aftercare_store::account::local_admin(test.store.pool())
            .await
            .unwrap()
            .unwrap();
        let admin_principal = Principal::local(&admin).unwrap();
        let settings = AccessSettings {
            signing_training: Some("part11-esignatures".into()),
            ..AccessSettings::default()
        };
        settings
            .save(&workspace, &context, &admin_principal)
            .await
            .unwrap();
        let untrained = sign(
            &workspace,
            &rita,
            &determination(b"x", None),
            &request(Some("rita"), "rita-password-1", Meaning::Review),
        )
        .await;
        match untrained {
            Err(ServiceError::SignatureRefused { reason }) => assert!(
                reason.contains("part11-esignatures"),
                "{backend}: says why: {reason}"
            ),
            other => panic!("{backend}: {other:?}"),
        }
        let date = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        account::add_training(
            &workspace,
            &context,
            &admin_principal,
            "rita",
            "part11-esignatures",
            date("2026-01-10"),
            Some(date("2027-01-10")),
        )
        .await
        .unwrap();
        sign(
            &workspace,
            &rita,
            &determination(b"x", None),
            &request(Some("rita"), "rita-password-1", Meaning::Review),
        )
        .await
        .unwrap();
    }
}
