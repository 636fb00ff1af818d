from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from vaxelstat.calls import store as store_module


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give each test process a data directory (and so a call store) of its own."""
    path = tmp_path_factory.mktemp("data")
    saved = settings.DATA_DIR, settings.CALLSTORE_URL, settings.SPOOL_DIR
    settings.DATA_DIR = path
    settings.CALLSTORE_URL = f"duckdb:///{path / 'calls.duckdb'}"
    settings.SPOOL_DIR = path / "spool"
    yield path
    store_module.close_stores()
    settings.DATA_DIR, settings.CALLSTORE_URL, settings.SPOOL_DIR = saved


@pytest.fixture(autouse=True)
def empty_call_store() -> Iterator[None]:
    """Empty the call store after each test, as the database is rolled back.

    SQLite reuses the ids of rolled-back rows, so legs left behind would belong to the
    next test's organization.
    """
    yield
    for store in store_module._stores.values():
        store.unscoped_delete_all()


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    from vaxelstat.orgs.models import Organization

    return Organization.objects.create(slug="acme", name="Acme AB")
