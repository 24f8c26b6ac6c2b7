"""Harvest progress for the operator: a line redrawn on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
import threading
import time

from harvest import Progress


class ProgressLine:
    """Harvest progress: one line redrawn in place on a terminal; plain log lines otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.latest: dict[str, Progress] = {}
        self.lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.tty and self.latest:
            self.stream.write("\n")
            self.stream.flush()

    def __call__(self, event: Progress) -> None:
        with self.lock:
            if not self.tty:
                # cron and CI logs: one plain, timestamped line per page
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                total = f" of {event.total}" if event.total else ""
                self.stream.write(f"{stamp} {event.source}: {event.pages} page(s), {event.records} records{total}\n")
                self.stream.flush()
                return
            self.latest[event.source] = event
            line = "  ".join(_bar(e) for e in self.latest.values())
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()


def _bar(event: Progress) -> str:
    if not event.total:
        return f"{event.source} {event.records} records, {event.pages} page(s)"
    done = min(1.0, event.records / event.total)
    return f"{event.source} [{'#' * int(done * 20):<20}] {done:4.0%} {event.records}/{event.total}"
