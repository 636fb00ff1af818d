"""Rate limits, by django-ratelimit's counters in the default cache (the server process's
memory where the app database is SQLite and one process serves; the app database's table
otherwise, shared by `serve --workers` and several machines). Past a limit a request gets 429 with
Retry-After (the seconds left in the counter's window): a page in the user's language, or
JSON under /api/."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from vaxelstat.accounts.security import client_address

# (requests, seconds) per group. A person typing is far below them; a script is not.
RATES = {
    # Per client address: password and code tries (the lockout per e-mail address stays),
    # reset and activation links.
    "login": (20, 60),
    "code": (20, 60),
    "reset": (10, 600),
    "activation": (30, 60),
    # Per e-mail address: reset mails (past it the answer is the same, and no mail is sent).
    "reset-address": (3, 3600),
    # Per API key; and wrong keys per client address.
    "api": (600, 60),
    "api-auth": (20, 60),
}


def usage(request: HttpRequest, group: str, key: str, increment: bool = True) -> dict[str, Any]:
    """The counter of `group` for `key` (this request counted where `increment`)."""
    found = get_usage(
        request,
        group=group,
        key=lambda _group, _request: key,
        rate=RATES[group],
        increment=increment,
    )
    assert found is not None  # (None only for a method left out, and none is)
    return found


def too_many(request: HttpRequest, used: dict[str, Any]) -> HttpResponse:
    from vaxelstat.web.errors import answer

    response = answer(request, 429)
    response["Retry-After"] = str(max(1, int(used["time_left"])))
    return response


def per_address(group: str, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
    """A view limited per client address for these methods (RATES[group])."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                used = usage(request, group, client_address(request) or "unknown")
                if used["should_limit"]:
                    return too_many(request, used)
            return view(request, *args, **kwargs)

        return limited

    return decorate
