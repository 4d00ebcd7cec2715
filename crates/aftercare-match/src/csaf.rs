//! A supplier's CSAF `product_status` applied to components through the product tree's
//! identification helpers.
//!
//! Each (vulnerability, status, product) of an advisory becomes one [`CsafStatement`] per
//! helper of the product: a purl, a CPE or a file hash. A component is named by a statement
//! when:
//!
//! * **purl**: type, namespace and name are equal; the statement's version, if it has one,
//!   equals the component's (under the purl type's scheme, else as text) — a purl without a
//!   version names every version (Red Hat writes `pkg:rpm/redhat/gnutls?arch=src` for a
//!   product stream still affected); qualifiers are ignored except `arch`, which must agree
//!   when both give one and neither is `src` or `noarch` (a source package's status covers the
//!   binaries built from it);
//! * **CPE**: the statement's CPE matches one of the component's CPEs (NIST IR 7696);
//! * **hash**: same algorithm and digest.
//!
//! `known_affected`, `first_affected` and `last_affected` make findings. `fixed`,
//! `first_fixed`, `known_not_affected`, `under_investigation` and `recommended` are the
//! supplier's VEX information about the component and are reported as such, with the VEX
//! justification flag of a `known_not_affected` product.

use aftercare_intel::csaf::{Advisory, ProductStatus};
use aftercare_model::{Cpe, Purl, VulnerabilityId};
use aftercare_version::Scheme;

use crate::component::{Component, FileHash};
use crate::cpe::is_match;
use crate::nvd::CpeKey;

/// How a CSAF product is recognized.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Helper {
    /// By package URL.
    Purl(Purl),
    /// By CPE name.
    Cpe(Cpe),
    /// By file hash.
    Hash(FileHash),
}

impl std::fmt::Display for Helper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Helper::Purl(purl) => write!(f, "{purl}"),
            Helper::Cpe(cpe) => write!(f, "{cpe}"),
            Helper::Hash(hash) => write!(f, "{}:{}", hash.algorithm, hash.value),
        }
    }
}

/// One product status of one vulnerability of an advisory, for one helper of the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsafStatement {
    /// The vulnerability of the advisory the status is about (its CVE, else its first id);
    /// `None` when the advisory's vulnerability names neither.
    pub vulnerability: Option<VulnerabilityId>,
    /// The status.
    pub status: ProductStatus,
    /// The product id.
    pub product: String,
    /// The product's full name.
    pub product_name: String,
    /// How it is recognized.
    pub helper: Helper,
    /// The VEX justification (flag label) given for the product, if any.
    pub justification: Option<String>,
}

/// Where a statement is found in the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CsafKey {
    /// Purl type, namespace and name.
    Purl(String, Option<String>, String),
    /// CPE vendor and product (exact values); `None` for a CPE with a wildcard there.
    Cpe(CpeKey),
    /// Algorithm and digest.
    Hash(String, String),
}

impl CsafStatement {
    pub(crate) fn key(&self) -> CsafKey {
        match &self.helper {
            Helper::Purl(purl) => purl_key(purl),
            Helper::Cpe(cpe) => CsafKey::Cpe(crate::nvd::cpe_key(cpe)),
            Helper::Hash(hash) => CsafKey::Hash(hash.algorithm.clone(), hash.value.clone()),
        }
    }

    /// Whether the statement names the component.
    pub(crate) fn names(&self, component: &Component) -> bool {
        match &self.helper {
            Helper::Purl(purl) => component
                .purl
                .as_ref()
                .is_some_and(|own| purl_names(purl, own)),
            Helper::Cpe(cpe) => component.cpes.iter().any(|own| is_match(cpe, own)),
            Helper::Hash(hash) => component.hashes.contains(hash),
        }
    }
}

pub(crate) fn purl_key(purl: &Purl) -> CsafKey {
    CsafKey::Purl(
        purl.ty().to_string(),
        purl.namespace().map(str::to_string),
        purl.name().to_string(),
    )
}

