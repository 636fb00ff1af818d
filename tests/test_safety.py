"""Safe defaults: no debug page unless asked for, the site's own error pages (JSON under
/api/), and no secret in the repository."""

import csv
import io
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


@pytest.mark.slow
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


@pytest.mark.django_db
def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A caller number from a PBX log such as =HYPERLINK(...) reaches the CSV as text: a ' in
    front, as spreadsheets expect; a plain value is written as it is."""
    from test_exports import fetched, logged_in

    from vaxelstat.exports.models import Export
    from vaxelstat.exports.tasks import run_pending
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint

    point = CollectionPoint.objects.get(organization=world.a)
    t = 1700000100
    formula = '=HYPERLINK("http://example.invalid","klicka")'
    path = tmp_path / "evil.queue_log"
    path.write_text(
        f"{t}|evil-1|400|NONE|ENTERQUEUE||{formula}|1\n{t + 5}|evil-1|400|NONE|ABANDON|1|1|5\n"
        f"{t + 9}|evil-2|400|NONE|ENTERQUEUE||@SUM(1)|1\n{t + 15}|evil-2|400|NONE|ABANDON|1|1|6\n"
    )
    import_file(world.a, point, "asterisk-queue-log", path)
    client = logged_in(world.alice)
    response = client.post(
        "/exporter/ny/",
        {
            "report": "acd.incoming",
            "o": [world.support.id],
            "from": "2023-11-14",
            "to": "2023-11-15",
            "time": "00:00-24:00",
            "group": "day",
            "format": "csv",
            "include": "calls",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    run_pending()
    export = Export.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert export.status == Export.Status.DONE, export.error
    text = fetched(client, export).decode()
    cells = {c for row in csv.reader(io.StringIO(text)) for c in row}
    assert "'" + formula in cells and "'@SUM(1)" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert "07010" in cells  # the world's own callers, as they are


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../x", "../../../etc", "a/b", ".", "..", "x y"])
def test_a_collection_point_named_as_a_path_is_refused(name: str) -> None:
    from django.core.management import CommandError, call_command

    from vaxelstat.orgs.models import CollectionPoint, Organization

    Organization.objects.create(slug="acme", name="Acme")
    with pytest.raises(CommandError, match="name"):
        call_command("point", "add", "--org", "acme", name, "--format", "asterisk-queue-log")
    assert not CollectionPoint.objects.exists()


@pytest.mark.django_db
def test_the_spool_never_reads_outside_its_folder(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A point whose name (given before names were slugs) leads out of the spool is not read:
    the file there stays where it is, untouched."""
    from vaxelstat.orgs.models import CollectionPoint, Organization
    from vaxelstat.server import collect_spool_once, spool_folder

    settings.SPOOL_DIR = tmp_path / "spool"
    org = Organization.objects.create(slug="acme", name="Acme")
    outside = tmp_path / "x"
    outside.mkdir()
    secret = outside / "queue_log"
    secret.write_text("1700000000|c|400|NONE|ENTERQUEUE||0701|1\n")
    os.utime(secret, (0, 0))  # long settled
    CollectionPoint.objects.bulk_create(  # no validation: as an old database may hold
        [CollectionPoint(organization=org, name="../../x", format="asterisk-queue-log")]
    )
    point = CollectionPoint.objects.get()
    assert spool_folder(point) is None
    assert collect_spool_once() == 0
    assert secret.exists() and not (outside / "done").exists()


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".hidden", "hidden"),
        ("", "push"),
        ("Master 2026-12-06.csv", "Master_2026-12-06.csv"),
        ("a" * 300, "a" * 100),
    ],
)
def test_a_pushed_file_name_is_made_safe(asked: str, kept: str) -> None:
    from vaxelstat.ingest.views import safe_file_name

    assert safe_file_name(asked) == kept
