"""The suite on two xdist workers (`make test`): a module fixture is built once, a one-per-run fixture
is started by one worker only, and the other tests still spread over both workers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from tests.conftest import ROOT

CONFTEST = "from tests.conftest import pytest_configure, pytest_itemcollected  # noqa: F401\n"

MODULE = '''
import os
import pytest

def record(tmp, what):
    with open(os.path.join(tmp, what + "-" + os.environ["PYTEST_XDIST_WORKER"]), "a") as out:
        out.write("x")

@pytest.fixture(scope="module")
def expensive():
    record(os.environ["GROUPS_OUT"], "built")

@pytest.fixture(scope="session")
def solr_cluster():
    record(os.environ["GROUPS_OUT"], "cluster")

@pytest.mark.parametrize("n", range(8))
def test_module_fixture(expensive, n):
    record(os.environ["GROUPS_OUT"], "module")

@pytest.mark.parametrize("n", range(8))
def test_cluster(solr_cluster, n):
    record(os.environ["GROUPS_OUT"], "cluster-test")

@pytest.mark.parametrize("n", range(16))
def test_free(n):
    import time
    time.sleep(0.05)
    record(os.environ["GROUPS_OUT"], "free")
'''


def test_two_workers_build_a_module_fixture_once_start_a_one_per_run_fixture_once_and_share_the_rest(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_sample.py").write_text(MODULE)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GROUPS_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = Counter()
    for path in out.iterdir():
        what, worker = path.name.rsplit("-", 1)
        runs[what, worker] += len(path.read_text())
    workers = lambda what: {worker for (kind, worker) in runs if kind == what}   # noqa: E731
    assert sum(n for (kind, _w), n in runs.items() if kind == "built") == 1, runs
    assert len(workers("module")) == 1 and sum(n for (kind, _w), n in runs.items() if kind == "module") == 8, runs
    assert sum(n for (kind, _w), n in runs.items() if kind == "cluster") == 1, runs
    assert len(workers("cluster-test")) == 1, runs
    assert workers("free") == {"gw0", "gw1"}, runs
