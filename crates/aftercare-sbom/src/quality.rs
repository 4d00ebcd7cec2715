//! SBOM quality against the NTIA minimum elements and the FDA's two extra fields.
//!
//! Every component counts, the subject included: NTIA asks the minimum elements of each
//! component, and the subject is the device software whose supplier, version and support
//! the FDA asks about first.
//!
//! What each element requires:
//!
//! | element | a component has it when |
//! | --- | --- |
//! | supplier | [`Component::supplier`] is set (CycloneDX `supplier`, else `publisher`; SPDX `supplier`) |
//! | component name | the name is not empty |
//! | version | a version is set |
//! | unique identifier | a package URL, a CPE or a SWID tag id |
//! | dependency relationship | the component is an end of at least one edge of the graph, or is nested in another component (nesting states containment), or is the only component |
//! | level of support (FDA) | [`Component::level_of_support`] is set |
//! | end-of-support date (FDA) | [`Component::end_of_support`] is set |
//!
//! Document-level elements count the document once: author of SBOM data
//! ([`Sbom::authors`] not empty) and timestamp ([`Sbom::created`] set).
//!
//! An SBOM passes a [`Requirement`] when every element of it is complete and it lists at
//! least one component: an SBOM that lists nothing documents nothing.

use std::collections::HashSet;

use crate::model::{Component, Sbom};

/// One element of the NTIA minimum elements or of the FDA's additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    /// NTIA: supplier name.
    Supplier,
    /// NTIA: component name.
    Name,
    /// NTIA: version of the component.
    Version,
    /// NTIA: other unique identifiers (purl, CPE or SWID).
    UniqueIdentifier,
    /// NTIA: dependency relationship.
    DependencyRelationship,
    /// NTIA: author of SBOM data (document level).
    Author,
    /// NTIA: timestamp (document level).
    Timestamp,
    /// FDA: level of support.
    LevelOfSupport,
    /// FDA: end-of-support date.
    EndOfSupport,
}

impl Element {
    /// The NTIA minimum elements, in the order NTIA lists them.
    pub const NTIA: [Element; 7] = [
        Element::Supplier,
        Element::Name,
        Element::Version,
        Element::UniqueIdentifier,
        Element::DependencyRelationship,
        Element::Author,
        Element::Timestamp,
    ];

    /// The FDA's additions to the NTIA elements.
    pub const FDA: [Element; 2] = [Element::LevelOfSupport, Element::EndOfSupport];

    /// A short label, lowercase with dashes.
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Supplier => "supplier",
            Element::Name => "name",
            Element::Version => "version",
            Element::UniqueIdentifier => "unique-identifier",
            Element::DependencyRelationship => "dependency-relationship",
            Element::Author => "author",
            Element::Timestamp => "timestamp",
            Element::LevelOfSupport => "level-of-support",
            Element::EndOfSupport => "end-of-support",
        }
    }

    /// Whether the element is about the document rather than each component.
    pub fn is_document_level(self) -> bool {
        matches!(self, Element::Author | Element::Timestamp)
    }
}

/// A set of elements an SBOM can be checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// The NTIA minimum elements.
    Ntia,
    /// The NTIA minimum elements plus level of support and end-of-support date, as the
    /// FDA's premarket cybersecurity guidance asks.
    Fda,
}

impl Requirement {
    /// The elements of the requirement.
    pub fn elements(self) -> &'static [Element] {
        const ALL: [Element; 9] = [
            Element::Supplier,
            Element::Name,
            Element::Version,
            Element::UniqueIdentifier,
            Element::DependencyRelationship,
            Element::Author,
            Element::Timestamp,
            Element::LevelOfSupport,
            Element::EndOfSupport,
        ];
        match self {
            Requirement::Ntia => &Element::NTIA,
            Requirement::Fda => &ALL,
        }
    }
}

