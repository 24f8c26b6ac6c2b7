"""Check a parsed `config.yaml` against the settings table before anything reads it.

An unknown key is refused with the nearest known key suggested (`harvst` ->
`harvest`); a value of the wrong kind is refused naming the key, the value
and what is allowed. Checks that need more than one key (a source's url for
type oai, the default language among the languages) stay with the parse
functions of each section.
"""

from __future__ import annotations

import difflib

from settings.errors import ConfigError
from settings.table import REFUSED, SETTINGS, Setting, children


def check_config(data: dict) -> None:
    """`ConfigError` for the first unknown key or wrong value in the whole configuration."""
    _check_mapping(data, "", "")


def _check_mapping(item: dict, prefix: str, where: str) -> None:
    known = children(prefix)
    for name, found in item.items():
        path = f"{where}.{name}" if where else str(name)
        row = known.get(str(name))
        if row is None:
            _refuse_unknown(str(name), prefix, path, known)
        if found is None:
            if row.required:
                raise ConfigError(f"{path}: the key is required ({row.help.rstrip('.')})")
            continue
        _check_value(row, found, path)
    for name, row in known.items():
        if row.required and item.get(name) in (None, "") and not _required_elsewhere(row):
            raise ConfigError(f"{where + '.' if where else ''}{name}: the key is required ({row.help.rstrip('.')})")


def _required_elsewhere(row: Setting) -> bool:
    """The top-level keys are required by the parse function, which says so in its own words."""
    return "." not in row.key


def _refuse_unknown(name: str, prefix: str, path: str, known: dict[str, Setting]) -> None:
    refused = REFUSED.get(f"{prefix}.{name}" if prefix else name)
    if refused:
        raise ConfigError(f"{path}: {refused}")
    nearest = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {nearest[0]!r}? " if nearest else ""
    section = f"of {prefix.replace('[]', '')} " if prefix else ""
    raise ConfigError(f"{path}: unknown key {name!r}; {hint}the keys {section}are {', '.join(sorted(known))}")


def _check_value(row: Setting, found, path: str) -> None:
    if row.kind == "section":
        if not isinstance(found, dict):
            raise ConfigError(f"{path}: expected a mapping of its keys ({', '.join(children(row.key))}), "
                              f"not {found!r}")
        _check_mapping(found, row.key, path)
    elif row.kind == "sections":
        if not isinstance(found, list):
            raise ConfigError(f"{path}: expected a list of mappings, not {found!r}")
        for n, entry in enumerate(found):
            if not isinstance(entry, dict):
                raise ConfigError(f"{path}[{n}]: expected a mapping of {', '.join(children(row.key + '[]'))}, "
                                  f"not {entry!r}")
            _check_mapping(entry, row.key + "[]", f"{path}[{n}]")
    elif not _fits(row, found):
        raise ConfigError(f"{path}: {found!r} is not allowed; expected {row.allowed()}")


def _fits(row: Setting, found) -> bool:
    kind = row.kind
    if row.off and found is False:
        return True
    if kind == "text":
        return isinstance(found, (str, int, float)) and not isinstance(found, bool)
    if kind == "flag":
        return isinstance(found, bool)
    if kind == "choice":
        return found in row.choices
    if kind == "list":
        items = found if isinstance(found, list) else [found]
        return all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in items)
    if kind == "names":
        return isinstance(found, dict) and all(isinstance(v, (str, int)) for v in found.values())
    if kind == "share":
        return _number(found) and 0 <= found <= 1
    if kind == "whole" and (not isinstance(found, int) or isinstance(found, bool)):
        return False
    return _number(found) and _within(row, found)


def _number(found) -> bool:
    return isinstance(found, (int, float)) and not isinstance(found, bool)


def _within(row: Setting, found: float) -> bool:
    if row.low is not None and (found < row.low or (row.above and found == row.low)):
        return False
    return row.high is None or found <= row.high


def undocumented() -> list[str]:
    """Keys without help (a test keeps this empty)."""
    return [row.key for row in SETTINGS.values() if not row.help.strip()]
