//! Turning the components and edges a reader found into a consistent normalized SBOM:
//! unique references, duplicates resolved, dangling edges reported, and `direct` derived
//! from the graph. Every reader (CycloneDX JSON/XML, SPDX JSON/tag-value/JSON-LD) goes
//! through here, so these rules hold whatever the format.

use std::collections::{HashMap, VecDeque};

use crate::model::{Component, Dependency, Warning};

/// The components, edges and warnings of a document being read.
#[derive(Debug, Default)]
pub(crate) struct Assembly {
    components: Vec<Component>,
    /// Where each component was read, for messages about it.
    locations: Vec<String>,
    by_reference: HashMap<String, usize>,
    /// Edges as added, repeats included; sorted and deduplicated when assembling.
    edges: Vec<Dependency>,
    subject: Option<usize>,
    warnings: Vec<Warning>,
    /// Repetitions of a component under its own reference with the same name, version and
    /// purl: harmless, so reported once in total (first location, count).
    identical_repeats: Option<(String, usize)>,
    /// References that name nothing, in the order first met: (reference, first location,
    /// message, how many edges name it). One warning each, not one per edge.
    dangling: Vec<(String, String, String, usize)>,
    dangling_index: HashMap<String, usize>,
}

/// What became of a component handed to [`Assembly::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    /// A new component at this index.
    New(usize),
    /// The subject repeated in the component list under its own reference (a common
    /// generator habit, Red Hat's for one): its fields filled the subject's gaps.
    Merged(usize),
    /// A repetition of an identical component (same reference, name, version and purl):
    /// dropped; the index is the first one's.
    Repeated(usize),
    /// A different component under a reference already taken: kept at this index under a
    /// new reference (`<reference>#2`), with a warning. Dropping it would hide a real
    /// component from vulnerability matching; edges naming the reference go to the first.
    Renamed(usize),
}

impl Added {
    /// The index of the component that now stands for the one added.
    pub(crate) fn index(self) -> usize {
        match self {
            Added::New(index)
            | Added::Merged(index)
            | Added::Repeated(index)
            | Added::Renamed(index) => index,
        }
    }
}

/// The assembled result.
#[derive(Debug)]
pub(crate) struct Assembled {
    pub(crate) components: Vec<Component>,
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) subject: Option<usize>,
    pub(crate) warnings: Vec<Warning>,
}

impl Assembly {
    /// Records a warning.
    pub(crate) fn warn(
        &mut self,
        location: impl Into<String>,
        reference: Option<&str>,
        message: impl Into<String>,
    ) {
        self.warnings.push(Warning {
            location: location.into(),
            reference: reference.map(str::to_string),
            message: message.into(),
        });
    }

    /// The warnings so far (readers add their own before assembling).
    pub(crate) fn warnings_mut(&mut self) -> &mut Vec<Warning> {
        &mut self.warnings
    }

    /// Adds a component. An empty `reference` means the document gave none; one is
    /// synthesized when assembling.
    pub(crate) fn add(&mut self, mut component: Component, location: &str) -> Added {
        let mut renamed = false;
        if !component.reference.is_empty()
            && let Some(&first) = self.by_reference.get(&component.reference)
        {
            if Some(first) == self.subject {
                fill_gaps(&mut self.components[first], component);
                return Added::Merged(first);
            }
            let kept = &self.components[first];
            if kept.name == component.name
                && kept.version == component.version
                && kept.purl == component.purl
            {
                match &mut self.identical_repeats {
                    Some((_, count)) => *count += 1,
                    None => self.identical_repeats = Some((location.to_string(), 1)),
                }
                return Added::Repeated(first);
            }
            let original = component.reference.clone();
            let mut suffix = 2;
            while self
                .by_reference
                .contains_key(&format!("{original}#{suffix}"))
            {
                suffix += 1;
            }
            component.reference = format!("{original}#{suffix}");
            let message = format!(
                "duplicate reference {original:?} ({}{}), first used at {} by a different component; kept as {:?}, and relationships naming {original:?} go to the first",
                component.name,
                component
                    .version
                    .as_deref()
                    .map(|version| format!(" {version}"))
                    .unwrap_or_default(),
                self.locations[first],
                component.reference,
            );
            self.warn(location, Some(&original), message);
            renamed = true;
        }
        let index = self.components.len();
        if !component.reference.is_empty() {
            self.by_reference.insert(component.reference.clone(), index);
        }
        self.components.push(component);
        self.locations.push(location.to_string());
        if renamed {
            Added::Renamed(index)
        } else {
            Added::New(index)
        }
    }

    /// Records an edge end that names nothing in the document; all edges naming the same
    /// reference make one warning.
    pub(crate) fn dangling(&mut self, reference: &str, location: &str, message: String) {
        match self.dangling_index.get(reference) {
            Some(&index) => self.dangling[index].3 += 1,
            None => {
                self.dangling_index
                    .insert(reference.to_string(), self.dangling.len());
                self.dangling
                    .push((reference.to_string(), location.to_string(), message, 1));
            }
        }
    }

