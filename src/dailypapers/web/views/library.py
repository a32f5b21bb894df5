"""Collections pages (list, page, edit, order, notes, import, BibTeX/RIS) and "For you".

A collection that is not visible to the request's user answers 404, exactly as a collection
that does not exist: its existence is not disclosed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dailypapers.community.services import voted_papers
from dailypapers.core.requests import HtmxRequest, SignedInRequest
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.library import collections, foryou, imports, tasks
from dailypapers.library.models import (
    Collection,
    CollectionItem,
    Feedback,
    ForYouState,
    ImportJob,
)
from dailypapers.notifications.models import Follow
from dailypapers.papers import cite
from dailypapers.papers.lookup import find_paper
from dailypapers.web.params import id_param
from dailypapers.web.views.accounts import limited, next_url, sign_in_first

PER_PAGE = 50
READING_LIST = "Reading list"


def visible(request: HttpRequest, pk: int) -> Collection:
    found = Collection.objects.visible_to(request.user).select_related("owner").filter(pk=pk)
    collection = found.first()
    if collection is None:
        raise Http404("No such collection.")
    return collection


def owned(user: User, pk: int) -> Collection:
    collection = Collection.objects.filter(pk=pk, owner=user).first()
    if collection is None:
        raise Http404("No such collection of yours.")
    return collection


def index(request: HttpRequest) -> HttpResponse:
    """Your collections (signed in), and the newest public ones."""
    mine = []
    if request.user.is_authenticated:
        mine = list(Collection.objects.filter(owner=request.user).order_by("-updated_at"))
    public = (
        Collection.objects.filter(public=True)
        .exclude(owner_id=request.user.pk)
        .select_related("owner")
        .order_by("-updated_at")[:50]
    )
    counts: dict[int, int] = {}
    for cid in CollectionItem.objects.filter(
        collection_id__in=[c.pk for c in [*mine, *public]]
    ).values_list("collection_id", flat=True):
        counts[cid] = counts.get(cid, 0) + 1
    context = {"mine": mine, "public": list(public), "counts": counts}
    return render(request, "personal/collections.html", context)


@require_POST
@login_required
@limited("collection")
def create(request: SignedInRequest) -> HttpResponse:
    """A new collection, with a first paper (`paper`) if given: both are made or neither."""
    paper_key = request.POST.get("paper", "")
    paper = find_paper(paper_key) if paper_key else None  # 404 before anything is made
    try:
        made = collections.create(
            request.user,
            request.POST.get("name", ""),
            request.POST.get("description", ""),
            public=request.POST.get("public") == "1",
            first=paper,
        )
    except collections.CollectionError as exc:
        messages.error(request, str(exc))
        return redirect(
            next_url(request, paper.get_absolute_url()) if paper else "personal:collections"
        )
    if paper is not None:
        messages.success(request, f"Saved in your new collection “{made.name}”.")
        return redirect(next_url(request, paper.get_absolute_url()))
    messages.success(request, f"Your collection “{made.name}” is made.")
    return redirect(made.get_absolute_url())


def collection(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    found = visible(request, pk)
    if slug != found.slug:
        return redirect(found.get_absolute_url(), permanent=False)
    papers = collections.papers_of(found)
    page = Paginator(papers, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "collection": found,
        "importing": imports.unfinished(found) if found.owner_id == request.user.pk else None,
        "page": page,
        "papers": list(page.object_list),
        "total": len(papers),
        "is_owner": found.owner_id == request.user.pk,
        "voted": voted_papers(request.user, [p.pk for p in page.object_list]),
    }
    return render(request, "personal/collection.html", context)


@require_POST
@login_required
@limited("collection")
def edit(request: SignedInRequest, pk: int) -> HttpResponse:
    found = owned(request.user, pk)
    if request.POST.get("delete"):
        name = found.name
        found.delete()
        messages.success(request, f"The collection “{name}” is deleted.")
        return redirect("personal:collections")
    try:
        collections.update(
            found,
            request.POST.get("name", ""),
            request.POST.get("description", ""),
            public=request.POST.get("public") == "1",
        )
    except collections.CollectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Saved.")
    return redirect(found.get_absolute_url())


@require_POST
@login_required
@limited("collection")
def item(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change one paper of a collection: `action` is remove, up, down, top, bottom or note."""
    found = owned(request.user, pk)
    paper = find_paper(request.POST.get("paper", ""))
    action = request.POST.get("action", "")
    try:
        if action == "remove":
            collections.remove(found, paper)
            messages.success(request, "Removed from the collection.")
        elif action == "note":
            collections.set_note(found, paper, request.POST.get("note", ""))
            messages.success(request, "Note saved.")
        else:
            collections.move(found, paper, action)
    except collections.CollectionError as exc:
        messages.error(request, str(exc))
    return redirect(next_url(request, found.get_absolute_url()) + f"#paper-{paper.pk}")


