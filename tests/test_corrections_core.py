"""Corrections librarians can trust (issue 13): previews, rules, overrides, stale confirms, undo, identifier
marks, member-scoped permissions, queued corrections, near misses; on the demo's records, on both databases."""

from __future__ import annotations

import pytest

from dedup import (
    NotPermitted, RulesBroken, StaleCorrection, UndoNeedsConfirmation, apply_queued, apply_queued_if_free, confirm, history, history_csv,
    mark_not_identifying, may_correct, preview_merge, preview_split, run_dedup, undo, unmark_not_identifying,
)
from store import WRITER, Account, Store
from tests.corrections_data import BOOK, NOVEL, clone, fill_demo

ADMIN = Account("anna")
BOOK_ID, NOVEL_ID = "cb1a49bd571", "cbec9cde0e0"


@pytest.fixture
def demo(store):
    """The demo's big-data book (5 members) and Norwegian novel (4 members), clustered as the demo does."""
    fill_demo(store)
    run_dedup(store)
    assert members(store, BOOK_ID) == sorted(BOOK) and members(store, NOVEL_ID) == sorted(NOVEL)
    return store


def members(store: Store, any_id: str) -> list[str]:
    cluster = store.resolve_cluster(any_id)
    return sorted(store.member_public_ids(cluster)) if cluster else []


def snapshot(store: Store) -> dict[str, list[str]]:
    """Every live cluster's members, and where the two demo ids lead."""
    out = {cid: sorted(store.member_public_ids(cid)) for cid in store.cluster_ids()}
    out["resolves"] = [store.resolve_cluster(BOOK_ID), store.resolve_cluster(NOVEL_ID)]
    return out


def test_issue_13_merging_a_book_with_a_novel_shows_the_rules_it_breaks_and_is_refused_without_override(demo):
    """Regression (issue 13): the merge printed success, put two records of one member in a cluster and
    shuffled the books' records across two clusters."""
    before = snapshot(demo)
    preview = preview_merge(demo, BOOK_ID, NOVEL_ID, ADMIN)
    assert preview.rules_broken == ["conflicting-identifiers", "same-member", "years-apart"]
    same_member = next(b for b in preview.broken if b.rule == "same-member")
    assert {"deichman:1337437", "deichman:1217081"} <= set(same_member.records)
    assert [side.members for side in preview.after] == [sorted(BOOK + NOVEL)]
    assert sorted(m.record for m in preview.moves) == sorted(NOVEL) and preview.redirects == {NOVEL_ID: BOOK_ID}
    with pytest.raises(RulesBroken, match="override"):
        confirm(demo, preview, ADMIN)
    assert snapshot(demo) == before and demo.decisions() == []


def test_issue_13_a_split_then_a_merge_back_joins_the_record_into_the_target_cluster(demo):
    """Regression (issue 13): after the split, merging the record back left it out and pulled Duke's out."""
    split = confirm(demo, preview_split(demo, "deichman:1337437", ADMIN), ADMIN, "checking")
    assert members(demo, "deichman:1337437") == ["deichman:1337437"]
    assert members(demo, BOOK_ID) == sorted(set(BOOK) - {"deichman:1337437"})
    merge = confirm(demo, preview_merge(demo, BOOK_ID, "deichman:1337437", ADMIN), ADMIN, "it was right")
    assert merge.message == f"merged into cluster {BOOK_ID}"
    assert members(demo, BOOK_ID) == sorted(BOOK) and demo.resolve_cluster(split.preview.moves[0].after) == BOOK_ID
    run_dedup(demo, full=True)                       # later runs: the later merge beats the earlier split
    assert members(demo, BOOK_ID) == sorted(BOOK) and members(demo, NOVEL_ID) == sorted(NOVEL)


def test_an_override_needs_a_note_and_then_gives_exactly_the_preview_which_later_runs_keep(demo):
    preview = preview_merge(demo, BOOK_ID, NOVEL_ID, ADMIN)
    with pytest.raises(RulesBroken, match="note"):
        confirm(demo, preview.token, ADMIN, "  ", override=True)
    outcome = confirm(demo, preview.token, ADMIN, "one shelf for the book club", override=True)
    assert outcome.status == "applied" and outcome.preview == preview
    assert {cid: members(demo, cid) for cid in [BOOK_ID]} == {s.id: s.members for s in preview.after}
    assert demo.resolve_cluster(NOVEL_ID) == BOOK_ID
    [entry] = history(demo, cluster=BOOK_ID)
    assert (entry.kind, entry.made_by, entry.note, entry.override) == ("merge", "anna", "one shelf for the book club", True)
    assert entry.rules_broken == preview.rules_broken and sorted(entry.moved) == sorted(NOVEL)
    run_dedup(demo, full=True)
    assert members(demo, BOOK_ID) == sorted(BOOK + NOVEL)


