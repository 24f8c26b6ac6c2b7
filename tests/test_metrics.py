"""`/metrics` (issue 18): the Prometheus text format with the named series, only to allowed addresses.

The sample catalogue of tests/test_web.py (harvested, deduplicated and indexed
by a real nightly run) is served with metrics on; the answer is parsed with
prometheus-client's own parser, so a malformed exposition fails the test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from cli import main
from settings import ConfigError, load_config
from settings.metrics import MetricsSettings, parse_metrics
from tests.web_sample import catalogue  # noqa: F401 (fixtures)
from web import create_app


def app_with(catalogue, **settings):
    return create_app(replace(catalogue, metrics=MetricsSettings(**settings)))


def scrape(client, address: str = "127.0.0.1"):
    return client.get("/metrics", environ_base={"REMOTE_ADDR": address})


def series(text: str) -> dict[str, list]:
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def test_metrics_are_off_unless_configured(catalogue):
    assert scrape(create_app(catalogue).test_client()).status_code == 404


def test_metrics_answer_in_the_prometheus_format_with_the_named_series(catalogue):
    client = app_with(catalogue, enabled=True).test_client()
    assert client.get("/api/search?q=jazz").status_code == 200
    assert client.get("/?q=jazz").status_code == 200
    response = scrape(client)
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=")
    found = series(response.get_data(as_text=True))
    searches = {s.name: s.value for s in found["unioncat_search_seconds"]}
    assert searches['unioncat_search_seconds_count'] == 2          # both searches went through the engine, timed
    requests = {(s.labels["endpoint"], s.labels["status"]): s.value for s in found["unioncat_http_requests"]
                if s.name == "unioncat_http_requests_total"}
    assert requests[("api.search", "200")] == 1 and requests[("pages.search", "200")] == 1
    records = {(s.labels["source"], s.labels["state"]): s.value for s in found["unioncat_records"]}
    with_store = create_app(catalogue).extensions["unioncat"]["store"]
    for source, counts in with_store.record_counts().items():
        assert records[(source, "live")] == counts["records"]
    assert found["unioncat_clusters"][0].value == with_store.cluster_totals()[1] > 0
    assert found["unioncat_store_up"][0].value == 1
    outcomes = {s.labels["source"] for s in found["unioncat_harvest_last_outcome"]}
    assert outcomes == {s.code for s in catalogue.sources}
    assert found["unioncat_nightly_last_outcome"][0].value == 1
    assert found["unioncat_nightly_last_finished_timestamp_seconds"][0].value > 0
    assert any(s.labels["consumer"].startswith("index") for s in found["unioncat_index_age_seconds"])


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.9", "::ffff:10.0.0.1"])
def test_metrics_answer_only_allowed_addresses(catalogue, address):
    client = app_with(catalogue, enabled=True, allow=("127.0.0.1/32", "172.16.0.0/12")).test_client()
    assert scrape(client, address).status_code == 404
    assert scrape(client, "172.20.1.1").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_address_decides(catalogue):
    config = replace(catalogue, metrics=MetricsSettings(enabled=True),
                     web=replace(catalogue.web, trusted_proxies=1))
    client = create_app(config).test_client()
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1", **forwarded}).status_code == 404


@pytest.mark.parametrize("section, key", [
    ({"enabled": "yes"}, "metrics.enabled"),
    ({"allow": "127.0.0.1"}, "metrics.allow"),
    ({"allow": ["localhost"]}, "metrics.allow"),
])
def test_a_wrong_metrics_setting_is_a_usage_error_naming_the_key(section, key, tmp_path):
    with pytest.raises(ConfigError, match=key):
        parse_metrics(section)
    path = tmp_path / "config.yaml"
    path.write_text(f"store: var/s.sqlite\nindex: var/index\nsources: []\nmetrics: {section!r}\n".replace("'", '"'))
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2 and key in result.output
    with pytest.raises(ConfigError):
        load_config(path)
