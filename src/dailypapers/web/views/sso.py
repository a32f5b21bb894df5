"""Single sign-on's addresses (docs/sso.md), and no other page of allauth's: each provider's
start, a POST from the sign-in page's buttons counted against the `login` limit per address, and
its callback, the provider's redirect back (it completes only a sign-in whose start was counted
here: the state it carries must match the one kept in this browser's session)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.github import views as github
from allauth.socialaccount.providers.google import views as google
from allauth.socialaccount.providers.openid_connect import views as oidc
from allauth.socialaccount.providers.orcid import views as orcid
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from requests import RequestException

from dailypapers.community import sso
from dailypapers.web.views.accounts import limited

View = Callable[..., HttpResponse]


def _provider_name(request: HttpRequest, provider: str, kwargs: dict) -> str:
    try:
        found = get_adapter().get_provider(request, kwargs.get("provider_id", provider))
    except SocialApp.DoesNotExist:
        raise Http404("No such sign-in provider here.") from None
    return sso.display_name(found)


def _guarded(view: View, provider: str) -> View:
    """A provider absent from the configuration is a 404 (allauth would fail with a 500), and
    one that cannot be reached is said so on the site's page (502), not a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, **kwargs: str) -> HttpResponse:
        name = _provider_name(request, provider, kwargs)
        try:
            return view(request, **kwargs)
        except SocialApp.DoesNotExist:
            raise Http404("No such sign-in provider here.") from None
        except RequestException:
            return sso.unreachable(request, name)

    return wrapped


def start(view: View, provider: str) -> View:
    guarded = _guarded(view, provider)

    @limited("login", per_user=False)
    @wraps(view)
    def wrapped(request: HttpRequest, **kwargs: str) -> HttpResponse:
        # allauth's own confirmation page on GET, and its "connect" and "redirect" processes
        # (account pages this site does not serve), are not offered: the buttons POST a login.
        # allauth reads `process` from the form or, failing that, the query string: both.
        processes = {request.POST.get("process", "login"), request.GET.get("process", "login")}
        if request.method != "POST" or processes != {"login"}:
            return redirect("community:login")
        return guarded(request, **kwargs)

    return wrapped


def callback(view: View, provider: str) -> View:
    return _guarded(view, provider)


github_login = start(github.oauth2_login, "github")
github_callback = callback(github.oauth2_callback, "github")
google_login = start(google.oauth2_login, "google")
google_callback = callback(google.oauth2_callback, "google")
orcid_login = start(orcid.oauth2_login, "orcid")
orcid_callback = callback(orcid.oauth2_callback, "orcid")
oidc_login = start(oidc.login, "openid_connect")
oidc_callback = callback(oidc.callback, "openid_connect")
