"""Probe a source without storing anything: what `unioncat check` reports, one line per source.

An OAI-PMH source: Identify (granularity, deletion support), the metadata
prefix among those offered, the set among those listed, one page of records
and one record normalised, and the next page through its resumption token.
A file source: each path matches a file, and the first record is normalised.
Each problem says what to do; the probe stops at the first one a later step
depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import islice

from harvest.errors import HarvestError, OAIProtocolError
from harvest.files import source_files, unmatched_paths
from harvest.gaps import incoming
from harvest.lists import KeptAside, fetch_parsed
from harvest.pages import NS, Page, check_error, parse_identify, parse_list_page, parse_xml
from harvest.records import from_raw
from harvest.transport import RetryPolicy, Transport
from normalise import read_file
from settings import SourceConfig
from store import QuarantineItem

PROBE_RETRIES = 1          # a check should answer in seconds: a transient fault is tried once more
PROBE_BUDGET = 3
MAX_SETS = 10000           # sets read from ListSets before giving up the search (Libris lists thousands)


class ProbeFailed(Exception):
    """A step failed; later steps depend on it."""


@dataclass
class Probe:
    """What a check found about one source."""

    source: str
    facts: list[str] = field(default_factory=list)       # what the source offers
    problems: list[str] = field(default_factory=list)    # what is wrong, each with what to do
    warnings: list[str] = field(default_factory=list)    # works, but worth the operator's attention

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (warnings allowed)."""
        return not self.problems


def probe_source(source: SourceConfig, policy: RetryPolicy) -> Probe:
    """Probe one source; never raises for what the source does wrong."""
    probe = Probe(source.code)
    try:
        if source.type == "oai":
            _probe_oai(source, replace(policy, max_retries=min(policy.max_retries, PROBE_RETRIES),
                                       budget=PROBE_BUDGET), probe)
        else:
            _probe_files(source, probe)
    except ProbeFailed as exc:
        probe.problems.append(str(exc))
    except KeptAside as exc:       # nothing is kept by a check: say what the page was, not where it went
        probe.problems.append(_at(source, str(exc).rsplit("; page kept aside", 1)[0]))
    except HarvestError as exc:
        probe.problems.append(_at(source, str(exc)))
    return probe


def _at(source: SourceConfig, message: str) -> str:
    if source.url and source.url not in message:
        return f"{message} (at {source.url})"
    return message


def _probe_oai(source: SourceConfig, policy: RetryPolicy, probe: Probe) -> None:
    transport = Transport(source.url, policy)
    try:
        identity = fetch_parsed(transport, {"verb": "Identify"}, parse_identify)
        probe.facts.append(f"granularity {identity.granularity}, deletedRecord {identity.deleted_record}")
        if identity.deleted_record != "persistent" and not source.reconcile:
            probe.warnings.append(f"deletedRecord is {identity.deleted_record}: deletions may never be sent; set "
                                  "reconcile: true for this source")
        _check_prefix(transport, source, probe)
        if source.set:
            _check_set(transport, source, probe)
        _check_records(transport, source, probe)
    finally:
        transport.close()


def _check_prefix(transport: Transport, source: SourceConfig, probe: Probe) -> None:
    prefixes = fetch_parsed(transport, {"verb": "ListMetadataFormats"}, _metadata_prefixes)
    if source.metadata_prefix not in prefixes:
        raise ProbeFailed(f"the metadata prefix {source.metadata_prefix!r} is not offered: set metadata_prefix to "
                          f"one of {', '.join(prefixes) or 'none (the server lists no formats)'}")
    probe.facts.append(f"{source.metadata_prefix} offered")


def _check_set(transport: Transport, source: SourceConfig, probe: Probe) -> None:
    specs: list[str] = []
    params: dict = {"verb": "ListSets"}
    while len(specs) < MAX_SETS:
        try:
            page_specs, token = fetch_parsed(transport, params, _set_specs)
        except OAIProtocolError as exc:
            if exc.code == "noSetHierarchy":
                raise ProbeFailed(f"the server has no sets, so set {source.set!r} cannot be harvested: remove the "
                                  "source's set") from exc
            raise
        specs += page_specs
        if source.set in specs:
            probe.facts.append(f"set {source.set} present")
            return
        if not token:
            break
        params = {"verb": "ListSets", "resumptionToken": token}
    shown = ", ".join(specs[:5]) + (", ..." if len(specs) > 5 else "")
    raise ProbeFailed(f"the set {source.set!r} is not among the server's {len(specs)} sets ({shown}): correct the "
                      "source's set, or remove it to harvest everything")


