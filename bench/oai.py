"""Benchmark: the OAI-PMH provider's ListRecords throughput and memory while a harvester pages through it.

Builds a store of --clusters clusters (one record each, real MARC from
bench/dedup.py's generator cloned into editions of their own), publishes it
(`update_provider`, timed), then in the same run measures:
  baseline  the same pages read straight from the store (headers and displayed records, no XML, no HTTP)
  provider  a harvester paging through ListRecords (marc21_includehold) over HTTP on 127.0.0.1, the
            provider in a process of its own whose resident memory is read after every page
and prints records per second for each, and the provider's memory after the first page, half-way, at the
end and at its peak. Aims: at least 2,000 records per second; memory flat across pages.
Usage: python bench/oai.py [--clusters N] [--page N]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dedup import corpus, seed_pools  # noqa: E402
from bench.editions import Copy, cluster_by_truth, editions  # noqa: E402
from normalise import normalise  # noqa: E402
from settings import load_config  # noqa: E402
from store import IncomingRecord, OaiWindow, Store  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SECRET = "bench-secret-0123456789-0123456789-0123456789"


def build(folder: Path, clusters: int, page: int) -> Path:
    """A published store of `clusters` one-record clusters and its configuration; returns the config path."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    made = corpus(2_000, random.Random(7), seed_pools())
    base = [Copy(source, local_id, normalise(marc, source), edition) for source, local_id, marc, edition in made]
    raws = {c.local_id: marc.as_marc() for c, (_s, _l, marc, _e) in zip(base, made)}
    copies = editions(base, clusters)
    for n, c in enumerate(copies):        # one record per edition: each its own cluster
        c.edition = n
    path = folder / "config.yaml"
    config = {"store": "store.sqlite", "index": "index", "sources": [],
              "web": {"secret_key": SECRET, "public_base_url": "http://127.0.0.1/"},
              "oai": {"repository_identifier": "bench.example.org", "page_size": page, "rate_limit": "off"}}
    path.write_text(yaml.safe_dump(config))
    with Store(load_config(path).store_url, migrate=True) as store:
        for start in range(0, len(copies), 5000):
            store.write_page([IncomingRecord(c.source, c.local_id, raws[c.local_id.split("-s")[0]], "iso2709", c.record)
                              for c in copies[start:start + 5000]])
        cluster_by_truth(store, copies)
    return path


def publish(path: Path) -> float:
    """Seconds the provider's first update (every cluster) takes."""
    from web.oai import update_provider

    config = load_config(path)
    started = time.perf_counter()
    with Store(config.store_url) as store:
        report = update_provider(store, config)
    seconds = time.perf_counter() - started
    print(f"published {report.published:,} clusters in {seconds:.1f}s ({report.published / seconds:,.0f}/s)")
    return seconds


def baseline(path: Path, page: int) -> float:
    """Records per second reading the same pages from the store without XML or HTTP."""
    from dedup import cluster_views_with_records

    config = load_config(path)
    count, after = 0, None
    started, cpu = time.perf_counter(), time.process_time()
    with Store(config.store_url) as store:
        while True:
            headers = store.oai_headers(OaiWindow(), after, page)
            if not headers:
                break
            found = cluster_views_with_records(store, [h.cluster_id for h in headers])
            count += sum(1 for entry in found.values() if entry)
            after = (headers[-1].datestamp, headers[-1].cluster_id)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def serve(path: str, port: int) -> None:
    """(In the provider's own process.) Serve the catalogue's /oai until killed."""
    from oaiserver.runner import serve_forever
    from web import create_app

    serve_forever(create_app(load_config(path)), "127.0.0.1", port)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used: a rate per CPU second does not depend on the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def harvest(path: Path) -> dict:
    """Page through ListRecords over HTTP; records per second and the server's memory per page."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(path), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/oai"
        _wait_for(url)
        params, memory, count = {"verb": "ListRecords", "metadataPrefix": "marc21_includehold"}, [], 0
        started, cpu = time.perf_counter(), cpu_seconds(server.pid)
        while True:
            root = etree.fromstring(requests.get(url, params=params, timeout=120).content)
            body = root.find(f"{OAI}ListRecords")
            count += len(body.findall(f"{OAI}record"))
            memory.append(rss_mb(server.pid))
            token = body.find(f"{OAI}resumptionToken")
            if token is None or not (token.text or "").strip():
                break
            params = {"verb": "ListRecords", "resumptionToken": token.text}
        seconds, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu
        return {"records": count, "rate": count / seconds, "cpu_rate": count / cpu, "memory": memory,
                "peak": rss_mb(server.pid, "VmHWM")}
    finally:
        server.kill()
        server.wait()


def _wait_for(url: str) -> None:
    for _ in range(300):
        try:
            requests.get(url, params={"verb": "Identify"}, timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the provider did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--serve", nargs=2, metavar=("CONFIG", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        path = build(Path(folder), args.clusters, args.page)
        print(f"store of {args.clusters:,} clusters built in {time.perf_counter() - started:.0f}s")
        publish(path)
        base, base_cpu = baseline(path, args.page)
        result = harvest(path)
    memory = result["memory"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"baseline (store reads of the same pages, no XML, no HTTP): {base:,.0f} records/s, "
          f"{base_cpu:,.0f} per CPU second")
    print(f"provider ListRecords over HTTP: {result['records']:,} records at {result['rate']:,.0f} records/s, "
          f"{result['cpu_rate']:,.0f} per CPU second of the provider ({result['cpu_rate'] / base_cpu:.0%} of the "
          "baseline's; aim at least 2,000/s)")
    print(f"provider memory (RSS MB) after page 1: {memory[0]:.0f}, half-way: {memory[len(memory) // 2]:.0f}, "
          f"last page: {memory[-1]:.0f}, peak: {result['peak']:.0f} over {len(memory)} pages (aim: flat)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
