"""An import stopped between any two of its steps (objects, run, store, finish) leaves the
store equal to a clean import of the file or to nothing, every leg on the right object: the
next import (or the server's start) completes or removes the run it left."""

from pathlib import Path

import pytest
from test_cdr_operations import OTHER, ROWS, write

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest import pipeline, rules
from vaxelstat.ingest.models import ImportRun
from vaxelstat.ingest.pipeline import complete_interrupted, import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization


class Killed(BaseException):
    """The process dying at that point (nothing after it runs)."""


pytestmark = pytest.mark.usefixtures("both_engines")


def stored(org: Organization) -> set[tuple]:  # type: ignore[type-arg]
    """The org's legs, each with its object's identity (not its id)."""
    identity = {
        o.id: (o.kind, o.source_identity) for o in MeasuredObject.objects.filter(organization=org)
    }
    return {
        (leg["leg_id"], identity.get(leg["object_id"]), leg["type"], leg["talk_s"])
        for leg in get_store().legs(Scope.whole(org.id))
    }


def point_of(org: Organization) -> CollectionPoint:
    return CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk-cdr")


@pytest.mark.parametrize("where", ["after objects", "before store", "after store", "finish"])
def test_an_import_stopped_between_two_steps_is_whole_or_nothing(
    org, tmp_path: Path, monkeypatch, where: str
) -> None:
    path = write(tmp_path / "Master.csv", ROWS + [OTHER])
    clean = Organization.objects.create(slug="clean", name="Clean")
    import_file(clean, point_of(clean), "asterisk-cdr", path)
    whole = stored(clean)

    point = point_of(org)
    real_resolve, real_settle = pipeline._resolve_objects, rules.settle
    real_apply, real_save = type(get_store()).apply, ImportRun.save

    def resolve(*args, **kwargs):  # type: ignore[no-untyped-def]
        ids = real_resolve(*args, **kwargs)
        if where == "after objects":
            raise Killed
        return ids

    def settle(*args, **kwargs):  # type: ignore[no-untyped-def]
        if where == "before store":
            raise Killed
        return real_settle(*args, **kwargs)

    def apply(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(self, *args, **kwargs)
        if where == "after store":
            raise Killed

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if where == "finish" and self.complete:
            raise Killed
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(pipeline, "_resolve_objects", resolve)
    monkeypatch.setattr(rules, "settle", settle)
    monkeypatch.setattr(type(get_store()), "apply", apply)
    monkeypatch.setattr(ImportRun, "save", save)
    monkeypatch.setattr(pipeline, "_gone", lambda run: False)  # its process still "running"
    with pytest.raises(Killed):
        import_file(org, point, "asterisk-cdr", path)
    monkeypatch.undo()

    # What the store holds now is the whole file's legs, on the right objects, or nothing.
    assert stored(org) in (whole, set())
    # The process is gone: the next import completes or removes its run, then reads the file.
    monkeypatch.setattr(pipeline, "_gone", lambda run: True)
    summary = import_file(org, point, "asterisk-cdr", path)
    assert stored(org) == whole
    runs = ImportRun.objects.filter(collection_point=point)
    assert all(r.complete for r in runs)
    assert sum(r.legs_imported for r in runs) == len(whole)
    assert summary.imported + summary.duplicates == len(whole)
    assert complete_interrupted() == 0
