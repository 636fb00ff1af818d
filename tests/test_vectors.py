"""Every published test vector (docs/test-vectors/) gives exactly its legs, on each engine."""

from pathlib import Path

import pytest
from conftest import use_engine

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest import vectors
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization

VECTORS = vectors.all_vectors()
# Known faults (docs/test-vectors/known-wrong.toml): each must still fail, or leave the list.
WRONG = vectors.known_wrong()


def _marked(vector: vectors.Vector):  # type: ignore[no-untyped-def]
    if vector.key in WRONG:
        return pytest.param(vector, marks=pytest.mark.xfail(reason=WRONG[vector.key], strict=True))
    return vector


@pytest.mark.django_db
# (The server transport runs the same statements: its tests are the rules', the reports' and
# gallring's, not every vector's again.)
@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
@pytest.mark.parametrize("vector", [_marked(v) for v in VECTORS], ids=[v.key for v in VECTORS])
def test_the_vector_gives_exactly_its_legs(
    vector: vectors.Vector, engine: str, tmp_path: Path, settings, request
) -> None:  # type: ignore[no-untyped-def]
    use_engine(engine, request, settings)
    org = Organization.objects.create(slug="v", name="Vektor AB", timezone=vector.timezone)
    formats = {f.format for f in vector.files}
    point_format = (
        "asterisk"
        if formats <= {"asterisk-cdr", "asterisk-queue-log"} and len(formats) > 1
        else vector.files[0].format
    )
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format=point_format, settings=vector.settings
    )
    for i, f in enumerate(vector.files):
        path = tmp_path / f"{i}-{f.name}"
        path.write_text(f.text.lstrip("\n"), encoding="utf-8")
        import_file(org, point, f.format, path)
    numbers = dict(MeasuredObject.objects.filter(organization=org).values_list("id", "number"))
    stored = vectors.stored_as_expected(vector, get_store().legs(Scope.whole(org.id)), numbers)
    missing, extra = vectors.unmatched(vector.legs, stored)
    assert not missing and not extra, (
        f"{vector.key} on {engine}\n  missing: {missing}\n  extra:   {extra}"
    )


def test_the_worked_examples_page_is_made_from_the_vectors() -> None:
    page = (vectors.ROOT / "README.md").read_text(encoding="utf-8")
    assert page == vectors.render(VECTORS, WRONG), "run `make vectors` and commit README.md"


def test_every_known_fault_names_a_vector() -> None:
    assert set(WRONG) <= {v.key for v in VECTORS}


def test_there_are_vectors_of_every_format() -> None:
    formats = {f.format for v in VECTORS for f in v.files}
    assert formats >= {
        "asterisk-cdr",
        "asterisk-queue-log",
        "broadworks",
        "freeswitch-csv",
        "freeswitch-json",
    }
