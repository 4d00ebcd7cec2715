//! Triage and risk: the team's decisions about findings (VEX status, device-context scores,
//! exploitability, harm, compensating controls), the e-signed determination, the regulatory
//! cases and clocks they drive, and the versioned, signed policy that sets their rules.
//!
//! Uses `access` (principals, signatures), `inventory` (products) and `intel` (KEV, EPSS,
//! exploit references); never `finding` — a finding slice's run tells a case of a first match
//! and lets decisions reach new findings by calling into this slice.

pub mod assessment;
pub mod case;
pub mod policy;
pub mod waiver;
