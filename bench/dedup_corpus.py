"""The generated corpus of bench/dedup.py: editions of three classes copied into member catalogues.

`base`       the copies real catalogues make of one edition: ISBN-10 or -13 or hyphenated, ISBD punctuation or
             none, a subtitle present or missing, a typo, a missing ISBN or author; near misses: another volume
             under the set's ISBN, a later edition, an e-book.
`typo`       no identifier shared: each copy after the first has one edit in its title (a letter transposed,
             dropped, added or changed, at any position, the first letter included); in half of the editions
             the first copy's title is in capitals; in a quarter the first copy alone has the ISBN. Near misses:
             other books of the same publisher and year with a similar title (one word changed).
`no-author`  no 100/110/111 and no identifier on any copy (exhibition catalogues, anthologies, yearbooks; a tenth
             are articles with a host item and pages); near misses: other volumes of the edited work, generic
             titles ("Annual report", "Katalog wystawy") of the same publisher and year, other books of the same
             publisher and year with a similar title.
"""

from __future__ import annotations

import random
import string

import pymarc
from stdnum import ean
from stdnum import isbn as isbn_mod

SOURCES = [f"lib{n:02d}" for n in range(20)]
CLASSES = {"base": 0.6, "typo": 0.2, "no-author": 0.2}
GENERIC = ["Annual report", "Katalog wystawy", "Årsberättelse", "Rapport annuel", "Yearbook", "Sprawozdanie roczne",
           "Exhibition catalogue", "Proceedings"]
VARIANTS = ["isbn10", "hyphens", "qualifier", "isbd", "no-subtitle", "typo", "no-isbn", "no-author"]


def random_isbn(rng: random.Random) -> str:
    body = "978" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + ean.calc_check_digit(body)


def make_edition(rng, pools, n, kind="base"):
    title = rng.choice(pools["title"])
    subtitle = rng.choice(pools["title"]).split(" : ")[0].lower()
    return {"id": n, "class": kind, "title": title.split(" : ")[0], "subtitle": subtitle,
            "author": rng.choice(pools["author"]), "publisher": rng.choice(pools["publisher"]),
            "place": rng.choice(pools["place"]), "year": rng.randint(1950, 2024), "pages": rng.randint(40, 900),
            "isbn": random_isbn(rng), "part": "", "edition": "", "electronic": False, "host": "", "editor": ""}


def typo_edition(rng, pools, n):
    edition = make_edition(rng, pools, n, "typo")
    edition.update(capitals=rng.random() < 0.5, isbn_one_side=rng.random() < 0.25)
    return edition


def no_author_edition(rng, pools, n):
    edition = make_edition(rng, pools, n, "no-author")
    edition["author"] = ""
    if rng.random() < 0.3:
        edition["title"] = rng.choice(GENERIC)
    if rng.random() < 0.5:
        edition["editor"] = rng.choice(pools["author"])
    if rng.random() < 0.1:
        volume, first = rng.randint(1, 60), rng.randint(1, 400)
        edition.update(host=f"{rng.choice(pools['title'])}. Vol. {volume} ({edition['year']})",
                       pages=None, article_pages=f"s. {first}-{first + rng.randint(2, 40)}", publisher="")
    return edition


def near_miss(rng, edition, n):
    """Another edition that must stay apart from `edition`."""
    other = dict(edition, id=n, pages=None if edition["host"] else rng.randint(40, 900), isbn=random_isbn(rng))
    kind = edition["class"]
    if kind == "base":
        return _base_near_miss(rng, edition, other)
    if kind == "no-author" and rng.random() < 0.4:
        edition["part"] = edition["part"] or "1"
        other["part"] = "2"
        return other
    if kind == "no-author" and edition["title"] in GENERIC:
        other["subtitle"] = rng.choice(["", other["subtitle"] + " " + str(edition["year"])])
        return other
    other["title"] = _one_word_changed(rng, edition["title"])
    if kind == "typo" and rng.random() < 0.5:
        other["author"] = edition["author"].split(",")[0] + ", " + rng.choice(string.ascii_uppercase) + "."
    if edition.get("host"):
        first = rng.randint(1, 400)
        other["article_pages"] = f"s. {first}-{first + 9}"
    return other


def _base_near_miss(rng, edition, other):
    kind = rng.choice(["volume", "edition", "ebook"])
    other["isbn"] = edition["isbn"]
    other["pages"] = edition["pages"]
    if kind == "volume":      # the set's ISBN printed on every volume
        edition["part"] = edition["part"] or "1"
        other["part"] = "2"
    elif kind == "edition":
        other.update(edition="2nd ed.", year=edition["year"] + rng.randint(2, 10), isbn=random_isbn(rng))
        edition["edition"] = edition["edition"] or "1st ed."
    else:
        other.update(electronic=True)
    return other


def _one_word_changed(rng, title):
    words = title.split()
    i = rng.randrange(len(words))
    words[i] = rng.choice(["nowe", "new", "other", "second", "wybrane", "samlade", words[i][::-1] or "x"])
    return " ".join(words)


