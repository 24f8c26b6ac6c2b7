"""Normalisation rules, each proved on a real record file from ../shared/data."""

from __future__ import annotations

import json

import pymarc
import pytest

from normalise import RawRecord, ReadFailure, Record, normalise, read_file
from normalise.text import decode_character_references, fold, trim_punctuation
from tests.conftest import shared


def first(relative: str, source: str = "test"):
    for raw in read_file(shared(relative)):
        if isinstance(raw, RawRecord):
            return normalise(raw.record, source, flags=raw.flags)
    pytest.fail(f"{relative} has no readable record")


def test_isbn10_is_stored_as_isbn13_with_its_qualifier_kept():
    record = first("deichman/marc2rdf/example.binary.normarc.mrc")   # 020 $a82-10-04798-1 $bib.
    assert record.ids("isbn") == ["9788210047985"]


def test_invalid_isbn_is_kept_apart_and_marked():
    records = [normalise(r.record, "t") for r in read_file(shared("evergreen/badisbns.xml")) if isinstance(r, RawRecord)]
    isbns = [i for r in records for i in r.identifiers if i.kind == "isbn"]
    assert any(not i.valid for i in isbns)
    assert all(len(i.value) == 13 and i.value.isdigit() for i in isbns if i.valid)
    assert any(i.qualifier == "pbk." for i in isbns)
    assert any("isbn-invalid" in r.flags for r in records)


def test_marc8_combining_diacritics_become_nfc_text():
    record = first("pymarc/marc8.dat")   # 240 "De la solitude a` la communaute'" in MARC-8
    assert record.uniform_title == "De la solitude à la communauté. English"
    assert "\u0300" not in record.uniform_title   # composed, not a base letter plus combining mark


def test_utf8_mislabelled_as_marc8_is_read_as_utf8_and_flagged():
    record = first("evergreen/FSL.marc")
    assert "encoding-mislabelled" in record.flags
    assert record.title.startswith("Люди с чистой совестью")


def test_260_gives_place_publisher_and_year_without_isbd_punctuation():
    record = first("evergreen/lul_fre_100.mrc")   # 260 $aQuébec, Qué. :$bLe Soleil,$c1919.
    assert (record.place, record.publisher, record.year) == ("Québec, Qué", "Le Soleil", 1919)


def test_koha_952_items_are_grouped_into_holdings_per_branch():
    record = first("deichman/ls.ext/marc.xml")
    hutl = [h for h in record.holdings if h.library == "hutl"]
    assert sum(h.items for h in hutl) == 5          # five 952 fields with $a hutl
    assert sorted(h.location for h in hutl) == ["", "m"]   # four on the open shelf, one at $c m
    assert {h.call_number for h in hutl} == {"Rag"}
    assert [h.available for h in record.holdings if h.library == "from"] == [0]   # $q due date: on loan
    item_fields = pymarc.parse_xml_to_array(str(shared("deichman/ls.ext/marc.xml")))[0].get_fields("952")
    assert sum(h.items for h in record.holdings) == len(item_fields)


def test_normarc_850_branch_codes_are_holdings():
    record = first("deichman/marc2rdf/example.binary.normarc.mrc")
    assert {"fbje", "fbjo", "hutl", "ftor"} <= {h.library for h in record.holdings}
    assert record.languages == ["nob"]


def test_852_holdings_name_the_institution():
    record = first("evergreen/nepali.marc")
    assert record.holdings[0].library == "Madan Puraskar Pustakalaya"


def test_record_without_holdings_fields_is_held_by_its_source():
    record = first("pymarc/marc8.dat", source="pym")
    assert [(h.source, h.library) for h in record.holdings] == [("pym", "pym")]


@pytest.mark.parametrize("relative, expected", [
    ("evergreen/RDA/RDA_record_CD_Claudia.mrc", "music_recording"),
    ("evergreen/RDA/RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc", "bluray"),
    ("evergreen/RDA/RDA_record_DVD_Jorge_Mautner.mrc", "dvd"),
    ("evergreen/RDA/RDA_record_MAP_2012_Enchanted_Circle.mrc", "map"),
    ("evergreen/RDA/RDA_record_SCORE_Wiegenlied.mrc", "score"),
    ("evergreen/RDA/RDA_record_SERIAL_IEEE_International_conference.mrc", "serial"),
    ("evergreen/RDA/RDA_record_PHOTO_Srid_pa_ho.mrc", "image"),
    ("evergreen/lul_fre_100.mrc", "book"),
])
def test_format_is_detected_from_leader_007_and_008(relative, expected):
    assert first(relative).format == expected


