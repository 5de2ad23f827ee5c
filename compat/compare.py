"""Compare a provider's test outcomes on Qiskit's base with its outcomes rebased on jobv1.

Usage: ``python compare.py BASELINE.xml REBASED.xml [REBASED.xml ...]`` (JUnit XML from
pytest). Exits non-zero, naming the tests, if any outcome differs from the baseline's,
or if the baseline ran no test.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter


def outcomes(path: str) -> dict[str, str]:
    """Each test's outcome: passed, failed, error or skipped."""
    found = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(
            min(kinds) if kinds else "", "passed"
        )
        found[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return found


def main(baseline_path: str, *rebased_paths: str) -> int:
    """Print each run's outcomes and what differs from the baseline; 1 if anything does."""
    baseline = outcomes(baseline_path)
    if not baseline:
        print(f"{baseline_path}: no test ran")
        return 1
    print(f"on Qiskit's base: {dict(sorted(Counter(baseline.values()).items()))}")
    status = 0
    for path in rebased_paths:
        rebased = outcomes(path)
        differ = sorted(
            f"  {name}: {baseline.get(name, 'absent')} on Qiskit, "
            f"{rebased.get(name, 'absent')} here"
            for name in baseline.keys() | rebased.keys()
            if baseline.get(name) != rebased.get(name)
        )
        summary = dict(sorted(Counter(rebased.values()).items()))
        print(f"{path}: {summary}, {len(differ)} outcome(s) differ from Qiskit's base")
        for line in differ:
            print(line)
        status = status or (1 if differ else 0)
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
