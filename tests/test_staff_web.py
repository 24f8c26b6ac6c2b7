"""The staff workspace at /staff/ with the Flask test client over a real store and index (issue 13).

Four members: alpha and beta hold one Libris edition (one cluster), gamma a
Duke book, delta a file with two unreadable records (quarantined). Anna is an
administrator; carl a cataloguer who may correct only gamma's records.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from cli import main
from cli.pipeline import web_retry
from dedup import confirm, preview_merge, preview_split
from settings import load_config
from store import WRITER, Account, NearMissPair, QuarantineItem, Store
from tests.conftest import shared
from web import create_app

PASSWORD = "correct horse"
CHEAP = "scrypt:1024:8:1"        # a cheap cost for test accounts: verification follows the stored cost
POLISBILEN = ["alpha:20203738", "beta:20203738"]


def build_catalogue(folder, store_url: str):
    """The four members harvested, deduplicated and indexed in `folder`, with the accounts anna and carl."""
    files = {"alpha": "libris/batchimport/batch2.xml", "beta": "libris/batchimport/batch3.xml",
             "gamma": "trln-marc-to-argot/duke/record_with_holding.xml", "delta": "pymarc/bad_records.mrc"}
    for code, relative in files.items():
        (folder / code).mkdir()
        shutil.copy(shared(relative), folder / code / shared(relative).name)
    sources = "".join(f"  - {{code: {c}, name: {c.title()}, type: file, path: {c}/*.*}}\n" for c in files)
    (folder / "config.yaml").write_text(f"store: {json.dumps(store_url)}\nindex: index\nsources:\n{sources}")
    config = load_config(folder / "config.yaml")
    result = CliRunner().invoke(main, ["--config", str(config.path), "nightly"])
    assert result.exit_code in (0, 1), result.output
    with Store(config.store_url) as store:
        for name, role, member in (("anna", "administrator", None), ("carl", "cataloguer", "gamma")):
            store.set_staff_password(name, generate_password_hash(PASSWORD, CHEAP))
            store.set_staff_role(name, role, member)
    return config


def built_on_sqlite(built_once: dict, tmp_path_factory):
    """The catalogue on SQLite built once per test run: tests (and the browser tests) copy its folder."""
    if "staff catalogue" not in built_once:
        folder = tmp_path_factory.mktemp("staff-catalogue")
        build_catalogue(folder, "store.sqlite")
        built_once["staff catalogue"] = folder
    return built_once["staff catalogue"]


def copied(folder, target):
    """A configuration of a copy of the built catalogue in `target`."""
    shutil.copytree(folder, target)
    return load_config(target / "config.yaml")


@pytest.fixture
def catalogue(request, tmp_path, store_url):
    """The four members, fresh for each test, on each database in turn."""
    if store_url.startswith("sqlite"):
        built = built_on_sqlite(request.getfixturevalue("built_once"), request.getfixturevalue("tmp_path_factory"))
        return copied(built, tmp_path / "catalogue")
    return build_catalogue(tmp_path, store_url)


@pytest.fixture
def store(catalogue):
    with Store(catalogue.store_url) as opened:
        yield opened


@pytest.fixture
def client(catalogue):
    return create_app(catalogue, retry_quarantined=web_retry(catalogue)).test_client()


def token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def login(client, username="anna", password=PASSWORD):
    form = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf_token": token(form), "username": username, "password": password})


def post(client, path: str, data: dict | None = None, follow: bool = False):
    """A staff form POST with the session's CSRF token, as the browser sends it."""
    return client.post(path, data={"csrf_token": token(client.get("/staff/")), **(data or {})},
                       follow_redirects=follow)


def html(response) -> str:
    return response.get_data(as_text=True)


def cluster_of(store, record_id: str) -> str:
    return store.resolve_cluster(record_id)


def memberships(store) -> list[list[str]]:
    return sorted(sorted(f"{s}:{local}" for s, local in members) for _cid, members in store.export_clusters())


