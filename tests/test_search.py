"""The search-engine contract: every engine (the `engine` fixture of conftest.py) passes these, unchanged.

Each test searches the sample catalogue through the `Engine` seam only and
asserts what a patron sees: totals, the order of the hits, facet values,
suggestions that find something. No test knows which engine it runs on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from index import QueryError, SearchRequest, engine_for
from settings import load_config
from store import Store
from tests.conftest import ENGINE_SECTIONS, shared


def search(engine, q: str = "", **options):
    return engine.search(SearchRequest(q=q, **options))


def titles(result) -> list[str]:
    return [hit.title for hit in result.hits]


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def sources(hit) -> set[str]:
    return {holding["source"] for holding in hit.holdings}


# --- query safety: no patron text reaches an engine as syntax ------------------------------------

@pytest.mark.parametrize("typed, words", [
    ("library:duke", "library duke"), ("payload:secret", "payload secret"), ("id:c1", "id c1"),
    ("art*", "art"), ("cris*", "cris"), ("a?t", "a t"), ("[a TO z]", "a TO z"), ("crisis~2", "crisis 2"),
    ("crisis^9", "crisis 9"), ("{!lucene}crisis", "lucene crisis"), ("_query_:crisis", "_query_ crisis"),
    ("crisis && art", "crisis art"), ("crisis || art", "crisis art"), ("authors:fuller", "authors fuller"),
    ("notes:crisis", "notes crisis"), ('"title:crisis"', '"title crisis"'),
])
def test_syntax_typed_in_the_box_is_read_as_plain_words(engine, typed, words):
    as_typed, as_words = search(engine, typed, page_size=100), search(engine, words, page_size=100)
    assert (as_typed.total, ids(as_typed)) == (as_words.total, ids(as_words))


@pytest.mark.parametrize("typed", ["*:*", "*", "()", '""', "^~*", "{!}"])
def test_a_search_of_syntax_alone_is_refused_not_run_as_everything(engine, typed):
    with pytest.raises(QueryError) as caught:
        search(engine, typed)
    assert caught.value.kind == "no_words"


@pytest.mark.parametrize("typed, kind", [("x" * 501, "too_long"), (" ".join(["art"] * 33), "too_many_words"),
                                         ("(" * 9 + "art" + ")" * 9, "too_deep")])
def test_a_search_beyond_the_caps_is_refused_with_its_reason(engine, typed, kind):
    with pytest.raises(QueryError) as caught:
        search(engine, typed)
    assert caught.value.kind == kind


def test_page_size_is_capped_and_paging_stops_at_the_depth_limit(engine):
    result = search(engine, page_size=10_000)
    assert result.page_size == 100 and len(result.hits) == 100
    with pytest.raises(QueryError) as caught:
        search(engine, page_size=100, page=11)
    assert caught.value.kind == "page_range"
    with pytest.raises(QueryError):
        search(engine, page=0)


def test_a_page_past_the_last_is_refused(engine):
    last = search(engine, "art").pages
    assert search(engine, "art", page=last).hits
    with pytest.raises(QueryError) as caught:
        search(engine, "art", page=last + 1)
    assert caught.value.kind == "page_range"


@pytest.mark.parametrize("page", [99, 51, 999_999])
def test_a_page_past_the_last_names_the_real_last_page_even_beyond_the_depth_limit(engine, page):
    last = search(engine, "art").pages
    assert last < 10
    with pytest.raises(QueryError) as caught:
        search(engine, "art", page=page)
    assert caught.value.params["limit"] == last and caught.value.params["page"] == page


# --- a public field typed in the box ---------------------------------------------------------------

@pytest.mark.parametrize("typed, box", [("author:fuller", {"author": "fuller"}), ("title:crisis", {"title": "crisis"}),
                                        ("Subject:art", {"subject": "art"}), ("isbn:0-906495-34-2",
                                                                               {"isbn": "0906495342"}),
                                        ('title:"crisis in art"', {"title": '"crisis in art"'})])
def test_a_public_field_typed_in_the_box_searches_as_its_fielded_box(engine, typed, box):
    typed_result, boxed = search(engine, typed, page_size=100), search(engine, page_size=100, **box)
    assert typed_result.total > 0 and ids(typed_result) == ids(boxed)


def test_a_field_prefix_narrows_to_that_field(engine):
    anywhere, by_author = search(engine, "art", page_size=100), search(engine, "author:art", page_size=100)
    assert by_author.total < anywhere.total and set(ids(by_author)) <= set(ids(anywhere))
    assert search(engine, "author:fuller crisis").total == search(engine, "crisis", author="fuller").total > 0


@pytest.mark.parametrize("filters, kind", [({"payload": ["x"]}, "unknown_filter"), ({"year": ["old"]}, "bad_year_range"),
                                           ({"library": [str(n) for n in range(11)]}, "too_many_values")])
def test_filters_are_checked(engine, filters, kind):
    with pytest.raises(QueryError) as caught:
        search(engine, filters=filters)
    assert caught.value.kind == kind


def test_a_filter_value_is_a_value_not_syntax(engine):
    assert search(engine, filters={"library": ["duke OR unc"]}).total == 0
    assert search(engine, filters={"library": ["*"]}).total == 0
    assert search(engine, filters={"format": ["book\" OR format:\"map"]}).total == 0


# --- folding and stemming -----------------------------------------------------------------------

def test_folding_finds_words_whatever_their_diacritics_and_case(engine):
    for typed in ("cinema colette", "CINÉMA Colette", "cinéma colette"):
        assert "Colette et le cinéma" in titles(search(engine, typed)), typed
    plain, accented = search(engine, "Goteborg"), search(engine, "Göteborg")
    assert plain.total == accented.total > 0 and ids(plain) == ids(accented)


def test_stemming_finds_other_forms_of_an_english_word(engine):
    singular = set(ids(search(engine, "killing", page_size=100)))
    stemmed = set(ids(search(engine, "kills", page_size=100)))
    assert singular and singular <= stemmed


# the session's one SolrCloud is reached only from the "solr" xdist group (tests/conftest.py)
@pytest.fixture(scope="module", params=[pytest.param(name, marks=pytest.mark.xdist_group("solr")) if name == "solr"
                                        else name for name in sorted(ENGINE_SECTIONS)])
def inflected(request, tmp_path_factory):
    """Each engine over Polish, Swedish and Norwegian records whose titles carry one form of a word
    (tests/data/inflection.xml, see its provenance)."""
    folder = tmp_path_factory.mktemp("inflected")
    (folder / "member").mkdir()
    shutil.copy(Path(__file__).parent / "data" / "inflection.xml", folder / "member" / "records.xml")
    (folder / "config.yaml").write_text(yaml.safe_dump({
        "store": "store.sqlite", "index": "index", "search": ENGINE_SECTIONS[request.param](request, folder),
        "sources": [{"code": "m", "name": "Member", "type": "file", "path": "member/*.xml"}]}))
    nightly(folder / "config.yaml")
    return engine_for(load_config(folder / "config.yaml"))


@pytest.mark.parametrize("typed, title", [
    ("warszawa", "Ad minimum"), ("Warszawy", "Ad minimum"), ("warszawie", "LED Konferencja"),
    ("Kraków", "Nobel dla Olgi i helikopter"), ("krakowa", "Nobel dla Olgi i helikopter"),
    ("Krakowa", "Jak zaśpiewać Tokarczuk"), ("krakowie", "Jak zaśpiewać Tokarczuk"),       # the subject Kraków
    ("bibliotekach", "Biblioteka prawa"), ("biblioteka", "Podróże Olgi T. po bibliotekach"),
    ("böcker", "Polisbilen får ett larm"), ("bok", "Där ute i mörkret"),                   # the genre E-böcker
    ("bibliotekene", "Et bibliotek i byen"), ("bibliotek", "Bibliotekene i Oslo"),
])
def test_an_inflected_polish_swedish_or_norwegian_word_finds_its_other_forms(inflected, typed, title):
    assert any(found.startswith(title) for found in titles(search(inflected, typed))), typed


def test_the_form_typed_ranks_before_other_forms_of_the_word(inflected):
    found = titles(search(inflected, "warszawie"))
    assert found[0].startswith("Ad minimum") and any(t.startswith("LED Konferencja") for t in found)
    found = titles(search(inflected, "bibliotekach"))
    assert found[0].startswith("Podróże Olgi T. po bibliotekach") and "Biblioteka prawa" in found


def test_a_polish_word_typed_without_diacritics_meets_the_forms_folding_and_lemmas_reach(inflected):
    assert any(t.startswith("Nobel dla Olgi i helikopter") for t in titles(search(inflected, "krakowa")))
    assert titles(search(inflected, "krakow")) == titles(search(inflected, "Kraków"))


def test_a_phrase_needs_its_words_together(engine):
    assert "Beyond the crisis in art" in titles(search(engine, '"crisis in art"'))
    assert "Beyond the crisis in art" not in titles(search(engine, '"art in crisis"'))


def test_not_excludes_and_or_widens(engine):
    art = search(engine, "art").total
    art_not_crisis = search(engine, "art NOT crisis")
    assert art_not_crisis.total < art and "Beyond the crisis in art" not in titles(art_not_crisis)
    assert search(engine, "art OR crisis").total > art
    assert search(engine, "NOT crisis").total == engine.count() - search(engine, "crisis").total


def test_fielded_search_and_year_range_narrow_the_results(engine):
    assert search(engine, author="fuller").total >= 2
    assert [h.year for h in search(engine, author="fuller", year_from=1985, year_to=1990).hits] == [1988]
    assert search(engine, title="crisis", subject="art").total >= 1


# --- identifiers and other editions -------------------------------------------------------------

@pytest.mark.parametrize("typed", ["978-0-906495-34-6", "9780906495346", "0-906495-34-2", "0906495342"])
def test_an_isbn_with_or_without_hyphens_as_10_or_13_digits_finds_the_book(engine, typed):
    assert titles(search(engine, typed)) == ["Beyond the crisis in art"]
    assert titles(search(engine, isbn=typed)) == ["Beyond the crisis in art"]


def test_other_editions_are_found_by_work(engine):
    (original,) = search(engine, isbn="9780906495346").hits
    (second,) = search(engine, isbn="978-0-906495-99-5").hits
    editions = engine.editions("beyond the crisis in art|fuller", original.id)
    assert [e.id for e in editions] == [second.id]
    assert engine.editions("", original.id) == []


# --- relevance, sorting and paging --------------------------------------------------------------

def test_relevance_puts_title_matches_first_and_more_holders_first_among_them(engine):
    hits = search(engine, "crisis").hits
    in_title = ["crisis" in h.title.casefold() for h in hits]
    assert in_title == sorted(in_title, reverse=True)
    assert hits[0].title == "Beyond the crisis in art"          # five holders, among the title matches


def test_a_title_match_comes_before_a_more_widely_held_match_elsewhere(engine):
    hits = search(engine, "course").hits
    in_title = ["course" in hit.title.casefold() for hit in hits]
    assert in_title[0] and not all(in_title) and in_title == sorted(in_title, reverse=True)
    assert len(hits[0].holdings) < max(len(hit.holdings) for hit, titled in zip(hits, in_title) if not titled)


def test_the_exact_title_comes_first(engine):
    assert titles(search(engine, "beyond the crisis in art"))[0] == "Beyond the crisis in art"
    assert titles(search(engine, "colette cinema"))[0] == "Colette et le cinéma"


def test_results_can_be_sorted_by_year_title_and_author(engine):
    by_year = [h.year for h in search(engine, sort="year", page_size=100).hits]
    assert None not in by_year and by_year == sorted(by_year, reverse=True)
    oldest = [h.year for h in search(engine, sort="year_asc", page_size=100).hits]
    assert None not in oldest and oldest == sorted(oldest)
    undated_last = search(engine, sort="year", page=search(engine, page_size=100).pages, page_size=100).hits
    assert undated_last[-1].year is None
    by_title = [h.title.casefold() for h in search(engine, sort="title", page_size=50).hits]
    assert by_title[0] <= by_title[-1]
    by_author = search(engine, sort="author", page_size=100).hits
    assert by_author[0].authors and by_author[0].authors[0][0].upper() <= by_author[-1].authors[0][0].upper()


def test_every_page_of_a_search_is_different_and_the_pages_add_up(engine):
    first = search(engine, "art", page_size=5)
    seen = []
    for page in range(1, first.pages + 1):
        seen += ids(search(engine, "art", page_size=5, page=page))
    assert len(seen) == len(set(seen)) == first.total


# --- facets and filters -------------------------------------------------------------------------

def test_every_facet_is_counted(engine):
    assert set(search(engine, "beyond the crisis in art").facets) == {
        "library", "branch", "online", "collection", "format", "language", "year", "subject", "author"}


def test_the_online_filter_keeps_the_licensed_collections_records_and_only_them(engine):
    everything = search(engine, "", page_size=1)
    online = {fv.value: fv.count for fv in everything.facets["online"]}
    licensed = {fv.value: fv.count for fv in everything.facets["library"]}["ebooks"]   # config.yaml's licences
    assert online == {"online": licensed}
    filtered = search(engine, "", filters={"online": ["online"]}, page_size=100)
    assert filtered.total == licensed and all("ebooks" in sources(hit) for hit in filtered.hits)


def test_a_regional_bibliography_is_a_scope_and_a_facet_of_its_own(engine):
    everything = search(engine, "tokarczuk", page_size=1)
    listed = {fv.value: fv.count for fv in everything.facets["collection"]}
    assert set(listed) == {"bibliografia"} and 0 < listed["bibliografia"] < everything.total
    scoped = search(engine, "tokarczuk", filters={"collection": ["bibliografia"]}, page_size=100)
    assert scoped.total == listed["bibliografia"]
    assert all(sources(hit) == {"bibliografia"} for hit in scoped.hits)


def test_facet_counts_describe_the_matches(engine):
    result = search(engine, "art", page_size=100)
    held = {}
    for hit in result.hits:
        for source in sources(hit):
            held[source] = held.get(source, 0) + 1
    assert {fv.value: fv.count for fv in result.facets["library"]} == held


def test_facet_counts_match_what_the_filter_then_finds(engine):
    everything = search(engine)
    for name in ("library", "branch", "format", "language", "year", "subject", "author"):
        top = everything.facets[name][0]
        assert search(engine, filters={name: [top.value]}).total == top.count, name


def test_facet_filters_narrow_the_results_and_combine(engine):
    everything, duke = search(engine), search(engine, filters={"library": ["duke"]})
    assert 0 < duke.total < everything.total and all("duke" in sources(hit) for hit in duke.hits)
    assert 0 < search(engine, filters={"library": ["duke"], "format": ["book"]}).total < duke.total
    both = search(engine, filters={"library": ["duke", "unc"]}, page_size=100)
    assert both.total > duke.total and all({"duke", "unc"} & sources(hit) for hit in both.hits)


@pytest.mark.parametrize("facet, values", [("library", ["duke", "unc"]), ("format", ["book", "score"]),
                                           ("language", ["swe", "nob"]), ("year", ["1980-1989", "2010-2019"]),
                                           ("library", ["libris|U", "deichman"])])
def test_several_values_of_one_facet_find_what_has_any_of_them(engine, facet, values):
    alone = [every_id(engine, filters={facet: [value]}) for value in values]
    assert all(alone) and alone[0] != alone[1]
    assert every_id(engine, filters={facet: values}) == alone[0] | alone[1]


def test_several_subjects_find_what_has_all_of_them(engine):
    subjects = [fv.value for fv in search(engine).facets["subject"][:2]]
    both = every_id(engine, filters={"subject": subjects})
    first, second = (every_id(engine, filters={"subject": [subject]}) for subject in subjects)
    assert both and both == first & second


def counts(result, facet: str) -> dict[str, int]:
    return {fv.value: fv.count for fv in result.facets[facet]}


def test_a_facet_is_counted_with_the_other_facets_filters_but_not_its_own(engine):
    chosen = search(engine, "art", filters={"library": ["duke"], "format": ["book"]})
    assert counts(chosen, "library") == counts(search(engine, "art", filters={"format": ["book"]}), "library")
    assert counts(chosen, "format") == counts(search(engine, "art", filters={"library": ["duke"]}), "format")
    assert len(counts(chosen, "library")) > 1
    for value, count in list(counts(chosen, "library").items())[:4]:       # what adding that library gives
        added = search(engine, "art", filters={"library": ["duke", value], "format": ["book"]}).total
        only = search(engine, "art", filters={"library": [value], "format": ["book"]}).total
        assert only == count and added >= chosen.total
    assert [fv.value for fv in chosen.facets["library"] if fv.selected] == ["duke"]


def test_a_subject_is_counted_within_its_own_choice(engine):
    subject = search(engine, "art").facets["subject"][0].value
    chosen = search(engine, "art", filters={"subject": [subject]})
    assert counts(chosen, "subject")[subject] == chosen.total
    assert all(count <= chosen.total for count in counts(chosen, "subject").values())


@pytest.mark.parametrize("years", [{"year_from": 1985, "year_to": 1990}, {"year_from": 2015}, {"year_to": 1950}])
def test_a_year_range_keeps_what_was_published_within_it(engine, years):
    result = search(engine, page_size=100, **years)
    low, high = years.get("year_from", 0), years.get("year_to", 9999)
    assert 0 < result.total < engine.count() and all(hit.year and low <= hit.year <= high for hit in result.hits)
    assert sum(fv.count for fv in result.facets["format"]) == result.total


def test_a_reversed_year_range_is_refused_with_its_reason(engine):
    with pytest.raises(QueryError) as caught:
        search(engine, year_from=1990, year_to=1980)
    assert caught.value.kind == "empty_years"


def test_chosen_filter_values_are_marked_selected(engine):
    result = search(engine, filters={"library": ["duke"], "year": ["2010-2019"]})
    assert [fv.value for fv in result.facets["library"] if fv.selected] == ["duke"]
    assert [fv.value for fv in result.facets["year"] if fv.selected] == ["2010-2019"]


def test_year_facet_values_are_decades_that_filter_by_range(engine):
    decades = search(engine).facets["year"]
    assert decades and all(fv.value.endswith("9") and "-" in fv.value for fv in decades)
    assert [fv.value for fv in decades] == sorted((fv.value for fv in decades), reverse=True)
    body = search(engine, filters={"year": ["2010-2019"]}, page_size=100)
    assert body.total > 0 and all(2010 <= hit.year <= 2019 for hit in body.hits)


def test_the_holding_library_facet_names_libraries_within_members_and_filters_by_them(engine):
    branches = {fv.value for fv in search(engine, "beyond the crisis in art").facets["branch"]}
    assert {"libris|U", "libris|L", "deichman|hutl", "duke|LSC"} <= branches
    narrowed = search(engine, filters={"branch": ["libris|U"]})
    assert 0 < narrowed.total < search(engine, filters={"library": ["libris"]}).total
    assert search(engine, filters={"library": ["libris|U"]}).total == narrowed.total   # as the advanced form sends it
    assert "libris|U" in engine.values("branch") and "duke" in engine.values("library")


# --- my library ---------------------------------------------------------------------------------

def test_my_library_first_lists_its_holdings_before_the_others(engine):
    result = search(engine, page_size=100, my_library="deichman", mine_first=True)
    held = ["deichman" in sources(hit) for hit in result.hits]
    assert result.mine_total == held.count(True) > 0
    assert held == sorted(held, reverse=True)
    assert [hit.mine for hit in result.hits] == held


def test_my_library_first_keeps_relevance_within_each_part(engine):
    plain = search(engine, "art", page_size=100)
    mine_first = search(engine, "art", page_size=100, my_library="duke", mine_first=True)
    held = [hit.id for hit in plain.hits if "duke" in sources(hit)]
    assert 0 < len(held) < plain.total and mine_first.mine_total == len(held)
    assert ids(mine_first) == held + [hit.id for hit in plain.hits if hit.id not in held]


def test_my_library_can_be_one_library_of_a_shared_member_catalogue(engine):
    result = search(engine, page_size=100, my_library="libris|U", mine_first=True)
    held = [any(h["source"] == "libris" and "Uppsala universitetsbibliotek" in h["libraries"] for h in hit.holdings)
            for hit in result.hits]
    at_libris = ["libris" in sources(hit) for hit in result.hits]
    assert result.mine_total == held.count(True) > 0 and held.count(True) < at_libris.count(True)
    assert held == sorted(held, reverse=True)


# --- suggestions and counts ---------------------------------------------------------------------

def test_a_misspelt_word_gets_a_suggestion_that_finds_something(engine):
    result = search(engine, "crisiss art")
    assert result.total == 0 and result.suggestion
    assert search(engine, result.suggestion).total > 0
    assert search(engine, "crisis").suggestion == ""


def test_the_count_is_every_cluster_browsing_shows(engine):
    assert engine.count() == search(engine).total > 300


# --- writing: the index follows the store through the same seam ---------------------------------

def nightly(config_path, *options):
    result = CliRunner().invoke(main, ["--config", str(config_path), "nightly", *options])
    assert result.exit_code in (0, 1), result.output


@pytest.fixture
def growing(tmp_path, search_section):
    """A one-member catalogue on each engine, whose folder can gain files between nightly runs."""
    (tmp_path / "member").mkdir()
    shutil.copy(shared("libris/batchimport/batch2.xml"), tmp_path / "member" / "a.xml")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({
        "store": "store.sqlite", "index": "index", "search": search_section,
        "sources": [{"code": "m", "name": "Member", "type": "file", "path": "member/*.xml"}]}))
    nightly(tmp_path / "config.yaml")
    return tmp_path


def test_a_running_engine_sees_the_next_nightly_without_a_restart(growing):
    engine = engine_for(load_config(growing / "config.yaml"))
    before = search(engine).total
    assert search(engine, "berlinerpoplene").total == 0
    shutil.copy(shared("deichman/ls.ext/marc.xml"), growing / "member" / "b.xml")
    nightly(growing / "config.yaml")
    assert titles(search(engine, "berlinerpoplene"))
    assert search(engine).total == engine.count() == before + 1


def test_deleted_clusters_disappear_from_results_and_facet_counts(growing):
    engine = engine_for(load_config(growing / "config.yaml"))
    shutil.copy(shared("deichman/ls.ext/marc.xml"), growing / "member" / "b.xml")
    nightly(growing / "config.yaml")
    assert search(engine, "berlinerpoplene").total == 1
    (growing / "member" / "b.xml").unlink()
    nightly(growing / "config.yaml", "--force")          # a third of the member's records go: force it
    after = search(engine)
    assert search(engine, "berlinerpoplene").total == 0
    assert sum(fv.count for fv in after.facets["format"]) == after.total == engine.count()


def every_id(engine, **options) -> set[str]:
    first = search(engine, page_size=100, **options)
    return set(ids(first)) | {i for page in range(2, first.pages + 1)
                              for i in ids(search(engine, page=page, page_size=100, **options))}


def test_a_rebuild_through_the_engine_keeps_every_cluster_searchable(growing):
    config = load_config(growing / "config.yaml")
    engine = engine_for(config)
    before = every_id(engine)
    with Store(config.store_url) as store:
        report = engine.update(store, {"m": "Member"}, rebuild=True)
    assert report.rebuilt and report.total == len(before) > 0
    assert every_id(engine) == before and engine.count() == len(before)
