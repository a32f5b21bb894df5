"""Single sign-on (docs/sso.md): allauth's social accounts, held to the rules of local accounts.

A provider's sign-in either finds the account it signed in before, or links to the local
account whose address the provider says it verified, or makes a new account from that verified
address if sign-up is open to it (`signup_open_to`, as for sign-up with a password). Anything
else is refused here, on a page of this site, before allauth would show a form of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthError
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from confusable_homoglyphs import confusables
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from requests import RequestException

from dailypapers.community.forms import skeleton
from dailypapers.community.models import Profile
from dailypapers.community.services import email_confirmed, signup_open_to

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    name: str  # "GitHub", or the OpenID Connect provider's configured name
    url: str  # where the button POSTs: the provider's start


# allauth's names where they are not the provider's own ("Orcid.org").
NAMES = {"github": "GitHub", "google": "Google", "orcid": "ORCID"}


def display_name(provider: object) -> str:
    return NAMES.get(getattr(provider, "id", ""), getattr(provider, "name", "The provider"))


def buttons(request: HttpRequest) -> list[Button]:
    """The providers configured (settings, or apps made in the admin), in a stable order."""
    found = get_adapter().list_providers(request)
    return sorted(
        (Button(display_name(provider), provider.get_login_url(request)) for provider in found),
        key=lambda button: button.name.lower(),
    )


def form_origins(request: HttpRequest) -> list[str]:
    """Where the sign-in buttons' POSTs are redirected to: the providers' authorization pages.

    Browsers hold a form's redirects to the page's CSP `form-action` (`'self'` on this site), so
    the pages with buttons add these origins. An OpenID Connect provider's is its server URL's
    (reading its discovery document on every sign-in page would make the page wait on it).
    """
    origins = set()
    for provider in get_adapter().list_providers(request):
        try:
            if isinstance(provider, OpenIDConnectProvider):
                url = provider.app.settings.get("server_url", "")
            else:
                url = provider.get_oauth2_adapter(request).authorize_url
        except Exception:  # a provider of the admin's making that is no OAuth2 one
            log.warning("no authorization URL for the sign-in provider %s", provider.id)
            continue
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def with_buttons(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page showing the sign-in buttons: its CSP lets their redirects through."""
    origins = form_origins(request)
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


def page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    """The answer of a sign-in that did not happen: the site's own page, a link back."""
    context = {"title": title, "message": message}
    return render(request, "community/sso_refused.html", context, status=status)


def refuse(request: HttpRequest, message: str, status: int = 403) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(page(request, "Sign-in refused", message, status))


def unreachable(request: HttpRequest, name: str) -> HttpResponse:
    return page(
        request,
        "Sign-in failed",
        f"{name} could not be reached just now, so you are not signed in. Try again in a "
        "moment, or sign in with your password.",
        502,
    )


def not_invited() -> str:
    domains = ", ".join(settings.SIGNUP_DOMAINS)
    return (
        "Sign-up here is open only to invited addresses"
        + (f" and to addresses at {domains}" if domains else "")
        + ". No account was made. Ask the site's administrator for an invitation."
    )


