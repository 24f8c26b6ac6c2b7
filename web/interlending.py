"""Requests between members on the web: the service over the app's store, the e-mails that go out
(patrons told of each step in their language, lenders that take requests by e-mail), and the readable
names of states and refusals.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from babel.support import Translations
from flask_babel import gettext as _, lazy_gettext as _l

from ill import Interlending, Refused, Wanted
from mail import MailError, send
from settings import Config
from store import IllRequest
from web.i18n import compile_translations

log = logging.getLogger("unioncat.requests")


def N_(text: str) -> str:
    """Marks a string for the catalogues; it is translated when a message is written, in its reader's language."""
    return text


STATE_LABELS = {"requested": _l("Requested"), "accepted": _l("Accepted"), "declined": _l("Declined by every library"),
                "shipped": _l("Sent"), "received": _l("Ready for pick-up"), "returned": _l("Returned"),
                "cancelled": _l("Cancelled")}
# a step in a request's history: there "declined" is one lender's answer
EVENT_LABELS = {**STATE_LABELS, "declined": _l("Declined")}
# what a patron's e-mail says at each step
PATRON_NOTICES = {
    "requested": N_("We have asked %(lender)s to lend it to you."),
    "passed_on": N_("The library asked before could not lend it; we have now asked %(lender)s."),
    "accepted": N_("%(lender)s will lend it to you."),
    "shipped": N_("%(lender)s has sent it to %(pickup)s."),
    "received": N_("It is waiting for you at %(pickup)s."),
    "returned": N_("It has been returned to %(lender)s. Thank you."),
    "cancelled": N_("Your request was cancelled."),
    "declined": N_("No library in the network could lend it to you this time."),
}


def refusal_message(refused: Refused) -> str:
    """What to tell a patron whose request the rules refused."""
    details = refused.details
    messages = {
        "member_takes_no_part": lambda: _("Your library does not take part in requests between libraries."),
        "unknown_pickup": lambda: _("Please choose one of your library's pick-up places."),
        "on_shelf_at_home": lambda: _("Your own library has a copy on the shelf (%(library)s): please borrow it "
                                      "there.", library=details.get("library", "")),
        "too_many_open": lambda: _("You already have %(limit)s open requests, the most your library allows.",
                                   limit=details.get("limit", 0)),
        "no_lender": lambda: _("No library in the network can lend this edition to you."),
    }
    return messages.get(refused.reason, lambda: _("This request is not allowed."))()


def wanted_from(view) -> Wanted:
    """The edition a record page shows, as a request names it."""
    return Wanted(view.id, view.title, view.record.format, tuple(view.holdings))


def interlending(config: Config, store, base_url: str | None) -> Interlending:
    """The network's requests, sending their e-mails through `config.mail`."""
    return Interlending(store, config.interlending, MailOutbox(config, base_url))


@lru_cache(maxsize=8)
def translations(language: str) -> Translations:
    """The catalogue of `language` (English: the messages as written)."""
    return Translations.load(str(compile_translations()), [language])


class MailOutbox:
    """Lenders that take requests by e-mail are written to; patrons are told of every step. A message that
    cannot be sent is logged and the step stands (the patron's page shows it either way)."""

    def __init__(self, config: Config, base_url: str | None):
        self.config, self.base = config, (base_url or "/").rstrip("/")

    def ask(self, request: IllRequest) -> None:
        rules = self.config.interlending.rules(request.lender)
        if rules is None or rules.delivery != "email":
            return
        text = translations(self.config.web.default_language).gettext
        names = self._names(request)
        subject = text(N_("Request from %(member)s: %(title)s")) % names
        body = "\n\n".join([
            text(N_("A patron of %(member)s asks to borrow %(title)s for pick-up at %(pickup)s.")) % names,
            f"{self.base}/record/{request.cluster_id}",
            text(N_("Please answer in your request queue within %(hours)s hours:")) % names,
            f"{self.base}/staff/requests", f"#{request.id}"])
        self._send(rules.email, subject, body, request)

    def tell_patron(self, request: IllRequest, step: str) -> None:
        if not request.patron_email or step not in PATRON_NOTICES:
            return
        text = translations(request.language).gettext
        names = self._names(request)
        subject = text(N_("Your request: %(title)s")) % names
        body = "\n\n".join([text(PATRON_NOTICES[step]) % names, text(N_("Your requests:")),
                            f"{self.base}/patron/requests"])
        self._send(request.patron_email, subject, body, request)

    def _names(self, request: IllRequest) -> dict:
        sources = {s.code: s.name for s in self.config.sources}
        rules = self.config.interlending.rules(request.patron_member)
        return {"title": request.title, "lender": sources.get(request.lender, request.lender or ""),
                "member": sources.get(request.patron_member, request.patron_member),
                "pickup": (rules.pickup.get(request.pickup) if rules else None) or request.pickup,
                "hours": f"{self.config.interlending.answer_hours:g}"}

    def _send(self, to: str, subject: str, body: str, request: IllRequest) -> None:
        if not self.config.mail.enabled:
            return
        try:
            send(self.config.mail, to, subject, body)
        except MailError as exc:
            log.warning("request %s: e-mail to %s not sent: %s", request.id, to, exc)
