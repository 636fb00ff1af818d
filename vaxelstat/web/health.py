"""/healthz for a load balancer or a monitor: 200 when the app database and the call store
answer and the background worker runs, else 503; with the age of the latest import. It names
no setting and no address (an error by its kind only)."""

import os

from django.db import connection
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from vaxelstat.calls.store import get_store


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    from vaxelstat import server
    from vaxelstat.ingest.models import ImportRun

    body: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["app_database"] = "ok"
    except Exception as exc:
        body["app_database"] = f"unreachable ({type(exc).__name__})"
        ok = False
    try:
        get_store().ping()
        body["call_store"] = "ok"
    except Exception as exc:
        body["call_store"] = f"unreachable ({type(exc).__name__})"
        ok = False
    if server.WORKERS:
        stopped = [t.name for t in server.WORKERS if not t.is_alive()]
        body["worker"] = f"stopped: {', '.join(stopped)}" if stopped else "ok"
        ok = ok and not stopped
    elif worker := os.environ.get("VAXELSTAT_WORKER_PID", ""):
        # A web process of `serve --workers`: the worker is the process that started it,
        # still its parent (not a later process of the same id).
        alive = worker.isdigit() and int(worker) == os.getppid()
        body["worker"] = "ok" if alive else "stopped"
        ok = ok and alive
    else:
        body["worker"] = "not in this process"
    if body["app_database"] == "ok":
        last = ImportRun.objects.aggregate(last=Max("finished"))["last"]
        body["last_import_age_s"] = (
            int((timezone.now() - last).total_seconds()) if last is not None else None
        )
    body["status"] = "ok" if ok else "unavailable"
    return JsonResponse(body, status=200 if ok else 503)
