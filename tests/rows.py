"""Rows of the call store made by hand, for the tests of a store's own methods."""

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from vaxelstat.calls.arrow import schema
from vaxelstat.calls.legs import STORE_COLUMNS


def store_rows(org_id: int, point_id: int, start: datetime, n: int) -> pa.Table:
    """`n` answered legs of user 1 in the point (STORE_COLUMNS), a second apart from `start`."""
    values: dict[str, list[Any]] = {name: [] for name, _ in STORE_COLUMNS}
    for i in range(n):
        leg = {
            "org_id": org_id,
            "object_id": 1,
            "object_kind": "user",
            "collection_point_id": point_id,
            "import_id": 1,
            "leg_id": f"leg-{i}",
            "call_id": f"call-{i}",
            "start_utc": (start + timedelta(seconds=i)).replace(tzinfo=None),
            "start_local": (start + timedelta(seconds=i)).replace(tzinfo=None),
            "direction": "in",
            "internal": False,
            "type": "in_answered",
            "wait_s": 3,
            "talk_s": 60,
        }
        for name, kind in STORE_COLUMNS:
            values[name].append(leg.get(name, "" if kind == "VARCHAR" else 0))
    return pa.table(values, schema=schema(STORE_COLUMNS))