    /// Marks a component as the subject of the SBOM.
    pub(crate) fn set_subject(&mut self, index: usize) {
        self.subject = Some(index);
    }

    /// The component with this reference.
    pub(crate) fn lookup(&self, reference: &str) -> Option<usize> {
        self.by_reference.get(reference).copied()
    }

    /// The components so far.
    pub(crate) fn components(&self) -> &[Component] {
        &self.components
    }

    /// A component, to fill fields read after it was added.
    pub(crate) fn component_mut(&mut self, index: usize) -> Option<&mut Component> {
        self.components.get_mut(index)
    }

    /// Adds an edge `from` depends on `to`; repeats and self-edges are dropped (a component
    /// depending on itself says nothing).
    pub(crate) fn edge(&mut self, from: usize, to: usize) {
        if from != to {
            self.edges.push(Dependency { from, to });
        }
    }

    /// Makes room for this many more components.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.components.reserve(additional);
        self.locations.reserve(additional);
        self.by_reference.reserve(additional);
    }

    /// Synthesizes the missing references, derives `direct` and hands the result over.
    pub(crate) fn finish(mut self) -> Assembled {
        for index in 0..self.components.len() {
            if self.components[index].reference.is_empty() {
                let mut reference = format!("component-{index}");
                let mut suffix = 1;
                while self.by_reference.contains_key(&reference) {
                    suffix += 1;
                    reference = format!("component-{index}-{suffix}");
                }
                self.by_reference.insert(reference.clone(), index);
                self.components[index].reference = reference;
            }
        }
        if let Some((location, count)) = self.identical_repeats.take() {
            self.warn(
                location,
                None,
                format!(
                    "{count} component(s) repeat the reference of an identical component (same name, version and package URL); the repetitions are dropped"
                ),
            );
        }
        for (reference, location, message, count) in std::mem::take(&mut self.dangling) {
            let message = if count > 1 {
                format!("{message} ({count} edges name it)")
            } else {
                message
            };
            self.warn(location, Some(&reference), message);
        }
        // Sorting orders the graph by component (the order the document listed them) and
        // makes repeats adjacent; cheaper than hashing every edge as it comes.
        self.edges.sort_unstable();
        self.edges.dedup();
        derive_direct(&mut self.components, &self.edges, self.subject);
        Assembled {
            components: self.components,
            dependencies: self.edges,
            subject: self.subject,
            warnings: self.warnings,
        }
    }
}

/// Fills the subject's empty fields from its repetition in the component list.
fn fill_gaps(target: &mut Component, source: Component) {
    if target.name.is_empty() {
        target.name = source.name;
    }
    fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
        if slot.is_none() {
            *slot = value;
        }
    }
    fill(&mut target.group, source.group);
    fill(&mut target.version, source.version);
    fill(&mut target.purl, source.purl);
    fill(&mut target.swid, source.swid);
    fill(&mut target.supplier, source.supplier);
    fill(&mut target.author, source.author);
    fill(&mut target.licenses, source.licenses);
    fill(&mut target.scope, source.scope);
    fill(&mut target.level_of_support, source.level_of_support);
    fill(&mut target.end_of_support, source.end_of_support);
    if target.cpes.is_empty() {
        target.cpes = source.cpes;
    }
    if target.hashes.is_empty() {
        target.hashes = source.hashes;
    }
}

