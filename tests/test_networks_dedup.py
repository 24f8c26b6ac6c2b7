"""Articles and chapters of BN's catalogue (real records, 773 host items) against the pairwise decision.

An article or chapter is one with another record only when both name the same host item, issue and
pages; BN's catalogue holds reviews without a 773 (ISISINFO records) whose titles, authors and years
meet those of other articles, and which the content route alone would merge.
"""

from __future__ import annotations

import pymarc
import pytest

from dedup.decide import decide
from normalise import normalise
from tests.conftest import shared

TOKARCZUK = "bn-poland/pl_bn_tokarczuk/Olga_Tokarczuk.mrc"


@pytest.fixture(scope="module")
def bn_records() -> dict:
    out = {}
    with shared(TOKARCZUK).open("rb") as handle:
        for marc in pymarc.MARCReader(handle, to_unicode=True, permissive=True):
            if marc is not None and marc["001"] is not None:
                out[marc["001"].data] = marc
    return out


def pair(bn_records, one: str, other: str):
    return normalise(bn_records[one], "bn"), normalise(bn_records[other], "other")


@pytest.mark.parametrize("one, other", [
    ("b0000130491873", "b0000130596210"),    # two 1996 "Prawiek i inne czasy" articles, neither with a host item
    ("b0000004002605", "b0000130537596"),    # a review in FA-art 2001 nr 4 and an article without a host item
    ("b0000005358968", "b0000130274683"),    # a chapter of "Skład osobowy" and an article without a host item
])
def test_articles_without_the_same_host_and_pages_stay_apart(bn_records, one, other):
    a, b = pair(bn_records, one, other)
    verdict = decide(a, b)
    assert not verdict.match, verdict.evidence()
    assert "an article or chapter without the same host item and pages" in verdict.vetoes


def test_two_records_of_one_article_in_the_same_issue_and_pages_still_merge(bn_records):
    a, b = pair(bn_records, "b1000002742737", "b1000002745103")   # Tygodnik Powszechny 2022 nr 33 s. 68-71, twice
    assert a.host and a.host == b.host
    assert decide(a, b).match


def test_articles_in_different_issues_of_one_journal_stay_apart(bn_records):
    by_journal: dict[str, list] = {}
    for marc in bn_records.values():
        for host in marc.get_fields("773"):
            by_journal.setdefault(host.get("t") or "", []).append(marc)
    by_journal.pop("", None)
    journal = [normalise(m, "bn") for m in max(by_journal.values(), key=len)]
    assert len(journal) >= 5
    merged = [(a.local_id, b.local_id) for n, a in enumerate(journal) for b in journal[n + 1:]
              if a.host != b.host and decide(a, b).match]
    assert merged == []


def test_an_article_never_merges_with_its_host_serial(bn_records):
    article = normalise(bn_records["b1000002742737"], "bn")
    host = normalise(bn_records["b1000002742737"], "other")
    host.format, host.host, host.title = "serial", "", "Tygodnik Powszechny : katolickie pismo społeczno-kulturalne"
    assert not decide(article, host).match
