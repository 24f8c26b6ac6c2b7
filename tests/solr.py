"""A real SolrCloud for the tests: the project's launcher (solr/launcher) run as a child process.

`make solr` builds the launcher with Maven (`make test` does it first). The
launcher starts MiniSolrCloudCluster: 3 Solr nodes over HTTP on 127.0.0.1
and an embedded ZooKeeper in one JVM with a capped heap; it prints the node
addresses on one line and then takes `stop N` / `start N` on its standard
input. If Java, the built launcher or the cluster is missing, starting it
raises: a test that needs Solr fails, it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "solr" / "launcher" / "target"
CONFIGSET = ROOT / "index" / "solr" / "configset" / "conf"
HEAP = os.environ.get("UNIONCAT_SOLR_HEAP", "768m")
START_TIMEOUT = 180
READY = "UNIONCAT-SOLR "


class SolrCluster:
    """A running launcher: its node addresses and commands to stop or start one node."""

    def __init__(self, base: Path, nodes: int = 3, *, heap: str = HEAP, quick_start: bool = True):
        java = shutil.which("java")
        jar = LAUNCHER / "solr-launcher-1.jar"
        if java is None:
            raise RuntimeError("java is not installed: the SolrCloud tests need Java 17"
                               " (apt-get install openjdk-17-jdk-headless)")
        if not jar.exists() or not (LAUNCHER / "lib").is_dir():
            raise RuntimeError(f"{jar} is missing: run `make solr` (Maven builds the SolrCloud launcher)")
        classpath = f"{jar}{os.pathsep}{LAUNCHER / 'lib' / '*'}"
        self.log = (base / "launcher.log").open("w")
        self.process = subprocess.Popen(
            # quick_start (the tests): the client compiler only, one GC thread: started sooner on a shared machine
            [java, f"-Xmx{heap}", *(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"] if quick_start else []), "-cp",
             classpath,
             "org.unioncat.solr.Launcher", str(base / "cluster"), str(CONFIGSET), str(nodes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._answer = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(START_TIMEOUT) or self.process.poll() is not None:
            self.stop_all()
            raise RuntimeError(f"the SolrCloud launcher did not start; see {base / 'launcher.log'}")
        self.nodes: list[str] = self.info["nodes"]

    def _read(self) -> None:
        for line in self.process.stdout:
            line = line.rstrip("\n")
            if line.startswith(READY) and not self._ready.is_set():
                self.info = json.loads(line[len(READY):])
                self._ready.set()
            elif line.startswith(("OK", "ERROR")):
                with self._answer:
                    self._lines.append(line)
                    self._answer.notify_all()
        self._ready.set()

    def command(self, text: str, timeout: float = 120) -> str:
        """Send one command; its answer line ("OK ..."); RuntimeError on "ERROR ..." or no answer."""
        with self._answer:
            self._lines.clear()
            self.process.stdin.write(text + "\n")
            self.process.stdin.flush()
            if not self._answer.wait_for(lambda: self._lines, timeout):
                raise RuntimeError(f"the launcher did not answer {text!r}")
            answer = self._lines.pop(0)
        if answer.startswith("ERROR"):
            raise RuntimeError(f"{text!r}: {answer}")
        return answer

    def stop_node(self, number: int) -> None:
        """Stop node `number` gracefully (its address then refuses connections)."""
        self.command(f"stop {number}")

    def start_node(self, number: int) -> None:
        """Start node `number` again on the same address."""
        self.command(f"start {number}")

    def stop_all(self, timeout: float = 60) -> None:
        """Quit the launcher (the cluster shuts down), killing it if it does not go."""
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                self.process.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def wait_for(condition, timeout: float = 60, step: float = 0.2):
    """Poll `condition` until it returns something true; its value, or AssertionError after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not true after {timeout} s: {condition}")
        time.sleep(step)