/// How well one element is covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The element.
    pub element: Element,
    /// How many have it: components, or for a document-level element 0 or 1.
    pub with: usize,
    /// How many were checked: the components, or 1 for a document-level element.
    pub total: usize,
    /// The references of the components that lack it (empty for document-level elements).
    pub missing: Vec<String>,
}

impl Coverage {
    /// `with / total`, 1.0 when there is nothing to check.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.with as f64 / self.total as f64
        }
    }

    /// Whether every component (or the document) has the element.
    pub fn is_complete(&self) -> bool {
        self.with == self.total
    }
}

/// The quality of one SBOM.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    /// How many components were checked.
    pub components: usize,
    /// The coverage of every element, NTIA's first, then the FDA's.
    pub coverage: Vec<Coverage>,
}

impl QualityReport {
    /// The coverage of one element.
    pub fn coverage(&self, element: Element) -> Option<&Coverage> {
        self.coverage
            .iter()
            .find(|coverage| coverage.element == element)
    }

    /// The elements of a requirement that are not complete.
    pub fn failures(&self, requirement: Requirement) -> Vec<Element> {
        requirement
            .elements()
            .iter()
            .copied()
            .filter(|element| {
                self.coverage(*element)
                    .is_none_or(|coverage| !coverage.is_complete())
            })
            .collect()
    }

    /// Whether the SBOM meets a requirement: at least one component, every element
    /// complete.
    pub fn passes(&self, requirement: Requirement) -> bool {
        self.components > 0 && self.failures(requirement).is_empty()
    }
}

