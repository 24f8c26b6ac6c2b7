"""The settings table (issue 18): typos and wrong values in config.yaml are usage errors that name the key,
the value and what is allowed; every setting is documented in the table, config.yaml and the README."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from settings import HarvestSettings, LeaseSettings, OaiSettings, SearchSettings, WebSettings, load_config
from settings.table import SETTINGS, default, markdown
from settings.validate import undocumented
from tests.conftest import ROOT


def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def status_with(tmp_path, data: dict):
    """`unioncat status` on the shipped configuration changed as a test says (no store is opened when it is bad)."""
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "status"])


def renamed(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


@pytest.mark.parametrize("typo, named", [
    (lambda d: renamed(d, "harvest", "harvst"), "harvst: unknown key 'harvst'; did you mean 'harvest'?"),
    (lambda d: d["sources"][0].update(recconcile=True),
     "sources[0].recconcile: unknown key 'recconcile'; did you mean 'reconcile'?"),
    (lambda d: renamed(d["sources"][0], "metadata_prefix", "metdata_prefix"),
     "sources[0].metdata_prefix: unknown key 'metdata_prefix'; did you mean 'metadata_prefix'?"),
    (lambda d: renamed(d["harvest"], "max_retries", "max_retrys"),
     "harvest.max_retrys: unknown key 'max_retrys'; did you mean 'max_retries'?"),
    (lambda d: d["web"]["login_throttle"].update(lockuot=60),
     "web.login_throttle.lockuot: unknown key 'lockuot'; did you mean 'lockout'?"),
], ids=["harvst", "recconcile", "metdata_prefix", "max_retrys", "nested"])
def test_a_typo_in_a_key_is_a_usage_error_suggesting_the_nearest_key(tmp_path, typo, named):
    data = shipped()
    typo(data)
    result = status_with(tmp_path, data)
    assert result.exit_code == 2, result.output
    assert named in result.output


@pytest.mark.parametrize("change, named", [
    (lambda d: d["web"].update(page_size="lots"), "web.page_size: 'lots' is not allowed; expected a whole number"),
    (lambda d: d["sources"][0].update(timeout="soon"),
     "sources[0].timeout: 'soon' is not allowed; expected a number of seconds above 0"),
    (lambda d: d["harvest"].update(follow_redirects="anywhere"),
     "harvest.follow_redirects: 'anywhere' is not allowed; expected one of origin, any"),
    (lambda d: d["sources"][1].update(several_per_cluster="yes please"),
     "sources[1].several_per_cluster: 'yes please' is not allowed; expected true or false"),
    (lambda d: d["harvest"].update(max_shrink=2), "harvest.max_shrink: 2 is not allowed; expected a share from 0 to 1"),
    (lambda d: d["leases"].update(expiry=0), "leases.expiry: 0 is not allowed; expected a number of seconds above 0"),
    (lambda d: d.update(harvest=["timeout"]), "harvest: expected a mapping of its keys"),
], ids=["page_size", "timeout", "choice", "flag", "share", "above-zero", "section"])
def test_a_value_of_the_wrong_kind_is_a_usage_error_naming_key_value_and_what_is_allowed(tmp_path, change, named):
    data = shipped()
    change(data)
    result = status_with(tmp_path, data)
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output


def test_the_barcode_role_is_refused_saying_why_instead_of_being_dropped(tmp_path):
    data = shipped()
    data["sources"][0]["holdings"]["barcode"] = "p"
    result = status_with(tmp_path, data)
    assert result.exit_code == 2, result.output
    assert "sources[0].holdings.barcode: unioncat keeps no item barcodes" in result.output


def test_every_setting_has_help_and_a_kind_it_can_be_checked_by():
    assert undocumented() == []
    for row in SETTINGS.values():
        assert row.allowed(), row.key


def documented_in(text: str) -> set[str]:
    """Words config.yaml explains in its comments, and the keys it sets."""
    words = set()
    for line in text.splitlines():
        if line.strip().startswith("#") or "#" in line:
            words |= set(re.findall(r"[a-z_]+", line.split("#", 1)[1] if not line.strip().startswith("#") else line))
    return words


def present_keys(item, prefix: str = "") -> set[str]:
    found = set()
    if isinstance(item, dict):
        for name, inner in item.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            found |= {key} | present_keys(inner, key)
    elif isinstance(item, list):
        for inner in item:
            found |= present_keys(inner, prefix + "[]")
    return found


def test_config_yaml_documents_every_setting_and_sets_no_other():
    text = (ROOT / "config.yaml").read_text()
    present = {key for key in present_keys(yaml.safe_load(text)) if not key.startswith("sources[].holdings.library_names.")}
    assert present - set(SETTINGS) == set()
    explained = documented_in(text)
    missing = [key for key in SETTINGS if key not in present and key.rsplit(".", 1)[-1].replace("[]", "") not in explained]
    assert missing == []
    load_config(ROOT / "config.yaml")


def test_the_readme_table_is_the_one_the_settings_table_generates():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- settings table")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- end of the settings table -->")
    assert readme[start:end] == markdown(), "run `unioncat settings --markdown` and paste it into the README"
    result = CliRunner().invoke(main, ["settings", "--markdown"])
    assert result.exit_code == 0 and result.output == markdown()


def test_the_dataclasses_take_their_defaults_from_the_table():
    for settings, section in ((HarvestSettings(), "harvest"), (LeaseSettings(), "leases"), (OaiSettings(), "oai"),
                              (SearchSettings(), "search"), (WebSettings(), "web")):
        for name in settings.__dataclass_fields__:
            key = f"{section}.{name}"
            if key in SETTINGS and SETTINGS[key].kind != "section":
                assert getattr(settings, name) == default(key), key


def test_a_configuration_that_leaves_keys_out_gets_the_tables_defaults(tmp_path):
    (tmp_path / "config.yaml").write_text("store: s.sqlite\nindex: i\nsources: []\nharvest: {timeout: 5}\n")
    config = load_config(tmp_path / "config.yaml")
    assert config.harvest.timeout == 5.0 and config.harvest.max_retries == default("harvest.max_retries")
    assert config.web.page_size == default("web.page_size") and config.change_log_keep_days == 30


def test_the_demos_oai_port_moves_the_endpoint_and_the_source_harvested_from_it():
    from cli.pipeline import demo_ports

    config = demo_ports(load_config(ROOT / "config.yaml"), 8931)
    [server] = config.demo_servers
    assert server.port == 8931 and config.source(server.source).url == "http://127.0.0.1:8931/oai"
    assert {s.url for s in config.sources if s.code != server.source} == {None}
