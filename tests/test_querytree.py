"""The query language's safety rules, on the engine-neutral tree every engine executes, and its analysis."""

from __future__ import annotations

import re

import pytest

from index import QueryError, SearchRequest
from index import querytree as qt
from index.plan import plan_search
from index.query import MAX_NESTING, MAX_QUERY_LENGTH, MAX_WORDS, parse_box
from index.schema import PUBLIC_FIELDS


def leaves(text: str) -> list:
    return qt.leaves(parse_box(text))


def kinds(text: str) -> set[type]:
    return {type(node) for node in qt.walk(parse_box(text))}


def tokens(text: str) -> list[str]:
    return [token for leaf in leaves(text)
            for token in (leaf.tokens if isinstance(leaf, qt.Phrase) else (leaf.token,))]


# --- one test per safety rule -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["payload:secret", "library:duke", "id:c123", "work:x|y", "holders:5", "year:1999"])
def test_a_field_prefix_cannot_reach_a_hidden_field(text):
    assert {leaf.field for leaf in leaves(text)} <= set(PUBLIC_FIELDS)
    assert parse_box(text) == parse_box(text.replace(":", " ").replace("|", " "))


@pytest.mark.parametrize("text", ["art*", "a?t", "art* OR cris?s", "*art", "{!lucene}*:*", "_query_:x", "$x", "\\"])
def test_no_character_of_an_engine_s_syntax_reaches_a_term(text):
    if not re.search(r"\w", text.replace("_", "")):
        with pytest.raises(QueryError):
            parse_box(text)
        return
    assert all(re.fullmatch(r"\w+", token) for token in tokens(text)), tokens(text)
    assert kinds(text) <= {qt.Term, qt.Phrase, qt.And, qt.Or, qt.Not}


@pytest.mark.parametrize("text", ["[a TO z]", "{1900 TO 2000}", "year:[1 TO 9999]", "[* TO *]"])
def test_ranges_are_read_as_plain_words(text):
    assert qt.YearRange not in kinds(text)
    assert parse_box(text) == parse_box(re.sub(r"[\[\]{}:*]", " ", text))


@pytest.mark.parametrize("text", ["crisis~2", "crisis~", "art~9 crisis"])
def test_fuzzy_terms_are_read_as_plain_words(text):
    assert parse_box(text) == parse_box(text.replace("~", " "))


def test_boosts_are_ignored():
    assert parse_box("crisis^1000 art^9") == parse_box("crisis 1000 art 9")


def test_a_phrase_matches_exactly_whatever_slop_is_typed():
    with_slop = parse_box('"crisis art"~50')
    assert any(isinstance(node, qt.Phrase) for node in qt.walk(with_slop))
    assert with_slop == parse_box('"crisis art" 50')


def test_only_and_or_and_not_are_operators():
    assert qt.Not not in kinds("art ANDMAYBE crisis") and qt.Not not in kinds("art ANDNOT crisis")
    assert qt.Not in kinds("art NOT crisis") and qt.Or in kinds("art OR crisis")


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


@pytest.mark.parametrize("typed, field", [("author:byron", "authors"), ("Title:crisis", "title"),
                                          ("subject:(art OR music)", "subjects"), ("isbn:0-906495-34-2", "ident")])
def test_a_public_field_prefix_searches_that_field_only(typed, field):
    assert {leaf.field for leaf in leaves(typed)} == {field}


@pytest.mark.parametrize("typed", ["library:duke", "authors:byron", "payload:x", '"author:byron"', "author: byron"])
def test_any_other_prefix_or_a_prefix_in_a_phrase_is_plain_words(typed):
    assert len({leaf.field for leaf in leaves(typed)}) > 1


def test_isbn_forms_are_routed_to_the_identifier_field():
    assert {leaf.field for leaf in leaves("978-0-906495-34-6")} == {"ident"}
    assert {leaf.token for leaf in leaves("0-906495-34-2")} == {"0906495342", "9780906495346"}
    assert {leaf.field for leaf in leaves("1234-5678")} != {"ident"}       # not a valid ISSN: words


