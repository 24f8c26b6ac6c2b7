"""Corrections from the command line (issue 13): the preview printed, confirmation asked, refusals named,
undo, the history as CSV, identifier marks, staff roles; on both databases."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli import main
from dedup import run_dedup
from settings import load_config
from store import Store
from tests.corrections_data import BOOK, NOVEL, SAMPLES, fill_demo
from tests.conftest import ROOT

BOOK_ID, NOVEL_ID = "cb1a49bd571", "cbec9cde0e0"


@pytest.fixture
def config(tmp_path, store_url):
    """The demo's two clusters in a store, and a configuration naming the demo's members."""
    sources = "".join(f"  - {{code: {c}, name: {c}, type: file, path: {ROOT / 'samples' / c / n}}}\n" for c, n in SAMPLES.items())
    (tmp_path / "config.yaml").write_text(f"store: {json.dumps(store_url)}\nindex: index\nsources:\n{sources}")
    with Store(store_url) as store:
        fill_demo(store)
        run_dedup(store)
    return load_config(tmp_path / "config.yaml")


def cli(config, *args, code=(0,), given=None):
    result = CliRunner().invoke(main, ["--config", str(config.path), *args], input=given)
    assert result.exit_code in code, result.output
    return result


def exported(config) -> dict[str, list[str]]:
    lines = cli(config, "export", "clusters").output.splitlines()
    return {c["cluster"]: sorted(f"{r['source']}:{r['id']}" for r in c["records"]) for c in map(json.loads, lines)}


def test_issue_13_the_cli_merge_of_a_book_and_a_novel_prints_what_it_would_break_and_changes_nothing(config):
    """Regression (issue 13): `unioncat merge cb1a49bd571 cbec9cde0e0` printed success and exited 0."""
    before = exported(config)
    refused = cli(config, "merge", BOOK_ID, NOVEL_ID, "--yes", code=(2,))
    assert "BREAKS same-member: deichman:1337437 and deichman:1217081 are both records of deichman" in refused.output
    assert "BREAKS years-apart" in refused.output and "override" in refused.output
    assert exported(config) == before
    merged = cli(config, "merge", BOOK_ID, NOVEL_ID, "--override", "--note", "book club set", "--yes")
    assert f"merged into cluster {BOOK_ID}" in merged.output
    assert exported(config)[BOOK_ID] == sorted(BOOK + NOVEL) and NOVEL_ID not in exported(config)


def test_issue_13_split_then_merge_back_from_the_cli_joins_the_deichman_record(config):
    """Regression (issue 13): the merge said "merged into cluster cb1a49bd571" but left Deichman's record out
    and pulled Duke's out instead."""
    cli(config, "split", "deichman:1337437", "--yes")
    merged = cli(config, "merge", BOOK_ID, "deichman:1337437", "--yes")
    assert f"merged into cluster {BOOK_ID}" in merged.output
    assert exported(config)[BOOK_ID] == sorted(BOOK)


def test_the_cli_asks_before_it_applies_and_a_no_changes_nothing(config):
    before = exported(config)
    declined = cli(config, "split", "duke:9931644444740108501", code=(1,), given="n\n")
    assert "moves: duke:9931644444740108501 from cb1a49bd571 to" in declined.output and "Apply this split?" in declined.output
    assert exported(config) == before
    cli(config, "split", "duke:9931644444740108501", given="y\n")
    assert ["duke:9931644444740108501"] in exported(config).values()


def test_undo_and_the_history_from_the_cli_with_a_csv_export(config):
    before = exported(config)
    cli(config, "merge", BOOK_ID, NOVEL_ID, "--override", "--note", "test", "--yes", "--by", "anna")
    assert exported(config) != before
    cli(config, "undo", "1", "--by", "bo", "--note", "wrong")
    assert exported(config) == before
    text = cli(config, "history").output
    assert "undo undoes 1" in text and "(undone by bo" in text
    rows = list(csv.DictReader(io.StringIO(cli(config, "history", "--csv", "--cluster", NOVEL_ID).output)))
    assert [(r["id"], r["kind"], r["made_by"], r["undoes"], r["undone_by"]) for r in rows] == [
        ("2", "undo", "bo", "1", ""), ("1", "merge", "anna", "", "bo")]
    assert rows[1]["rules_broken"] == "conflicting-identifiers same-member years-apart" and rows[1]["override"] == "1"
    again = cli(config, "undo", "1", code=(2,))
    assert "was undone already, by bo" in again.output


def test_staff_accounts_get_a_role_and_a_member_and_the_member_scopes_their_corrections(config):
    cli(config, "staff", "add", "kari", "--password", "long enough", "--role", "cataloguer", "--member", "unc")
    cli(config, "staff", "add", "root", "--password", "long enough")
    assert cli(config, "staff", "list").output.splitlines() == ["kari cataloguer for unc", "root administrator"]
    unknown = cli(config, "staff", "set", "kari", "--member", "nowhere", code=(2,))
    assert "no member 'nowhere'" in unknown.output
    refused = cli(config, "split", "duke:9931644444740108501", "--by", "kari", "--yes", code=(2,))
    assert "kari may correct only records of unc" in refused.output
    cli(config, "split", "unc:802691530", "--by", "kari", "--yes")
    cli(config, "staff", "set", "kari", "--role", "administrator", "--member", "")
    assert "kari administrator" in cli(config, "staff", "list").output


def test_an_identifier_is_marked_and_unmarked_from_the_cli_and_both_are_in_the_history(config):
    cli(config, "identifier", "not-identifying", "isbn", "9780544002692", "--note", "series ISBN", "--by", "anna")
    assert cli(config, "identifier", "list").output == "isbn 9780544002692\n"
    twice = cli(config, "identifier", "not-identifying", "isbn", "9780544002692", "--note", "again", code=(2,))
    assert "marked as not identifying already" in twice.output
    cli(config, "identifier", "identifying", "isbn", "9780544002692", "--note", "a mistake")
    assert cli(config, "identifier", "list").output == ""
    assert [line.split()[4] for line in cli(config, "history").output.splitlines()] == ["unmark", "mark"]
    bad = cli(config, "identifier", "not-identifying", "shoe", "42", "--note", "x", code=(2,))
    assert "unknown identifier scheme 'shoe'" in bad.output
