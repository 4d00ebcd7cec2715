//! Roles and named permissions: who may do what. Default deny — a permission not granted
//! by one of the principal's roles is refused.

use std::fmt;
use std::str::FromStr;

/// A named permission, checked by every route and every server-side command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read products, releases, SBOMs and components.
    InventoryRead,
    /// Create products and releases, import SBOMs.
    InventoryWrite,
    /// Read vulnerabilities, records and feeds.
    IntelligenceRead,
    /// Add, remove and sync feeds.
    FeedManage,
    /// Read findings, assessments, determinations and clocks.
    FindingRead,
    /// Assess findings (VEX status, scores, harm) and propose determinations.
    FindingAssess,
    /// Sign determinations and approvals (the signer still re-enters a password).
    RecordSign,
    /// Waive a regulatory clock (with a rationale and a signature).
    ClockWaive,
    /// Read the policy.
    PolicyRead,
    /// Change the policy (signed).
    PolicyWrite,
    /// Read and export the audit trail and verify its chain.
    AuditRead,
    /// Create and change accounts, roles, trainings, and other people's tokens.
    AccountManage,
    /// Read the advisories and devices of one's own organisation (customers).
    CustomerPortal,
    /// Manage remediation plans and patch releases: plans, the patches that serve them, their
    /// verification and validation evidence, and their distribution.
    PatchManage,
    /// Decide about a patch release: approve it (signed), reject it or revoke it.
    PatchApprove,
    /// Read the device registry: organisations, sites, devices, what they run and what they
    /// are exposed to.
    DeviceRead,
    /// Register, import, change and decommission devices; add organisations and sites.
    DeviceManage,
    /// Prepare and run rollouts: add the artifacts of a release (a `.swu` checked against
    /// the product's update CA), set a product's update CA, and start, pause and cancel
    /// rollouts.
    RolloutManage,
    /// Triage the fleet's signals: acknowledge them, dismiss them with a reason, open
    /// incidents from them.
    SignalTriage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 19] = [
        Permission::InventoryRead,
        Permission::InventoryWrite,
        Permission::IntelligenceRead,
        Permission::FeedManage,
        Permission::FindingRead,
        Permission::FindingAssess,
        Permission::RecordSign,
        Permission::ClockWaive,
        Permission::PolicyRead,
        Permission::PolicyWrite,
        Permission::AuditRead,
        Permission::AccountManage,
        Permission::CustomerPortal,
        Permission::PatchManage,
        Permission::PatchApprove,
        Permission::DeviceRead,
        Permission::DeviceManage,
        Permission::RolloutManage,
        Permission::SignalTriage,
    ];

    /// The permission's name (`inventory.read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::InventoryRead => "inventory.read",
            Permission::InventoryWrite => "inventory.write",
            Permission::IntelligenceRead => "intelligence.read",
            Permission::FeedManage => "feed.manage",
            Permission::FindingRead => "finding.read",
            Permission::FindingAssess => "finding.assess",
            Permission::RecordSign => "record.sign",
            Permission::ClockWaive => "clock.waive",
            Permission::PolicyRead => "policy.read",
            Permission::PolicyWrite => "policy.write",
            Permission::AuditRead => "audit.read",
            Permission::AccountManage => "account.manage",
            Permission::CustomerPortal => "customer.portal",
            Permission::PatchManage => "patch.manage",
            Permission::PatchApprove => "patch.approve",
            Permission::DeviceRead => "device.read",
            Permission::DeviceManage => "device.manage",
            Permission::RolloutManage => "rollout.manage",
            Permission::SignalTriage => "signal.triage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role: a named set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything, including accounts.
    Administrator,
    /// Imports SBOMs, syncs feeds, triages findings, writes VEX and risk assessments.
    SecurityAnalyst,
    /// RA/QA: reviews and signs determinations and approvals, watches clocks, reads the audit
    /// trail.
    Reviewer,
    /// Builds patch releases and imports their SBOMs.
    ReleaseEngineer,
    /// Reads everything internal, changes nothing.
    Viewer,
    /// A customer (hospital biomed / IT): only the advisories and devices of their own
    /// organisation.
    Customer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::SecurityAnalyst,
        Role::Reviewer,
        Role::ReleaseEngineer,
        Role::Viewer,
        Role::Customer,
    ];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::SecurityAnalyst => "security-analyst",
            Role::Reviewer => "reviewer",
            Role::ReleaseEngineer => "release-engineer",
            Role::Viewer => "viewer",
            Role::Customer => "customer",
        }
    }

    /// The permissions the role grants.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        const READ: [Permission; 5] = [
            InventoryRead,
            IntelligenceRead,
            FindingRead,
            PolicyRead,
            DeviceRead,
        ];
        match self {
            Role::Administrator => &Permission::ALL,
            Role::SecurityAnalyst => &[
                InventoryRead,
                IntelligenceRead,
                FindingRead,
                PolicyRead,
                InventoryWrite,
                FeedManage,
                FindingAssess,
                RecordSign,
                PatchManage,
                DeviceRead,
                SignalTriage,
            ],
            Role::Reviewer => &[
                InventoryRead,
                IntelligenceRead,
                FindingRead,
                PolicyRead,
                RecordSign,
                ClockWaive,
                PolicyWrite,
                AuditRead,
                PatchApprove,
                DeviceRead,
            ],
            Role::ReleaseEngineer => &[
                InventoryRead,
                IntelligenceRead,
                FindingRead,
                PolicyRead,
                InventoryWrite,
                RecordSign,
                PatchManage,
                DeviceRead,
                DeviceManage,
                RolloutManage,
            ],
            Role::Viewer => &READ,
            Role::Customer => &[CustomerPortal],
        }
    }

    /// Whether the role grants a permission.
    pub fn grants(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}: expected administrator, security-analyst, reviewer, release-engineer, viewer or customer"
)]
pub struct RoleError(pub String);

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(input: &str) -> Result<Role, RoleError> {
        let normalized = input.trim().to_ascii_lowercase().replace('_', "-");
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == normalized)
            .ok_or_else(|| RoleError(input.to_string()))
    }
}

