"""Shared fixtures: real data from ../shared/data, fresh state per test from tmp_path,
and a fresh store per test on SQLite and on a throwaway PostgreSQL server.

`make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadgroup`).
Session fixtures are then made once per worker, lazily, by the first test
that asks (each worker starts its own throwaway PostgreSQL server). A test
that shares an expensive module fixture runs in the same worker as the rest
of its module (see `pytest_itemcollected`); tests that need one heavy
resource of the whole session, of which two would be one too many, name its
fixture in `ONE_PER_RUN` or say so with `@pytest.mark.xdist_group("name")`,
and run in one worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from settings import load_config
from store import Store
from tests.pg import TEMPLATE, PostgresServer, PostgresUnavailable

DATABASES = ["sqlite", "postgresql"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def shared(relative: str) -> Path:
    """A file of ../shared/data; the test fails clearly when the folder is missing."""
    path = SHARED / relative
    if not path.exists():
        pytest.fail(f"shared data file {path} is missing (CI keeps ../shared beside the clone)")
    return path


@pytest.fixture
def write_config(tmp_path):
    """Write a configuration with the given sources into tmp_path and load it."""

    def write(sources: list[dict], store: str = "var/store.sqlite", **extra):
        data = {"store": store, "index": "var/index", "sources": sources, **extra}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        config = load_config(path)
        Store(config.store_url, migrate=True).close()     # as an operator would: `unioncat migrate` once
        return config

    return write


@pytest.fixture
def write_store_config(write_config, store_url):
    """`write_config` with the store on each database in turn (SQLite, then PostgreSQL)."""

    def write(sources: list[dict], **extra):
        return write_config(sources, store=store_url, **extra)

    return write


@pytest.fixture(scope="session")
def built_once() -> dict:
    """A cache for test data built once per session and shared by modules (a module imported by another,
    such as tests.test_web, is a second copy of itself, so a cache in its globals is not shared)."""
    return {}


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole session, with a migrated template database.

    The suite fails (never skips) when it cannot be started, naming the reason.
    """
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"the test PostgreSQL server could not be started: {exc}", pytrace=False)
    try:
        server.execute(f"CREATE DATABASE {TEMPLATE}")
        Store(server.url(TEMPLATE), migrate=True).close()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server) -> str:
    """The URL of the session's PostgreSQL server (its maintenance database `postgres`)."""
    return pg_server.url()


@pytest.fixture
def pg_store_url(pg_server):
    """A fresh migrated, empty PostgreSQL database for one test, dropped afterwards."""
    name = pg_server.fresh_database()
    yield pg_server.url(name)
    pg_server.discard_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite store migrated once per session; copying it is ten times faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    Store(f"sqlite:///{path}", migrate=True).close()
    return path


# Session fixtures of which one per run is enough and two too many (a cluster of servers): the tests
# that ask for one by name run in one xdist group, so that only one worker starts it. A test that
# reaches such a fixture through `request.getfixturevalue` says so with its own xdist_group mark.
ONE_PER_RUN = {"solr_cluster": "solr"}
# the same for parametrised fixtures whose one parameter reaches such a fixture: (fixture, parameter) -> group
ONE_PER_RUN_PARAMS = {("engine", "solr"): "solr", ("search_section", "solr"): "solr"}


def pytest_itemcollected(item):
    """Keep a module's tests in one xdist worker when they share a module-scoped fixture, so that
    it is built once, not once per worker, and the tests of a `ONE_PER_RUN` fixture in one group; the
    other tests go to whichever worker is free. (Marked as each test is collected: xdist reads the
    groups before other hooks could add them.)"""
    if item.get_closest_marker("xdist_group") is not None:
        return
    names = getattr(item, "fixturenames", ())
    group = next((ONE_PER_RUN[name] for name in names if name in ONE_PER_RUN), None)
    params = getattr(getattr(item, "callspec", None), "params", {})
    group = group or next((g for (name, value), g in ONE_PER_RUN_PARAMS.items() if params.get(name) == value), None)
    if group is None and _uses_a_module_fixture(item):
        group = item.module.__name__
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_configure(config):
    """Refuse `--dist loadgroup` where pytest-xdist ignores the groups (3.8 on pytest 9.2,
    pytest-dev/pytest-xdist#1386): every worker would build each module's expensive fixtures and start
    the resources meant to be started once, and nothing would say so."""
    if getattr(config.option, "dist", "no") != "loadgroup" or hasattr(config, "workerinput"):
        return
    from importlib.metadata import version

    from packaging.version import Version

    if Version(version("pytest")) >= Version("9.2") and Version(version("pytest-xdist")) < Version("3.9"):
        raise pytest.UsageError(f"pytest-xdist {version('pytest-xdist')} ignores xdist_group marks on pytest "
                                f"{version('pytest')} (pytest-dev/pytest-xdist#1386): `make install-test` "
                                "installs the pytest that setup.cfg asks for")


