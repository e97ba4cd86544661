"""The documentation builds without a single warning.

The policy reference and the command help are generated from the code while
building, and every internal link is checked, so this test is what keeps the
docs true to the code: a policy without a known default, a subcommand that no
longer exists or a broken link is a warning, and a warning fails the build.
"""

import subprocess
import sys
from pathlib import Path

from edupush_token import catalogue

ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(tmp_path / "html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0 and not warnings, "\n".join(warnings) or result.stderr
    policies_page = (tmp_path / "html" / "policies.html").read_text()
    assert catalogue.DECLINE_COOLDOWN.name in policies_page
