"""Benchmark: live availability must not slow the record page, and every member's answer must come in time.

Builds a network of 10 members holding one edition (tests/availability_support.py),
starts 10 availability peers on 127.0.0.1 (DAIA, Koha ILS-DI and JSON in turn) of
which 3 never answer, and serves the same catalogue twice with waitress, in
this one run:
  baseline   without live availability
  live       every member asked live (timeout --timeout, 2 s)
Then measures
  1. the record page's time to first byte, alternating baseline and live
     (--requests each): median and p95, and the difference (aim: within 50 ms);
  2. the same while --busy browsers are waiting on /availability for the silent members;
  3. cold (no cache, failed members asked again): from the page's request until
     /availability has given every member's answer or timeout (aim: 2.5 s), and
     until the first live answer, over --rounds page views.

Usage: python bench/availability.py [--requests 200] [--rounds 5] [--busy 4] [--timeout 2]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from waitress import create_server  # noqa: E402

from store import Store  # noqa: E402
from tests.availability_support import RunningPeer, build_network, with_availability  # noqa: E402
from web import create_app  # noqa: E402

MEMBERS, SILENT = 10, 3
KINDS = ("daia", "koha", "template")


def serve(config) -> tuple[object, int]:
    server = create_server(create_app(config), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return server, server.effective_port


def first_byte(port: int, path: str) -> float:
    """Seconds from sending the request to the status line; the body is then read whole."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    took = time.perf_counter() - started
    response.read()
    connection.close()
    assert response.status == 200, response.status
    return took


def view(port: int, cluster: str) -> tuple[float, float, int]:
    """(seconds to the first live member, seconds to the last member's line, members answered) for one page view."""
    started = time.perf_counter()
    first_byte(port, f"/record/{cluster}")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/availability?id={cluster}")
    response = connection.getresponse()
    first_live, members = None, 0
    for line in response:
        if b'"done"' in line:
            break
        members += 1
        if first_live is None and b'"live": true' in line:
            first_live = time.perf_counter() - started
    last = time.perf_counter() - started
    connection.close()
    return first_live or last, last, members


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def busy_browsers(port: int, cluster: str, count: int, stop: threading.Event) -> list[threading.Thread]:
    """`count` browsers asking /availability over and over (each waits for the silent members)."""
    def loop():
        while not stop.is_set():
            view(port, cluster)
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def ttfb(base_port: int, live_port: int, cluster: str, requests: int) -> tuple[list[float], list[float]]:
    base, live = [], []
    for _ in range(requests):
        base.append(first_byte(base_port, f"/record/{cluster}"))
        live.append(first_byte(live_port, f"/record/{cluster}"))
    return base, live


def report(name: str, base: list[float], live: list[float]) -> None:
    b, lv = statistics.median(base) * 1000, statistics.median(live) * 1000
    print(f"{name}: baseline median {b:.1f} ms p95 {p95(base) * 1000:.1f} ms | live median {lv:.1f} ms "
          f"p95 {p95(live) * 1000:.1f} ms | difference of medians {lv - b:+.1f} ms (aim: within 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--busy", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        network = build_network(Path(folder), MEMBERS)
        with Store(network.store_url) as store:
            cluster = next(cluster_id for cluster_id, _members in store.export_clusters())
        peers = [RunningPeer(KINDS[n % 3], n, hold=60) for n in range(MEMBERS)]
        for peer in peers[-SILENT:]:
            peer.switch.fault = "silent"
        live_config = with_availability(network, peers, args.timeout, cache=0, retry_after_failure=0)
        (base_server, base_port), (live_server, live_port) = serve(network), serve(live_config)
        try:
            print(f"{MEMBERS} members, {SILENT} never answer; member timeout {args.timeout:g} s; "
                  f"{args.requests} record pages each, alternating")
            ttfb(base_port, live_port, cluster, 20)                     # warm both
            report("record page, time to first byte", *ttfb(base_port, live_port, cluster, args.requests))
            stop = threading.Event()
            threads = busy_browsers(live_port, cluster, args.busy, stop)
            time.sleep(0.5)
            report(f"same, with {args.busy} browsers waiting on /availability",
                   *ttfb(base_port, live_port, cluster, args.requests // 2))
            stop.set()
            for thread in threads:
                thread.join()
            views = [view(live_port, cluster) for _ in range(args.rounds)]
            print(f"page view to every member shown (cold, {args.rounds} views): "
                  f"median {statistics.median(v[1] for v in views):.2f} s, max {max(v[1] for v in views):.2f} s "
                  f"(aim: 2.5 s); first live answer median {statistics.median(v[0] for v in views) * 1000:.0f} ms; "
                  f"members per view {sorted({v[2] for v in views})}")
        finally:
            base_server.close()
            live_server.close()
            for peer in peers:
                peer.stop()


if __name__ == "__main__":
    main()
