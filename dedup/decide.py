"""The pairwise decision: are two records of different members one edition?

Evidence is weighed, conflicts veto. Three routes lead to a match:
  identifier  a shared strong identifier (ISBN from $a, ISSN, ISMN, EAN, OCLC,
              LCCN, national bibliography number) and titles that agree, so
              that one ISBN printed on a whole series cannot join unrelated books;
  content     no identifier conflict, near-identical titles (one edit apart,
              or alike with no word differing: dedup.titles), the same
              author, one of them the main entry, and the same year.
  content-no-author
              neither record has a main entry (exhibition catalogues,
              anthologies, yearbooks): no identifier conflict,
              near-identical titles (and subtitles, when both have one),
              the same publisher, year and extent; an article or chapter
              needs the same host item and pages instead of publisher and
              extent. A missing value never counts as agreement.
A cancelled ISBN ($z) adds weight but is never enough alone. Vetoes name
what makes two records different manifestations: format or carrier, part or
volume, edition, years far apart, conflicting ISSNs or ISBN qualifiers,
page counts far apart, different host items, different RDA content,
media or carrier types, different numbers in one series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from dedup.clusterer import FORMAT_FAMILY
from dedup.titles import titles_agree
from dedup.imprint import extents_agree, hosts_agree, publishers_agree, subtitles_agree, years_agree
from normalise import Record
from normalise import fold as _fold

# folding is pure and the same titles and names come back pair after pair
fold = lru_cache(maxsize=262_144)(_fold)

IDENTIFIER, CONTENT, NO_AUTHOR = "identifier", "content", "content-no-author"
STRONG = ("isbn", "issn", "ismn", "ean", "oclc", "lccn", "nbn")
_NUMBER = re.compile(r"\d+")
_MAIN_TITLE = re.compile(r"\s[:/=;]\s|\s[:/=;]$")
# checked in order: "cd aanilevy" is a CD, a bare "aanilevy" (sound disc) is not
_CARRIER_WORDS = {
    "cd": ("cd", "compact disc"),
    "disc": ("lp", "33 1 3", "vinyl", "gramophone", "microgroove", "aanilevy", "levy", "levya"),
    "cassette": ("kasetti", "cassette", "kassett"),
    "videocassette": ("videokasetti", "videocassette", "vhs"),
    "reel": ("aanikela", "reel", "tape reel"),
}
_ELECTRONIC_QUALIFIERS = {"pdf", "epub", "mobi", "html", "daisy", "mp3", "kindle", "azw"}
ARTICLES = {"the", "a", "an", "der", "die", "das", "le", "la", "les", "l", "el", "il", "lo", "den", "det", "ett", "en"}
_SET_EXTENT = re.compile(r"^\s*\d+\s*(vol|v\b|osa|osaa|band|bd|bde|del|tom|t\b|nid)", re.IGNORECASE)
_PART_QUALIFIER = re.compile(r"\b(osa|vol|v|band|bd|del|tome?|t|part|nid)\b\.?\s*\d", re.IGNORECASE)


@dataclass
class Verdict:
    """The decision on one pair, with the evidence that led to it."""

    match: bool
    score: float
    route: str = ""
    reasons: list[str] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)

    def evidence(self) -> dict:
        """The JSON staff see: score, route, reasons and vetoes."""
        return {"score": round(self.score, 1), "route": self.route, "reasons": self.reasons, "vetoes": self.vetoes}


def decide(a: Record, b: Record) -> Verdict:
    """Weigh the evidence for `a` and `b` being one edition."""
    vetoes = _vetoes(a, b)
    shared = _shared_identifiers(a, b)
    weak = sorted(set(_isbns(a, cancelled=True)) & set(_isbns(b, cancelled=True)) - set(shared))
    title = title_similarity(a, b)
    authors = _authors_agree(a, b)
    reasons = [f"shared {key}" for key in shared] + [f"shared cancelled isbn:{v}" for v in weak]
    reasons.append(f"title similarity {title:.2f}")
    score = 100 * bool(shared) + 20 * bool(weak) + 60 * title
    if authors is not None:
        score += 20 if authors else -30
        reasons.append("same author" if authors else "different authors")
    if a.year and b.year and a.year == b.year:
        score += 15
        reasons.append(f"same year {a.year}")
    if not a.title or not b.title:
        vetoes.append("a record has no title")
    route, agreed = _route(shared, title, authors, a, b, weak)
    if route == NO_AUTHOR:
        score += 20
    reasons += [reason for reason in agreed if reason not in reasons]
    return Verdict(match=bool(route) and not vetoes, score=score, route=route, reasons=reasons, vetoes=vetoes)


def _route(shared: list[str], title: float, authors: bool | None, a: Record, b: Record,
           weak: list[str]) -> tuple[str, list[str]]:
    """The route that matches the pair, and what else agreed or did not on the route without authors."""
    if shared and title >= 0.5:
        return IDENTIFIER, []
    if _identifier_conflict(a, b) or authors is False or not titles_agree(title, folded_main(a), folded_main(b)):
        return "", []
    years_agree = bool(a.year and b.year and abs(a.year - b.year) <= (0 if not weak else 1))
    if years_agree and (authors and (_has_main_entry(a) or _has_main_entry(b)) or weak):
        return CONTENT, []
    if _has_main_entry(a) or _has_main_entry(b):
        return "", []
    agreed, missing = no_author_agreement(a, b)
    return (NO_AUTHOR, agreed) if not missing else ("", [f"without author: {m} not agreeing" for m in missing])


def no_author_agreement(a: Record, b: Record) -> tuple[list[str], list[str]]:
    """For two records without a main entry (100/110/111): what agreed and what did not of parts, subtitles (when
    both have one), publisher, year and extent (an article or chapter: year, host item and pages, and publisher and
    extent where both give them); a value missing on either side does not agree."""
    if a.format == "article" or b.format == "article":
        needed = {"year": years_agree, "host and pages": hosts_agree}
        needed |= {"publisher": publishers_agree} if a.publisher and b.publisher else {}
        needed |= {"extent": extents_agree} if a.pages and b.pages else {}
    else:
        needed = {"publisher": publishers_agree, "year": years_agree, "extent": extents_agree}
    found = {name: check(a, b) for name, check in needed.items()}
    missing = [name for name, why in found.items() if not why]
    if not subtitles_agree(a, b, main_title(a), main_title(b)):
        missing.insert(0, "subtitle")
    if _part(a) != _part(b):        # a volume number on one side only: a whole set, or another volume
        missing.insert(0, "part")
    return [why for why in found.values() if why], missing


def _has_main_entry(record: Record) -> bool:
    return any(c.main for c in record.contributors)


def _vetoes(a: Record, b: Record) -> list[str]:
    return [message for veto in VETOES if (message := veto(a, b))]


def _formats(a: Record, b: Record) -> str:
    if FORMAT_FAMILY.get(a.format, a.format) != FORMAT_FAMILY.get(b.format, b.format):
        return f"different formats: {a.format} and {b.format}"
    return ""


def _carriers(a: Record, b: Record) -> str:
    carriers = carrier(a), carrier(b)
    return f"different carriers: {carriers[0]} and {carriers[1]}" if all(carriers) and carriers[0] != carriers[1] else ""


def _parts(a: Record, b: Record) -> str:
    return f"different parts: {a.part!r} and {b.part!r}" if _parts_conflict(_part(a), _part(b)) else ""


def _set_and_part(a: Record, b: Record) -> str:
    if _is_set(a) != _is_set(b) and (a.part or b.part or _is_set(a) and _is_set(b)):
        return "a multi-volume set and one of its parts"
    return ""


def _editions(a: Record, b: Record) -> str:
    return f"different editions: {a.edition!r} and {b.edition!r}" if _differ(_numbers(a.edition), _numbers(b.edition)) else ""


def _years(a: Record, b: Record) -> str:
    return f"years {a.year} and {b.year} are far apart" if a.year and b.year and abs(a.year - b.year) > 1 else ""


def _issns(a: Record, b: Record) -> str:
    return "conflicting ISSNs" if _disjoint(a.ids("issn"), b.ids("issn")) else ""


def _isbn_qualifiers(a: Record, b: Record) -> str:
    return "the shared ISBN names different electronic formats" if _qualifier_conflict(a, b) else ""


def _page_counts(a: Record, b: Record) -> str:
    # unnumbered pages are counted by some cataloguers and not others: allow 10 pages or 10%
    if a.pages and b.pages and abs(a.pages - b.pages) > max(10, 0.1 * max(a.pages, b.pages)):
        return f"page counts {a.pages} and {b.pages} differ by more than 10 pages and 10%"
    return ""


def _hosts(a: Record, b: Record) -> str:
    if a.host and b.host and fold(a.host) != fold(b.host):
        return "different host items"
    return "an article or chapter without the same host item and pages" if _parts_without_agreeing_hosts(a, b) else ""


def _rda(kind: str):
    def veto(a: Record, b: Record) -> str:
        differ = _disjoint(getattr(a, kind), getattr(b, kind))
        return f"different RDA {kind.replace('_', ' ')}: {getattr(a, kind)} and {getattr(b, kind)}" if differ else ""
    return veto


def _series_numbers(a: Record, b: Record) -> str:
    return "different numbers in the same series" if _series_numbers_conflict(a, b) else ""


# each veto names what makes two records different manifestations ("" when it does not apply); checked in order
VETOES = (_formats, _carriers, _parts, _set_and_part, _editions, _years, _issns, _isbn_qualifiers, _page_counts,
          _hosts, _rda("content_types"), _rda("media_types"), _rda("carrier_types"), _series_numbers)


def _parts_without_agreeing_hosts(a: Record, b: Record) -> bool:
    """An article or chapter is one with another record only when both name one host item, issue and pages (773)."""
    if not (a.host or b.host or a.format == "article" or b.format == "article"):
        return False
    return not (a.host and b.host and fold(a.host) == fold(b.host))


def _series_numbers_conflict(a: Record, b: Record) -> bool:
    """The same series with different numbering: two volumes of it."""
    numbers_a = {fold(s.title): fold(s.number) for s in a.series_entries if s.number}
    return any(fold(s.title) in numbers_a and s.number and numbers_a[fold(s.title)] != fold(s.number)
               for s in b.series_entries)


def title_similarity(a: Record, b: Record) -> float:
    """0..1: folded main titles compared; a missing subtitle or leading article does not count against."""
    ta, tb = folded_main(a), folded_main(b)
    if not ta or not tb:
        return 0.0
    if ta == tb:
        return 1.0
    full_a, full_b = _without_article(fold(a.title)), _without_article(fold(b.title))
    if full_a.startswith(tb) or full_b.startswith(ta):
        return 0.95
    ratio = _ratio(ta, tb)
    with_a, with_b = fold(main_title(a)), fold(main_title(b))
    if (with_a, with_b) != (ta, tb):      # a typo in a leading article ("Lens soeurs") leaves it in one title only
        ratio = max(ratio, _ratio(with_a, with_b))
    return ratio


@lru_cache(maxsize=65_536)
def _ratio(a: str, b: str) -> float:
    """difflib's similarity of two folded titles; kept, since a pair's decision and its near-miss check
    both ask, and one title meets many candidates."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def folded_main(record: Record) -> str:
    """The main title folded, without a leading article."""
    return _without_article(fold(main_title(record)))


