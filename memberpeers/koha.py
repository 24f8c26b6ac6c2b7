"""A Koha ILS-DI responder on 127.0.0.1 (`/cgi-bin/koha/ilsdi.pl`), answering as Koha's own code does.

Built from Koha's `opac/ilsdi.pl` (the dispatcher: required and illegal
parameters, `NotAllowed` when ILS-DI is off or the caller's address is not
in `ILS-DI:AuthorizedIPs`, errors rendered by XML::Simple with the service as
root element) and `C4/ILSDI/Services.pm` (`GetAvailability` writes DLF
ILS-DI XML by hand, one `dlf:record` per biblionumber that has items, each
item's status from `_availability`; `GetRecords` returns each biblio with
its items, `RecordNotFound` for an unknown one). See PROVENANCE.md.
"""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from memberpeers.catalogue import PeerCatalogue, PeerItem

PATH = "/cgi-bin/koha/ilsdi.pl"
REQUIRED = {"GetAvailability": ("id", "id_type"), "GetRecords": ("id",)}
OPTIONAL = {"GetAvailability": ("return_type", "return_fmt"), "GetRecords": ("schema",)}
# _availability(): the first of these that holds decides the item's status and message
_UNAVAILABLE = {"not_for_loan": "Not for loan", "on_loan": "Checked out", "lost": "Item lost",
                "in_transit": "In transit"}


def make_koha_app(catalogue: PeerCatalogue, *, enabled: bool = True, authorized_ips=()):
    """The WSGI app of a Koha OPAC's ILS-DI script over `catalogue`.

    `authorized_ips` is Koha's ILS-DI:AuthorizedIPs (empty: everyone); it is read
    on every request, so a test may change a list it passed while the peer runs.
    """

    def app(environ, start_response):
        if environ.get("PATH_INFO", "") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        pairs = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        service = (pairs.get("service") or [""])[0]
        if not service:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<html><body><h1>ILS-DI</h1></body></html>"]
        error = _refusal(enabled, authorized_ips, environ.get("REMOTE_ADDR", "")) or _bad_parameters(service, pairs)
        if error:
            body = _simple_xml(service, error)
        elif service == "GetAvailability":
            body = get_availability(catalogue, pairs["id"][0].split(" "), pairs["id_type"][0])
        else:
            body = get_records(catalogue, pairs["id"][0].split(" "))
        data = body.encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def _refusal(enabled: bool, authorized_ips, address: str) -> dict | None:
    if not enabled:
        return {"code": "NotAllowed", "message": "ILS-DI is disabled."}
    if authorized_ips and address not in authorized_ips:
        return {"code": "NotAllowed", "message": f"Unauthorized IP address: {address}."}
    return None


def _bad_parameters(service: str, pairs: dict) -> dict | None:
    if service not in REQUIRED:
        return {"message": "NotSupported"}
    for name in REQUIRED[service]:
        if name not in pairs:
            return {"code": "MissingParameter", "message": f"The required parameter {name} is missing."}
    for name, values in pairs.items():
        if name != "service" and name not in REQUIRED[service] + OPTIONAL[service]:
            return {"code": "IllegalParameter", "message": f"The parameter {name} is illegal."}
        if len(values) != 1:
            return {"code": "MultipleValuesNotAllowed", "message": f"Multiple values not allowed for the parameter {name}."}
    return None


def _simple_xml(root: str, values: dict) -> str:
    inner = "".join(f"  <{k}>{escape(v)}</{k}>\n" for k, v in values.items())
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}>\n{inner}</{root}>\n'


def get_availability(catalogue: PeerCatalogue, ids: list[str], id_type: str) -> str:
    """DLF ILS-DI XML for biblionumbers (items only of those that have some), as Services.pm writes it."""
    out = ['<?xml version="1.0" encoding="UTF-8" ?>\n<dlf:collection\n  xmlns:dlf="http://diglib.org/ilsdi/1.1"\n'
           '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n  xsi:schemaLocation="http://diglib.org/ilsdi/1.1\n'
           '    http://diglib.org/architectures/ilsdi/schemas/1.1/dlfexpanded.xsd">\n']
    for bib in ids:
        items = catalogue.items(bib) if id_type == "bib" else None
        if not items:
            continue          # Koha sets "unknown" for a biblio without items but prints nothing for it
        out.append(f'  <dlf:record>\n    <dlf:bibliographic id="{escape(bib)}" />\n    <dlf:items>\n')
        out.extend(_dlf_item(item) for item in items)
        out.append("    </dlf:items>\n  </dlf:record>\n")
    out.append("</dlf:collection>\n")
    return "".join(out)


def _dlf_item(item: PeerItem) -> str:
    status, message = ("available", "") if item.state == "available" else ("not available", _UNAVAILABLE[item.state])
    lines = [f'      <dlf:item id="{item.itemnumber}">', "        <dlf:simpleavailability>",
             f"          <dlf:identifier>{item.itemnumber}</dlf:identifier>",
             f"          <dlf:availabilitystatus>{status}</dlf:availabilitystatus>"]
    if message:
        lines.append(f"          <dlf:availabilitymsg>{message}</dlf:availabilitymsg>")
    lines.append(f"          <dlf:location>{escape(item.branch)}</dlf:location>")
    if item.call_number:
        lines.append(f"          <dlf:itemcallnumber>{escape(item.call_number)}</dlf:itemcallnumber>")
    lines += ["        </dlf:simpleavailability>", "      </dlf:item>"]
    return "\n".join(lines) + "\n"


def get_records(catalogue: PeerCatalogue, ids: list[str]) -> str:
    """GetRecords as XML::Simple renders it (noattr, SuppressEmpty): one `record` per id asked."""
    records = []
    for bib in ids:
        items = catalogue.items(bib)
        if items is None:
            records.append("  <record>\n    <code>RecordNotFound</code>\n  </record>\n")
            continue
        rendered = "".join(_record_item(bib, item) for item in items)
        records.append(f"  <record>\n    <biblionumber>{escape(bib)}</biblionumber>\n"
                       f"    <items>\n{rendered}    </items>\n  </record>\n")
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<GetRecords>\n{"".join(records)}</GetRecords>\n'


def _record_item(bib: str, item: PeerItem) -> str:
    fields = {"itemnumber": item.itemnumber, "biblionumber": bib, "homebranch": item.branch_code,
              "holdingbranch": item.branch_code, "homebranchname": item.branch, "holdingbranchname": item.branch,
              "itemcallnumber": item.call_number, "notforloan": "1" if item.state == "not_for_loan" else "0",
              "onloan": item.due if item.state == "on_loan" else "", "itemlost": "1" if item.state == "lost" else "0",
              "withdrawn": "0", "damaged": "0"}
    inner = "".join(f"        <{k}>{escape(v)}</{k}>\n" for k, v in fields.items() if v)  # SuppressEmpty
    return f"      <item>\n{inner}      </item>\n"
