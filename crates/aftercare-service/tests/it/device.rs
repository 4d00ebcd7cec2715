//! The device registry through storage, on each backend: a token shown once and stored only as
//! its SHA-256, a duplicate controller id refused, a CSV import of a good file in one
//! transaction with one audit event, a CSV with one bad row refused naming file, line and field
//! with nothing written, exposure now through real findings (the RustSec records of the shared
//! data, as the patch tests set them up), decommissioning, and the customer's own organisation.
//!
//! Exposure, by hand: RUSTSEC-2021-0020 (CVE-2021-21299) affects hyper `>= 0.14.0-0, <
//! 0.14.3`. Pump 2.0.0, 2.1.0 and Gateway 1.0 ship hyper 0.14.2 (an open finding each); Pump
//! 2.2.0 ships 0.14.3 (none). So a device on Pump 2.0.0 or Gateway 1.0 is exposed, one on Pump
//! 2.2.0 or with no known release is not.

use aftercare_model::{Role, Sha256};
use aftercare_service::ServiceError;
use aftercare_service::access::account::{self, NewAccountRequest};
use aftercare_service::access::auth::{self, Principal};
use aftercare_service::access::password::Password;
use aftercare_service::device::{self, DeviceQuery, DeviceToken, DeviceUpdate, NewDeviceRequest};
use aftercare_service::{Context, Workspace, flow};
use sqlx::Row;

use crate::intel::admin;
use crate::patch::{at, sbom, setup};
use crate::{chain, person, workspaces};

/// Two organisations with a site each.
async fn places(workspace: &Workspace, context: &Context, admin: &Principal) {
    device::add_organisation(
        workspace,
        context,
        admin,
        "St Mary",
        Some("teaching hospital"),
    )
    .await
    .unwrap();
    device::add_organisation(workspace, context, admin, "Northside", None)
        .await
        .unwrap();
    device::add_site(
        workspace,
        context,
        admin,
        "St Mary ICU",
        "St Mary",
        Some("Europe/Berlin"),
    )
    .await
    .unwrap();
    device::add_site(workspace, context, admin, "Northside OR", "Northside", None)
        .await
        .unwrap();
}

fn request(controller_id: &str, product: &str, serial: &str) -> NewDeviceRequest {
    NewDeviceRequest {
        controller_id: controller_id.into(),
        product: product.into(),
        serial: serial.into(),
        ..NewDeviceRequest::default()
    }
}

async fn count(workspace: &Workspace, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(workspace.raw_store().pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn events(workspace: &Workspace, action: &str) -> Vec<aftercare_model::AuditEvent> {
    aftercare_store::audit::page(workspace.raw_store().pool(), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.event)
        .filter(|event| event.action == action)
        .collect()
}

fn ids(list: &[device::DeviceView]) -> Vec<&str> {
    list.iter().map(|d| d.row.controller_id.as_str()).collect()
}

#[tokio::test]
async fn a_token_is_shown_once_and_only_its_sha256_is_stored() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        places(&workspace, &context, &admin).await;
        let registered = device::add(
            &workspace,
            &context,
            &admin,
            &NewDeviceRequest {
                hardware: Some("rev-B".into()),
                site: Some("St Mary ICU".into()),
                tags: vec!["icu".into(), "beta".into(), "icu".into()],
                ..request("pump-0001", "Pump", "SN-1")
            },
        )
        .await
        .unwrap();
        let token = registered.token.expose().to_string();
        assert_eq!(token.len(), 64, "{backend}: 32 random bytes in hex");
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{backend}");
        let row = &registered.device.row;
        assert_eq!(row.token_sha256, Sha256::of(token.as_bytes()).to_hex());
        assert_eq!(row.state, "registered");
        assert_eq!(
            row.organisation.as_deref(),
            Some("St Mary"),
            "{backend}: the site's"
        );
        assert_eq!(row.tags, vec!["beta".to_string(), "icu".to_string()]);
        assert_eq!(format!("{:?}", registered.token), "DeviceToken(***)");
        // The token itself is nowhere in the database: not in the device, not in the audit.
        let found = count(
            &workspace,
            &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM devices WHERE token_sha256 = '{token}'"),
        )
        .await;
        assert_eq!(found, 0, "{backend}");
        let added = events(&workspace, "device.add").await;
        assert_eq!(added.len(), 1, "{backend}");
        let audit = added[0].new_value.clone().unwrap();
        assert!(!audit.contains(&token), "{backend}: {audit}");
        assert!(audit.contains(&row.token_sha256), "{backend}: {audit}");
        // The token authenticates the device; another does not.
        let device = device::authenticate(&workspace, "pump-0001", &DeviceToken::new(&token))
            .await
            .unwrap();
        assert_eq!(device.id, row.id);
        let wrong =
            device::authenticate(&workspace, "pump-0001", &DeviceToken::new("0".repeat(64)))
                .await
                .unwrap_err();
        assert!(
            matches!(wrong, ServiceError::Unauthenticated { .. }),
            "{backend}"
        );
        // Show gives the facts, never a token.
        let shown = device::show(&workspace, &admin, "pump-0001").await.unwrap();
        assert_eq!(shown.row, *row);
        assert_eq!(shown.disagreement, None);
    }
}

