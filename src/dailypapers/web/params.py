"""Integers from the outside (query parameters, form fields), parsed within bounds.

`int()` of a parameter is unsafe twice over: 4,301 digits or more raise Python's limit on
converting digits (a 500), and a number past what a database column holds fails the query.
Every integer a page reads from a request comes through `bounded_int`.
"""

from __future__ import annotations

from dailypapers.web.converters import MAX_ID


def bounded_int(text: str | None, low: int, high: int) -> int | None:
    """The integer `text` spells (ASCII digits, an optional leading minus), if it lies in
    [low, high]; None for anything else: empty, not a number, too long, out of range."""
    if not text:
        return None
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return None
    significant = digits.lstrip("0") or "0"  # leading zeros count towards Python's limit too
    if len(significant) > max(len(str(abs(low))), len(str(abs(high)))):
        return None
    number = -int(significant) if text.startswith("-") else int(significant)
    return number if low <= number <= high else None


def id_param(text: str | None) -> int | None:
    """A row's id (1 to 2**63 - 1), or None."""
    return bounded_int(text, 1, MAX_ID)
