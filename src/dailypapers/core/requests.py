"""The requests the views see, typed: what the middleware adds (`request.htmx`), and the user of a
view that only signed-in people reach (the type checker sees `User | AnonymousUser` otherwise)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """Any request of the site: HtmxMiddleware (settings.MIDDLEWARE) sets `htmx` on every one."""

    htmx: HtmxDetails


class SignedInRequest(HtmxRequest):
    """The request of a view behind `@login_required`, or of an API route with a token
    (`auth=TokenAuth()`, which sets `request.user`)."""

    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that only signed-in people make (the admin's actions, where the
    request's type is the base class's)."""
    user = request.user
    assert isinstance(user, User), "only signed-in people reach this"
    return user
