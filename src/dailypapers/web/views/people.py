"""Author pages: every paper by a written name (and the forms merged into it), its co-authors,
categories, dates and votes, an RSS feed, and a curator's merge of two written forms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dailypapers.authors import claims, memberships, names, orgs
from dailypapers.authors import services as service
from dailypapers.authors.models import Author, AuthorIndex, Claim, Membership, Organization
from dailypapers.community.services import voted_papers
from dailypapers.core.requests import SignedInRequest
from dailypapers.notifications import follows, mail, notify
from dailypapers.notifications.models import Follow, Notification, NotificationSettings
from dailypapers.papers.categories import NAMES
from dailypapers.papers.lookup import find_paper
from dailypapers.web import opml
from dailypapers.web.params import bounded_int
from dailypapers.web.views.accounts import limited, next_url

NOTIFICATIONS_SHOWN = 50


def _page_number(text: str | None) -> int:
    return bounded_int(text, 1, 99_999) or 1


def author(request: HttpRequest, key: str) -> HttpResponse:
    found = service.resolve(key) or service.resolve(names.key(key.replace("-", " ")))
    if found is None and not AuthorIndex.objects.filter(cursor__isnull=False).exists():
        response = render(request, "people/preparing.html", status=503)
        response["Retry-After"] = "60"
        return response
    if found is None:  # `/authors/Yann LeCun` finds `/authors/yann-lecun`
        raise Http404("No paper here has an author written so.")
    if found.key != key:  # another spelling's address, or a form merged into this author
        return redirect(found.get_absolute_url(), permanent=False)
    data = service.author_page(found, _page_number(request.GET.get("page")))
    context = {
        "data": data,
        "claimed_by": service.claimed_by(data.forms),
        "follows": follows.is_following(request.user, Follow.AUTHOR, found.key),
        "voted": voted_papers(request.user, [p.pk for p in data.papers]),
        "can_merge": request.user.has_perm("people.merge_author"),
        "search_query": f'author:"{found.name}"',
    }
    return render(request, "people/author.html", context)


@require_POST
@permission_required("people.merge_author", raise_exception=True)
@limited("moderate")
def merge(request: HttpRequest, key: str) -> HttpResponse:
    """A curator says two written forms are one person (`into`), or undoes it (`unmerge`)."""
    source = Author.objects.filter(key=key).first()
    if source is None:
        raise Http404("No such author.")
    if request.POST.get("unmerge"):
        target = service.resolve(source.key)
        service.unmerge(source)
        messages.success(request, f"“{source.name}” has its own page again.")
        return redirect(target.get_absolute_url() if target else source.get_absolute_url())
    target = service.resolve(request.POST.get("into", ""))
    if target is None:
        messages.error(request, "Choose the author to merge into.")
        return redirect(source.get_absolute_url())
    try:
        service.merge(source, target)
    except ValueError as exc:
        messages.error(request, str(exc).capitalize() + ".")
        return redirect(source.get_absolute_url())
    messages.success(request, f"“{source.name}” is now shown as “{target.name}”.")
    return redirect(target.get_absolute_url())


# --- claims ---------------------------------------------------------------------------------


@require_POST
@login_required
@limited("claim")
def claim_paper(request: SignedInRequest, key: str) -> HttpResponse:
    """Claim (`position`) or withdraw (`withdraw`) authorship of a paper."""
    paper = find_paper(key)
    if request.POST.get("withdraw"):
        if claims.withdraw(request.user, paper):
            messages.success(request, "Your claim was withdrawn.")
        return redirect(paper.get_absolute_url())
    position = bounded_int(request.POST.get("position"), 0, 9_999)
    position = -1 if position is None else position
    try:
        made = claims.claim(request.user, paper, position)
    except claims.ClaimError as exc:
        messages.error(request, str(exc))
    else:
        if made.status == Claim.ACCEPTED:
            messages.success(
                request, f"You are shown as {made.name} on this paper ({made.reason})."
            )
        else:
            messages.success(
                request,
                f"Your claim to be {made.name} waits for a curator: your confirmed address is not "
                "at a known domain of the institution this author's affiliation names.",
            )
    return redirect(paper.get_absolute_url())


# --- follows --------------------------------------------------------------------------------


@require_POST
@login_required
@limited("follow")
def follow(request: SignedInRequest) -> HttpResponse:
    """Follow or unfollow (`unfollow`) an author, a category or a search; back where it was."""
    kind = request.POST.get("kind", "")
    try:
        value = follows.clean(kind, request.POST.get("value", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("people:following")
    if request.POST.get("unfollow"):
        Follow.objects.filter(user=request.user, kind=kind, value=value).delete()
        messages.success(request, f"You no longer follow {follows.label(kind, value)}.")
    else:
        try:
            follows.add(request.user, kind, value)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You follow {follows.label(kind, value)}.")
    return redirect(next_url(request, reverse("people:following")))


@login_required
def following(request: SignedInRequest) -> HttpResponse:
    """What the user follows, and the newest papers of each."""
    groups = follows.recent(request.user)
    papers = [p for _, found in groups for p in found]
    context = {
        "groups": groups,
        "follow_labels": {f.pk: follows.label(f.kind, f.value) for f, _ in groups},
        "per_group": follows.PER_GROUP,
        "voted": voted_papers(request.user, [p.pk for p in papers]),
        "categories": sorted(NAMES.items()),
    }
    return render(request, "people/following.html", context)


def following_opml(request: HttpRequest) -> HttpResponse:
    """The feeds of everything the user follows, for a feed reader (OPML 2.0). Signed in, or on
    a private instance with a personal token (`?token=`, then carried into every feed address)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    token = getattr(request, "feed_token", "")
    document = opml.following(request.user, request.build_absolute_uri("/")[:-1], token)
    response = HttpResponse(document, content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="following.opml"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- notifications --------------------------------------------------------------------------


@login_required
def notifications(request: SignedInRequest) -> HttpResponse:
    """The latest notifications; opening the page marks them read."""
    latest = list(
        Notification.objects.filter(user=request.user).select_related(
            "actor", "paper", "author", "comment"
        )[:NOTIFICATIONS_SHOWN]
    )
    unread = [n.pk for n in latest if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    items = [(n, notify.describe(n), n.pk in unread) for n in latest]
    prefs = mail.settings_for(request.user)
    context = {"items": items, "kinds": Notification.KINDS, "email_off": set(prefs.email_off)}
    return render(request, "people/notifications.html", context)


@require_POST
@login_required
@limited("settings")
def notification_settings(request: SignedInRequest) -> HttpResponse:
    """Which kinds of notification also come by email (checked: by email)."""
    prefs = mail.settings_for(request.user)
    wanted = set(request.POST.getlist("email"))
    prefs.email_off = [kind for kind, _ in Notification.KINDS if kind not in wanted]
    prefs.save(update_fields=["email_off"])
    messages.success(request, "Your email choices are saved.")
    return redirect("people:notifications")


@csrf_exempt  # a mail client's one-click POST carries no CSRF token (RFC 8058)
@limited("unsubscribe")
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST (the page's button, or a mail client's one-click) stops every notification email;
    GET only asks."""
    prefs = NotificationSettings.objects.filter(token=token[:64]).select_related("user").first()
    if prefs is None:
        raise Http404("This link is not valid (any more).")
    done = request.method == "POST"
    if done:
        prefs.email_off = [kind for kind, _ in Notification.KINDS]
        prefs.save(update_fields=["email_off"])
    return render(request, "people/unsubscribe.html", {"prefs": prefs, "done": done})


def notification_badge(request: HttpRequest) -> HttpResponse:
    """The bell's unread count (htmx polls it every minute)."""
    return render(request, "people/_bell.html", {})


# --- organizations --------------------------------------------------------------------------


def organization(request: HttpRequest, key: str) -> HttpResponse:
    org = (
        Organization.objects.filter(key=key[:150]).first()
        or Organization.objects.filter(key=orgs.key(key.replace("-", " "))).first()
    )
    if org is None:
        raise Http404("No paper here names that organization.")
    if org.key != key:
        return redirect(org.get_absolute_url())
    data = service.organization_page(org, _page_number(request.GET.get("page")))
    user = request.user if isinstance(request.user, User) else None
    mine = Membership.objects.filter(user=user, organization=org).first() if user else None
    evidence = memberships.would_verify(user, org) if user and mine is None else None
    context = {
        "data": data,
        "voted": voted_papers(request.user, [p.pk for p in data.papers]),
        "membership": mine,
        "is_member": mine is not None and mine.status == Membership.ACCEPTED,
        "can_join": evidence is not None,
        "would_verify": evidence is not None and evidence.verified,
        "email": evidence.email if evidence else "",
    }
    return render(request, "people/organization.html", context)


@require_POST
@login_required
@limited("claim")
def join(request: SignedInRequest, key: str) -> HttpResponse:
    """Ask to be a member (accepted at once when the confirmed address's domain is the
    institution's, else by a curator), or leave (`leave`)."""
    org = Organization.objects.filter(key=key[:150]).first()
    if org is None:
        raise Http404("No such organization.")
    if request.POST.get("leave"):
        if memberships.leave(request.user, org):
            messages.success(request, f"You left {org.name}.")
        return redirect(org.get_absolute_url())
    try:
        member = memberships.join(request.user, org)
    except claims.ClaimError as exc:
        messages.error(request, str(exc))
        return redirect(org.get_absolute_url())
    if member.status == Membership.ACCEPTED:
        messages.success(request, f"You are shown as a member of {org.name}.")
    elif member.status == Membership.PENDING:
        messages.success(
            request,
            f"Your membership of {org.name} waits for a curator: your confirmed address is not "
            "at a known domain of that institution.",
        )
    else:
        messages.error(request, f"A curator did not accept your membership of {org.name}.")
    return redirect(org.get_absolute_url())
