"""`vaxelstat store copy`: an embedded store's legs moved to a ClickHouse server, exactly."""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vaxelstat.calls import copy
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization

pytestmark = [pytest.mark.django_db, pytest.mark.clickhouse_server]


@pytest.fixture
def filled(org, settings, simulated_logs):  # type: ignore[no-untyped-def]
    """Acme with a simulated fortnight in the embedded store, and another organization with
    a day of its own."""
    master, queue_log = simulated_logs(21, 14, datetime(2026, 11, 20, 18, tzinfo=UTC), org.timezone)
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    import_file(org, point, "asterisk-cdr", master)
    import_file(org, point, "asterisk-queue-log", queue_log)
    other = Organization.objects.create(slug="other", name="Other AB")
    other_point = CollectionPoint.objects.create(
        organization=other, name="pbx", format="asterisk-queue-log"
    )
    import_file(other, other_point, "asterisk-queue-log", queue_log)
    return org, other


def _legs(url: str, org_id: int) -> list[tuple]:  # type: ignore[type-arg]
    """The organization's legs as comparable tuples (every column, in the store's order)."""
    return sorted(
        tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in leg.values())
        for leg in get_store(url).legs(Scope.whole(org_id))
    )


@pytest.mark.slow  # a simulated fortnight
def test_a_copy_moves_an_organizations_legs_exactly_and_only_its(
    filled, settings, clickhouse_server_url, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    org, other = filled
    source = settings.CALLSTORE_URL
    # A day at a time where a point's month holds more than this (here: every month).
    monkeypatch.setattr(copy, "COPY_BATCH", 100)
    call_command("store", "copy", "--to", clickhouse_server_url, "--org", org.slug)
    assert "counts equal" in capsys.readouterr().out
    expected = _legs(source, org.id)
    assert len(expected) > 5000
    assert _legs(clickhouse_server_url, org.id) == expected
    assert get_store(clickhouse_server_url).count(Scope.whole(other.id)) == 0
    assert get_store(source).count(Scope.whole(org.id)) == len(expected)  # the source stays

    # Again: refused, the target holds them; with --replace, the same legs once.
    with pytest.raises(CommandError, match="holds .* legs of organization"):
        call_command("store", "copy", "--to", clickhouse_server_url, "--org", org.slug)
    call_command("store", "copy", "--to", clickhouse_server_url, "--replace")
    assert _legs(clickhouse_server_url, org.id) == expected
    assert _legs(clickhouse_server_url, other.id) == _legs(source, other.id)


def test_a_copy_refuses_an_unknown_organization_a_bad_url_and_itself(
    filled, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No organization nobody"):
        call_command("store", "copy", "--to", "chdb:///x", "--org", "nobody")
    with pytest.raises(CommandError, match="unknown engine") as refused:
        call_command("store", "copy", "--to", "mysql://u:secret@host/db")
    assert "secret" not in str(refused.value)
    with pytest.raises(CommandError, match="the target is the source"):
        call_command("store", "copy", "--to", settings.CALLSTORE_URL)
    # The same store by another name: never deleted as a target (--replace).
    path = Path(urlparse(settings.CALLSTORE_URL).path)
    alias = f"duckdb://{path.parent}/./{path.name}"
    with pytest.raises(CommandError, match="the target is the source"):
        call_command("store", "copy", "--to", alias, "--replace")
    assert copy.identity("clickhouse://a:x@DB:8123/calls?timeout=5") == copy.identity(
        "clickhouse://b@db/calls"
    )


def test_a_copy_never_prints_the_targets_password() -> None:
    assert (
        copy.shown("clickhouse://app:s3cret@db:8123/calls") == "clickhouse://app:***@db:8123/calls"
    )
    assert copy.shown("chdb:///var/ch") == "chdb:///var/ch"
