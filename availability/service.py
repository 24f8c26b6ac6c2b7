"""Ask every member at once, within each member's time, reusing recent answers and sparing busy systems.

    service = AvailabilityService(config.availability)
    for answer in service.ask_all({"krakow": ["123", "456"], "umea": ["b77"]}):
        ...   # each member's MemberAnswer as soon as it is known, live or with the reason it is not

A member that failed is left to rest for `retry_after_failure` seconds, and
one asked more often than its `rate_limit` is not asked: both answer at once
with their reason, so the page shows the harvested state instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from availability import daia, koha, template
from availability.errors import AvailabilityError
from availability.model import MALFORMED, RATE_LIMITED, RESTING, TIMEOUT, Item, MemberAnswer
from settings import AvailabilitySettings, MemberAvailability

ADAPTERS = {"daia": daia.ask, "koha": koha.ask, "template": template.ask}
GRACE = 0.2          # seconds past a member's own timeout before its answer is given up
MAX_THREADS = 32
logger = logging.getLogger(__name__)


class _Bucket:
    """A token bucket: `rate` requests per second, bursts up to `rate` (at least one)."""

    def __init__(self, rate: float):
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.stamp = self.capacity, time.monotonic()

    def take(self, count: int) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < count:
            return False
        self.tokens -= count
        return True


class AvailabilityService:
    """Live availability from the members' own systems, for one web process."""

    def __init__(self, settings: AvailabilitySettings):
        self.settings = settings
        self._executor = ThreadPoolExecutor(min(MAX_THREADS, 4 * max(1, len(settings.members))),
                                            thread_name_prefix="availability")
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, float, list[Item] | None]] = {}
        self._resting: dict[str, float] = {}
        self._buckets = {code: _Bucket(member.rate_limit) for code, member in settings.members.items()}

    def asks(self, source: str) -> bool:
        """Whether this member is asked live at all."""
        return source in self.settings.members

    def ask_all(self, wanted: dict[str, list[str]]) -> Iterator[MemberAnswer]:
        """One answer per configured member in `wanted`, in the order they become known."""
        pending: dict[Future, MemberAvailability] = {}
        for source, ids in wanted.items():
            member = self.settings.members.get(source)
            if member is None or not ids:
                continue
            answer, missing = self._known(member, list(dict.fromkeys(ids)))
            if not missing or not answer.live:
                yield answer
            else:
                pending[self._executor.submit(self._ask, member, missing, answer)] = member
        yield from self._collect(pending)

    def _collect(self, pending: dict[Future, MemberAvailability]) -> Iterator[MemberAnswer]:
        deadline = time.monotonic() + max((m.timeout for m in pending.values()), default=0) + GRACE
        waiting = set(pending)
        while waiting:
            done, waiting = wait(waiting, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                yield future.result()
        for future in waiting:
            member = pending[future]
            self._failed(member.source)
            yield MemberAnswer(member.source, live=False, reason=TIMEOUT, checked=time.time(),
                               detail=f"no answer within {member.timeout:g} s")

    def _known(self, member: MemberAvailability, ids: list[str]) -> tuple[MemberAnswer, list[str]]:
        """What the cache holds for `ids`, the ids still to ask; or a refusal to ask (resting, rate limited)."""
        now = time.monotonic()
        answer = MemberAnswer(member.source, live=True, checked=time.time())
        missing = []
        with self._lock:
            for member_id in ids:
                cached = self._cache.get((member.source, member_id))
                if cached and now - cached[0] <= self.settings.cache:
                    answer.checked = min(answer.checked, cached[1])
                    if cached[2] is not None:
                        answer.items[member_id] = cached[2]
                else:
                    missing.append(member_id)
            if not missing:
                return answer, missing
            if self._resting.get(member.source, 0) > now:
                return MemberAnswer(member.source, live=False, reason=RESTING, checked=time.time()), missing
            requests = -(-len(missing) // member.batch)
            if not self._buckets[member.source].take(requests):
                return MemberAnswer(member.source, live=False, reason=RATE_LIMITED, checked=time.time()), missing
        return answer, missing

    def _ask(self, member: MemberAvailability, ids: list[str], answer: MemberAnswer) -> MemberAnswer:
        """Ask the member's system for `ids` in batches and add what it says to `answer`."""
        try:
            for start in range(0, len(ids), member.batch):
                batch = ids[start:start + member.batch]
                found = ADAPTERS[member.adapter](member, batch)
                self._remember(member.source, batch, found)
                answer.items.update(found)
        except AvailabilityError as exc:
            logger.warning("availability of %s: %s", member.source, exc)
            return self._failure(member.source, exc.reason, str(exc))
        except Exception as exc:  # noqa: BLE001 - a system's odd answer must never reach the patron as a 500
            logger.exception("availability of %s: an answer no adapter rule covers", member.source)
            return self._failure(member.source, MALFORMED, repr(exc))
        answer.checked = time.time()
        return answer

    def _remember(self, source: str, ids: list[str], found: dict[str, list[Item]]) -> None:
        now, wall = time.monotonic(), time.time()
        with self._lock:
            for member_id in ids:
                self._cache[(source, member_id)] = (now, wall, found.get(member_id))
            if len(self._cache) > 100_000:     # a crawler's worth of ids: start again rather than grow
                self._cache.clear()

    def _failure(self, source: str, reason: str, detail: str) -> MemberAnswer:
        self._failed(source)
        return MemberAnswer(source, live=False, reason=reason, checked=time.time(), detail=detail)

    def _failed(self, source: str) -> None:
        with self._lock:
            self._resting[source] = time.monotonic() + self.settings.retry_after_failure

    def close(self) -> None:
        """Stop taking questions; answers still on their way are not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)
