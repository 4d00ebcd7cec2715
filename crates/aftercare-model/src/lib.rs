//! Domain words shared by every crate: identifiers, package URLs, CPEs, severities and actors.
