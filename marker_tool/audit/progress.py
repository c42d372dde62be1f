"""A one-line progress display on a terminal; nothing in a CI log, a pipe or under --quiet."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO


class Progress:
    """What the run is doing, redrawn in place at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self.lock = threading.Lock()
        self.stage = ""
        self.done = 0
        self.total = 0
        self.unit = ""
        self.last = 0.0
        self.width = 0

    def start(self, stage: str, total: int = 0, unit: str = "") -> None:
        with self.lock:
            self.stage, self.done, self.total, self.unit = stage, 0, total, unit
        self._draw(force=True)

    def advance(self, amount: int = 1) -> None:
        with self.lock:
            self.done += amount
        self._draw()

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        with self.lock:
            if self.unit == "bytes":
                count = f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
            elif self.total:
                count = f"{self.done}/{self.total}{' ' + self.unit if self.unit else ''}"
            else:
                count = ""
            line = f"{self.stage} {count}".rstrip()
            pad = max(0, self.width - len(line))
            self.width = len(line)
        self.stream.write(f"\r{line}{' ' * pad}")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the line, so the report starts on a clean one."""
        if self.enabled and self.width:
            self.stream.write(f"\r{' ' * self.width}\r")
            self.stream.flush()
            self.width = 0
