"""Report figures kept between requests, until the organization's calls change.

Many readers ask for the same report (a dashboard, a wall of screens, a team opening the same
month): the store's answer to a query is kept in this process, keyed by the query as the
store gets it (its SQL text and every value, so a setting that changes the SQL changes the
key) and by the organization's version of its calls. Every write to an organization's calls
gives it a new version (`changed`, after the write), so a kept answer is never one of calls
that have since changed. The version is in Django's cache: the process's own with the
embedded default, the app database's where several processes serve (each keeps its own
answers, and all see one version). A store keeps answers only where every process that may
write it renews the version this one reads (CallStore.keeps_answers).
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.core.cache import cache

# How many figures the kept answers may hold in all (a year in 30-minute buckets of a
# standard report is about 150,000): some hundred megabytes at most.
MOST_VALUES = 3_000_000
# A version for every organization at once (a write that is no one organization's).
EVERYONE = 0


def _key(org_id: int) -> str:
    return f"callstore-version:{org_id}"


def shared() -> bool:
    """Whether the versions are every process's (a cache they share: the app database's),
    not this process's memory alone."""
    backend = str(settings.CACHES["default"]["BACKEND"])
    return not backend.endswith(("LocMemCache", "DummyCache"))


def version(org_id: int) -> tuple[str, str]:
    """The organization's version of its calls (and everyone's)."""
    found = cache.get_many([_key(org_id), _key(EVERYONE)])
    missing = [k for k in (_key(org_id), _key(EVERYONE)) if k not in found]
    for key in missing:
        cache.add(key, uuid.uuid4().hex, timeout=None)
    if missing:
        found = cache.get_many([_key(org_id), _key(EVERYONE)])
    return found.get(_key(org_id), ""), found.get(_key(EVERYONE), "")


def changed(org_id: int = EVERYONE) -> None:
    """The organization's calls (EVERYONE: any organization's) have changed: answers kept
    before are not given again."""
    cache.set(_key(org_id), uuid.uuid4().hex, timeout=None)


class _Kept:
    def __init__(self) -> None:
        self._answers: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._values = 0
        self._lock = threading.Lock()

    def get_or_make(
        self, key: Hashable, make: Callable[[], Any], size_of: Callable[[Any], int] | None = None
    ) -> Any:
        """The answer kept under `key`, else `make`'s (kept, unless it is too large).
        `size_of`: how many values an answer holds (by default rows of (bucket, values))."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key][0]
        answer = make()
        size = size_of(answer) if size_of else sum(len(values) + 1 for _b, values in answer)
        with self._lock:
            if key not in self._answers and size <= MOST_VALUES // 4:
                self._answers[key] = (answer, size)
                self._values += size
                while self._values > MOST_VALUES:
                    _old, (_answer, old_size) = self._answers.popitem(last=False)
                    self._values -= old_size
        return answer

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._values = 0


kept = _Kept()


def frozen(value: Any) -> Hashable:
    """A query's value as part of a key (lists as tuples, dicts as sorted pairs)."""
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return tuple(frozen(v) for v in items)
    return value
