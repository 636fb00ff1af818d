"""The call store's column types in Arrow: the one table the hand-off of legs from an import's
workspace and each engine's reads agree on."""

import pyarrow as pa

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}


def schema(columns: list[tuple[str, str]]) -> pa.Schema:
    """The Arrow schema of (name, store type) columns."""
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])
