"""One module per source format, each with FORMAT and parse(path, settings) -> ParseResult."""

from types import ModuleType

from vaxelstat.ingest.parsers import (
    asterisk_cdr,
    asterisk_queue_log,
    broadworks,
    canonical_csv,
    freeswitch_csv,
    freeswitch_json,
)

PARSERS: dict[str, ModuleType] = {
    m.FORMAT: m
    for m in (
        asterisk_cdr,
        asterisk_queue_log,
        broadworks,
        canonical_csv,
        freeswitch_csv,
        freeswitch_json,
    )
}
# A collection point of format "asterisk" takes both Asterisk files.
POINT_FORMATS = {"asterisk": ("asterisk-cdr", "asterisk-queue-log")}
