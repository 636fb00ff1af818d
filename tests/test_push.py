"""The HTTP push endpoint and the collection point command."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.models import ImportRun, RejectedRecord
from vaxelstat.orgs.models import CollectionPoint, Organization

T = 1700000000
QUEUE_LOG = f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\n"


@pytest.fixture
def point_and_token(org, capsys) -> tuple[CollectionPoint, str]:  # type: ignore[no-untyped-def]
    call_command("point", "add", "--org", "acme", "pbx", "--format", "asterisk")
    out = capsys.readouterr().out
    token = re.search(r"Push token \(shown once\): (\S+)", out).group(1)  # type: ignore[union-attr]
    return CollectionPoint.objects.get(organization=org, name="pbx"), token


def push(client: Client, point: CollectionPoint, token: str, body: str, query: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        f"/ingest/push/{point.id}/{query}",
        body,
        content_type="text/plain",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_pushed_file_is_imported_and_summarised(point_and_token, client: Client) -> None:
    point, token = point_and_token
    response = push(
        client, point, token, QUEUE_LOG + "junk\n", "?format=asterisk-queue-log&filename=queue_log"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["read"], body["imported"], body["duplicates"], body["rejected"]) == (3, 1, 0, 1)
    assert body["rejects"] == [{"line": 3, "reason": "malformed", "detail": "fewer than 5 fields"}]
    assert get_store().count(Scope.whole(point.organization_id)) == 1
    assert RejectedRecord.objects.get().file_name == "push:queue_log"
    again = push(client, point, token, QUEUE_LOG, "?format=asterisk-queue-log").json()
    assert (again["imported"], again["duplicates"]) == (0, 1)
    assert ImportRun.objects.count() == 2


def test_a_wrong_token_or_another_point_is_refused_alike(
    point_and_token, client: Client, db
) -> None:
    point, token = point_and_token
    other_org = Organization.objects.create(slug="other", name="Other AB")
    other = CollectionPoint.objects.create(organization=other_org, name="x", format="csv")
    token_of_other = other.new_push_token()
    other.save()
    for target, key in ((point, "wrong"), (point, token_of_other), (other, token)):
        response = push(client, target, key, QUEUE_LOG, "?format=asterisk-queue-log")
        assert response.status_code == 401
    assert client.get(f"/ingest/push/{point.id}/").status_code == 405
    assert get_store().count(Scope.whole(point.organization_id)) == 0


def test_an_asterisk_point_needs_to_be_told_which_file(point_and_token, client: Client) -> None:
    point, token = point_and_token
    response = push(client, point, token, QUEUE_LOG)
    assert response.status_code == 400
    assert "asterisk-cdr" in response.json()["error"]


def test_a_new_token_replaces_the_old(point_and_token, client: Client, capsys) -> None:
    point, old = point_and_token
    call_command("point", "token", "--org", "acme", "pbx")
    new = re.search(r"shown once\): (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    assert push(client, point, old, QUEUE_LOG, "?format=asterisk-queue-log").status_code == 401
    assert push(client, point, new, QUEUE_LOG, "?format=asterisk-queue-log").status_code == 200
    with pytest.raises(CommandError):
        call_command("point", "add", "--org", "acme", "pbx", "--format", "csv")
