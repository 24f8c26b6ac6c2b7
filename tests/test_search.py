"""The query language's safety rules, and searching the sample catalogue through `index.Searcher`."""

from __future__ import annotations

import pytest
from whoosh import query

from index import QueryError, Searcher, SearchRequest
from index.query import MAX_NESTING, MAX_QUERY_LENGTH, MAX_WORDS, parse_box, ranking_query
from index.schema import PUBLIC_FIELDS
from tests.test_web import catalogue  # noqa: F401  (the shared sample catalogue)


@pytest.fixture(scope="module")
def searcher(catalogue):  # noqa: F811
    return Searcher(catalogue.index_dir)


def leaves(text: str) -> list:
    return list(parse_box(text).leaves())


def parts(q: query.Query):
    yield q
    for child in q.children():
        yield from parts(child)


def kinds(text: str) -> set[type]:
    return {type(q) for q in parts(parse_box(text))}


# --- one test per safety rule -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["payload:secret", "library:duke", "id:c123", "work:x|y", "holders:5", "year:1999"])
def test_a_field_prefix_cannot_reach_a_hidden_field(text):
    assert {leaf.fieldname for leaf in leaves(text)} <= set(PUBLIC_FIELDS)


@pytest.mark.parametrize("text", ["art*", "a?t", "art* OR cris?s", "*art"])
def test_wildcards_are_read_as_plain_words(text):
    assert not kinds(text) & {query.Wildcard, query.Prefix}


@pytest.mark.parametrize("text", ["[a TO z]", "{1900 TO 2000}", "year:[1 TO 9999]", "[* TO *]"])
def test_ranges_are_read_as_plain_words(text):
    assert not kinds(text) & {query.TermRange, query.NumericRange}


@pytest.mark.parametrize("text", ["crisis~2", "crisis~", "art~9 crisis"])
def test_fuzzy_terms_are_read_as_plain_words(text):
    assert query.FuzzyTerm not in kinds(text)


def test_boosts_are_ignored():
    assert all(leaf.boost == 1.0 for leaf in leaves("crisis^1000 art^9"))


def test_a_phrase_matches_exactly_whatever_slop_is_typed():
    phrases = [q for q in parts(parse_box('"crisis art"~50')) if isinstance(q, query.Phrase)]
    assert phrases and all(p.slop == 1 for p in phrases)


def test_only_and_or_and_not_are_operators():
    assert query.AndMaybe not in kinds("art ANDMAYBE crisis")
    assert query.AndNot not in kinds("art ANDNOT crisis")
    assert query.Not in kinds("art NOT crisis") and query.Or in kinds("art OR crisis")


