from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from dailypapers.community.models import Profile
from dailypapers.community.services import email_confirmed


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a link to confirm it.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
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
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SubmitForm(forms.Form):
    arxiv_id = forms.CharField(
        max_length=100,
        label="arXiv id or URL",
        help_text="e.g. 2512.24880, hep-th/9901001 or https://arxiv.org/abs/2512.24880",
    )
