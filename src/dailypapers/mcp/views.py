"""/mcp: the MCP SDK's streamable HTTP transport, answered by a Django view.

The SDK's transport is an ASGI app and the site is WSGI (granian, gunicorn). The server is
stateless and answers in JSON, not event streams (`stateless_http=True, json_response=True`):
every POST is one complete exchange, so the view hands the request to the SDK's app on an event
loop of its own (`async_to_sync`), collects the answer and returns it as an HttpResponse. Being a
view, /mcp goes through every middleware of the site, like any page (client address, security
headers, rate limits, a private site's gate). The SDK's app is built per request: its session
manager's task group lives for one request, as a stateless server needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from mcp.server.transport_security import TransportSecuritySettings

from dailypapers.api.routes import TokenAuth
from dailypapers.mcp.tools import current_request, server

PATH = "/mcp"
# Django checks the Host header (ALLOWED_HOSTS) before any view; a browser cannot send the
# token's header cross-site without a CORS preflight, which this site never grants.
NO_REBINDING_CHECK = TransportSecuritySettings(enable_dns_rebinding_protection=False)
UNAUTHORIZED = -32001  # JSON-RPC's range for errors a server defines
PARSE_ERROR = -32700
BAD_TOKEN = "This API token is not valid: create one on your profile page of this site."


@csrf_exempt  # a token, never a cookie, says who calls
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # Stateless: no stream for the server's own messages (GET) and no session to end
        # (DELETE). The spec's answer is 405; the SDK would hold a GET open, and a worker with it.
        return HttpResponseNotAllowed(["POST"])
    request.user = AnonymousUser()  # the session's cookie gives no access here
    header = request.headers.get("Authorization", "")
    # TokenAuth is the API's: it sets request.user to the token's user.
    if header.lower().startswith("bearer ") and (
        TokenAuth().authenticate(request, header[7:].strip()) is None
    ):
        refused = _refusal(401, UNAUTHORIZED, BAD_TOKEN)
        refused["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return refused
    try:
        body = request.body
    except RawPostDataException:  # a form, already parsed by a middleware: not JSON-RPC
        return _refusal(415, PARSE_ERROR, "Send JSON-RPC messages as application/json.")
    status, headers, answer = async_to_sync(_exchange)(request, body)
    response = HttpResponse(answer, status=status)
    for name, value in headers:
        if name.lower() != "content-length":  # HttpResponse counts its own body
            response[name] = value
    return response


def _refusal(status: int, code: int, message: str) -> JsonResponse:
    """A JSON-RPC error, which MCP clients show as it is (id null: no request was read)."""
    error = {"code": code, "message": message}
    return JsonResponse({"jsonrpc": "2.0", "id": None, "error": error}, status=status)


async def _exchange(request: HttpRequest, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one HTTP exchange through the SDK's ASGI app; its status, headers and body."""
    current_request.set(request)  # the tools' tasks inherit it
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        transport_security=NO_REBINDING_CHECK,
    )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers.items()
        ],
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
        "server": (request.get_host(), int(request.get_port())),
    }
    answered = asyncio.Event()
    started: dict[str, Any] = {}
    chunks: list[bytes] = []
    read = False

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not read:
            read = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in started.get("headers", [])]
    return started.get("status", 500), headers, b"".join(chunks)
