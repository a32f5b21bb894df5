"""A real HTTP server on 127.0.0.1 that replays recorded responses, scripted per request.

Each route is a path and the query parameters that must match; it answers with the next response
of its script (the last one repeats). A response can also be RESET: the connection is closed
without an answer, as a dropped connection looks to the client.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

RESET = "reset"
UNSIZED = "X-Replay-Unsized"  # a header of a Reply: send no Content-Length (HTTP/1.0 style)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    path: str
    query: dict[str, str]
    script: list[Reply | str]
    hits: int = 0


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    at: float
    headers: dict[str, str] = field(default_factory=dict)


class ReplayServer:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.routes: list[Route] = []
        self.hits: list[Hit] = []
        self.bodies: list[bytes] = []  # of POST requests, in order
        self.clock = clock
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = dict(parse_qsl(url.query))
                server.hits.append(Hit(url.path, query, server.clock(), dict(self.headers.items())))
                reply = server.next_reply(url.path, query)
                if reply == RESET:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                assert isinstance(reply, Reply)
                self.send_response(reply.status)
                headers = dict(reply.headers)
                if headers.pop(UNSIZED, None) is None:  # else the body runs until the close
                    self.send_header("Content-Length", str(len(reply.body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append(self.rfile.read(length))
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, *script: Reply | str, **query: str) -> Route:
        route = Route(path, query, list(script))
        self.routes.insert(0, route)  # later routes take precedence
        return route

    def next_reply(self, path: str, query: dict[str, str]) -> Reply | str:
        for route in self.routes:
            if route.path == path and all(query.get(k) == v for k, v in route.query.items()):
                reply = route.script[min(route.hits, len(route.script) - 1)]
                route.hits += 1
                return reply
        return Reply(404, f"no route for {path} {query}".encode())

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
