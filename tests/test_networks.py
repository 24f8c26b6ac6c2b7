"""A network's shared collections (issue 15): licensed e-books and a regional bibliography, over the sample catalogue.

The licensed collection is a stand-in: no public IBUK Libra or Legimi MARC exists, so BN's real e-book records with
an 856 link (samples/ebooks, see samples/PROVENANCE.md) stand for it, licensed in config.yaml for the members `bn`
and `vastmanland` with example.org access addresses. The regional bibliography is BN's real article records
(samples/bibliografia); their host journal's record (samples/bn/adapted-host.mrc) is BN's one real serial record
adapted to describe Tygodnik Powszechny, as samples/PROVENANCE.md says.
"""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from settings import ConfigError, load_config
from settings.collections import parse_collections
from tests.conftest import ROOT
from tests.web_sample import catalogue, client  # noqa: F401 (fixtures)
from web import create_app

CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
LICENCE = CONFIG["licences"][0]
ACCESS = {entry["member"]: entry for entry in LICENCE["access"]}
EBOOK_URL = "https://academica.edu.pl/reading/readMeta?uid=37147649"    # 856 of BN's b0000001459197


def record_page(client, query: str, my_library: str = "") -> str:
    hits = client.get(f"/api/search?{query}").get_json()["hits"]
    assert hits, query
    if my_library:
        client.set_cookie("mylib", my_library)
    response = client.get(f"/record/{hits[0]['id']}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, css_class: str) -> str:
    found = re.search(rf'<section class="{css_class}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_an_ebook_shows_the_licensed_members_and_their_own_links_instead_of_shelves(client):
    html = record_page(client, "q=Judaika+w+zbiorach+Biblioteki")
    online = section(html, "online-access")
    assert "Katalog sieciowy BN (OMNIS)" in online and "Biblioteken i Västmanland (Koha)" in online
    assert "Deichman" not in online and "Libris" not in online                  # not licensed for them
    assert f'href="{ACCESS["bn"]["proxy"]}{EBOOK_URL}"' in online
    assert f'href="{ACCESS["vastmanland"]["login"]}"' in online
    assert 'class="my-access' not in html                                         # no library chosen: nothing said
    assert section(html, "holdings") == ""                                        # no shelf table for it
    assert f'href="{EBOOK_URL}"' not in html            # the bare platform address works for no patron


@pytest.mark.parametrize("member, link", [
    ("bn", ACCESS["bn"]["proxy"] + EBOOK_URL),
    ("vastmanland|VASB", ACCESS["vastmanland"]["login"]),           # a branch of a licensed member
])
def test_my_library_with_access_gets_a_plain_yes_and_its_own_link(client, member, link):
    html = record_page(client, "q=Judaika+w+zbiorach+Biblioteki", my_library=member)
    mine = re.search(r'<p class="my-access yes">.*?</p>', html, re.S)
    assert mine and "have access" in mine.group(0) and f'href="{link}"' in mine.group(0)


def test_my_library_without_access_is_told_so_and_still_sees_the_record(client):
    html = record_page(client, "q=Judaika+w+zbiorach+Biblioteki", my_library="deichman")
    assert "<h1>Judaika w zbiorach Biblioteki Śląskie : bibliografia</h1>" in html
    assert "Patrons of Deichman (Oslo) have no access to this e-book" in html
    assert 'class="my-access yes"' not in html


def test_my_library_is_told_in_polish_too(client):
    client.set_cookie("lang", "pl")
    html = record_page(client, "q=Judaika+w+zbiorach+Biblioteki&lang=pl", my_library="deichman")
    assert "Czytelnicy Deichman (Oslo) nie mają dostępu do tego e-booka" in html


def test_an_article_shows_its_host_with_a_search_for_it_and_the_libraries_holding_the_host(client):
    html = record_page(client, "q=tupa%C5%82a+n%C3%B3%C5%BCk%C4%85")
    host = section(html, "host-items")
    assert "Tygodnik Powszechny : katolickie pismo społeczno-kulturalne</a>, 2022, nr 33, s. 68-71" in host
    assert "ISSN 0041-4808" in host and 'href="/?isbn=0041-4808"' in host
    assert "Katalog sieciowy BN (OMNIS): Biblioteka Jagiellońska (Kraków)" in host
    host_id = re.search(r'<a href="/record/([^"]+)">Tygodnik Powszechny', host).group(1)
    assert "<h1>Tygodnik Powszechny : katolickie pismo społeczno-kulturalne</h1>" in \
        client.get(f"/record/{host_id}").get_data(as_text=True)
    assert "Listed in Bibliografia regionalna (stand-in), a regional bibliography." in html


def test_a_host_that_is_not_in_the_catalogue_is_named_and_searched_for_without_a_link(tmp_path):
    data = {"store": "var/store.sqlite", "index": "var/index", "regional_bibliographies": ["bibliografia"],
            "sources": [{"code": "bibliografia", "name": "Bibliografia", "type": "file",
                         "path": str(ROOT / "samples" / "bibliografia" / "records.mrc")}]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "nightly"])
    assert result.exit_code == 0, result.output
    html = record_page(create_app(load_config(tmp_path / "config.yaml")).test_client(), "q=tupa%C5%82a")
    host = section(html, "host-items")
    assert "<p class=\"host-title\">Tygodnik Powszechny : katolickie pismo społeczno-kulturalne, 2022" in host
    assert 'href="/?isbn=0041-4808"' in host and "host-holders" not in host


def test_the_choices_of_my_library_leave_out_collections_without_patrons(client):
    html = client.get("/?q=tokarczuk").get_data(as_text=True)
    chooser = re.search(r'<select[^>]*id="mylib".*?</select>', html, re.S).group(0)
    assert 'value="bn"' in chooser and 'value="vastmanland"' in chooser
    assert 'value="ebooks"' not in chooser and 'value="bibliografia"' not in chooser


@pytest.mark.parametrize("licences, message", [
    ([{"source": "nowhere"}], "'nowhere' is not a configured source"),
    ([{"source": "ebooks", "members": ["bn", "mars"]}], "'mars' is not a configured source"),
    ([{"source": "ebooks", "members": {"bn": True}}], "expected all or a list of member codes"),
    ([{"source": "ebooks", "access": [{"member": "bn", "proxy": "javascript:alert(1)"}]}], "is not an http(s) address"),
    ([{"source": "ebooks", "access": [{"member": "bn", "vpn": "https://x.example.org"}]}],
     "{member: <code>, proxy: <prefix>} or {member: <code>, login: <address>}"),
    ([{"source": "ebooks", "access": [{"member": "oslo", "login": "https://x.example.org"}]}],
     "'oslo' is not a configured source"),
    ([{"source": "ebooks", "colour": "blue"}], "unknown keys ['colour']"),
])
def test_a_wrong_licence_is_refused_naming_the_key(licences, message):
    with pytest.raises(ConfigError) as caught:
        parse_collections({"licences": licences}, ["bn", "ebooks", "deichman"])
    assert message in str(caught.value)


def test_a_licence_for_all_members_covers_every_member_and_gives_the_records_link_without_an_access_entry():
    settings = parse_collections({"licences": [{"source": "ebooks"}], "regional_bibliographies": ["bn"]},
                                 ["bn", "ebooks", "deichman"])
    licence = settings.licence("ebooks")
    assert licence.covers("deichman") and licence.link("deichman", EBOOK_URL) == EBOOK_URL
    assert settings.regional_bibliographies == ("bn",) and settings.licence("bn") is None


def test_the_cli_refuses_a_configuration_with_a_wrong_licence_with_exit_code_2(tmp_path):
    data = {**CONFIG, "licences": [{"source": "ebooks", "members": ["atlantis"]}]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "status"])
    assert result.exit_code == 2 and "'atlantis' is not a configured source" in result.output
