"""Record fields that need logic beyond the rule table."""

from __future__ import annotations

import re

from normalise.model import Contributor, HostItem, Link, Series, Subject
from normalise.relators import roles
from normalise.rules import subfield_text, subfield_values
from normalise.text import nfc, trim_punctuation
from normalise.view import MarcView

_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_PAGES = re.compile(r"(\d+)\]?\s*(?:p\b|pp\b|pages|page\b|s\.|s\b|sider|sidor|sivua|stron|str\.|leaves|l\.|bl\.|f\.)",
                    re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-z]{3}$")
_NOT_A_LANGUAGE = {"und", "zxx", "mul", "|||", "xxx", "n/a"}
_SAFE_SCHEMES = ("http://", "https://")

# tag -> (kind, name subfields, subfield with relator terms)
_CONTRIBUTOR_FIELDS = {
    "100": ("person", "abcq", "e"), "110": ("body", "abcdn", "e"), "111": ("meeting", "acdnq", "j"),
    "700": ("person", "abcq", "e"), "710": ("body", "abcdn", "e"), "711": ("meeting", "acdnq", "j"),
}
# tag -> (kind, subfields of the heading itself); $v $x $y $z are subdivisions
_SUBJECT_FIELDS = {
    "600": ("person", "abcdqt"), "610": ("body", "abcdt"), "611": ("meeting", "acdent"),
    "630": ("title", "adfklmnoprst"), "647": ("event", "acdg"), "648": ("period", "a"), "650": ("topic", "ab"),
    "651": ("place", "a"), "653": ("topic", "a"), "654": ("topic", "ab"), "655": ("genre", "ab"),
    "656": ("topic", "a"), "657": ("topic", "a"), "662": ("place", "abcdfgh"),
    **{f"69{n}": ("topic", "abcdt") for n in range(10)},
}
_SUBDIVISIONS = "vxyz"
# separators a cataloguer types in name headings; NORMARC records leave them out
_NAME_ISBD = {"c": ", ", "d": ", "}
# second indicator of 6XX in MARC 21 -> vocabulary ("7": the code in $2; "4": source not given)
_VOCABULARIES = {"0": "lcsh", "1": "lcshac", "2": "mesh", "3": "nal", "5": "cash", "6": "rvm"}
_SERIES_FIELDS = {"800": "tv", "810": "tv", "811": "tv", "830": "anp", "440": "anp"}
_SCRIPTS = {"(3": "arabic", "(4": "arabic", "(B": "latin", "$1": "cjk", "(N": "cyrillic", "(Q": "cyrillic",
            "(S": "greek", "(2": "hebrew"}


def local_id(view: MarcView) -> str:
    """The control number (001), stripped."""
    return nfc(view.control("001"))


def title_sort(view: MarcView, title: str) -> str:
    """The title without its non-filing characters (245 second indicator)."""
    fld = view.first("245")
    ind2 = fld.indicator2 if fld is not None and not fld.control_field else ""
    skip = int(ind2) if ind2 and ind2.isdigit() else 0
    return title[skip:].lstrip() if skip < len(title) else title


def contributors(view: MarcView, dialect: str = "marc21") -> list[Contributor]:
    """Authors and other contributors with relator codes and terms; 7XX name-title entries are works, not people."""
    out: dict[tuple[str, str], Contributor] = {}
    for fld in view.fields(*_CONTRIBUTOR_FIELDS):
        if fld.tag[0] == "7" and fld.get("t"):
            continue
        kind, codes, term_code = _CONTRIBUTOR_FIELDS[fld.tag]
        name = trim_punctuation(subfield_text(fld, codes))
        if not name:
            continue
        role_codes, role_terms = roles(fld.get_subfields("4"), fld.get_subfields(term_code))
        key = (name.casefold(), kind)
        if key in out:
            _merge_roles(out[key], role_codes, role_terms)
            continue
        dates = trim_punctuation(" ".join(fld.get_subfields("d"))) if kind == "person" else ""
        out[key] = Contributor(name=name, kind=kind, roles=role_terms, main=fld.tag[0] == "1",
                               role_codes=role_codes, dates=dates)
    return list(out.values())