def test_a_confirm_is_refused_with_a_fresh_preview_when_a_cluster_changed_after_its_preview(demo):
    shown = preview_merge(demo, BOOK_ID, NOVEL_ID, ADMIN)
    confirm(demo, preview_split(demo, "unc:802691530", ADMIN), ADMIN, "meanwhile, another librarian")
    with pytest.raises(StaleCorrection) as refused:
        confirm(demo, shown.token, ADMIN, "as shown", override=True)
    fresh = refused.value.preview
    assert fresh.state != shown.state and "unc:802691530" not in fresh.after[0].members
    assert demo.resolve_cluster(NOVEL_ID) == NOVEL_ID and len(demo.decisions()) == 1
    confirm(demo, fresh.token, ADMIN, "as shown now", override=True)
    assert members(demo, BOOK_ID) == sorted(set(BOOK + NOVEL) - {"unc:802691530"})


def test_undo_restores_the_clusters_and_the_merged_away_permalink_exactly_and_is_recorded(demo):
    before = snapshot(demo)
    merged = confirm(demo, preview_merge(demo, BOOK_ID, NOVEL_ID, ADMIN), ADMIN, "test", override=True)
    assert demo.resolve_cluster(NOVEL_ID) == BOOK_ID
    undone = undo(demo, merged.decision_id, Account("bo"), "wrong after all")
    assert undone.status == "applied" and snapshot(demo) == before
    assert demo.alive_cluster_ids([NOVEL_ID]) == {NOVEL_ID}
    entries = history(demo, by="bo")
    assert [(e.kind, e.undoes) for e in entries] == [("undo", merged.decision_id)]
    assert demo.decision(merged.decision_id).undone_by == "bo"
    run_dedup(demo, full=True)                       # an undone merge no longer counts
    assert snapshot(demo) == before
    split = confirm(demo, preview_split(demo, "duke:9931644444740108501", ADMIN), ADMIN, "test")
    undo(demo, split.decision_id, ADMIN)
    assert snapshot(demo) == before


def test_undo_of_a_decision_whose_clusters_changed_since_is_previewed_and_confirmed_like_any_correction(demo):
    merged = confirm(demo, preview_merge(demo, BOOK_ID, NOVEL_ID, ADMIN), ADMIN, "test", override=True)
    confirm(demo, preview_split(demo, "ncsu:ocn802691530", ADMIN), ADMIN, "later, another change")
    with pytest.raises(UndoNeedsConfirmation) as asked:
        undo(demo, merged.decision_id, ADMIN)
    preview = asked.value.preview
    assert preview.kind == "undo" and sorted(preview.moved_records) == sorted(NOVEL) and preview.restored == [NOVEL_ID]
    assert demo.decision(merged.decision_id).undone_at is None          # nothing happened yet
    confirm(demo, preview.token, ADMIN, "undo anyway")
    assert members(demo, NOVEL_ID) == sorted(NOVEL) and demo.resolve_cluster(NOVEL_ID) == NOVEL_ID
    assert members(demo, BOOK_ID) == sorted(set(BOOK) - {"ncsu:ocn802691530"})
    assert members(demo, "ncsu:ocn802691530") == ["ncsu:ocn802691530"]


def test_an_identifier_marked_as_not_identifying_stops_a_merge_and_the_mark_is_in_the_history(store):
    # a series printed one ISBN on every volume: the next volume shares the big-data book's ISBN
    volume = clone("libris:13884869", "series", "v2", title="Small data", title_sort="Small data")
    volume.record.identifiers = [i for i in volume.record.identifiers if i.kind == "isbn"]
    fill_demo(store, [volume])
    run_dedup(store)
    assert "series:v2" in members(store, BOOK_ID)
    decision = mark_not_identifying(store, "isbn", "9780544002692", ADMIN, "printed on every volume")
    run_dedup(store)
    assert members(store, "series:v2") == ["series:v2"] and members(store, BOOK_ID) == sorted(BOOK)
    assert [(e.id, e.kind, e.records) for e in history(store, by="anna")] == [(decision, "mark", ["isbn:9780544002692"])]
    unmark_not_identifying(store, "isbn", "9780544002692", ADMIN, "a mistake")
    run_dedup(store)
    assert "series:v2" in members(store, BOOK_ID)


