"""The version is written once and shown where admins look; the changelog names it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edupush_token import __version__, cli

ROOT = Path(__file__).resolve().parent.parent
SEMANTIC_VERSION = re.compile(r"\d+\.\d+\.\d+")
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def test_the_version_is_semantic():
    assert SEMANTIC_VERSION.fullmatch(__version__)


def test_pyproject_takes_the_version_from_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "edupush_token.__version__"}


def test_the_command_tells_its_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"edupush-token {__version__}\n"


def test_the_changelog_has_unreleased_changes_above_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n")
    headings = re.findall(r"^## .*$", changelog, re.MULTILINE)
    assert headings[0] == "## [Unreleased]"
    releases = [match["version"] for match in RELEASE_HEADING.finditer(changelog)]
    assert len(releases) == len(headings) - 1, "each release heading reads ## [X.Y.Z] - YYYY-MM-DD"
    assert releases[0] == __version__, "the newest release in CHANGELOG.md is the package's version"
    assert all(SEMANTIC_VERSION.fullmatch(version) for version in releases)
