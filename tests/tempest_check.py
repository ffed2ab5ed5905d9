"""Compares a tempest run (subunit2csv output) with the expected list.

Usage: tempest_check.py RESULTS.csv EXPECTED.txt

EXPECTED.txt has one line per test that does not pass: its status (fail or
skip), its id (tempest.api.network...Class.test_name, without the [id-...]
tags) and the reason, which docs/tempest.md repeats. '#' starts a comment.
The run fails when a test fails or is skipped without being listed so, or
when a listed test passes (the list must stay true)."""

import csv
import re
import sys
from collections import Counter


def test_id(raw):
    # setUpClass (tempest.api.network.test_ports.PortsTestJSON) stands for
    # the class's tests: tempest ran none of them.
    m = re.match(r"setUpClass \((.*)\)", raw)
    if m:
        return m.group(1)
    return re.sub(r"\[.*\]$", "", raw)


def main(results, expected):
    want = {}
    with open(expected) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in ("fail", "skip"):
                sys.exit(f"{expected}:{n}: want 'fail|skip TEST_ID reason', got {line!r}")
            want[parts[1]] = parts[0]
    got = {}
    with open(results) as f:
        for row in csv.DictReader(f):
            status = {"success": "pass", "xfail": "pass", "skip": "skip"}.get(row["status"], "fail")
            if row["status"] in ("exists", "inprogress"):
                continue
            got[test_id(row["test"])] = status
    counts = Counter(got.values())
    print(f"tempest: {len(got)} tests: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    wrong = []
    for t, s in sorted(got.items()):
        w = want.get(t, "pass")
        if s != w:
            wrong.append(f"  {t}: {s}, expected {w}" + ("" if w == "pass" else f" ({expected})"))
    for t, s in sorted(want.items()):
        if t not in got:
            wrong.append(f"  {t}: not run, expected {s} (remove it from {expected} if tempest dropped it)")
    if wrong:
        print("tempest: results differ from the expected list:\n" + "\n".join(wrong))
        return 1
    print("tempest: every result is the expected one")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