#[tokio::test]
async fn a_duplicate_controller_id_is_refused_and_a_bad_id_named() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        device::add(
            &workspace,
            &context,
            &admin,
            &request("pump-1", "Pump", "SN-1"),
        )
        .await
        .unwrap();
        let error = device::add(
            &workspace,
            &context,
            &admin,
            &request("pump-1", "Pump", "SN-2"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "device \"pump-1\" already exists",
            "{backend}"
        );
        let error = device::add(
            &workspace,
            &context,
            &admin,
            &request("pump 2", "Pump", "SN-2"),
        )
        .await
        .unwrap_err();
        assert!(
            chain(&error).starts_with("invalid controller_id: "),
            "{backend}: {}",
            chain(&error)
        );
        let error = device::add(
            &workspace,
            &context,
            &admin,
            &request("pump-3", "Pump", "SN-1"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::AlreadyExists {
                    entity: "device serial",
                    ..
                }
            ),
            "{backend}: {error}"
        );
        assert_eq!(
            count(&workspace, "SELECT CAST(COUNT(*) AS BIGINT) FROM devices").await,
            1
        );
        assert_eq!(events(&workspace, "device.add").await.len(), 1, "{backend}");
    }
}

const GOOD: &str = "controller_id,serial,product,hardware,site,organisation,tags,release
pump-a,SN-A,Pump,rev-B,St Mary ICU,,icu;beta,2.0.0
pump-b,SN-B,Pump,,Northside OR,Northside,,2.2.0
\"pump-c\",\"SN-C\",Pump,rev-A,,St Mary,icu,
gateway-a,GW-1,Gateway,,St Mary ICU,St Mary,,1.0
";

async fn exposure_setup(workspace: &Workspace, context: &Context, admin: &Principal) {
    setup(workspace, context).await;
    flow::import_release(
        workspace,
        &at(context, 0),
        "Pump",
        "2.2.0",
        Some(&sbom("pump", "2.2.0", "0.14.3")),
    )
    .await
    .unwrap();
    places(workspace, context, admin).await;
}

