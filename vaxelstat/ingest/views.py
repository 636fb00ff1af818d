"""The HTTP push endpoint: a PBX (or a script beside it) posts a log file to its collection
point, authenticated by the point's token, and gets the import's summary back."""

import re
import secrets
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from vaxelstat import tmpfiles
from vaxelstat.ingest.parsers import PARSERS, POINT_FORMATS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, hash_token

MAX_PUSH_BYTES = 500 * 1024 * 1024
CHUNK = 1024 * 1024


def _point(request: HttpRequest, point_id: int) -> CollectionPoint | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    point = CollectionPoint.objects.select_related("organization").filter(id=point_id).first()
    if point is None or not point.push_token_sha256:
        return None
    if not secrets.compare_digest(point.push_token_sha256, hash_token(token.strip())):
        return None
    return point


@csrf_exempt  # Authenticated by the collection point's token, not by a session cookie.
@require_POST
def push(request: HttpRequest, point_id: int) -> HttpResponse:
    point = _point(request, point_id)
    if point is None:
        # The same answer for a wrong token and an unknown point: nothing to probe.
        return JsonResponse({"error": "unknown collection point or wrong token"}, status=401)
    formats = POINT_FORMATS.get(point.format, (point.format,))
    fmt = request.GET.get("format") or (formats[0] if len(formats) == 1 else "")
    if fmt not in formats or fmt not in PARSERS:
        choices = ", ".join(formats)
        return JsonResponse({"error": f"say ?format= one of {choices}"}, status=400)
    name = safe_file_name(request.GET.get("filename", ""))
    with tmpfiles.named(f"-{name}", "push-") as tmp:
        size = 0
        while chunk := request.read(CHUNK):
            size += len(chunk)
            if size > MAX_PUSH_BYTES:
                return JsonResponse({"error": f"larger than {MAX_PUSH_BYTES} bytes"}, status=413)
            tmp.write(chunk)
        tmp.flush()
        summary = import_file(point.organization, point, fmt, Path(tmp.name), f"push:{name}")
    body = {
        "read": summary.lines_read,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "calls_replaced": summary.calls_replaced,
        "rejected": summary.rejected,
        "rejects": [
            {"line": r.line, "reason": str(r.reason), "detail": r.detail}
            for r in summary.rejects[:1000]
        ],
    }
    return JsonResponse(
        body, status=200 if summary.lines_read > summary.rejected or not summary.lines_read else 422
    )


def safe_file_name(asked: str) -> str:
    """A pushed file's name as the import keeps it: its last part only, of letters, digits,
    '.', '-' and '_' (others become '_'), no leading dot, at most 100 characters."""
    name = re.sub(r"[^\w.-]", "_", Path(asked.replace("\\", "/")).name).lstrip(".")[:100]
    return name or "push"
