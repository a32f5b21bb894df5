from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from dailypapers.api.routes import api
from dailypapers.mcp import views as mcp
from dailypapers.web import metrics, site
from dailypapers.web.views.accounts import limited

# The admin's sign-in counts against the same limits as the site's (per address, and per address
# and user name): without them, a moderator's password could be guessed at leisure. (The method
# is replaced on the site instance, on purpose.)
wrap_login = limited("login", per_user=False, key_field="username")
admin.site.login = wrap_login(admin.site.login)  # type: ignore[method-assign]


@csrf_exempt  # it changes nothing, and API clients send no CSRF token
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Under /api/, even an address that matches no route gets a JSON answer."""
    return JsonResponse({"error": "Not found"}, status=404)


urlpatterns = [
    path("healthz", site.healthz, name="healthz"),
    path("readyz", site.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
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
    path("mcp", mcp.endpoint, name="mcp"),
    path("", include("dailypapers.web.urls.community")),
    path("", include("dailypapers.web.urls.sso")),
    path("", include("dailypapers.web.urls.digests")),
    path("", include("dailypapers.web.urls.chat")),
    path("", include("dailypapers.web.urls.search")),
    path("", include("dailypapers.web.urls.content")),
    path("", include("dailypapers.web.urls.personal")),
    path("", include("dailypapers.web.urls.people")),
    path("", include("dailypapers.web.urls.papers")),
]

handler404 = "dailypapers.web.site.not_found"
handler500 = "dailypapers.web.site.server_error"
