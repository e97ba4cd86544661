"""A chart of the metrics during a fault run: ``python -m bench.metrics_chart timeline.json chart.png``.

The timeline is what ``tests/e2e/test_outbox_faults.py`` scrapes every half
second while Firebase is down and after it heals, written where
``EDUPUSH_METRICS_TIMELINE`` names (the test of a 25-second outage):

    EDUPUSH_METRICS_TIMELINE=bench/results/fault-run.json python3 -m pytest tests/e2e/test_outbox_faults.py -k outage
    python3 -m bench.metrics_chart bench/results/fault-run.json docs/metrics-fault-run.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edupush_token.metrics import series

# What each line of the chart shows: a key of the timeline's samples, its legend and colour.
LINES = (
    ("sent", f"pushes sent ({series.PUSHES.name})", "#2ca02c"),
    ("refused", f"attempts Firebase refused ({series.PI_DELIVERIES.name}, failed)", "#d62728"),
    ("retrying", f"pushes retrying ({series.OUTBOX_STATES.name})", "#ff7f0e"),
    ("overdue", f"due and not sent yet ({series.OUTBOX_OVERDUE.name})", "#9467bd"),
)


def draw(timeline: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    start = timeline[0]["t"]
    seconds = [sample["t"] - start for sample in timeline]
    figure, axes = pyplot.subplots(figsize=(10, 4.2))
    down = [moment for moment, sample in zip(seconds, timeline) if sample["down"]]
    if down:
        axes.axvspan(min(down), max(down), color="#eeeeee", label="Firebase answers 503 (Retry-After: 2)")
    for key, label, colour in LINES:
        axes.plot(seconds, [sample[key] for sample in timeline], label=label, color=colour, linewidth=1.8)
    axes.set_xlabel("seconds (one scrape of GET /ttype/edupushplus?metrics every 0.5 s, 2 gunicorn workers)")
    axes.set_ylabel("pushes / attempts")
    axes.set_title("20 logins during a 25-second Firebase outage: retried, then each sent once", fontsize=10)
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    draw(json.loads(Path(argv[0]).read_text()), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
