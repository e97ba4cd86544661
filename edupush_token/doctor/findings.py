"""What a check reports: plain data, rendered elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"  # something does not work, or is unsafe
    WARNING = "warning"  # works, but not as it should in production
    NOTE = "note"  # worth knowing; nothing to fix


@dataclass(frozen=True)
class Finding:
    code: str  # stable identifier, e.g. "registration-url-not-https"
    severity: Severity
    problem: str
    fix: str


def error(code: str, problem: str, fix: str) -> Finding:
    return Finding(code, Severity.ERROR, problem, fix)


def warning(code: str, problem: str, fix: str) -> Finding:
    return Finding(code, Severity.WARNING, problem, fix)


def note(code: str, problem: str, fix: str = "") -> Finding:
    return Finding(code, Severity.NOTE, problem, fix)
