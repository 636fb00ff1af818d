"""Running the service: behind a reverse proxy, the access log, /healthz, the night's work,
and migrations in production."""

import io
import logging
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, override_settings

from vaxelstat.accounts.models import LoginAttempt
from vaxelstat.proxy import TrustedProxies, networks
from vaxelstat.server import next_nightly

PROXY = "10.0.0.7"
CLIENT = "203.0.113.9"


def call(app: Any, path: str, address: str, method: str = "GET", **headers: str) -> tuple:
    """(status, headers, body) of a request to a WSGI application, as a server hands it."""
    body = headers.pop("body", "")
    environ: dict[str, Any] = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "REMOTE_ADDR": address,
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body.encode()),
        "CONTENT_LENGTH": str(len(body.encode())),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list, exc_info: Any = None) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = response_headers

    # As Django's test client does: the test's database connection stays open (a request's
    # end would close it, and with it the test's transaction on PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(app(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], content.decode()


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_behind_a_trusted_proxy_https_is_believed_and_no_one_else_is() -> None:
    app = TrustedProxies(WSGIHandler(), networks(f"{PROXY}, 192.168.0.0/16"))
    # The proxy says the client came over HTTPS: served, with HSTS (no redirect loop).
    status, headers, _ = call(app, "/login/", PROXY, x_forwarded_proto="https")
    assert status == 200
    assert any(k == "Strict-Transport-Security" for k, _ in headers)
    # Plain HTTP through the proxy: sent to HTTPS once.
    status, headers, _ = call(app, "/login/", PROXY, x_forwarded_proto="http")
    assert status == 301 and dict(headers)["Location"].startswith("https://")
    # A client that writes the header itself is not believed.
    status, _, _ = call(app, "/login/", CLIENT, x_forwarded_proto="https")
    assert status == 301


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_login_log_records_the_client_the_proxy_names(world) -> None:  # type: ignore[no-untyped-def]
    app = TrustedProxies(WSGIHandler(), networks(PROXY))
    forwarded = {"x_forwarded_proto": "https", "x_forwarded_for": f"198.51.100.1, {CLIENT}"}
    status, headers, page = call(app, "/login/", PROXY, **forwarded)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    cookie = next(v for k, v in headers if k == "Set-Cookie" and v.startswith("csrftoken="))
    status, _, _ = call(
        app,
        "/login/",
        PROXY,
        method="POST",
        body=f"csrfmiddlewaretoken={token}&email=alice%40a.example&password=wrong",
        cookie=cookie.split(";")[0],
        origin="https://testserver",
        **forwarded,
    )
    assert status == 400  # the form again, with its error: not a CSRF failure (403)
    attempt = LoginAttempt.objects.latest("at")
    assert (attempt.email, attempt.address) == ("alice@a.example", CLIENT)


def test_a_wrong_trusted_proxy_setting_is_named() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        networks("10.0.0.1, nonsense")


@pytest.mark.django_db
def test_the_access_log_has_a_line_per_request(world, caplog) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.alice)
    with caplog.at_level(logging.INFO, logger="vaxelstat.access"):
        client.get("/")
        client.get("/basrapporter/", {"from": "2023-11-14", "to": "2023-11-14"})
        client.get("/finns-inte/")
    lines = [r.getMessage() for r in caplog.records if r.name == "vaxelstat.access"]
    assert len(lines) == 3
    assert re.match(rf"127\.0\.0\.1 GET / 200 \d+ \d+ms user={world.alice.pk} org=", lines[0])
    assert " GET /basrapporter/ 200 " in lines[1] and f"org={world.a.pk}" in lines[1]
    assert " GET /finns-inte/ 404 " in lines[2]


@pytest.mark.django_db
def test_healthz_answers_ok_and_503_when_the_store_is_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    from vaxelstat.calls.store import close_stores

    ok = Client().get("/healthz")
    assert ok.status_code == 200
    assert ok.json()["status"] == "ok" and ok.json()["call_store"] == "ok"
    # A ClickHouse server nobody listens for.
    settings.CALLSTORE_URL = "clickhouse://vaxel:hemligt@127.0.0.1:9/stat"
    try:
        down = Client().get("/healthz")
    finally:
        close_stores()
    assert down.status_code == 503
    assert down.json()["call_store"].startswith("unreachable")
    assert "hemligt" not in down.content.decode() and "127.0.0.1" not in down.content.decode()


def test_the_nights_work_runs_at_three_and_at_start_when_overdue() -> None:
    now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # 14:00 in Stockholm
    assert next_nightly(now, None) == now
    assert next_nightly(now, now - timedelta(days=2)) == now
    # Ran last night: next at 03:00 local on the 25th, the autumn change's day (+01:00).
    assert next_nightly(now, now - timedelta(hours=9)) == datetime(2026, 10, 25, 2, tzinfo=UTC)


@pytest.mark.slow
def test_in_production_only_migrate_migrates(tmp_path: Path) -> None:
    from test_serve import VAXELSTAT, env_for

    env = {**env_for(tmp_path / "var"), "VAXELSTAT_PRODUCTION": "1"}
    refused = subprocess.run(
        [VAXELSTAT, "org", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "vaxelstat migrate" in refused.stderr
    migrated = subprocess.run(
        [VAXELSTAT, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    listed = subprocess.run(
        [VAXELSTAT, "org", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
