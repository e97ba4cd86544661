"""The doctor's report as text for a terminal, or as JSON for monitoring."""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict

from .. import __version__
from .examine import Report
from .findings import Severity

LABELS = {Severity.ERROR: "ERROR", Severity.WARNING: "WARN", Severity.NOTE: "note"}
WIDTH = 100
INDENT = " " * 8


def as_text(report: Report) -> str:
    lines = [f"edupush-token doctor: {report.config_file}", versions(report), ""]
    for title, findings in report.results:
        if not findings:
            lines.append(f"  ok    {title}")
        for finding in findings:
            lines.append(f"  {LABELS[finding.severity]:<5} {title}: [{finding.code}]")
            lines += textwrap.wrap(finding.problem, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT)
            if finding.fix:
                lines += textwrap.wrap(
                    finding.fix, WIDTH, initial_indent=INDENT + "fix: ", subsequent_indent=INDENT + "     "
                )
    counts = ", ".join(_count(report.count(severity), severity.value) for severity in Severity)
    lines += ["", f"{counts}: {'NOT READY' if report.failed else 'ready'}"]
    return "\n".join(lines)


def versions(report: Report) -> str:
    return f"edupush-token {__version__} on {report.host}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "config_file": report.config_file,
            "edupush_token_version": __version__,
            "host": report.host,
            "ready": not report.failed,
            "checks": [
                {
                    "check": title,
                    "findings": [{**asdict(finding), "severity": finding.severity.value} for finding in findings],
                }
                for title, findings in report.results
            ],
        },
        indent=2,
    )
