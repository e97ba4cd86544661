"""Progress lines for steps that may take longer than a second."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO


class Progress:
    """``with progress.step("Generating keys"):`` prints the step, then how long it took."""

    def __init__(self, out: TextIO = sys.stdout):
        self.out = out

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.out.write(f"  {title} ...")
        self.out.flush()
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self.out.write(" failed\n")
            self.out.flush()
            raise
        self.out.write(f" done ({time.perf_counter() - started:.1f} s)\n")
        self.out.flush()
