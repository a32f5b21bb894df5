"""OpenAPI schemas of the API's answers (what /api/docs shows and the tests validate against)."""

from __future__ import annotations

from ninja import Field, Schema


class Error(Schema):
    error: str


class UserOut(Schema):
    id_: str = Field(alias="_id")
    user: str
    name: str
    fullname: str
    avatarUrl: str
    isPro: bool
    type: str


class OrganizationOut(Schema):
    id_: str = Field(alias="_id")
    name: str
    fullname: str


class AuthorOut(Schema):
    id_: str = Field(alias="_id")
    name: str
    hidden: bool


class PaperOut(Schema):
    id: str
    authors: list[AuthorOut]
    publishedAt: str | None
    submittedOnDailyAt: str | None
    submittedOnDailyBy: UserOut | None
    title: str
    summary: str
    upvotes: int
    discussionId: str
    projectPage: str | None
    githubRepo: str | None
    githubStars: int | None
    ai_summary: str | None
    ai_keywords: list[str] | None
    ai_generated: list[str] = Field(
        default_factory=list,
        description="Which of ai_summary and ai_keywords were made by this site (extractive "
        "summary, keywords ranked by the embedding model) rather than by Hugging Face.",
    )
    organization: OrganizationOut | None
    withdrawnAt: str | None


class PaperDetailOut(PaperOut):
    numComments: int
    linkedModels: list[dict]
    numTotalModels: int
    linkedDatasets: list[dict]
    numTotalDatasets: int
    linkedSpaces: list[dict]
    numTotalSpaces: int


class DailyItemOut(Schema):
    paper: PaperOut
    publishedAt: str | None
    title: str
    summary: str
    thumbnail: str
    numComments: int
    submittedBy: UserOut | None
    isAuthorParticipating: bool
    upvotes: int
    ai_summary: str | None
    ai_keywords: list[str] | None
    githubRepo: str | None
    githubStars: int | None
    projectPage: str | None
    organization: OrganizationOut | None


class VoteIn(Schema):
    vote: bool = Field(True, description="true to upvote, false to take the upvote back")


class VoteOut(Schema):
    id: str
    voted: bool
    upvotes: int


class SubmitIn(Schema):
    paper_id: str = Field(..., max_length=200, description="arXiv id or URL, e.g. 2512.24880")


class CollectionPaperIn(Schema):
    paper_id: str = Field(..., min_length=1, max_length=60, description="arXiv id")
    note: str = Field("", max_length=2000)


class CollectionIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    public: bool = False
    paper_id: str | None = Field(
        None, min_length=1, max_length=60, description="A first paper (arXiv id), added with it"
    )
    note: str = Field("", max_length=2000, description="The first paper's note")
