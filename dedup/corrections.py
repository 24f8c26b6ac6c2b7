"""Librarians' corrections: merge, split, undo and identifier marks, previewed before they are done.

The contract (CLI and web call only these):

    preview_merge(store, a, b, account) -> Preview      a, b: cluster ids or `source:001`
    preview_split(store, record_id, account) -> Preview
    confirm(store, token_or_preview, account, note="", override=False) -> Outcome
    check(preview, account, note="", override=False)    raises what confirm would refuse with
    undo(store, decision_id, account, note="") -> Outcome   (UndoNeedsConfirmation: confirm its preview)
    apply_queued(store) -> list[Outcome]                 call while holding the writer lease
    apply_queued_if_free(store) -> list[Outcome]         takes the lease when free (a web request, a command)
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

import logging
from dataclasses import dataclass

from dedup.keys import STRONG_KINDS
from dedup.plans import Plan, PlanError, plan, plan_merge, plan_split, plan_undo
from dedup.preview import Preview, Request, read_token
from dedup.reasons import sentence
from store import WRITER, Account, LeaseHeld, NewDecision, Store

log = logging.getLogger(__name__)


class CorrectionError(Exception):
    """A correction that cannot be made (unknown record or decision, nothing to do); the message says why.

    Refusals made with `refused` also carry `reason` (a key of `dedup.reasons.REASONS`) and `params`, so
    that the web can say the same in the interface's language; the subclasses carry their own data.
    """

    reason: str = ""
    params: dict = {}


def refused(reason: str, **params) -> CorrectionError:
    """A `CorrectionError` for one of the known reasons, its message the reason's English sentence."""
    error = CorrectionError(sentence(reason, params))
    error.reason, error.params = reason, params
    return error


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


def preview_merge(store: Store, a: str, b: str, account: Account | None = None, *,
                  several_per_cluster: frozenset[str] = frozenset()) -> Preview:
    """What merging the cluster of `b` into the cluster of `a` would do (ids of clusters or `source:001`)."""
    return _plan(lambda: plan_merge(store, a, b, several_per_cluster=several_per_cluster)).preview


def preview_split(store: Store, record_id: str, account: Account | None = None) -> Preview:
    """What taking `record_id` (`source:001`) out of its cluster would do."""
    return _plan(lambda: plan_split(store, record_id)).preview


def confirm(store: Store, token_or_preview: str | Preview, account: Account, note: str = "", override: bool = False, *,
            several_per_cluster: frozenset[str] = frozenset(), wait: float = 0.0) -> Outcome:
    """Apply exactly the previewed correction (see the module); refuses with a `CorrectionError` subclass.

    `wait` is how long to wait for the writer lease before queueing.
    """
    token = token_or_preview.token if isinstance(token_or_preview, Preview) else token_or_preview
    try:
        request = read_token(token)
    except ValueError as exc:
        raise refused("bad-token") from exc

    def checked() -> Plan:
        made = _plan(lambda: plan(store, request, several_per_cluster=several_per_cluster))
        if made.preview.state != request.state:
            raise StaleCorrection("the clusters changed since this preview was shown; check the fresh preview",
                                  made.preview)
        _check(made.preview, account, note, override)
        return made

    checked()       # refusals come before the lease is asked for
    return _apply_or_queue(store, checked, account, note, override, wait, several_per_cluster)


def undo(store: Store, decision_id: int, account: Account, note: str = "", *,
         several_per_cluster: frozenset[str] = frozenset(), wait: float = 0.0) -> Outcome:
    """Make decision `decision_id` stop counting, restoring the clusters exactly as they were before it when
    nothing else changed them since; else `UndoNeedsConfirmation` with a preview of the recomputed clusters."""
    decision = store.decision(decision_id)
    if decision is None:
        raise refused("no-decision", decision=decision_id)

    def checked() -> Plan:
        made, exact = _plan(lambda: plan_undo(store, decision, several_per_cluster=several_per_cluster))
        if not exact:
            raise UndoNeedsConfirmation(f"the clusters of decision {decision_id} changed since it was made; "
                                        "check what the undo would do now and confirm it", made.preview)
        _check(made.preview, account, note, override=False)
        return made

    checked()
    return _apply_or_queue(store, checked, account, note, False, wait, several_per_cluster)


