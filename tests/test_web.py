"""The first pages: login, and the start page with the organization's objects."""

import pytest
from django.test import Client

from vaxelstat.accounts.models import User
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization

T = 1700000000


@pytest.fixture
def world(db, tmp_path):  # type: ignore[no-untyped-def]
    """Organization A with Alice, organization B with Charlie; each with a queue of calls."""
    a = Organization.objects.create(slug="a", name="Alfa AB")
    b = Organization.objects.create(slug="b", name="Beta AB")
    for org, queue, calls in ((a, "400", 3), (b, "777", 2)):
        path = tmp_path / f"{org.slug}.queue_log"
        path.write_text(
            "".join(
                f"{T + i}|c{i}|{queue}|NONE|ENTERQUEUE||0701|1\n{T + i + 5}|c{i}|{queue}|NONE|"
                f"ABANDON|1|1|5\n"
                for i in range(calls)
            )
        )
        point = CollectionPoint.objects.create(
            organization=org, name="pbx", format="asterisk-queue-log"
        )
        import_file(org, point, "asterisk-queue-log", path)
    User.objects.create_user("alice@a.example", "pw-alice-123", organization=a, is_org_admin=True)
    User.objects.create_user("charlie@b.example", "pw-charlie-123", organization=b)
    return a, b


def test_pages_need_a_login(world, client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_with_email_and_see_the_objects_and_their_calls(world, client: Client) -> None:
    response = client.post("/login/", {"email": "alice@a.example", "password": "pw-alice-123"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Alfa AB" in page
    assert '<td>400</td><td></td><td class="num">3</td>' in page
    assert "777" not in page and "Beta AB" not in page


def test_a_wrong_password_gets_a_swedish_message(world, client: Client) -> None:
    response = client.post("/login/", {"email": "alice@a.example", "password": "nej"})
    assert "Fel e-post eller lösenord" in response.content.decode()


def test_charlie_sees_only_his_organization(world, client: Client) -> None:
    client.login(username="charlie@b.example", password="pw-charlie-123")
    page = client.get("/", {"org": "a"}).content.decode()
    assert "Beta AB" in page and "<td>777</td>" in page
    assert "Alfa AB" not in page and "<td>400</td>" not in page


def test_the_control_endpoint_refuses_without_the_servers_token(
    world, client: Client, settings
) -> None:
    settings.CONTROL_TOKEN = "secret-token"
    body = '{"argv": ["import", "--org", "a", "--format", "asterisk-cdr", "/etc/passwd"]}'
    assert client.post("/_control/run", body, content_type="application/json").status_code == 404
    wrong = client.post(
        "/_control/run",
        body,
        content_type="application/json",
        headers={"X-Vaxelstat-Token": "guess"},
    )
    assert wrong.status_code == 404
    other = client.post(
        "/_control/run",
        '{"argv": ["flush"]}',
        content_type="application/json",
        headers={"X-Vaxelstat-Token": "secret-token"},
    )
    assert other.status_code == 403


def test_leg_fields_match_the_store_columns() -> None:
    from vaxelstat.calls.legs import LEG_FIELDS, STORE_COLUMN_NAMES

    assert set(LEG_FIELDS) - {"object_identity", "object_number", "start"} <= set(
        STORE_COLUMN_NAMES
    )