def _merge_roles(into: Contributor, codes: list[str], terms: list[str]) -> None:
    into.role_codes = list(dict.fromkeys(into.role_codes + codes))
    into.roles = list(dict.fromkeys(into.roles + terms))


def subjects(view: MarcView, dialect: str = "marc21") -> list[Subject]:
    """Subject and genre headings with their vocabulary, in record order, without duplicates."""
    out, seen = [], set()
    for fld in view.fields_in_order(_SUBJECT_FIELDS):
        kind, codes = _SUBJECT_FIELDS[fld.tag]
        main = trim_punctuation(subfield_text(fld, codes, _NAME_ISBD if kind in ("person", "body") else None))
        subdivisions = [trim_punctuation(v) for v in subfield_values(fld, _SUBDIVISIONS)]
        heading = " -- ".join(part for part in [main, *subdivisions] if part)
        source = vocabulary(fld, dialect)
        if heading and (heading.casefold(), kind, source) not in seen:
            seen.add((heading.casefold(), kind, source))
            out.append(Subject(heading=heading, vocabulary=source, kind=kind))
    return out


def vocabulary(fld, dialect: str = "marc21") -> str:
    """The thesaurus of a 6XX heading.

    In MARC 21 the second indicator names it (7: see $2). NORMARC gives the
    second indicator other meanings, so only $2 counts there. 653 terms are
    uncontrolled; 69X fields are local.
    """
    source = trim_punctuation(fld.get("2") or "")
    if fld.tag == "653":
        return "uncontrolled"
    if dialect == "normarc" or fld.tag.startswith("69"):
        return source or ("local" if fld.tag.startswith("69") else "")
    if fld.indicator2 == "7":
        return source
    return _VOCABULARIES.get(fld.indicator2 or "", "")


def publication_year(view: MarcView) -> int | None:
    """Year of publication: 264 (publication) or 260 $c, the 264 copyright date, then 008/07-10."""
    for fld in view.fields("264"):
        if fld.indicator2 == "1":
            found = _year_in(fld.get_subfields("c"))
            if found:
                return found
    for fld in view.fields("260"):
        found = _year_in(fld.get_subfields("c"))
        if found:
            return found
    for fld in view.fields("264"):
        if fld.indicator2 == "4":
            found = _year_in(fld.get_subfields("c"))
            if found:
                return found
    match = _YEAR.fullmatch(view.control("008")[7:11])
    if match:
        return int(match.group(1))
    return _year_in([v for fld in view.fields("264") for v in fld.get_subfields("c")])


def _year_in(values: list[str]) -> int | None:
    for value in values:
        match = _YEAR.search(value)
        if match:
            return int(match.group(1))
    return None


def pages(physical: str) -> int | None:
    """The page count of a 300 $a, when it states one ("xii, 345 p." -> 345)."""
    counts = [int(n) for n in _PAGES.findall(physical)]
    return max(counts) if counts else None


def languages(view: MarcView) -> list[str]:
    """ISO 639-2 codes from 008/35-37 and 041 $a $d, without duplicates."""
    found = [view.control("008")[35:38].strip().lower()]
    for fld in view.fields("041"):
        for value in fld.get_subfields("a", "d"):
            value = value.strip().lower()
            # some catalogues run several codes together in one subfield ("engfre")
            found += [value[i:i + 3] for i in range(0, len(value), 3)]
    return list(dict.fromkeys(code for code in found if _LANGUAGE.match(code) and code not in _NOT_A_LANGUAGE))


