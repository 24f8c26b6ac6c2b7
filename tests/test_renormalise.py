"""Rules that reach stored records (issue 18): records derived again from their raw MARC after an upgrade.

A store "normalised under an older rule version" is made as an upgrade
leaves it: records written, then their version set back to 0 (what the
rules before this one wrote), and a rule changed in this process (the
test wraps the normaliser so that Duke's titles come out differently).
Only the records whose normalised form changed may reach dedup and the index.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import update

import harvest.records
from cli import main
from harvest.renormalise import renormalise
from normalise import RULES_VERSION
from oaiserver import Repository, load_marc_files, make_app, serve_in_thread
from settings import load_config
from store import Store
from store.schema import records as records_table
from tests.conftest import ROOT

MARK = " [rule 2]"
START = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def duke_server():
    """Duke's sample records (the demo's) on a real OAI-PMH server: its next harvest brings nothing new."""
    records = load_marc_files([ROOT / "samples" / "duke" / "records.xml"], identifier_prefix="oai:duke:",
                              datestamp=lambda i: START + timedelta(minutes=i))
    with serve_in_thread(make_app(Repository(records), batch_size=50)) as server:
        yield server


def catalogue(write, duke_server):
    """Deichman's sample file and Duke over OAI-PMH, with the holdings mappings of the project's config.yaml."""
    shipped = {s["code"]: s for s in yaml.safe_load((ROOT / "config.yaml").read_text())["sources"]}
    deichman = dict(shipped["deichman"], path=str(ROOT / shipped["deichman"]["path"]))
    duke = {k: v for k, v in shipped["duke"].items() if k != "path"} | {"type": "oai", "url": duke_server.url}
    return write([deichman, duke], reports="var/reports")


@pytest.fixture
def config(write_store_config, duke_server):
    """The catalogue on each database in turn."""
    return catalogue(write_store_config, duke_server)


@pytest.fixture
def harvested(write_config, duke_server):
    """The catalogue on SQLite, harvested (no dedup, no index), its forms marked as made by older rules."""
    config = catalogue(write_config, duke_server)
    run(CliRunner(), config, "harvest", "--no-dedup")
    made_by_older_rules(config)
    return config


def run(runner, config, *args):
    result = runner.invoke(main, ["--config", str(config.path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def made_by_older_rules(config) -> int:
    """Every stored record's form marked as made by the rules before these; how many there are."""
    with Store(config.store_url) as store:
        with store.transaction() as conn:
            return conn.execute(update(records_table).values(rules_version=0)).rowcount


def change_a_rule(monkeypatch) -> None:
    """The upgrade's rule change: Duke's titles gain a mark; every other record's form stays as it was."""
    original = harvest.records.normalise

    def changed(marc, source="", **options):
        record = original(marc, source, **options)
        if source == "duke" and record.title:
            record.title += MARK
        return record

    monkeypatch.setattr(harvest.records, "normalise", changed)


def last_report(config) -> dict:
    return json.loads(sorted(config.reports_dir.glob("run-*.json"))[-1].read_text())


def live_count(config, source: str) -> int:
    with Store(config.store_url) as store:
        return sum(1 for _ in store.records(source=source))


def titles(config, source: str) -> list[str]:
    with Store(config.store_url) as store:
        return [r.record.title for r in store.records(source=source)]


def test_the_next_nightly_derives_older_records_again_and_only_changed_ones_reach_dedup_and_the_index(
        runner, config, monkeypatch):
    run(runner, config, "nightly")
    stored = made_by_older_rules(config)
    change_a_rule(monkeypatch)
    output = run(runner, config, "nightly")
    report = last_report(config)
    duke = live_count(config, "duke")
    assert 0 < duke < stored
    # Deichman's file was read again by the harvest, which re-derived its records (none changed);
    # Duke's server had nothing new, so its records were derived again from the stored MARC
    assert "deichman: ok; 0 new, 0 changed" in output
    assert report["renormalise"]["examined"] == duke
    assert report["renormalise"]["changed"] == duke and report["renormalise"]["remaining"] == 0
    assert f"{duke} records derived again under rules version {RULES_VERSION}, {duke} changed" in output
    # only Duke's records (and the other members of their clusters) were matched again and indexed
    assert report["dedup"]["rematched"] < stored and report["dedup"]["rematched"] >= duke
    assert 0 < report["index"]["indexed"] < stored
    assert all(title.endswith(MARK) for title in titles(config, "duke"))
    assert not any(title.endswith(MARK) for title in titles(config, "deichman"))
    with Store(config.store_url) as store:
        assert store.count_to_rederive(RULES_VERSION) == 0     # nothing left for the next night


def test_harvest_full_after_an_upgrade_rederives_unchanged_bytes_and_counts_only_changed_forms(
        runner, harvested, monkeypatch):
    config = harvested
    change_a_rule(monkeypatch)
    output = run(runner, config, "harvest", "--full", "--no-dedup")
    duke = live_count(config, "duke")
    assert f"duke: ok; 0 new, {duke} changed" in output, output
    assert "deichman: ok; 0 new, 0 changed" in output
    assert all(title.endswith(MARK) for title in titles(config, "duke"))
    with Store(config.store_url) as store:
        assert store.count_to_rederive(RULES_VERSION) == 0


def test_a_time_limit_leaves_the_rest_for_next_time_without_losing_or_doubling_any(harvested, monkeypatch):
    config = harvested
    stored = live_count(config, "deichman") + live_count(config, "duke")
    change_a_rule(monkeypatch)
    with Store(config.store_url) as store:
        first = renormalise(store, config, time_limit=0, batch=10)
        assert (first.examined, first.remaining) == (10, stored - 10)
        rest = renormalise(store, config, batch=10)
        assert rest.examined == stored - 10 and rest.remaining == 0
        assert first.changed + rest.changed == live_count(config, "duke")


def test_all_records_of_a_source_are_derived_again_after_its_configuration_changed(runner, harvested):
    config = harvested
    data = yaml.safe_load(config.path.read_text())
    for source in data["sources"]:
        if source["code"] == "deichman":
            source["record_url"] = "https://example.org/deichman/{id}"
    config.path.write_text(yaml.safe_dump(data, allow_unicode=True))
    output = run(runner, load_config(config.path), "renormalise", "--source", "deichman", "--all", "--no-dedup")
    deichman = live_count(config, "deichman")
    assert f"{deichman} records derived again under rules version {RULES_VERSION}, {deichman} changed" in output
    with Store(config.store_url) as store:
        assert all(r.record.record_url.startswith("https://example.org/deichman/") for r in store.records(source="deichman"))


def test_a_record_whose_raw_marc_cannot_be_read_again_is_kept_as_it_was_and_named(runner, harvested):
    config = harvested
    with Store(config.store_url) as store:
        victim = next(iter(store.records(source="deichman")))
        with store.transaction() as conn:
            conn.execute(update(records_table).where(records_table.c.id == victim.id).values(raw=b"not MARC at all"))
    output = run(runner, config, "renormalise", "--no-dedup")
    assert f"kept as it was: {victim.public_id}: the stored MARC cannot be read again" in output
    with Store(config.store_url) as store:
        assert store.record_by_public_id(victim.public_id).record.title == victim.record.title
        assert store.count_to_rederive(RULES_VERSION) == 0


def test_renormalise_all_without_a_source_is_a_usage_error(runner, write_config, duke_server):
    config = catalogue(write_config, duke_server)
    result = runner.invoke(main, ["--config", str(config.path), "renormalise", "--all"])
    assert result.exit_code == 2 and "--all needs --source" in result.output