#[tokio::test]
async fn a_good_csv_registers_every_device_in_one_transaction() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        exposure_setup(&workspace, &context, &admin).await;
        let registered = device::import(&workspace, &context, &admin, "fleet.csv", GOOD.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            ids(&registered
                .iter()
                .map(|r| r.device.clone())
                .collect::<Vec<_>>()),
            vec!["pump-a", "pump-b", "pump-c", "gateway-a"],
            "{backend}: in file order"
        );
        let mut tokens: Vec<&str> = registered.iter().map(|r| r.token.expose()).collect();
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), 4, "{backend}: one token each");
        let a = device::show(&workspace, &admin, "pump-a")
            .await
            .unwrap()
            .row;
        assert_eq!(a.installed_version.as_deref(), Some("2.0.0"));
        assert_eq!(a.installed_source.as_deref(), Some("import"));
        assert_eq!(a.site.as_deref(), Some("St Mary ICU"));
        assert_eq!(a.organisation.as_deref(), Some("St Mary"));
        assert_eq!(a.hardware.as_deref(), Some("rev-B"));
        assert_eq!(a.tags, vec!["beta".to_string(), "icu".to_string()]);
        let c = device::show(&workspace, &admin, "pump-c")
            .await
            .unwrap()
            .row;
        assert_eq!(
            (c.installed_version, c.installed_source, c.site),
            (None, None, None)
        );
        assert_eq!(c.organisation.as_deref(), Some("St Mary"));
        let imported = events(&workspace, "device.import").await;
        assert_eq!(imported.len(), 1, "{backend}: one event for the file");
        let value: serde_json::Value =
            serde_json::from_str(imported[0].new_value.as_deref().unwrap()).unwrap();
        assert_eq!(value["count"], 4);
        assert_eq!(value["sha256"], Sha256::of(GOOD.as_bytes()).to_hex());
        // Lists by the rollout filter's keys.
        let list = |query: DeviceQuery| {
            let workspace = workspace.clone();
            let admin = admin.clone();
            async move { device::list(&workspace, &admin, &query).await.unwrap() }
        };
        assert_eq!(
            ids(&list(DeviceQuery {
                tag: Some("icu".into()),
                ..DeviceQuery::default()
            })
            .await),
            vec!["pump-a", "pump-c"]
        );
        assert_eq!(
            ids(&list(DeviceQuery {
                organisation: Some("St Mary".into()),
                ..DeviceQuery::default()
            })
            .await),
            vec!["gateway-a", "pump-a", "pump-c"]
        );
        assert_eq!(
            ids(&list(DeviceQuery {
                product: Some("Pump".into()),
                site: Some("Northside OR".into()),
                ..DeviceQuery::default()
            })
            .await),
            vec!["pump-b"]
        );
        assert_eq!(
            ids(&list(DeviceQuery {
                state: Some("registered".into()),
                ..DeviceQuery::default()
            })
            .await)
            .len(),
            4
        );
        let error = device::list(
            &workspace,
            &admin,
            &DeviceQuery {
                state: Some("gone".into()),
                ..DeviceQuery::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().starts_with("invalid state: \"gone\""),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_csv_with_one_bad_row_is_refused_naming_line_and_field_and_writes_nothing() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        exposure_setup(&workspace, &context, &admin).await;
        let before = events(&workspace, "device.import").await.len();
        // Line 3: Pump has no release 9.9.
        let bad = GOOD.replace("Northside,,2.2.0", "Northside,,9.9");
        let error = device::import(&workspace, &context, &admin, "fleet.csv", bad.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "fleet.csv, line 3, field release: release \"Pump 9.9\" not found",
            "{backend}"
        );
        // Line 5 repeats line 2's controller id: refused in the transaction, nothing kept.
        let repeated = format!("{GOOD}pump-a,SN-Z,Pump,,,,,\n");
        let error = device::import(
            &workspace,
            &context,
            &admin,
            "fleet.csv",
            repeated.as_bytes(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "fleet.csv, line 6, field controller_id: device \"pump-a\" already exists",
            "{backend}"
        );
        // Line 6 repeats line 2's serial of the same product under another controller id.
        let same_serial = format!("{GOOD}pump-z,SN-A,Pump,,,,,\n");
        let error = device::import(
            &workspace,
            &context,
            &admin,
            "fleet.csv",
            same_serial.as_bytes(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "fleet.csv, line 6, field serial: device serial \"SN-A\" already exists",
            "{backend}"
        );
        // A site of another organisation than the one named.
        let wrong = GOOD.replace(
            "pump-b,SN-B,Pump,,Northside OR,Northside",
            "pump-b,SN-B,Pump,,Northside OR,St Mary",
        );
        let error = device::import(&workspace, &context, &admin, "fleet.csv", wrong.as_bytes())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("fleet.csv, line 3, field organisation: "),
            "{error}"
        );
        assert_eq!(
            count(&workspace, "SELECT CAST(COUNT(*) AS BIGINT) FROM devices").await,
            0,
            "{backend}"
        );
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM device_tags"
            )
            .await,
            0,
            "{backend}"
        );
        assert_eq!(
            events(&workspace, "device.import").await.len(),
            before,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn exposure_follows_the_installed_release_and_its_open_findings() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        exposure_setup(&workspace, &context, &admin).await;
        device::import(&workspace, &context, &admin, "fleet.csv", GOOD.as_bytes())
            .await
            .unwrap();
        let exposed = |name: &str, product: Option<&str>| {
            let workspace = workspace.clone();
            let admin = admin.clone();
            let query = DeviceQuery {
                exposed_to: Some(name.into()),
                product: product.map(str::to_string),
                ..DeviceQuery::default()
            };
            async move { device::list(&workspace, &admin, &query).await.unwrap() }
        };
        assert_eq!(
            ids(&exposed("CVE-2021-21299", None).await),
            vec!["gateway-a", "pump-a"],
            "{backend}"
        );
        assert_eq!(
            ids(&exposed("RUSTSEC-2021-0020", None).await),
            vec!["gateway-a", "pump-a"],
            "{backend}: any alias"
        );
        assert_eq!(
            ids(&exposed("CVE-2021-21299", Some("Pump")).await),
            vec!["pump-a"],
            "{backend}"
        );
        assert!(exposed("CVE-1999-0001", None).await.is_empty(), "{backend}");
        // pump-a updated to 2.2.0 (manual): no longer exposed; the source says who said so.
        let updated = device::update(
            &workspace,
            &context,
            &admin,
            "pump-a",
            &DeviceUpdate {
                release: Some("2.2.0".into()),
                tags: Some(vec!["icu".into()]),
                ..DeviceUpdate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(updated.row.installed_version.as_deref(), Some("2.2.0"));
        assert_eq!(updated.row.installed_source.as_deref(), Some("manual"));
        assert_eq!(updated.row.tags, vec!["icu".to_string()]);
        assert_eq!(
            ids(&exposed("CVE-2021-21299", None).await),
            vec!["gateway-a"],
            "{backend}"
        );
        let update = events(&workspace, "device.update").await;
        assert_eq!(update.len(), 1);
        assert!(
            update[0]
                .old_value
                .as_deref()
                .unwrap()
                .contains("\"release\":\"2.0.0\"")
        );
        assert!(
            update[0]
                .new_value
                .as_deref()
                .unwrap()
                .contains("\"release_source\":\"manual\"")
        );
        // An update that changes nothing is refused rather than audited.
        let error = device::update(
            &workspace,
            &context,
            &admin,
            "pump-a",
            &DeviceUpdate::default(),
        )
        .await
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid update: nothing to change"),
            "{error}"
        );
        // A version the product does not have is refused.
        let error = device::update(
            &workspace,
            &context,
            &admin,
            "pump-a",
            &DeviceUpdate {
                release: Some("1.0".into()),
                ..DeviceUpdate::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error.to_string(), "release \"Pump 1.0\" not found");
    }
}

#[tokio::test]
async fn a_decommissioned_device_is_kept_and_its_token_stops_working() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let registered = device::add(
            &workspace,
            &context,
            &admin,
            &request("pump-1", "Pump", "SN-1"),
        )
        .await
        .unwrap();
        let error = device::decommission(&workspace, &context, &admin, "pump-1", "  ")
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "invalid reason: must not be empty");
        let gone =
            device::decommission(&workspace, &context, &admin, "pump-1", "returned to vendor")
                .await
                .unwrap();
        assert_eq!(gone.row.state, "decommissioned");
        assert_eq!(
            gone.row.decommission_reason.as_deref(),
            Some("returned to vendor")
        );
        let refused = device::authenticate(&workspace, "pump-1", &registered.token)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, ServiceError::Unauthenticated { .. }),
            "{backend}"
        );
        let error = device::update(
            &workspace,
            &context,
            &admin,
            "pump-1",
            &DeviceUpdate {
                tags: Some(vec!["x".into()]),
                ..DeviceUpdate::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid device: pump-1 is decommissioned: it is kept as it was"
        );
        let listed = device::list(
            &workspace,
            &admin,
            &DeviceQuery {
                state: Some("decommissioned".into()),
                ..DeviceQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(ids(&listed), vec!["pump-1"], "{backend}");
        let event = events(&workspace, "device.decommission").await;
        assert_eq!(event.len(), 1);
        assert_eq!(
            event[0].entity_id.as_deref(),
            Some(gone.row.id.to_string().as_str())
        );
    }
}

#[tokio::test]
async fn permissions_and_a_customer_sees_only_its_own_organisation() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = admin(&workspace).await;
        exposure_setup(&workspace, &context, &admin).await;
        device::import(&workspace, &context, &admin, "fleet.csv", GOOD.as_bytes())
            .await
            .unwrap();
        person(&workspace, &context, "vera", "Vera Viewer", &[Role::Viewer]).await;
        account::create(
            &workspace,
            &context,
            &admin,
            &NewAccountRequest {
                login: "cora".into(),
                display_name: "Cora Customer".into(),
                password: Password::new("cora-password-1"),
                roles: vec![Role::Customer],
                organisation: Some("Northside".into()),
            },
        )
        .await
        .unwrap();
        let login = |name: &str| {
            let workspace = workspace.clone();
            let name = name.to_string();
            async move {
                auth::login(
                    &workspace,
                    &name,
                    &Password::new(format!("{name}-password-1")),
                    crate::t0(),
                    None,
                )
                .await
                .unwrap()
                .1
            }
        };
        let vera = login("vera").await;
        assert_eq!(
            device::list(&workspace, &vera, &DeviceQuery::default())
                .await
                .unwrap()
                .len(),
            4,
            "{backend}"
        );
        let error = device::add(&workspace, &context, &vera, &request("x", "Pump", "SN-X"))
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "permission device.manage is required");
        let cora = login("cora").await;
        assert_eq!(
            ids(&device::list(&workspace, &cora, &DeviceQuery::default())
                .await
                .unwrap()),
            vec!["pump-b"],
            "{backend}"
        );
        let error = device::show(&workspace, &cora, "pump-a").await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "device \"pump-a\" not found",
            "{backend}: not even its existence"
        );
        assert!(device::organisations(&workspace, &cora).await.is_err());
    }
}
