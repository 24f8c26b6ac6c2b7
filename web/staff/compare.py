"""Two member records side by side: MARC fields aligned by tag, differences marked, evidence for and against."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _

from dedup import decide
from normalise import MarcReadError, parse_raw
from web.app import services
from web.auth import staff_required
from web.staff.blueprint import staff


@dataclass
class Row:
    """One line of the comparison: a tag and each side's field (None when that side has fewer), and whether
    the sides agree on the tag."""

    tag: str
    a: str | None
    b: str | None
    same: bool


@staff.route("/compare")
@staff_required
def compare():
    """Records `a` and `b` (`source:001`) side by side."""
    _config, store, _searcher = services()
    ids = [request.args.get(side, "").strip()[:200] for side in ("a", "b")]
    stored = [store.record_by_public_id(public_id) if public_id else None for public_id in ids]
    missing = [public_id or "?" for public_id, s in zip(ids, stored) if s is None or s.deleted]
    if missing:
        return render_template("staff/compare.html", ids=ids, missing=missing), 404
    verdict = decide(stored[0].record, stored[1].record) if stored[0].record and stored[1].record else None
    clusters = [store.resolve_cluster(public_id) for public_id in ids]
    return render_template("staff/compare.html", ids=ids, missing=[], rows=aligned(*map(_fields, stored)),
                           verdict=verdict, evidence=for_and_against(verdict), clusters=clusters,
                           titles=[s.record.title if s.record else "" for s in stored])


def for_and_against(verdict) -> tuple[list[str], list[str]]:
    """The verdict's reasons that speak for the pair, and its vetoes with the reasons that speak against."""
    if verdict is None:
        return [], []
    against = [r for r in verdict.reasons if r.startswith("different")]
    return [r for r in verdict.reasons if r not in against], list(verdict.vetoes) + against


def _fields(stored) -> list[tuple[str, str]]:
    """(tag, the field as text without its tag) of a stored record, the leader first."""
    try:
        marc, _flags = parse_raw(stored.raw, stored.raw_format)
    except MarcReadError as exc:
        return [("---", _("(the stored MARC cannot be read: %(reason)s)", reason=exc))]
    return [("LDR", str(marc.leader))] + [(f.tag, str(f)[len(f.tag) + 3:]) for f in marc.get_fields()]


def aligned(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[Row]:
    """Rows by tag in tag order; a tag repeated on one side gets as many rows as its longer side."""
    by_tag_a, by_tag_b = _by_tag(a), _by_tag(b)
    rows = []
    for tag in sorted(set(by_tag_a) | set(by_tag_b), key=lambda t: (t != "LDR", t)):
        left, right = by_tag_a.get(tag, []), by_tag_b.get(tag, [])
        same = sorted(left) == sorted(right)
        for n in range(max(len(left), len(right))):
            rows.append(Row(tag, left[n] if n < len(left) else None, right[n] if n < len(right) else None, same))
    return rows


def _by_tag(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tag, text in fields:
        out.setdefault(tag, []).append(text)
    return out
