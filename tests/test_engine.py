"""The search-engine seam: the `search:` settings, and the engine configuration picks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from cli import main
from index import Engine, SearchIndexError, engine_for
from settings import ConfigError, SearchSettings
from settings.search import PASSWORD_ENV, USERNAME_ENV, parse_search


def test_without_a_search_section_the_engine_is_whoosh_over_the_index_folder(write_config):
    config = write_config([])
    assert config.search == SearchSettings(engine="whoosh")
    engine = engine_for(config)
    assert isinstance(engine, Engine)
    assert type(engine).__module__ == "index.whoosh_engine" and engine.index_dir == config.index_dir


def test_a_solr_section_is_read_with_its_nodes_collection_shards_replicas_and_timeout():
    settings = parse_search({"engine": "solr", "nodes": ["http://solr1:8983/solr/", "https://solr2/solr"],
                             "collection": "katalog", "shards": 4, "replicas": 3, "timeout": 2.5})
    assert settings == SearchSettings("solr", ("http://solr1:8983/solr", "https://solr2/solr"), "katalog", 4, 3, 2.5)


@pytest.mark.parametrize("section, names", [
    ({"engine": "elastic"}, "search.engine"),
    ({"engine": "solr"}, "search.nodes"),
    ({"engine": "solr", "nodes": []}, "search.nodes"),
    ({"engine": "solr", "nodes": ["solr1:8983"]}, "search.nodes"),
    ({"engine": "solr", "nodes": ["http://admin:secret@solr1:8983/solr"]}, USERNAME_ENV),
    ({"engine": "solr", "nodes": ["http://solr1/solr"], "collection": "a b"}, "search.collection"),
    ({"engine": "solr", "nodes": ["http://solr1/solr"], "shards": 0}, "search.shards"),
    ({"engine": "solr", "nodes": ["http://solr1/solr"], "replicas": "two"}, "search.replicas"),
    ({"engine": "solr", "nodes": ["http://solr1/solr"], "timeout": -1}, "search.timeout"),
    ({"engine": "solr", "nodes": ["http://solr1/solr"], "password": "x"}, "unknown keys"),
    ({"engine": "whoosh", "nodes": ["http://solr1/solr"]}, "unknown keys"),
    (["whoosh"], "search:"),
])
def test_a_wrong_search_section_is_refused_naming_the_key(section, names):
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        parse_search(section)


def test_solr_credentials_come_from_the_environment_only(monkeypatch):
    settings = parse_search({"engine": "solr", "nodes": ["http://solr1/solr"]})
    monkeypatch.delenv(USERNAME_ENV, raising=False)
    assert settings.credentials() is None
    monkeypatch.setenv(USERNAME_ENV, "unioncat")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-from-the-vault")
    assert settings.credentials() == ("unioncat", "s3cret-from-the-vault")
    assert "s3cret" not in repr(settings)


def test_the_cli_refuses_a_wrong_search_section_as_bad_configuration(tmp_path):
    (tmp_path / "config.yaml").write_text("store: s.sqlite\nindex: index\nsources: []\n"
                                          "search: {engine: solr, nodes: ftp://solr1}\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "index"])
    assert result.exit_code == 2, result.output
    assert "search.nodes" in result.output and "Traceback" not in result.output


def test_an_engine_no_module_provides_is_a_search_index_error(write_config):
    config = replace(write_config([]), search=replace(SearchSettings(), engine="nowhere"))
    with pytest.raises(SearchIndexError, match="no search engine called 'nowhere'"):
        engine_for(config)
