"""Every key of `config.yaml` in one table: its kind, default, allowed values and help.

The table drives the checks (`settings.validate`), the defaults of the
settings dataclasses (each written once, here), `unioncat settings` and the
README's table; a test checks that config.yaml documents every key.

A key is a dotted path; `[]` marks a list of mappings (`sources[].timeout`).
An issue that adds settings adds rows: in its own module as a tuple of
`Setting`s, named in `SECTIONS` below (one line), and a parse function that
reads them with `value()` (see settings/oai.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("text", "whole", "seconds", "number", "share", "flag", "choice", "list", "names", "section", "sections",
         "members")
DESCRIBED = {
    "text": "text", "whole": "a whole number", "seconds": "a number of seconds", "number": "a number",
    "share": "a share from 0 to 1", "flag": "true or false", "list": "a list (or one value)",
    "names": "a mapping of codes to names", "section": "a mapping of the keys below",
    "sections": "a list of mappings of the keys below",
    "members": "a mapping of member codes to mappings of the keys below",
}


@dataclass(frozen=True)
class Setting:
    """One key: what it holds, what it is when absent, what is allowed, what it is for."""

    key: str
    kind: str
    default: Any = None
    help: str = ""
    choices: tuple = ()
    low: float | None = None         # smallest allowed (whole, seconds, number)
    high: float | None = None
    above: bool = False              # `low` itself is not allowed (seconds above 0)
    required: bool = False
    off: bool = False                # `off` (YAML's false) or an empty value switches it off

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"setting {self.key}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"setting {self.key}: a choice needs its choices")

    def allowed(self) -> str:
        """What the key accepts, in words, for messages and the documentation."""
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        words = DESCRIBED[self.kind] + (", or off" if self.off else "")
        if self.low is not None and self.high is not None:
            return f"{words} from {_num(self.low)}{' (not included)' if self.above else ''} to {_num(self.high)}"
        if self.low is not None:
            return f"{words} {'above' if self.above else 'of at least'} {_num(self.low)}"
        return words


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


MiB = 1024 * 1024
S = Setting

CORE = (
    S("store", "text", required=True, help="The record store: an SQLite file (relative to config.yaml) or a "
      "database URL (postgresql://...), optionally with pool_size, max_overflow and pool_timeout."),
    S("index", "text", required=True, help="The Whoosh index folder (generations and CURRENT)."),
    S("reports", "text", "var/reports", help="Folder of nightly's run reports (one JSON file per run)."),
    S("lock_file", "text", help="(before leases) a lock file; its folder's reports/ is then the reports folder."),

    S("search", "section", help="The search engine."),
    S("search.engine", "choice", "whoosh", choices=("whoosh", "solr"), help="whoosh: the index folder on this "
      "machine; solr: a SolrCloud collection."),
    S("search.nodes", "list", (), help="(solr) base URLs of live nodes, ending in /solr."),
    S("search.collection", "text", "unioncat", help="(solr) the alias searched and fed."),
    S("search.shards", "whole", 2, low=1, high=1000, help="(solr) shards of a collection setup or a rebuild creates."),
    S("search.replicas", "whole", 2, low=1, high=1000, help="(solr) copies of each shard, on different nodes."),
    S("search.timeout", "seconds", 5.0, low=0, high=600, above=True,
      help="(solr) seconds for one request to one node before the next is tried."),

    S("leases", "section", help="Leases keeping writers apart across processes and machines."),
    S("leases.expiry", "seconds", 120.0, low=0, above=True,
      help="Seconds a holder that stopped renewing (killed, frozen) keeps its lease."),
    S("leases.wait", "seconds", 60.0, low=0, help="Seconds a command waits for the writer lease."),
    S("leases.web_wait", "seconds", 10.0, low=0, help="Seconds a librarian's split or merge on the web waits."),

    S("change_log", "section", help="The change log of clustering changes."),
    S("change_log.keep_days", "whole", 30, low=0, help="Days entries every consumer has passed are kept."),

    S("renormalise", "section", help="Stored records derived again after the normalisation rules changed."),
    S("renormalise.nightly_seconds", "whole", 1800, low=0, help="Seconds each nightly run spends deriving records "
      "older rules made (0: only `unioncat renormalise` does it)."),

    S("health", "section", help="Flags on sources that need an operator (status --history, /staff/health, e-mail)."),
    S("health.failed_runs", "whole", 3, low=1, high=100, help="A source whose harvest failed this many nightly runs "
      "in a row is flagged."),
    S("health.drop", "share", 0.1, help="A source whose live records fell by more than this share in one run is "
      "flagged."),
    S("health.runs", "whole", 10, low=2, high=100, help="Recent nightly runs shown per source."),
    S("health.alert_to", "list", (), help="Addresses e-mailed (through mail:) when a source is newly flagged; "
      "empty: no e-mail."),

    S("metrics", "section", help="/metrics in the Prometheus text format."),
    S("metrics.enabled", "flag", False, help="Serve /metrics (off by default)."),
    S("metrics.allow", "list", ("127.0.0.1/32", "::1/128"), help="Addresses or networks that may read /metrics "
      "(the client address as web.trusted_proxies gives it); others get a 404."),

    S("oai", "section", help="unioncat as an OAI-PMH provider at /oai (off until repository_identifier is set)."),
    S("oai.repository_identifier", "text", help="A domain name you control, e.g. katalog.example.org."),
    S("oai.repository_name", "text", "unioncat", help="The repository's name in Identify."),
    S("oai.admin_email", "text", "admin@example.org", help="The administrator's e-mail address in Identify."),
    S("oai.page_size", "whole", 500, low=1, high=10000, help="Records per ListRecords or ListIdentifiers page."),
    S("oai.token_lifetime", "whole", 86400, low=60, high=30 * 86400,
      help="Seconds a resumption token stays valid."),
    S("oai.rate_limit", "text", "600 per minute", off=True, help="Requests per harvester address (\"600 per minute\"); off "
      "to disable."),
    S("oai.rate_limit_storage", "text", "memory://", help="Where the counts live (a limits storage URI)."),

    S("harvest", "section", help="Transport policy for OAI-PMH sources."),
    S("harvest.timeout", "seconds", 60.0, low=0, above=True, help="Seconds to wait for a response (connect and "
      "read)."),
    S("harvest.max_retries", "whole", 5, low=0, high=100, help="Retries per request on timeouts, 429 and 5xx (an "
      "unknown host or a refused connection is tried once more, then the source stops)."),
    S("harvest.retry_budget", "whole", 50, low=0, help="Retries one source may spend in a run before it stops."),
    S("harvest.backoff", "seconds", 2.0, low=0, help="Base of the exponential backoff between retries."),
    S("harvest.concurrency", "whole", 2, low=1, high=64, help="Sources harvested at the same time."),
    S("harvest.max_shrink", "share", 0.2, help="Largest share of a source's records one run may mark deleted "
      "(more needs --force)."),
    S("harvest.max_response_bytes", "whole", 100 * MiB, low=1, help="Largest response read, on the wire and "
      "after gzip/deflate."),
    S("harvest.request_deadline", "seconds", 300.0, low=0, above=True, help="Seconds one whole response may take, "
      "however slowly it is sent."),
    S("harvest.page_deadline", "seconds", 900.0, low=0, above=True, help="Seconds one page may take with all its "
      "retries and waits."),
    S("harvest.follow_redirects", "choice", "origin", choices=("origin", "any"), help="origin: follow redirects "
      "only to the source's own scheme, host and port; any: follow all."),

    S("web", "section", help="The web front end."),
    S("web.title", "text", "unioncat", help="The catalogue's name on every page."),
    S("web.secret_key", "text", "", help="Signs session cookies (UNIONCAT_SECRET_KEY wins); long and random."),
    S("web.languages", "list", ("en", "pl", "sv", "nb"), help="Interface languages offered."),
    S("web.default_language", "text", "en", help="The language of a patron who asks for none (one of "
      "web.languages)."),
    S("web.page_size", "whole", 20, low=1, high=500, help="Results per page."),
    S("web.public_base_url", "text", help="Where the catalogue's root is published (https://...); absolute "
      "links, HSTS and Secure cookies."),
    S("web.trusted_proxies", "whole", 0, low=0, help="Reverse proxies in front whose X-Forwarded-* headers are "
      "believed."),
    S("web.rate_limit", "text", "120 per minute", off=True, help="Per client address on the search API and the exports; "
      "off: no limit."),
    S("web.rate_limit_storage", "text", "memory://", help="Where the counts live (memory://, redis://...)."),
    S("web.login_throttle", "section", help="Failed staff logins allowed before a lockout that ends by itself."),
    S("web.login_throttle.max_failures", "whole", 5, low=1, help="Wrong passwords allowed within the window."),
    S("web.login_throttle.window", "whole", 900, low=0, help="Seconds in which failures are counted."),
    S("web.login_throttle.lockout", "whole", 900, low=0, help="Seconds a locked account or address waits."),

    S("sources", "sections", help="Member catalogues: an OAI-PMH endpoint or a set of MARC files."),
    S("sources[].code", "text", required=True, help="Short and stable: part of record ids (code:001) and URLs."),
    S("sources[].name", "text", help="Shown to patrons (default: the code)."),
    S("sources[].type", "choice", required=True, choices=("oai", "file"), help="oai or file."),
    S("sources[].url", "text", help="(oai, required) the OAI-PMH base URL."),
    S("sources[].metadata_prefix", "text", "marc21", help="(oai) the MARC format the server offers."),
    S("sources[].set", "text", help="(oai) an optional OAI set."),
    S("sources[].path", "list", help="(file, required) a glob or list of globs: .mrc/.xml, optionally .gz."),
    S("sources[].record_url", "text", help="A link to the member's own record; {id} is the 001."),
    S("sources[].timeout", "seconds", 60.0, low=0, above=True, help="Seconds to wait for this server, when "
      "shorter than harvest.timeout."),
    S("sources[].several_per_cluster", "flag", False, help="A catalogue holding duplicates of its own."),
    S("sources[].reconcile", "flag", False, help="(oai) list every identifier after each harvest and mark the "
      "missing deleted."),
    S("sources[].max_response_bytes", "whole", low=1, help="(oai) this server's own limit instead of "
      "harvest.max_response_bytes."),
    S("sources[].follow_redirects", "choice", choices=("origin", "any"), help="(oai) instead of "
      "harvest.follow_redirects."),
    S("sources[].holdings", "section", help="Where the source keeps its holdings (without it: detected)."),
    S("sources[].holdings.tag", "text", required=True, help="The MARC field with the holdings."),
    S("sources[].holdings.indicators", "text", help="Only fields whose indicators start so (\"91\")."),
    S("sources[].holdings.member", "text", help="Subfields naming the member catalogue of each holding."),
    S("sources[].holdings.library", "text", help="Subfields naming the library (without it: the source)."),
    S("sources[].holdings.location", "text", help="Subfields of the location."),
    S("sources[].holdings.call_number", "text", help="Subfields of the call number."),
    S("sources[].holdings.items", "text", help="Subfields counting the items."),
    S("sources[].holdings.availability", "text", help="Subfields of the availability."),
    S("sources[].holdings.note", "text", help="Subfields of a public note."),
    S("sources[].holdings.library_names", "names", help="Library codes and their names."),
    S("sources[].holdings.items_from", "section", help="Copies kept in a field of their own, one per copy."),
    S("sources[].holdings.items_from.tag", "text", required=True, help="The field with one copy each."),
    S("sources[].holdings.items_from.library", "text", required=True, help="Its subfield of the library."),
    S("sources[].holdings.items_from.location", "text", required=True, help="Its subfield of the location."),
    S("sources[].availability", "section", help="Ask the member's own system for live availability (off without it)."),
    S("sources[].availability.adapter", "choice", required=True, choices=("daia", "koha", "template"),
      help="daia, koha (ILS-DI) or template (a simple REST endpoint)."),
    S("sources[].availability.url", "text", required=True, help="DAIA's base URL, Koha's .../ilsdi.pl, or a template "
      "address with {ids} (a batch) or {id} (one per request)."),
    S("sources[].availability.id_field", "text", "001", help="Where the id the system knows is: 001, a tag and "
      "subfield (999$c) or a 035 prefix (035:(PL-KrBN))."),
    S("sources[].availability.id_prefix", "text", "", help="Put before every id sent (DAIA's \"ppn:\")."),
    S("sources[].availability.timeout", "seconds", 2.0, low=0, above=True, high=30,
      help="Seconds for the whole answer; past it the harvested state shows, with a note."),
    S("sources[].availability.rate_limit", "number", 10.0, low=0, above=True, high=10000,
      help="Requests per second to this system; beyond it the harvested state shows, with a note."),
    S("sources[].availability.batch", "whole", 20, low=1, high=200, help="Ids per request."),
    S("sources[].availability.credentials_env", "text", help="A prefix: <PREFIX>_TOKEN (Bearer) or <PREFIX>_USER and "
      "<PREFIX>_PASSWORD (Basic) are read from the environment."),
    S("sources[].availability.service", "choice", "GetRecords", choices=("GetRecords", "GetAvailability"),
      help="(koha) GetRecords carries due dates and call numbers."),
    S("sources[].availability.template", "section", help="(template) where the JSON answer keeps things (dotted paths)."),
    S("sources[].availability.template.records", "text", "records", help="The list of records (\"\": the answer)."),
    S("sources[].availability.template.record_id", "text", "id", help="A record's id."),
    S("sources[].availability.template.items", "text", "items", help="A record's items."),
    S("sources[].availability.template.status", "text", "status", help="An item's status."),
    S("sources[].availability.template.statuses", "names", help="The system's statuses and ours (available, on_loan, "
      "in_transit, not_for_loan, unknown)."),
    S("sources[].availability.template.due", "text", "due", help="An item's due date."),
    S("sources[].availability.template.location", "text", "location", help="An item's location."),
    S("sources[].availability.template.call_number", "text", "call_number", help="An item's call number."),
    S("sources[].availability.template.separator", "text", ",", help="Joins the ids of one request in {ids}."),

    S("availability", "section", help="Live availability, shared by every member with an availability mapping."),
    S("availability.cache", "seconds", 60.0, low=0, high=86400, help="Seconds a member's answer is reused."),
    S("availability.retry_after_failure", "seconds", 15.0, low=0, high=86400,
      help="Seconds a member whose system failed is not asked again (the harvested state shows)."),

    S("demo", "section", help="What `unioncat demo` serves."),
    S("demo.oai_servers", "sections", help="OAI-PMH endpoints served from local files on 127.0.0.1."),
    S("demo.oai_servers[].source", "text", required=True, help="The configured source it serves."),
    S("demo.oai_servers[].port", "whole", 8790, low=1, high=65535, help="Its port (`demo --oai-port` or "
      "UNIONCAT_DEMO_OAI_PORT changes it and the source's url)."),
    S("demo.oai_servers[].path", "list", required=True, help="A glob or list of globs of MARC files."),
)

# issue 15: collections the network shares (parsed and cross-checked in settings/collections.py)
COLLECTIONS = (
    S("licences", "sections", help="Licensed collections (e-books) shared by all members or a listed group: their "
      "records show online access per member instead of shelves."),
    S("licences[].source", "text", required=True, help="The licensed collection's source code."),
    S("licences[].members", "list", "all", help="all, or the member codes whose patrons may read it."),
    S("licences[].access", "sections", help="Each member's own way in; a member without one gets the record's link."),
    S("licences[].access[].member", "text", required=True, help="The member code."),
    S("licences[].access[].proxy", "text", help="A proxy prefix put before the record's 856 address."),
    S("licences[].access[].login", "text", help="The platform's login page for the member's patrons."),
    S("regional_bibliographies", "list", (), help="Sources that are a regional bibliography: a scope and facet of "
      "their own (collection=), shown as bibliography entries, not holdings."),
)

# Rows of other issues' modules join here: `SECTIONS = (CORE, availability.SETTINGS, ...)`.
from settings import requests_table  # noqa: E402  (its rows need `Setting` above)

SECTIONS: tuple[tuple[Setting, ...], ...] = (CORE, COLLECTIONS, requests_table.MAIL, requests_table.PATRONS,
                                             requests_table.REQUESTS)
SETTINGS: dict[str, Setting] = {row.key: row for section in SECTIONS for row in section}
# keys a value may not hold: refused with what to do instead
REFUSED = {
    "sources[].holdings.barcode": "unioncat keeps no item barcodes (patrons never see them): remove the key",
}


def setting(key: str) -> Setting:
    """The row of `key` ("harvest.timeout", "sources[].timeout")."""
    return SETTINGS[key]


def default(key: str) -> Any:
    """The default of `key`: the one place it is written."""
    return SETTINGS[key].default


def value(section: dict | None, key: str) -> Any:
    """The value of `key` in its (already checked) section mapping, or its default when absent or empty."""
    found = (section or {}).get(key.rsplit(".", 1)[-1])
    if found is None:
        return default(key)
    return float(found) if SETTINGS[key].kind in ("seconds", "number", "share") else found


def children(prefix: str) -> dict[str, Setting]:
    """The keys directly under `prefix` ("" for the top level, "sources[]" for a source), by name."""
    start = f"{prefix}." if prefix else ""
    return {row.key[len(start):]: row for row in SETTINGS.values()
            if row.key.startswith(start) and "." not in row.key[len(start):]}


def markdown() -> str:
    """The README's table of every setting (`unioncat settings --markdown` prints it)."""
    lines = ["| key | allowed | default | meaning |", "|---|---|---|---|"]
    for row in SETTINGS.values():
        shown = "required" if row.required else "" if row.default in (None, "", ()) else f"`{_shown(row.default)}`"
        meaning = row.help.replace("|", "\\|")
        lines.append(f"| `{row.key}` | {row.allowed()} | {shown} | {meaning} |")
    return "\n".join(lines) + "\n"


def _shown(found: Any) -> str:
    if isinstance(found, tuple):
        return "[" + ", ".join(map(str, found)) + "]"
    if isinstance(found, bool):
        return "true" if found else "false"
    return str(found)
