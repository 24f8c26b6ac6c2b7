"""The dependency direction of STYLE.md: cli -> web -> index -> dedup -> store -> normalise."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

# a package may import only the packages listed for it (and itself)
ALLOWED = {
    "settings": set(),
    "normalise": {"settings"},
    "store": {"normalise", "settings"},
    "dedup": {"store", "normalise", "settings"},
    "index": {"dedup", "store", "normalise", "settings"},
    "web": {"index", "dedup", "store", "normalise", "settings", "mail", "patrons", "ill", "availability", "health"},
    "mail": {"settings"},
    "patrons": {"settings"},
    "ill": {"store", "normalise", "settings"},
    "availability": {"normalise", "settings"},
    "health": {"store", "settings"},     # types only (TYPE_CHECKING): it reads runs through the store it is given
    "harvest": {"store", "normalise", "settings"},
    "oaiserver": set(),
    "memberpeers": {"oaiserver"},
}
PACKAGES = set(ALLOWED) | {"cli"}


def imported_packages(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PACKAGES


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_parts_to_its_right(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        illegal = imported_packages(path) - ALLOWED[package] - {package}
        assert not illegal, f"{path.relative_to(ROOT)} imports {sorted(illegal)}"


def test_nothing_imports_the_cli():
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            assert "cli" not in imported_packages(path), path


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["web", "cli"])
def test_the_web_and_the_cli_reach_the_search_engine_only_through_the_index_seam(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        reaching = {m for m in imported_modules(path) if m.startswith("index.") or m.split(".")[0] in ENGINE_LIBRARIES}
        assert not reaching, f"{path.relative_to(ROOT)} imports {sorted(reaching)}: use what `index` names"


# the libraries of the search engines, owned by their engine modules in index/
ENGINE_LIBRARIES = {"whoosh", "requests", "httpx", "urllib3", "pysolr"}
