"""The results as JSON (everything, raw samples included) and as a Markdown table."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List

from .harness import BUILT_IN, OURS, Row

DOCS_MARKERS = "<!-- bench-results:{section}:{end} -->"


def as_json(setup: dict, rows: List[Row], problems: List[str]) -> dict:
    return {"setup": setup, "rows": [row.as_json() for row in rows], "problems": problems}


def markdown(setup: dict, rows: List[Row], problems: List[str], chart_name=None) -> str:
    settings = setup["settings"]
    machine = setup["machine"]
    lines = [
        f"### {setup['database_label']}, {setup['started_at'][:10]}",
        "",
        f"`{setup['command']}`: {setup['host_name']} {setup['versions'][setup['host']]} in-process (Flask test client) "
        f"on {setup['database_label']}, {setup['builtin_label']} and ours on one app and database, interleaved; "
        f"{settings['warmup']} untimed warm-up calls per series; milliseconds; p95 is a nearest-rank "
        f"value; ratio = ours / built-in. Machine: {machine['cpus']} CPUs, load average "
        f"{machine['load_average_before']} before the run; shared, so compare the ratios.",
        "",
        "| Workload | n | built-in median | built-in p95 | ours median | ours p95 "
        "| ratio median | ratio p95 | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        stats, ratios = row.stats, row.ratios
        met = None if row.target is None else row.target.met(row)
        lines.append(
            " | ".join(
                [
                    f"| {row.label}",
                    str(stats[OURS]["n"]),
                    number(stats[BUILT_IN]["median_ms"]),
                    number(stats[BUILT_IN]["p95_ms"]),
                    number(stats[OURS]["median_ms"]),
                    number(stats[OURS]["p95_ms"]),
                    ratio(ratios.get("median")),
                    ratio(ratios.get("p95")),
                    "" if row.target is None else row.target.describe(),
                    {None: "", True: "yes", False: "**no**"}[met] + " |",
                ]
            )
        )
    notes = [f"- {row.label}: {note}" for row in rows for note in row.notes + extra_series(row)]
    notes += [f"- **Sanity check failed**: {problem}" for problem in problems]
    if notes:
        lines += [""] + notes
    if chart_name:
        lines += ["", f"![Medians and p95 of both token types]({chart_name})"]
    return "\n".join(lines) + "\n"


def extra_series(row: Row) -> List[str]:
    """Series measured beside the two compared ones, e.g. ours with a poll-only token."""
    return [
        f"{variant}: median {number(stats['median_ms'])} ms, p95 {number(stats['p95_ms'])} ms"
        for variant, stats in row.stats.items()
        if variant not in (BUILT_IN, OURS)
    ]


def number(value: float) -> str:
    return f"{value:.1f}"


def ratio(value) -> str:
    return "" if value is None else f"{value:.3f}"


def write(directory: Path, name: str, report: dict, table: str) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = directory / f"{name}.json", directory / f"{name}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    markdown_path.write_text(table)
    return [json_path, markdown_path]


def replace_docs_section(docs_file: Path, section: str, table: str) -> None:
    """Put ``table`` between the two markers of ``section`` (host and database) in ``docs_file``."""
    start = DOCS_MARKERS.format(section=section, end="start")
    end = DOCS_MARKERS.format(section=section, end="end")
    text = docs_file.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{docs_file} has no section {start} ... {end}")
    docs_file.write_text(pattern.sub(lambda _match: f"{start}\n{table}{end}", text, count=1))
