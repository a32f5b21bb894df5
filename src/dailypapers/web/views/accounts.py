"""Accounts, votes, comments, submissions. Every change is a POST behind CSRF and a rate limit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST

from dailypapers.community import services, sso
from dailypapers.community.forms import (
    CommentForm,
    LoginForm,
    PasswordResetForm,
    SignupForm,
    SubmitForm,
)
from dailypapers.community.models import Comment, Reaction, Vote
from dailypapers.community.ratelimit import RateLimited, check
from dailypapers.core.http import FetchError
from dailypapers.core.requests import HtmxRequest, SignedInRequest
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.lookup import find_paper
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)


def after_response(response: HttpResponse, work: Callable[[], object]) -> None:
    """Run `work` once the answer has been sent (when the server closes the response), so that
    its cost (sending a mail) does not show in the answer's time; a failure is logged."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("work after the response failed")

    # Django's own list of what `close()` calls: no public hook runs code after the answer.
    response._resource_closers.append(run)  # type: ignore[attr-defined]


def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "community/limited.html", {"message": str(exc)}, status=429)
    response["Retry-After"] = str(exc.verdict.retry_after)
    return response


def limited(scope: str, *, per_user: bool = True, key_field: str = "") -> Callable:
    """Count POSTs to the view against the scope's rate limits; answer 429 past them.

    `key_field` names a posted field counted as a key of its own (the username at sign-in).
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "POST":
                extra = request.POST.get(key_field, "") if key_field else ""
                try:
                    check(request, scope, per_user=per_user, extra=extra)
                except RateLimited as exc:
                    return too_many(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def next_url(request: HttpRequest, fallback: str) -> str:
    """Where to go back to: a path on this site only (`redirect("0")` would look for a view
    named "0"; `//evil.example` is another site)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    if local and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --- accounts ----------------------------------------------------------------------------------


@limited("signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("papers:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        base = request.build_absolute_uri("/")
        existing = User.objects.filter(email__iexact=email).first()
        response = render(request, "community/check_email.html", {"email": email})
        if existing is not None:  # the same page; the owner of the address learns of it
            after_response(response, lambda: services.send_account_exists(existing, base))
        else:
            user = form.save()
            after_response(response, lambda: services.send_confirmation(user, base))
        return response
    context = {"form": form, "sso_buttons": sso.buttons(request)}
    return sso.with_buttons(request, render(request, "community/signup.html", context))


@limited("login")  # the POST signs in
def confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); the POST confirms and signs in."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not services.confirmation_tokens.check_token(user, token):
        return render(request, "community/confirm.html", {"valid": False}, status=400)
    if request.method == "POST" and services.confirm_email(user, token):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your email address is confirmed. Welcome!")
        return redirect("papers:home")
    return render(request, "community/confirm.html", {"valid": True})


@limited("password-reset", per_user=False)
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is not None and not services.email_confirmed(user):
            services.send_confirmation(user, request.build_absolute_uri("/"))
        # The same answer whether or not the address is known.
        return render(request, "community/check_email.html", {"email": email})
    return render(request, "community/resend.html", {})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "community/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"sso_buttons": sso.buttons(self.request)}

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        return sso.with_buttons(self.request, super().render_to_response(context, **kwargs))


login_view = limited("login", per_user=False, key_field="username")(LoginView.as_view())


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """The one write without a rate limit: it ends only the caller's own session, and refusing
    it would leave someone signed in on a shared computer."""
    logout(request)  # flushes the session
    return redirect("papers:home")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, but the mail is sent after the answer: a known and an unknown address take the
    same time to answer (it took 35 vs 14 ms), and one address gets only so many mails."""

    form_class = PasswordResetForm

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        assert isinstance(form, PasswordResetForm)  # form_class
        response = super().form_valid(form)
        after_response(response, form.send_held)
        return response


password_reset = limited("password-reset", per_user=False)(
    PasswordResetView.as_view(
        template_name="community/password_reset.html",
        email_template_name="community/email/password_reset.txt",
        html_email_template_name="community/email/password_reset.html",
        subject_template_name="community/email/password_reset_subject.txt",
        success_url=reverse_lazy("community:password-reset-sent"),
    )
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="community/password_reset_sent.html"
)
password_reset_confirm = limited("password-reset")(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="community/password_reset_confirm.html",
        success_url=reverse_lazy("community:password-reset-done"),
    )
)
password_reset_done = auth_views.PasswordResetCompleteView.as_view(
    template_name="community/password_reset_done.html"
)


def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(User, username=username)
    context = {
        "person": person,
        "submissions": DailyEntry.objects.filter(submitted_by=person)
        .select_related("paper")
        .order_by("-submitted_at")[:50],
        "votes": Vote.objects.filter(user=person)
        .select_related("paper")
        .order_by("-created_at")[:50],
        "comments": Comment.objects.filter(author=person, hidden=False)
        .select_related("paper")
        .order_by("-created_at")[:50],
        "tokens": list(person.api_tokens.all()) if person == request.user else [],
    }
    return render(request, "community/profile.html", context)


# --- votes -------------------------------------------------------------------------------------


def sign_in_first(request: HtmxRequest, paper: Paper) -> HttpResponse:
    """To the sign-in page, back to the paper after: a redirect, or htmx's HX-Redirect."""
    login_url = f"{reverse('community:login')}?next={paper.get_absolute_url()}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


