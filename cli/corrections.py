"""Librarians' corrections from the command line: merge, split and undo (previewed, then confirmed), the
history, identifier marks, and staff accounts."""

from __future__ import annotations

import click

from cli.base import Context, Failures, handled, main, pass_context
from cli.pipeline import source_names
from dedup import (
    Outcome, Preview, UndoNeedsConfirmation, check, confirm, history, history_csv, mark_not_identifying,
    preview_merge, preview_split, undo, unmark_not_identifying,
)
from index import engine_for
from cli.oai import publish_oai
from store import ROLES, Account, Store

_BY = click.option("--by", "made_by", default="cli", show_default=True,
                   help="Who makes the decision (kept with it; a staff account's role and member apply).")
_NOTE = click.option("--note", default="", help="Why, for the next librarian (needed with --override).")
_YES = click.option("--yes", is_flag=True, help="Apply without asking.")


@main.command()
@click.argument("first")
@click.argument("second")
@_BY
@_NOTE
@click.option("--override", is_flag=True, help="Merge although rules are broken (needs --note).")
@_YES
@pass_context
@handled
def merge(ctx: Context, first: str, second: str, made_by: str, note: str, override: bool, yes: bool) -> None:
    """Merge the cluster of SECOND into the cluster of FIRST (cluster ids or source:001), after a preview."""
    several = ctx.config.several_per_cluster
    with ctx.store() as store:
        account = _account(store, made_by)
        preview = preview_merge(store, first, second, account, several_per_cluster=several)
        _apply(ctx, store, preview, account, note, override, yes)


@main.command()
@click.argument("record")
@_BY
@_NOTE
@_YES
@pass_context
@handled
def split(ctx: Context, record: str, made_by: str, note: str, yes: bool) -> None:
    """Take RECORD (source:001) out of its cluster, for this and every later run, after a preview."""
    with ctx.store() as store:
        account = _account(store, made_by)
        _apply(ctx, store, preview_split(store, record, account), account, note, False, yes)


@main.command("undo")
@click.argument("decision", type=int)
@_BY
@_NOTE
@_YES
@pass_context
@handled
def undo_command(ctx: Context, decision: int, made_by: str, note: str, yes: bool) -> None:
    """Undo DECISION (a number from `unioncat history`): the clusters as if it had never been made."""
    several = ctx.config.several_per_cluster
    with ctx.store() as store:
        account = _account(store, made_by)
        try:
            outcome = undo(store, decision, account, note, several_per_cluster=several)
        except UndoNeedsConfirmation as exc:
            click.echo(f"{exc}.")
            _apply(ctx, store, exc.preview, account, note, False, yes)
            return
        _report(ctx, store, outcome)


def _apply(ctx: Context, store: Store, preview: Preview, account: Account, note: str, override: bool, yes: bool) -> None:
    """Show the preview, refuse what confirm would refuse, ask, confirm."""
    click.echo(describe(preview))
    check(preview, account, note, override)
    if not yes and not click.confirm(f"Apply this {preview.kind}?", default=False):
        raise Failures("nothing changed")
    _report(ctx, store, confirm(store, preview, account, note, override,
                                several_per_cluster=ctx.config.several_per_cluster))


def _report(ctx: Context, store: Store, outcome: Outcome) -> None:
    if outcome.status == "queued":
        click.echo(f"decision {outcome.decision_id}: {outcome.message}; it is applied as soon as the writer lease is free")
        return
    engine_for(ctx.config).update(store, source_names(ctx.config))
    publish_oai(ctx.config, store)
    click.echo(f"decision {outcome.decision_id}: {outcome.message}")


def describe(preview: Preview) -> str:
    """The preview as the CLI prints it: clusters before and after, what moves, the rules broken."""
    lines = [f"{preview.kind} preview:", "  before:"]
    lines += [f"    {side.id}: {' '.join(side.members)}" for side in preview.before]
    lines.append("  after:")
    lines += [f"    {side.id}: {' '.join(side.members)}" for side in preview.after]
    lines += [f"  moves: {m.record} from {m.before} to {m.after}" for m in preview.moves]
    lines += [f"  {old} will redirect to {new}" for old, new in sorted(preview.redirects.items())]
    lines += [f"  {cid} comes back" for cid in preview.restored]
    lines += [f"  BREAKS {b.rule}: {b.detail}" for b in preview.broken] or ["  breaks no rule"]
    return "\n".join(lines)


