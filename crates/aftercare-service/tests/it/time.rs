//! Time is a parameter below the shells: a workspace initialized, synced and given a release
//! at a fixed instant (`Context::now`, and the sync's clock) carries exactly that instant in
//! its audit trail, its rows and the awareness date of the case a first match opens.

use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::sync::SyncOptions;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::{Context, Workspace, WorkspaceLocation, flow};
use aftercare_store::audit::AuditFilter;
use aftercare_store::testing::each_backend;

use crate::intel::{add_feed, sync_ok};
use crate::shared_member;

/// The instant of every use case of the test, and what the store keeps of it.
const NOW: &str = "2030-01-02T03:04:05Z";
const STORED: &str = "2030-01-02T03:04:05.000000Z";

/// The sync's clock, fixed to [`NOW`].
fn fixed_clock() -> jiff::Timestamp {
    NOW.parse().unwrap()
}

const LODASH_ADVISORY: (&str, &str) = (
    "osv/GHSA-and-fixtures.zip",
    "github/advisory-database/advisories/github-reviewed/2021/05/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json",
);

/// One component the advisory affects: lodash 4.17.19 (fixed in 4.17.21).
const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "components": [{"type": "library", "bom-ref": "lodash", "name": "lodash",
                  "version": "4.17.19", "purl": "pkg:npm/lodash@4.17.19"}]}"#;

#[tokio::test]
async fn an_import_after_a_sync_carries_the_use_cases_instant_everywhere() {
    let now = fixed_clock();
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let workspace = Workspace::from_store(
            test.store.clone(),
            WorkspaceLocation::Database(test.url.clone()),
        );
        let admin = flow::init(
            &workspace,
            "admin",
            "Ada Admin",
            &Password::new("correct horse battery"),
            now,
        )
        .await
        .unwrap();
        let context = Context::new(account::actor_of(&admin), now);

        // A feed with the advisory, synced at the instant.
        let mirror = tempfile::tempdir().unwrap();
        std::fs::write(
            mirror.path().join("GHSA-35jh-r3h4-6jhm.json"),
            shared_member(LODASH_ADVISORY.0, LODASH_ADVISORY.1),
        )
        .unwrap();
        add_feed(
            &workspace,
            &context,
            "ghsa",
            FeedKind::Osv,
            None,
            Some(mirror.path()),
        )
        .await;
        let options = SyncOptions {
            clock: fixed_clock,
            ..SyncOptions::default()
        };
        let synced = sync_ok(&workspace, &context, "ghsa", &options).await;
        assert_eq!(synced.counts.new, 1, "{backend}");

        // A release whose import the match follows.
        inventory::add_product(&workspace, &context, "Infusion Pump", None)
            .await
            .unwrap();
        let imported = flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.0",
            Some(&SbomFile {
                name: "bom.json".into(),
                bytes: SBOM.as_bytes().to_vec(),
            }),
        )
        .await
        .unwrap();
        let matched = imported.matched.expect("an import with an SBOM is matched");
        assert_eq!((matched.opened.len(), matched.cases), (1, 1), "{backend}");

        // The audit trail: every event, from `init` to the case the match opened.
        let events = aftercare_service::audit::list(
            &workspace,
            &AuditFilter {
                limit: 1_000,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.event.action.as_str()).collect();
        for action in [
            "workspace.init",
            "feed.sync",
            "release.create",
            "release.import_sbom",
            "finding.match",
            "case.open",
            "case.event",
        ] {
            assert!(
                actions.contains(&action),
                "{backend}: {action} in {actions:?}"
            );
        }
        for event in &events {
            assert_eq!(event.event.at, STORED, "{backend}: {}", event.event.action);
        }

        // The rows: the release, the sync's run and record, the finding.
        assert_eq!(imported.import.release.created_at, STORED, "{backend}");
        let pool = workspace.raw_store().pool();
        let run = aftercare_store::feed::run(pool, synced.run_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (run.started_at.as_str(), run.finished_at.as_deref()),
            (STORED, Some(STORED)),
            "{backend}"
        );
        let record = aftercare_store::intel::record_by_key(pool, "osv", "GHSA-35jh-r3h4-6jhm")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.fetched_at, STORED, "{backend}");
        let finding = aftercare_store::finding::by_id(pool, matched.opened[0])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(finding.vulnerability, "CVE-2021-23337", "{backend}");
        assert_eq!(
            (finding.first_seen.as_str(), finding.last_seen.as_str()),
            (STORED, STORED),
            "{backend}"
        );

        // The case the first match opened: aware on the instant's day in the policy's time
        // zone (03:04 UTC is 22:04 the evening before in New York), told at the instant.
        let case = aftercare_store::case::cases(pool, Some(finding.product_id))
            .await
            .unwrap()
            .into_iter()
            .find(|case| case.vulnerability == "CVE-2021-23337")
            .expect("the case of the first match");
        let policy = aftercare_risk::Policy::builtin().unwrap();
        assert_eq!(
            case.awareness_date,
            Some(policy.calendar().day_of(now).to_string()),
            "{backend}"
        );
        assert_eq!(
            case.awareness_date.as_deref(),
            Some("2030-01-01"),
            "{backend}"
        );
        assert_eq!(
            (case.created_at.as_str(), case.updated_at.as_str()),
            (STORED, STORED),
            "{backend}"
        );
        let case_events = aftercare_store::case::events_of(pool, case.id)
            .await
            .unwrap();
        assert_eq!(case_events.len(), 1, "{backend}");
        assert_eq!(
            (
                case_events[0].kind.as_str(),
                case_events[0].at.as_str(),
                case_events[0].recorded_at.as_str()
            ),
            ("finding_first_seen", STORED, STORED),
            "{backend}"
        );
    }
}
