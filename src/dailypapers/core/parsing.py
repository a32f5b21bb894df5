"""Strict parsers of configuration values, shared by the settings table (`core/conf.py`) and
the URLs it holds (`core/mail.py`'s EMAIL_URL): a value they do not know is an error, never a
silent default."""

from __future__ import annotations


def parse_bool(value: str) -> bool:
    """`true` or `false` (also `1`, `on`, `0`, `off`; empty is false)."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "on"):
        return True
    if lowered in ("0", "false", "off", ""):
        return False
    raise ValueError("expected one of 1, true, on, 0, false, off")
