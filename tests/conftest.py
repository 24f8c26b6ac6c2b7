"""Shared fixtures: real data from ../shared/data, fresh state per test from tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from settings import load_config
from store import Store

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

    def write(sources: list[dict], **extra):
        data = {"store": "var/store.sqlite", "index": "var/index", "sources": sources, **extra}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        config = load_config(path)
        Store(config.store_url, migrate=True).close()     # as an operator would: `unioncat migrate` once
        return config

    return write


@pytest.fixture
def store(tmp_path):
    """An empty record store in a real SQLite file."""
    with Store(f"sqlite:///{tmp_path / 'store.sqlite'}", migrate=True) as opened:
        yield opened
