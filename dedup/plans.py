"""Plans of corrections: the preview a librarian sees and the cluster change that does exactly it.

`plan(store, request)` computes both from what the store holds now, so that
previewing and applying are one path. Only the involved clusters are read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dedup.clusterer import new_id_candidates
from dedup.preview import Broken, ClusterSide, Move, Preview, Request, state_token
from dedup.reasons import sentence
from dedup.rules import broken_rules
from store import ClusterChange, ClusterPlan, Decision, Store
from store.records import StoredRecord


class PlanError(Exception):
    """Nothing sensible to do (unknown id, already together, alone already): `reason` is a key of
    `dedup.reasons.REASONS` and `params` fill its sentence, which is the message."""

    def __init__(self, reason: str, **params):
        super().__init__(sentence(reason, params))
        self.reason, self.params = reason, params


@dataclass
class Plan:
    """A preview, the cluster change that does it, and the two sides the decision will name."""

    preview: Preview
    change: ClusterChange
    side_a: list[str]
    side_b: list[str]


@dataclass
class _Cluster:
    id: str
    members: dict[str, tuple[StoredRecord, dict]]     # public id -> (record, evidence)

    @property
    def ids(self) -> list[str]:
        return sorted(self.members)


def plan(store: Store, request: Request, *, several_per_cluster: frozenset[str] = frozenset()) -> Plan:
    """The plan for a request (`dedup.preview.read_token`), computed on the store as it is now."""
    if request.kind == "merge":
        return plan_merge(store, request.asked[0], request.asked[1], several_per_cluster=several_per_cluster)
    if request.kind == "split":
        return plan_split(store, request.asked[0])
    decision = store.decision(request.undoes) if request.undoes is not None else None
    if decision is None:
        raise PlanError("no-decision", decision=request.undoes)
    return plan_undo(store, decision, several_per_cluster=several_per_cluster)[0]


def plan_merge(store: Store, first: str, second: str, *, several_per_cluster: frozenset[str] = frozenset()) -> Plan:
    """Merge the cluster of `second` into the cluster of `first` (the first keeps its id, the second redirects)."""
    several_per_cluster = frozenset(several_per_cluster or ())
    a, b = _resolve(store, first), _resolve(store, second)
    if a == b:
        raise PlanError("already-together", first=first, second=second, cluster=a)
    ca, cb = _load(store, a), _load(store, b)
    broken = broken_rules(_records(ca), _records(cb), several_per_cluster=several_per_cluster, marks=store.identifier_marks())
    after = _joined(ca, cb)
    preview = Preview("merge", [first, second], [_side(ca), _side(cb)], [_side(after)],
                      [Move(pid, b, a) for pid in cb.ids], broken, _state(ca, cb), redirects={b: a})
    return Plan(preview, _change([after], redirects={b: a}), ca.ids, cb.ids)


def plan_split(store: Store, record_id: str) -> Plan:
    """Take `record_id` out of its cluster into a cluster of its own; the rest keeps the id."""
    cid = store.resolve_cluster(record_id) if ":" in record_id else None
    if cid is None:
        raise PlanError("no-record", record=record_id)
    cluster = _load(store, cid)
    if record_id not in cluster.members:
        raise PlanError("no-record", record=record_id)
    if len(cluster.members) == 1:
        raise PlanError("already-alone", record=record_id, cluster=cid)
    new_id = _free_id(store, record_id, {cid})
    alone = _Cluster(new_id, {record_id: (cluster.members[record_id][0], {"matched": []})})
    rest = _Cluster(cid, {pid: (stored, _without(evidence, record_id)) for pid, (stored, evidence) in cluster.members.items()
                          if pid != record_id})
    preview = Preview("split", [record_id], [_side(cluster)], [_side(rest), _side(alone)],
                      [Move(record_id, cid, new_id)], [], _state(cluster))
    return Plan(preview, _change([rest, alone]), [record_id], rest.ids)


def plan_undo(store: Store, decision: Decision, *, several_per_cluster: frozenset[str] = frozenset()) -> tuple[Plan, bool]:
    """Undo `decision` on the clusters as they are now; True with it when they are exactly as the decision
    left them (the undo then restores the earlier state exactly)."""
    if decision.kind == "undo":
        raise PlanError("undo-of-undo", decision=decision.id)
    if decision.kind not in ("merge", "split"):
        raise PlanError("undo-of-mark", decision=decision.id)
    if decision.undone_at is not None:
        raise PlanError("undone-already", decision=decision.id, by=decision.undone_by)
    if decision.status != "applied":
        raise PlanError("not-applied", decision=decision.id, status=decision.status)
    recorded = Preview.from_json(decision.preview) if decision.preview else None
    if decision.kind == "merge":
        made = _undo_merge(store, decision, recorded, several_per_cluster)
    else:
        made = _undo_split(store, decision, several_per_cluster)
    made.preview.asked, made.preview.undoes = [str(decision.id)], decision.id
    exact = recorded is not None and _as_left(store, recorded)
    return made, exact


def _undo_merge(store: Store, decision: Decision, recorded: Preview | None, several: frozenset[str]) -> Plan:
    """The records of the merged-in side leave the cluster they now share with the other side, into the
    merged-away cluster's id when it is free."""
    target = _majority(store, decision.side_a)
    if target is None:
        raise PlanError("records-gone", decision=decision.id)
    cluster = _load(store, target)
    leaving = {pid: value for pid, value in cluster.members.items() if pid in set(decision.side_b)}
    if not leaving or len(leaving) == len(cluster.members):
        raise PlanError("no-longer-together", decision=decision.id)
    wanted = recorded.before[1].id if recorded is not None and len(recorded.before) > 1 else None
    free = wanted is not None and not store.alive_cluster_ids([wanted])
    back_id = wanted if free else _free_id(store, sorted(leaving)[0], {target})
    stays = _Cluster(target, {pid: (s, _without_all(ev, leaving)) for pid, (s, ev) in cluster.members.items()
                              if pid not in leaving})
    back = _Cluster(back_id, {pid: (s, _without_all(ev, stays.members)) for pid, (s, ev) in leaving.items()})
    preview = Preview("undo", [], [_side(cluster)], [_side(stays), _side(back)],
                      [Move(pid, target, back_id) for pid in sorted(leaving)], [], _state(cluster),
                      restored=[back_id] if free else [])
    return Plan(preview, _change([stays, back]), decision.side_a, decision.side_b)


