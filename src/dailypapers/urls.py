from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from dailypapers import site
from dailypapers.api.api import api
from dailypapers.community.views import limited

# The admin's sign-in counts against the same limits as the site's (per address, and per address
# and user name): without them, a moderator's password could be guessed at leisure.
admin.site.login = limited("login", per_user=False, key_field="username")(admin.site.login)


@csrf_exempt  # it changes nothing, and API clients send no CSRF token
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Under /api/, even an address that matches no route gets a JSON answer."""
    return JsonResponse({"error": "Not found"}, status=404)


urlpatterns = [
    path("healthz", site.healthz, name="healthz"),
    path("readyz", site.readyz, name="readyz"),
    path("robots.txt", site.robots, name="robots"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": site.SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": site.SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/[\s\S]*$", api_not_found),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.digests.urls")),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.content.urls")),
    path("", include("dailypapers.personal.urls")),
    path("", include("dailypapers.people.urls")),
    path("", include("dailypapers.papers.urls")),
]

handler404 = "dailypapers.site.not_found"
handler500 = "dailypapers.site.server_error"