def test_the_ranking_part_holds_only_title_author_subject_and_identifier_words():
    ranking = qt.ranking_part(parse_box("art OR crisis NOT cinema"))
    assert {leaf.field for leaf in qt.leaves(ranking)} <= {"title", "authors", "subjects", "ident"}
    assert "cinema" not in {leaf.token for leaf in qt.leaves(ranking)}
    assert qt.ranking_part(parse_box("NOT cinema")) == qt.MatchNone()


# --- a whole search, planned once ---------------------------------------------------------------

def test_a_plan_holds_the_query_the_filters_and_my_library_as_tree_nodes():
    plan = plan_search(SearchRequest(q="art", year_from=1990, filters={"library": ["duke", "libris|U"],
                                                                         "year": ["2010-2019"]},
                                     my_library="libris|U", page_size=5000))
    assert qt.YearRange(1990, 9999) in plan.query.parts
    # several values of a library, format, language or year widen (OR); several subjects narrow (AND)
    assert plan.filters == (qt.Or((qt.Filter("library", "duke"), qt.Filter("branch", "libris|U"))),
                            qt.YearRange(2010, 2019))
    assert plan.counted_apart == ("library", "year")
    subjects = plan_search(SearchRequest(filters={"subject": ["Art", "Music"], "format": ["book"]}))
    assert subjects.filters == (qt.Filter("subject", "Art"), qt.Filter("subject", "Music"), qt.Filter("format", "book"))
    assert subjects.filters_without("format") == subjects.filters[:2] and subjects.counted_apart == ("format",)
    assert plan.mine == qt.Filter("branch", "libris|U")
    assert plan.request.page_size == 100 and plan.ranked


def test_browsing_and_sorting_are_not_ranked_by_words():
    assert plan_search(SearchRequest()).query == qt.MatchAll()
    assert not plan_search(SearchRequest()).ranked and plan_search(SearchRequest()).order == "best"
    assert not plan_search(SearchRequest(q="art", sort="year")).ranked


# --- analysis: the tokens every engine indexes and searches -------------------------------------

def test_the_text_fields_fold_case_and_diacritics():
    assert qt.analyse("title", "Łódź, GÖTEBORG; Ærøskøbing straße") == ["lodz", "goteborg", "aeroskobing", "strasse"]


@pytest.mark.parametrize("field, forms", [("stem_en", ["books", "book"]), ("stem_sv", ["böckerna", "böcker"]),
                                          ("stem_no", ["bøkene", "bøker"])])
def test_stemmed_fields_bring_word_forms_together_and_fold_afterwards(field, forms):
    stems = {tuple(qt.analyse(field, form)) for form in forms}
    assert len(stems) == 1
    assert all(stem.isascii() for (stem,) in stems)


@pytest.mark.parametrize("field, forms, lemma", [
    ("lemma_pl", ["Warszawa", "Warszawie", "warszawy"], "warszawa"), ("lemma_pl", ["Kraków", "Krakowa"], "krakow"),
    ("lemma_pl", ["biblioteka", "bibliotekach"], "biblioteka"), ("lemma_sv", ["bok", "böcker"], "bok"),
    ("lemma_nb", ["bibliotek", "bibliotekene"], "bibliotek")])
def test_lemma_fields_give_every_form_of_a_word_its_dictionary_form_folded(field, forms, lemma):
    for form in forms:
        assert lemma in qt.analyse(field, form), form


def test_a_word_of_several_readings_is_searched_for_any_of_them():
    assert {"krak", "kraka", "krakow"} <= set(qt.analyse("lemma_pl", "krakowie"))
    tree = parse_box("krakowie")
    assert {leaf.token for leaf in qt.leaves(tree) if leaf.field == "lemma_pl"} >= {"krak", "krakow"}


def test_a_facet_or_identifier_value_is_one_token_as_given():
    assert qt.analyse("ident", ["9780906495346", "0906495342"]) == ["9780906495346", "0906495342"]
    assert qt.analyse("branch", ["libris|U"]) == ["libris|U"]


def test_the_tree_carries_the_tokens_analyse_gives():
    tree = parse_box("Cinéma KILLING")
    for leaf in qt.leaves(tree):
        word = "Cinéma" if leaf.token.startswith("cin") else "KILLING"
        assert [leaf.token] == qt.analyse(leaf.field, word), leaf


def test_analysing_an_unknown_field_is_an_error():
    with pytest.raises(ValueError):
        qt.analyse("payload", "x")
