"""Librarians' corrections: merge, split, undo and identifier marks, previewed before they are done.

The contract (CLI and web call only these):

    preview_merge(store, a, b, account) -> Preview      a, b: cluster ids or `source:001`
    preview_split(store, record_id, account) -> Preview
    confirm(store, token_or_preview, account, note="", override=False) -> Outcome
    undo(store, decision_id, account, note="") -> Outcome   (UndoNeedsConfirmation: confirm its preview)
    apply_queued(store) -> list[Outcome]                 call while holding the writer lease
    may_correct(account, moved_records) -> bool
    mark_not_identifying(store, scheme, value, account, note) -> int (decision id)
    unmark_not_identifying(store, scheme, value, account, note) -> int

Preview and apply are one path: `confirm` recomputes the preview from the
request its token carries, refuses with `StaleCorrection` (carrying the fresh
preview) when any involved cluster changed since, refuses a preview that
breaks a rule unless `override` and a note are given (`RulesBroken`), checks
`may_correct` (`NotPermitted`), and then writes exactly the preview's
`after` clusters together with the decision. A decision names two sides of
records; every pair across them is kept together (merge) or apart (split) by
later dedup runs, and for each pair the latest decision counts. An undone
decision stops counting.

`confirm` takes the writer lease itself without waiting. When another process
holds it, the correction is stored at once as queued (`Outcome.status ==
"queued"`, "queued behind tonight's run") and `apply_queued`, called by
whoever next holds the lease, applies it: exactly its preview when nothing
changed meanwhile, else its request previewed afresh (refused and kept with
the reason when that breaks a rule the librarian did not override).
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.preview import Preview
from store import Account, Store


class CorrectionError(Exception):
    """A correction that cannot be made (unknown record or decision, nothing to do); the message says why."""


class StaleCorrection(CorrectionError):
    """A cluster involved changed after the preview was shown; `preview` is the fresh one to show instead."""

    def __init__(self, message: str, preview: Preview):
        super().__init__(message)
        self.preview = preview


class RulesBroken(CorrectionError):
    """The correction breaks rules (`preview.broken`) and needs `override=True` with a note."""

    def __init__(self, message: str, preview: Preview):
        super().__init__(message)
        self.preview = preview


class NotPermitted(CorrectionError):
    """The account may not make this correction (no moved record belongs to its member)."""


class UndoNeedsConfirmation(CorrectionError):
    """Something else changed the decision's clusters since: `preview` shows what the undo would do now;
    `confirm` it like any correction."""

    def __init__(self, message: str, preview: Preview):
        super().__init__(message)
        self.preview = preview


QUEUED_MESSAGE = "queued behind tonight's run"


@dataclass
class Outcome:
    """What a confirmed correction came to: its decision, `applied` or `queued`, and the preview it follows."""

    decision_id: int
    status: str
    preview: Preview
    message: str


def may_correct(account: Account, moved_records: list[str]) -> bool:
    """Administrators and unscoped accounts always; a member-scoped account only when at least one moved
    record (`source:001`) belongs to its member."""
    if account.administrator or not account.member:
        return True
    return any(record.partition(":")[0] == account.member for record in moved_records)


def preview_merge(store: Store, a: str, b: str, account: Account | None = None) -> Preview:
    """What merging the cluster of `b` into the cluster of `a` would do (ids of clusters or `source:001`)."""
    raise NotImplementedError


def preview_split(store: Store, record_id: str, account: Account | None = None) -> Preview:
    """What taking `record_id` (`source:001`) out of its cluster would do."""
    raise NotImplementedError


def confirm(store: Store, token_or_preview: str | Preview, account: Account, note: str = "", override: bool = False, *,
            several_per_cluster: frozenset[str] = frozenset()) -> Outcome:
    """Apply exactly the previewed correction (see the module); refuses with a `CorrectionError` subclass."""
    raise NotImplementedError


def undo(store: Store, decision_id: int, account: Account, note: str = "") -> Outcome:
    """Make decision `decision_id` stop counting, restoring the clusters exactly as they were before it when
    nothing else changed them since; else `UndoNeedsConfirmation` with a preview of the recomputed clusters."""
    raise NotImplementedError


def apply_queued(store: Store) -> list[Outcome]:
    """Apply the queued corrections, oldest first; the caller holds the writer lease."""
    raise NotImplementedError


def mark_not_identifying(store: Store, scheme: str, value: str, account: Account, note: str) -> int:
    """Record that identifier `scheme` `value` identifies nothing (dedup ignores it from the next run); the
    decision id."""
    raise NotImplementedError


def unmark_not_identifying(store: Store, scheme: str, value: str, account: Account, note: str) -> int:
    """Take a mark back (recorded like the mark); the decision id."""
    raise NotImplementedError


def split_record(store: Store, record_id: str, made_by: str, note: str = "", *,
                 several_per_cluster: frozenset[str] = frozenset()):
    """Preview and confirm a split at once, as `made_by` (an administrator's correction)."""
    from dedup.run import run_dedup  # the earlier path, until confirm lands

    cluster_id = store.resolve_cluster(record_id)
    if cluster_id is None:
        raise CorrectionError(f"no live record {record_id}")
    others = [pid for pid in store.member_public_ids(cluster_id) if pid != record_id]
    if not others:
        raise CorrectionError(f"{record_id} is already alone in its cluster {cluster_id}")
    for other in others:
        store.add_decision("split", record_id, other, made_by, note)
    return run_dedup(store, several_per_cluster=several_per_cluster)


def merge_clusters(store: Store, first: str, second: str, made_by: str, note: str = "", *,
                   several_per_cluster: frozenset[str] = frozenset()):
    """Preview and confirm a merge at once, as `made_by`; refused (`RulesBroken`) when it breaks a rule."""
    from dedup.run import run_dedup  # the earlier path, until confirm lands

    a, b = store.resolve_cluster(first), store.resolve_cluster(second)
    if a is None or b is None:
        raise CorrectionError(f"no live cluster or record {first if a is None else second}")
    if a == b:
        raise CorrectionError(f"{first} and {second} are already one cluster ({a})")
    members_a, members_b = store.member_public_ids(a), store.member_public_ids(b)
    store.add_decision("merge", members_a[0], members_b[0], made_by, note)
    return run_dedup(store, several_per_cluster=several_per_cluster)
