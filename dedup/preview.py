"""Previews of librarians' corrections: what a merge, split or undo would do, before it is done.

A `Preview` is plain data: the clusters before and after, the records that
move, the rules the result would break and a state token (a digest of the
involved clusters' memberships). `dedup.corrections.confirm` applies exactly
a preview, and only while its state token still holds.

Rules a result may break (`Broken.rule`):
  same-member              two records of one member in one cluster
  conflicting-identifiers  members carry different ISBNs/ISSNs and share none
  different-formats        members of different formats or carriers
  years-apart              members' years more than a year apart
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, field

RULES = ("same-member", "conflicting-identifiers", "different-formats", "years-apart")


@dataclass
class ClusterSide:
    """One cluster as a preview shows it: its id and its members' public ids (`source:001`), sorted."""

    id: str
    members: list[str]


@dataclass
class Move:
    """A record that changes cluster."""

    record: str
    before: str
    after: str


@dataclass
class Broken:
    """A rule the result would break (see `RULES`), the records involved and what the evidence says."""

    rule: str
    records: list[str]
    detail: str


@dataclass
class Preview:
    """What a correction would do.

    `kind` is merge | split | undo; `asked` the ids the librarian gave (merge:
    two cluster or record ids, split: one record, undo: the decision id as a
    string); `before`/`after` the involved clusters; `moves` the records that
    change cluster; `broken` the rules the result breaks; `redirects` the
    cluster ids that will redirect (merged away) and `restored` those that come
    alive again (an undo of a merge); `state` the digest of the memberships
    the preview was computed on; `undoes` the decision an undo preview undoes.
    """

    kind: str
    asked: list[str]
    before: list[ClusterSide]
    after: list[ClusterSide]
    moves: list[Move]
    broken: list[Broken]
    state: str
    redirects: dict[str, str] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)
    undoes: int | None = None

    @property
    def token(self) -> str:
        """What a form or a later confirm carries: the request and the state it was previewed on."""
        payload = json.dumps([self.kind, self.asked, self.state, self.undoes], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")

    @property
    def moved_records(self) -> list[str]:
        """Public ids of the records that change cluster."""
        return [m.record for m in self.moves]

    @property
    def rules_broken(self) -> list[str]:
        """The codes of the rules broken, sorted and unique."""
        return sorted({b.rule for b in self.broken})

    def to_json(self) -> str:
        """The preview as stored with its decision."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Preview":
        """A preview as `to_json` wrote it."""
        data = json.loads(text)
        return cls(kind=data["kind"], asked=data["asked"], before=[ClusterSide(**c) for c in data["before"]],
                   after=[ClusterSide(**c) for c in data["after"]], moves=[Move(**m) for m in data["moves"]],
                   broken=[Broken(**b) for b in data["broken"]], state=data["state"],
                   redirects=data.get("redirects", {}), restored=data.get("restored", []), undoes=data.get("undoes"))


@dataclass
class Request:
    """A token read back: what was asked and the state it was previewed on."""

    kind: str
    asked: list[str]
    state: str
    undoes: int | None


def read_token(token: str) -> Request:
    """The request a `Preview.token` carries; ValueError when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, asked, state, undoes = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise ValueError(f"not a correction token: {token[:40]!r}") from exc
    if kind not in ("merge", "split", "undo") or not isinstance(asked, list):
        raise ValueError(f"not a correction token: {token[:40]!r}")
    return Request(kind, [str(a) for a in asked], str(state), undoes)


def state_token(memberships: dict[str, list[str]]) -> str:
    """A digest of cluster id -> sorted member public ids: equal exactly when the memberships are."""
    text = json.dumps({cid: sorted(members) for cid, members in sorted(memberships.items())}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
