"""A PNG of the result table: per workload, the median of each token type, whiskers to the p95.

The times span three orders of magnitude (a poll against a push_wait), so
the axis is logarithmic; the ratio is written beside each pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Mapping

from .harness import BUILT_IN, OURS, Row

COLOURS = {BUILT_IN: "#9e9e9e", OURS: "#1f77b4"}
BAR_HEIGHT = 0.38
FLOOR_MS = 0.1  # a log axis has no room for zero or the odd negative push_wait figure


def draw(path: Path, rows: List[Row], title: str, names: Mapping[str, str]) -> None:
    """``names``: each variant's label, e.g. ``{BUILT_IN: "push (privacyIDEA built-in)", ...}``."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(
            'the chart needs matplotlib: pip install -e ".[bench]" (python3 dev.py bench does), or pass --no-chart'
        ) from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(11, 1.0 + 0.75 * len(rows)))
    positions = list(range(len(rows)))[::-1]
    for offset, variant in ((BAR_HEIGHT / 2, BUILT_IN), (-BAR_HEIGHT / 2, OURS)):
        medians = [max(row.stats[variant]["median_ms"], FLOOR_MS) for row in rows]
        p95s = [max(row.stats[variant]["p95_ms"], FLOOR_MS) for row in rows]
        whiskers = [[0] * len(rows), [max(p95 - median, 0) for median, p95 in zip(medians, p95s)]]
        axes.barh(
            [position + offset for position in positions],
            medians,
            height=BAR_HEIGHT,
            color=COLOURS[variant],
            label=names[variant],
            xerr=whiskers,
            capsize=3,
        )
    right = max(row.stats[variant]["p95_ms"] for row in rows for variant in (BUILT_IN, OURS))
    left = min(max(row.stats[variant]["median_ms"], FLOOR_MS) for row in rows for variant in (BUILT_IN, OURS))
    for position, row in zip(positions, rows):
        ratio = row.ratios.get("median")
        if ratio is not None:
            axes.text(right * 1.6, position, f"× {ratio:.2f}", va="center", fontsize=9)
    axes.set_xscale("log")
    axes.set_xlim(left=left / 3, right=right * 4)
    axes.set_yticks(positions)
    axes.set_yticklabels([wrap(row.label) for row in rows], fontsize=8)
    axes.set_xlabel("milliseconds (bar: median, whisker: p95; log scale); × ours / built-in median")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
    axes.grid(axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def wrap(label: str, width: int = 48) -> str:
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])