def copies(rng, edition):
    """The variants of each member's copy of `edition`."""
    count = rng.choice([2, 2, 3, 3, 4]) if edition["class"] != "base" else rng.choice([1, 2, 2, 3, 3, 4])
    out = []
    for n in range(count):
        if edition["class"] == "base":
            variants = {v for v in VARIANTS if rng.random() < (0.04 if v in ("no-isbn", "no-author", "typo") else 0.2)}
        else:
            variants = {v for v in ("isbd", "no-subtitle") if rng.random() < 0.2}
            if edition["class"] == "typo":
                variants |= {"no-isbn"} if n or not edition["isbn_one_side"] else set()
                variants |= {"edit"} if n else ({"capitals"} if edition["capitals"] else set())
            else:
                variants |= {"no-isbn", "no-author"}
        out.append(variants)
    return out


def class_corpus(size, rng, pools):
    """(source, local id, MARC record, true edition id, class) for `size` records."""
    out, n = [], 0
    makers = {"base": make_edition, "typo": typo_edition, "no-author": no_author_edition}
    while len(out) < size:
        kind = rng.choices(list(CLASSES), weights=list(CLASSES.values()))[0]
        edition = makers[kind](rng, pools, n) if kind != "base" else make_edition(rng, pools, n)
        n += 1
        group = [edition]
        if rng.random() < (0.15 if kind == "base" else 0.3):
            group.append(near_miss(rng, edition, n))
            n += 1
        for ed in group:
            for source, variants in zip(rng.sample(SOURCES, 4), copies(rng, ed)):
                local = f"{source}-{len(out)}"
                out.append((source, local, marc_copy(rng, ed, local, variants), ed["id"], kind))
    return out[:size]


def marc_copy(rng, edition, local_id, variants):
    """One member's MARC record of an edition, with that member's variants."""
    record = pymarc.Record(leader=f"00000na{'a' if edition.get('host') else 'm'} a2200000 a 4500")
    for f in _fields(rng, edition, local_id, variants):
        record.add_field(f)
    return record


def _fields(rng, edition, local_id, variants):
    fields = [pymarc.Field(tag="001", data=local_id),
              pymarc.Field(tag="008", data=f"000101s{edition['year']}    xx {'o' if edition['electronic'] else ' '}"
                                           f"          000 0 eng d".ljust(40)[:40])]
    if edition["electronic"]:
        fields.append(pymarc.Field(tag="007", data="cr |||||||||||"))
    if "no-isbn" not in variants:
        fields.append(_df("020", [("a", _isbn_shown(edition["isbn"], variants))]))
    if "no-author" not in variants:
        fields.append(_df("100", [("a", edition["author"] + ("," if "isbd" in variants else ""))], "1 "))
    fields.append(_df("245", _title(rng, edition, variants), "10" if edition["author"] else "00"))
    if edition["edition"]:
        fields.append(_df("250", [("a", edition["edition"])]))
    imprint = [("a", edition["place"])] + ([("b", edition["publisher"])] if edition["publisher"] else [])
    fields.append(_df("264", imprint + [("c", str(edition["year"]))], " 1"))
    if edition["pages"]:
        fields.append(_df("300", [("a", f"{edition['pages']} p.")]))
    if edition["editor"]:
        fields.append(_df("700", [("a", edition["editor"]), ("e", "editor")], "1 "))
    if edition.get("host"):
        fields.append(_df("773", [("t", edition["host"]), ("g", edition["article_pages"])], "0 "))
    fields.append(_df("852", [("a", local_id.split("-")[0]), ("b", rng.choice(["Main", "East", "West", "Branch 2"]))]))
    return fields


def _isbn_shown(isbn, variants):
    shown = isbn_mod.format(isbn) if "hyphens" in variants else isbn
    if "isbn10" in variants and isbn_mod.to_isbn10(isbn):
        shown = isbn_mod.to_isbn10(isbn)
    return shown + (" (pbk.)" if "qualifier" in variants else "")


def _title(rng, edition, variants):
    title = edition["title"]
    if "typo" in variants:
        title = _transposed(rng, title)
    if "edit" in variants:
        title = one_edit(rng, title)
    if "capitals" in variants:
        title = title.upper()
    has_subtitle = edition["subtitle"] and "no-subtitle" not in variants
    sub = [("a", title + (" :" if "isbd" in variants and has_subtitle else ""))]
    if has_subtitle:
        sub.append(("b", edition["subtitle"].upper() if "capitals" in variants else edition["subtitle"]))
    if edition["part"]:
        sub.append(("n", edition["part"]))
    return sub


def _df(tag, subfields, indicators="  "):
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(indicators[0], indicators[1]),
                        subfields=[pymarc.Subfield(c, v) for c, v in subfields])


def _transposed(rng, text):
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def one_edit(rng, text):
    """`text` with one letter transposed with the next, dropped, added or changed, anywhere (the first included)."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not letters:
        return text
    i = rng.choice(letters)
    kind = rng.choice(["transpose", "drop", "add", "change"])
    if kind == "transpose" and i + 1 < len(text) and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == "drop":
        return text[:i] + text[i + 1:]
    other = rng.choice([c for c in "aeioustnrl" if c != text[i].lower()])
    return text[:i] + other + text[i + (kind != "add"):]