def reading_list(user: User) -> Collection:
    """The user's first collection named "Reading list", made when first needed."""
    found = Collection.objects.filter(owner=user, name=READING_LIST).first()
    return found or collections.create(user, READING_LIST)


@require_POST
@limited("collection")
def save(request: HtmxRequest, key: str) -> HttpResponse:
    """Save a paper into a collection (`collection`, default the reading list) or take it out
    (`remove`); htmx gets the button back, a plain form goes back where it was."""
    paper = find_paper(key)
    if not request.user.is_authenticated:
        return sign_in_first(request, paper)
    number = id_param(request.POST.get("collection"))
    try:
        target = reading_list(request.user) if number is None else owned(request.user, number)
        if request.POST.get("remove"):
            collections.remove(target, paper)
            note = f"Removed from “{target.name}”."
        else:
            collections.add(target, paper)
            note = f"Saved in “{target.name}”."
    except collections.CollectionError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, str(exc))
        return redirect(next_url(request, paper.get_absolute_url()))
    if request.htmx:
        template = (
            "personal/_collections_panel.html"
            if request.POST.get("panel")
            else "personal/_save.html"
        )
        return render(request, template, {"paper": paper, "flash": note})
    messages.success(request, note)
    return redirect(next_url(request, paper.get_absolute_url()))


def export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    found = visible(request, pk)
    papers = collections.papers_of(found)
    if kind == "bib":
        body, content_type = cite.bibtex_many(papers), "application/x-bibtex; charset=utf-8"
    else:
        body, content_type = cite.ris_many(papers), "application/x-research-info-systems"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{found.slug}.{kind}"'
    if not found.public:
        response["Cache-Control"] = "private, no-store"
    return response


@login_required
@limited("collection-import")
def import_library(request: SignedInRequest, pk: int) -> HttpResponse:
    """GET: the form, or (`?job=`) a large import's progress, then its report. POST: a
    BibTeX/RIS/CSL-JSON file; a small one is imported at once and answered with its report, a
    large one is queued for the worker and answered with a redirect to its progress."""
    found = owned(request.user, pk)
    context: dict = {"collection": found, "limit": imports.limit_text()}
    job_text = request.GET.get("job", "")
    if (
        request.method != "POST"
        and job_text.isascii()
        and job_text.isdigit()
        and len(job_text) < 19
    ):
        job = found.import_jobs.filter(pk=int(job_text)).defer("data").first()
        if job is None:
            raise Http404("No such import.")
        context["job"] = job
        if job.status == ImportJob.DONE:
            context["report"] = imports.ImportReport.from_json(job.report)
        elif job.status == ImportJob.FAILED:
            context["error"] = job.error
        return render(request, "personal/import.html", context)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose a file to import."
        elif (size := upload.size or 0) > imports.MAX_BYTES:
            context["error"] = imports.too_large(size)
        elif imports.needs_worker(size):
            try:
                job = imports.queue(found, upload.read(), upload.name or "")
            except collections.CollectionError as exc:
                context["error"] = str(exc)
            else:
                transaction.on_commit(lambda: tasks.queue_import(job.pk))
                url = reverse("personal:import", args=[found.pk]) + f"?job={job.pk}"
                return redirect(url)
        else:
            try:
                report = imports.import_library(found, upload.read(), upload.name or "")
            except collections.CollectionError as exc:
                context["error"] = str(exc)
            else:
                foryou.mark_stale(request.user.pk)
                context["report"] = report
        status = 400 if "error" in context else 200
        return render(request, "personal/import.html", context, status=status)
    context["running"] = imports.unfinished(found)
    return render(request, "personal/import.html", context)


# --- For you ------------------------------------------------------------------------------


