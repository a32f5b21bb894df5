"""Time the largest library import a collection accepts against the 145k-paper catalogue.

    python benchmarks/library_import.py [--data ../shared/data] [--entries 5000]
    DATABASE_URL=postgresql://.../bench python benchmarks/library_import.py --flush

The library file is BibTeX of the largest size allowed: `imports.MAX_ENTRIES` entries (5,000),
padded with abstracts up to just under `imports.MAX_BYTES`, a realistic mix: 40% with an arXiv id
(`eprint`), 20% with a DOI only, 25% with a catalogued title only (case, punctuation and TeX
accents changed), 15% with a title the catalogue does not have. Target (issue 28): seconds, not
minutes, and the page's request never held for more than a moment (a large file goes to the
worker). Runs against older code too (`PYTHONPATH=<old checkout>/src`), timing what it has.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def library(papers: list, with_doi: list, entries: int, max_bytes: int, seed: int = 28) -> bytes:
    """A BibTeX file of `entries` entries, the mix above, padded with abstracts to max_bytes."""
    rng = random.Random(seed)
    chosen = rng.sample(papers, entries)
    kinds = ["arxiv"] * 40 + ["doi"] * 20 + ["title"] * 25 + ["missing"] * 15
    blocks = []
    for n, paper in enumerate(chosen):
        kind = kinds[n % len(kinds)]
        paper = with_doi[n % len(with_doi)] if kind == "doi" else paper
        title = re.sub(r"[{}\\]", "", paper.title)  # balanced braces: every entry readable
        fields = []
        if kind == "arxiv":
            fields += [f"eprint = {{{paper.arxiv_id}}}", "archivePrefix = {arXiv}"]
        elif kind == "doi":
            fields.append(f"doi = {{{paper.doi.lower()}}}")
        elif kind == "title":
            title = title.upper() if n % 2 else title.replace(":", " --").replace("-", " ") + "."
            title = title.replace("o", '{\\"o}', 1) if n % 3 == 0 else title
        else:
            title = f"A study nobody catalogued, number {n}: {title}"
        fields.insert(0, f"title = {{{title}}}")
        fields.append(f"author = {{{' and '.join(paper.authors[:6])}}}")
        fields.append("year = {2024}")
        blocks.append((f"@article{{key{n},\n  ", fields, re.sub(r"[{}\\]", "", paper.abstract)))

    def render(room: int) -> bytes:
        out = []
        for head, fields, abstract in blocks:
            text = (abstract * (1 + room // max(len(abstract), 1)))[:room]
            out.append(head + ",\n  ".join([*fields, f"abstract = {{{text}}}"]) + "\n}\n")
        return "".join(out).encode()

    room = max(0, (max_bytes - len(render(0))) // entries)
    data = render(room)
    while len(data) > max_bytes:
        room -= 2
        data = render(room)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared/data"))
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--flush", action="store_true", help="Allow emptying DATABASE_URL.")
    args = parser.parse_args()
    if "DATABASE_URL" in os.environ and not args.flush:
        parser.error("DATABASE_URL is set: its data would be deleted; add --flush to proceed")

    tmp = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ.setdefault("DAILYPAPERS_DATA_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    import dailypapers
    from dailypapers.ingest.importer import import_files
    from dailypapers.library import collections
    from dailypapers.papers.models import Paper

    try:  # the code of issue 28
        from dailypapers.library import imports, tasks
    except ImportError:  # older code: the import is one call in collections.py
        imports = tasks = None  # type: ignore[assignment]

    print(f"code: {Path(dailypapers.__file__).parent}")
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    files = sorted((Path(args.data) / "arxiv-daily").glob("*.jsonl.gz"))
    started = time.perf_counter()
    loaded = import_files("arxiv", files)
    print(
        f"catalogue: {loaded.records:,} papers in {time.perf_counter() - started:.0f}s "
        f"({connection.vendor})"
    )
    rng = random.Random(7)
    ids = list(Paper.objects.values_list("pk", flat=True))
    for pk in rng.sample(ids, len(ids) // 5):  # a fifth of the papers published with a DOI
        Paper.objects.filter(pk=pk).update(doi=f"10.1000/J.Bench.{pk}")
    sample = list(
        Paper.objects.filter(pk__in=rng.sample(ids, 40_000))
        .exclude(doi="")
        .only("arxiv_id", "title", "abstract", "authors", "doi")
    )
    sample += list(
        Paper.objects.filter(pk__in=rng.sample(ids, 40_000), doi="").only(
            "arxiv_id", "title", "abstract", "authors", "doi"
        )
    )
    max_bytes = imports.MAX_BYTES if imports else 2_000_000
    data = library(sample, [p for p in sample if p.doi], args.entries, max_bytes)
    print(f"library: {args.entries:,} entries, {len(data):,} bytes (limit {max_bytes:,})")

    owner = User.objects.create_user("bench", "bench@example.org", "x")
    target = collections.create(owner, "Bench")
    started = time.perf_counter()
    if imports is None:
        report = collections.import_library(target, data, "library.bib")  # type: ignore[attr-defined]
    else:
        report = imports.import_library(target, data, "library.bib")
    total = time.perf_counter() - started
    print(f"import_library, in the request (old) or called directly: {total:.2f}s; {report}")

    if imports is not None:
        _, refs = imports.parse_library(data, "library.bib")
        t = time.perf_counter()
        imports.parse_library(data, "library.bib")
        parse = time.perf_counter() - t
        t = time.perf_counter()
        imports.match(refs)
        matching = time.perf_counter() - t
        print(f"  of which: read {parse:.2f}s, match {matching:.2f}s")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(owner)
        page = collections.create(owner, "Through the page")
        t = time.perf_counter()
        answer = client.post(
            f"/collections/{page.pk}/import", {"file": SimpleUploadedFile("lib.bib", data)}
        )
        held = time.perf_counter() - t
        job = page.import_jobs.get()
        print(f"the page's request: {answer.status_code} in {held * 1000:.0f} ms (queued)")
        t = time.perf_counter()
        status = tasks.run_import.call_local(job.pk)
        job.refresh_from_db()
        print(
            f"the worker's job: {status} in {time.perf_counter() - t:.2f}s, "
            f"{page.items.count():,} papers added"
        )
    sys.stdout.flush()
    if "DATABASE_URL" not in os.environ:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
