"""The seeds' networks in the demo: BN's shared catalogue, a regional bibliography, a licensed e-book collection
and a Swedish county's shared Koha, from the real records in ../shared/data/bn-poland and vastmanland-koha.

Called by build.py, which writes EXPECTED.json and PROVENANCE.md; it writes, next to this file:

    bn/records.mrc            BN network records with 852 holdings (byte for byte)
    bn/adapted-host.mrc       one real BN serial record adapted to describe an articles' host journal
    bibliografia/records.mrc  BN articles of two Kraków periodicals: the stand-in regional bibliography
    ebooks/records.mrc        BN e-books with an 856 link: the stand-in licensed e-book collection
    vastmanland/records.mrc   the Västmanland libraries' shared Koha records (a copy of the file)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pymarc

HERE = Path(__file__).resolve().parent
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TOKARCZUK = DATA / "bn-poland" / "pl_bn_tokarczuk" / "Olga_Tokarczuk.mrc"
KHW = DATA / "bn-poland" / "pl_bn_khw_api" / "bibs_test_100.mrc"
KOHA = DATA / "vastmanland-koha" / "vastmanland_koha_3recs.mrc"
# the stand-in regional bibliography: BN's records of articles in these periodicals (773 $t)
REGIONAL_HOSTS = ("Tygodnik Powszechny", "Nowy Napis")
# the host record the articles link to: BN's one serial record (leader/07 s), adapted (see HOST_CHANGES)
HOST_BASE = "b1000000481626"
HOST_ID = "b1000000481626-tp"
HOST_TITLE, HOST_SUBTITLE, HOST_ISSN = "Tygodnik Powszechny :", "katolickie pismo społeczno-kulturalne.", "0041-4808"
HOST_KEEP = ("005", "008", "040", "336", "337", "338", "852")
HOST_CHANGES = (
    f"001 set to `{HOST_ID}`; 245 replaced by `$a{HOST_TITLE} $b{HOST_SUBTITLE}` and an 022 `$a{HOST_ISSN}` added "
    "(both as BN's articles name their host in 773 $t and $x); every other field left out except the leader, "
    "005, 008, 040, the RDA 336-338 (text, computer, online resource) and the 852 holding (BJ, location BJ_JBC)")


def split_records(path: Path) -> list[tuple[bytes, pymarc.Record]]:
    """Each ISO 2709 record of a file: its own bytes, unchanged, and its parse."""
    out = []
    for chunk in path.read_bytes().split(b"\x1d"):
        if chunk.strip():
            raw = chunk + b"\x1d"
            out.append((raw, pymarc.Record(data=raw, to_unicode=True, force_utf8=True)))
    return out


def _control(record: pymarc.Record, tag: str) -> str:
    fld = record.get(tag)
    return fld.data if fld is not None else ""


def _is_regional(record: pymarc.Record) -> bool:
    return any((f.get("t") or "").startswith(REGIONAL_HOSTS) for f in record.get_fields("773"))


def _has_link(record: pymarc.Record) -> bool:
    return any(f.get("u") for f in record.get_fields("856"))


def adapted_host(base: pymarc.Record) -> bytes:
    """BN's serial record, adapted to describe Tygodnik Powszechny (HOST_CHANGES)."""
    record = pymarc.Record(leader=base.leader, force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=HOST_ID))
    for fld in base.fields:
        if fld.tag in HOST_KEEP:
            record.add_field(fld)
        if fld.tag == "040":
            record.add_field(pymarc.Field(tag="022", indicators=["0", " "], subfields=[pymarc.Subfield("a", HOST_ISSN)]))
            record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[
                pymarc.Subfield("a", HOST_TITLE), pymarc.Subfield("b", HOST_SUBTITLE)]))
    return record.as_marc()


def build_networks() -> dict:
    """Write the networks' files; what each member holds, for EXPECTED.json and PROVENANCE.md."""
    tokarczuk, khw = split_records(TOKARCZUK), split_records(KHW)
    regional = [raw for raw, rec in tokarczuk if _is_regional(rec)]
    ebooks = [raw for raw, rec in khw if _has_link(rec)]
    held = [raw for raw, rec in tokarczuk + khw
            if rec.get_fields("852") and not _has_link(rec) and not rec.get_fields("773")]
    base = next(rec for _raw, rec in tokarczuk if _control(rec, "001") == HOST_BASE)
    files = {
        "bn/records.mrc": b"".join(held),
        "bn/adapted-host.mrc": adapted_host(base),
        "bibliografia/records.mrc": b"".join(regional),
        "ebooks/records.mrc": b"".join(ebooks),
    }
    for name, data in files.items():
        (HERE / name).parent.mkdir(exist_ok=True)
        (HERE / name).write_bytes(data)
    (HERE / "vastmanland").mkdir(exist_ok=True)
    shutil.copyfile(KOHA, HERE / "vastmanland" / "records.mrc")
    return {
        "bn": {"files": ["bn/records.mrc", "bn/adapted-host.mrc"], "records": len(held) + 1, "original_records": len(held),
               "adapted": [HOST_ID], "holdings_field": "852"},
        "bibliografia": {"files": ["bibliografia/records.mrc"], "records": len(regional), "original_records": len(regional),
                         "hosts": list(REGIONAL_HOSTS), "host_record": HOST_ID, "host_issn": HOST_ISSN},
        "ebooks": {"files": ["ebooks/records.mrc"], "records": len(ebooks), "original_records": len(ebooks),
                   "licensed_for": ["bn", "vastmanland"]},
        "vastmanland": {"files": ["vastmanland/records.mrc"], "records": 3, "original_records": 3,
                        "holdings_field": "952"},
    }


