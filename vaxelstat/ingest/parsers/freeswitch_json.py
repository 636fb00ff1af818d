"""FreeSWITCH mod_json_cdr documents (and ESL CHANNEL_HANGUP_COMPLETE events) → legs.

A file holds one JSON document, a JSON array of them, one document per line, or an ESL event
as `Header: value` lines (`variable_*` headers URL-encoded). Times are the UTC *_epoch
variables; where a document lacks them, its callflow's times (µs epoch).
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from vaxelstat.ingest.parsers.base import ParseResult, Reason, Reject, SourceSettings
from vaxelstat.ingest.parsers.freeswitch import add_channels, bounded_seconds, channel_from

FORMAT = "freeswitch-json"


def _variables(doc: dict[str, Any]) -> dict[str, str]:
    """The channel variables, filled in from the first callflow's caller profile and times."""
    values = {k: str(v) for k, v in doc.get("variables", {}).items()}
    flows = doc.get("callflow") or []
    flow = flows[0] if isinstance(flows, list) and flows else flows or {}
    profile = flow.get("caller_profile", {}) if isinstance(flow, dict) else {}
    for name in ("uuid", "caller_id_name", "caller_id_number", "destination_number", "context"):
        values.setdefault(name, str(profile.get(name, "")))
    times = flow.get("times", {}) if isinstance(flow, dict) else {}
    for epoch, time in (
        ("start_epoch", "created_time"),
        ("answer_epoch", "answered_time"),
        ("end_epoch", "hangup_time"),
    ):
        if not values.get(epoch) and str(times.get(time, "0")).isdigit():
            values[epoch] = str(int(times.get(time, 0)) // 1_000_000)
    return values


def _esl(text: str) -> dict[str, Any]:
    variables: dict[str, str] = {}
    headers: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if not sep:
            continue
        if name.startswith("variable_"):
            variables[name[len("variable_") :]] = unquote(value)
        else:
            headers[name] = unquote(value)
    profile = {
        "uuid": headers.get("Unique-ID", ""),
        "caller_id_name": headers.get("Caller-Caller-ID-Name", ""),
        "caller_id_number": headers.get("Caller-Caller-ID-Number", ""),
        "destination_number": headers.get("Caller-Destination-Number", ""),
        "context": headers.get("Caller-Context", ""),
    }
    return {"variables": variables, "callflow": [{"caller_profile": profile}]}


def _documents(text: str) -> list[tuple[int, Any]]:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return [(1, _esl(text))]
    try:
        doc = json.loads(text)
        docs = doc if isinstance(doc, list) else [doc]
        return [(1 if len(docs) == 1 else i + 1, d) for i, d in enumerate(docs)]
    except json.JSONDecodeError:
        pass
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                found.append((number, exc))
    return found


def _epoch(values: dict[str, str], name: str) -> datetime | None:
    value = values.get(name, "")
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() and value != "0" else None


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    text = path.read_bytes().decode("utf-8", errors="replace")
    channels = []
    for number, doc in _documents(text):
        result.lines += 1
        raw = json.dumps(doc)[:2000] if not isinstance(doc, Exception) else str(doc)
        if isinstance(doc, Exception) or not isinstance(doc, dict):
            result.rejects.append(Reject(number, Reason.MALFORMED, "not a JSON object", raw))
            continue
        values = _variables(doc)
        start = _epoch(values, "start_epoch")
        if not values.get("uuid") or start is None:
            result.rejects.append(Reject(number, Reason.MISSING_FIELD, "no uuid or start", raw))
            continue
        end = _epoch(values, "end_epoch") or start
        billsec = (
            int(values.get("billsec", "0") or 0) if values.get("billsec", "0").isdigit() else 0
        )
        try:
            bounded_seconds("billsec", billsec)
        except ValueError as exc:
            result.rejects.append(Reject(number, Reason.BAD_NUMBER, str(exc), raw))
            continue
        channels.append(
            channel_from(number, raw, values, start, _epoch(values, "answer_epoch"), end, billsec)
        )
    add_channels(channels, settings, result)
    return result