def _uses_a_module_fixture(item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(definition.scope == "module" for definitions in info.name2fixturedefs.values()
               for definition in definitions)


def pytest_generate_tests(metafunc):
    """A test that uses a store runs on every database, or only on those it names with
    `@pytest.mark.databases("sqlite")` (tests of the transport, where the store does nothing new)."""
    if "store_url" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("databases")
        metafunc.parametrize("store_url", list(marker.args) if marker else DATABASES, indirect=True)


@pytest.fixture
def store_url(request, tmp_path, sqlite_template):
    """A fresh migrated, empty store: an SQLite file, then a PostgreSQL database."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_store_url")
    shutil.copyfile(sqlite_template, tmp_path / "store.sqlite")
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture
def store(store_url):
    """An empty record store, on each database in turn."""
    with Store(store_url) as opened:
        yield opened


@pytest.fixture(scope="session")
def solr_cluster(tmp_path_factory):
    """A real SolrCloud (3 nodes, embedded ZooKeeper) for the whole session, started once by the project's
    launcher. The suite fails (never skips) when Java, the launcher (`make solr`) or the cluster is missing."""
    from tests.solr import SolrCluster

    try:
        cluster = SolrCluster(tmp_path_factory.mktemp("solr"))
    except RuntimeError as exc:
        pytest.fail(f"the test SolrCloud could not be started: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop_all()


# --- the search-engine contract: tests/test_search.py runs against every engine listed here --------

def whoosh_engine(request, catalogue):
    """The Whoosh engine over the catalogue's index folder."""
    from index import engine_for

    return engine_for(catalogue)


def solr_settings(request):
    """The `search:` settings of the session's SolrCloud and its "contract" collection (the sample catalogue)."""
    from settings import SearchSettings

    cluster = request.getfixturevalue("solr_cluster")
    return SearchSettings(engine="solr", nodes=tuple(cluster.nodes), collection="contract", shards=2, replicas=2)


def solr_engine(request, catalogue):
    """The Solr engine over the session's SolrCloud, its collection fed from the catalogue's store."""
    from dataclasses import replace

    from cli.pipeline import source_names
    from index import engine_for

    served = engine_for(replace(catalogue, search=solr_settings(request)))
    with Store(catalogue.store_url) as store:
        served.update(store, source_names(catalogue))     # as the CLI does: names, licences, bibliographies
    return served


def whoosh_section(request, tmp_path) -> dict:
    """The `search:` section of a configuration on Whoosh (its index folder is the configuration's `index`)."""
    return {"engine": "whoosh"}


def solr_section(request, tmp_path) -> dict:
    """The `search:` section of a configuration on the session's SolrCloud, with an alias of this test's own
    (its collections are deleted after the test)."""
    cluster = request.getfixturevalue("solr_cluster")
    alias = "section_" + "".join(c for c in tmp_path.name if c.isalnum())[-40:]

    def remove():
        from index.solr import SolrClient, SolrError
        from index.solr.admin import collections, delete_collection

        client = SolrClient(cluster.nodes, timeout=60)
        try:
            client.get("admin/collections", {"action": "DELETEALIAS", "name": alias})
        except SolrError:
            pass      # the test never made it
        for name in collections(client):
            if name.startswith(f"{alias}_"):
                delete_collection(client, name)
        client.close()

    request.addfinalizer(remove)
    return {"engine": "solr", "nodes": list(cluster.nodes), "collection": alias, "shards": 2, "replicas": 2}


# engine name -> a function (pytest request, sample catalogue Config) -> an Engine serving that catalogue
ENGINE_FACTORIES = {"whoosh": whoosh_engine, "solr": solr_engine}
# engine name -> a function (pytest request, tmp_path) -> the `search:` section of a fresh, empty index
ENGINE_SECTIONS = {"whoosh": whoosh_section, "solr": solr_section}


@pytest.fixture(scope="session", params=sorted(ENGINE_FACTORIES))
def engine(request, tmp_path_factory):
    """Each search engine in turn, serving the sample catalogue (built once per run, on SQLite)."""
    from tests.test_web import sample_catalogue

    catalogue = sample_catalogue(request, tmp_path_factory, "sqlite")
    served = ENGINE_FACTORIES[request.param](request, catalogue)
    yield served
    served.close()


@pytest.fixture(params=sorted(ENGINE_SECTIONS))
def search_section(request, tmp_path) -> dict:
    """Each search engine in turn, as the `search:` section of a configuration with a fresh, empty index."""
    return ENGINE_SECTIONS[request.param](request, tmp_path)


@pytest.fixture(scope="session")
def browser():
    """One chromium for the whole run (one per xdist worker), shared by every browser test."""
    try:
        import playwright.sync_api as playwright
    except ImportError:       # a missing part fails the run, never skips it
        pytest.fail("playwright is not installed; `make test` installs the test extra")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed; `make test` installs Debian's chromium")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield launched
        launched.close()
