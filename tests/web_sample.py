"""The shared sample catalogue on SQLite and a test client of it, for web test modules whose pages do not
differ by database: `from tests.web_sample import catalogue, client` makes them that module's fixtures."""

from __future__ import annotations

import pytest

from tests.test_web import sample_catalogue
from web import create_app


@pytest.fixture(scope="module")
def catalogue(request, tmp_path_factory):
    """The sample catalogue on SQLite, built once per run and shared by the modules that import it."""
    return sample_catalogue(request, tmp_path_factory, "sqlite")


@pytest.fixture
def client(catalogue):
    return create_app(catalogue).test_client()
