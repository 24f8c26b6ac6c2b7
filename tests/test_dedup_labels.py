"""The pairwise decision against labelled pairs: Melinda (Finland's union catalogue) and Libris.

Prints precision and recall (run with -s to see them). Every negative label
that means "different manifestations" must stay apart; pairs whose label only
reflects Melinda's own policy are set aside, each with its reason.
"""

from __future__ import annotations

import csv
import json

import pymarc
import pytest

from dedup import decide
from normalise import RawRecord, normalise, read_file
from tests.conftest import SHARED, shared

MELINDA = SHARED / "melinda"

# case -> why its label says nothing about whether the two records are one manifestation
SET_ASIDE = {
    "record-matching/match-detection/index/06": "negative only because the language feature is absent",
    "record-matching/match-detection/index/07": "negative only because the ISBN feature is absent",
    "record-matching/match-detection/index/08": "Melinda SID (local system id) mismatch policy",
    "record-matching/match-detection/index/09": "the restricted publication-year feature rejects 2019/2020",
    "record-matching/match-detection/index/10": "Melinda SID (local system id) mismatch policy",
    "record-matching/match-detection/index/12": "Melinda SID (local system id) mismatch policy",
    "record-matching/match-detection/index/23": "Melinda SID (local system id) mismatch policy",
    "match-validator/index/SID_same_b_different_c": "Melinda SID (local system id) policy",
    "match-validator/index/test-record": "Melinda test-record policy",
}


def marc_from_json(path) -> pymarc.Record:
    """A marc-record-js JSON record as a pymarc record."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):   # case 15 offers several candidates, all labelled MATCH: take the first
        data = data[0]
    record = pymarc.Record(leader=data["leader"])
    for f in data["fields"]:
        if "value" in f:
            record.add_field(pymarc.Field(tag=f["tag"], data=f["value"]))
            continue
        indicators = pymarc.Indicators((f.get("ind1") or " ")[:1], (f.get("ind2") or " ")[:1])
        subfields = [pymarc.Subfield(s["code"], s.get("value", "")) for s in f.get("subfields", [])]
        record.add_field(pymarc.Field(tag=f["tag"], indicators=indicators, subfields=subfields))
    return record


def melinda_cases():
    with open(shared("melinda/LABELS.tsv"), encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            expected = row["expected"]
            if expected.startswith("VALIDATION") or expected == "n/a":
                continue   # merge-UI warnings and skipped upstream tests: no match label
            yield row["case_dir"], row["record_a"], row["record_b"], expected.startswith("MATCH")


def libris(batch: str):
    (raw,) = [r for r in read_file(shared(f"libris/batchimport/{batch}.xml"))
              if isinstance(r, RawRecord) and r.record.leader[6] not in "uvxy"]
    return normalise(raw.record, batch)


LIBRIS_PAIRS = [   # from libris/batchimport/DEDUP_CASES.md
    ("batch0", "batch1", True),    # same ISBN and 035, title edited
    ("batch2", "batch3", True),    # ISBN-10 91-27-10850-3 == ISBN-13 9789127108509
    ("batch4", "batch8", True),    # the same cancelled ISBN in $z, as 10 and 13 digits, plus title, author, year
    ("batch0", "batch6", False),   # same ISBN, leader/06-07 "cm": a computer file
    ("batch0", "batch7", False),   # same ISBN, 007 "cr": an online resource
    ("batch0", "batch9", False),   # same ISBN, 007 "c|": electronic
]


def evaluate():
    outcomes = []
    for case, a_name, b_name, positive in melinda_cases():
        verdict = decide(normalise(marc_from_json(MELINDA / case / a_name), "a"),
                         normalise(marc_from_json(MELINDA / case / b_name), "b"))
        outcomes.append((case, positive, verdict))
    for a, b, positive in LIBRIS_PAIRS:
        outcomes.append((f"libris {a}~{b}", positive, decide(libris(a), libris(b))))
    return outcomes


@pytest.fixture(scope="module")
def outcomes():
    return evaluate()


def test_evaluation_prints_precision_and_recall(outcomes):
    counted = [(case, positive, v) for case, positive, v in outcomes if case not in SET_ASIDE]
    tp = sum(1 for _, positive, v in counted if positive and v.match)
    fp = sum(1 for _, positive, v in counted if not positive and v.match)
    fn = sum(1 for _, positive, v in counted if positive and not v.match)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(f"\nlabelled pairs: {len(counted)} counted, {len(outcomes) - len(counted)} set aside; "
          f"precision {precision:.3f}, recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn})")
    assert tp > 0 and len(counted) > 60


def test_pairs_of_different_manifestations_stay_apart(outcomes):
    merged = [(case, v.reasons) for case, positive, v in outcomes
              if not positive and v.match and case not in SET_ASIDE]
    assert not merged, merged


@pytest.mark.parametrize("a, b, positive", LIBRIS_PAIRS)
def test_libris_duplicate_cases(a, b, positive):
    verdict = decide(libris(a), libris(b))
    assert verdict.match == positive, verdict.evidence()
