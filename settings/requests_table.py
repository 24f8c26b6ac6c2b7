"""The settings-table rows of issue 14's sections: `mail:`, `patrons:` and `requests:` (parsed by
settings/mail.py, settings/patrons.py and settings/interlending.py). `<member>` stands for a source code."""

from __future__ import annotations

from settings.table import Setting as S

MAIL = (
    S("mail", "section", help="Outgoing e-mail (patrons' request notices, alerts); off until host is set. "
      "Credentials from UNIONCAT_SMTP_USERNAME and UNIONCAT_SMTP_PASSWORD."),
    S("mail.host", "text", help="The SMTP server."),
    S("mail.port", "whole", 25, low=1, high=65535, help="Its port."),
    S("mail.from", "text", "unioncat@localhost", help="The sender address of every message."),
    S("mail.starttls", "flag", False, help="Upgrade the connection with STARTTLS before authenticating (refused "
      "if the server does not offer it)."),
    S("mail.timeout", "seconds", 10.0, low=0, high=300, above=True, help="Seconds for connecting and for each "
      "SMTP exchange."),
)

PATRONS = (
    S("patrons", "section", help="Patrons sign in with their home member's card and PIN, checked over SIP2 (no "
      "PIN is kept)."),
    S("patrons.idle_timeout", "whole", 1800, low=60, high=7 * 86400, help="Seconds without a request after which "
      "a patron's session ends."),
    S("patrons.answer_time", "seconds", 1.0, low=0, high=10, help="Seconds every sign-in answer takes at least, so "
      "that an unknown card and a wrong PIN cannot be told apart."),
    S("patrons.sip2", "members", help="Per member (its source code): its SIP2 server. Credentials from "
      "UNIONCAT_SIP2_<MEMBER>_USERNAME and _PASSWORD."),
    S("patrons.sip2.<member>.host", "text", required=True, help="The SIP2 server."),
    S("patrons.sip2.<member>.port", "whole", 6001, low=1, high=65535, help="Its port."),
    S("patrons.sip2.<member>.institution", "text", "", help="The institution id (AO)."),
    S("patrons.sip2.<member>.location", "text", "", help="The location code (CP) of the Login message."),
    S("patrons.sip2.<member>.login", "flag", False, help="Send a Login (93) first, with the credentials."),
    S("patrons.sip2.<member>.message", "choice", "patron_information",
      choices=("patron_information", "patron_status"), help="Patron Information (63) or Patron Status (23)."),
    S("patrons.sip2.<member>.timeout", "seconds", 5.0, low=0.1, high=60, help="Seconds for connecting and the "
      "whole exchange."),
)

REQUESTS = (
    S("requests", "section", help="Requests between members; off until members names a member. ISO 18626 "
      "secrets from UNIONCAT_ISO18626_<MEMBER>_SECRET."),
    S("requests.answer_hours", "number", 48.0, low=0.01, high=1440, help="Hours a lender has to answer before the "
      "next lender is asked."),
    S("requests.purge_days", "whole", 90, low=0, high=3650, help="Ended requests (returned, cancelled, declined) "
      "are deleted this many days after they end."),
    S("requests.lender_order", "list", (), help="After members with a copy on the shelf, lenders are asked in this "
      "order (then by code)."),
    S("requests.agency", "text", "UNIONCAT", help="Our agency id in ISO 18626 messages."),
    S("requests.members", "members", help="Per member (its source code): its lending rules and delivery."),
    S("requests.members.<member>.lends_to", "list", "all", help="all, none, or the members whose patrons it "
      "lends to."),
    S("requests.members.<member>.not_lent", "section", help="What it never lends."),
    S("requests.members.<member>.not_lent.formats", "list", (), help="Formats (the record's) never lent."),
    S("requests.members.<member>.not_lent.item_types", "list", (), help="Item types never lent, matched in a "
      "copy's location or note (reference, short loan)."),
    S("requests.members.<member>.max_open", "whole", 5, low=0, high=1000, help="Open requests one patron of this "
      "member may have at once."),
    S("requests.members.<member>.pickup", "names", help="The libraries its patrons pick up at (code: name)."),
    S("requests.members.<member>.delivery", "choice", "staff", choices=("staff", "email", "iso18626"),
      help="How requests reach it: its staff queue, e-mail to email, or ISO 18626."),
    S("requests.members.<member>.email", "text", help="(email) where its requests are sent."),
    S("requests.members.<member>.iso18626", "section", help="(iso18626) its endpoint and the peer allowed to "
      "answer."),
    S("requests.members.<member>.iso18626.url", "text", required=True, help="Its ISO 18626 endpoint."),
    S("requests.members.<member>.iso18626.agency", "text", help="Its agency id (supplyingAgencyId)."),
    S("requests.members.<member>.iso18626.peer", "text", help="The only IP address its messages are taken from."),
    S("requests.members.<member>.iso18626.timeout", "seconds", 5.0, low=0.1, high=60, help="Seconds to wait for "
      "its endpoint."),
)
