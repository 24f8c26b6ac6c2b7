"""The core's reasons for refusing a correction, said in the interface's language.

The keys are those of `dedup.reasons.REASONS`; a refusal without a known
reason is shown as the core's message.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from web.staff.blueprint import STATUS_LABELS

TEXT = {
    "bad-token": _l("This is not a correction token. Start again from the preview."),
    "no-decision": _l("There is no decision %(decision)s."),
    "no-record": _l("There is no record %(record)s in the catalogue."),
    "no-cluster-or-record": _l("There is no cluster or record %(id)s in the catalogue."),
    "already-together": _l("%(first)s and %(second)s are already one cluster (%(cluster)s)."),
    "already-alone": _l("%(record)s is already alone in its cluster %(cluster)s."),
    "undo-of-undo": _l("Decision %(decision)s is an undo. Make the correction again instead."),
    "undo-of-mark": _l("Decision %(decision)s marks an identifier. Take the mark back instead."),
    "undone-already": _l("Decision %(decision)s was undone already, by %(by)s."),
    "not-applied": _l("Decision %(decision)s is not applied (%(status)s)."),
    "records-gone": _l("The records of decision %(decision)s are no longer in the catalogue."),
    "no-longer-together": _l("Nothing to undo: the records of decision %(decision)s are no longer together."),
    "together-again": _l("Nothing to undo: %(record)s is already with the records of decision %(decision)s."),
    "unknown-scheme": _l("Unknown kind of identifier %(scheme)s. Use one of %(schemes)s."),
    "no-value": _l("Name the identifier."),
    "no-note": _l("Say why in the note."),
    "marked-already": _l("%(scheme)s %(value)s is marked as not identifying already."),
    "not-marked": _l("%(scheme)s %(value)s is not marked."),
}


def refusal(error: Exception) -> str:
    """Why `error` (a `CorrectionError`) refused, in the interface's language when its reason is known."""
    text = TEXT.get(getattr(error, "reason", ""))
    if text is None:
        return str(error)
    params = dict(error.params)
    if "status" in params:
        params["status"] = str(STATUS_LABELS.get(params["status"], params["status"]))
    return str(text) % params