def test_a_query_longer_than_the_cap_is_refused():
    with pytest.raises(QueryError) as caught:
        parse_box("x" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.kind == "too_long"
    parse_box("x" * MAX_QUERY_LENGTH)


def test_a_query_with_more_words_than_the_cap_is_refused():
    with pytest.raises(QueryError) as caught:
        parse_box(" ".join(["art"] * (MAX_WORDS + 1)))
    assert caught.value.kind == "too_many_words"
    parse_box(" ".join(["art"] * MAX_WORDS) + " AND OR NOT")      # operators are not words


def test_parentheses_nested_deeper_than_the_cap_are_refused():
    with pytest.raises(QueryError) as caught:
        parse_box("(" * (MAX_NESTING + 1) + "art" + ")" * (MAX_NESTING + 1))
    assert caught.value.kind == "too_deep"
    parse_box("(" * MAX_NESTING + "art" + ")" * MAX_NESTING)


@pytest.mark.parametrize("text", ["", "   ", "*:*", "AND", "()", '""', "^~*"])
def test_a_query_without_words_is_refused_with_a_reason(text):
    if text.strip() == "AND":
        assert leaves(text)          # a lone AND is the word "and"
        return
    with pytest.raises(QueryError) as caught:
        parse_box(text)
    assert caught.value.kind == "no_words"


def test_a_search_that_runs_out_of_time_stops_with_a_helpful_error(catalogue):  # noqa: F811
    impatient = Searcher(catalogue.index_dir, time_limit=0)
    with pytest.raises(QueryError) as caught:
        impatient.search(SearchRequest(q="art"))
    assert caught.value.kind == "too_slow"


def test_page_size_is_capped_and_paging_stops_at_the_depth_limit(searcher):
    result = searcher.search(SearchRequest(q="", page_size=10_000))
    assert result.page_size == 100 and len(result.hits) == 100
    with pytest.raises(QueryError) as caught:
        searcher.search(SearchRequest(q="", page_size=100, page=11))
    assert caught.value.kind == "page_range"
    with pytest.raises(QueryError):
        searcher.search(SearchRequest(q="", page=0))


@pytest.mark.parametrize("filters, kind", [({"payload": ["x"]}, "unknown_filter"), ({"year": ["old"]}, "bad_year_range"),
                                           ({"library": [str(n) for n in range(11)]}, "too_many_values")])
def test_filters_are_checked(searcher, filters, kind):
    with pytest.raises(QueryError) as caught:
        searcher.search(SearchRequest(filters=filters))
    assert caught.value.kind == kind


# --- searching ----------------------------------------------------------------------------------

def titles(result) -> list[str]:
    return [hit.title for hit in result.hits]


def test_folding_finds_words_whatever_their_diacritics_and_case(searcher):
    for typed in ("cinema colette", "CINÉMA Colette", "cinéma colette"):
        assert "Colette et le cinéma" in titles(searcher.search(SearchRequest(q=typed))), typed


def test_stemming_finds_other_forms_of_an_english_word(searcher):
    singular = {h.id for h in searcher.search(SearchRequest(q="killing", page_size=100)).hits}
    stemmed = {h.id for h in searcher.search(SearchRequest(q="kills", page_size=100)).hits}
    assert singular and singular <= stemmed


def test_isbn_forms_are_routed_to_the_identifier_field():
    assert {leaf.fieldname for leaf in leaves("978-0-906495-34-6")} == {"ident"}
    assert {leaf.fieldname for leaf in leaves("0-906495-34-2")} == {"ident"}
    assert {leaf.fieldname for leaf in leaves("1234-5678")} != {"ident"}       # not a valid ISSN: words


def test_a_phrase_needs_its_words_together(searcher):
    together = searcher.search(SearchRequest(q='"crisis in art"'))
    apart = searcher.search(SearchRequest(q='"art in crisis"'))
    assert "Beyond the crisis in art" in titles(together)
    assert "Beyond the crisis in art" not in titles(apart)


def test_not_excludes_and_or_widens(searcher):
    art = searcher.search(SearchRequest(q="art")).total
    art_not_crisis = searcher.search(SearchRequest(q="art NOT crisis"))
    assert art_not_crisis.total < art and "Beyond the crisis in art" not in titles(art_not_crisis)
    assert searcher.search(SearchRequest(q="art OR crisis")).total > art


def test_ranking_of_an_or_search_scores_title_author_and_subject_words():
    ranking = ranking_query(parse_box("art OR crisis NOT cinema"))
    assert {leaf.fieldname for leaf in ranking.leaves()} <= {"title", "authors", "subjects", "ident"}
    assert "cinema" not in str(ranking)


def test_results_can_be_sorted_by_year_title_and_author(searcher):
    by_year = [h.year for h in searcher.search(SearchRequest(q="", sort="year", page_size=100)).hits]
    assert None not in by_year and by_year == sorted(by_year, reverse=True)
    oldest = [h.year for h in searcher.search(SearchRequest(q="", sort="year_asc", page_size=100)).hits]
    assert None not in oldest and oldest == sorted(oldest)
    undated_last = searcher.search(SearchRequest(q="", sort="year", page=4, page_size=100)).hits
    assert undated_last[-1].year is None
    authors = searcher.search(SearchRequest(q="", sort="author", page_size=100)).hits
    assert authors[0].authors and authors[0].authors[0][0].upper() <= authors[-1].authors[0][0].upper()


def test_every_page_of_a_search_is_different_and_the_pages_add_up(searcher):
    first = searcher.search(SearchRequest(q="art", page_size=5))
    seen = []
    for page in range(1, first.pages + 1):
        seen += [h.id for h in searcher.search(SearchRequest(q="art", page_size=5, page=page)).hits]
    assert len(seen) == len(set(seen)) == first.total


def test_facet_counts_describe_the_matches(searcher):
    result = searcher.search(SearchRequest(q="art", page_size=100))
    library_counts = {fv.value: fv.count for fv in result.facets["library"]}
    held = {}
    for hit in result.hits:
        for source in {h["source"] for h in hit.holdings}:
            held[source] = held.get(source, 0) + 1
    assert library_counts == held


def test_chosen_filter_values_are_marked_selected(searcher):
    result = searcher.search(SearchRequest(q="", filters={"library": ["duke"], "year": ["2010-2019"]}))
    assert [fv.value for fv in result.facets["library"] if fv.selected] == ["duke"]
    assert [fv.value for fv in result.facets["year"] if fv.selected] == ["2010-2019"]


def test_a_misspelt_word_gets_a_suggestion_and_a_good_one_does_not(searcher):
    assert searcher.search(SearchRequest(q="crisiss art")).suggestion == "crisis art"
    assert searcher.search(SearchRequest(q="crisis")).suggestion == ""


def test_other_editions_are_found_by_work(searcher):
    (original,) = searcher.search(SearchRequest(isbn="9780906495346")).hits
    (second,) = searcher.search(SearchRequest(isbn="978-0-906495-99-5")).hits
    from index.documents import work_key  # noqa: F401  (the key the writer stores)

    editions = searcher.editions("beyond the crisis in art|fuller", original.id)
    assert [e.id for e in editions] == [second.id]
