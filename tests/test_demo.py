"""`unioncat demo`, the README's first command, end to end in a subprocess.

The bundled configuration is copied with free ports (so the test never meets
a demo someone left running) and its sample paths made absolute.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_config(tmp_path: Path, oai_port: int) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    for source in data["sources"]:
        if source["type"] == "oai":
            source["url"] = f"http://127.0.0.1:{oai_port}/oai"
        else:
            source["path"] = str(ROOT / source["path"])
    for server in data["demo"]["oai_servers"]:
        server["port"] = oai_port
        server["path"] = str(ROOT / server["path"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> requests.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"demo exited early:\n{process.stdout.read()}")
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.5)
    raise AssertionError("the demo did not answer in time")


def test_demo_harvests_every_sample_library_and_serves_them(tmp_path):
    config = demo_config(tmp_path, free_port())
    expected = {s["code"] for s in yaml.safe_load(config.read_text())["sources"]}
    web_port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).parent / "unioncat"), "--config", str(config), "demo", "--port", str(web_port)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    try:
        response = wait_for(f"http://127.0.0.1:{web_port}/api/search?q=", process)
        body = response.json()
        libraries = {facet["value"] for facet in body["facets"]["library"]}
        assert libraries == expected
        shared = requests.get(f"http://127.0.0.1:{web_port}/api/search?q=", params={"library": ["duke", "unc"]},
                              timeout=5).json()
        assert 1 <= shared["total"] < body["total"]     # some editions are held by both, as merged clusters
        page = requests.get(f"http://127.0.0.1:{web_port}/", timeout=5)
        assert page.status_code == 200 and "<form" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)     # faulthandler prints every thread's stack, for the report
            try:
                output = process.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                process.kill()          # never leave the demo serving after the test
                output = process.communicate()[0]
            raise AssertionError(f"the demo did not stop within 30 s of Ctrl+C:\n{output}")
    assert "libris: ok" in output, output      # harvested over OAI-PMH from the demo endpoint
