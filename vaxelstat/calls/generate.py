"""A fast generator of synthetic legs straight into the call store, for benchmarks only.

Legs are drawn in SQL (DuckDB's range and hash), never row by row, and inserted in
(organization, start) order as the store keeps them.
"""

from datetime import datetime
from typing import Any

TYPES = {
    "user": [
        "in_answered",
        "in_answered",
        "in_answered",
        "in_no_answer",
        "in_busy",
        "in_voicemail",
        "in_forwarded",
        "out_answered",
        "out_unanswered",
    ],
    "acd": ["answered", "answered", "answered", "answered", "abandoned", "no_agent", "forwarded"],
    "hunt": ["answered", "answered", "abandoned", "forwarded", "no_agent"],
    "rule": ["connected", "connected", "connected", "not_connected"],
    "ivr": ["connected", "connected", "connected", "not_connected"],
}


def _type_by_kind() -> str:
    cases = " ".join(
        f"WHEN '{kind}' THEN list_extract({types}, 1 + (hash(i) % {len(types)})::INTEGER)"
        for kind, types in TYPES.items()
    )
    return f"CASE kind {cases} END"


def generate_sql() -> str:
    """Legs for one organization: $org_id, $legs legs over the objects $object_ids of the
    kinds $kinds (lists of one length); starts over $days days before $end."""
    return f"""
        INSERT INTO legs
        SELECT $org_id, $object_ids[1 + o], kind, 1, 0, 'g' || i, 'g' || i, start_utc,
               start_utc + INTERVAL 1 HOUR,
               CASE WHEN starts_with(type, 'out_') THEN 'out' ELSE 'in' END,
               hash(i * 3) % 5 = 0, type, '07' || (i % 100000000)::VARCHAR, '', '', '', '',
               '', '', (hash(i * 5) % 60)::INTEGER,
               CASE WHEN type IN ('answered', 'in_answered', 'out_answered')
                    THEN (hash(i * 11) % 600)::INTEGER ELSE 0 END, '', ''
        FROM (
          SELECT *, {_type_by_kind()} AS type FROM (
            SELECT i, o, $kinds[1 + o] AS kind,
                   $end - to_seconds((hash(i * 7) % ($days * 86400))::BIGINT) AS start_utc
            FROM (SELECT range AS i, (hash(range * 13) % len($kinds))::BIGINT AS o
                  FROM range($legs))))
        ORDER BY start_utc"""


def generate(
    cursor: Any,
    org_id: int,
    legs: int,
    object_ids: list[int],
    kinds: list[str],
    end: datetime,
    days: int,
) -> None:
    cursor.execute(
        generate_sql(),
        {
            "org_id": org_id,
            "legs": legs,
            "object_ids": object_ids,
            "kinds": kinds,
            "end": end,
            "days": days,
        },
    )


def generate_clickhouse_sql() -> str:
    """The same legs for ClickHouse: numbers() and cityHash64 for DuckDB's range and hash."""
    cases = ", ".join(
        f"kind = '{kind}', arrayElement({types}, toUInt32(1 + cityHash64(i) % {len(types)}))"
        for kind, types in TYPES.items()
    )
    return f"""
        INSERT INTO legs
        SELECT $org_id, arrayElement($object_ids, toUInt32(o + 1)), kind, 1, 0,
               concat('g', toString(i)), concat('g', toString(i)), start_utc,
               start_utc + INTERVAL 1 HOUR, if(startsWith(type, 'out_'), 'out', 'in'),
               cityHash64(i * 3) % 5 = 0, type, concat('07', toString(i % 100000000)), '', '',
               '', '', '', '', toInt32(cityHash64(i * 5) % 60),
               if(type IN ('answered', 'in_answered', 'out_answered'),
                  toInt32(cityHash64(i * 11) % 600), 0), '', ''
        FROM (
          SELECT i, o, kind, start_utc, multiIf({cases}, '') AS type FROM (
            SELECT number AS i, cityHash64(number * 13) % length($kinds) AS o,
                   arrayElement($kinds, toUInt32(o + 1)) AS kind,
                   $end - toIntervalSecond(cityHash64(number * 7) % ($days * 86400)) AS start_utc
            FROM numbers($legs)))"""
