"""The Whoosh index: documents, incremental updates seen by a running searcher, and facet counting."""

from __future__ import annotations

import random
import shutil
import time
import tracemalloc

import pytest
from click.testing import CliRunner
from whoosh import query

import index.searcher as searcher_module
from cli import main
from dedup import build_view
from index import QueryError, SearchIndexError, SearchRequest
from index import querytree as qt
from index.documents import document_for, identifier_terms
from index.facets import to_bitmap
from index.generations import live_folder
from index.query import parse_box
from index.ranking import ranking_query
from index.searcher import Searcher
from index.schema import make_schema
from index.storage import create_index, open_index
from index.whoosh_query import to_whoosh
from normalise import Identifier, Record
from settings import load_config
from tests.conftest import shared
from tests.test_web import catalogue  # noqa: F401  (the shared sample catalogue)


def test_a_cluster_is_indexed_under_every_form_of_its_isbn():
    record = Record(source="a", local_id="1", title="Beyond the crisis in art",
                    identifiers=[Identifier("isbn", "9780906495346"), Identifier("issn", "0317-8471")])
    terms = identifier_terms(build_view("c1", [record]))
    assert {"9780906495346", "0906495342", "03178471"} <= set(terms)


def test_a_document_goes_into_the_stemmed_field_of_its_languages_only():
    record = Record(source="a", local_id="1", title="Böckerna", languages=["swe"])
    document = document_for(build_view("c1", [record]), {})
    assert "stem_sv" in document and "stem_en" not in document
    assert set(document) - {"year", "decade", "stem_sv"} <= set(make_schema().names())


def nightly(config_path, *options):
    result = CliRunner().invoke(main, ["--config", str(config_path), "nightly", *options])
    assert result.exit_code in (0, 1), result.output


@pytest.fixture
def growing(tmp_path):
    """A one-member catalogue whose folder can gain files between nightly runs."""
    (tmp_path / "member").mkdir()
    shutil.copy(shared("libris/batchimport/batch2.xml"), tmp_path / "member" / "a.xml")
    (tmp_path / "config.yaml").write_text(
        "store: store.sqlite\nindex: index\nsources:\n  - {code: m, name: Member, type: file, path: member/*.xml}\n")
    nightly(tmp_path / "config.yaml")
    return tmp_path


def test_a_large_snapshot_is_prepared_in_the_background_while_the_old_one_serves(growing, monkeypatch):
    monkeypatch.setattr(searcher_module, "SYNC_BUILD_BELOW", 0)
    config = load_config(growing / "config.yaml")
    searcher = Searcher(config.index_dir)
    old = searcher.snapshot()
    shutil.copy(shared("deichman/ls.ext/marc.xml"), growing / "member" / "b.xml")
    nightly(growing / "config.yaml")
    assert searcher.snapshot() is old                    # still serving while the new one is built
    deadline = time.monotonic() + 30
    while searcher.snapshot() is old and time.monotonic() < deadline:
        time.sleep(0.05)
    assert searcher.search(SearchRequest(q="berlinerpoplene")).total == 1


def test_a_bitmap_has_exactly_the_bits_of_its_documents():
    docs = {0, 1, 7, 8, 9, 63, 64, 999}
    bitmap = to_bitmap(docs, 1000)
    assert {bit for bit in range(1000) if bitmap >> bit & 1} == docs
    assert to_bitmap(set(), 10) == 0


def test_bitmap_facet_counts_equal_counting_document_by_document(catalogue):  # noqa: F811
    facets = Searcher(catalogue.index_dir).snapshot().tables.facets
    rng = random.Random(6)
    for size in (1, 50, facets.size // 2, facets.size):
        docs = set(rng.sample(range(facets.size), size))
        matches = to_bitmap(docs, facets.size)
        for facet in facets.per_doc:
            by_document = facets.count(facet, docs)
            by_bitmap = facets.count_indexed(facet, docs, matches)
            indexed = set(facets.dense[facet]) | set(facets.sparse[facet])
            assert by_bitmap == {o: n for o, n in by_document.items() if o in indexed}, facet


def test_opening_a_snapshot_reads_the_segments_in_place_instead_of_copying_them(catalogue):  # noqa: F811
    # Whoosh's default (mmap) open copies each compound segment's postings and term index
    # into memory: 1.4 GB per snapshot at a million clusters (see index/storage.py)
    live = live_folder(catalogue.index_dir)
    on_disk = sum(path.stat().st_size for path in live.glob("*.seg"))
    tracemalloc.start()
    try:
        searcher = open_index(live).searcher()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert searcher.doc_count() > 300
    searcher.close()
    assert on_disk > 1_000_000
    assert peak < on_disk / 10, f"{peak:,} bytes allocated to open {on_disk:,} bytes of segments"


def test_an_index_built_by_an_older_version_is_refused_clearly_then_rebuilt_by_the_next_run(growing):
    config = load_config(growing / "config.yaml")
    before = Searcher(config.index_dir).search(SearchRequest(q="")).total
    # an older unioncat's index: the same schema without the holding-library field
    older = make_schema()
    older.remove("branch")
    shutil.rmtree(config.index_dir)
    create_index(config.index_dir, older)
    (config.index_dir / "state.json").write_text('{"indexed_at": "2999-01-01T00:00:00+00:00"}')
    with pytest.raises(SearchIndexError, match="older version of unioncat.*branch.*index --rebuild"):
        Searcher(config.index_dir).search(SearchRequest(q=""))
    result = CliRunner().invoke(main, ["--config", str(growing / "config.yaml"), "index"])
    assert result.exit_code == 0, result.output
    after = Searcher(config.index_dir).search(SearchRequest(q=""))
    assert after.total == before and "branch" in after.facets


def test_a_search_that_runs_out_of_time_stops_with_a_helpful_error(catalogue):  # noqa: F811
    impatient = Searcher(catalogue.index_dir, time_limit=0)
    with pytest.raises(QueryError) as caught:
        impatient.search(SearchRequest(q="art"))
    assert caught.value.kind == "too_slow"


def test_whoosh_ranks_an_or_search_by_title_author_and_subject_words_only():
    ranking = ranking_query(to_whoosh(parse_box("art OR crisis NOT cinema")))
    assert {leaf.fieldname for leaf in ranking.leaves()} <= {"title", "authors", "subjects", "ident"}
    assert "cinema" not in str(ranking)


def test_the_whoosh_query_of_a_tree_means_what_the_tree_says():
    tree = qt.And((qt.Or((qt.Term("title", "art"), qt.Phrase("title", ("crisis", "in", "art")))),
                   qt.Not(qt.Filter("library", "duke")), qt.YearRange(1990, 1999), qt.Filter("year", "1990")))
    assert to_whoosh(tree) == query.And([
        query.Or([query.Term("title", "art"), query.Phrase("title", ["crisis", "in", "art"], slop=1)]),
        query.Not(query.Term("library", "duke")), query.NumericRange("year", 1990, 1999), query.Term("decade", "1990")])
    assert to_whoosh(qt.MatchAll()) == query.Every() and to_whoosh(qt.MatchNone()) is query.NullQuery
