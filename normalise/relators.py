"""Relator codes and terms: what a contributor did ($4 codes, $e or $j terms).

Codes are the MARC Code List for Relators (https://id.loc.gov/vocabulary/relators);
terms in other languages are the abbreviations Nordic and Polish catalogues
use in $e. A role is kept as both: the code, for machines, and the English
term, for people. A term the table does not know is kept as catalogued.
"""

from __future__ import annotations

import re

RELATORS: dict[str, str] = {
    "abr": "abridger", "act": "actor", "adp": "adapter", "ann": "annotator", "anm": "animator",
    "arc": "architect", "arr": "arranger", "art": "artist", "aui": "author of introduction",
    "aus": "screenwriter", "aut": "author", "aft": "author of afterword", "bkd": "book designer",
    "bnd": "binder", "ccp": "conceptor", "chr": "choreographer", "cmm": "commentator",
    "cmp": "composer", "cnd": "conductor", "com": "compiler", "cph": "copyright holder",
    "cre": "creator", "ctb": "contributor", "ctg": "cartographer", "cur": "curator",
    "cwt": "commentator for written text", "dgg": "degree granting institution",
    "dir": "director", "dis": "dissertant", "drt": "director", "dst": "distributor",
    "dte": "dedicatee", "edc": "editor of compilation", "edt": "editor", "egr": "engraver",
    "fmo": "former owner", "his": "host institution", "hst": "host", "ill": "illustrator",
    "inv": "inventor", "isb": "issuing body", "itr": "instrumentalist", "ive": "interviewee",
    "ivr": "interviewer", "lbt": "librettist", "lyr": "lyricist", "mus": "musician",
    "nrt": "narrator", "orm": "organizer", "oth": "other", "own": "owner", "pbd": "publishing director",
    "pbl": "publisher", "pht": "photographer", "pre": "presenter", "prf": "performer",
    "prg": "programmer", "pro": "producer", "prt": "printer", "rdr": "reader", "red": "redaktor", "res": "researcher",
    "rev": "reviewer", "sng": "singer", "spk": "speaker", "spn": "sponsor", "stl": "storyteller",
    "trl": "translator", "vdg": "videographer", "voc": "vocalist", "wac": "writer of added commentary",
    "wal": "writer of added lyrics", "wam": "writer of accompanying material",
    "wat": "writer of added text", "win": "writer of introduction", "wpr": "writer of preface",
    "wst": "writer of supplementary textual content",
}

# terms as catalogued (folded, without final period) -> relator code
_TERMS: dict[str, str] = {term: code for code, term in RELATORS.items()}
_TERMS.update({
    # Norwegian (NORMARC $e) and Danish
    "forf": "aut", "forfatter": "aut", "illustr": "ill", "ill": "ill", "illustratør": "ill",
    "overs": "trl", "oversetter": "trl", "oversatt": "trl", "red": "edt", "redaktør": "edt",
    "utg": "edt", "komp": "cmp", "komponist": "cmp", "innl": "rdr", "oppl": "nrt", "fotogr": "pht",
    "fotograf": "pht", "arr": "arr", "dir": "drt", "regi": "drt", "manus": "aus", "tekst": "lyr",
    # Swedish and Finnish
    "författare": "aut", "översättare": "trl", "övers": "trl", "illustratör": "ill",
    "redaktör": "edt", "kirjoittaja": "aut", "kääntäjä": "trl", "kuvittaja": "ill", "toimittaja": "edt",
    # Polish and German
    "aut": "aut", "tł": "trl", "tłum": "trl", "tłumaczenie": "trl", "il": "ill",
    "hrsg": "edt", "herausgeber": "edt", "übers": "trl", "übersetzer": "trl",
    # English variants
    "ed": "edt", "eds": "edt", "editor": "edt", "editors": "edt", "joint author": "aut",
    "trans": "trl", "tr": "trl", "comp": "com", "illus": "ill",
})
_TRAILING = re.compile(r"[\s.,;:]+$")


def roles(codes: list[str], terms: list[str]) -> tuple[list[str], list[str]]:
    """(relator codes, English terms) of a contributor from its $4 codes and $e/$j terms."""
    found_codes: list[str] = []
    found_terms: list[str] = []
    for raw in codes:
        # $4 may hold the code's URI (http://id.loc.gov/vocabulary/relators/aut)
        code = _TRAILING.sub("", raw.strip().lower().rsplit("/", 1)[-1])[:3]
        if code:
            found_codes.append(code)
            found_terms.append(RELATORS.get(code, code))
    for raw in terms:
        for term in re.split(r"\s*(?:,| and | & |;)\s*", raw):
            term = _TRAILING.sub("", term.strip())
            if not term:
                continue
            code = _TERMS.get(term.casefold())
            found_codes.append(code or "")
            found_terms.append(RELATORS[code] if code in RELATORS else term)
    return _unique([c for c in found_codes if c]), _unique(found_terms)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