def _check_records(transport: Transport, source: SourceConfig, probe: Probe) -> None:
    params = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
    if source.set:
        params["set"] = source.set
    page = fetch_parsed(transport, params, parse_list_page)
    if page.no_records or not page.items:
        raise ProbeFailed("the server lists no records for this metadata prefix and set: check them, or whether "
                          "the member's catalogue is published yet")
    if page.repairs:
        probe.warnings.append(f"the first page needed repair ({', '.join(page.repairs)}); its records are flagged")
    _normalise_one(source, page, probe)
    if page.token:
        _check_next_page(transport, page, probe)
        probe.facts.append("resumption token followed")


def _normalise_one(source: SourceConfig, page: Page, probe: Probe) -> None:
    item = next((item for item in page.items if not item.deleted), None)
    if item is None:
        probe.facts.append("first page holds deletions only")
        return
    result = incoming(source, item, "check")
    if isinstance(result, QuarantineItem):
        raise ProbeFailed(f"the first record ({item.identifier}) could not be normalised: {result.reason}; check "
                          "that metadata_prefix is a MARC format (marc21, marcxml)")
    size = f" of {page.complete_list_size}" if page.complete_list_size else ""
    probe.facts.append(f"{len(page.items)} records{size} on the first page, one normalised ({result.record.title!r})")


def _check_next_page(transport: Transport, first: Page, probe: Probe) -> None:
    try:
        following = fetch_parsed(transport, {"verb": "ListRecords", "resumptionToken": first.token}, parse_list_page)
    except OAIProtocolError as exc:
        raise ProbeFailed(f"the second page could not be fetched with the server's own resumption token ({exc}): "
                          "ask the member to check its resumption tokens") from exc
    if following.token and following.token == first.token:
        raise ProbeFailed(f"the server gave back the same resumption token {first.token!r}: a harvest would loop; "
                          "ask the member to check its resumption tokens")
    if not following.items and following.token:
        probe.warnings.append("the second page is empty but carries a resumption token: harvests walk through "
                              "such pages (at most 50 in a row)")


def _metadata_prefixes(content: bytes) -> list[str]:
    root, _ = parse_xml(content)
    check_error(root)
    return [(el.text or "").strip() for el in root.iterfind(".//oai:metadataFormat/oai:metadataPrefix", NS)]


def _set_specs(content: bytes) -> tuple[list[str], str | None]:
    root, _ = parse_xml(content)
    check_error(root)
    specs = [(el.text or "").strip() for el in root.iterfind(".//oai:set/oai:setSpec", NS)]
    token = root.find(".//oai:ListSets/oai:resumptionToken", NS)
    return specs, ((token.text or "").strip() or None) if token is not None else None


def _probe_files(source: SourceConfig, probe: Probe) -> None:
    missing = unmatched_paths(source)
    if missing:
        raise ProbeFailed(f"no file matches {', '.join(missing)}: check the source's path (relative to config.yaml)")
    files = source_files(source)
    probe.facts.append(f"{len(files)} file(s)")
    try:
        first = next(islice(read_file(files[0]), 1), None)
    except (OSError, EOFError) as exc:
        raise ProbeFailed(f"cannot read {files[0]}: {exc}") from exc
    if first is not None:
        result = from_raw(source, first, files[0].name)
        if isinstance(result, QuarantineItem):
            raise ProbeFailed(f"the first record of {files[0]} could not be read: {result.reason}; check that the "
                              "file is MARC (ISO 2709 or MARCXML)")
        probe.facts.append(f"one record normalised ({result.record.title!r})")
        return
    raise ProbeFailed(f"no MARC records found in {files[0]}: check that the file is MARC (ISO 2709 or MARCXML)")

