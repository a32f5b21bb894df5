"""Single sign-on's configuration (issue 31, item 1): the DAILYPAPERS_SSO_* variables make
allauth's providers, a provider without its settings is absent from the sign-in page and its
addresses, and the sign-in buttons POST. The flow itself: tests/web/test_sso_browser.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from dailypapers.core import conf
from dailypapers.settings import sso_providers

pytestmark = pytest.mark.django_db

ALL = {
    "DAILYPAPERS_SSO_GITHUB_CLIENT_ID": "gh-id",
    "DAILYPAPERS_SSO_GITHUB_SECRET": "gh-secret",
    "DAILYPAPERS_SSO_GOOGLE_CLIENT_ID": "google-id",
    "DAILYPAPERS_SSO_GOOGLE_SECRET": "google-secret",
    "DAILYPAPERS_SSO_ORCID_CLIENT_ID": "APP-1",
    "DAILYPAPERS_SSO_ORCID_SECRET": "orcid-secret",
    "DAILYPAPERS_SSO_OIDC_CLIENT_ID": "oidc-id",
    "DAILYPAPERS_SSO_OIDC_SECRET": "oidc-secret",
    "DAILYPAPERS_SSO_OIDC_SERVER_URL": "https://keycloak.example.org/realms/lab",
    "DAILYPAPERS_SSO_OIDC_NAME": "Lab Keycloak",
}


def providers(**environ: str) -> dict:
    return sso_providers(conf.load(environ))


def test_no_variable_no_provider():
    assert providers() == {}


def test_each_provider_appears_only_with_its_client_id_and_secret():
    assert set(providers(**ALL)) == {"github", "google", "orcid", "openid_connect"}
    only_github = {k: v for k, v in ALL.items() if "GITHUB" in k}
    found = providers(**only_github)
    assert list(found) == ["github"]
    assert found["github"]["APPS"] == [{"client_id": "gh-id", "secret": "gh-secret"}]
    assert "user:email" in found["github"]["SCOPE"]  # GitHub's verified addresses
    only_google = {k: v for k, v in ALL.items() if "GOOGLE" in k}
    assert list(providers(**only_google)) == ["google"]
    only_orcid = {k: v for k, v in ALL.items() if "ORCID" in k}
    assert providers(**only_orcid)["orcid"]["BASE_DOMAIN"] == "orcid.org"
    sandbox = providers(**only_orcid, DAILYPAPERS_SSO_ORCID_DOMAIN="sandbox.orcid.org")
    assert sandbox["orcid"]["BASE_DOMAIN"] == "sandbox.orcid.org"
    oidc = providers(**{k: v for k, v in ALL.items() if "OIDC" in k})["openid_connect"]
    [app] = oidc["APPS"]
    assert app["provider_id"] == "sso" and app["name"] == "Lab Keycloak"
    assert app["settings"]["server_url"] == "https://keycloak.example.org/realms/lab"
    assert app["settings"]["oauth_pkce_enabled"] is True


def test_half_a_configuration_stops_start_up():
    with pytest.raises(conf.ConfigError, match=r"GITHUB_CLIENT_ID and .*GITHUB_SECRET go together"):
        providers(DAILYPAPERS_SSO_GITHUB_CLIENT_ID="gh-id")
    with pytest.raises(conf.ConfigError, match="SERVER_URL"):
        providers(DAILYPAPERS_SSO_OIDC_CLIENT_ID="id", DAILYPAPERS_SSO_OIDC_SECRET="s")
    with pytest.raises(conf.ConfigError, match="DAILYPAPERS_SSO_OIDC_ID"):
        providers(DAILYPAPERS_SSO_OIDC_ID="Not/A slug")


def form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    return directives["form-action"]


def buttons(client: Client, url: str = "/accounts/login") -> list[str]:
    page = client.get(url).content.decode()
    return [part.split("</button>")[0] for part in page.split("Continue with ")[1:]]


def test_the_sign_in_and_sign_up_pages_offer_the_configured_providers_only(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert buttons(client) == [] and buttons(client, "/accounts/signup") == []
    assert form_action(client.get("/accounts/login")) == "'self'"
    settings.SOCIALACCOUNT_PROVIDERS = providers(
        **{k: v for k, v in ALL.items() if "GITHUB" in k or "OIDC" in k}
    )
    assert buttons(client) == ["GitHub", "Lab Keycloak"]
    assert buttons(client, "/accounts/signup") == ["GitHub", "Lab Keycloak"]
    page = client.get("/accounts/login?next=/papers/trending")
    html = page.content.decode()
    assert 'action="/accounts/sso/github/login"' in html
    assert 'action="/accounts/sso/oidc/sso/login"' in html
    assert 'name="next" value="/papers/trending"' in html
    # The buttons' redirects to the providers pass the page's CSP, and only theirs.
    assert form_action(page) == "'self' https://github.com https://keycloak.example.org"
    assert form_action(client.get("/papers/trending")) == "'self'"  # other pages: unchanged
    # Google and ORCID are not configured: their addresses answer 404.
    assert client.post("/accounts/sso/google/login").status_code == 404
    assert client.post("/accounts/sso/orcid/login").status_code == 404
    assert client.post("/accounts/sso/oidc/other/login").status_code == 404
    assert client.get("/accounts/sso/google/callback?code=x&state=y").status_code == 404


def test_the_start_is_a_post_to_the_provider_with_this_site_s_callback(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = providers(**{k: v for k, v in ALL.items() if "GITHUB" in k})
    # A GET (a link, a crawler) starts nothing: back to the sign-in page.
    answer = client.get("/accounts/sso/github/login")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login"
    # allauth's "connect" process needs account pages this site does not serve: refused.
    answer = client.post("/accounts/sso/github/login", {"process": "connect"})
    assert answer["Location"] == "/accounts/login"
    # ...nor through the query string, which allauth reads when the form has no `process`.
    for process in ("connect", "redirect"):
        answer = client.post(f"/accounts/sso/github/login?process={process}")
        assert answer["Location"] == "/accounts/login"
    answer = client.post("/accounts/sso/github/login", {"next": "/papers/trending"})
    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "github.com",
        "/login/oauth/authorize",
    )
    query = parse_qs(target.query)
    assert query["client_id"] == ["gh-id"]
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/github/callback"]
    assert query["state"]  # checked at the callback
    # A callback without the state of a started sign-in is refused on the site's page.
    fresh = Client()
    refused = fresh.get("/accounts/sso/github/callback?code=x&state=forged")
    assert refused.status_code == 400
    assert "Sign-in failed" in refused.content.decode()


def test_a_private_instance_lets_the_sign_on_addresses_through_and_no_others(client, settings):
    settings.PRIVATE = True
    settings.SOCIALACCOUNT_PROVIDERS = providers(**{k: v for k, v in ALL.items() if "GITHUB" in k})
    answer = client.post("/accounts/sso/github/login")
    assert urlsplit(answer["Location"]).netloc == "github.com"
    callback = client.get("/accounts/sso/github/callback?code=x&state=forged")
    assert callback.status_code == 400  # allauth's answer, not the middleware's redirect
    assert client.get("/papers/trending").status_code == 302  # the rest stays closed


def test_allauth_s_own_pages_are_not_served(client):
    for url in (
        "/accounts/social/login/error/",
        "/accounts/social/signup/",
        "/accounts/3rdparty/",
        "/accounts/email/",
        "/accounts/github/login/",
        "/accounts/oidc/sso/login/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_suggested_user_name_is_no_look_alike_of_an_existing_one():
    from allauth.utils import generate_unique_username
    from django.contrib.auth.models import User
    from django.core.exceptions import ValidationError

    from dailypapers.community.sso import AccountAdapter

    User.objects.create_user("bob", "bob@example.org")
    adapter = AccountAdapter()
    for look_alike in ("b\u043eb", "Bob", "BOB"):  # a Cyrillic o; case
        with pytest.raises(ValidationError):
            adapter.clean_username(look_alike)
    assert adapter.clean_username("alice") == "alice"
    # allauth's own choice, when the provider's name is taken, is a free one.
    assert generate_unique_username(["bob"]) not in ("bob", "Bob")


def test_orcid_addresses_are_verified_only_when_orcid_says_so():
    from dailypapers.community.sso import orcid_addresses

    record = {
        "person": {
            "emails": {
                "email": [
                    {"email": "ada@example.edu", "verified": True, "primary": True},
                    {"email": "old@example.org", "verified": False},
                    {"email": "odd@example.org", "verified": "true"},  # not a JSON true
                    {"verified": True},
                ]
            }
        }
    }
    found = [(a.email, a.verified, a.primary) for a in orcid_addresses(record)]
    assert found == [
        ("ada@example.edu", True, True),
        ("old@example.org", False, False),
        ("odd@example.org", False, False),
    ]
    assert orcid_addresses({}) == [] and orcid_addresses(None) == []
    assert orcid_addresses({"person": {"emails": None}}) == []
