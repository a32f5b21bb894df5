"""The site's URLs and one view that fails, for the 5xx count of `/metrics`."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dailypapers.urls import urlpatterns as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("boom", boom, name="boom"), *site]
handler500 = "dailypapers.web.site.server_error"
