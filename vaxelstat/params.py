"""Whole numbers a request names (ids, pages, offsets, limits): ASCII digits within a range, or
None. A number past what a column holds, or digits of another script ('²' is a digit to
str.isdigit() but no number to int()), never reaches a query: no 500 for any of them."""

from collections.abc import Iterable

# The largest id a BIGINT column holds.
MAX_ID = 2**63 - 1


def whole(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """The number `text` writes, where it is low..high; else None."""
    text = (text or "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def ids(values: Iterable[str]) -> list[int]:
    """The ids of a list of values, each one id or several separated by commas (checkboxes
    send o=1&o=2; links carry o=1,2); what is no id is left out."""
    found = (whole(v, 1) for value in values for v in value.split(","))
    return [i for i in found if i is not None]
