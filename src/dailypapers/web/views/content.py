"""Serving the pictures made from PDFs: content-hashed names, cached for a year.

A name changes when its bytes change, so a browser or proxy may keep a file forever
(`immutable`). Files are read through the content storage, so the same URL works whether they
live in the data directory or in an S3-compatible bucket shared by several web nodes.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse

from dailypapers.content import services as service

NAME = re.compile(r"thumbs/[0-9a-f]{2}/[0-9a-f]{32}\.png")
YEAR = 365 * 24 * 3600


def file(request: HttpRequest, name: str) -> HttpResponse:
    if not NAME.fullmatch(name):
        raise Http404("No such file.")
    tag = f'"{name.rsplit("/", 1)[1].split(".")[0]}"'
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponse(status=304)
    else:
        try:
            with service.storage().open(name, "rb") as handle:
                data = handle.read()  # a few tens of KB; read here so a missing object is a 404
        except Exception:  # FileNotFoundError here, botocore's ClientError from a bucket
            raise Http404("No such file.") from None
        response = HttpResponse(data, content_type="image/png")
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
