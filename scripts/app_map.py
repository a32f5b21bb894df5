"""The app map: lines per app, its largest module, imports between apps, cycles, imports
against the layers, function-local imports. Run it from the checkout with the project's venv:

    .venv/bin/python scripts/app_map.py

The layers are read from pyproject.toml (the import-linter contract `layers`), so the figures
are those that `lint-imports` enforces; this script only counts (see docs/architecture.md).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dailypapers"


def layer_order() -> dict[str, int]:
    """App -> its layer's height (0 = the base)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    height = {}
    for level, line in enumerate(reversed(layers)):
        for app in line.replace(":", "|").split("|"):
            height[app.strip()] = level
    return height


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def local_imports(path: Path) -> int:
    """Imports of dailypapers inside a function."""
    count = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                    "dailypapers"
                ):
                    count += 1
                elif isinstance(inner, ast.Import):
                    count += sum(a.name.startswith("dailypapers") for a in inner.names)
    return count


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    graph = grimp.build_graph("dailypapers")
    height = layer_order()
    edges: Counter[tuple[str, str]] = Counter()
    for module in graph.modules:
        if ".migrations" in module:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = app_of(module), app_of(imported)
            if a != b and a in height and b in height:
                edges[a, b] += 1
    cycles = sorted({tuple(sorted(pair)) for pair in edges if pair[::-1] in edges})
    upward = {pair: n for pair, n in edges.items() if height[pair[0]] <= height[pair[1]]}

    print(f"{'app':<14} {'layer':>5} {'lines':>6}  largest module")
    for app in sorted(height, key=lambda a: (-height[a], a)):
        files = [p for p in (PACKAGE / app).rglob("*.py") if "migrations" not in p.parts]
        sizes = {p: len(p.read_text().splitlines()) for p in files}
        largest = max(sizes, key=lambda p: sizes[p])
        print(
            f"{app:<14} {height[app]:>5} {sum(sizes.values()):>6}  "
            f"{largest.relative_to(PACKAGE)} ({sizes[largest]})"
        )
    print(f"\npairs of apps that import each other: {len(cycles)} {cycles or ''}")
    print(
        f"imports against the layers (same layer or upward): {sum(upward.values())} {upward or ''}"
    )
    files = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    print(f"function-local imports of dailypapers: {sum(local_imports(p) for p in files)}")


if __name__ == "__main__":
    main()
