"""Names instead of codes (issue 15): languages, formats and carriers in the interface language; the API keeps codes."""

from __future__ import annotations

import pytest

from normalise.formats import FORMATS
from tests.test_web import sample_catalogue
from web import create_app
from web.names import CARRIER_LABELS, FORMAT_LABELS, carrier_name, language_name


@pytest.fixture(scope="module")
def client(request, tmp_path_factory):
    return create_app(sample_catalogue(request, tmp_path_factory, "sqlite")).test_client()


@pytest.mark.parametrize("code, locale, name", [
    ("pol", "pl", "Polski"), ("pol", "sv", "Polska"), ("pol", "nb", "Polsk"), ("pol", "en", "Polish"),
    ("ger", "sv", "Tyska"), ("fre", "nb", "Fransk"), ("nob", "nb", "Norsk bokmål"), ("swe", "pl", "Szwedzki"),
    ("mul", "pl", "Wiele języków"),
    # no two-letter code: ISO 639's own names, translated by pycountry; in English where it has none
    ("fro", "pl", "Starofrancuski (842-ok. 1400)"), ("fro", "sv", "Fornfranska (ca 842-1300)"),
    ("fro", "nb", "Old French (842-ca. 1400)"),
    ("q1x", "pl", "q1x"), ("", "pl", ""),
])
def test_a_language_code_is_named_in_the_interface_language(code, locale, name):
    assert language_name(code, locale) == name


def test_every_format_a_record_can_have_and_the_usual_carriers_have_names():
    assert set(FORMATS) - {"holdings", "authority"} <= set(FORMAT_LABELS)
    assert {"nc", "cr", "sd", "vd", "he"} <= set(CARRIER_LABELS) and carrier_name("xx") == "xx"


def test_results_and_record_pages_name_languages_formats_and_carriers_in_polish(client):
    html = client.get("/?q=beyond+the+crisis+in+art&lang=pl").get_data(as_text=True)
    meta = html.split('class="meta"', 1)[1].split("</p>", 1)[0]
    assert '<span class="format">Książka</span>' in meta and '<span class="languages">Angielski</span>' in meta
    hit = client.get("/api/search?q=beyond+the+crisis+in+art").get_json()["hits"][0]
    record = client.get(f"/record/{hit['id']}?lang=pl").get_data(as_text=True)
    assert "<dt>Typ dokumentu</dt><dd>Książka</dd>" in record and "<dt>Język</dt><dd>Angielski</dd>" in record
    duke = client.get("/api/search?q=ragionamento+giouie").get_json()["hits"][0]
    assert "<dt>Nośnik</dt><dd>Wolumin</dd>" in client.get(f"/record/{duke['id']}?lang=pl").get_data(as_text=True)


def test_the_api_keeps_the_codes(client):
    body = client.get("/api/search?q=beyond+the+crisis+in+art&lang=pl").get_json()
    assert body["hits"][0]["format"] == "book" and body["hits"][0]["languages"] == ["eng"]
    assert "eng" in {value["value"] for value in body["facets"]["language"]}
