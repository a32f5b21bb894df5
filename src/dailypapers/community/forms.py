from __future__ import annotations

from typing import Any

from confusable_homoglyphs import confusables
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from dailypapers.community.models import Profile
from dailypapers.community.ratelimit import recipient_allowed
from dailypapers.community.services import email_confirmed, signup_open_to


def skeleton(name: str) -> str:
    """The name with every character that looks like a Latin letter replaced by that letter."""
    found = confusables.is_confusable(name, greedy=True, preferred_aliases=["latin"]) or []
    swap = {item["character"]: item["homoglyphs"][0]["c"] for item in found if item["homoglyphs"]}
    return "".join(swap.get(char, char) for char in name)


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a link to confirm it.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        """Django's rules (NFKC, letters, digits and @.+-_), and no look-alike of a name that
        exists: `b\u043eb` (a Cyrillic o) beside `bob`, `Bob` beside `bob`, mixed alphabets."""
        username = super().clean_username()
        if not username:  # Django's own check found a name that differs only in case
            return username
        if confusables.is_dangerous(username):
            raise forms.ValidationError(
                "This name mixes alphabets in a way that reads as another name; use one alphabet.",
                code="confusable",
            )
        if User.objects.filter(username__iexact=skeleton(username)).exists() or (
            User.objects.filter(username__iexact=username).exists()
        ):
            raise forms.ValidationError(
                "This name looks like the name of an existing account; choose another.",
                code="confusable",
            )
        return username

    def clean_email(self) -> str:
        # Whether the address has an account is not said here (that would tell anyone who
        # has one): the view mails the address instead.
        email = self.cleaned_data["email"].strip()
        if not signup_open_to(email):
            domains = ", ".join(settings.SIGNUP_DOMAINS)
            raise forms.ValidationError(
                "Sign-up here is open only to invited addresses"
                + (f" and to addresses at {domains}" if domains else "")
                + ". Ask the site's administrator for an invitation.",
                code="not_invited",
            )
        return email

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            Profile.objects.create(user=user)
        return user


class LoginForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login":  # wrong password, or a banned (inactive) account
                username = self.cleaned_data.get("username")
                user = User.objects.filter(username=username, is_active=False).first()
                if user is not None and user.check_password(self.cleaned_data.get("password")):
                    raise forms.ValidationError(
                        "This account has been banned.", code="banned"
                    ) from None
            raise

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not email_confirmed(user):
            raise forms.ValidationError(
                "Confirm your email address first: follow the link we sent you.",
                code="unconfirmed",
            )


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        label="Comment",
        help_text="Markdown: **bold**, *italic*, `code`, [links](https://...), lists, quotes.",
    )
    parent = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class SubmitForm(forms.Form):
    arxiv_id = forms.CharField(
        max_length=100,
        label="arXiv id or URL",
        help_text="e.g. 2512.24880, hep-th/9901001 or https://arxiv.org/abs/2512.24880",
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, with its mail held until `send_held()` (the view sends it after the answer, so
    that a known and an unknown address answer in the same time) and within the recipient's
    `mail-to` limit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[tuple[tuple, dict]] = []

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        self.held.append((args, kwargs))

    def send_held(self) -> None:
        for args, kwargs in self.held:
            to_email = args[4] if len(args) > 4 else kwargs["to_email"]
            if recipient_allowed(to_email):
                super().send_mail(*args, **kwargs)
        self.held.clear()
