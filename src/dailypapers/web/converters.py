"""Path converters: `<id:pk>` for a row's id in an address.

Django's `<int:...>` takes any run of digits: 5,000 of them reach Python's limit on converting
digits to an integer, and 2**63 is past what a database's id column holds. An id is 1 to 19
digits and at most 2**63 - 1; anything else is no match, so the answer is 404.
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest value of a 64-bit id column (SQLite and PostgreSQL)
MAX_ID_DIGITS = len(str(MAX_ID))  # 19


class IdConverter:
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is past the largest id")  # Django: no match, a 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def register() -> None:
    """Make `<id:...>` known to the URL patterns (called before the first of them is read)."""
    register_converter(IdConverter, "id")
