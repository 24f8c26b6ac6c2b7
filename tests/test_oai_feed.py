"""The provider's feed from the change log: deleted records kept, editions leaving sets, lists that resume after
their last item whatever changed, a responseDate a harvester can trust, and records whose MARC is unreadable."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from store import WRITER, Store
from tests.oai_support import NS, REPOSITORY, _moment, build, headers_in, identifiers, list_all, oai, run
from web import create_app


@pytest.fixture
def fresh(tmp_path, store_url):
    """A catalogue of its own for a test that changes it (libris and the extra files), on each database."""
    return build(tmp_path, store_url, sources=("libris",))


def test_response_date_is_never_later_than_an_open_writer_or_an_unpublished_change(fresh):
    client = create_app(fresh).test_client()
    with Store(fresh.store_url) as store:
        with store.lease(WRITER, "a test writer"):
            since = next(lease.acquired_at for lease in store.leases() if lease.name == WRITER)
            time.sleep(1.1)     # a clock a second on: the responseDate must stay at the writer's start
            date = oai(client, verb="Identify").findtext("o:responseDate", namespaces=NS)
            assert _moment(date) <= since
        pending = store.latest_change()
        cid = store.cluster_ids()[0]
        from store.changes import log_changes

        with store.transaction() as conn:
            log_changes(conn, [cid])
        logged = store.oai_pending(pending, pending + 1, 1)[0][2]
    time.sleep(1.1)
    date = oai(client, verb="Identify").findtext("o:responseDate", namespaces=NS)
    assert _moment(date) <= logged, "a change not yet published holds the responseDate back"
    run(fresh, "oai", "update")
    assert _moment(oai(client, verb="Identify").findtext("o:responseDate", namespaces=NS)) >= logged - timedelta(seconds=1)


def test_merged_away_clusters_stay_deleted_and_an_edition_leaving_a_set_is_deleted_in_that_set(fresh):
    client = create_app(fresh).test_client()
    with Store(fresh.store_url) as store:
        clusters = dict(store.export_clusters())
    libris = next(cid for cid, members in clusters.items() if {s for s, _ in members} == {"libris"})
    extra, extra_members = next((cid, m) for cid, m in clusters.items() if {s for s, _ in m} == {"extra"})
    time.sleep(1.1)     # the incremental harvest below starts in a later second than the build
    since = oai(client, verb="Identify").findtext("o:responseDate", namespaces=NS)
    run(fresh, "merge", "--yes", "--override", "--note", "two editions merged on purpose", libris, extra)
    with Store(fresh.store_url) as store:
        survivor = store.resolve_cluster(libris)
    gone = extra if survivor == libris else libris
    record = oai(client, verb="GetRecord", metadataPrefix="marc21", identifier=f"oai:{REPOSITORY}:{gone}")
    header = record.find("o:GetRecord/o:record/o:header", NS)
    assert header.get("status") == "deleted" and header.findtext("o:datestamp", namespaces=NS) >= since
    assert record.find("o:GetRecord/o:record/o:metadata", NS) is None

    run(fresh, "split", "--yes", ":".join(extra_members[0]))
    # one edition may be listed in both sets (deleted in the one it left): keep every (set, identifier)
    changed = [(spec, identifier, deleted) for spec in ("member:extra", "member:libris")
               for identifier, deleted in headers_in(client, set=spec, **{"from": since}).items()]
    left = [identifier for _spec, identifier, deleted in changed if deleted
            and oai(client, verb="GetRecord", metadataPrefix="marc21", identifier=identifier)
            .find("o:GetRecord/o:record/o:header", NS).get("status") != "deleted"]
    assert left, f"the edition that left a set is deleted in that set's incremental harvest: {changed}"
    assert f"oai:{REPOSITORY}:{gone}" in headers_in(client, **{"from": since}), "the merged-away id is still listed"


def test_a_list_resumes_after_its_last_item_whatever_changed_meanwhile(fresh):
    client = create_app(fresh).test_client()
    first = oai(client, verb="ListIdentifiers", metadataPrefix="marc21").find("o:ListIdentifiers", NS)
    seen = identifiers([el for el in first if el.tag.endswith("header")])
    token = first.findtext("o:resumptionToken", namespaces=NS)
    from store.changes import log_changes

    with Store(fresh.store_url) as store:
        with store.transaction() as conn:     # two clusters of the first page change: they move to the end
            log_changes(conn, [seen[0].rsplit(":", 1)[1], seen[1].rsplit(":", 1)[1]])
        everything = {f"oai:{REPOSITORY}:{cid}" for cid in store.alive_cluster_ids()}
    run(fresh, "oai", "update")
    rest, _ = list_all(client, "ListIdentifiers", resumptionToken=token)
    later = identifiers(rest)
    assert set(seen) | set(later) == everything, "no record is skipped when earlier ones change"
    assert later[-2:] == sorted(seen[:2]), "changed records come again at the end"


def test_a_record_whose_marc_cannot_be_read_is_still_served_from_its_normalised_form(fresh):
    from sqlalchemy import update

    from store import schema

    client = create_app(fresh).test_client()
    with Store(fresh.store_url) as store:
        cid, members = next(iter(store.export_clusters()))
        with store.transaction() as conn:
            conn.execute(update(schema.records).where(schema.records.c.source == members[0][0],
                                                      schema.records.c.local_id == members[0][1]).values(raw=b"\x00garbage"))
    root = oai(client, verb="GetRecord", metadataPrefix="marc21", identifier=f"oai:{REPOSITORY}:{cid}")
    assert root.find(".//m:datafield[@tag='245']/m:subfield[@code='a']", NS).text