def apply_queued(store: Store, *, several_per_cluster: frozenset[str] = frozenset()) -> list[Outcome]:
    """Apply the queued corrections, oldest first; the caller holds the writer lease.

    Exactly its preview when nothing changed meanwhile; else its request
    previewed afresh, refused (and kept, with the reason) when that breaks a
    rule the librarian did not override or the account may no longer make it.
    """
    outcomes = []
    for decision in store.queued_decisions():
        queued = Preview.from_json(decision.preview)
        request = Request(queued.kind, queued.asked, queued.state, queued.undoes)
        account = store.staff_account(decision.made_by) or Account(decision.made_by)
        try:
            made = _plan(lambda: plan(store, request, several_per_cluster=several_per_cluster))
            _check(made.preview, account, decision.note, decision.override,
                   allowed=set(queued.rules_broken) if decision.override else set())
        except CorrectionError as exc:
            store.settle_queued(decision.id, "refused", str(exc))
            log.warning("queued correction %d refused: %s", decision.id, exc)
            continue
        same = made.preview.state == queued.state
        outcome = "applied as previewed" if same else "applied to clusters that changed while it was queued"
        if store.settle_queued(decision.id, "applied", outcome, made.change, made.side_a, made.side_b,
                               made.preview.to_json(), made.preview.state):
            outcomes.append(Outcome(decision.id, "applied", made.preview, outcome))
    return outcomes


def apply_queued_if_free(store: Store, *, several_per_cluster: frozenset[str] = frozenset()) -> list[Outcome]:
    """Apply the queued corrections when there are any and the writer lease is free (taken and given back
    here); [] otherwise. For a web request or a command that does not otherwise write."""
    if store.holds_lease(WRITER):
        return apply_queued(store, several_per_cluster=several_per_cluster)
    if not store.queued_decisions():
        return []
    try:
        held = store.acquire_lease(WRITER, "applying queued corrections")
    except LeaseHeld:
        return []
    try:
        return apply_queued(store, several_per_cluster=several_per_cluster)
    finally:
        store.drop_lease(held)


def mark_not_identifying(store: Store, scheme: str, value: str, account: Account, note: str) -> int:
    """Record that identifier `scheme` `value` identifies nothing (dedup ignores it from the next run); the
    decision id."""
    return _mark(store, scheme, value, account, note, marked=True)


def unmark_not_identifying(store: Store, scheme: str, value: str, account: Account, note: str) -> int:
    """Take a mark back (recorded like the mark); the decision id."""
    return _mark(store, scheme, value, account, note, marked=False)


def _mark(store: Store, scheme: str, value: str, account: Account, note: str, *, marked: bool) -> int:
    scheme, value = scheme.strip().lower(), value.strip()
    if scheme not in STRONG_KINDS:
        raise refused("unknown-scheme", scheme=repr(scheme), schemes=", ".join(STRONG_KINDS))
    if not value:
        raise refused("no-value")
    if not account.administrator and account.member:
        raise NotPermitted("only administrators and accounts for every member mark identifiers")
    if not note.strip():
        raise refused("no-note")
    if (scheme, value) in store.identifier_marks() and marked:
        raise refused("marked-already", scheme=scheme, value=value)
    if (scheme, value) not in store.identifier_marks() and not marked:
        raise refused("not-marked", scheme=scheme, value=value)
    new = NewDecision("mark" if marked else "unmark", [f"{scheme}:{value}"], [], account.username, note)
    return store.set_identifier_mark(scheme, value, new, marked)


def check(preview: Preview, account: Account, note: str = "", override: bool = False) -> None:
    """Raise what `confirm` would refuse `preview` with for this account, note and override (before asking)."""
    _check(preview, account, note, override)


