"""Benchmark: searching clusters with unioncat's index against a bare Whoosh index, same run.

Generates N clusters (100,000; 1,000,000 with --large) from the real records
of ../shared/data and samples/: the first pass uses each real record as it
is, later passes vary its title words, authors, subjects and year with words
drawn from the same real records, give each a new valid ISBN and holdings at
1 to 12 of 60 libraries. Builds, in the same run,
  unioncat  index.build_index over index.documents.document_for (the real code path)
  bare      a default Whoosh schema (TEXT/KEYWORD/NUMERIC, no columns), searched with the
            default MultifieldParser and, with facets, groupedby FieldFacets
and prints the build rate, then p50/p95 latency of rare-term, common-term,
two-term, phrase, fielded and ISBN queries, each with and without facets.
unioncat counts six facets (library, format, language, year, subject, author);
bare counts the four it can (library, format, language, year), and because each
of its faceted searches takes seconds, runs only the first 10 queries of a kind
once for that column.

With --engine solr, the same generated catalogue is built in Whoosh and in
SolrCloud (the test launcher's 3 nodes on this machine) in one run instead,
and both are timed through their engines (bench/search_solr.py).

With --languages, the cost of the lemma fields instead (bench/search_languages.py):
the same catalogue, a fifth of it Polish, built and searched with facets
before (lemma fields off) and after (on), in one run.

Usage: python bench/search.py [--large] [--clusters N] [--rounds 3] [--procs 1] [--keep DIR] [--engine solr]
                              [--languages]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from stdnum import ean
from stdnum import isbn as isbn_mod
from whoosh import fields as wf
from whoosh import index as whoosh_index
from whoosh import qparser, sorting

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from dedup import ClusterView  # noqa: E402
from index import SearchRequest  # noqa: E402
from index.searcher import Searcher  # noqa: E402
from index.writer import build_index  # noqa: E402
from index.documents import document_for  # noqa: E402
from index.generations import live_folder  # noqa: E402
from index.storage import open_index  # noqa: E402
from normalise import Holding, Identifier, RawRecord, normalise, read_file  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LIBRARIES = [f"lib{n:02d}" for n in range(60)]
KINDS = ("rare", "common", "two-term", "phrase", "fielded", "isbn")
BARE_FACETS = ("library", "branch", "format", "language", "decade")
BARE_FACETED_QUERIES = 10
SAMPLE = 2_000


def real_records() -> list:
    """Every readable bibliographic record with a title in ../shared/data and samples/."""
    out = []
    for folder in (SHARED, ROOT / "samples"):
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".mrc", ".xml", ".marc") or any(w in path.name for w in ("bad", "broken", "error")):
                continue
            try:
                for item in read_file(path):
                    if isinstance(item, RawRecord):
                        record = normalise(item.record, "real")
                        if record.title and not record.is_holdings:
                            out.append(record)
            except Exception:  # noqa: BLE001 - a fixture that is not MARC at all
                continue
    return out


class Generator:
    """Clusters made from real records, deterministically."""

    def __init__(self, pool: list, seed: int = 6):
        self.rng = random.Random(seed)
        self.pool = pool[:]
        self.rng.shuffle(self.pool)
        self.words = [w for r in pool for w in r.title.split() if w.isalpha()]
        self.subjects = [s for r in pool for s in r.subjects]
        self.contributors = [c for r in pool for c in r.contributors]
        self.years = [r.year for r in pool if r.year]
        self.weights = [1 / (n + 1) ** 0.8 for n in range(len(LIBRARIES))]
        self.isbns: list[str] = []

    def views(self, count: int):
        for n in range(count):
            base = self.pool[n % len(self.pool)]
            record = base if n < len(self.pool) else self._vary(base, n)
            holdings = self._holdings()
            yield ClusterView(id=f"b{n:07d}", title=record.title, record=record, members=[record],
                              identifiers=record.identifiers, subjects=record.subjects, holdings=holdings,
                              languages=record.languages)

    def _vary(self, base, n: int):
        rng = self.rng
        words = base.title.split()
        for _ in range(rng.randint(1, 2)):
            words[rng.randrange(len(words))] = rng.choice(self.words)
        contributors = base.contributors if rng.random() < 0.5 else [rng.choice(self.contributors)]
        subjects = base.subjects[:3] + ([rng.choice(self.subjects)] if self.subjects else [])
        isbn = self._isbn(n)
        year = rng.choice(self.years) if self.years else None
        return replace(base, local_id=str(n), title=" ".join(words), title_sort="", contributors=contributors,
                       subjects=subjects, year=year, identifiers=[Identifier("isbn", isbn)])

    def _isbn(self, n: int) -> str:
        body = f"97891{n:07d}"
        isbn = body + ean.calc_check_digit(body)
        if n % 97 == 0 and len(self.isbns) < 200:
            self.isbns.append(isbn_mod.format(isbn))
        return isbn

    def _holdings(self) -> list:
        k = min(12, 1 + int(self.rng.expovariate(0.9)))
        chosen = set(self.rng.choices(LIBRARIES, weights=self.weights, k=k))
        holdings = []
        for code in sorted(chosen):
            # a member is one library or a network of up to 9 branches (184 libraries with 534 branches, say)
            n = int(code[3:])
            library = code if n % 3 == 0 else f"{code}-b{self.rng.randrange(1 + n % 9)}"
            holdings.append(Holding(source=code, library=library))
        return holdings


def bare_schema() -> wf.Schema:
    return wf.Schema(id=wf.ID(stored=True), title=wf.TEXT, authors=wf.TEXT, subjects=wf.TEXT, series=wf.TEXT,
                     publisher=wf.TEXT, notes=wf.TEXT, isbn=wf.KEYWORD(commas=True), year=wf.NUMERIC(int),
                     library=wf.KEYWORD(commas=True), branch=wf.KEYWORD(commas=True), format=wf.KEYWORD(commas=True),
                     language=wf.KEYWORD(commas=True), decade=wf.KEYWORD(commas=True))


def bare_document(doc: dict) -> dict:
    out = {k: doc[k] for k in ("id", "title", "authors", "subjects", "series", "publisher", "notes")}
    out.update(isbn=",".join(doc["ident"]), library=",".join(doc["library"]), branch=",".join(doc["branch"]),
               format=",".join(doc["format"]),
               language=",".join(doc["language"]), decade=",".join(doc.get("decade", [])))
    if "year" in doc:
        out["year"] = doc["year"]
    return out


def documents(pool: list, count: int, sample: list | None = None, isbns: list | None = None):
    """The index documents of `count` generated clusters, made on the fly (the same every time).

    Every (count // SAMPLE)th document is kept in `sample`, and ISBNs to search for in `isbns`.
    """
    generator = Generator(pool)
    names = {code: code.upper() for code in LIBRARIES}
    step = max(1, count // SAMPLE)
    for n, view in enumerate(generator.views(count)):
        document = document_for(view, names)
        if sample is not None and n % step == 0:
            sample.append(document)
        yield document
    if isbns is not None:
        isbns.extend(generator.isbns)


def generation_rate(pool: list, count: int) -> float:
    """Clusters made per second (ClusterView -> document_for), on up to 20,000."""
    count = min(count, 20_000)
    started = time.perf_counter()
    for _document in documents(pool, count):
        pass
    return count / (time.perf_counter() - started)


def build(pool: list, count: int, folder: Path, procs: int, sample: list, isbns: list) -> dict:
    """Both indexes from the same generated clusters; returns the build rates."""
    started = time.perf_counter()
    build_index(folder / "ours", documents(pool, count, sample, isbns), procs=procs, limitmb=512)
    ours = time.perf_counter() - started
    (folder / "bare").mkdir()
    started = time.perf_counter()
    ix = whoosh_index.create_in(str(folder / "bare"), bare_schema())
    writer = ix.writer(limitmb=512, **({"procs": procs, "multisegment": True} if procs > 1 else {}))
    for doc in documents(pool, count):
        writer.add_document(**bare_document(doc))
    writer.commit()
    bare = time.perf_counter() - started
    return {"ours": count / ours, "bare": count / bare}


def pick_queries(folder: Path, sample: list, isbns: list, per_kind: int, rng: random.Random) -> dict:
    """Queries of each kind, chosen from the index's own statistics and a sample of its documents."""
    ix = open_index(live_folder(folder / "ours"))
    with ix.reader() as reader:
        terms = [(t.decode(), reader.doc_frequency("title", t)) for t in reader.lexicon("title")]
        total = reader.doc_count()
    words = [(t, f) for t, f in terms if t.isalpha() and len(t) > 3]
    rare = [t for t, f in words if 2 <= f <= max(20, total // 5000)]     # 1 in 5,000 clusters or fewer
    common = sorted(words, key=lambda tf: -tf[1])[:40]
    mid = [t for t, f in words if total * 0.005 <= f <= total * 0.05]
    phrases = []
    for doc in rng.sample(sample, len(sample)):
        title = [w for w in doc["title"].split() if w.isalpha() and len(w) > 3]
        if len(title) >= 2 and len(phrases) < per_kind:
            phrases.append(f'"{title[0]} {title[1]}"')
    authors = [doc["authors"].split(",")[0].split(" ;")[0] for doc in rng.sample(sample, 500) if doc["authors"]]
    return {
        "rare": [SearchRequest(q=w) for w in rng.sample(rare, min(per_kind, len(rare)))],
        "common": [SearchRequest(q=w) for w, _ in rng.sample(common, min(per_kind, len(common)))],
        "two-term": [SearchRequest(q=f"{a} {b}") for a, b in zip(rng.sample(mid, per_kind), rng.sample(mid, per_kind))],
        "phrase": [SearchRequest(q=p) for p in phrases],
        "fielded": [SearchRequest(author=a, title=rng.choice(mid)) for a in authors[:per_kind]],
        "isbn": [SearchRequest(q=i) for i in rng.sample(isbns, min(per_kind, len(isbns)))],
    }


def bare_query(parser, request: SearchRequest):
    if request.author:
        return qparser.QueryParser("title", bare_schema()).parse(f"title:({request.title}) authors:({request.author})")
    text = request.q
    if isbn_mod.is_valid(text):
        text = "isbn:" + isbn_mod.compact(text)
    return parser.parse(text)


def net(rate: float, generating: float) -> float:
    """The indexing rate once the time spent generating the documents is taken out."""
    return 1 / max(1e-9, 1 / rate - 1 / generating)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


def time_ours(searcher: Searcher, requests: list, facets: bool, rounds: int) -> list[float]:
    samples = []
    for request in requests:     # warm-up: the first run of each query is not counted
        searcher.search(replace(request, facets=facets))
    for _ in range(rounds):
        for request in requests:
            started = time.perf_counter()
            searcher.search(replace(request, facets=facets))
            samples.append(time.perf_counter() - started)
    return samples


def time_bare(searcher, parser, requests: list, facets: bool, rounds: int) -> list[float]:
    groups = [sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count) for name in BARE_FACETS]
    samples = []
    for request in requests[:3]:
        searcher.search(bare_query(parser, request), limit=20)
    for _ in range(rounds):
        for request in requests:
            started = time.perf_counter()
            results = searcher.search(bare_query(parser, request), limit=20,
                                      groupedby=dict(zip(BARE_FACETS, groups)) if facets else None)
            [hit["id"] for hit in results[:20]]
            if facets:
                [results.groups(name) for name in BARE_FACETS]
            samples.append(time.perf_counter() - started)
    return samples


def private_memory_mb() -> int:
    """This process's anonymous (not file-backed) resident memory, from Linux's /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) // 1024
    return 0


def report(folder: Path, queries: dict, rounds: int) -> None:
    sys.stdout.reconfigure(line_buffering=True)      # each row as it is measured, also into a file
    ours = Searcher(folder / "ours", time_limit=60)
    started, memory = time.perf_counter(), private_memory_mb()
    ours.snapshot()
    print(f"  unioncat snapshot tables built in {time.perf_counter() - started:.2f}s (once per commit),"
          f" {private_memory_mb() - memory:,} MB of private memory")
    bare_ix = whoosh_index.open_dir(str(folder / "bare"))
    parser = qparser.MultifieldParser(["title", "authors", "subjects", "series", "publisher", "notes"], bare_ix.schema)
    header = f"  {'query':<10} {'n':>3} | {'unioncat p50/p95 ms':>20} {'+facets':>16} | {'bare p50/p95 ms':>17} {'+facets':>18}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    with bare_ix.searcher() as bare:
        for kind in KINDS:
            requests = queries[kind]
            if not requests:
                print(f"  {kind:<10}   0 | no such queries in a catalogue this small")
                continue
            row = [percentiles(time_ours(ours, requests, f, rounds)) for f in (False, True)]
            row.append(percentiles(time_bare(bare, parser, requests, False, rounds)))
            # the bare index un-inverts every facet on every search (seconds each): fewer runs
            row.append(percentiles(time_bare(bare, parser, requests[:BARE_FACETED_QUERIES], True, 1)))
            cells = [f"{p50:7.1f}/{p95:7.1f}" for p50, p95 in row]
            print(f"  {kind:<10} {len(requests):>3} | {cells[0]:>20} {cells[1]:>16} | {cells[2]:>17} {cells[3]:>18}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="1,000,000 clusters instead of 100,000")
    parser.add_argument("--clusters", type=int, help="any other number of clusters")
    parser.add_argument("--rounds", type=int, default=3, help="times each query is run (after one warm-up)")
    parser.add_argument("--queries", type=int, default=30, help="queries per kind")
    parser.add_argument("--procs", type=int, default=1, help="writer processes for both builds")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    parser.add_argument("--reuse", action="store_true", help="search the indexes already in --keep")
    parser.add_argument("--engine", choices=("whoosh", "solr"), default="whoosh",
                        help="solr: Whoosh and SolrCloud over the same catalogue (needs Java and `make solr`)")
    parser.add_argument("--languages", action="store_true",
                        help="the cost of the lemma fields: a fifth Polish, before (off) and after (on)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    count = args.clusters or (1_000_000 if args.large else 100_000)
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    pool = real_records()
    print(f"{len(pool)} real records -> {count:,} clusters")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="unioncat-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if args.engine == "solr":
            from bench import search_solr

            search_solr.run(lambda n, sample, isbns: documents(pool, n, sample, isbns), pick_queries, percentiles,
                            time_ours, KINDS, count, folder, args.rounds, args.queries, random.Random(7))
            return
        if args.languages:
            from bench import search_languages

            search_languages.run(pool, count, folder, args.rounds, args.queries, args.procs, KINDS)
            return
        made = generation_rate(pool, count)
        print(f"  generating alone: {made:,.0f} clusters/s (ClusterView -> document_for)")
        sample, isbns = [], []
        if args.reuse:
            for _document in documents(pool, count, sample, isbns):
                pass
        else:
            rates = build(pool, count, folder, args.procs, sample, isbns)
            print(f"  built, generating on the fly: unioncat {rates['ours']:,.0f} docs/s, bare {rates['bare']:,.0f} docs/s"
                  f" (indexing alone: {net(rates['ours'], made):,.0f} and {net(rates['bare'], made):,.0f} docs/s)")
        queries = pick_queries(folder, sample, isbns, args.queries, random.Random(7))
        # searched from a fresh process, so that its memory figure is the snapshot's alone
        searching = multiprocessing.get_context("spawn").Process(target=report, args=(folder, queries, args.rounds))
        searching.start()
        searching.join()
        if searching.exitcode:
            sys.exit(f"searching failed (exit code {searching.exitcode})")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