def host_items(view: MarcView) -> list[HostItem]:
    """The host items (773) of an article or chapter: title, ISSN or ISBN, issue and pages."""
    out = []
    for fld in view.fields("773"):
        title = trim_punctuation(nfc(fld.get("t") or fld.get("a") or ""))
        if title:
            out.append(HostItem(title=title, issn=trim_punctuation(nfc(fld.get("x") or "")),
                                isbn=trim_punctuation(nfc(fld.get("z") or "")),
                                issue=trim_punctuation(nfc(fld.get("g") or "")),
                                published=trim_punctuation(nfc(fld.get("d") or ""))))
    return out


def links(view: MarcView) -> list[Link]:
    """856 links with their labels; only http and https, so a record cannot inject script URLs."""
    out, seen = [], set()
    for fld in view.fields("856"):
        relationship = {"0": "resource", "1": "version", "2": "related"}.get(fld.indicator2 or "", "")
        label = nfc(" ".join(fld.get_subfields("y", "3", "z")))
        for url in fld.get_subfields("u"):
            url = url.strip()
            if url.lower().startswith(_SAFE_SCHEMES) and url not in seen:
                seen.add(url)
                out.append(Link(url=url, label=label, relationship=relationship))
    return out


def series(view: MarcView) -> list[Series]:
    """Series statements (490, 440) and authorised series headings (8XX), each with its numbering.

    A parallel statement after the numbering ("... ;$vv. 123 =$aBhāratīya ...") is left out.
    """
    out: list[Series] = []
    for fld in view.fields("800", "810", "811", "830", "440", "490"):
        title, number = _series_statement(fld, _SERIES_FIELDS.get(fld.tag, "a"))
        issn = nfc(fld.get("x") or "").split(" ")[0]
        if title and all(s.title.casefold() != title.casefold() for s in out):
            out.append(Series(title=title, number=number, issn=issn, controlled=fld.tag != "490"))
    return out


def _series_statement(fld, codes: str) -> tuple[str, str]:
    parts, number = [], ""
    for sf in fld.subfields:
        if sf.code == "v":
            number = trim_punctuation(sf.value or "")
            break
        if sf.code in codes and (sf.value or "").strip():
            parts.append(nfc(sf.value))
    return trim_punctuation(" ".join(parts)), number


def series_display(entries: list[Series]) -> list[str]:
    """Series as people read them: "Title ; number"."""
    return [f"{s.title} ; {s.number}" if s.number else s.title for s in entries]


# RDA content (336) and media (337) terms -> their codes, so records that give terms match those that give codes
_RDA_TERMS = {
    "336": {"text": "txt", "still image": "sti", "performed music": "prm", "spoken word": "spw",
            "two-dimensional moving image": "tdi", "three-dimensional moving image": "tdm", "cartographic image": "cri",
            "notated music": "ntm", "computer program": "cop", "computer dataset": "cod", "sounds": "snd",
            "three-dimensional form": "tdf", "cartographic dataset": "crd", "tactile text": "tct",
            "notated movement": "ntv", "other": "xxx", "unspecified": "zzz"},
    "337": {"unmediated": "n", "computer": "c", "audio": "s", "video": "v", "microform": "h", "projected": "g",
            "stereographic": "e", "microscopic": "p", "other": "x", "unspecified": "z"},
    "338": {},
}


def rda_types(view: MarcView, tag: str) -> list[str]:
    """RDA content (336), media (337) or carrier (338) types as codes ($b, or a known term in $a)."""
    terms = _RDA_TERMS[tag]
    found = []
    for fld in view.fields(tag):
        codes = [nfc(v).lower() for v in fld.get_subfields("b") if v.strip()]
        found += codes or [terms.get(t, t) for t in (trim_punctuation(v).lower() for v in fld.get_subfields("a")) if t]
    return list(dict.fromkeys(found))


def vernacular_script(linkage: str) -> tuple[str, bool]:
    """(script, right to left) from the tail of a $6 linkage ("245-01/(N/r")."""
    parts = linkage.split("/")
    script = _SCRIPTS.get(parts[1][:2], "") if len(parts) > 1 else ""
    return script, parts[-1] == "r" and len(parts) > 2