def provenance(counts: dict) -> str:
    """The PROVENANCE.md section of the networks' members."""
    bn, bib, ebooks = counts["bn"], counts["bibliografia"], counts["ebooks"]
    return f"""## The seeds' networks

Four members from `shared/data/bn-poland` and `shared/data/vastmanland-koha` (upstream repository, commit and
licence in each folder's `PROVENANCE.md`; BN's records carry no licence file: they are BN's openly published
catalogue data). Records are copied byte for byte from the ISO 2709 files, except the one adapted record named below.

| member | files | records | what it shows |
|---|---|---|---|
| `bn` | `bn/records.mrc`, `bn/adapted-host.mrc` | {bn['records']} ({bn['original_records']} real + 1 adapted) | BN's shared (OMNIS/Alma network) catalogue as one member; its libraries are the holding libraries in 852 `$b` |
| `bibliografia` | `bibliografia/records.mrc` | {bib['records']} | stand-in regional bibliography: BN's article records (773 host items) |
| `ebooks` | `ebooks/records.mrc` | {ebooks['records']} | stand-in licensed e-book collection: BN's e-book records with an 856 link |
| `vastmanland` | `vastmanland/records.mrc` | 3 | the Västmanland municipal libraries' shared Koha: one 952 per item, branch in `$a` |

- `bn`: every record of `pl_bn_tokarczuk/Olga_Tokarczuk.mrc` and `pl_bn_khw_api/bibs_test_100.mrc` that has an 852,
  no 856 link and no 773 host item. BN's network keeps the holding library's code in 852 **`$b`** (not `$a`): BN_PL
  (Biblioteka Narodowa, Warsaw), BJ (Biblioteka Jagiellońska, Kraków), WBP-KIELCE (the voivodeship public library in
  Kielce), TORU (Toruń) are named from the data's provenance; the other codes (BWP, BuKul, GG05, GG06, GG08, LUBL_M,
  FILOZ, WZIKS, CMFTORU, CHE_1_BG, KUT_1_F3, TOM_1_BG) are shown as they are, because no source names them. None of
  them is presented as a municipal public library: the data hold none.
- `bn/adapted-host.mrc`: **adapted.** No record of the articles' host journals is in the data, so BN's only serial
  record ({HOST_BASE}, the Sejm's "Pełny Zapis Przebiegu Posiedzenia Podkomisji Nadzwyczajnej…" bulletin, held by
  BJ) was adapted to describe the weekly *Tygodnik Powszechny*: {HOST_CHANGES}. Its holding at BJ is therefore
  the bulletin's, shown as the journal's.
- `bibliografia`: **a stand-in, flagged in config.yaml (`regional_bibliographies`).** BN's national bibliography
  records of articles in *{REGIONAL_HOSTS[0]}* and *{REGIONAL_HOSTS[1]}* (773 $t), {bib['records']} records,
  unchanged; flagging part of BN's national bibliography as a regional bibliography is the adaptation. They have
  no holdings.
- `ebooks`: **a stand-in, flagged in config.yaml (`licences`).** No public IBUK Libra or Legimi MARC exists: BN's
  e-book records of `pl_bn_khw_api` with an 856 link (Academica and a PAN library's web site), {ebooks['records']}
  records, unchanged, stand for a collection licensed for the members `bn` and `vastmanland`; the proxy prefix and
  login address in config.yaml are example.org addresses, not real services. Their 852 (BN_PL's CD-ROM copies)
  are not shown: a licensed collection's records show online access instead of shelves.
- `vastmanland`: `vastmanland_koha_3recs.mrc`, copied unchanged. Branch codes are named after the towns the
  provenance lists (Västerås, Köping, Arboga, Hallstahammar, Kungsör, Norberg, Skinnskatteberg, Surahammar, Sala);
  Västerås's branch codes (VASBV…) and FAGERSTA, KOLBACK, RANSTA are shown with their town where the code says it.
"""