def form_token(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', html(page)).group(1)


@pytest.mark.databases("sqlite")
def test_the_workspace_home_shows_who_is_signed_in_and_what_needs_attention(client, store):
    assert client.get("/staff/").status_code == 302                     # not signed in: to the login page
    assert login(client).headers["Location"].endswith("/staff/")
    home = html(client.get("/staff/"))
    assert "Signed in as anna" in home and "Sign out" in home
    quarantined = len(store.quarantined())
    assert quarantined > 0 and f'data-count="quarantine">{quarantined}<' in home     # delta's unreadable records
    assert re.search(r'data-count="duplicates">0<', home) and re.search(r'data-count="queued">0<', home)
    assert 'href="/staff/health">Harvest health</a>' in home           # the operator's health page
    cluster = cluster_of(store, "alpha:20203738")
    record = html(client.get(f"/record/{cluster}"))
    assert "Signed in as anna" in record and f'href="/staff/record/{cluster}">Staff view</a>' in record
    post(client, "/staff/logout")
    assert "Staff view" not in html(client.get(f"/record/{cluster}"))
    assert "Signed in as" not in html(client.get("/"))


@pytest.mark.databases("sqlite")
def test_staff_search_finds_a_cluster_by_record_id_identifier_and_title(client, store):
    login(client)
    cluster = cluster_of(store, "beta:20203738")
    for query in ("q=beta:20203738&by=record", "q=beta:20203738", "q=9789127108509&by=identifier",
                  "q=polisbilen&by=title"):
        page = client.get(f"/staff/search?{query}")
        assert page.status_code == 200 and f'data-cluster="{cluster}"' in html(page), query
    assert "0 clusters found" in html(client.get("/staff/search?q=nope:1&by=record"))
    assert client.get("/staff/search?q=%22unclosed&by=title").status_code in (200, 400)     # never a 500


@pytest.mark.databases("sqlite")
def test_merge_candidates_found_from_a_cluster_lead_to_a_merge_preview(client, store):
    login(client)
    polisbilen = cluster_of(store, "alpha:20203738")
    gamma_record = next(r.public_id for r in store.records(source="gamma"))
    gamma = cluster_of(store, gamma_record)
    page = html(client.get(f"/staff/record/{polisbilen}?q={gamma_record}&by=record"))
    assert "1 candidate" in page and f"/staff/preview/merge?a={polisbilen}&amp;b={gamma}" in page
    itself = html(client.get(f"/staff/record/{polisbilen}?q=alpha:20203738&by=record"))
    assert "0 candidates" in itself                                       # the cluster is no candidate for itself
    by_title = html(client.get(f"/staff/record/{polisbilen}?q=polisbilen&by=title"))
    assert "0 candidates" in by_title and f'data-cluster="{polisbilen}"' not in by_title


def test_a_merge_is_previewed_confirmed_with_an_override_listed_in_the_history_and_undone(client, store):
    login(client)
    polisbilen = cluster_of(store, "alpha:20203738")
    gamma_record = next(r.public_id for r in store.records(source="gamma"))
    gamma = cluster_of(store, gamma_record)
    before = memberships(store)
    preview = client.get(f"/staff/preview/merge?a={polisbilen}&b={gamma_record}")
    assert preview.status_code == 200 and memberships(store) == before  # a preview changes nothing
    assert "Before" in html(preview) and "After" in html(preview) and gamma_record in html(preview)
    assert 'name="override"' in html(preview)                            # a Libris book and a Duke book break rules
    refused = post(client, "/staff/confirm", {"token": form_token(preview), "note": ""})
    assert refused.status_code == 400 and "tick the override" in html(refused) and memberships(store) == before
    done = post(client, "/staff/confirm", {"token": form_token(preview), "override": "1", "note": "one work, checked"})
    assert done.status_code == 302 and "Saved." in html(client.get(done.headers["Location"]))
    assert sorted(POLISBILEN + [gamma_record]) in memberships(store)
    assert client.get(f"/record/{gamma}").status_code == 301             # the merged-away id redirects
    cluster_page = html(client.get(f"/staff/record/{polisbilen}"))
    assert "one work, checked" in cluster_page and re.search(r'data-decision="(\d+)" data-kind="merge"', cluster_page)
    decision = re.search(r'data-decision="(\d+)" data-kind="merge"', cluster_page).group(1)
    assert f'data-decision="{decision}"' in html(client.get("/staff/history?by=anna"))
    rows = list(csv.DictReader(io.StringIO(html(client.get("/staff/history.csv?by=anna")))))
    assert [(r["id"], r["kind"], r["made_by"], r["note"]) for r in rows] == [(decision, "merge", "anna", "one work, checked")]
    undone = post(client, f"/staff/undo/{decision}", {"note": "not one work after all"})
    assert undone.status_code == 302 and memberships(store) == before
    assert client.get(f"/record/{gamma}").status_code == 200             # its permalink is its own again
    assert 'data-kind="undo"' in html(client.get(f"/staff/record/{polisbilen}"))


@pytest.mark.databases("sqlite")
def test_a_confirm_after_the_clusters_changed_is_refused_with_the_fresh_preview(client, store):
    login(client)
    gamma_record = next(r.public_id for r in store.records(source="gamma"))
    preview = client.get(f"/staff/preview/merge?a=alpha:20203738&b={gamma_record}")
    stale_token = form_token(preview)
    other = create_app(client.application.extensions["unioncat"]["config"]).test_client()
    login(other)                                  # another librarian splits beta out meanwhile
    assert post(other, "/staff/confirm", {"token": form_token(other.get("/staff/preview/split?record=beta:20203738"))}
                ).status_code == 302
    after_other = memberships(store)
    refused = post(client, "/staff/confirm", {"token": stale_token, "override": "1", "note": "checked"})
    assert refused.status_code == 409 and "changed since the preview" in html(refused)
    assert form_token(refused) != stale_token and memberships(store) == after_other
    assert "beta:20203738" not in html(refused).split('id="after-heading"')[1].split("</section>")[0]


@pytest.mark.databases("sqlite")
def test_a_correction_confirmed_while_a_run_holds_the_writer_lease_is_queued(client, store, catalogue):
    login(client)
    preview = client.get("/staff/preview/split?record=beta:20203738")
    before = memberships(store)
    with Store(catalogue.store_url) as nightly, nightly.lease(WRITER, "nightly run", expiry=60):
        queued = post(client, "/staff/confirm", {"token": form_token(preview), "note": "two printings"}, follow=True)
        assert "Queued behind tonight&#39;s run: the correction is saved" in html(queued)      # the flash
        assert memberships(store) == before
        assert re.search(r'data-count="queued">1<', html(client.get("/staff/")))      # still held: stays queued
    home = html(client.get("/staff/"))                                       # the lease is free: applied now
    assert "1 queued correction was applied." in home and re.search(r'data-count="queued">0<', home)
    assert ["beta:20203738"] in memberships(store)


def test_a_member_scoped_cataloguer_posting_a_correction_of_another_members_records_gets_403(client, store):
    login(client, "carl")
    before = memberships(store)
    split_beta = preview_split(store, "beta:20203738").token               # beta's record moves: not carl's
    page = client.get("/staff/preview/split?record=beta:20203738")
    assert "may not make this correction" in html(page) and 'name="token"' not in html(page)
    refused = post(client, "/staff/confirm", {"token": split_beta, "note": "forged"})
    assert refused.status_code == 403 and "Not allowed" in html(refused) and memberships(store) == before
    gamma_record = next(r.public_id for r in store.records(source="gamma"))
    merge_gamma = preview_merge(store, "alpha:20203738", gamma_record).token   # gamma's record moves: carl's
    assert post(client, "/staff/confirm", {"token": merge_gamma, "override": "1", "note": "ok"}).status_code == 302
    split = confirm(store, preview_split(store, "beta:20203738"), Account("anna"), "two printings")  # anna's
    after_anna = memberships(store)
    assert post(client, f"/staff/undo/{split.decision_id}", {"note": "forged"}).status_code == 403
    assert memberships(store) == after_anna
    assert client.get("/staff/accounts").status_code == 403
    assert post(client, "/staff/accounts", {"username": "eve", "password": "x" * 12, "role": "administrator"}).status_code == 403
    assert "Niedozwolone" in html(client.get("/staff/accounts?lang=pl"))   # the 403 page is translated


@pytest.mark.databases("sqlite")
def test_possible_duplicates_show_their_evidence_and_can_be_dismissed_or_merged(client, store):
    login(client)
    alpha, gamma = store.record_by_public_id("alpha:20203738"), next(store.records(source="gamma"))
    store.save_near_misses([], [NearMissPair(min(alpha.id, gamma.id), max(alpha.id, gamma.id), "one-veto", 71.5,
                                             {"reasons": ["title similarity 0.93"], "vetoes": ["years far apart"]})])
    queue = html(client.get("/staff/queues/duplicates"))
    assert "title similarity 0.93" in queue and "years far apart" in queue and "kept apart by one veto" in queue
    assert re.search(r'data-count="duplicates">1<', html(client.get("/staff/")))
    near_miss = re.search(r'data-near-miss="(\d+)"', queue).group(1)
    assert f"near_miss={near_miss}" in queue and "/staff/compare?a=" in queue
    dismissed = post(client, f"/staff/queues/duplicates/{near_miss}/dismiss", follow=True)
    assert "stay apart" in html(dismissed) and "Nothing to review." in html(dismissed)
    assert post(client, "/staff/queues/duplicates/999999/dismiss").status_code == 404


@pytest.mark.databases("sqlite")
def test_suspicious_clusters_are_listed_with_their_reasons(client, store):
    login(client)
    cluster = cluster_of(store, "alpha:20203738")
    store.save_suspicious([], {cluster: [{"rule": "years-apart", "records": POLISBILEN, "detail": "1971 and 1995"}]})
    page = html(client.get("/staff/queues/suspicious"))
    assert f'href="/staff/record/{cluster}"' in page and "years are far apart" in page and "1971 and 1995" in page


@pytest.mark.databases("sqlite")
def test_quarantined_records_show_their_reason_and_a_retry_that_reads_them_again(client, store, catalogue):
    login(client)
    good = next(store.records(source="gamma"))
    store.write_page([], [QuarantineItem("delta", "simulated reader fault", "kept#1", None, good.local_id, good.raw,
                                         good.raw_format)])
    entries = {q.position: q for q in store.quarantined("delta")}
    page = html(client.get("/staff/queues/quarantine"))
    assert "simulated reader fault" in page and all(f'data-entry="{q.id}"' in page for q in entries.values())
    kept = entries["kept#1"].id
    retried = post(client, f"/staff/queues/quarantine/{kept}/retry", follow=True)
    assert "left the quarantine" in html(retried) and kept not in {q.id for q in store.quarantined()}
    assert store.record_by_public_id(f"delta:{good.local_id}") is not None
    unreadable = next(q.id for position, q in entries.items() if position != "kept#1")
    still = post(client, f"/staff/queues/quarantine/{unreadable}/retry", follow=True)
    assert "still cannot be read" in html(still) and unreadable in {q.id for q in store.quarantined()}
    without = create_app(catalogue).test_client()                        # no harvester handed in: no button
    login(without)
    assert "unioncat quarantine retry" in html(without.get("/staff/queues/quarantine"))


@pytest.mark.databases("sqlite")
def test_two_members_side_by_side_align_fields_by_tag_with_differences_and_evidence(client, store):
    login(client)
    page = client.get("/staff/compare?a=alpha:20203738&b=beta:20203738")
    text = html(page)
    assert page.status_code == 200 and "shared isbn:9789127108509" in text.split('class="for"')[1].split("</ul>")[0]
    gamma = html(client.get(f"/staff/compare?a=alpha:20203738&b={next(store.records(source='gamma')).public_id}"))
    assert "different authors" in gamma.split('class="against"')[1].split("</ul>")[0]      # evidence against
    rows = re.findall(r'<tr class="(same|differs)">\s*<th scope="row">(\w+)', text)
    assert ("same", "245") in rows or ("differs", "245") in rows
    assert {kind for kind, _tag in rows} == {"same", "differs"}
    assert client.get("/staff/compare?a=alpha:20203738&b=nope:1").status_code == 404


@pytest.mark.databases("sqlite")
def test_an_account_changes_its_own_password_and_its_other_sessions_end(client, catalogue):
    login(client)
    elsewhere = create_app(catalogue).test_client()
    login(elsewhere)
    form = {"current_password": "wrong", "new_password": "new secret 1", "repeat_password": "new secret 1"}
    assert post(client, "/staff/password", form).status_code == 400
    assert post(client, "/staff/password", {**form, "current_password": PASSWORD, "repeat_password": "x"}).status_code == 400
    changed = post(client, "/staff/password", {**form, "current_password": PASSWORD}, follow=True)
    assert "Your password was changed" in html(changed)
    assert client.get("/staff/").status_code == 200 and elsewhere.get("/staff/").status_code == 302
    assert login(elsewhere, password=PASSWORD).status_code == 401
    assert login(elsewhere, password="new secret 1").status_code == 302


@pytest.mark.databases("sqlite")
def test_administrators_manage_accounts_in_the_web(client, store):
    login(client)
    created = post(client, "/staff/accounts", {"username": "dora", "password": "long enough", "role": "cataloguer",
                                               "member": "beta"}, follow=True)
    assert "Account dora created." in html(created)
    account = store.staff_account("dora")
    assert (account.role, account.member) == ("cataloguer", "beta")
    assert post(client, "/staff/accounts", {"username": "dora", "password": "long enough", "role": "cataloguer"}).status_code == 400
    assert post(client, "/staff/accounts", {"username": "x y", "password": "long enough", "role": "cataloguer"}).status_code == 400
    assert post(client, "/staff/accounts", {"username": "eve", "password": "long enough", "role": "cataloguer",
                                            "member": "nope"}).status_code == 400
    post(client, "/staff/accounts/dora/role", {"role": "administrator", "member": ""})
    assert store.staff_account("dora").administrator and store.staff_account("dora").member is None
    assert post(client, "/staff/accounts/anna/role", {"role": "cataloguer"}).status_code == 400   # not oneself
    assert post(client, "/staff/accounts/anna/remove").status_code == 400
    assert post(client, "/staff/accounts/dora/remove").status_code == 302 and store.staff_account("dora") is None
    assert post(client, "/staff/accounts/dora/remove").status_code == 404


@pytest.mark.databases("sqlite")
def test_every_staff_form_post_needs_the_csrf_token(client, store):
    login(client)
    paths = ["/staff/confirm", "/staff/undo/1", "/staff/queues/duplicates/1/dismiss", "/staff/queues/quarantine/1/retry",
             "/staff/accounts", "/staff/accounts/anna/role", "/staff/accounts/anna/remove", "/staff/password",
             "/staff/logout", "/staff/marks", f"/staff/record/{cluster_of(store, 'alpha:20203738')}/split"]
    for path in paths:
        refused = client.post(path, data={"note": "x"})
        assert refused.status_code == 400 and "did not come from this site" in html(refused), path


@pytest.mark.databases("sqlite")
def test_staff_pages_never_answer_500_to_bad_input(client):
    login(client)
    for path in ("/staff/preview/merge?a=nope:1&b=nope:2", "/staff/preview/split?record=", "/staff/compare",
                 "/staff/queues/duplicates?page=abc", "/staff/history?by=%00", "/staff/record/nope",
                 "/staff/search?q=" + "x" * 5000):
        assert client.get(path).status_code in (200, 400, 404), path
    assert post(client, "/staff/confirm", {"token": "not-a-token"}).status_code == 400
    assert post(client, "/staff/undo/999999").status_code == 400


@pytest.mark.databases("sqlite")
def test_a_refused_correction_says_why_in_the_interface_language(client, store):
    login(client)
    cluster = cluster_of(store, "alpha:20203738")
    polish = client.get(f"/staff/preview/merge?a=alpha:20203738&b={cluster}&lang=pl")
    assert polish.status_code == 400 and f"alpha:20203738 i {cluster} są już jednym klastrem" in html(polish)
    client.get("/staff/?lang=sv")
    assert "Det här är ingen korrigeringstoken" in html(post(client, "/staff/confirm", {"token": "not-a-token"}))
    client.get("/staff/?lang=nb")
    form = {"scheme": "isbn", "value": "9789127108509", "action": "mark", "note": "", "back": f"/staff/record/{cluster}"}
    assert "Skriv hvorfor i notatet." in html(post(client, "/staff/marks", form, follow=True))


@pytest.mark.databases("sqlite")
def test_an_identifier_is_marked_as_not_identifying_from_the_cluster_and_the_mark_is_in_the_history(client, store):
    login(client)
    cluster = cluster_of(store, "alpha:20203738")
    page = html(client.get(f"/staff/record/{cluster}"))
    assert 'data-identifier="isbn:9789127108509"' in page and "Mark as not identifying" in page
    form = {"scheme": "isbn", "value": "9789127108509", "action": "mark", "back": f"/staff/record/{cluster}"}
    assert "Not saved" in html(post(client, "/staff/marks", {**form, "note": ""}, follow=True))      # a note is needed
    done = post(client, "/staff/marks", {**form, "note": "printed on the whole series"}, follow=True)
    assert "no longer counts as evidence" in html(done) and ("isbn", "9789127108509") in store.identifier_marks()
    assert "marked as not identifying" in html(done) and "Take the mark back" in html(done)
    assert "printed on the whole series" in html(client.get("/staff/history?by=anna"))
    carl = create_app(client.application.extensions["unioncat"]["config"]).test_client()
    login(carl, "carl")
    assert post(carl, "/staff/marks", {**form, "action": "unmark", "note": "no"}).status_code == 403
    assert ("isbn", "9789127108509") in store.identifier_marks()


@pytest.mark.databases("sqlite")
def test_an_undo_after_other_changes_to_its_clusters_is_previewed_before_it_is_made(client, store):
    login(client)
    gamma_record = next(r.public_id for r in store.records(source="gamma"))
    merged = post(client, "/staff/confirm", {"token": form_token(client.get(
        f"/staff/preview/merge?a=alpha:20203738&b={gamma_record}")), "override": "1", "note": "one work"})
    assert merged.status_code == 302
    [decision] = [d.id for d in store.decisions() if d.kind == "merge"]
    assert post(client, "/staff/confirm", {"token": form_token(client.get(
        "/staff/preview/split?record=beta:20203738"))}).status_code == 302          # something else changes it
    after_split = memberships(store)
    undo = post(client, f"/staff/undo/{decision}", {"note": "not one work"})
    assert undo.status_code == 200 and "Preview of an undo" in html(undo) and "Other changes touched" in html(undo)
    assert memberships(store) == after_split                                        # previewed, not made
    done = post(client, "/staff/confirm", {"token": form_token(undo), "note": "not one work"}, follow=True)
    assert "Saved." in html(done) and ["alpha:20203738"] in memberships(store) and [gamma_record] in memberships(store)
