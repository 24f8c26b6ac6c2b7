"""The operator's health page in the staff workspace: per source its last success, its recent nightly
runs (live, deleted and kept-aside records) and its flags (`health` and the `health:` settings)."""

from __future__ import annotations

from flask import render_template

from health import healths
from web.app import services
from web.auth import staff_required
from web.staff.blueprint import staff


@staff.route("/health")
@staff_required
def health():
    """Flagged sources first, then the others, each with its recent runs."""
    config, store, _searcher = services()
    found = sorted(healths(store, config), key=lambda h: (not h.flagged, h.source))
    return render_template("staff/health.html", healths=found, settings=config.health,
                           names={s.code: s.name for s in config.sources})
