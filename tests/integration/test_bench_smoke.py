"""The benchmark still runs end to end.

A tiny sample and no timing assertions: benchmarks are not tests.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERIES = {"ours", "built-in", "ours poll-only"}


def test_the_benchmark_reports_both_token_types_and_their_ratio(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench",
         "--iterations", "3", "--latency", "0", "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]

    report = json.loads((tmp_path / "triggerchallenge.json").read_text())
    [only_pass] = report["passes"]
    assert set(only_pass["samples_ms"]) == SERIES
    assert all(len(samples) == 3 for samples in only_pass["samples_ms"].values())
    [ratio] = report["comparison"]["ours_over_built_in"]
    assert ratio["median"] > 0 and ratio["p95"] > 0
    assert report["sanity"]["problems"] == []

    table = (tmp_path / "triggerchallenge.md").read_text()
    assert table == result.stdout
    labels = ("edupushplus, Firebase", "edupush (eduMFA built-in), Firebase",
              "edupushplus, poll only", "ours / built-in")
    for label in labels:
        assert label in table