/// Parses a comma-separated role list (as stored); unknown names are an error.
pub fn parse_roles(list: &str) -> Result<Vec<Role>, RoleError> {
    let mut roles: Vec<Role> = list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// A role list as stored: sorted names joined with commas.
pub fn format_roles(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether any of the roles grants the permission.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|role| role.grants(permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(role: Role, permission: Permission, expected: bool) {
        assert_eq!(role.grants(permission), expected, "{role} {permission}");
    }

    #[test]
    fn matrix() {
        use Permission::*;
        check(Role::Administrator, AccountManage, true);
        check(Role::SecurityAnalyst, FindingAssess, true);
        check(Role::SecurityAnalyst, AccountManage, false);
        check(Role::SecurityAnalyst, ClockWaive, false);
        check(Role::Reviewer, RecordSign, true);
        check(Role::Reviewer, AuditRead, true);
        check(Role::Reviewer, InventoryWrite, false);
        check(Role::Viewer, InventoryRead, true);
        check(Role::Viewer, InventoryWrite, false);
        check(Role::Viewer, RecordSign, false);
        check(Role::Customer, InventoryRead, false);
        check(Role::Customer, CustomerPortal, true);
        check(Role::Customer, DeviceRead, false);
        check(Role::ReleaseEngineer, DeviceManage, true);
        check(Role::SecurityAnalyst, DeviceRead, true);
        check(Role::SecurityAnalyst, DeviceManage, false);
        check(Role::Viewer, DeviceRead, true);
        check(Role::Viewer, DeviceManage, false);
        check(Role::ReleaseEngineer, RolloutManage, true);
        check(Role::SecurityAnalyst, RolloutManage, false);
        check(Role::Reviewer, RolloutManage, false);
        check(Role::Viewer, RolloutManage, false);
        // Every permission is granted by the administrator, and by someone else too except
        // account management.
        for permission in Permission::ALL {
            check(Role::Administrator, permission, true);
        }
    }

    #[test]
    fn role_lists_round_trip() {
        let roles = parse_roles("viewer, Security_Analyst,viewer").unwrap();
        assert_eq!(roles, vec![Role::SecurityAnalyst, Role::Viewer]);
        assert_eq!(format_roles(&roles), "security-analyst,viewer");
        assert!(parse_roles("viewer,root").is_err());
        assert!(allows(&roles, Permission::FindingAssess));
        assert!(!allows(&roles, Permission::AuditRead));
    }
}
