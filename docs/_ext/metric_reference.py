"""``{edupushplus-metrics}``: the table of every metric series, rendered from ``edupush_token.metrics.series``.

The names, kinds, labels and help texts are written once, in that module;
this page cannot list a series the code does not export, nor miss one.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

HEADERS = ("series", "type", "labels", "source", "what it counts")


def _cell(text: str, literal: bool = False) -> nodes.entry:
    paragraph = nodes.paragraph()
    paragraph += nodes.literal(text, text) if literal and text else nodes.Text(text)
    entry = nodes.entry()
    entry += paragraph
    return entry


def _row(cells) -> nodes.row:
    row = nodes.row()
    for text, literal in cells:
        row += _cell(text, literal)
    return row


class MetricReference(SphinxDirective):
    def run(self):
        from edupush_token.metrics import series

        group = nodes.tgroup(cols=len(HEADERS))
        for width in (30, 10, 16, 12, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row((header, False) for header in HEADERS)
        group += head
        body = nodes.tbody()
        for which in series.ALL:
            labels = ", ".join(which.labels + (("pid",) if which.per_process else ()))
            body += _row(
                (
                    (which.name, True),
                    (which.kind.value, False),
                    (labels, True),
                    (which.source.value, False),
                    (which.help, False),
                )
            )
        group += body
        table = nodes.table()
        table += group
        return [table]


def setup(app):
    app.add_directive("edupushplus-metrics", MetricReference)