@require_POST
@limited("vote")
def vote(request: HtmxRequest, key: str) -> HttpResponse:
    paper = find_paper(key)
    if not request.user.is_authenticated:
        return sign_in_first(request, paper)
    wanted = request.POST.get("vote", "1") != "0"
    try:
        state = services.set_vote(request.user, paper, wanted)
    except services.ActionError as exc:
        return render(request, "community/limited.html", {"message": str(exc)}, status=400)
    if request.htmx:
        size = "large" if request.POST.get("size") == "large" else ""
        context = {"paper": paper, "voted": state.voted, "upvotes": state.upvotes}
        context["vote_size"] = size
        return render(request, "community/_vote.html", context)
    return redirect(next_url(request, paper.get_absolute_url()))


# --- comments ----------------------------------------------------------------------------------


@login_required
@require_POST
@limited("comment")
def comment(request: SignedInRequest, key: str) -> HttpResponse:
    paper = find_paper(key)
    form = CommentForm(request.POST)
    if not form.is_valid():
        errors = (str(e) for field_errors in form.errors.values() for e in field_errors)
        messages.error(request, "; ".join(errors))
        return redirect(paper.get_absolute_url() + "#comments")
    parent = None
    if form.cleaned_data["parent"]:
        parent = get_object_or_404(Comment, pk=form.cleaned_data["parent"], paper=paper)
    try:
        new = services.add_comment(request.user, paper, form.cleaned_data["body"], parent)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect(paper.get_absolute_url() + "#comments")
    if request.htmx:
        return render(request, "community/_comment.html", {"c": new, "paper": paper})
    return redirect(f"{paper.get_absolute_url()}#comment-{new.pk}")


@login_required
@limited("comment")
def edit_comment(request: SignedInRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    if not services.can_edit(request.user, found):
        raise Http404("This comment cannot be edited (any more).")
    if request.method == "POST":
        try:
            services.edit_comment(request.user, found, request.POST.get("body", ""))
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            return redirect(f"{found.paper.get_absolute_url()}#comment-{found.pk}")
    return render(request, "community/edit_comment.html", {"c": found})


@require_POST
@limited("reaction")
def react(request: HtmxRequest, pk: int) -> HttpResponse:
    """Toggle a reaction on a comment; htmx gets the comment's reactions back."""
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    back = f"{found.paper.get_absolute_url()}#comment-{found.pk}"
    if not request.user.is_authenticated:
        return redirect(f"{reverse('community:login')}?next={found.paper.get_absolute_url()}")
    try:
        services.toggle_reaction(request.user, found, request.POST.get("emoji", ""))
    except services.ActionError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        messages.error(request, str(exc))
        return redirect(back)
    if request.htmx:
        context = {
            "c": found,
            "reactions": services.reactions_of([found.pk], request.user),
            "choices": Reaction.EMOJI,
        }
        return render(request, "community/_reactions.html", context)
    return redirect(back)


@login_required
@require_POST
@limited("moderate")
def hide_comment(request: SignedInRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    hidden = request.POST.get("hidden", "1") != "0"
    try:
        services.set_hidden(request.user, found, hidden, request.POST.get("reason", ""))
    except services.ActionError as exc:
        return render(request, "community/limited.html", {"message": str(exc)}, status=403)
    return redirect(f"{found.paper.get_absolute_url()}#comment-{found.pk}")


# --- submissions -------------------------------------------------------------------------------


@login_required
@limited("submit")
def submit(request: SignedInRequest) -> HttpResponse:
    form = SubmitForm(request.POST or None, initial={"arxiv_id": request.GET.get("id", "")[:100]})
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.submit_as(request.user, form.cleaned_data["arxiv_id"])
        except services.ActionError as exc:
            form.add_error("arxiv_id", str(exc))
        except FetchError:
            form.add_error("arxiv_id", "arXiv could not be reached just now; try again later.")
        else:
            paper, entry = submission.paper, submission.entry
            if submission.created:
                messages.success(request, f"Thank you: “{paper.title}” is in today's feed.")
            else:
                day = listings.format_day(entry.day, "long")
                messages.info(
                    request,
                    f"“{paper.title}” is already in the feed (since {day}): your upvote was "
                    "counted.",
                )
            return redirect(next_url(request, paper.get_absolute_url()))
    status = 400 if form.errors else 200
    return render(
        request,
        "community/submit.html",
        {
            "form": form,
            "per_day": settings.SUBMISSIONS_PER_DAY,
            "window": settings.SUBMIT_WINDOW_DAYS,
        },
        status=status,
    )
