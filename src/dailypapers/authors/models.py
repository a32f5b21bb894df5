"""Authors as rows: one per way a name is written (`names.key`), linked to papers in order.

`PaperAuthor` is derived from `Paper.authors` by `people/index.py`, which follows the change log
(`papers/changes.py`) in the worker, its cursor kept in `AuthorIndex` and written in the same
transaction as the links it applied. A curator may merge a written form into another
(`merged_into`): its page then redirects, and the target's page lists the papers of both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from dailypapers.papers.models import Paper


class Author(models.Model):
    key = models.CharField(
        max_length=150, unique=True, help_text="names.key(name): the page's address."
    )
    name = models.CharField(max_length=300, help_text="The name as first written.")
    family = models.CharField(max_length=100, db_index=True, help_text="Last word of the key.")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="variants",
        help_text="Set by a curator: this written form is the same person as that author.",
    )

    class Meta:
        ordering = ["key"]
        permissions = [("merge_author", "Can merge two written forms of an author's name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:author", args=[self.key])


class PaperAuthor(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="author_links")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="paper_links")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "author"], name="paper_author_unique"),
        ]
        indexes = [models.Index(fields=["author", "paper"], name="author_paper_idx")]

    def __str__(self) -> str:
        return f"{self.paper_id}#{self.position}: {self.author_id}"


class AuthorIndex(models.Model):
    """The author index's place in the change log (one row): saved with each batch applied."""

    cursor = models.JSONField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "author index"


class Claim(models.Model):
    """A user says they are one of a paper's authors (the name at `position`).

    Accepted at once when the account's confirmed address is at an official domain of the
    institution that author's affiliation on the paper names (`authors/domains.py`); otherwise a
    curator accepts or rejects it in the admin, with the evidence. Accepted claims show the
    account on the paper page and on the author page.
    """

    PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
    STATUSES = [(PENDING, "waiting for a curator"), (ACCEPTED, "accepted"), (REJECTED, "rejected")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="claims")
    position = models.PositiveSmallIntegerField(help_text="Which name of the paper's author list.")
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    reason = models.CharField(max_length=300, blank=True, help_text="How it was decided.")
    email = models.EmailField(blank=True, help_text="The confirmed address it was checked with.")
    evidence = models.TextField(
        blank=True, help_text="What the address and the affiliation say (authors/domains.py)."
    )
    by_domain = models.BooleanField(
        default=False,
        help_text="Accepted by its email domain, not by a curator: `authors recheck` checks it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="claim_once_per_paper"),
            models.UniqueConstraint(
                fields=["paper", "position"],
                condition=models.Q(status="accepted"),
                name="one_accepted_claim_per_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.paper_id}#{self.position}: {self.status}"

    @property
    def name(self) -> str:
        authors = self.paper.authors
        return authors[self.position] if self.position < len(authors) else ""


class Organization(models.Model):
    """An organization named on papers: Hugging Face's `organization`, or an author's
    affiliation (its institution part). One row per written name (`orgs.key`)."""

    key = models.CharField(max_length=150, unique=True)
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:organization", args=[self.key])


class PaperOrganization(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="organization_links")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="paper_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "organization"], name="paper_org_unique")
        ]
        indexes = [models.Index(fields=["organization", "paper"], name="org_paper_idx")]

    def __str__(self) -> str:
        return f"{self.paper_id}: {self.organization_id}"


class Membership(models.Model):
    """A user who says they belong to an organization: accepted at once when their confirmed
    address is at an official domain of the institution the organization's name names
    (`authors/domains.py`), else by a curator. Only accepted members are shown."""

    PENDING, ACCEPTED, REJECTED = Claim.PENDING, Claim.ACCEPTED, Claim.REJECTED
    STATUSES = Claim.STATUSES

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    email = models.EmailField(help_text="The confirmed address it was checked with.")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    evidence = models.TextField(blank=True, help_text="What the address and the name say.")
    by_domain = models.BooleanField(
        default=False,
        help_text="Accepted by its email domain, not by a curator: `authors recheck` checks it.",
    )
    reason = models.CharField(max_length=300, blank=True, help_text="How it was decided.")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="member_once")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.organization_id}"


class InstitutionDomain(models.Model):
    """A curator's word that a domain is an official domain of an institution: for what swot
    does not know (most US `.edu` domains' names, companies, research institutes)."""

    domain = models.CharField(
        max_length=253,
        db_index=True,
        help_text="A registrable domain (stanford.edu) or one of its subdomains, lower case.",
    )
    name = models.CharField(
        max_length=300, help_text="The institution's full name, as affiliations write it."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain", "name"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "name"], name="institution_domain_once")
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.name}"
