#!/usr/bin/env python3
"""Generates vectors.tsv: random CVSS vectors scored by an independent calculator.

Calculator: Red Hat Product Security's `cvss` package from PyPI (RedHatProductSecurity/cvss),
version 3.6, which implements CVSS v2 (cvss2.py, exact Decimal arithmetic), v3.0 and v3.1
(cvss3.py, Decimal arithmetic) and v4.0 (cvss4.py, a port of FIRST's reference calculator).
It shares no code with aftercare-cvss.

    python3 -m venv /tmp/cvssvenv && /tmp/cvssvenv/bin/pip install cvss==3.6
    /tmp/cvssvenv/bin/python crates/aftercare-cvss/tests/data/generate.py

The output is deterministic (fixed seed). Columns, tab-separated:
    vector          as generated (metrics in canonical order, or shuffled for some)
    base            base score (v4: CVSS-B, the vector without threat and environmental metrics)
    temporal        v2/v3 temporal score, v4 threat score (CVSS-BT); "-" when no such metric is
                    defined
    environmental   environmental score (v4: CVSS-BE/BTE); "-" when no such metric is defined
    severity        the calculator's rating of the most specific score
"""

import random
import sys

import cvss
from cvss import CVSS2, CVSS3, CVSS4

SEED = 20240601
PER_VERSION = {"2.0": 100, "3.0": 100, "3.1": 100, "4.0": 150}
# Share of vectors whose metrics are shuffled, to exercise any-order parsing.
SHUFFLED = 0.1

# (metric, values, group); the Not Defined value is added for non-base groups.
V2 = [
    ("AV", ["L", "A", "N"], "base"),
    ("AC", ["H", "M", "L"], "base"),
    ("Au", ["M", "S", "N"], "base"),
    ("C", ["N", "P", "C"], "base"),
    ("I", ["N", "P", "C"], "base"),
    ("A", ["N", "P", "C"], "base"),
    ("E", ["U", "POC", "F", "H"], "temporal"),
    ("RL", ["OF", "TF", "W", "U"], "temporal"),
    ("RC", ["UC", "UR", "C"], "temporal"),
    ("CDP", ["N", "L", "LM", "MH", "H"], "environmental"),
    ("TD", ["N", "L", "M", "H"], "environmental"),
    ("CR", ["L", "M", "H"], "environmental"),
    ("IR", ["L", "M", "H"], "environmental"),
    ("AR", ["L", "M", "H"], "environmental"),
]
V3 = [
    ("AV", ["N", "A", "L", "P"], "base"),
    ("AC", ["L", "H"], "base"),
    ("PR", ["N", "L", "H"], "base"),
    ("UI", ["N", "R"], "base"),
    ("S", ["U", "C"], "base"),
    ("C", ["H", "L", "N"], "base"),
    ("I", ["H", "L", "N"], "base"),
    ("A", ["H", "L", "N"], "base"),
    ("E", ["U", "P", "F", "H"], "temporal"),
    ("RL", ["O", "T", "W", "U"], "temporal"),
    ("RC", ["U", "R", "C"], "temporal"),
    ("CR", ["L", "M", "H"], "environmental"),
    ("IR", ["L", "M", "H"], "environmental"),
    ("AR", ["L", "M", "H"], "environmental"),
    ("MAV", ["N", "A", "L", "P"], "environmental"),
    ("MAC", ["L", "H"], "environmental"),
    ("MPR", ["N", "L", "H"], "environmental"),
    ("MUI", ["N", "R"], "environmental"),
    ("MS", ["U", "C"], "environmental"),
    ("MC", ["H", "L", "N"], "environmental"),
    ("MI", ["H", "L", "N"], "environmental"),
    ("MA", ["H", "L", "N"], "environmental"),
]
V4 = [
    ("AV", ["N", "A", "L", "P"], "base"),
    ("AC", ["L", "H"], "base"),
    ("AT", ["N", "P"], "base"),
    ("PR", ["N", "L", "H"], "base"),
    ("UI", ["N", "P", "A"], "base"),
    ("VC", ["H", "L", "N"], "base"),
    ("VI", ["H", "L", "N"], "base"),
    ("VA", ["H", "L", "N"], "base"),
    ("SC", ["H", "L", "N"], "base"),
    ("SI", ["H", "L", "N"], "base"),
    ("SA", ["H", "L", "N"], "base"),
    ("E", ["A", "P", "U"], "temporal"),
    ("CR", ["H", "M", "L"], "environmental"),
    ("IR", ["H", "M", "L"], "environmental"),
    ("AR", ["H", "M", "L"], "environmental"),
    ("MAV", ["N", "A", "L", "P"], "environmental"),
    ("MAC", ["L", "H"], "environmental"),
    ("MAT", ["N", "P"], "environmental"),
    ("MPR", ["N", "L", "H"], "environmental"),
    ("MUI", ["N", "P", "A"], "environmental"),
    ("MVC", ["H", "L", "N"], "environmental"),
    ("MVI", ["H", "L", "N"], "environmental"),
    ("MVA", ["H", "L", "N"], "environmental"),
    ("MSC", ["H", "L", "N"], "environmental"),
    ("MSI", ["S", "H", "L", "N"], "environmental"),
    ("MSA", ["S", "H", "L", "N"], "environmental"),
    ("S", ["N", "P"], "supplemental"),
    ("AU", ["N", "Y"], "supplemental"),
    ("R", ["A", "U", "I"], "supplemental"),
    ("V", ["D", "C"], "supplemental"),
    ("RE", ["L", "M", "H"], "supplemental"),
    ("U", ["Clear", "Green", "Amber", "Red"], "supplemental"),
]