/// Whether a CSAF purl names a component purl (see the module documentation).
fn purl_names(statement: &Purl, component: &Purl) -> bool {
    if statement.ty() != component.ty()
        || statement.namespace() != component.namespace()
        || statement.name() != component.name()
    {
        return false;
    }
    let neutral = |arch: &str| matches!(arch, "src" | "noarch");
    if let (Some(left), Some(right)) = (statement.qualifier("arch"), component.qualifier("arch"))
        && left != right
        && !neutral(left)
        && !neutral(right)
    {
        return false;
    }
    match (statement.version(), component.version()) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(left), Some(right)) => {
            if left == right {
                return true;
            }
            let epoch = |purl: &Purl, version: &str| match purl.qualifier("epoch") {
                Some(epoch) if !version.contains(':') => format!("{epoch}:{version}"),
                _ => version.to_string(),
            };
            let (left, right) = (epoch(statement, left), epoch(component, right));
            match Scheme::from_purl_type(statement.ty()) {
                Some(scheme) => match (
                    aftercare_version::parse(scheme, &left),
                    aftercare_version::parse(scheme, &right),
                ) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => left == right,
                },
                None => left == right,
            }
        }
    }
}

/// The statements of an advisory: every (vulnerability, status, product, helper).
pub(crate) fn statements(advisory: &Advisory) -> Vec<CsafStatement> {
    let mut out = Vec::new();
    for vulnerability in &advisory.vulnerabilities {
        let id = vulnerability.cve.clone().or_else(|| {
            vulnerability
                .ids
                .iter()
                .find_map(|other| other.text.parse::<VulnerabilityId>().ok())
        });
        for (status, products) in &vulnerability.product_status {
            for product_id in products {
                let Some(product) = advisory.products.get(product_id) else {
                    continue;
                };
                let justification = vulnerability
                    .flags
                    .iter()
                    .find(|flag| flag.product_ids.iter().any(|id| id == product_id))
                    .map(|flag| flag.label.clone());
                let identification = &product.identification;
                let helpers = identification
                    .purls
                    .iter()
                    .cloned()
                    .map(Helper::Purl)
                    .chain(identification.cpes.iter().cloned().map(Helper::Cpe))
                    .chain(
                        identification
                            .hashes
                            .iter()
                            .map(|hash| Helper::Hash(FileHash::new(&hash.algorithm, &hash.value))),
                    );
                for helper in helpers {
                    out.push(CsafStatement {
                        vulnerability: id.clone(),
                        status: *status,
                        product: product_id.clone(),
                        product_name: product.name.clone(),
                        helper,
                        justification: justification.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(statement: &str, component: &str, expected: bool) {
        let statement: Purl = statement.parse().unwrap();
        let component: Purl = component.parse().unwrap();
        assert_eq!(
            purl_names(&statement, &component),
            expected,
            "{statement} names {component}"
        );
    }

    #[test]
    fn purls() {
        check(
            "pkg:rpm/redhat/gnutls?arch=src",
            "pkg:rpm/redhat/gnutls@3.7.6-18.el9_2?arch=x86_64",
            true,
        );
        check(
            "pkg:rpm/redhat/gnutls-dane@3.7.6-21.el9_2.3?arch=aarch64",
            "pkg:rpm/redhat/gnutls-dane@3.7.6-21.el9_2.3?arch=x86_64",
            false,
        );
        check(
            "pkg:rpm/redhat/gnutls-dane@3.7.6-21.el9_2.3?arch=aarch64",
            "pkg:rpm/redhat/gnutls-dane@3.7.6-21.el9_2.3",
            true,
        );
        check(
            "pkg:rpm/redhat/tomcat@9.0.62-27.el8_9?arch=src&epoch=1",
            "pkg:rpm/redhat/tomcat@1:9.0.62-27.el8_9?arch=noarch",
            true,
        );
        check(
            "pkg:maven/org.mongodb/bson@4.7.2?type=jar",
            "pkg:maven/org.mongodb/bson@4.7.2",
            true,
        );
        check(
            "pkg:maven/org.mongodb/bson@4.7.2",
            "pkg:maven/org.mongodb/bson@4.7.3",
            false,
        );
        check(
            "pkg:maven/org.mongodb/bson@4.7.2",
            "pkg:maven/org.mongodb/bson-x@4.7.2",
            false,
        );
        check(
            "pkg:maven/org.mongodb/bson@4.7.2",
            "pkg:maven/org.mongodb/bson",
            false,
        );
    }
}
