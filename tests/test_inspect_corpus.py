"""Every MARC record in ../shared/data is normalised or reported with a reason, and none is lost.

Files are found by content, not by name: a file is ISO 2709 when it holds
record or field terminators, MARCXML when it is XML with MARC elements
(gzip is opened first). Our count (normalised + reported) is checked
against a count that does not use our reader:
  ISO 2709  pymarc's permissive MARCReader, one item per record it finds
            (records it cannot parse come back as None and still count);
            a None for bytes that are only blanks is not a record.
  MARCXML   lxml in recovering mode, counting `record` elements that hold
            a leader, controlfield or datafield (an OAI-PMH wrapper record
            does not), over the document wrapped in one root element so
            that records written without a root all count.
Where pymarc counts differently its reason is written in DISAGREEMENTS, and
those files are held to a count of record terminators instead.

Files that are not MARC are not counted; each kind is named in NOT_MARC and
the test checks that every file of the corpus is one or the other:
  JSON            MARC-in-JSON, marc-record-js pairs (melinda), RecordManager's
                  internal formats, OAI-PMH cassettes: the normaliser reads
                  ISO 2709 and MARCXML only; read_file reports each as one failure.
  MARC as text    MarcEdit .mrk/.mrk8, LIBRIS `format=text` dumps (.marc),
                  RecordManager's line-based Alma/Genie+ text: reported likewise.
  XML, no MARC    OAI-PMH pages in oai_dc, datacite or oai_doaj, protocol
                  errors, Identify and ListSets responses: no MARC records.
  documentation   PROVENANCE.md, readmes, YAML cassettes, TSV, Turtle, the
                  Evergreen library map: not records at all.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import warnings
from pathlib import Path

import pymarc
import pytest
from click.testing import CliRunner
from lxml import etree

from cli import main
from normalise import RawRecord, ReadFailure, normalise, read_file
from normalise.flags import FLAGS
from tests.conftest import SHARED

DISAGREEMENTS = {
    # path: (our count, pymarc's count, why pymarc differs). pymarc reads as many bytes as the
    # leader's length says; when no record terminator ends them it raises EndOfRecordNotFound,
    # which stops its reader for the rest of the file.
    "marc4j/bad_too_long_plus_2.mrc": (3, 1, "the first record is 123,375 bytes and its leader says 23375: "
                                             "pymarc stops there and never sees the other two"),
    "marc4j/bad_hathi_records.mrc": (5, 4, "the fourth record is 1.1 MB under a leader length of 99999: "
                                           "pymarc stops there and never sees the fifth"),
}
NOT_MARC = {
    "JSON": re.compile(rb"\s*[\[{]"),
    "MARC as text": re.compile(rb"\s*(=LDR|LDR|leader:)"),
    "XML, no MARC": re.compile(rb"\s*<"),
}
DOCUMENTATION = re.compile(r"\.(md|txt|yaml|tsv|ttl|map)$|/README$")
ODDITIES = {"sickle/ListRecordsBroken.xml": "the words 'broken xml', standing in for a garbled OAI page",
            "vufind-marc/empty.mrc": "an empty file"}
BLANK = b"\x00\r\n\t "


def content(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def corpus() -> list[Path]:
    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing (CI keeps ../shared beside the clone)")
    return sorted(p for p in SHARED.rglob("*") if p.is_file())


def is_marc(data: bytes) -> str:
    """Our classification by content, independent of the reader: iso2709, marcxml or ''."""
    if b"\x1d" in data or b"\x1e" in data:
        return "iso2709"
    if re.search(rb"<(\w+:)?(leader|controlfield|datafield)[\s>]", data):
        return "marcxml"
    return ""


def pymarc_count(data: bytes) -> int:
    reader = pymarc.MARCReader(io.BytesIO(data), to_unicode=True, permissive=True, hide_utf8_warnings=True)
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pymarc warns on every odd subfield code; only its count matters here
        for record in reader:
            if record is None and not (reader.current_chunk or b"").strip(BLANK):
                continue
            count += 1
    return count


def terminator_count(data: bytes) -> int:
    return sum(1 for chunk in data.split(b"\x1d") if chunk.strip(BLANK))


def lxml_count(data: bytes) -> int:
    body = re.sub(rb"^[\s\S]*?(?=<)", b"", data, count=1)
    body = re.sub(rb"^<\?xml[^>]*\?>", b"", body.lstrip(), count=1)
    parser = etree.XMLParser(recover=True, huge_tree=True)
    root = etree.fromstring(b"<wrapper>" + body + b"</wrapper>", parser)
    if root is None:
        return 0
    marc = {"leader", "controlfield", "datafield"}
    return sum(1 for el in root.iter("{*}record")
               if any(isinstance(c.tag, str) and etree.QName(c).localname in marc for c in el))


def ours(path: Path) -> tuple[int, int, list[str]]:
    """(normalised, reported, reasons) for one file, through read_file and normalise in-process."""
    normalised, reasons = 0, []
    for item in read_file(path):
        if isinstance(item, ReadFailure):
            reasons.append(item.reason)
            continue
        assert isinstance(item, RawRecord)
        record = normalise(item.record, "corpus", flags=item.flags)
        json.dumps(record.to_dict(), ensure_ascii=False)
        assert set(record.flags) <= set(FLAGS), (path, record.flags)
        normalised += 1
    return normalised, len(reasons), reasons


@pytest.fixture(scope="module")
def results():
    logging.getLogger("pymarc").setLevel(logging.CRITICAL)
    found = {}
    for path in corpus():
        data = content(path)
        kind = is_marc(data)
        if not kind:
            continue
        independent = pymarc_count(data) if kind == "iso2709" else lxml_count(data)
        found[str(path.relative_to(SHARED))] = (kind, independent, *ours(path))
    return found


def not_marc_kind(relative: str, data: bytes) -> str:
    if relative in ODDITIES:
        return "oddity"
    return next((name for name, pattern in NOT_MARC.items() if pattern.match(data)), "documentation")


def test_every_file_of_the_corpus_is_marc_or_a_named_kind_of_non_marc(results):
    kinds: dict[str, list[str]] = {}
    for path in corpus():
        relative = str(path.relative_to(SHARED))
        if relative not in results:
            kinds.setdefault(not_marc_kind(relative, content(path)), []).append(relative)
    assert all(DOCUMENTATION.search(p) for p in kinds.get("documentation", [])), kinds["documentation"]
    for relative in kinds["JSON"] + kinds["MARC as text"]:
        assert [type(i) for i in read_file(SHARED / relative)] == [ReadFailure], relative
    for relative in kinds["XML, no MARC"]:
        assert not any(isinstance(i, RawRecord) for i in read_file(SHARED / relative)), relative
    assert len(results) > 600


def test_every_record_found_is_normalised_or_reported_and_the_count_matches_an_independent_one(results):
    mismatched = {}
    for relative, (kind, independent, normalised, reported, _reasons) in results.items():
        if relative in DISAGREEMENTS:
            continue
        if normalised + reported != independent:
            mismatched[relative] = (normalised, reported, independent)
    assert not mismatched
    total = sum(r[2] + r[3] for r in results.values())
    assert total == sum(r[1] for p, r in results.items() if p not in DISAGREEMENTS) + sum(
        DISAGREEMENTS[p][0] for p in DISAGREEMENTS)
    assert total > 6000


@pytest.mark.parametrize("relative", sorted(DISAGREEMENTS))
def test_where_pymarc_counts_otherwise_the_record_terminators_agree_with_us(results, relative):
    kind, independent, normalised, reported, _reasons = results[relative]
    expected_ours, expected_pymarc, _why = DISAGREEMENTS[relative]
    assert (normalised + reported, independent) == (expected_ours, expected_pymarc)
    assert normalised + reported == terminator_count(content(SHARED / relative))


def test_every_reported_record_has_a_reason_and_most_broken_files_are_read(results):
    reasons = [reason for r in results.values() for reason in r[4]]
    assert all(reason.strip() for reason in reasons)
    normalised = sum(r[2] for r in results.values())
    assert len(reasons) <= 0.001 * normalised, reasons     # broken records are repaired, not thrown away


def test_files_that_are_not_marc_yield_no_records_only_a_reason():
    for relative in ["pymarc/one.json", "libris/marc2jsonld/in/bib/7149593.marc", "marc4j/brkrtest.mrk",
                     "recordmanager/alma.txt", "sickle/ListRecordsBroken.xml"]:
        items = list(read_file(SHARED / relative))
        assert [type(i) for i in items] == [ReadFailure], relative
        assert items[0].reason.startswith("not a MARC file"), relative
    assert list(read_file(SHARED / "sickle/ListRecords.xml")) == []   # oai_dc: no MARC inside


@pytest.mark.parametrize("relative", [
    "evergreen/FSL.marc", "deichman/marc2rdf/example.oairesponse.xml", "pymarc/bad_records.mrc",
    "dnb-marc21-rs/DUMP.mrc.gz", "trln-marc-to-argot/nccu/open_access_restricted_edu.xml",
])
def test_the_inspect_command_prints_each_record_or_its_reason(results, relative):
    result = CliRunner().invoke(main, ["inspect", str(SHARED / relative)])
    _kind, independent, normalised, reported, _reasons = results[relative]
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    complaints = [line for line in result.stderr.splitlines() if line.startswith(str(SHARED))]
    assert (len(printed), len(complaints)) == (normalised, reported), result.output
    assert result.exit_code == (1 if reported else 0), result.output
    assert all(record["title"] or record["format"] == "authority" for record in printed)
