"""The read API (version 1): every report and its call specification as JSON, for other tools.

A request names its API key as `Authorization: Bearer KEY`; it sees what the key's user may see,
no more. The JSON is that of `vaxelstat report --format json` and `vaxelstat calls` (SPEC §12);
/api/v1/openapi.json describes it all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from vaxelstat.accounts.security import client_address
from vaxelstat.api.models import ApiToken
from vaxelstat.api.openapi import document
from vaxelstat.calls.legs import TYPE_LABELS
from vaxelstat.calls.scope import Scope
from vaxelstat.limits import RATES, usage
from vaxelstat.orgs.models import MeasuredObject, Organization, hash_token
from vaxelstat.orgs.visibility import scope_for, visible_objects
from vaxelstat.params import whole
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import BY_KEY, REPORTS, Report, columns_of
from vaxelstat.reports.period import Period, PeriodError
from vaxelstat.reports.render import as_dict, column
from vaxelstat.reports.specification import ORDERS, Filters, specification

# The most calls one request returns; more are fetched page by page with offset.
MAX_LIMIT = 10_000
# The furthest a listing of calls may start (past every call a point can hold).
MAX_OFFSET = 1_000_000_000


class BadRequest(Exception):
    pass


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="vaxelstatistik"'
    return response


def _limited(group: str, used: dict[str, Any]) -> JsonResponse:
    count, seconds = RATES[group]
    response = _error(429, f"too many requests: at most {count} in {seconds} s")
    response["Retry-After"] = str(max(1, int(used["time_left"])))
    return response


def with_key(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Only with a valid API key of an active user who may open reports; the key's user is
    the request's user. Cookies do not count: a page's session is not an API key."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        address = client_address(request) or "unknown"
        # A client that tried too many wrong keys waits, whatever key it sends now.
        refused = usage(request, "api-auth", address, increment=False)
        if refused["count"] >= RATES["api-auth"][0]:
            return _limited("api-auth", refused)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _error(401, "an API key is needed: Authorization: Bearer KEY")
        token = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(token_sha256=hash_token(key.strip()))
            .first()
        )
        if token is None or not token.user.is_active:
            usage(request, "api-auth", address)
            return _error(401, "this API key is not valid")
        used = usage(request, "api", token.token_sha256)
        if used["should_limit"]:
            return _limited("api", used)
        user = token.user
        if user.organization is None or not user.may_open("reports"):
            return _error(403, "this API key's user may not read reports")
        # When the key was last used, to the minute (as its page shows it): written once a
        # minute at most, not on every request (each a write to the app database).
        now = timezone.now()
        if token.last_used is None or token.last_used.replace(
            second=0, microsecond=0
        ) != now.replace(second=0, microsecond=0):
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        request.user = user
        # The API speaks English to programs, whatever the key's user reads on the pages.
        with translation.override("en"):
            try:
                return view(request, *args, **kwargs)
            except BadRequest as exc:
                return _error(400, str(exc))

    return wrapped


def _org(request: HttpRequest) -> Organization:
    """The key's user's organization (with_key lets no user without one through)."""
    org = getattr(request.user, "organization", None)
    assert org is not None
    return org


@dataclass
class Asked:
    org: Organization
    scope: Scope
    report: Report
    period: Period
    objects: list[MeasuredObject]


def _asked(request: HttpRequest, key: str) -> Asked:
    """The report, period and objects a request names, of what its user may see."""
    org = _org(request)
    scope = scope_for(request.user, org)
    if key not in REPORTS:
        raise BadRequest(f"no report {key!r}; GET /api/v1/reports lists them")
    report = REPORTS[key]
    params = request.GET
    missing = [p for p in ("objects", "from", "to") if not params.get(p)]
    if missing:
        raise BadRequest(f"missing parameter: {', '.join(missing)}")
    try:
        period = Period.parse(
            org.timezone,
            params["from"],
            params["to"],
            params.get("time") or None,
            params.get("group", "day"),
        )
        named = find_objects(org, report.kind, params["objects"])
    except (PeriodError, LookupError) as exc:
        raise BadRequest(str(exc)) from None
    allowed = set(scope.allowed([o.id for o in named]))
    hidden = [o.number for o in named if o.id not in allowed]
    if hidden and params["objects"].strip().lower() != "all":
        # An object this user may not see is, to them, no object at all.
        raise BadRequest(f"no {report.kind} object named {', '.join(hidden)} in {org.slug}")
    return Asked(org, scope, report, period, [o for o in named if o.id in allowed])


def _number(request: HttpRequest, name: str, default: int, high: int = MAX_OFFSET) -> int:
    """A whole number parameter, 0..high (a 400 past it, never a 500)."""
    value = request.GET.get(name, "").strip()
    if not value:
        return default
    number = whole(value, 0, high)
    if number is None:
        raise BadRequest(f"{name} is a whole number from 0 to {high}, not {value[:40]!r}")
    return number


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(request.build_absolute_uri("/api/v1")))


@require_GET
@with_key
def reports(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "reports": [
                {
                    "key": r.key,
                    "kind": r.kind,
                    "name": r.name_sv,
                    "name_en": r.name_en,
                    "columns": [column(m) for m in columns_of(r)],
                }
                for r in REPORTS.values()
            ]
        }
    )


@require_GET
@with_key
def objects(request: HttpRequest) -> JsonResponse:
    org = _org(request)
    found = visible_objects(request.user, org).order_by("kind", "number")
    kind = request.GET.get("kind")
    if kind:
        if kind not in MeasuredObject.Kind.values:
            raise BadRequest(f"kind is one of {', '.join(MeasuredObject.Kind.values)}")
        found = found.filter(kind=kind)
    return JsonResponse(
        {
            "organization": org.slug,
            "timezone": org.timezone,
            "objects": [
                {"kind": o.kind, "number": o.number, "name": o.display_name} for o in found
            ],
        }
    )


@require_GET
@with_key
def report(request: HttpRequest, key: str) -> JsonResponse:
    asked = _asked(request, key)
    try:
        result = run_report(asked.org, key, asked.objects, asked.period, scope=asked.scope)
    except PeriodError as exc:
        raise BadRequest(str(exc)) from None
    return JsonResponse(as_dict(result), json_dumps_params={"ensure_ascii": False})


@require_GET
@with_key
def calls(request: HttpRequest, key: str) -> JsonResponse:
    asked = _asked(request, key)
    params = request.GET
    kind = params.get("type") or None
    if kind is not None and kind not in TYPE_LABELS:
        raise BadRequest(f"no call type {kind!r}")
    measure = params.get("measure") or None
    # Any measure of the report's kind of call, as an advanced report's columns may be.
    if measure is not None and (asked.report.scope, measure) not in BY_KEY:
        raise BadRequest(f"{key} has no column {measure!r}")
    bucket = None
    if params.get("bucket"):
        keys = {b.label: b.key for b in asked.period.buckets()}
        if params["bucket"] not in keys:
            raise BadRequest(f"no row {params['bucket']!r} in this period")
        bucket = keys[params["bucket"]]
    order = params.get("order", "newest")
    if order not in ORDERS:
        raise BadRequest(f"order is one of {', '.join(ORDERS)}")
    limit = _number(request, "limit", 1000, MAX_LIMIT)
    spec = specification(
        asked.org,
        key,
        asked.objects,
        asked.period,
        Filters(type=kind),
        measure,
        bucket,
        order,
        limit,
        _number(request, "offset", 0),
        scope=asked.scope,
    )
    return JsonResponse(
        {"total": spec.total, "calls": spec.calls}, json_dumps_params={"ensure_ascii": False}
    )
