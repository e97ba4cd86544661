"""Links to repository files outside ``docs/`` that a docs page includes go to that page.

Markdown in ``docs/`` links to files such as ``../bench/README.md`` so that
it reads well on a repository browser. In the built docs there is no such
file, but there is a page that includes it; ``repository_pages`` in conf.py
maps the file (relative to the repository root) to that page. Any other link
out of ``docs/`` stays a build warning.
"""

from __future__ import annotations

from pathlib import Path

from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform


class RepositoryLinks(SphinxPostTransform):
    default_priority = 5  # before the reference resolvers (10)

    def run(self, **kwargs):
        pages = self.config.repository_pages
        repository = Path(self.env.srcdir).parent
        for node in self.document.findall(addnodes.pending_xref):
            target = node.get("reftarget", "")
            if node.get("refdomain") != "doc" or target in self.env.all_docs:
                continue
            try:
                relative = Path(target).relative_to(repository).as_posix()
            except ValueError:
                continue
            for suffix in self.config.source_suffix:
                page = pages.get(relative + suffix)
                if page is not None:
                    node["reftarget"] = page
                    break


def setup(app):
    app.add_config_value("repository_pages", {}, "env", dict)
    app.add_post_transform(RepositoryLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
