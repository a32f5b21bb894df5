"""A reader's own chat channels: add, remove, send a test message (forms; no JavaScript)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dailypapers.chat import channels, sending
from dailypapers.chat.models import Channel
from dailypapers.core.requests import SignedInRequest
from dailypapers.library.models import Collection
from dailypapers.web.params import id_param
from dailypapers.web.views.accounts import limited


@login_required
@limited("chat")
def settings_page(request: SignedInRequest) -> HttpResponse:
    """The channels of the signed-in reader; POST adds one."""
    collections = Collection.objects.filter(owner=request.user).order_by("name")
    status = 200
    if request.method == "POST":
        data = request.POST
        collection = None
        wanted = id_param(data.get("collection"))
        if wanted is not None:
            collection = collections.filter(pk=wanted).first()
        try:
            channels.add(
                data.get("url", ""),
                owner=request.user,
                name=data.get("name", ""),
                daily="daily" in data,
                weekly="weekly" in data,
                followed="followed" in data,
                collection=collection,
            )
        except channels.ChannelError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, "The channel is added. Send it a test message to try it.")
            return redirect("chat:settings")
    context = {
        "channels": Channel.objects.filter(owner=request.user).select_related("collection"),
        "collections": collections,
        "schemes": settings.CHAT_USER_SCHEMES,
        "max_channels": settings.CHAT_MAX_CHANNELS,
    }
    return render(request, "chat/settings.html", context, status=status)


@login_required
@require_POST
@limited("chat")
def remove(request: SignedInRequest, pk: int) -> HttpResponse:
    if channels.remove(pk, request.user):
        messages.success(request, "The channel is removed.")
    return redirect("chat:settings")


@login_required
@require_POST
@limited("chat")
def test(request: SignedInRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk, owner=request.user)
    error = sending.send_test(channel)
    if error is None:
        messages.success(request, f"A test message was sent to {channel}.")
    else:
        messages.error(request, f"{channel}: {error}")
    return redirect("chat:settings")