def test_a_member_scoped_cataloguer_may_correct_only_when_a_moved_record_is_their_members(demo):
    kari = Account("kari", "cataloguer", "unc")
    assert may_correct(kari, ["duke:1", "unc:2"]) and not may_correct(kari, ["duke:1"])
    assert may_correct(Account("root", "administrator", None), ["duke:1"])
    with pytest.raises(NotPermitted):
        confirm(demo, preview_split(demo, "duke:9931644444740108501", kari), kari, "not mine")
    with pytest.raises(NotPermitted):       # the novel's records move; none is unc's
        confirm(demo, preview_merge(demo, BOOK_ID, NOVEL_ID, kari), kari, "x", override=True)
    assert demo.decisions() == []
    confirm(demo, preview_split(demo, "unc:802691530", kari), kari, "ours")
    assert members(demo, "unc:802691530") == ["unc:802691530"]


def test_a_correction_confirmed_while_another_holds_the_writer_lease_is_queued_then_applied_once(demo, store_url):
    with Store(store_url) as nightly:
        taken, _ = nightly.try_lease(WRITER, "nightly", expiry=60)
        assert taken
        outcome = confirm(demo, preview_split(demo, "libris:13884869", ADMIN), ADMIN, "queued")
        assert outcome.status == "queued" and outcome.message == "queued behind tonight's run"
        assert "libris:13884869" in members(demo, BOOK_ID)              # stored, not applied
        assert [(d.status, d.note) for d in demo.queued_decisions()] == [("queued", "queued")]
        nightly.release_lease(WRITER)
        with nightly.lease(WRITER, "nightly, again", expiry=60):     # the holder's end applies the queue
            assert [o.decision_id for o in apply_queued(nightly)] == [outcome.decision_id]
            assert apply_queued(nightly) == []
    assert members(demo, "libris:13884869") == ["libris:13884869"]
    assert [d.status for d in demo.decisions()] == ["applied"]


def test_a_queued_correction_is_applied_by_the_next_request_that_finds_the_writer_lease_free(demo, store_url):
    with Store(store_url) as nightly:
        with nightly.lease(WRITER, "nightly", expiry=60):
            queued = confirm(demo, preview_split(demo, "libris:13884869", ADMIN), ADMIN, "queued")
            assert apply_queued_if_free(demo) == [] and demo.queued_decisions() != []     # still held
    assert [o.decision_id for o in apply_queued_if_free(demo)] == [queued.decision_id]
    assert members(demo, "libris:13884869") == ["libris:13884869"] and demo.leases() == []


def test_a_queued_correction_overtaken_while_it_waited_is_refused_with_its_reason_and_kept(demo, store_url):
    with Store(store_url) as nightly:
        with nightly.lease(WRITER, "nightly", expiry=60):
            queued = confirm(demo, preview_split(demo, "libris:13884869", ADMIN), ADMIN, "mine")
            # the lease's holder makes the same split itself meanwhile (it holds the lease: applied at once)
            confirm(nightly, preview_split(nightly, "libris:13884869", ADMIN), Account("bo"), "theirs")
            assert apply_queued(nightly) == []
    refused = demo.decision(queued.decision_id)
    assert (refused.status, refused.outcome) == ("refused", "libris:13884869 is already alone in its cluster "
                                                 + demo.resolve_cluster("libris:13884869"))
    assert [e.status for e in history(demo, record="libris:13884869")] == ["applied", "refused"]


def test_a_run_stores_the_near_misses_a_single_veto_kept_apart_and_the_suspicious_clusters_it_touched(store):
    later = clone("libris:13884869", "reprint", "r1", year=2016)          # the same ISBN, three years later
    fill_demo(store, [later])
    run_dedup(store)
    misses = store.near_misses()
    assert sorted({m.record_a, m.record_b} - {"reprint:r1"} for m in misses) == [{pid} for pid in sorted(BOOK)]
    assert {m.kind for m in misses} == {"one-veto"}
    assert all(m.evidence["vetoes"] == ["years 2013 and 2016 are far apart"] for m in misses)
    for miss in misses:
        assert store.review_near_miss(miss.id, "dismissed", "anna")
    run_dedup(store, full=True)                      # found again, and kept dismissed
    assert store.near_misses() == [] and len(store.near_misses("dismissed")) == len(BOOK)
    confirm(store, preview_merge(store, BOOK_ID, "reprint:r1", ADMIN), ADMIN, "a reprint", override=True)
    store.add_decision("merge", "libris:13884869", "reprint:r1", "anna")    # have the next run touch it
    run_dedup(store)
    [suspicious] = store.suspicious_clusters()
    assert suspicious.cluster_id == BOOK_ID and [r["rule"] for r in suspicious.reasons] == ["years-apart"]


def test_history_exports_as_csv(demo):
    confirm(demo, preview_split(demo, "libris:13884869", ADMIN), ADMIN, 'says "why", with a comma')
    lines = history_csv(history(demo)).splitlines()
    assert lines[0].startswith("id,kind,status,made_by,made_at,note,override,records,moved")
    assert lines[1].startswith('1,split,applied,anna,') and '"says ""why"", with a comma"' in lines[1]
