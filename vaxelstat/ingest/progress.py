"""How far a file has been read, for whoever wants to show it (a bar, a page)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Called with (bytes read, bytes in all).
Callback = Callable[[int, int], None]

_current: ContextVar[Callback | None] = ContextVar("import_progress", default=None)


@contextmanager
def reporting(callback: Callback | None) -> Iterator[None]:
    """Send the progress of files read in this context to `callback`."""
    token = _current.set(callback)
    try:
        yield
    finally:
        _current.reset(token)


def report(done: int, total: int) -> None:
    callback = _current.get()
    if callback is not None:
        callback(done, total)
