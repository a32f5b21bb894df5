"""Paper content: how fast PDFs become thumbnails and text, and how big the thumbnails are.

    python benchmarks/content.py [--papers 40]

Renders the LaTeX-built fixture (tests/fixtures/pdf/long.pdf: 18 pages, an arXiv-style article)
and the demo-like short one, `--papers` times each:
- in this process (one core): first-page pictures at card and page size, the text of every
  page, and the Markdown cleaning;
- through the Renderer (the capped child process the worker uses), to show its overhead;
Targets (issue 17): >= 5 papers/s per core for thumbnail + text of a ~20-page paper; a card
thumbnail <= 30 KB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FIXTURES = ROOT / "tests" / "fixtures" / "pdf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from dailypapers.content import markdown, pdf
    from dailypapers.content.render import Renderer

    for name in ("long.pdf", "paper.pdf"):
        path = FIXTURES / name
        pdf.render(str(path), 100)  # warm up pdfium
        times, cards, pages = [], [], []
        for _ in range(args.papers):
            started = time.perf_counter()
            result = pdf.render(str(path), 100)
            markdown.to_markdown(result.text_pages, "title")
            times.append(time.perf_counter() - started)
            cards.append(len(result.card))
            pages.append(len(result.page))
        per_second = 1 / statistics.median(times)
        print(
            f"{name} ({result.pages} pages), in process: {per_second:.1f} papers/s per core "
            f"(median {statistics.median(times) * 1000:.0f} ms), "
            f"card {statistics.mean(cards) / 1000:.1f} KB, "
            f"page preview {statistics.mean(pages) / 1000:.1f} KB"
        )
        with Renderer(memory_mb=1024, timeout=60) as renderer:
            renderer.render(str(path), 100)  # start the child
            started = time.perf_counter()
            for _ in range(args.papers):
                markdown.to_markdown(renderer.render(str(path), 100).text_pages, "title")
            elapsed = time.perf_counter() - started
        print(
            f"{name}, through the capped child process: {args.papers / elapsed:.1f} papers/s "
            "(one child: one core)"
        )


if __name__ == "__main__":
    main()