@main.command("history")
@click.option("--cluster", help="Decisions about the current members of this cluster (or a record's cluster).")
@click.option("--record", help="Decisions naming this record (source:001).")
@click.option("--by", "made_by", help="Decisions made by this librarian.")
@click.option("--csv", "as_csv", is_flag=True, help="As CSV, with a header row.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@pass_context
@handled
def history_command(ctx: Context, cluster: str | None, record: str | None, made_by: str | None, as_csv: bool,
                    limit: int | None) -> None:
    """Librarians' decisions, newest first: who, when, what, why, and whether undone."""
    if sum(x is not None for x in (cluster, record, made_by)) > 1:
        raise click.UsageError("use one of --cluster, --record and --by")
    with ctx.store() as store:
        entries = history(store, cluster=cluster, record=record, by=made_by, limit=limit)
    if as_csv:
        click.echo(history_csv(entries), nl=False)
        return
    for e in entries:
        undone = f" (undone by {e.undone_by} {e.undone_at:%Y-%m-%d %H:%M})" if e.undone_at else ""
        state = "" if e.status == "applied" else f" [{e.status}{': ' + e.outcome if e.outcome else ''}]"
        extra = f" undoes {e.undoes}" if e.undoes else ""
        override = " OVERRIDE " + ",".join(e.rules_broken) if e.override else ""
        click.echo(f"{e.id:>5} {e.made_at:%Y-%m-%d %H:%M} {e.made_by} {e.kind}{extra} {' '.join(e.records)}"
                   f"{override}{state}{undone}" + (f" -- {e.note}" if e.note else ""))


@main.group()
def identifier() -> None:
    """Identifier values that identify nothing (one ISBN on a whole series): dedup ignores them."""


@identifier.command("not-identifying")
@click.argument("scheme")
@click.argument("value")
@_BY
@click.option("--note", required=True, help="Why it identifies nothing.")
@pass_context
@handled
def identifier_mark(ctx: Context, scheme: str, value: str, made_by: str, note: str) -> None:
    """Mark SCHEME (isbn, issn, ...) VALUE as not identifying, from the next dedup run on."""
    with ctx.store() as store:
        decision = mark_not_identifying(store, scheme, value, _account(store, made_by), note)
    click.echo(f"decision {decision}: {scheme} {value} no longer counts as evidence (from the next dedup run)")


@identifier.command("identifying")
@click.argument("scheme")
@click.argument("value")
@_BY
@click.option("--note", required=True, help="Why it identifies again.")
@pass_context
@handled
def identifier_unmark(ctx: Context, scheme: str, value: str, made_by: str, note: str) -> None:
    """Take back a not-identifying mark on SCHEME VALUE."""
    with ctx.store() as store:
        decision = unmark_not_identifying(store, scheme, value, _account(store, made_by), note)
    click.echo(f"decision {decision}: {scheme} {value} counts as evidence again (from the next dedup run)")


@identifier.command("list")
@pass_context
@handled
def identifier_list(ctx: Context) -> None:
    """The identifier values marked as not identifying."""
    with ctx.store() as store:
        for scheme, value in sorted(store.identifier_marks()):
            click.echo(f"{scheme} {value}")


def _account(store: Store, made_by: str) -> Account:
    """The staff account named, with its role and member; else an administrator (the operator's own shell)."""
    return store.staff_account(made_by) or Account(made_by)


@main.group()
def staff() -> None:
    """Staff accounts for the web staff area: administrators, and cataloguers optionally scoped to a member."""


_ROLE = click.option("--role", type=click.Choice(ROLES), help="administrator (accounts, every member) or cataloguer.")
_MEMBER = click.option("--member", help="A source code: the account corrects only that member's records ('' for every member).")


@staff.command("add")
@click.argument("username")
@click.password_option(help="The new password (asked for when not given).")
@_ROLE
@_MEMBER
@pass_context
@handled
def staff_add(ctx: Context, username: str, password: str, role: str | None, member: str | None) -> None:
    """Create USERNAME, or set a new password (and a role or member when given; new accounts are administrators)."""
    from web.auth import hash_password

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    _check_member(ctx, member)
    with ctx.store() as store:
        store.set_staff_password(username, hash_password(password))
        if role is not None or member is not None:
            current = store.staff_account(username)
            store.set_staff_role(username, role or current.role, current.member if member is None else member)
        account = store.staff_account(username)
    click.echo(f"staff account {username} saved ({_described(account)})")


@staff.command("set")
@click.argument("username")
@_ROLE
@_MEMBER
@pass_context
@handled
def staff_set(ctx: Context, username: str, role: str | None, member: str | None) -> None:
    """Change the role or member of USERNAME."""
    _check_member(ctx, member)
    with ctx.store() as store:
        current = store.staff_account(username)
        if current is None:
            raise Failures(f"no staff account {username}")
        store.set_staff_role(username, role or current.role, current.member if member is None else member)
        account = store.staff_account(username)
    click.echo(f"staff account {username} saved ({_described(account)})")


def _check_member(ctx: Context, member: str | None) -> None:
    if member and member not in source_names(ctx.config):
        raise click.BadParameter(f"no member {member!r}; the configured ones are {', '.join(source_names(ctx.config))}",
                                 param_hint="--member")


def _described(account: Account) -> str:
    return account.role + (f" for {account.member}" if account.member else "")


@staff.command("remove")
@click.argument("username")
@pass_context
@handled
def staff_remove(ctx: Context, username: str) -> None:
    """Delete USERNAME."""
    with ctx.store() as store:
        if not store.remove_staff(username):
            raise Failures(f"no staff account {username}")
    click.echo(f"staff account {username} removed")


@staff.command("list")
@pass_context
@handled
def staff_list(ctx: Context) -> None:
    """List the staff accounts with their roles."""
    with ctx.store() as store:
        for account in store.staff_accounts():
            click.echo(f"{account.username} {_described(account)}")
