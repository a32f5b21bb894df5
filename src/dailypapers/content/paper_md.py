"""A paper as Markdown (`/papers/{id}.md`, `HfApi.read_paper`, `Accept: text/markdown`)."""

from __future__ import annotations

from dailypapers.content.models import PaperContent
from dailypapers.papers.models import Paper


def paper_markdown(paper: Paper) -> str:
    """/papers/{id}.md (`HfApi.read_paper`): the paper's text as Markdown when its PDF was
    processed (content app), after a header of what the site holds about it; else the header
    and the abstract."""
    entry = getattr(paper, "entry", None)
    lines = [f"# {paper.title}", ""]
    if paper.authors:
        lines += [f"**Authors:** {', '.join(paper.authors)}", ""]
    if paper.arxiv_id:
        lines += [f"**arXiv:** https://arxiv.org/abs/{paper.arxiv_id}"]
    if paper.code_url:
        lines += [f"**Code:** {paper.code_url}"]
    if paper.project_url:
        lines += [f"**Project page:** {paper.project_url}"]
    if paper.categories:
        lines += [f"**Categories:** {', '.join(paper.categories)}"]
    if entry:
        lines += [f"**In Daily Papers:** {entry.day.isoformat()} ({paper.upvotes} upvotes)"]
    if paper.keywords:
        lines += [f"**Keywords:** {', '.join(paper.keywords)}"]
    if paper.summary:
        made = " (generated)" if paper.summary_is_generated else ""
        lines += [f"**Summary{made}:** {paper.summary}"]
    body = PaperContent.objects.filter(paper=paper).values_list("text", flat=True).first()
    if body:
        # The text starts with the title as its heading, given above.
        body = body.split("\n", 1)[1].lstrip("\n") if body.startswith("# ") else body
        lines += ["", "---", "", body]
        return "\n".join(lines)
    lines += ["", "## Abstract", "", paper.abstract or "(no abstract)", ""]
    return "\n".join(lines)
