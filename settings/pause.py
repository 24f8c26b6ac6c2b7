"""A test hook: pause a process at a named point so that a test can force an interleaving.

Set `UNIONCAT_TEST_PAUSE=<point>:<folder>` in a process's environment. When
it reaches `pause_point("<point>")` it writes `<folder>/<point>.paused`
(holding its pid) and waits until `<folder>/<point>.release` exists, then goes
on. Unset, a pause point costs one environment lookup. Points:

  dedup-before-save   the dedup step has decided the new clustering, before it writes it
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENVIRONMENT = "UNIONCAT_TEST_PAUSE"
LONGEST_PAUSE = 300.0    # a forgotten release file never hangs a process for good


def pause_point(name: str) -> None:
    """Wait here if the environment asks for a pause at `name` (a test hook; see the module)."""
    wanted = os.environ.get(ENVIRONMENT)
    if not wanted or not wanted.startswith(f"{name}:"):
        return
    folder = Path(wanted[len(name) + 1:])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.paused").write_text(str(os.getpid()))
    release = folder / f"{name}.release"
    deadline = time.monotonic() + LONGEST_PAUSE
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
