"""Hand a command to the server process that holds the call store.

DuckDB lets one process at a time open a store file for writing. While `vaxelstat serve`
runs, it holds the store, so a second `vaxelstat import` sends its arguments to the server,
which runs the same command and returns its output and exit code. The server announces itself
in DATA_DIR/server.json (port and a random token, readable by its owner only); the endpoint
answers only on the loopback address and only to that token.
"""

import io
import json
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# Commands another process may hand over: only those that need the store.
HANDED_OVER = {"import", "report", "calls", "backup"}
TOKEN_HEADER = "X-Vaxelstat-Token"


def info_path() -> Path:
    return settings.DATA_DIR / "server.json"


def announce(port: int) -> str:
    """Write server.json for this process; return the token."""
    token = secrets.token_urlsafe(32)
    path = info_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": os.getpid(), "port": port, "token": token}, f)
    tmp.replace(path)
    return token


def server_alive() -> bool:
    """Whether a server announces itself in the data directory and its process lives (one
    killed outright leaves server.json behind)."""
    try:
        pid = int(json.loads(info_path().read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def withdraw() -> None:
    path = info_path()
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _served_host() -> str:
    """A name of ALLOWED_HOSTS to ask the server by ('localhost' where any would do)."""
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".") or "localhost"
    return "localhost"


def hand_over(argv: list[str], stdout: OutputWrapper, stderr: OutputWrapper) -> int:
    """Run `argv` in the server; copy its output here and return its exit code."""
    try:
        info = json.loads(info_path().read_text())
    except (OSError, ValueError):
        raise CommandError(
            f"The call store {settings.CALLSTORE_URL} is in use by another process, and no "
            "server announces itself in the data directory. Stop the other process and retry.",
            returncode=1,
        ) from None
    request = urllib.request.Request(
        f"http://127.0.0.1:{info['port']}/_control/run",
        data=json.dumps({"argv": argv}).encode(),
        headers={
            "Content-Type": "application/json",
            TOKEN_HEADER: info["token"],
            # A host the server serves (in production it refuses any other name).
            "Host": _served_host(),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(
            f"The call store is in use by the server (process {info.get('pid')}), which did not "
            f"answer on port {info['port']}: {exc}",
            returncode=1,
        ) from None
    stdout.write(answer["stdout"], ending="")
    stderr.write(answer["stderr"], ending="")
    return int(answer["exit"])


def run_here(argv: list[str]) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*argv, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    except CommandError as exc:
        err.write(f"{exc}\n")
        code = exc.returncode
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "exit": code}


@csrf_exempt  # Authenticated by the token of server.json, not by a session cookie.
@require_POST
def run_view(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "CONTROL_TOKEN", None)
    supplied = request.headers.get(TOKEN_HEADER, "")
    if (
        not token
        or request.META.get("REMOTE_ADDR") not in ("127.0.0.1", "::1")
        or not secrets.compare_digest(token, supplied)
    ):
        return HttpResponse(status=404)
    try:
        argv = json.loads(request.body)["argv"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse("Bad request", status=400)
    if not argv or argv[0] not in HANDED_OVER or not all(isinstance(a, str) for a in argv):
        return HttpResponse("Command not allowed", status=403)
    return JsonResponse(run_here(argv))