/// Components the subject depends on directly are direct; others it reaches are
/// transitive; the subject itself and components it does not reach stay `None` (the graph
/// says nothing about them). Cycles are fine: each component is visited once, at its
/// shortest distance.
fn derive_direct(components: &mut [Component], edges: &[Dependency], subject: Option<usize>) {
    let Some(subject) = subject else {
        return;
    };
    if edges.is_empty() {
        return;
    }
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
    for edge in edges {
        outgoing[edge.from].push(edge.to);
    }
    let mut distance: Vec<Option<u32>> = vec![None; components.len()];
    distance[subject] = Some(0);
    let mut queue = VecDeque::from([subject]);
    while let Some(current) = queue.pop_front() {
        let next = distance[current].unwrap_or(0) + 1;
        for &to in &outgoing[current] {
            if distance[to].is_none() {
                distance[to] = Some(next);
                queue.push_back(to);
            }
        }
    }
    for (index, component) in components.iter_mut().enumerate() {
        component.direct = match distance[index] {
            Some(0) | None => None,
            Some(1) => Some(true),
            Some(_) => Some(false),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(reference: &str) -> Component {
        Component::new(reference, reference.to_uppercase())
    }

    /// Builds an assembly from references ("" for none), a subject and edges by index, and
    /// checks the references and `direct` flags.
    fn check(
        references: &[&str],
        subject: Option<usize>,
        edges: &[(usize, usize)],
        expected_references: &[&str],
        expected_direct: &[Option<bool>],
    ) {
        let mut assembly = Assembly::default();
        for (index, reference) in references.iter().enumerate() {
            assembly.add(component(reference), &format!("components[{index}]"));
        }
        if let Some(subject) = subject {
            assembly.set_subject(subject);
        }
        for &(from, to) in edges {
            assembly.edge(from, to);
        }
        let assembled = assembly.finish();
        let references: Vec<&str> = assembled
            .components
            .iter()
            .map(|component| component.reference.as_str())
            .collect();
        assert_eq!(references, expected_references);
        let direct: Vec<Option<bool>> = assembled.components.iter().map(|c| c.direct).collect();
        assert_eq!(direct, expected_direct);
    }

    #[test]
    fn direct_follows_the_graph_from_the_subject() {
        // app → a → b; c unreachable.
        check(
            &["app", "a", "b", "c"],
            Some(0),
            &[(0, 1), (1, 2)],
            &["app", "a", "b", "c"],
            &[None, Some(true), Some(false), None],
        );
        // A component reachable both directly and through another is direct.
        check(
            &["app", "a", "b"],
            Some(0),
            &[(0, 1), (1, 2), (0, 2)],
            &["app", "a", "b"],
            &[None, Some(true), Some(true)],
        );
        // Cycles terminate.
        check(
            &["a", "b", "c"],
            Some(0),
            &[(0, 1), (1, 2), (2, 0)],
            &["a", "b", "c"],
            &[None, Some(true), Some(false)],
        );
        // No subject or no graph: the graph says nothing.
        check(&["a", "b"], None, &[(0, 1)], &["a", "b"], &[None, None]);
        check(&["a", "b"], Some(0), &[], &["a", "b"], &[None, None]);
    }

    #[test]
    fn missing_references_are_synthesized_without_collisions() {
        check(
            &["", "component-0", ""],
            None,
            &[],
            &["component-0-2", "component-0", "component-2"],
            &[None, None, None],
        );
    }

    #[test]
    fn duplicates_keep_the_first_and_the_subject_absorbs_its_repetition() {
        let mut assembly = Assembly::default();
        let mut subject = component("app");
        subject.version = None;
        assert_eq!(assembly.add(subject, "metadata.component"), Added::New(0));
        assembly.set_subject(0);
        assert_eq!(assembly.add(component("a"), "components[0]"), Added::New(1));
        let mut repeated = component("app");
        repeated.version = Some("1.0".to_string());
        assert_eq!(assembly.add(repeated, "components[1]"), Added::Merged(0));
        let mut different = component("a");
        different.version = Some("2.0".to_string());
        assert_eq!(assembly.add(different, "components[2]"), Added::Renamed(2));
        assert_eq!(
            assembly.add(component("a"), "components[3]"),
            Added::Repeated(1)
        );
        assert_eq!(
            assembly.add(component("a"), "components[4]"),
            Added::Repeated(1)
        );
        assert_eq!(assembly.lookup("a"), Some(1));
        let assembled = assembly.finish();
        let references: Vec<&str> = assembled
            .components
            .iter()
            .map(|c| c.reference.as_str())
            .collect();
        assert_eq!(references, ["app", "a", "a#2"]);
        assert_eq!(assembled.components[0].version.as_deref(), Some("1.0"));
        assert_eq!(assembled.warnings.len(), 2, "{:#?}", assembled.warnings);
        let warning = &assembled.warnings[0];
        assert_eq!(warning.location, "components[2]");
        assert_eq!(warning.reference.as_deref(), Some("a"));
        assert!(
            warning.message.contains(
                "(A 2.0), first used at components[0] by a different component; kept as \"a#2\""
            ),
            "{warning}"
        );
        let summary = &assembled.warnings[1];
        assert_eq!(summary.location, "components[3]");
        assert!(
            summary.message.starts_with("2 component(s) repeat"),
            "{summary}"
        );
    }

    #[test]
    fn dangling_references_make_one_warning_each() {
        let mut assembly = Assembly::default();
        assembly.dangling("x", "dependencies[0]", "x names nothing".to_string());
        assembly.dangling("y", "dependencies[1]", "y names nothing".to_string());
        assembly.dangling("x", "dependencies[2]", "x names nothing".to_string());
        let warnings = assembly.finish().warnings;
        let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "dependencies[0] (x): x names nothing (2 edges name it)",
                "dependencies[1] (y): y names nothing"
            ]
        );
    }

    #[test]
    fn repeated_and_self_edges_are_dropped() {
        let mut assembly = Assembly::default();
        assembly.add(component("a"), "x");
        assembly.add(component("b"), "y");
        assembly.edge(0, 1);
        assembly.edge(0, 1);
        assembly.edge(1, 1);
        assert_eq!(
            assembly.finish().dependencies,
            vec![Dependency { from: 0, to: 1 }]
        );
    }
}