def main_title(record: Record) -> str:
    """The title proper, without subtitle, statement of parts or parallel title."""
    title = record.title_sort or record.title
    if record.part and title.endswith(record.part):
        title = title[: -len(record.part)].rstrip(" .,")
    return _MAIN_TITLE.split(title, maxsplit=1)[0]


def carrier(record: Record) -> str:
    """A physical carrier named in the extent (300), where sound and video formats differ."""
    return _carrier_named(record.physical)


@lru_cache(maxsize=65_536)
def _carrier_named(physical: str) -> str:
    extent = f" {fold(physical)} "
    for name, words in _CARRIER_WORDS.items():
        if any(f" {word} " in extent or extent.startswith(f" {word}") for word in words):
            return name
    return ""


def _shared_identifiers(a: Record, b: Record) -> list[str]:
    common = _strong(a) & _strong(b)
    return [f"{kind}:{value}" for kind, value in sorted(common, key=lambda kv: (STRONG.index(kv[0]), kv[1]))]


def _strong(record: Record) -> set[tuple[str, str]]:
    return {(i.kind, i.value) for i in record.identifiers if i.kind in STRONG and i.valid and not i.cancelled}


def _identifier_conflict(a: Record, b: Record) -> bool:
    """Both carry ISBNs (or ISSNs) and none is shared: different manifestations."""
    return _disjoint(a.ids("isbn"), b.ids("isbn")) or _disjoint(a.ids("issn"), b.ids("issn"))


