"""Safe defaults: no debug page unless asked for, the site's own error pages (JSON under
/api/), and no secret in the repository."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

import vaxelstat.urls

ROOT = Path(__file__).resolve().parent.parent


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAXELSTAT_")}
    env |= {"VAXELSTAT_DATA": str(tmp_path), "DJANGO_SETTINGS_MODULE": "vaxelstat.settings"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    on = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "VAXELSTAT_DEBUG": "1"},
        capture_output=True,
        text=True,
    )
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True"), off.stderr + on.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [("sv", "Sidan finns inte"), ("en", "Page not found")]
)
def test_a_page_not_found_is_ours_and_lists_no_url(client: Client, language: str, title: str):
    response = client.get("/finns/inte/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    html = response.content.decode()
    assert title in html
    assert "URLconf" not in html and "basrapporter" not in html


@pytest.mark.django_db
def test_a_missing_api_address_answers_json(client: Client) -> None:
    response = client.get("/api/v1/finns-inte")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault no one foresaw")


urlpatterns = [path("fails/", _fails), path("api/fails/", _fails)]
handler500 = vaxelstat.urls.handler500


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_page_shows_no_setting(settings) -> None:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    page = client.get("/fails/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "Något gick fel" in html
    for secret in ("SECRET_KEY", settings.SECRET_KEY, "CALLSTORE_URL", "Traceback", "fault"):
        assert secret not in html
    api = client.get("/api/fails/")
    assert api.status_code == 500 and "error" in api.json()


@pytest.mark.skipif(
    not (ROOT / ".git").exists() or not shutil.which("git"), reason="not a git checkout"
)
def test_the_repository_holds_no_secret() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in files if "secret" in f.lower() or "var/" in f or f.startswith("var")]
