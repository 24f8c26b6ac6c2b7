"""Benchmark: the whole OAI-PMH harvest path against a bare sickle loop over the same pages.

Renders at least 100,000 records into OAI-PMH ListRecords pages once, in
memory, from real MARCXML records in ../shared/data (Alma's OAI page, Duke,
UNC, NCSU, Libris, Deichman) with rewritten OAI identifiers and 001s, and
serves them from 127.0.0.1 by a server that only looks the page up (so it
costs almost nothing). Then times, in the same run:
  sickle    Sickle(url).ListRecords(): fetch and parse every page into sickle records
  unioncat  harvest_one: fetch, parse strictly, normalise, store into a temp SQLite
and prints records per second for each and the ratio.
Usage: python bench/harvest.py [--records N] [--page N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sickle import Sickle  # noqa: E402

from harvest import HarvestOptions, RetryPolicy, harvest_one  # noqa: E402
from oaiserver import load_marc_files  # noqa: E402
from settings import SourceConfig  # noqa: E402
from store import Store  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SEEDS = ["vufindharvest/marc.xml", "trln-marc-to-argot/duke/*.xml", "trln-marc-to-argot/unc/*.xml",
         "trln-marc-to-argot/ncsu/*.xml", "libris/batchimport/*.xml", "deichman/marc2rdf/example.normarc.xml"]
MAX_SEED_BYTES = 8000          # typical OAI-PMH MARCXML records; the few huge ones would dominate the corpus
OAI = "http://www.openarchives.org/OAI/2.0/"
CONTROL = re.compile(rb'(<controlfield tag="001">)[^<]*(</controlfield>)')


def seed_templates() -> list[tuple[bytes, bytes]]:
    """Real records split around their 001, so each copy gets its own control number."""
    paths = [p for pattern in SEEDS for p in sorted(SHARED.glob(pattern))]
    templates = []
    for record in load_marc_files(paths):
        match = CONTROL.search(record.marcxml)
        if match and len(record.marcxml) <= MAX_SEED_BYTES:
            templates.append((record.marcxml[:match.end(1)], record.marcxml[match.start(2):]))
    return templates


def render_pages(total: int, per_page: int) -> list[bytes]:
    """Every ListRecords page of the list, rendered once."""
    templates = seed_templates()
    pages = []
    for first in range(0, total, per_page):
        body = [f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>2024-03-01T00:00:00Z'
                '</responseDate><request verb="ListRecords">http://127.0.0.1/oai</request><ListRecords>'.encode()]
        for n in range(first, min(first + per_page, total)):
            head, tail = templates[n % len(templates)]
            body.append(f"<record><header><identifier>oai:bench:{n}</identifier><datestamp>2024-03-01T00:00:00Z"
                        f"</datestamp></header><metadata>".encode() + head + b"B%08d" % n + tail + b"</metadata></record>")
        page = len(pages)
        if first + per_page < total:
            body.append(f'<resumptionToken completeListSize="{total}" cursor="{first}">p{page + 1}</resumptionToken>'.encode())
        body.append(b"</ListRecords></OAI-PMH>")
        pages.append(b"".join(body))
    return pages


IDENTIFY = (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>2024-03-02T00:00:00Z'
            '</responseDate><request verb="Identify">http://127.0.0.1/oai</request><Identify><repositoryName>bench'
            '</repositoryName><baseURL>http://127.0.0.1/oai</baseURL><protocolVersion>2.0</protocolVersion>'
            '<adminEmail>a@localhost</adminEmail><earliestDatestamp>2024-03-01T00:00:00Z</earliestDatestamp>'
            '<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>'
            '</Identify></OAI-PMH>').encode()


class PageServer:
    """Serves pages from memory on 127.0.0.1: `resumptionToken=pN` is page N. Headers and body
    leave in one write with Nagle off, so no request waits on a delayed ACK."""

    def __init__(self, pages: list[bytes]):
        handler = type("Handler", (_PageHandler,), {"pages": pages})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()


class _PageHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    pages: list[bytes] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        args = dict(parse_qsl(urlsplit(self.path).query))
        body = IDENTIFY if args.get("verb") == "Identify" else self.pages[int(args.get("resumptionToken", "p0")[1:])]
        head = (f"HTTP/1.0 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body)

    def log_message(self, *args):
        pass


def sickle_loop(url: str) -> int:
    return sum(1 for _record in Sickle(url, timeout=60).ListRecords(metadataPrefix="marc21"))


def page_parse_loop(pages: list[bytes]) -> int:
    """Context only: lxml parsing the pages already in memory, no HTTP at all."""
    return sum(len(etree.fromstring(page).findall(f"{{{OAI}}}ListRecords/{{{OAI}}}record")) for page in pages)


def unioncat_harvest(url: str, folder: str, profile: bool) -> int:
    with Store(f"sqlite:///{folder}/bench.sqlite", migrate=True) as store:
        source = SourceConfig(code="bench", name="bench", type="oai", url=url)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        report = harvest_one(store, source, RetryPolicy(timeout=60), HarvestOptions())
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        if not report.ok:
            raise SystemExit(f"harvest failed: {report.error}")
        if report.counts.quarantined:
            print(f"  ({report.counts.quarantined} records quarantined, e.g. {report.counts.quarantined_items[0].reason})")
        return report.counts.new + report.counts.quarantined


def time_it(label: str, fn) -> float:
    started = time.perf_counter()
    count = fn()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"  {label:<34} {count:>8} records in {elapsed:6.2f}s = {rate:>8,.0f} records/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the list")
    parser.add_argument("--page", type=int, default=100, help="records per page")
    parser.add_argument("--profile", action="store_true", help="print where the harvest spends its time")
    args = parser.parse_args()
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    started = time.perf_counter()
    pages = render_pages(args.records, args.page)
    size = sum(len(p) for p in pages)
    print(f"{args.records} records in {len(pages)} pages ({size / 1e6:.0f} MB), rendered in "
          f"{time.perf_counter() - started:.1f}s; served from 127.0.0.1")
    with PageServer(pages) as server, tempfile.TemporaryDirectory() as folder:
        time_it("lxml page parse (no HTTP; context)", lambda: page_parse_loop(pages))
        baseline = time_it("sickle ListRecords loop", lambda: sickle_loop(server.url))
        ours = time_it("unioncat harvest (HTTP..SQLite)", lambda: unioncat_harvest(server.url, folder, args.profile))
    print(f"unioncat is {baseline / ours:.2f}x slower than the bare sickle loop (aim: within 3x)")


if __name__ == "__main__":
    main()
