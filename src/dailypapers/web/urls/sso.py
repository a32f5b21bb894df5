"""Single sign-on (docs/sso.md): the providers' start and callback, under allauth's own names
(it reverses them to build the addresses it sends the provider); no other allauth page."""

from django.urls import path

from dailypapers.web.views import sso

# Every view name here; the private-instance middleware lets exactly these through.
urlpatterns = [
    path("accounts/sso/github/login", sso.github_login, name="github_login"),
    path("accounts/sso/github/callback", sso.github_callback, name="github_callback"),
    path("accounts/sso/google/login", sso.google_login, name="google_login"),
    path("accounts/sso/google/callback", sso.google_callback, name="google_callback"),
    path("accounts/sso/orcid/login", sso.orcid_login, name="orcid_login"),
    path("accounts/sso/orcid/callback", sso.orcid_callback, name="orcid_callback"),
    path("accounts/sso/oidc/<slug:provider_id>/login", sso.oidc_login, name="openid_connect_login"),
    path(
        "accounts/sso/oidc/<slug:provider_id>/callback",
        sso.oidc_callback,
        name="openid_connect_callback",
    ),
]
