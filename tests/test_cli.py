"""The `unioncat` command line, through click's runner, on real files."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import shared


@pytest.fixture
def runner():
    return CliRunner()


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def test_every_command_and_option_has_help(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for path, command in commands(main):
        assert command.help, f"{' '.join(path)} has no help text"
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, result.output
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{' '.join(path)} {param.opts} has no help"
                assert param.opts[-1] in result.output


@pytest.mark.parametrize("relative", ["evergreen/lul_fre_100.mrc", "trln-marc-to-argot/duke/record_with_holding.xml",
                                      "libris/batchimport/batch1.xml"])
def test_inspect_prints_one_json_record_per_line_without_configuration(runner, relative, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # no config.yaml here: inspect must not need one
    result = runner.invoke(main, ["inspect", str(shared(relative))])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)
        if record["format"] == "holdings":
            assert record["holdings"]   # Libris batch files link holdings by position, not 004
        else:
            assert record["title"] and record["holdings"]


def test_inspect_reports_unreadable_records_on_stderr_and_exits_1(runner):
    result = runner.invoke(main, ["inspect", str(shared("pymarc/bad_records.mrc"))])
    assert result.exit_code == 1, result.output
    assert "bad_records.mrc#" in result.stderr
    for line in result.stdout.strip().splitlines():
        json.loads(line)


def test_missing_configuration_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["--config", str(tmp_path / "nope.yaml"), "status"])
    assert result.exit_code == 2
    assert "configuration file not found" in result.output


def test_invalid_source_type_is_a_usage_error_naming_the_key(runner, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("store: s.sqlite\nindex: ix\nsources:\n  - {code: a, type: ftp, path: x}\n")
    result = runner.invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert "sources[0].type" in result.output



def test_an_items_from_setting_without_its_subfields_is_a_usage_error_naming_the_key(runner, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("store: s.sqlite\nindex: ix\nsources:\n  - {code: a, type: file, path: x,"
                    " holdings: {tag: '852', library: b, items_from: {tag: '940'}}}\n")
    result = runner.invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert "holdings.items_from" in result.output

def test_nightly_over_file_sources_then_status_and_export(runner, write_config):
    config = write_config([
        {"code": "duke", "name": "Duke", "type": "file", "path": str(shared("trln-marc-to-argot/duke")) + "/record_*.xml"},
        {"code": "lul", "name": "Laurentian", "type": "file", "path": str(shared("evergreen/lul_fre_100.mrc"))},
    ])
    result = runner.invoke(main, ["--config", str(config.path), "nightly"])
    assert result.exit_code == 1, result.output            # lul_fre_100 has a record without 001
    assert "lul: quarantined" in result.output and "no control number" in result.output
    again = runner.invoke(main, ["--config", str(config.path), "nightly"])
    assert again.exit_code == 0, again.output               # nothing newly quarantined
    assert "0 new, 0 changed" in again.output
    status = runner.invoke(main, ["--config", str(config.path), "status", "--json"])
    rows = {row["source"]: row for row in json.loads(status.output)["sources"]}
    assert rows["lul"]["records"] == 99 and rows["lul"]["quarantined"] == 1
    exported = [json.loads(line) for line in runner.invoke(main, ["--config", str(config.path), "export", "clusters"]).output.splitlines()]
    assert sum(len(c["records"]) for c in exported) == rows["lul"]["records"] + rows["duke"]["records"]
    assert all(set(r) == {"source", "id"} for c in exported for r in c["records"])
    quarantined = runner.invoke(main, ["--config", str(config.path), "status", "--quarantined"])
    assert "lul_fre_100.mrc#9" in quarantined.output