# Vectors found by an exploratory run (`generate.py 100`, 45 000 vectors) where a plain
# floating-point ceiling, as in the v3.0 reference calculator and the Rust `cvss` crate, scores
# 0.1 too high: exact tenths such as 5.0 x 0.92 = 4.6 land one ulp above themselves.
REGRESSION_V3_0 = [
    "CVSS:3.0/AV:P/AC:H/PR:L/UI:R/S:C/C:H/I:H/A:L/RL:U/RC:U/CR:L/IR:L/AR:L/MUI:N/MC:N/MI:N/MA:H",
    "CVSS:3.0/AV:L/AC:L/PR:L/UI:R/S:U/C:N/I:N/A:H/RC:U",
    "CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N/E:H/RC:U/CR:L/IR:L/MAV:X/MAC:L/MPR:L/MS:U/MC:N/MI:H",
    "CVSS:3.0/AC:L/MS:U/MAC:L/C:H/AV:N/I:N/MA:X/RC:U/MI:H/A:L/CR:L/MAV:P/IR:X/PR:L/MUI:X/UI:R/S:C/E:H/MC:L",
    "CVSS:3.0/AV:L/AC:H/PR:H/UI:N/S:C/C:N/I:N/A:N/E:H/RC:U/CR:L/IR:H/AR:M/MAV:N/MAC:H/MUI:R/MS:C/MC:H/MI:L",
    "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L/E:X/RC:U",
    "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:L/A:N/E:H/RC:U",
    "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:H/A:H/RL:U/RC:U/CR:H/IR:X/AR:H/MAC:X/MPR:H/MUI:R/MC:N/MA:N",
    "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N/E:H/RC:U",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RL:U/RC:U/CR:H/IR:M/MAC:X/MPR:L/MUI:N/MS:U/MI:L/MA:H",
    "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:H/RC:U/CR:X/IR:L/AR:H/MPR:H/MUI:R/MS:U/MC:N/MI:X/MA:N",
]


def from_vector(vector, table):
    """The (metric, value, group) list of a written vector."""
    groups = {metric: group for metric, _, group in table}
    body = vector.split("/", 1)[1] if vector.startswith("CVSS:") else vector
    return [(metric, value, groups[metric])
            for metric, value in (part.split(":") for part in body.split("/"))]


