#!/usr/bin/env python3
"""Sums the test results of every TRX file in a folder and prints one line: N passed, N failed, N skipped.

Usage: trx-summary.py RESULTS_DIR [--expected-files N] [--test-exit-code RC]

--expected-files N: how many TRX files there should be (one per test project); each missing one is a failure.
--test-exit-code RC: the exit code of `dotnet test`; non-zero with no failure in any TRX file adds one failure.
Exits 1 when anything failed, else 0.
The reasons for skipped tests (with how many each) and the failed tests are listed above the summary line. Counts come from each file's <Counters> element (errors,
timeouts and aborts count as failed); skipped tests are the results whose outcome is NotExecuted. A file that
does not parse, or a run that ended aborted, counts as a failure.
"""
import argparse
import glob
import os
import sys
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--expected-files", type=int, default=0)
    parser.add_argument("--test-exit-code", type=int, default=0)
    args = parser.parse_args()
    folder, expected = args.folder, args.expected_files
    passed = failed = skipped = 0
    failures = []
    skip_reasons = {}
    files = sorted(glob.glob(os.path.join(folder, "**", "*.trx"), recursive=True))
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as error:
            failed += 1
            failures.append(f"{os.path.basename(path)}: unreadable TRX file ({error})")
            continue
        counters = next((e for e in root.iter() if local(e.tag) == "Counters"), None)
        if counters is None:
            failed += 1
            failures.append(f"{os.path.basename(path)}: no <Counters> in the TRX file")
            continue
        count = lambda name: int(counters.get(name, "0"))
        passed += count("passed")
        file_failed = count("failed") + count("error") + count("timeout") + count("aborted")
        # Skipped tests are results with outcome NotExecuted; the counters leave them out of every bucket.
        results = [e for e in root.iter() if local(e.tag) == "UnitTestResult"]
        for r in results:
            if r.get("outcome") in ("NotExecuted", "Inconclusive", "NotRunnable"):
                skipped += 1
                reason = next((e.text for e in r.iter() if local(e.tag) == "Message" and e.text), "no reason given")
                skip_reasons[reason.strip()] = skip_reasons.get(reason.strip(), 0) + 1
        failures.extend(r.get("testName", "?") for r in results if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"))
        summary = next((e for e in root.iter() if local(e.tag) == "ResultSummary"), None)
        if file_failed == 0 and summary is not None and summary.get("outcome") in ("Aborted", "Error", "Failed"):
            file_failed = 1
            failures.append(f"{os.path.basename(path)}: the test run ended {summary.get('outcome')} (test host crash or abort)")
        failed += file_failed
    missing = max(0, expected - len(files))
    if missing:
        failures.append(f"{missing} test project(s) wrote no TRX file (the test host may have crashed)")
    failed += missing
    if args.test_exit_code != 0 and failed == 0:
        failed = 1
        failures.append(f"dotnet test exited with {args.test_exit_code} but no TRX file records a failure")
    for reason, n in sorted(skip_reasons.items(), key=lambda item: -item[1]):
        print(f"SKIPPED ({n}): {reason}")
    for name in failures:
        print(f"FAILED: {name}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
