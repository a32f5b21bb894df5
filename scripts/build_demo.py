"""Rebuild the shipped demo set from ../shared/data (a developer tool; the product never reads it).

    python scripts/build_demo.py [SHARED_DATA_DIR]

Writes src/dailypapers/papers/demo/demo.jsonl.gz:
- the arXiv papers announced on ARXIV_DAYS (the catalogue: "New on arXiv" and search);
- the 18 papers of the original Daily Papers page (title and abstract; none of them is in the
  shared arXiv corpus, so they have no arXiv id), in the catalogue only: with no authors, votes
  or links they would make a poor first impression as the feed's latest day;
- the Hugging Face daily papers of HF_DAYS with their real votes (the Daily feed), with
  categories from the arXiv corpus where the paper is in it.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

ARXIV_DAYS = {"2026-05-27", "2026-05-28"}
HF_DAYS = {"2026-05-25", "2026-05-26", "2026-05-27", "2026-05-28"}
OUT = Path(__file__).resolve().parent.parent / "src/dailypapers/papers/demo/demo.jsonl.gz"


def original_page(path: Path) -> list[dict]:
    paras = [p.strip() for p in path.read_text().split("\n\n") if p.strip()]
    papers = []
    for i in range(len(paras) - 1):
        if len(paras[i]) < 300 and len(paras[i + 1]) > 300:
            papers.append({"title": paras[i], "abstract": paras[i + 1]})
    return papers


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "../../shared/data")
    page = original_page(data / "original-daily-papers-page.txt")
    assert len(page) == 18, len(page)
    rows = []
    hf_rows = (data / "hf-daily-papers/hf_daily_papers.jsonl").read_text().splitlines()
    hf = [json.loads(line) for line in hf_rows]
    hf = [r for r in hf if r["daily_date"] in HF_DAYS]
    wanted = {r["arxiv_id"] for r in hf}
    categories = {}
    for shard in sorted((data / "arxiv-daily").glob("papers-*.jsonl.gz")):
        with gzip.open(shard, "rt") as lines:
            for line in lines:
                rec = json.loads(line)
                if rec["id"] in wanted:
                    categories[rec["id"]] = rec["categories"]
                if rec["listed_date"] in ARXIV_DAYS:
                    rec.pop("source", None)
                    rows.append(rec)
    listed = len(rows)
    rows += page
    keep = (
        "arxiv_id",
        "daily_date",
        "title",
        "abstract",
        "authors",
        "published_at",
        "submitted_on_daily_at",
        "upvotes",
        "num_comments",
        "ai_keywords",
        "github_repo",
        "project_page",
        "institution",
    )
    for r in hf:
        row = {k: r[k] for k in keep}
        if r["arxiv_id"] in categories:
            row["categories"] = categories[r["arxiv_id"]]
        rows.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw, io.TextIOWrapper(raw, "utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(
        f"wrote {len(rows)} records to {OUT}: {listed} arXiv papers, {len(page)} of the original "
        f"page, {len(hf)} Hugging Face daily papers ({len(categories)} with categories)"
    )


if __name__ == "__main__":
    main()