def _isbns(record: Record, cancelled: bool) -> list[str]:
    return [i.value for i in record.identifiers if i.kind == "isbn" and i.valid and i.cancelled == cancelled]


def _qualifier_conflict(a: Record, b: Record) -> bool:
    common = set(a.ids("isbn")) & set(b.ids("isbn"))
    for value in common:
        qa, qb = _qualifiers(a, value), _qualifiers(b, value)
        if qa and qb and not qa & qb:
            return True
    return False


def _qualifiers(record: Record, value: str) -> set[str]:
    words = {w for i in record.identifiers if i.qualifier and i.kind == "isbn" and i.value == value
             for w in fold(i.qualifier).split()}
    return words & _ELECTRONIC_QUALIFIERS


def _authors_agree(a: Record, b: Record) -> bool | None:
    """Main authors' surnames agree; None when either record names nobody."""
    if not a.contributors or not b.contributors:
        return None
    surnames_a = {_surname(n) for n in a.authors[:3]}
    surnames_b = {_surname(n) for n in b.authors[:3]}
    return bool(surnames_a & surnames_b)


def _surname(name: str) -> str:
    folded = fold(name.split(",")[0])
    return folded.split(" ")[-1] if "," not in name else folded


def _without_article(title: str) -> str:
    first, _, rest = title.partition(" ")
    return rest if first in ARTICLES and rest else title


def _part(record: Record) -> str:
    return fold(record.part)


def _parts_conflict(pa: str, pb: str) -> bool:
    """Both name a part and neither contains the other ("Serie A Morphology" holds "Morphology")."""
    return bool(pa and pb and pa not in pb and pb not in pa)


def _is_set(record: Record) -> bool:
    """A record for a whole multi-volume set: "2 vol." or several ISBNs each qualified by a part."""
    if _SET_EXTENT.match(fold(record.physical)):
        return True
    return sum(bool(_PART_QUALIFIER.search(i.qualifier)) for i in record.identifiers if i.kind == "isbn") >= 2


def _numbers(text: str) -> str:
    return " ".join(_NUMBER.findall(text or ""))


def _differ(x: str, y: str) -> bool:
    return bool(x and y and x != y)


def _disjoint(x: list[str], y: list[str]) -> bool:
    return bool(x and y and not set(x) & set(y))
