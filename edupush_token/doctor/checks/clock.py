"""Is this machine's clock right?  Phones' signed polls and answers carry timestamps
that the plugin accepts within +-60 s, and Google refuses access-token requests
signed with a clock far off."""

from __future__ import annotations

import statistics
from typing import List, Sequence

from ..findings import Finding, error, warning
from ..web import Answer

WARN_SECONDS = 5  # a Date header has one-second resolution; anything beyond this is real drift
ERROR_SECONDS = 30  # half the phones' +-60 s window: phones with correct clocks start failing


def check_clock(answers: Sequence[Answer]) -> List[Finding]:
    dated = [answer for answer in answers if answer.server_time is not None]
    if not dated:
        tried = ", ".join(answer.url for answer in answers) or "none"
        return [
            warning(
                "clock-unchecked",
                f"No server answered with a Date header to compare the clock with (tried: {tried}).",
                "Pass --clock-reference https://<a server you trust>, or check that NTP (chrony, systemd-timesyncd) runs.",
            )
        ]
    # Our clock minus theirs; the median so one wrong server cannot decide.
    offset = statistics.median(answer.local_time - answer.server_time for answer in dated if answer.server_time)
    if abs(offset) <= WARN_SECONDS:
        return []
    direction = "ahead of" if offset > 0 else "behind"
    problem = f"This machine's clock is {abs(offset):.0f} s {direction} {', '.join(answer.url for answer in dated)}."
    fix = "Run NTP (chrony or systemd-timesyncd) on every eduMFA node; check with `timedatectl`."
    if abs(offset) > ERROR_SECONDS:
        return [error("clock-skew", problem + " Phones with correct clocks get their polls refused.", fix)]
    return [warning("clock-drift", problem, fix)]