def _plan(make):
    try:
        return make()
    except PlanError as exc:
        raise refused(exc.reason, **exc.params) from exc


def _check(preview: Preview, account: Account, note: str, override: bool, allowed: set[str] | None = None) -> None:
    """Permission first, then the rules: a merge that breaks one needs an override and a note."""
    if not may_correct(account, preview.moved_records):
        raise NotPermitted(f"{account.username} may correct only records of {account.member}; "
                           f"none of {', '.join(preview.moved_records)} is one")
    if preview.kind != "merge" or not preview.broken:
        return
    if allowed is not None:
        if set(preview.rules_broken) - allowed:
            raise RulesBroken(f"the clusters changed while it was queued and it now breaks rules: "
                              f"{', '.join(preview.rules_broken)}", preview)
        return
    if not override:
        raise RulesBroken(f"this merge breaks rules: {', '.join(preview.rules_broken)}; "
                          "merge anyway only with an override and a note saying why", preview)
    if not note.strip():
        raise RulesBroken("an override needs a note saying why", preview)


def _decision(made: Plan, account: Account, note: str, override: bool) -> NewDecision:
    preview = made.preview
    return NewDecision(preview.kind, made.side_a, made.side_b, account.username, note, override,
                       preview=preview.to_json(), state=preview.state, undoes=preview.undoes)


def _apply_or_queue(store: Store, checked, account: Account, note: str, override: bool, wait: float,
                    several: frozenset[str]) -> Outcome:
    """Apply under the writer lease (already held, or taken now), planning and checking again once it is
    held (another holder may have changed the clusters meanwhile); queued when another process holds it."""
    if store.holds_lease(WRITER):
        return _apply_with_queue(store, checked(), account, note, override, several)
    try:
        held = store.acquire_lease(WRITER, f"correction by {account.username}", wait=wait)
    except LeaseHeld as exc:
        made = checked()
        new = _decision(made, account, note, override)
        new.status = "queued"
        decision_id = store.add_correction(new)
        log.info("correction %d queued: %s", decision_id, exc)
        return Outcome(decision_id, "queued", made.preview, QUEUED_MESSAGE)
    try:
        return _apply_with_queue(store, checked(), account, note, override, several)
    finally:
        store.drop_lease(held)


def _apply_with_queue(store: Store, made: Plan, account: Account, note: str, override: bool,
                      several: frozenset[str]) -> Outcome:
    """Apply `made`, then whatever waited in the queue; the writer lease is held."""
    outcome = _apply(store, made, _decision(made, account, note, override))
    apply_queued(store, several_per_cluster=several)
    return outcome


def _apply(store: Store, made: Plan, new: NewDecision) -> Outcome:
    if new.undoes is not None:
        decision_id = store.add_undo(new, made.change)
    else:
        decision_id = store.add_correction(new, made.change)
    return Outcome(decision_id, "applied", made.preview, _done(made.preview))


def _done(preview: Preview) -> str:
    if preview.kind == "merge":
        return f"merged into cluster {preview.after[0].id}"
    if preview.kind == "split":
        return f"{preview.asked[0]} is now in cluster {preview.moves[0].after}"
    return f"decision {preview.undoes} undone"


def split_record(store: Store, record_id: str, made_by: str, note: str = "", *,
                 several_per_cluster: frozenset[str] = frozenset()) -> Outcome:
    """Preview and confirm a split at once, as administrator `made_by`."""
    account = Account(made_by)
    return confirm(store, preview_split(store, record_id, account), account, note,
                   several_per_cluster=several_per_cluster)


def merge_clusters(store: Store, first: str, second: str, made_by: str, note: str = "", *, override: bool = False,
                   several_per_cluster: frozenset[str] = frozenset()) -> Outcome:
    """Preview and confirm a merge at once, as administrator `made_by`; refused (`RulesBroken`) when it breaks
    a rule, unless `override` with a note."""
    account = Account(made_by)
    return confirm(store, preview_merge(store, first, second, account, several_per_cluster=several_per_cluster),
                   account, note, override, several_per_cluster=several_per_cluster)