def _undo_split(store: Store, decision: Decision, several: frozenset[str]) -> Plan:
    """The record split out joins the cluster that holds most of the records it was split from."""
    record = decision.side_a[0]
    own, target = _resolve(store, record), _majority(store, decision.side_b)
    if target is None or own == target:
        raise PlanError("together-again", record=record, decision=decision.id)
    ca, cb = _load(store, own), _load(store, target)
    moving = {record: ca.members[record]}
    broken = broken_rules({record: moving[record][0].record}, _records(cb), several_per_cluster=several,
                          marks=store.identifier_marks())
    joined = _joined(cb, _Cluster(own, moving))
    rest = _Cluster(own, {pid: v for pid, v in ca.members.items() if pid != record})
    after = [joined] + ([rest] if rest.members else [])
    preview = Preview("undo", [], [_side(ca), _side(cb)], [_side(c) for c in after], [Move(record, own, target)],
                      broken, _state(ca, cb))
    return Plan(preview, _change(after, retired=set() if rest.members else {own}), decision.side_a, decision.side_b)


def _as_left(store: Store, recorded: Preview) -> bool:
    """True when the clusters a decision left are exactly as it left them."""
    return all(sorted(store.member_public_ids(side.id)) == sorted(side.members) for side in recorded.after)


def _resolve(store: Store, any_id: str) -> str:
    cid = store.resolve_cluster(any_id)
    if cid is None:
        raise PlanError("no-cluster-or-record", id=any_id)
    return cid


def _majority(store: Store, public_ids: list[str]) -> str | None:
    counts = Counter(cid for cid in (store.resolve_cluster(pid) for pid in public_ids) if cid is not None)
    return min(counts, key=lambda cid: (-counts[cid], cid)) if counts else None


def _load(store: Store, cluster_id: str) -> _Cluster:
    return _Cluster(cluster_id, {stored.public_id: (stored, evidence) for stored, evidence in store.cluster_members(cluster_id)})


def _records(cluster: _Cluster) -> dict:
    return {pid: stored.record for pid, (stored, _ev) in cluster.members.items() if stored.record is not None}


def _joined(target: _Cluster, other: _Cluster) -> _Cluster:
    """`target` with `other`'s records, each noting the librarian's merge as evidence."""
    anchor = target.ids[0]
    members = dict(target.members)
    for pid, (stored, evidence) in other.members.items():
        matched = [m for m in evidence.get("matched", []) if m.get("with") != anchor]
        members[pid] = (stored, {**evidence, "matched": matched + [{"rule": "librarian-merge", "with": anchor}]})
    return _Cluster(target.id, members)


def _without(evidence: dict, record: str) -> dict:
    return _without_all(evidence, {record})


def _without_all(evidence: dict, records) -> dict:
    return {**evidence, "matched": [m for m in evidence.get("matched", []) if m.get("with") not in records]}


def _side(cluster: _Cluster) -> ClusterSide:
    return ClusterSide(cluster.id, cluster.ids)


def _state(*clusters: _Cluster) -> str:
    return state_token({c.id: c.ids for c in clusters})


def _free_id(store: Store, seed: str, taken: set[str]) -> str:
    candidates = new_id_candidates(seed)
    alive = store.alive_cluster_ids(candidates) | taken
    return next(c for c in candidates if c not in alive)


def _change(clusters: list[_Cluster], *, redirects: dict[str, str] | None = None, retired: set[str] = frozenset()) -> ClusterChange:
    plans = [ClusterPlan(c.id, {stored.id: evidence for stored, evidence in c.members.values()}) for c in clusters]
    return ClusterChange(plans, redirects=redirects or {}, retired=set(retired))


__all__ = ["Broken", "Plan", "PlanError", "plan", "plan_merge", "plan_split", "plan_undo"]
