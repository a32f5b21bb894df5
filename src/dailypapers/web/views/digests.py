"""Subscribe from any page; confirm, manage and unsubscribe from links in the mail."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from dailypapers.community.ratelimit import RateLimited, check
from dailypapers.digests import subscriptions
from dailypapers.digests.models import Subscription
from dailypapers.web.views.accounts import limited, too_many


def _split(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.replace("\n", ",").split(",")) if part]


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe an address (double opt-in: nothing is sent but the confirmation mail).

    An anonymous visitor's form carries no CSRF token, so that the pages holding it can be
    cached for every visitor: a forged request can only ask for a confirmation mail, which
    anyone can ask for. A signed-in user's subscription is tied to the account, so that one
    is CSRF-checked.
    """
    if request.user.is_authenticated:
        return _subscribe_checked(request)
    return _subscribe(request)


def _subscribe(request: HttpRequest) -> HttpResponse:
    try:
        check(request, "subscribe")
    except RateLimited as exc:
        return too_many(request, exc)
    email = request.POST.get("email", "")
    try:
        subscriptions.subscribe(
            email,
            request.POST.get("frequency", Subscription.DAILY),
            categories=_split(request.POST.get("categories", "")),
            keywords=_split(request.POST.get("keywords", "")),
            user=request.user,
        )
    except subscriptions.SubscriptionError as exc:
        return render(
            request, "digests/subscribe.html", {"error": str(exc), "email": email}, status=400
        )
    return render(request, "digests/check_email.html", {"email": email.strip().lower()})


_subscribe_checked = csrf_protect(_subscribe)


PREVIEW = "preview"  # the token of digests sent by `digest send --to` to an unsubscribed address


def _subscription(request: HttpRequest, token: str) -> Subscription | HttpResponse:
    if token == PREVIEW:
        message = (
            "This link came in a preview digest (dailypapers digest send --to): the address it "
            "was sent to has no subscription to manage or end."
        )
        context = {"message": message, "heading": "A preview digest"}
        return render(request, "papers/error.html", context)
    return get_object_or_404(Subscription, token=token)


@limited("digest")
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links); POST confirms."""
    sub = _subscription(request, token)
    if isinstance(sub, HttpResponse):
        return sub
    if request.method == "POST":
        subscriptions.confirm(sub)
        messages.success(request, f"Subscribed: {sub.email} will get the {sub.frequency} digest.")
        return redirect("digests:manage", token=token)
    return render(request, "digests/confirm.html", {"sub": sub})


@limited("digest")
def manage(request: HttpRequest, token: str) -> HttpResponse:
    sub = _subscription(request, token)
    if isinstance(sub, HttpResponse):
        return sub
    error = ""
    if request.method == "POST":
        try:
            subscriptions.update(
                sub,
                request.POST.get("frequency", ""),
                _split(request.POST.get("categories", "")),
                _split(request.POST.get("keywords", "")),
                for_you=request.POST.get("for_you") == "1",
                user=request.user,
            )
        except subscriptions.SubscriptionError as exc:
            error = str(exc)
        else:
            messages.success(request, "Saved.")
            return redirect("digests:manage", token=token)
    return render(
        request, "digests/manage.html", {"sub": sub, "error": error}, status=400 if error else 200
    )


@csrf_exempt  # RFC 8058: mail clients POST here without a session or a token
@limited("unsubscribe")
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST (a form, or a mail client's one-click) unsubscribes, idempotently; GET only asks."""
    sub = _subscription(request, token)
    if isinstance(sub, HttpResponse):
        return sub
    if request.method == "POST":
        subscriptions.unsubscribe(sub)
        return render(request, "digests/unsubscribed.html", {"sub": sub})
    return render(request, "digests/unsubscribe.html", {"sub": sub})
