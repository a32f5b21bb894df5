"""System tests: the whole product as an operator runs it (servers in child processes, a real
browser, a reverse proxy, crashes, several nodes). Each is marked `system`: `-m "not system"`
runs the rest in a few minutes."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.system)
