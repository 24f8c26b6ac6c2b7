"""Benchmark: the web tier under load, `unioncat serve` (gunicorn) against the previous server (waitress), same run.

Builds (or reuses, with --keep DIR) a catalogue of N clusters (100,000) made
by bench/search.py's generator from the real records of ../shared/data and
samples/: a real SQLite store (one record per cluster, with its holdings) and
the index built from the same clusters. Then serves it, with no proxy, by
  waitress    waitress.serve(app, threads=4): what `unioncat serve` ran before
  gunicorn 1  `unioncat serve --workers 1` (8 threads)
  gunicorn 2  `unioncat serve --workers 2`
all at once, and loads each in turn with wrk (Debian's package), the best of
--rounds runs per cell, at 1, 4, 16 and 64 connections for
a search (a common title word), a faceted search (the same words with a
library and a language filter) and a record page, each request's URL picked
in turn from a list; prints requests per second and p50/p99 latency. Last, for
each server: is a new search answered (and in how long) while 200 connections
are held open sending nothing, and while 200 have sent half a request header.

Aims (issue 12, finding 6): with 2 workers at least 1.6 times the throughput
of 1; no request waiting more than 1 s behind idle connections. wrk runs on the
same machine and takes CPU from the servers: on 2 cores the figures are noisy.

Usage: python bench/web.py [--clusters N] [--keep DIR] [--duration 8] [--rounds 2] [--connections 1,4,16,64]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from search import LIBRARIES, Generator, real_records  # noqa: E402  (bench/search.py: the same clusters)

from index.writer import build_index  # noqa: E402
from index.documents import document_for  # noqa: E402
from index.storage import open_index  # noqa: E402
from store import ClusterPlan, IncomingRecord, Store  # noqa: E402

UNIONCAT = str(Path(sys.executable).parent / "unioncat")
SERVERS = ("waitress", "gunicorn 1", "gunicorn 2")
KINDS = ("search", "faceted", "record")
IDLE = 200
IDLE_WAIT = 30          # seconds the new request may take before it counts as not answered
PAGE = 2_000
LUA = """
local paths = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
  n = math.random(#paths)
end
request = function()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Load:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the catalogue into this folder once, and reuse it")
    parser.add_argument("--duration", type=int, default=8, help="seconds of each wrk run")
    parser.add_argument("--connections", default="1,4,16,64", help="wrk connection counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="wrk runs per cell; the best is kept")
    parser.add_argument("--serve-waitress", type=Path, help=argparse.SUPPRESS)   # internal: the baseline server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_waitress:
        return serve_waitress(args.serve_waitress, args.port)
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench/web.py needs wrk, the HTTP load generator: install it (Debian: apt-get install wrk)")
    sys.stdout.reconfigure(line_buffering=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="unioncat-bench-web-"))
    try:
        config = catalogue(folder, args.clusters)
        urls = url_lists(folder, config, args.clusters)
        connections = [int(c) for c in args.connections.split(",")]
        results, idle = {}, {}
        with ExitStack() as stack:
            # all three at once, measured in turn cell by cell: the machine's other load falls on each alike
            ports = {server: stack.enter_context(running(server, config)) for server in SERVERS}
            for port in ports.values():
                check_urls(port, urls)
                warm_up(wrk, port, urls)
            for kind in KINDS:
                for count in connections:
                    for server, port in ports.items():
                        runs = [load(wrk, port, urls[kind], count, args.duration) for _ in range(args.rounds)]
                        results[server, kind, count] = max(runs, key=lambda r: r.rps)
                        print(f"  {server:<10} {kind:<8} {count:>3} connections: {cell(results[server, kind, count])}")
            for server, port in ports.items():
                idle[server] = (held_open(port, b""), held_open(port, b"GET /?q=art HTTP/1.1\r\nHost: x\r\n"))
        print_table(results, idle, connections, args)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


# -- the catalogue ----------------------------------------------------------------------------------------------

def catalogue(folder: Path, count: int) -> Path:
    """The configuration of a store and index of `count` generated clusters in `folder`, built once."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "store": "store.sqlite", "index": "index", "lock_file": "nightly.lock",
        # wrk loads the site from one address: no per-address limit
        "web": {"title": "unioncat bench", "secret_key": os.urandom(32).hex(), "rate_limit": "off"},
        "sources": [{"code": code, "name": f"Library {code[3:]}", "type": "file", "path": []} for code in LIBRARIES]}))
    marker = folder / f"built-{count}"
    if marker.exists():
        print(f"reusing the catalogue of {count:,} clusters in {folder}")
        Store(f"sqlite:///{folder / 'store.sqlite'}", migrate=True).close()    # a store kept by an older unioncat
        return config
    shutil.rmtree(folder / "index", ignore_errors=True)      # a build that did not finish starts again
    (folder / "store.sqlite").unlink(missing_ok=True)
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    pool = real_records()
    print(f"building {count:,} clusters from {len(pool)} real records into {folder} (minutes) ...")
    started = time.perf_counter()
    with Store(f"sqlite:///{folder / 'store.sqlite'}", migrate=True) as store:
        build_index(folder / "index", stored_documents(store, pool, count), limitmb=512)
        ids = {facts["public_id"].split(":", 1)[1]: rid for rid, facts in store.live_record_facts().items()}
        store.save_clusters([ClusterPlan(id=f"b{n:07d}", members={ids[str(n)]: {}}) for n in range(count)], {}, set(), [])
    marker.touch()
    print(f"  built in {time.perf_counter() - started:.0f}s")
    return config


def stored_documents(store: Store, pool: list, count: int):
    """The index documents of the generated clusters; each cluster's one record is written to `store` on the way."""
    names = {code: f"Library {code[3:]}" for code in LIBRARIES}
    page = []
    for n, view in enumerate(Generator(pool).views(count)):
        record = replace(view.record, source=view.holdings[0].source, local_id=str(n), holdings=view.holdings)
        page.append(IncomingRecord(source=record.source, local_id=str(n), raw=str(n).encode(), raw_format="bench",
                                   record=record))
        if len(page) == PAGE:
            store.write_page(page)
            page = []
        yield document_for(view, names)
    store.write_page(page)


def url_lists(folder: Path, config: Path, count: int) -> dict[str, Path]:
    """A file of URLs per kind of request: common title words, the same with filters, random records."""
    rng = random.Random(12)
    with open_index(folder / "index").reader() as reader:
        terms = [(t.decode(), reader.doc_frequency("title", t)) for t in reader.lexicon("title")]
    common = [t for t, _ in sorted(((t, f) for t, f in terms if t.isalpha() and len(t) > 3), key=lambda tf: -tf[1])[:40]]
    languages = ["eng", "swe", "ger", "fre"]
    kinds = {
        "search": [f"/?q={word}" for word in common],
        "faceted": [f"/?q={word}&library={rng.choice(LIBRARIES[:6])}&language={rng.choice(languages)}" for word in common],
        "record": [f"/record/b{rng.randrange(count):07d}" for _ in range(200)],
    }
    files = {}
    for kind, urls in kinds.items():
        files[kind] = folder / f"urls-{kind}.txt"
        files[kind].write_text("\n".join(urls) + "\n")
    return files


# -- the servers ------------------------------------------------------------------------------------------------

def serve_waitress(config_path: Path, port: int) -> None:
    """The previous `unioncat serve`: one process, waitress with 4 threads."""
    from settings import load_config
    from web import create_app
    from cli.server import serve_waitress as run

    run(create_app(load_config(config_path)), "127.0.0.1", port, threads=4)


@contextmanager
def running(server: str, config: Path):
    """`server` serving the catalogue on a free port; its port."""
    port = free_port()
    if server == "waitress":
        command = [sys.executable, __file__, "--serve-waitress", str(config), "--port", str(port)]
    else:
        command = [UNIONCAT, "--config", str(config), "serve", "--port", str(port), "--workers", server.split()[1]]
    log = config.parent / f"server-{server.replace(' ', '-')}.log"     # a pipe nobody reads would stall the server
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(process, port, log)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_answering(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/search?q=", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.5)
    sys.exit("the server did not answer within 300 s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_urls(port: int, urls: dict[str, Path]) -> None:
    """Every kind's first URL answers 200, and the faceted one finds something (else the figures mean nothing)."""
    for kind, path in urls.items():
        first = path.read_text().split("\n", 1)[0]
        response = requests.get(f"http://127.0.0.1:{port}{first}", timeout=60)
        if response.status_code != 200:
            sys.exit(f"{kind}: {first} answered {response.status_code}")
    faceted = path_list(urls["faceted"])[0].replace("/?", "/api/search?")
    if not requests.get(f"http://127.0.0.1:{port}{faceted}", timeout=60).json()["total"]:
        sys.exit(f"the faceted search {faceted} finds nothing: pick other filters")


def path_list(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line]


def warm_up(wrk: str, port: int, urls: dict[str, Path]) -> None:
    """Seconds of every kind of request, so that every worker has opened its snapshot and its pages."""
    for kind in KINDS:
        load(wrk, port, urls[kind], 16, 5)


# -- measuring --------------------------------------------------------------------------------------------------

def load(wrk: str, port: int, urls: Path, connections: int, seconds: int) -> Load:
    """One wrk run of `seconds` at `connections` over the URLs in `urls`."""
    script = urls.parent / "pick.lua"
    script.write_text(LUA)
    threads = min(connections, 2)
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                          f"http://127.0.0.1:{port}", "--", str(urls)], capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    count, micros, p50, p99, status, socket_errors = (int(x) for x in line.split()[1:])
    return Load(count / (micros / 1e6), p50 / 1000, p99 / 1000, status + socket_errors)


def held_open(port: int, first_bytes: bytes) -> float | None:
    """Seconds a new search takes while IDLE connections are open (having sent `first_bytes`); None: not answered."""
    with ExitStack() as stack:
        for _ in range(IDLE):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
            if first_bytes:
                sock.sendall(first_bytes)
        time.sleep(0.5)
        started = time.perf_counter()
        try:
            requests.get(f"http://127.0.0.1:{port}/?q=art", timeout=IDLE_WAIT).raise_for_status()
        except requests.RequestException:
            return None
        return time.perf_counter() - started


def cell(result: Load) -> str:
    if not result.rps:
        return "none answered"
    errors = f" {result.errors} err" if result.errors else ""
    return f"{result.rps:7.1f} {result.p50_ms:6.0f}/{result.p99_ms:<6.0f}{errors}"


def print_table(results: dict, idle: dict, connections: list[int], args) -> None:
    print(f"\n{args.clusters:,} clusters; the best of {args.rounds} wrk runs of {args.duration}s per cell;"
          f" req/s and p50/p99 ms"
          f" (machine: {os.cpu_count()} cores, shared)")
    header = f"  {'request':<8} {'conns':>5} | " + " | ".join(f"{s:^22}" for s in SERVERS) + " | 2w/1w"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for kind in KINDS:
        for count in connections:
            row = [results[server, kind, count] for server in SERVERS]
            ratio = row[2].rps / row[1].rps if row[1].rps else float("nan")
            print(f"  {kind:<8} {count:>5} | " + " | ".join(f"{cell(r):<22}" for r in row) + f" | {ratio:4.2f}x")
    print(f"\n  a new search while {IDLE} connections are held open:")
    for server in SERVERS:
        quiet, half = idle[server]
        print(f"  {server:<10} sending nothing: {answered(quiet)}; half a header each: {answered(half)}")
    top = max(connections)
    ratios = [results["gunicorn 2", k, top].rps / results["gunicorn 1", k, top].rps for k in KINDS]
    waits = [w for pair in (idle["gunicorn 1"], idle["gunicorn 2"]) for w in pair]
    print(f"\n  aim: 2 workers >= 1.6x 1 worker at {top} connections: "
          + ", ".join(f"{k} {r:.2f}x" for k, r in zip(KINDS, ratios)))
    print("  aim: no request waits more than 1 s behind idle connections (gunicorn): "
          + ("met" if all(w is not None and w <= 1 for w in waits) else "NOT met"))


def answered(seconds: float | None) -> str:
    return f"answered in {seconds:.2f}s" if seconds is not None else f"not answered within {IDLE_WAIT}s"


if __name__ == "__main__":
    main()
