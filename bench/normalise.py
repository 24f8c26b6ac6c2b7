"""Benchmark: normalising MARC against pymarc's own parse of the same file.

Builds a corpus of at least 50,000 records by repeating real records from
../shared/data (binary ISO 2709: MARC-8 and UTF-8, NORMARC with a blank
leader/09; MARCXML from three TRLN members and LIBRIS), then times, in the
same run:
  baseline  pymarc alone (MARCReader / parse_xml_to_array), no normalisation
  read      unioncat's reader alone (read_file), for where the time goes
  unioncat  read_file + normalise (what `harvest` and `inspect` do)
and prints records per second and the ratio of unioncat's time to pymarc's
(the aim: no more than 1.00). Usage: python bench/normalise.py [--records N]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pymarc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from normalise import RawRecord, normalise, read_file  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BINARY_SEEDS = ["evergreen/lul_fre_500.mrc", "evergreen/jazz_1k.mrc", "evergreen/nepali.marc",
                "deichman/marc2rdf/example.binary.normarc.mrc", "evergreen/FSL.marc"]
XML_SEEDS = ["trln-marc-to-argot/duke", "trln-marc-to-argot/unc", "libris/batchimport"]


def binary_corpus(target: int) -> bytes:
    seeds = b"".join((SHARED / s).read_bytes() for s in BINARY_SEEDS)
    count = seeds.count(b"\x1d")
    return seeds * (target // count + 1)


def xml_corpus(target: int) -> bytes:
    records = []
    for folder in XML_SEEDS:
        for path in sorted((SHARED / folder).glob("*.xml")):
            try:
                records += pymarc.parse_xml_to_array(str(path))
            except Exception:
                continue
    records = [r for r in records if r is not None]
    body = b"".join(pymarc.record_to_xml(r, namespace=True) for r in records)
    repeated = body * (target // len(records) + 1)
    return b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + repeated + b"</collection>"


def time_it(label: str, fn) -> float:
    started = time.perf_counter()
    count = fn()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"  {label:<28} {count:>8} records in {elapsed:6.2f}s = {rate:>9,.0f} records/s")
    return rate


def pymarc_binary(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for r in pymarc.MARCReader(handle, to_unicode=True, permissive=True, hide_utf8_warnings=True) if r)


def pymarc_xml(path: Path) -> int:
    return len(pymarc.parse_xml_to_array(str(path)))


def read_only(path: Path) -> int:
    return sum(1 for raw in read_file(path) if isinstance(raw, RawRecord))


def ours(path: Path) -> int:
    return sum(1 for raw in read_file(path) if isinstance(raw, RawRecord) and normalise(raw.record, "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="minimum records per corpus")
    args = parser.parse_args()
    logging.getLogger("pymarc").setLevel(logging.ERROR)   # it logs every odd indicator
    with tempfile.TemporaryDirectory() as folder:
        binary = Path(folder) / "corpus.mrc"
        binary.write_bytes(binary_corpus(args.records))
        xml = Path(folder) / "corpus.xml"
        xml.write_bytes(xml_corpus(args.records))
        for name, path, baseline in (("binary ISO 2709", binary, pymarc_binary), ("MARCXML", xml, pymarc_xml)):
            print(f"{name} ({path.stat().st_size / 1e6:.1f} MB):")
            base = time_it("pymarc parse only", lambda: baseline(path))
            time_it("unioncat read only", lambda: read_only(path))
            mine = time_it("unioncat read + normalise", lambda: ours(path))
            print(f"  ratio (unioncat time / pymarc time): {base / mine:.2f}  (aim: <= 1.00)")


if __name__ == "__main__":
    main()
