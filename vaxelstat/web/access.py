"""The access log: a line per request on the `vaxelstat.access` logger (the console, or
systemd's journal): client, method, path (no query: it may carry a filter's text), status,
bytes, time, and who asked (user id, organization id)."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

log = logging.getLogger("vaxelstat.access")


class AccessLog:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        size = (
            response.get("Content-Length", "-") if response.streaming else len(response.content)  # type: ignore[attr-defined]
        )
        log.info(
            "%s %s %s %s %s %.0fms user=%s org=%s",
            request.META.get("REMOTE_ADDR", "-"),
            request.method,
            request.path,
            response.status_code,
            size,
            (time.monotonic() - started) * 1000,
            user.pk if signed_in else "-",  # type: ignore[union-attr]
            (getattr(user, "organization_id", None) or "-") if signed_in else "-",
        )
        return response