def orcid_addresses(data: object) -> list[EmailAddress]:
    """The addresses of an ORCID record (`person.emails.email`), each verified only when ORCID
    says so: allauth's ORCID provider passes the first one on, never as verified."""
    person = data.get("person") if isinstance(data, dict) else None
    emails = person.get("emails") if isinstance(person, dict) else None
    entries = emails.get("email") if isinstance(emails, dict) else None
    return [
        EmailAddress(
            email=entry["email"],
            verified=entry.get("verified") is True,
            primary=entry.get("primary") is True,
        )
        for entry in entries or []
        if isinstance(entry, dict) and isinstance(entry.get("email"), str)
    ]


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account adapter (settings.ACCOUNT_ADAPTER): a user name a provider suggests
    obeys the rules of the sign-up form, no look-alike of an existing name (`b\u043eb`, with a
    Cyrillic o, beside `bob`); allauth then derives another from the person's name or address."""

    def clean_username(self, username: str, shallow: bool = False) -> str:
        username = super().clean_username(username, shallow=shallow)
        if confusables.is_dangerous(username) or (
            User.objects.filter(username__iexact=skeleton(username)).exists()
        ):
            raise ValidationError("This name looks like the name of an existing account.")
        return username


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's adapter (settings.SOCIALACCOUNT_ADAPTER) with this site's rules."""

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        name = display_name(sociallogin.account.get_provider())
        if sociallogin.is_existing:  # signed in with this provider before
            assert sociallogin.user is not None
            if not sociallogin.user.is_active:
                raise refuse(request, "This account has been banned.")
            return
        # Only addresses the provider verified count: an unverified one could be anybody's.
        addresses = sociallogin.email_addresses
        if sociallogin.account.provider == "orcid":
            addresses = orcid_addresses(sociallogin.account.extra_data)
        verified = [address for address in addresses if address.verified is True]
        verified.sort(key=lambda address: not address.primary)
        if not verified:
            raise refuse(
                request,
                f"{name} did not tell us a verified email address for your account, so we "
                "cannot match it to an account here or make one. Verify your address there, "
                "or sign up with a password.",
            )
        emails = [address.email for address in verified]
        # The database compares without case, and PostgreSQL's UPPER() folds look-alikes
        # together (UPPER('admin@s\u0131te.org'), a dotless i, is 'ADMIN@SITE.ORG'): only an
        # address equal once both are lower-cased here counts.
        existing = [
            user
            for email in emails
            for user in User.objects.filter(email__iexact=email).order_by("pk")
            if user.email.lower() == email.lower()
        ]
        if existing:
            user = existing[0]
            if not user.is_active:
                raise refuse(request, "This account has been banned.")
            if user.is_staff or user.is_superuser:
                # Whoever holds the provider's account (or runs the provider) would hold the
                # site: an administrator links a staff account in the admin, by hand.
                raise refuse(
                    request,
                    f"The account with the address {user.email} is a staff account: it signs "
                    f"in with its password. An administrator can link it to {name} in the admin.",
                )
            if not email_confirmed(user):
                # Its address is not proven: the account may be someone else's squatting on it.
                raise refuse(
                    request,
                    f"An account with the address {user.email} is waiting for its address to "
                    f"be confirmed. Follow the link we mailed to it, then continue with {name} "
                    "again.",
                )
            sociallogin.connect(request, user)  # linked; allauth signs it in
            log.info("linked a %s account to user %s by verified email", name, user.pk)
            return
        if not signup_open_to(emails[0]):
            raise refuse(request, not_invited())
        # The new account takes the verified address; allauth looks at the first one.
        sociallogin.email_addresses = verified
        assert sociallogin.user is not None
        sociallogin.user.email = emails[0]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return bool(sociallogin.user and signup_open_to(sociallogin.user.email))

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: object = None
    ) -> User:
        """What a person signing up with a password gets, their address confirmed (the
        provider vouched for it)."""
        user = super().save_user(request, sociallogin, form)
        Profile.objects.update_or_create(user=user, defaults={"email_confirmed_at": timezone.now()})
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: object,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict | None = None,
    ) -> None:
        name = display_name(provider)
        if error == AuthError.CANCELLED:
            raise ImmediateHttpResponse(
                page(
                    request,
                    "Sign-in cancelled",
                    f"You did not allow {name} to sign you in here: you are not signed in, "
                    "and no account was made.",
                    200,
                )
            )
        if isinstance(exception, RequestException):
            log.warning("single sign-on with %s: provider unreachable: %s", name, exception)
            raise ImmediateHttpResponse(unreachable(request, name))
        log.warning("single sign-on with %s failed: %s %r", name, error, exception)
        raise ImmediateHttpResponse(
            page(
                request,
                "Sign-in failed",
                f"Signing in with {name} did not work (its answer could not be used), so you are "
                "not signed in. Try again, or sign in with your password.",
                400,
            )
        )