def test_javascript_links_are_dropped_and_http_links_kept():
    record = first("trln-marc-to-argot/duke/dc_urls.xml")
    assert record.links and all(link.url.startswith(("http://", "https://")) for link in record.links)


def test_unreadable_records_are_reported_with_position_not_raised():
    results = list(read_file(shared("marc4j/bad_leaders_10_11.mrc"))) + list(read_file(shared("pymarc/bad_records.mrc")))
    assert results
    for result in results:
        assert isinstance(result, (RawRecord, ReadFailure))
        if isinstance(result, ReadFailure):
            assert result.position >= 1 and result.reason


def test_xml_that_is_not_well_formed_yields_the_records_before_the_error_and_a_failure():
    # the third <record> is cut off after its leader and the collection closed around it
    results = list(read_file(shared("trln-marc-to-argot/nccu/open_access_restricted_edu.xml")))
    assert [type(r) for r in results] == [RawRecord, RawRecord, ReadFailure]
    assert "not well-formed after record 2" in results[-1].reason


def test_records_written_one_after_another_without_a_root_element_are_all_read():
    # evergreen's serials_marc21.xml is seven <record> elements with no <collection> around them
    results = list(read_file(shared("evergreen/serials_marc21.xml")))
    assert all(isinstance(r, RawRecord) for r in results)
    assert len(results) == shared("evergreen/serials_marc21.xml").read_text().count("<record>") == 7
    assert [r.record["001"].data for r in results if r.record.get("001")] == ["21061", "01-0321871", "01-0309208"]


@pytest.mark.parametrize("raw, folded", [("Łódź", "lodz"), ("Göteborg", "goteborg"), ("Ærø", "aero"), ("Tromsø", "tromso")])
def test_fold_removes_case_and_diacritics(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize("raw, trimmed", [
    ("Pride and prejudice /", "Pride and prejudice"), ("London :", "London"), ("Smith, J.", "Smith, J."),
    ("Austen, Jane, 1775-1817.", "Austen, Jane, 1775-1817"), ("[1999]", "1999"),
])
def test_trailing_isbd_punctuation_is_trimmed(raw, trimmed):
    assert trim_punctuation(raw) == trimmed



@pytest.mark.parametrize("raw, decoded", [
    ("Stormont, &#38; Cars", "Stormont, & Cars"), ("R&#xE9;volution", "Révolution"), ("R&#xFFFD;evolution", "Revolution"),
    ("bell &#7; ringer", "bell &#7; ringer"), ("&#x110000;", "&#x110000;"), ("&#xD800;", "&#xD800;"), ("AT&T", "AT&T"),
])
def test_character_references_left_in_text_are_decoded_unless_they_name_no_printable_character(raw, decoded):
    assert decode_character_references(raw) == (decoded, raw != decoded)

def test_a_record_round_trips_through_its_json_form():
    record = first("traject/hebrew880s.marc")
    assert Record.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_records_stored_before_new_fields_existed_still_load():
    # the shape the store kept before series_entries, vernacular_fields, role_codes and friends were added
    old = {"source": "s", "local_id": "1", "title": "T", "contributors": [{"name": "A", "kind": "person",
           "roles": ["aut"], "main": True}], "identifiers": [{"kind": "isbn", "value": "9780000000002"}],
           "holdings": [{"source": "s", "library": "L"}], "vernacular": {"245": ["x"]}, "retired_key": 1}
    record = Record.from_dict(old)
    assert (record.contributors[0].role_codes, record.series_entries, record.dialect) == ([], [], "marc21")
    assert record.ids("isbn") == ["9780000000002"]


def test_every_flag_the_code_can_set_is_documented():
    import re

    from normalise.flags import FLAGS
    from tests.conftest import ROOT
    source = "\n".join(p.read_text() for p in (ROOT / "normalise").glob("*.py"))
    set_in_code = set(re.findall(r'flags\.append\("([a-z0-9-]+)"\)', source))
    set_in_code |= set(re.findall(r'^FLAG = "([a-z0-9-]+)"', source, re.MULTILINE))
    set_in_code |= set(re.findall(r'file_flags = \["([a-z0-9-]+)"\]', source))
    assert set_in_code and set_in_code <= set(FLAGS), set_in_code - set(FLAGS)
    assert set(FLAGS) <= set_in_code, set(FLAGS) - set_in_code
