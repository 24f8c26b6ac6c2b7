"""The normalised form of a fixed set of real records, kept in tests/data/golden/normalised.json.

This test fails whenever what the normaliser makes of these records changes
while `normalise.RULES_VERSION` stays the same: a change to the rules must
raise the version, so that stored records are derived again after the
upgrade (`harvest.renormalise`). Once the version is raised, write the file
again and review its diff:

    python -m tests.test_normalise_golden --write

The records are the first few of each member's sample file that the demo
ships (samples/PROVENANCE.md) and the real records in tests/data; the
holdings mappings are fixed here, not read from config.yaml, so that a
configuration change never looks like a rule change.
"""

from __future__ import annotations

import json
import sys
from itertools import islice
from pathlib import Path

from harvest.records import from_raw
from normalise import RULES_VERSION, read_file
from settings import HoldingsMapping, SourceConfig
from store import IncomingRecord
from store.rows import record_json

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden" / "normalised.json"
PER_FILE = 6
SOURCES = {
    "libris": (SourceConfig("libris", "Libris", "file", record_url="http://libris.kb.se/bib/{id}",
                            holdings=HoldingsMapping("852", {"library": "b", "location": "c", "call_number": "hj"})),
               ["samples/libris/records.xml"]),
    "deichman": (SourceConfig("deichman", "Deichman", "file", holdings=HoldingsMapping("850", {"library": "a"})),
                 ["samples/deichman/records.mrc"]),
    "duke": (SourceConfig("duke", "Duke", "file", holdings=HoldingsMapping(
                 "852", {"library": "b", "location": "c", "call_number": "hi"}, items_from=("940", "b", "c"))),
             ["samples/duke/records.xml"]),
    "unc": (SourceConfig("unc", "UNC", "file", holdings=HoldingsMapping(
                "999", {"location": "l", "call_number": "q"}, indicators="91")),
            ["samples/unc/records.mrc"]),
    "ncsu": (SourceConfig("ncsu", "NCSU", "file"), ["samples/ncsu/records.xml"]),
    "evergreen": (SourceConfig("evergreen", "Evergreen", "file"), ["samples/evergreen/records.mrc"]),
    "bn": (SourceConfig("bn", "BN", "file", holdings=HoldingsMapping(
               "852", {"library": "b", "location": "c", "call_number": "h", "note": "z"})), ["samples/bn/records.mrc"]),
    "bibliografia": (SourceConfig("bibliografia", "Bibliografia", "file"), ["samples/bibliografia/records.mrc"]),
    "vastmanland": (SourceConfig("vastmanland", "Västmanland", "file", holdings=HoldingsMapping(
                        "952", {"library": "a", "location": "c", "call_number": "o", "note": "z"})),
                    ["samples/vastmanland/records.mrc"]),
    "tests": (SourceConfig("tests", "Test data", "file"),
              ["tests/data/alma_ava_9979201969103681.xml", "tests/data/beyond_the_crisis_in_art_second_edition.xml",
               "tests/data/xss_title_and_javascript_856.xml"]),
}


def normalised_now() -> dict[str, dict]:
    """Every golden record's normalised form under today's rules, by `file#position`."""
    out = {}
    for source, paths in SOURCES.values():
        for relative in paths:
            for raw in islice(read_file(ROOT / relative), PER_FILE):
                made = from_raw(source, raw, relative)
                key = f"{relative}#{raw.position}"
                kept = isinstance(made, IncomingRecord)
                out[key] = json.loads(record_json(made.record)) if kept else {"kept_aside": made.reason}
    return out


def test_the_normalised_form_of_the_golden_records_changes_only_with_a_new_rules_version():
    golden = json.loads(GOLDEN.read_text())
    now = normalised_now()
    if golden["rules_version"] != RULES_VERSION:
        raise AssertionError(f"RULES_VERSION is {RULES_VERSION} but {GOLDEN.name} was written under "
                             f"{golden['rules_version']}: write it again (python -m tests.test_normalise_golden --write)")
    changed = sorted(key for key in golden["records"].keys() | now.keys()
                     if golden["records"].get(key) != now.get(key))
    assert not changed, (f"the normalised form of {len(changed)} golden records changed ({', '.join(changed[:5])}) "
                         f"under the same rules version {RULES_VERSION}: raise normalise.RULES_VERSION so that stored "
                         "records are derived again after the upgrade, then write the file again "
                         "(python -m tests.test_normalise_golden --write)")


def test_the_golden_set_covers_every_member_of_the_samples_and_the_real_test_records():
    golden = json.loads(GOLDEN.read_text())["records"]
    for _source, paths in SOURCES.values():
        for relative in paths:
            assert any(key.startswith(f"{relative}#") for key in golden), relative
    assert len(golden) >= 30


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_normalise_golden --write")
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps({"rules_version": RULES_VERSION, "records": normalised_now()},
                                 indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{GOLDEN}: {len(normalised_now())} records under rules version {RULES_VERSION}")
