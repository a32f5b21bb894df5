"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in a small
Django project of its own, run by `serve.py` in a child process (tests/web/test_sso_browser.py)."""
