//! SBOM readers (CycloneDX, SPDX), the normalized SBOM, its quality check and the diff of two SBOMs.
