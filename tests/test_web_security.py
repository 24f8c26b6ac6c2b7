"""Hostile records and hostile requests: escaping, safe links, headers, and no 500 for malformed input."""

from __future__ import annotations

import json
import re

import pytest

from normalise import Link, Record
from store import Store
from tests.test_web import catalogue, first_id, search  # noqa: F401  (the shared sample catalogue)
from web import create_app
from web.helpers import safe_url


@pytest.fixture
def client(catalogue):  # noqa: F811
    return create_app(catalogue).test_client()


def xss_record_page(client) -> str:
    cluster = first_id(client, "q=proceedings+xss+title")
    return client.get(f"/record/{cluster}").get_data(as_text=True)


def test_a_script_in_a_record_title_is_escaped_on_the_results_page(client):
    html = client.get("/?q=proceedings+xss+title").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;xss-title&#34;)&lt;/script&gt;" in html


def test_a_script_in_a_record_title_is_escaped_on_the_record_page_and_in_json_ld(client):
    html = xss_record_page(client)
    assert "<script>alert" not in html and "<img src=x" not in html
    (json_ld,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in json_ld                               # "<" is written \u003c inside the script block
    assert json.loads(json_ld)["name"].startswith('Proceedings <script>alert("xss-title")')


def test_a_javascript_856_link_is_never_a_link(client):
    html = xss_record_page(client)
    assert "javascript:" not in html.lower().replace("\t", "")
    assert 'href="http://proxying.lib.ncsu.edu/' in html    # the record's real http link is kept


def test_a_javascript_link_already_in_the_store_is_dropped_by_the_page(catalogue, client):  # noqa: F811
    """Normalisation drops javascript: links today; the page must not depend on it."""
    cluster = first_id(client, "q=proceedings+xss+title")
    with Store(catalogue.store_url) as store:
        (stored, _evidence), = [m for m in store.cluster_members(cluster) if m[0].source == "extra"]
        original = Record.from_dict(stored.record.to_dict())
        record = stored.record
        record.links = [Link("javascript:alert('stored')", "stored js"), Link(" JaVa\tScript:alert(2)", "tabbed"),
                        Link("data:text/html,<script>alert(3)</script>", "data"), Link("https://example.org/ok", "ok")]
        for holding in record.holdings:
            holding.url = "javascript:alert('holding')"
        store.replace_record_data(stored.id, record)
        try:
            html = client.get(f"/record/{cluster}").get_data(as_text=True)
            ris = client.get(f"/record/{cluster}/export.ris").get_data(as_text=True)
        finally:
            store.replace_record_data(stored.id, original)
    assert "javascript" not in html.lower().replace("\t", "") and "data:text" not in html
    assert 'href="https://example.org/ok"' in html
    assert "javascript" not in ris.lower() and "L2  - https://example.org/ok" in ris


@pytest.mark.parametrize("url, expected", [
    ("https://example.org/a b", "https://example.org/a%20b"), ("http://x.org", "http://x.org"),
    ("javascript:alert(1)", ""), (" JaVa\tScRiPt:alert(1)", ""), ("\x01javascript:alert(1)", ""),
    ("data:text/html,x", ""), ("vbscript:x", ""), ("//evil.example/", ""), ("http:/no-host", ""), ("", ""),
])
def test_only_http_and_https_addresses_become_links(url, expected):
    assert safe_url(url) == expected


@pytest.mark.parametrize("query", [
    "page=abc", "page=0", "page=-1", "page=99999", "page=1e3", "page=%00", "page=" + "9" * 40, "size=abc",
    "q=" + "word+" * 200, "q=" + "x" * 600, "q=%22open+phrase", "q=title:x*", "q=(((", "q=((((((((((a))))))))))",
    "q=NOT", "q=AND+OR+NOT", "q=*:*", "q=%00%01%02", "q=%F0%9F%93%9A", "q=a~9+b^99+[a+TO+z]", "q=)))",
    "library=nope&q=x", "sort=bogus", "year=abc", "year=1990-", "year_from=19x", "year_from=2000&year_to=1990",
    "year_from=12345", "nope=1", "isbn=%%%", "lang=xx", "in_title=" + "(" * 20,
])
def test_malformed_input_gets_a_helpful_page_never_a_500(client, query):
    page = client.get(f"/?{query}")
    assert page.status_code in (200, 400), page.status_code
    if page.status_code == 400:
        assert "We could not run that search" in page.get_data(as_text=True)
    api = client.get(f"/api/search?{query}")
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.get_json()["error"]


@pytest.mark.parametrize("query, message", [
    ("page=abc", "is not a whole number"), ("q=art&page=99999", "the last is page"), ("q=" + "x" * 600, "too long"),
    ("q=" + "word+" * 40, "too many words"), ("q=" + "(" * 12 + "a", "too deeply"), ("sort=bogus", "cannot be sorted"),
    ("year_from=2000&year_to=1990", "is empty"),
])
def test_the_error_page_says_what_to_change(client, query, message):
    page = client.get(f"/?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)


def test_error_messages_are_translated(client):
    html = client.get("/?page=abc&lang=pl").get_data(as_text=True)
    assert "nie jest liczbą całkowitą" in html


def test_security_headers_are_set_on_pages_and_the_api(client):
    for path in ("/", "/?q=art", "/api/search?q=art", "/opensearch.xml"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_autoescaping_is_on_for_every_template(client):
    app = client.application
    for name in app.jinja_env.list_templates():
        if name.endswith((".html", ".xml")):
            assert app.jinja_env.autoescape(name), name