def for_you(request: HttpRequest) -> HttpResponse:
    """The day's (`range=day`) or the window's (`range=week`) papers ranked for the reader."""
    span = foryou.window()
    wanted = request.GET.get("range", "day")
    wanted = wanted if wanted in ("day", "week") else "day"
    context: dict = {
        "range": wanted,
        "span": span,
        "picks": [],
        "state": None,
        "config_days": settings.FORYOU_DAYS,
    }
    if span is not None:
        start = span[1] if wanted == "day" else span[0]
        context["start"], context["end"] = start, span[1]
    if request.user.is_authenticated and span is not None:
        state = foryou.ensure_fresh(request.user)
        context["state"] = state
        if state is not None:
            found = foryou.picks_for(
                request.user, context["start"], context["end"], settings.FORYOU_PICKS
            )
            page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
            context.update(page=page, picks=list(page.object_list), total=len(found))
            context["own"] = foryou.own_papers_for(request.user, context["start"], span[1])
            shown_ids = [p.paper_id for p in context["picks"]]
            context["feedback"] = dict(
                Feedback.objects.filter(user=request.user, paper_id__in=shown_ids).values_list(
                    "paper_id", "kind"
                )
            )
    if not context["picks"] and span is not None:
        # A new reader (or one whose library matches nothing recent): the plain Daily feed.
        day = listings.latest_day(listings.today())
        if day is not None:
            period = listings.Period("day", day, day)
            ids = listings.trending_ids(listings.entries_in(period), period, 0, 30)
            entries = DailyEntry.objects.select_related("paper").in_bulk(ids)
            context["fallback"] = [entries[i].paper for i in ids if i in entries]
            context["fallback_day"] = day
    shown = (
        [p.paper for p in context["picks"]]
        + [p.paper for p in context.get("own", [])]
        + context.get("fallback", [])
    )
    context["voted"] = voted_papers(request.user, [p.pk for p in shown])
    state = context["state"]
    context["library_size"] = state.library_size if isinstance(state, ForYouState) else 0
    context["empty_library"] = request.user.is_authenticated and not (
        context["library_size"] or Follow.objects.filter(user=request.user).exists()
    )
    return render(request, "personal/for_you.html", context)


FEEDBACK_ACTIONS = {"more": Feedback.MORE, "less": Feedback.LESS}
FEEDBACK_NOTES = {
    "more": "Noted: more papers like this one.",
    "less": "Noted: fewer papers like this one.",
    "undo": "Undone: this paper no longer steers your picks.",
}


@require_POST
@login_required
@limited("settings")
def feedback(request: SignedInRequest) -> HttpResponse:
    """ "More like this" (`action=more`), "Not interested" (`less`) or `undo` on one paper
    (`paper`, its key): taken into the next ranking. htmx gets the pick's buttons back, a
    plain form goes back where it was."""
    user = request.user
    paper = find_paper(request.POST.get("paper", ""))
    action = request.POST.get("action", "")
    if action in FEEDBACK_ACTIONS:
        foryou.give_feedback(user, paper, FEEDBACK_ACTIONS[action])
        kind = FEEDBACK_ACTIONS[action]
    elif action == "undo":
        foryou.undo_feedback(user, paper)
        kind = ""
    else:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    if request.htmx:
        context = {"paper": paper, "kind": kind, "flash": FEEDBACK_NOTES[action]}
        return render(request, "personal/_feedback.html", context)
    messages.success(request, FEEDBACK_NOTES[action])
    return redirect(next_url(request, reverse("personal:foryou-settings")))


@login_required
@limited("settings")
def for_you_settings(request: SignedInRequest) -> HttpResponse:
    """What the reader taught For you ("more like this", "not interested"), each undoable
    (POST `paper`: undo), and what else it reads."""
    if request.method == "POST":
        paper = find_paper(request.POST.get("paper", ""))
        if foryou.undo_feedback(request.user, paper):
            messages.success(request, FEEDBACK_NOTES["undo"])
        return redirect(reverse("personal:foryou-settings"))
    given = Feedback.objects.filter(user=request.user).select_related("paper")
    follows = Follow.objects.filter(user=request.user).order_by("kind", "value")
    context = {
        "more": [f for f in given if f.kind == Feedback.MORE],
        "less": [f for f in given if f.kind == Feedback.LESS],
        "follows": follows,
        "own_keys": sorted(foryou.own_keys(request.user)),
    }
    return render(request, "personal/for_you_settings.html", context)
