"""The read API: an API key sees exactly what its user may see, every report's JSON is the
engine's (as `vaxelstat report --format json` prints it), the calls behind a figure count as
the figure, and the OpenAPI document describes every path and parameter the API reads."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vaxelstat.api.models import ApiToken
from vaxelstat.api.openapi import document
from vaxelstat.calls.scope import Scope
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import Period
from vaxelstat.reports.render import as_dict

DAY = {"from": "2023-11-14", "to": "2023-11-14", "group": "hour"}


def key_of(user) -> str:  # type: ignore[no-untyped-def]
    return ApiToken.make(user, "test")[1]


def get(key: str | None, path: str, **params):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client().get(f"/api/v1{path}", params, headers=headers)


def test_no_key_a_wrong_key_and_a_deleted_key_are_refused(world) -> None:
    for response in (
        get(None, "/reports"),
        get("vx_nonsense", "/reports"),
        Client().get("/api/v1/reports", headers={"Authorization": "Basic YWxpY2U6eA=="}),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "error" in response.json()
    # A logged-in page session is not an API key.
    client = Client()
    client.force_login(world.alice)
    assert client.get("/api/v1/reports").status_code == 401
    token, key = ApiToken.make(world.alice, "skärmen")
    assert get(key, "/reports").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None and key.startswith(token.prefix)
    assert token.token_sha256 != key and key not in str(token.__dict__)
    # Its last use is kept to the minute, as its page shows it: a use in another minute is
    # written, one in the same minute again is not (a write a request).
    earlier = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used=earlier)
    assert get(key, "/reports").status_code == 200
    token.refresh_from_db()
    assert token.last_used > earlier + timedelta(minutes=4)
    written = token.last_used
    with CaptureQueriesContext(connection) as queries:
        assert get(key, "/reports").status_code == 200
    if timezone.now().replace(second=0, microsecond=0) == written.replace(second=0, microsecond=0):
        assert not [q for q in queries if q["sql"].startswith('UPDATE "api_apitoken"')]
    token.delete()
    assert get(key, "/reports").status_code == 401
    # A deactivated user's key stops working; one without Basrapporter is refused.
    key = key_of(world.bob)
    world.bob.modules = ["dashboard"]
    world.bob.save()
    assert get(key, "/reports").status_code == 403
    world.bob.is_active = False
    world.bob.save()
    assert get(key, "/reports").status_code == 401


@pytest.mark.parametrize("report", [k for k, r in REPORTS.items() if r.kind == "acd"])
def test_a_report_is_the_engines_json(world, report: str) -> None:
    queues = find_objects(world.a, "acd", "all")
    response = get(key_of(world.alice), f"/reports/{report}", objects="all", **DAY)
    assert response.status_code == 200, response.content
    period = Period.parse(world.a.timezone, DAY["from"], DAY["to"], None, "hour")
    expected = as_dict(run_report(world.a, report, queues, period, scope=Scope.whole(world.a.id)))
    assert response.json() == expected
    assert len(expected["rows"]) == 24


def test_a_key_sees_what_its_user_may_see_and_no_more(world) -> None:
    bob, charlie = key_of(world.bob), key_of(world.charlie)
    mine = get(bob, "/reports/acd.incoming", objects="all", **DAY).json()
    assert [o["number"] for o in mine["objects"]] == ["400"] and mine["total"]["incoming"] == 3
    # Naming a queue he may not see is naming no queue at all.
    refused = get(bob, "/reports/acd.incoming", objects="400,401", **DAY)
    assert refused.status_code == 400
    assert refused.json() == {"error": "no acd object named 401 in a"}
    assert get(bob, "/reports/acd.incoming", objects="400", **DAY).json() == mine
    assert [o["number"] for o in get(bob, "/objects").json()["objects"]] == ["400"]
    calls = get(bob, "/reports/acd.incoming/calls", objects="all", **DAY).json()
    assert calls["total"] == 3 and len(calls["calls"]) == 3
    # Charlie's key reads organization B only.
    theirs = get(charlie, "/reports/acd.incoming", objects="all", **DAY).json()
    assert theirs["organization"] == "b" and [o["number"] for o in theirs["objects"]] == ["777"]
    assert get(charlie, "/reports/acd.incoming", objects="400", **DAY).status_code == 400
    numbers = {o["number"] for o in get(charlie, "/objects").json()["objects"]}
    assert numbers == {"777"}


def test_the_calls_behind_a_figure_count_as_the_figure(world) -> None:
    key = key_of(world.alice)
    report = get(key, "/reports/acd.incoming", objects="all", **DAY).json()
    for measure in ("incoming", "unanswered"):
        total = report["total"][measure]
        calls = get(key, "/reports/acd.incoming/calls", objects="all", measure=measure, **DAY)
        assert calls.json()["total"] == total == 5
    busiest = max(report["rows"], key=lambda row: row["incoming"])
    one_row = get(
        key,
        "/reports/acd.incoming/calls",
        objects="all",
        measure="incoming",
        bucket=busiest["label"],
        **DAY,
    ).json()
    assert one_row["total"] == busiest["incoming"]
    page = get(key, "/reports/acd.incoming/calls", objects="all", limit=2, offset=1, **DAY).json()
    assert page["total"] == 5 and len(page["calls"]) == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2023-11-14", "to": "2023-11-14"}, "missing parameter: objects"),
        ({"objects": "all", "from": "2023-11-14"}, "missing parameter: to"),
        ({"objects": "all", "from": "14/11/2023", "to": "2023-11-14"}, "YYYY-MM-DD"),
        (
            {"objects": "all", "from": "2023-11-14", "to": "2023-11-14", "group": "fortnight"},
            "group",
        ),
        ({"objects": "all", "from": "2023-11-14", "to": "2023-11-14", "time": "8-17"}, "HH:MM"),
        ({"objects": "999", "from": "2023-11-14", "to": "2023-11-14"}, "no acd object named 999"),
    ],
)
def test_bad_parameters_are_named(world, params, message: str) -> None:  # type: ignore[no-untyped-def]
    response = get(key_of(world.alice), "/reports/acd.incoming", **params)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert get(key_of(world.alice), "/reports/nonsense", objects="all", **DAY).status_code == 400
    bad = get(key_of(world.alice), "/reports/acd.incoming/calls", objects="all", limit="x", **DAY)
    assert bad.status_code == 400 and "limit" in bad.json()["error"]


# A value for each optional parameter that has no enum to take one from.
EXAMPLES = {
    "time": "08:00-17:00",
    "measure": "incoming",
    "bucket": "2023-11-14",
    "limit": 10,
    "offset": 1,
}


def test_the_openapi_document_describes_every_path_and_parameter(world) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1") and doc["servers"][0]["url"].endswith("/api/v1")
    assert doc == document(doc["servers"][0]["url"])
    key = key_of(world.alice)
    # Every path answers with its documented responses, and every $ref resolves.
    refs = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', response.content.decode())
    assert refs and all(name in doc["components"][part] for part, name in refs)
    examples = {"key": "acd.incoming", "objects": "all", "from": "2023-11-14", "to": "2023-11-14"}
    for path, item in doc["paths"].items():
        params = item["get"].get("parameters", [])
        url = path.replace("{key}", examples["key"])
        required = {
            p["name"]: examples[p["name"]] for p in params if p["required"] and p["in"] == "query"
        }
        assert get(key, url, **required).status_code == 200, path
        assert "200" in item["get"]["responses"] and "401" in item["get"]["responses"]
        # Each documented query parameter, set to a value of its schema, is read, not refused.
        for p in params:
            if p["in"] != "query" or p["required"]:
                continue
            value = EXAMPLES.get(p["name"], p["schema"].get("enum", [None])[0])
            assert value is not None, f"an example value for {p['name']}"
            response = get(key, url, **required, **{p["name"]: value})
            assert response.status_code == 200, (path, p["name"], value, response.content)
    report_keys = doc["paths"]["/reports/{key}"]["get"]["parameters"][0]["schema"]["enum"]
    assert report_keys == list(REPORTS)


def test_keys_are_made_shown_once_and_deleted_after_a_confirmation(world) -> None:
    client = Client()
    client.force_login(world.alice)
    assert "API-nycklar" in client.get("/konto/").content.decode()
    made = client.post("/konto/api-nycklar/", {"name": "Väggskärmen"})
    assert made.status_code == 302
    page = client.get("/konto/api-nycklar/").content.decode()
    key = re.search(r'<code id="new-key">(vx_[^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    assert get(key, "/reports").status_code == 200
    listed = client.get("/konto/api-nycklar/").content.decode()
    assert "Väggskärmen" in listed and key not in listed and key[:8] in listed
    assert client.post("/konto/api-nycklar/", {"name": " "}).status_code == 400
    token = ApiToken.objects.get(name="Väggskärmen")
    # Nobody else sees or deletes it.
    bob = Client()
    bob.force_login(world.bob)
    assert "Väggskärmen" not in bob.get("/konto/api-nycklar/").content.decode()
    assert bob.post(f"/konto/api-nycklar/{token.pk}/ta-bort/").status_code == 404
    confirm = client.get(f"/konto/api-nycklar/{token.pk}/ta-bort/")
    assert "Ta bort nyckeln Väggskärmen?" in confirm.content.decode()
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert client.post(f"/konto/api-nycklar/{token.pk}/ta-bort/").status_code == 302
    assert get(key, "/reports").status_code == 401
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.alice)
    assert csrf.post("/konto/api-nycklar/", {"name": "x"}).status_code == 403
