"""Sphinx configuration: ``sphinx-build -W --keep-going -b html docs <output>``.

tests/test_docs.py builds these pages with warnings as errors, so a broken
link or a policy reference that no longer matches the code fails the tests.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

import edupush_token  # noqa: E402  (after the path set-up above)

project = "edupush-token"
author = "edupush-token developers"
copyright = "edupush-token developers"
release = version = edupush_token.__version__

extensions = ["myst_parser", "policy_reference", "metric_reference", "command_help", "repository_links"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
repository_pages = {"bench/README.md": "benchmark-method"}

html_theme = "furo"
html_title = f"edupush-token {release}"