def random_metrics(rng, table, not_defined):
    """A list of (metric, value, group): every base metric, and each other group with
    probability one half, each of its metrics with probability 0.7, sometimes Not Defined."""
    chosen = []
    groups = {group for _, _, group in table if group != "base"}
    included = {group for group in groups if rng.random() < 0.5}
    for metric, values, group in table:
        if group == "base":
            chosen.append((metric, rng.choice(values), group))
        elif group in included and rng.random() < 0.7:
            value = not_defined if rng.random() < 0.1 else rng.choice(values)
            chosen.append((metric, value, group))
    if rng.random() < SHUFFLED:
        rng.shuffle(chosen)
    return chosen


def defined(metrics, group, not_defined):
    return any(g == group and value != not_defined for _, value, g in metrics)


def join(prefix, metrics):
    body = "/".join(f"{metric}:{value}" for metric, value, _ in metrics)
    return f"{prefix}/{body}" if prefix else body


def score_text(value):
    return "-" if value is None else f"{float(value):.1f}"


def row_v2(metrics):
    vector = join("", metrics)
    calculator = CVSS2(vector)
    base, temporal, environmental = calculator.scores()
    base_severity, temporal_severity, environmental_severity = calculator.severities()
    severity = base_severity
    has_temporal = defined(metrics, "temporal", "ND")
    has_environmental = defined(metrics, "environmental", "ND")
    if has_temporal:
        severity = temporal_severity
    if has_environmental:
        severity = environmental_severity
    return (vector, base, temporal if has_temporal else None,
            environmental if has_environmental else None, severity)


def row_v3(prefix, metrics):
    vector = join(prefix, metrics)
    calculator = CVSS3(vector)
    base, temporal, environmental = calculator.scores()
    base_severity, temporal_severity, environmental_severity = calculator.severities()
    severity = base_severity
    has_temporal = defined(metrics, "temporal", "X")
    has_environmental = defined(metrics, "environmental", "X")
    if has_temporal:
        severity = temporal_severity
    if has_environmental:
        severity = environmental_severity
    return (vector, base, temporal if has_temporal else None,
            environmental if has_environmental else None, severity)


def row_v4(metrics):
    vector = join("CVSS:4.0", metrics)
    full = CVSS4(vector)
    base = CVSS4(join("CVSS:4.0", [m for m in metrics if m[2] == "base"]))
    has_threat = defined(metrics, "temporal", "X")
    has_environmental = defined(metrics, "environmental", "X")
    threat = None
    if has_threat:
        threat = CVSS4(join("CVSS:4.0", [m for m in metrics
                                        if m[2] in ("base", "temporal")])).base_score
    environmental = full.base_score if has_environmental else None
    return (vector, base.base_score, threat, environmental, full.severity)


def main():
    # An optional argument multiplies the counts, for exploratory runs outside the test data.
    if len(sys.argv) > 1:
        factor = int(sys.argv[1])
        for version in PER_VERSION:
            PER_VERSION[version] *= factor
    rng = random.Random(SEED)
    rows = []
    for _ in range(PER_VERSION["2.0"]):
        rows.append(row_v2(random_metrics(rng, V2, "ND")))
    for minor in ("3.0", "3.1"):
        for _ in range(PER_VERSION[minor]):
            rows.append(row_v3(f"CVSS:{minor}", random_metrics(rng, V3, "X")))
    for _ in range(PER_VERSION["4.0"]):
        rows.append(row_v4(random_metrics(rng, V4, "X")))
    for vector in REGRESSION_V3_0:
        rows.append(row_v3("CVSS:3.0", from_vector(vector, V3)))

    out = sys.stdout
    out.write(f"# Generated by generate.py with the PyPI package cvss {cvss.__version__}, seed {SEED}.\n")
    out.write("# vector\tbase\ttemporal_or_threat\tenvironmental\tseverity\n")
    for vector, base, temporal, environmental, severity in rows:
        out.write("\t".join([vector, score_text(base), score_text(temporal),
                             score_text(environmental), severity]) + "\n")


if __name__ == "__main__":
    main()
