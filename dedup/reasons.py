"""Why a correction cannot be made: one English sentence per reason.

The core raises with a reason's key and its values (`PlanError`,
`CorrectionError`); the CLI prints the sentence, and the web shows its own
translation of the same key (`web/staff/reasons.py`), so a librarian reads
the refusal in the interface's language.
"""

from __future__ import annotations

REASONS = {
    "bad-token": "not a correction token",
    "no-decision": "no decision %(decision)s",
    "no-record": "no live record %(record)s",
    "no-cluster-or-record": "no live cluster or record %(id)s",
    "already-together": "%(first)s and %(second)s are already one cluster (%(cluster)s)",
    "already-alone": "%(record)s is already alone in its cluster %(cluster)s",
    "undo-of-undo": "decision %(decision)s is an undo; make the correction again instead",
    "undo-of-mark": "decision %(decision)s is an identifier mark; unmark the identifier instead",
    "undone-already": "decision %(decision)s was undone already, by %(by)s",
    "not-applied": "decision %(decision)s is %(status)s, not applied",
    "records-gone": "the records of decision %(decision)s are no longer in the catalogue",
    "no-longer-together": "nothing to undo: the records of decision %(decision)s are no longer together",
    "together-again": "nothing to undo: %(record)s is already with the records of decision %(decision)s",
    "unknown-scheme": "unknown identifier scheme %(scheme)s; use one of %(schemes)s",
    "no-value": "name the identifier value",
    "no-note": "say why in a note",
    "marked-already": "%(scheme)s %(value)s is marked as not identifying already",
    "not-marked": "%(scheme)s %(value)s is not marked",
}


def sentence(reason: str, params: dict) -> str:
    """The English sentence for `reason` filled with `params`."""
    return REASONS[reason] % params
