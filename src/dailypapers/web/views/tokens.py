"""Managing one's API tokens (the settings part of the profile page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dailypapers.api.models import ApiToken
from dailypapers.core.requests import SignedInRequest
from dailypapers.web.views.accounts import limited

MAX_TOKENS = 10


@login_required
@require_POST
@limited("token")
def create_token(request: SignedInRequest) -> HttpResponse:
    if ApiToken.objects.filter(user=request.user).count() >= MAX_TOKENS:
        messages.error(request, f"You can have {MAX_TOKENS} tokens; revoke one first.")
    else:
        token, secret = ApiToken.create_for(request.user, request.POST.get("name", ""))
        messages.success(
            request,
            f"Your new token “{token.name}”: {secret} — copy it now, it will not be shown again.",
        )
    return redirect("community:profile", request.user.get_username())


@login_required
@require_POST
@limited("token")
def revoke_token(request: SignedInRequest, pk: int) -> HttpResponse:
    deleted, _ = ApiToken.objects.filter(pk=pk, user=request.user).delete()
    if deleted:
        messages.success(request, "The token was revoked.")
    return redirect("community:profile", request.user.get_username())
