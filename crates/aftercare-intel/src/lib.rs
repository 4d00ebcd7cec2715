//! Vulnerability intelligence readers (OSV, NVD, CVE 5, KEV, EPSS, CSAF) and the alias merge.
