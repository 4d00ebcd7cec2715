//! Matching components to vulnerability records: OSV ranges, CPE configurations, CSAF product status.
