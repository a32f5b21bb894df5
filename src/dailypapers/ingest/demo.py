"""The demo data set shipped inside the package (built by scripts/build_demo.py)."""

from __future__ import annotations

from pathlib import Path

from dailypapers.ingest.importer import ImportResult, import_file
from dailypapers.papers.models import Paper

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "demo.jsonl.gz"


def load_demo() -> ImportResult:
    """Load (or refresh) the demo papers; idempotent."""
    return import_file("demo", DEMO_FILE)


def database_is_empty() -> bool:
    return not Paper.objects.exists()