/// Checks an SBOM against the NTIA minimum elements and the FDA fields.
pub fn quality(sbom: &Sbom) -> QualityReport {
    let mut in_graph: HashSet<usize> = HashSet::new();
    for dependency in &sbom.dependencies {
        in_graph.insert(dependency.from);
        in_graph.insert(dependency.to);
    }
    let only_one = sbom.components.len() == 1;
    let per_component = |element: Element, has: &dyn Fn(usize, &Component) -> bool| {
        let missing: Vec<String> = sbom
            .components
            .iter()
            .enumerate()
            .filter(|(index, component)| !has(*index, component))
            .map(|(_, component)| component.reference.clone())
            .collect();
        Coverage {
            element,
            with: sbom.components.len() - missing.len(),
            total: sbom.components.len(),
            missing,
        }
    };
    let document = |element: Element, has: bool| Coverage {
        element,
        with: usize::from(has),
        total: 1,
        missing: Vec::new(),
    };
    let coverage = vec![
        per_component(Element::Supplier, &|_, component| {
            component.supplier.is_some()
        }),
        per_component(Element::Name, &|_, component| {
            !component.name.trim().is_empty()
        }),
        per_component(Element::Version, &|_, component| {
            component.version.is_some()
        }),
        per_component(Element::UniqueIdentifier, &|_, component| {
            component.purl.is_some() || !component.cpes.is_empty() || component.swid.is_some()
        }),
        per_component(Element::DependencyRelationship, &|index, component| {
            in_graph.contains(&index) || component.parent.is_some() || only_one
        }),
        document(Element::Author, !sbom.authors.is_empty()),
        document(Element::Timestamp, sbom.created.is_some()),
        per_component(Element::LevelOfSupport, &|_, component| {
            component.level_of_support.is_some()
        }),
        per_component(Element::EndOfSupport, &|_, component| {
            component.end_of_support.is_some()
        }),
    ];
    QualityReport {
        components: sbom.components.len(),
        coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dependency, Encoding, Format};

    fn sbom(components: Vec<Component>, dependencies: Vec<Dependency>) -> Sbom {
        Sbom {
            format: Format::CycloneDx,
            encoding: Encoding::Json,
            spec_version: "1.6".to_string(),
            serial_number: None,
            name: None,
            created: Some("2024-01-01T00:00:00Z".to_string()),
            authors: vec!["Acme".to_string()],
            tools: Vec::new(),
            subject: Some(0),
            components,
            dependencies,
        }
    }

    fn complete(reference: &str) -> Component {
        let mut component = Component::new(reference, reference);
        component.version = Some("1.0".to_string());
        component.supplier = Some("Acme".to_string());
        component.purl = format!("pkg:generic/{reference}@1.0").parse().ok();
        component.level_of_support = Some("supported".to_string());
        component.end_of_support = Some("2030-01-01".to_string());
        component
    }

    fn check(report: &QualityReport, element: Element, with: usize, missing: &[&str]) {
        let coverage = report.coverage(element).unwrap();
        assert_eq!(coverage.with, with, "{element:?}");
        assert_eq!(coverage.missing, missing, "{element:?}");
    }

    #[test]
    fn complete_sbom_passes_both() {
        let report = quality(&sbom(
            vec![complete("app"), complete("lib")],
            vec![Dependency { from: 0, to: 1 }],
        ));
        assert!(report.passes(Requirement::Ntia));
        assert!(report.passes(Requirement::Fda));
        assert_eq!(report.coverage.len(), 9);
    }

    #[test]
    fn missing_elements_name_the_components() {
        let mut lib = complete("lib");
        lib.supplier = None;
        lib.purl = None;
        lib.level_of_support = None;
        let mut nested = complete("nested");
        nested.parent = Some(1);
        nested.end_of_support = None;
        let orphan = complete("orphan");
        let mut document = sbom(
            vec![complete("app"), lib, nested, orphan],
            vec![Dependency { from: 0, to: 1 }],
        );
        document.authors.clear();
        let report = quality(&document);
        check(&report, Element::Supplier, 3, &["lib"]);
        check(&report, Element::UniqueIdentifier, 3, &["lib"]);
        check(&report, Element::DependencyRelationship, 3, &["orphan"]);
        check(&report, Element::Author, 0, &[]);
        check(&report, Element::Timestamp, 1, &[]);
        check(&report, Element::LevelOfSupport, 3, &["lib"]);
        check(&report, Element::EndOfSupport, 3, &["nested"]);
        assert_eq!(
            report.failures(Requirement::Ntia),
            [
                Element::Supplier,
                Element::UniqueIdentifier,
                Element::DependencyRelationship,
                Element::Author
            ]
        );
        assert!(!report.passes(Requirement::Ntia));
    }

    #[test]
    fn a_cpe_or_swid_is_an_identifier_too() {
        let mut by_cpe = complete("a");
        by_cpe.purl = None;
        by_cpe
            .cpes
            .push("cpe:2.3:a:acme:a:1.0:*:*:*:*:*:*:*".parse().unwrap());
        let mut by_swid = complete("b");
        by_swid.purl = None;
        by_swid.swid = Some("swidgen-1".to_string());
        let report = quality(&sbom(
            vec![by_cpe, by_swid],
            vec![Dependency { from: 0, to: 1 }],
        ));
        check(&report, Element::UniqueIdentifier, 2, &[]);
    }

    #[test]
    fn empty_and_single_component_sboms() {
        let empty = quality(&sbom(Vec::new(), Vec::new()));
        assert!(!empty.passes(Requirement::Ntia));
        assert_eq!(empty.coverage(Element::Supplier).unwrap().ratio(), 1.0);
        let single = quality(&sbom(vec![complete("app")], Vec::new()));
        assert!(single.passes(Requirement::Fda));
    }

    #[test]
    fn fda_needs_the_support_fields() {
        let mut lib = complete("lib");
        lib.end_of_support = None;
        let report = quality(&sbom(
            vec![complete("app"), lib],
            vec![Dependency { from: 0, to: 1 }],
        ));
        assert!(report.passes(Requirement::Ntia));
        assert!(!report.passes(Requirement::Fda));
        assert_eq!(report.failures(Requirement::Fda), [Element::EndOfSupport]);
    }
}
