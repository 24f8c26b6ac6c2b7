"""Run history and health (issue 18): a source whose live records fall by more than `health.drop` in one run,
or that fails `health.failed_runs` runs in a row, is flagged in `status --history` and on the staff health page.

One scenario, built once for the module with real nightly runs over Deichman's
sample file and Duke's sample records on a real OAI-PMH server: run 1 harvests
everything; before run 2 the server deletes 15% of Duke's records (more than the
10% threshold, less than the 20% one harvest may mark deleted without --force);
before runs 3 to 5 the server is gone (a refused connection every night).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from cli import main
from health import DROPPED, FAILING, RunPoint, newly_flagged, source_health
from oaiserver import Repository, load_marc_files, make_app, serve_in_thread
from settings import load_config
from store import Store
from tests.conftest import ROOT
from tests.test_browser import ARTIFACTS, WCAG_TAGS, axe_script, serve  # noqa: F401 (a fixture)
from tests.test_browser_staff import sign_in
from tests.test_renormalise import START
from tests.test_staff_web import CHEAP, PASSWORD, login
from web import create_app


def nightly(config) -> str:
    result = CliRunner().invoke(main, ["--config", str(config.path), "nightly"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def write_catalogue(folder, url: str):
    shipped = {s["code"]: s for s in yaml.safe_load((ROOT / "config.yaml").read_text())["sources"]}
    deichman = dict(shipped["deichman"], path=str(ROOT / shipped["deichman"]["path"]))
    duke = {k: v for k, v in shipped["duke"].items() if k != "path"} | {"type": "oai", "url": url}
    data = {"store": "var/store.sqlite", "index": "var/index", "reports": "var/reports", "sources": [deichman, duke]}
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_config(folder / "config.yaml")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """The catalogue after five nightly runs: a drop in run 2, failures in runs 3 to 5."""
    records = load_marc_files([ROOT / "samples" / "duke" / "records.xml"], identifier_prefix="oai:duke:",
                              datestamp=lambda i: START + timedelta(minutes=i))
    repository = Repository(records)
    with serve_in_thread(make_app(repository, batch_size=50)) as server:
        config = write_catalogue(tmp_path_factory.mktemp("health"), server.url)
        outputs = [nightly(config)]
        doomed = [r.identifier for r in repository][: len(records) * 15 // 100]
        for identifier in doomed:
            repository.delete(identifier)
        outputs.append(nightly(config))
    outputs += [nightly(config) for _ in range(3)]
    with Store(config.store_url) as store:
        store.set_staff_password("anna", generate_password_hash(PASSWORD, CHEAP))
        store.set_staff_role("anna", "administrator", None)
    return {"config": config, "outputs": outputs, "deleted": len(doomed), "duke": len(records)}


def test_each_run_report_carries_every_sources_totals_after_the_run(scenario):
    with Store(scenario["config"].store_url) as store:
        runs = store.recent_runs("nightly", 10)
    assert len(runs) == 5
    second = {s["source"]: s for s in runs[3]["report"]["sources"]}
    assert second["duke"]["live"] == scenario["duke"] - scenario["deleted"]
    assert second["duke"]["deleted_total"] == scenario["deleted"]
    assert second["deichman"]["quarantined_total"] == 0


def test_status_history_flags_a_drop_and_three_failed_runs_in_a_row(scenario):
    config = scenario["config"]
    result = CliRunner().invoke(main, ["--config", str(config.path), "status", "--history"])
    assert result.exit_code == 0, result.output
    duke = result.output[result.output.index("duke:"):]
    assert "FLAGGED: failed 3 runs in a row" in duke
    lives = [line for line in duke.splitlines() if line.startswith("  run ")]
    assert len(lives) == 5 and "failed" in lives[-1] and "ok" in lives[0]
    assert "deichman: last success" in result.output and "FLAGGED" not in result.output.split("duke:")[0]


def test_the_drop_is_flagged_in_the_run_that_lost_the_records(scenario):
    config = scenario["config"]
    with Store(config.store_url) as store:
        runs = store.recent_runs("nightly", 10)
    after_drop = source_health(runs[3:], ["duke"], {}, failed_runs=3, drop=0.1)[0]
    assert after_drop.flags == (DROPPED,) and after_drop.drop == pytest.approx(scenario["deleted"] / scenario["duke"], 0.01)
    assert source_health(runs[3:], ["duke"], {}, failed_runs=3, drop=0.2)[0].flags == ()


def test_the_staff_health_page_shows_flagged_sources_first_with_their_runs(scenario):
    client = create_app(scenario["config"]).test_client()
    assert client.get("/staff/health").status_code == 302          # behind the staff sign-in
    login(client)
    html = client.get("/staff/health").get_data(as_text=True)
    assert html.index('data-source="duke"') < html.index('data-source="deichman"')
    duke = html[html.index('data-source="duke"'):html.index('data-source="deichman"')]
    assert 'data-flag="failing"' in duke and "Failed 3 nightly runs in a row." in duke
    assert duke.count("<tr data-run=") == 5
    assert 'data-flag' not in html[html.index('data-source="deichman"'):]
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/health"' in home
    polish = client.get("/staff/health?lang=pl").get_data(as_text=True)
    assert "Ostatnie udane zbieranie" in polish


def test_a_flag_is_new_only_in_the_run_that_raised_it():
    def runs(*outcomes_and_lives):
        return [{"id": n, "finished_at": None, "report": {"sources": [{"source": "x", "outcome": o, "live": live}]}}
                for n, (o, live) in reversed(list(enumerate(outcomes_and_lives, 1)))]

    before = source_health(runs(("ok", 100), ("failed", 100), ("failed", 100)), ["x"], {}, failed_runs=3)
    now = source_health(runs(("ok", 100), ("failed", 100), ("failed", 100), ("failed", 100)), ["x"], {}, failed_runs=3)
    later = source_health(runs(("ok", 100), ("failed", 100), ("failed", 100), ("failed", 100), ("failed", 100)),
                          ["x"], {}, failed_runs=3)
    assert now[0].flags == (FAILING,) and newly_flagged(now, before) == now
    assert newly_flagged(later, now) == []
    assert isinstance(now[0].points[0], RunPoint)


def test_in_a_browser_the_health_page_flags_the_failing_member_and_meets_wcag_2_1_aa(
        scenario, browser, axe_script):  # noqa: F811
    server = serve(scenario["config"])
    try:
        context = browser.new_context(locale="en-GB", bypass_csp=True)     # axe is injected as a script
        page = context.new_page()
        served = f"http://127.0.0.1:{server.effective_port}"
        sign_in(page, served)
        page.get_by_role("link", name="Harvest health").click()
        duke = page.locator('section[data-source="duke"]')
        assert duke.get_by_text("Failed 3 nightly runs in a row.").is_visible()
        assert duke.locator("tbody tr").count() == 5
        page.screenshot(path=str(ARTIFACTS / "staff-health.png"), full_page=True)
        page.add_script_tag(path=axe_script)
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                              "['violations']})", WCAG_TAGS)
        assert found["violations"] == [], found["violations"]
        context.close()
    finally:
        server.close()
