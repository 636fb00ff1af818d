"""The OpenAPI 3.1 description of the read API, made from the same tables the API reads (the
reports, groupings, call types and orders), so it cannot drift from them."""

from typing import Any

from vaxelstat.calls.legs import TYPE_LABELS
from vaxelstat.orgs.models import MeasuredObject
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import GROUPS
from vaxelstat.reports.specification import ORDERS


def _query(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict:  # type: ignore[type-arg]
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
    }


REPORT_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "The report's key (GET /reports lists them with their columns).",
    "schema": {"type": "string", "enum": list(REPORTS)},
}
SELECTION = [
    _query(
        "objects",
        "The measured objects: numbers or names as the source shows them, comma-separated, "
        "or `all` (all the key's user may see).",
        {"type": "string", "examples": ["all", "400,401"]},
        required=True,
    ),
    _query("from", "The first day, local time.", {"type": "string", "format": "date"}, True),
    _query("to", "The last day (included).", {"type": "string", "format": "date"}, True),
    _query(
        "time",
        "A time-of-day window [start, end) in local time; none: the whole day.",
        {"type": "string", "pattern": r"^\d\d:\d\d-\d\d:\d\d$", "examples": ["08:00-17:00"]},
    ),
    _query(
        "group", "The rows' grouping.", {"type": "string", "enum": list(GROUPS), "default": "day"}
    ),
]
CALL_FILTERS = [
    _query("type", "Only calls of this type.", {"type": "string", "enum": list(TYPE_LABELS)}),
    _query("measure", "Only the calls behind this column of the report.", {"type": "string"}),
    _query("bucket", "Only the calls behind this row (its label).", {"type": "string"}),
    _query("order", "Newest or oldest first.", {"type": "string", "enum": list(ORDERS)}),
    _query(
        "limit",
        "At most this many calls.",
        {"type": "integer", "minimum": 0, "maximum": 10000, "default": 1000},
    ),
    _query(
        "offset", "Skip this many calls first.", {"type": "integer", "minimum": 0, "default": 0}
    ),
]
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "Column": {
        "type": "object",
        "required": ["key", "label", "definition", "unit", "included_in"],
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string", "description": "The Swedish column heading."},
            "definition": {"type": "string"},
            "unit": {"type": "string"},
            "included_in": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Reports": {
        "type": "object",
        "properties": {
            "reports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string", "enum": list(MeasuredObject.Kind.values)},
                        "name": {"type": "string"},
                        "name_en": {"type": "string"},
                        "columns": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Column"},
                        },
                    },
                },
            }
        },
    },
    "Objects": {
        "type": "object",
        "properties": {
            "organization": {"type": "string"},
            "timezone": {"type": "string"},
            "objects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "number": {"type": "string"},
                        "name": {"type": "string"},
                    },
                },
            },
        },
    },
    "Report": {
        "type": "object",
        "description": "As `vaxelstat report --format json` prints it (SPEC §12).",
        "required": [
            "report",
            "organization",
            "timezone",
            "from",
            "to",
            "group",
            "columns",
            "total",
            "rows",
        ],
        "properties": {
            "report": {"type": "string"},
            "organization": {"type": "string"},
            "timezone": {"type": "string"},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "time": {"type": "string"},
            "group": {"type": "string", "enum": list(GROUPS)},
            "objects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"number": {"type": "string"}, "name": {"type": "string"}},
                },
            },
            "columns": {"type": "array", "items": {"$ref": "#/components/schemas/Column"}},
            "total": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string"},
                        "start": {
                            "type": ["string", "null"],
                            "description": "ISO 8601 local start with its UTC offset; "
                            "null for profiles.",
                        },
                    },
                    "additionalProperties": {"type": ["number", "null"]},
                },
            },
        },
    },
    "Calls": {
        "type": "object",
        "description": "As `vaxelstat calls --format json` prints it (SPEC §12).",
        "required": ["total", "calls"],
        "properties": {
            "total": {"type": "integer"},
            "calls": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def document(server: str) -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Växelstatistik",
            "version": "1",
            "description": "Read every report and the calls behind it. Each request names an "
            "API key (Mitt konto → API-nycklar) and sees what the key's user may see.",
        },
        "servers": [{"url": server}],
        "security": [{"apiKey": []}],
        "paths": {
            "/reports": {
                "get": {
                    "operationId": "listReports",
                    "summary": "The reports and their columns, with definitions.",
                    "responses": _ok("Reports", "The reports."),
                }
            },
            "/objects": {
                "get": {
                    "operationId": "listObjects",
                    "summary": "The measured objects the key's user may see.",
                    "parameters": [
                        _query(
                            "kind",
                            "Only objects of this kind.",
                            {"type": "string", "enum": list(MeasuredObject.Kind.values)},
                        )
                    ],
                    "responses": _ok("Objects", "The objects."),
                }
            },
            "/reports/{key}": {
                "get": {
                    "operationId": "getReport",
                    "summary": "A report: its total and a row per group.",
                    "parameters": [REPORT_KEY, *SELECTION],
                    "responses": _ok("Report", "The report's figures."),
                }
            },
            "/reports/{key}/calls": {
                "get": {
                    "operationId": "getCalls",
                    "summary": "The call specification behind a report, or behind one figure.",
                    "parameters": [REPORT_KEY, *SELECTION, *CALL_FILTERS],
                    "responses": _ok("Calls", "The calls, a page at a time."),
                }
            },
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "BadRequest": error("A parameter is missing or wrong; the error says which."),
                "Unauthorized": error("No API key, or one that is not valid."),
                "Forbidden": error("The key's user may not read reports."),
            },
            "schemas": SCHEMAS,
        },
    }
