"""File sources: real ISO 2709 (MARC-8, UTF-8, broken), MARCXML with and without namespace,
marcxchange, gzipped; unreadable records quarantined with file, position and reason."""

from __future__ import annotations

import gzip
import shutil

from harvest import HarvestOptions, harvest_files
from settings import SourceConfig
from tests.conftest import shared


def source(*paths, code="lib") -> SourceConfig:
    return SourceConfig(code=code, name=code, type="file", paths=tuple(str(p) for p in paths))


def live(store, code="lib") -> dict:
    return {r.local_id: r for r in store.records(source=code)}


def test_gzipped_utf8_iso2709_keeps_every_record(store):
    data = gzip.decompress(shared("dnb-marc21-rs/DUMP.mrc.gz").read_bytes())
    report = harvest_files(store, source(shared("dnb-marc21-rs/DUMP.mrc.gz")))
    assert report.counts.new + report.counts.quarantined == data.count(b"\x1d") == 8
    assert report.counts.quarantined == 0


def test_a_gzipped_file_reads_like_the_plain_one(store):
    harvest_files(store, source(shared("dnb-marc21-rs/ada.mrc"), code="plain"))
    harvest_files(store, source(shared("dnb-marc21-rs/ada.mrc.gz"), code="gz"))
    [plain], [gz] = live(store, "plain").values(), live(store, "gz").values()
    assert plain.raw == gz.raw and plain.record.title == gz.record.title


def test_marc8_records_are_decoded(store):
    report = harvest_files(store, source(shared("evergreen/lul_fre_100.mrc")))
    assert report.counts.new == 99 and report.counts.quarantined == 1      # one record has no 001
    assert live(store)["01-0118948"].record.title.startswith("Les aspirations : poésies canadiennes")


def test_unreadable_binary_records_are_quarantined_with_file_position_and_reason(store):
    report = harvest_files(store, source(shared("pymarc/bad_records.mrc")))
    skipped = {q.position: q.reason for q in report.counts.quarantined_items}
    assert {"bad_records.mrc#5", "bad_records.mrc#7"} <= set(skipped)
    assert all(reason for reason in skipped.values())
    assert report.counts.new + report.counts.quarantined == 8
    assert {q.position for q in store.quarantined("lib")} == set(skipped)


def test_marcxml_with_and_without_namespace_and_marcxchange_in_one_source(store):
    files = [shared("deichman/marc2rdf/example.normarc.xml"),        # MARC21 slim namespace, 10 records
             shared("evergreen/serials_mfhd.xml"),                   # no namespace, 7 records
             shared("deichman/ls.ext/BS_external_sru_data.xml")]     # marcxchange inside SRU, a 22-character leader
    report = harvest_files(store, source(*files))
    assert report.ok and report.pages == 3
    assert report.counts.new + report.counts.quarantined == 10 + 7 + 1
    flagged = [r for r in live(store).values() if "leader-repaired" in r.flags]
    assert any(r.raw_format == "marcxml" and b"marcxchange" in r.raw for r in flagged)


def test_gzipped_marcxml(store, tmp_path):
    packed = tmp_path / "normarc.xml.gz"
    packed.write_bytes(gzip.compress(shared("deichman/marc2rdf/example.normarc.xml").read_bytes()))
    report = harvest_files(store, source(packed))
    assert report.counts.new == 10


def test_a_file_cut_short_is_reported_and_nothing_is_deleted_for_it(store, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(shared("dnb-marc21-rs/DUMP.mrc.gz"), folder / "DUMP.mrc.gz")
    shutil.copy(shared("deichman/marc2rdf/example.normarc.xml"), folder / "normarc.xml")
    whole = source(folder / "*")
    assert harvest_files(store, whole).counts.new == 18
    (folder / "DUMP.mrc.gz").write_bytes(shared("dnb-marc21-rs/DUMP.mrc.gz").read_bytes()[:5000])   # cut short
    report = harvest_files(store, whole, HarvestOptions(max_shrink=1.0))
    [skipped] = report.counts.quarantined_items
    assert skipped.position == "DUMP.mrc.gz#1" and "gzip" in skipped.reason
    assert report.counts.deleted == 0 and "DUMP.mrc.gz could not be read to the end" in report.warnings[0]
    assert len(live(store)) == 18


def test_records_missing_from_the_files_are_deleted_but_not_when_too_many_vanish(store, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(shared("dnb-marc21-rs/DUMP.mrc.gz"), folder / "DUMP.mrc.gz")
    shutil.copy(shared("dnb-marc21-rs/ada.mrc"), folder / "ada.mrc")
    shutil.copy(shared("deichman/marc2rdf/example.normarc.xml"), folder / "normarc.xml")
    whole = source(folder / "*")
    assert harvest_files(store, whole).counts.new == 19
    (folder / "ada.mrc").unlink()                                     # 1 of 19: a weeded catalogue
    assert harvest_files(store, whole).counts.deleted == 1
    (folder / "normarc.xml").unlink()                                 # 10 of 18: a broken export
    refused = harvest_files(store, whole)
    assert refused.counts.deleted == 0 and "10 of 18 records are missing from the files" in refused.warnings[0]
    assert len(live(store)) == 18
    forced = harvest_files(store, whole, HarvestOptions(force=True))
    assert forced.counts.deleted == 10 and len(live(store)) == 8


def test_the_store_writes_records_as_json_exactly_as_record_to_dict_would(store):
    import json

    from store.rows import record_json

    harvest_files(store, source(shared("evergreen/lul_fre_100.mrc"), shared("deichman/marc2rdf/example.normarc.xml")))
    records = [r.record for r in store.records(source="lib")]
    assert len(records) == 109
    assert all(record_json(r) == json.dumps(r.to_dict(), ensure_ascii=False) for r in records)
