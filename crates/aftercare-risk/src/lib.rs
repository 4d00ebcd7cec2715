//! Triage and risk: assessments, exploitability, patient harm, the FDA determination, policies and regulatory clocks.
